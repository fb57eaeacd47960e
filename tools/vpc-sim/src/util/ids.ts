/** Random identifiers in the cloud's formats: `eni-…`, `i-…`, MAC addresses, request ids. */
import { randomBytes, randomUUID } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Lower-case base-36 characters, like the cloud's resource ids. */
export function randomId(prefix: string, length = 16): string {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}-${s}`;
}

/** A locally administered unicast MAC, lower-case with colons. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Random letters and digits for keys and secrets. */
export function randomSecret(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

/** A request id like the gateway's: a timestamp then random hex. */
export function requestId(): string {
  const d = new Date();
  const ts = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${ts}${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
}
