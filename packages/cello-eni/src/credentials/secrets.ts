/**
 * Secret values this process knows (access keys, secrets, STS tokens). Keys
 * named like secrets are redacted by cli-kit's logger; this catches the
 * values themselves wherever they turn up — an error message that echoes an
 * access key id, a field with an innocent name.
 */
import { REDACTED } from '@cello/cli-kit';

const known = new Set<string>();

/** Remember a secret value (values shorter than 6 characters are not worth matching). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

/** The text with every known secret replaced by `***`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** A deep copy with every string scrubbed (errors become {name, message}). */
export function scrubDeep<T>(value: T): T {
  if (typeof value === 'string') return scrubSecrets(value) as T;
  if (value instanceof Error) return { name: value.name, message: scrubSecrets(value.message) } as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v)])) as T;
  }
  return value;
}
