/**
 * The instance metadata service at 100.96.0.96:80. It serves `/latest/…` and
 * `/volcstack/latest/…`, answers for the instance whose address made the
 * request, matches item names case-insensitively, accepts MACs with `:` or
 * `-`, and hands out rotating role credentials under
 * `iam/security_credentials/<role>`. The IMDSv2 token (PUT `api/token`) is
 * optional, as on the real service by default, but a token that is sent must
 * be valid; with `metadataTokensRequired` (an instance whose HttpTokens is
 * `required`) every read without one is refused with 401.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@cello/cli-kit';
import type { Cloud } from '../cloud/cloud.ts';
import { type Item, metadataTree, roleCredentialsItem } from './items.ts';

const TTL_HEADER = 'x-volc-ecs-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-volc-ecs-metadata-token';
const PREFIXES = ['/volcstack/latest', '/latest'];

interface Answer {
  status: number;
  body: string;
  json?: boolean;
}

const text = (body: string): Answer => ({ status: 200, body });
const notFound = (why = 'Not Found'): Answer => ({ status: 404, body: why });
const listing = (names: string[]): Answer => text(names.join('\n'));

function render(item: Item | undefined): Answer {
  if (item === undefined) return notFound();
  if (typeof item === 'string') return text(item);
  if ('json' in item) return { status: 200, body: JSON.stringify(item.json), json: true };
  return notFound('the metadata service does not support this item yet');
}

export function createMetadata(cloud: Cloud, log: Logger) {
  const tokens = new Map<string, number>();

  function issueToken(req: IncomingMessage): Answer {
    const ttl = Number(req.headers[TTL_HEADER]);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return { status: 400, body: `${TTL_HEADER} must be 1-21600 seconds` };
    const token = randomBytes(24).toString('base64url');
    const now = Date.now();
    for (const [t, exp] of tokens) if (exp < now) tokens.delete(t);
    tokens.set(token, now + ttl * 1000);
    return text(token);
  }

  function answer(req: IncomingMessage, url: URL): Answer {
    let path: string;
    try {
      path = decodeURIComponent(url.pathname).replace(/\/+$/, '');
    } catch {
      return { status: 400, body: 'the path is not valid percent-encoding' };
    }
    if (path === '') return listing(['latest/', 'volcstack/']);
    if (path.toLowerCase() === '/volcstack') return listing(['latest/']);
    const prefix = PREFIXES.find((p) => path.toLowerCase() === p || path.toLowerCase().startsWith(`${p}/`));
    if (!prefix) return notFound();
    const rest = path.slice(prefix.length + 1);
    const lower = rest.toLowerCase();

    if (lower === 'api/token') {
      if (req.method === 'PUT' || (req.method === 'GET' && req.headers[TTL_HEADER])) return issueToken(req);
      return { status: 405, body: 'use PUT with the X-volc-ecs-metadata-token-ttl-seconds header' };
    }
    const token = req.headers[TOKEN_HEADER];
    if (typeof token === 'string' && !((tokens.get(token) ?? 0) > Date.now())) {
      return { status: 401, body: 'the metadata token is invalid or expired' };
    }
    if (typeof token !== 'string' && cloud.config.metadataTokensRequired) {
      return {
        status: 401,
        body: 'this instance requires a metadata token: PUT /latest/api/token with X-volc-ecs-metadata-token-ttl-seconds, then send X-volc-ecs-metadata-token',
      };
    }
    if (req.method !== 'GET' && !(req.method === 'POST' && lower.startsWith('iam/'))) return { status: 405, body: 'use GET' };

    const source = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const instance = cloud.instanceByIp(source);
    if (!instance) return notFound(`no instance in this VPC has the address ${source}`);
    const tree = metadataTree(cloud, instance);
    const parts = lower.split('/').filter(Boolean);

    if (parts.length === 0) return listing([...Object.keys(tree.items).filter((k) => !k.includes('/')), 'network/', 'iam/', 'payment/']);
    if (parts[0] === 'iam') {
      if (parts.length === 1) return listing(['security_credentials/']);
      if (parts[1] !== 'security_credentials') return notFound();
      const role = cloud.config.ramRole;
      if (parts.length === 2) return url.searchParams.get('format') === 'json' ? { status: 200, body: JSON.stringify([role]), json: true } : text(role);
      if (parts.length === 3 && parts[2] === role.toLowerCase()) return render(roleCredentialsItem(cloud, instance));
      return notFound(`no role ${rest.split('/')[2]} is attached to this instance`);
    }
    if (parts[0] === 'network') {
      if (parts.length === 1) return listing(['interfaces/']);
      if (parts[1] !== 'interfaces') return notFound();
      if (parts.length === 2) return listing(['macs/']);
      if (parts[2] !== 'macs') return notFound();
      if (parts.length === 3) return listing([...tree.macs.keys()]);
      const mac = parts[3]!.replace(/-/g, ':');
      const items = tree.macs.get(mac);
      if (!items) return notFound(`no interface with MAC ${parts[3]} is attached to this instance`);
      if (parts.length === 4) return listing(Object.keys(items));
      return render(items[parts.slice(4).join('/')]);
    }
    if (parts[0] === 'payment' && parts.length === 1) return listing(['charge_type']);
    return render(tree.items[parts.join('/')]);
  }

  return {
    handle(req: IncomingMessage, res: ServerResponse) {
      let a: Answer;
      try {
        a = answer(req, new URL(req.url ?? '/', 'http://metadata'));
      } catch (err) {
        log.error('metadata: unexpected error', { url: req.url, err });
        a = { status: 500, body: 'internal error' };
      }
      res.writeHead(a.status, { 'Content-Type': a.json ? 'application/json' : 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(a.body) });
      res.end(a.body);
      req.resume();
    },
  };
}
