/** Keys whose values are secrets: never printed, never logged. */
const SECRET_KEY = /secret|password|passwd|token|credential|accesskey|authorization|signature/i;

export const REDACTED = '***';

export const isSecretKey = (key: string) => SECRET_KEY.test(key);

/**
 * A deep copy with every secret-looking key's value replaced by `***`. An
 * Error becomes `{ name, message }`: its fields are not enumerable, so a plain
 * copy would turn it into `{}`.
 */
export function redact<T>(value: T): T {
  if (value instanceof Error) return { name: value.name, message: value.message } as T;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v);
    }
    return out as T;
  }
  return value;
}
