/**
 * Verify a request's HMAC-SHA256 signature with `@volcengine/openapi`'s own
 * Signer (docs/volcengine-api.md, Requests): re-canonicalise the *decoded*
 * query (the wire encoding differs from the canonical one), pass the signed
 * headers under the exact keys the Signer expects ('X-Date',
 * 'X-Security-Token', 'X-Content-Sha256'), and check the body hash apart.
 * Whatever SignedHeaders lists is verified (also headers the Node SDK never
 * signs, such as the Go SDK's host and content-type); `host` is not required.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import signModule from '@volcengine/openapi/lib/base/sign.js';
import { CloudError } from '../cloud/errors.ts';
import type { CredentialStore, Principal } from '../cloud/tokens.ts';
import type { RawParams } from './params.ts';

const Signer = signModule.default;

/** The header keys the Signer looks up case-sensitively. */
const SIGNER_KEYS: Record<string, string> = {
  'x-date': 'X-Date',
  'x-security-token': 'X-Security-Token',
  'x-content-sha256': 'X-Content-Sha256',
};

const AUTH_RE = /^HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/request, ?SignedHeaders=([a-z0-9;_-]+), ?Signature=([0-9a-f]{64})$/;

export interface SignedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The decoded query: repeated keys become arrays. */
  query: RawParams;
  body: string;
}

export interface Verified {
  accessKeyId: string;
  principal: Principal;
  service: string;
  region: string;
}

const header = (h: IncomingHttpHeaders, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

function parseXDate(x: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(x);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? undefined : t;
}

export function verifySignature(
  req: SignedRequest,
  credentials: CredentialStore,
  opts: { region: string; services: readonly string[]; clockSkewSec: number; now?: number },
): Verified {
  const now = opts.now ?? Date.now();
  const auth = header(req.headers, 'authorization');
  if (!auth) throw new CloudError('MissingAuthenticationToken', 'The request has no Authorization header; sign it with an access key.');
  const m = AUTH_RE.exec(auth.trim());
  if (!m)
    throw new CloudError(
      'MissingSignature',
      'The Authorization header is not "HMAC-SHA256 Credential=AK/date/region/service/request, SignedHeaders=…, Signature=…".',
    );
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];

  const xDate = header(req.headers, 'x-date');
  if (!xDate) throw new CloudError('MissingRequestInfo', 'The request has no X-Date header.');
  const t = parseXDate(xDate);
  if (t === undefined) throw new CloudError('InvalidTimestamp', `X-Date ${xDate} is not YYYYMMDDTHHMMSSZ.`);
  if (Math.abs(now - t) > opts.clockSkewSec * 1000) {
    throw new CloudError(
      'InvalidTimestamp',
      `The signature of the request is expired: X-Date ${xDate} is more than ${opts.clockSkewSec}s from the server's time.`,
    );
  }
  if (!opts.services.includes(service!))
    throw new CloudError('ServiceNotFound', `There is no service ${service} (the sim serves ${opts.services.join(', ')}).`);
  if (region !== opts.region)
    throw new CloudError('ServiceNotFound', `The service ${service} is not offered in region ${region} here (the sim's region is ${opts.region}).`);

  const { secret, principal } = credentials.resolve(accessKeyId!, header(req.headers, 'x-security-token'), now);

  const mismatch = (why: string) => new CloudError('SignatureDoesNotMatch', `The request signature does not match: ${why}.`);
  if (date !== xDate.slice(0, 8)) throw mismatch('the credential scope date differs from X-Date');
  const names = signedHeaders!.split(';');
  if (!names.includes('x-date')) throw mismatch('X-Date is not among the signed headers');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const v = header(req.headers, name);
    if (v === undefined) throw mismatch(`the signed header ${name} is missing`);
    headers[SIGNER_KEYS[name] ?? name] = v;
  }
  if (req.body) {
    const want = headers['X-Content-Sha256'];
    if (!want) throw mismatch('a request with a body must sign X-Content-Sha256');
    if (createHash('sha256').update(req.body).digest('hex') !== want) throw mismatch('X-Content-Sha256 is not the SHA-256 of the body');
  }

  const signer = new Signer(
    { method: req.method, region: region!, pathname: req.path, params: req.query, headers, body: req.body || undefined } as never,
    service!,
  );
  // Exactly the listed headers: the Go SDK also signs host and content-type, which the Node Signer would skip.
  signer.isSignableHeader = (key: string) => names.includes(key);
  const expected = signer.signature({ accessKeyId: accessKeyId!, secretKey: secret }, xDate).toString();
  const a = Buffer.from(expected);
  const b = Buffer.from(signature!);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw mismatch('check the secret key and what was signed');
  return { accessKeyId: accessKeyId!, principal, service: service!, region: region! };
}
