/**
 * Request parameters as the gateway decodes them: flat keys, lists as
 * `Name.1`, `Name.2`, structs in lists as `Tags.1.Key`, nested lists as
 * `TagFilters.1.Values.1`. Reading a bad value throws the API's
 * MissingParameter / InvalidParameter naming the key.
 */
import { invalid, missing } from '../cloud/errors.ts';

export type RawParams = Record<string, string | string[]>;

export class Params {
  constructor(readonly raw: RawParams) {}

  has(name: string): boolean {
    return name in this.raw || this.list(name).length > 0;
  }

  str(name: string): string | undefined {
    const v = this.raw[name];
    return Array.isArray(v) ? v[0] : v;
  }

  required(name: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw missing(name);
    return v;
  }

  int(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.str(name);
    if (v === undefined || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw invalid(name, `${JSON.stringify(v)} is not an integer`);
    const n = Number(v);
    if (n < min || n > max) throw invalid(name, `${n} is outside ${min}-${max}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.str(name);
    if (v === undefined || v === '') return undefined;
    if (v !== 'true' && v !== 'false') throw invalid(name, `${JSON.stringify(v)} is not true or false`);
    return v === 'true';
  }

  /** `Name.1`, `Name.2`, … in index order, empty values dropped (`Name=` is an empty list). */
  list(name: string): string[] {
    return this.indexed(name)
      .map(([, rest, value]) => (rest === '' ? value : undefined))
      .filter((v): v is string => v !== undefined && v !== '');
  }

  /** `Name.N.Field` groups, in index order: `structs('Tags')` → [{Key, Value}, …]. */
  structs(name: string): Array<Record<string, string>> {
    const groups = new Map<number, Record<string, string>>();
    for (const [n, rest, value] of this.indexed(name)) {
      if (!rest.startsWith('.')) continue;
      const g = groups.get(n) ?? {};
      g[rest.slice(1)] = value;
      groups.set(n, g);
    }
    return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  }

  /** `TagFilters.N.Key` + `TagFilters.N.Values.M`. */
  tagFilters(): Array<{ key: string; values: string[] }> {
    return this.structs('TagFilters').map((g, i) => {
      const key = g.Key;
      if (!key) throw missing(`TagFilters.${i + 1}.Key`);
      const values = Object.entries(g)
        .filter(([k, v]) => /^Values\.\d+$/.test(k) && v !== '')
        .sort((a, b) => Number(a[0].slice(7)) - Number(b[0].slice(7)))
        .map(([, v]) => v);
      return { key, values };
    });
  }

  /** Tags.N.Key / Tags.N.Value pairs (a key is required, the value may be empty). */
  tags(name = 'Tags'): Array<{ Key: string; Value: string }> {
    return this.structs(name).map((g, i) => {
      if (!g.Key) throw missing(`${name}.${i + 1}.Key`);
      return { Key: g.Key, Value: g.Value ?? '' };
    });
  }

  /** A stable digest of every parameter but those named (for ClientToken idempotency). */
  fingerprint(exclude: readonly string[]): string {
    const keys = Object.keys(this.raw)
      .filter((k) => !exclude.includes(k))
      .sort();
    return JSON.stringify(keys.map((k) => [k, this.raw[k]]));
  }

  private indexed(name: string): Array<[number, string, string]> {
    const out: Array<[number, string, string]> = [];
    const prefix = `${name}.`;
    for (const [key, value] of Object.entries(this.raw)) {
      if (!key.startsWith(prefix)) continue;
      const m = /^(\d+)(.*)$/.exec(key.slice(prefix.length));
      if (!m) continue;
      const n = Number(m[1]);
      if (n < 1) throw invalid(key, 'list indexes start at 1');
      out.push([n, m[2]!, Array.isArray(value) ? value[0]! : value]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}
