/**
 * The query parameters the API expects (docs/volcengine-api.md, Requests): lists as 1-based
 * `.N` suffixes, structs in lists as `.N.Field`, booleans as true/false.
 * Undefined and null are left out (the SDK would sign and send them as
 * `key=`), and so are empty lists.
 */
export type ParamValue = string | number | boolean | undefined | null | ParamValue[] | { [k: string]: ParamValue };

export function flatten(params: Record<string, ParamValue>): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (key: string, v: ParamValue) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) put(`${key}.${i + 1}`, item);
    } else if (typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) put(`${key}.${k}`, inner);
    } else {
      out[key] = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
    }
  };
  for (const [k, v] of Object.entries(params)) put(k, v);
  return out;
}
