/**
 * Label selectors (`a=b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`) and
 * field selectors (`spec.nodeName=n`, `metadata.name!=x`, comma = and).
 */
type Obj = Record<string, unknown>;
export type Matcher = (obj: Obj) => boolean;

export class SelectorError extends Error {}

function getPath(obj: unknown, path: string): string | undefined {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[part];
  }
  return cur === undefined || cur === null ? undefined : String(cur);
}

/** Split on commas that are not inside parentheses. */
function terms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function labelSelector(s: string | null | undefined): Matcher {
  if (!s) return () => true;
  const tests = terms(s).map((t): ((labels: Obj) => boolean) => {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (m) {
      const [, key, op, list] = m;
      const values = list!.split(',').map((v) => v.trim());
      return op === 'in' ? (l) => values.includes(String(l[key!])) && key! in l : (l) => !(key! in l) || !values.includes(String(l[key!]));
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(t);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
    }
    m = /^(!?)([\w./-]+)$/.exec(t);
    if (m) return m[1] ? (l) => !(m![2]! in l) : (l) => m![2]! in l;
    throw new SelectorError(`unable to parse label selector term "${t}"`);
  });
  return (obj) => {
    const labels = ((obj.metadata as Obj | undefined)?.labels ?? {}) as Obj;
    return tests.every((test) => test(labels));
  };
}

export function fieldSelector(s: string | null | undefined): Matcher {
  if (!s) return () => true;
  const tests = terms(s).map((t) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (!m) throw new SelectorError(`unable to parse field selector term "${t}"`);
    const [, path, op, value] = m;
    return (obj: Obj) => ((getPath(obj, path!) ?? '') === value) !== (op === '!=');
  });
  return (obj) => tests.every((test) => test(obj));
}
