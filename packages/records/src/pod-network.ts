/**
 * PodNetwork (`cello.volcengine.com/v1alpha1`, cluster-scoped; issue 16):
 * which security groups and subnets a pod's VPC address comes from, chosen
 * per namespace or pod by label selectors. The node agent reads the objects
 * from the API and records them, parsed, in the node's cello-ipam store; the
 * CNI plugin reads them there. This is the one parser of the object (both
 * sides accept what it accepts) and the one label-selector matcher.
 *
 * The rules (manifests/crds/podnetworks.yaml says the same to the API
 * server, docs/podnetworks.md to people):
 * - `metadata.name` a DNS-1123 subdomain (the API server's rule for names);
 * - `podSelector`, `namespaceSelector`: LabelSelectors, at least one set
 *   (`{}` matches everything, explicitly); label keys and values by
 *   Kubernetes' rules; In/NotIn need values, Exists/DoesNotExist take none;
 * - `subnets`: `ids` (1+) or `tags` (1+), or both (a subnet is the network's
 *   when its id is listed or it carries every tag);
 * - `securityGroupIds`: 1 to 5 (an ENI joins at most 5), each once;
 * - `mode`: shared (default) or exclusive;
 * - `allocation`: `{type: Elastic}` (default) or `{type: Fixed,
 *   releaseAfter}` with releaseAfter like `30m`, `24h`, `1h30m` (> 0;
 *   omitted: never released). Fixed is for shared mode only: the address
 *   moves between nodes as a secondary IP, and an exclusive pod's address is
 *   its ENI's primary, which cannot move.
 * Unknown fields under `spec` are refused: the API server prunes what the
 * CRD does not declare, so one reaching us means a newer CRD than this
 * parser, and a network half understood must not take pods.
 *
 * A refusal is a PodNetworkError (a RecordError, so a UsageError) naming the
 * object and the field: `podnetwork blue: spec.securityGroupIds: at most 5`.
 * No imports beyond records' own: the CNI path loads this module.
 */
import { DNS_SUBDOMAIN, podNetworkNameProblem } from './inputs.ts';
import { RecordError } from './parse.ts';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type PodNetworkMode = 'shared' | 'exclusive';

export type PodNetworkAllocation = { type: 'Elastic' } | { type: 'Fixed'; releaseAfterSec: number | null };

/** A type, not an interface, so that it is assignable to `Record<string, unknown>` (a store keeps the spec as JSON). */
export type PodNetworkSpec = {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  subnets: { ids?: string[]; tags?: Record<string, string> };
  securityGroupIds: string[];
  mode: PodNetworkMode;
  /** Fixed: `releaseAfterSec` null means never released. */
  allocation: PodNetworkAllocation;
};

export interface PodNetworkRecord {
  name: string;
  spec: PodNetworkSpec;
}

/** The resource as the API serves it. */
export const POD_NETWORK_RESOURCE = { group: 'cello.volcengine.com', version: 'v1alpha1', plural: 'podnetworks', kind: 'PodNetwork' } as const;

/** An ENI joins at most this many security groups. */
export const MAX_SECURITY_GROUPS = 5;

/** `releaseAfter`: hours, minutes, seconds, in that order, each at most once (`24h`, `30m`, `1h30m`, `90s`). */
export const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** A PodNetwork that breaks a rule: `network` is its name ('' when it has none), `field` the path under the object. */
export class PodNetworkError extends RecordError {
  constructor(
    readonly network: string,
    field: string,
    problem: string,
  ) {
    super(field, problem);
    this.message = `podnetwork${network ? ` ${network}` : ''}: ${field}: ${problem}`;
  }
}

type Obj = Record<string, unknown>;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
const SPEC_KEYS = ['podSelector', 'namespaceSelector', 'subnets', 'securityGroupIds', 'mode', 'allocation'];

/** Kubernetes' rule for a label key: an optional DNS subdomain prefix (≤ 253) and `/`, then a name (≤ 63). */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `${JSON.stringify(key)}: the prefix must be a DNS subdomain`;
  if (!LABEL_NAME.test(name)) return `${JSON.stringify(key)} is not a label key (1 to 63 letters, digits, - _ . starting and ending with a letter or digit)`;
  return undefined;
}

const labelValueProblem = (v: string) =>
  LABEL_VALUE.test(v) ? undefined : `${JSON.stringify(v)} is not a label value (at most 63 letters, digits, - _ . starting and ending with a letter or digit)`;

/** The parser's state for one object: its name, so every refusal names it. */
class Reader {
  constructor(readonly network: string) {}

  fail(field: string, problem: string): never {
    throw new PodNetworkError(this.network, field, problem);
  }

  object(v: unknown, field: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    return v as Obj;
  }

  known(o: Obj, keys: readonly string[], field: string): void {
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(`${field}.${k}`, `is not a field of ${field} (known: ${keys.join(', ')})`);
  }

  /** A list of distinct non-empty strings, `min` to `max` long. */
  ids(v: unknown, field: string, what: string, min: number, max = Number.POSITIVE_INFINITY): string[] {
    if (!Array.isArray(v)) this.fail(field, `must be a list of ${what}s`);
    const list = v as unknown[];
    if (list.length < min) this.fail(field, `needs at least ${min} ${what}`);
    if (list.length > max) this.fail(field, `at most ${max}`);
    const seen = new Set<string>();
    list.forEach((id, i) => {
      if (typeof id !== 'string' || id.trim() === '' || id !== id.trim())
        this.fail(`${field}[${i}]`, `must be a ${what} (a non-empty string, no spaces around it)`);
      if (seen.has(id as string)) this.fail(`${field}[${i}]`, `${id} is listed twice`);
      seen.add(id as string);
    });
    return list as string[];
  }

  stringMap(v: unknown, field: string, key: (k: string) => string | undefined, value: (v: string) => string | undefined): Record<string, string> {
    const o = this.object(v, field);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) {
      const kp = key(k);
      if (kp) this.fail(`${field}`, kp);
      if (typeof x !== 'string') this.fail(`${field}.${k}`, 'must be a string');
      const vp = value(x as string);
      if (vp) this.fail(`${field}.${k}`, vp);
      out[k] = x as string;
    }
    return out;
  }

  selector(v: unknown, field: string): LabelSelector {
    const o = this.object(v, field);
    this.known(o, ['matchLabels', 'matchExpressions'], field);
    const sel: LabelSelector = {};
    if (o.matchLabels !== undefined && o.matchLabels !== null)
      sel.matchLabels = this.stringMap(o.matchLabels, `${field}.matchLabels`, labelKeyProblem, labelValueProblem);
    if (o.matchExpressions !== undefined && o.matchExpressions !== null) {
      if (!Array.isArray(o.matchExpressions)) this.fail(`${field}.matchExpressions`, 'must be a list of {key, operator, values}');
      sel.matchExpressions = (o.matchExpressions as unknown[]).map((x, i) => this.requirement(x, `${field}.matchExpressions[${i}]`));
    }
    return sel;
  }

  requirement(v: unknown, field: string): LabelSelectorRequirement {
    const o = this.object(v, field);
    this.known(o, ['key', 'operator', 'values'], field);
    if (typeof o.key !== 'string' || o.key === '') this.fail(`${field}.key`, 'is required (a label key)');
    const kp = labelKeyProblem(o.key as string);
    if (kp) this.fail(`${field}.key`, kp);
    const op = o.operator;
    if (!OPERATORS.includes(op as (typeof OPERATORS)[number]))
      this.fail(`${field}.operator`, `must be one of ${OPERATORS.join(', ')}, got ${JSON.stringify(op)}`);
    const operator = op as LabelSelectorRequirement['operator'];
    const raw = o.values ?? [];
    if (!Array.isArray(raw)) this.fail(`${field}.values`, 'must be a list of label values');
    const values = raw as unknown[];
    if (operator === 'In' || operator === 'NotIn') {
      if (!values.length) this.fail(`${field}.values`, `${operator} needs at least one value`);
      values.forEach((x, i) => {
        if (typeof x !== 'string') this.fail(`${field}.values[${i}]`, 'must be a string');
        const p = labelValueProblem(x as string);
        if (p) this.fail(`${field}.values[${i}]`, p);
      });
      return { key: o.key as string, operator, values: values as string[] };
    }
    if (values.length) this.fail(`${field}.values`, `${operator} takes no values`);
    return { key: o.key as string, operator };
  }

  subnets(v: unknown, field: string): PodNetworkSpec['subnets'] {
    if (v === undefined || v === null) this.fail(field, 'is required: {ids: [subnet ids]} or {tags: {key: value}}');
    const o = this.object(v, field);
    this.known(o, ['ids', 'tags'], field);
    const out: PodNetworkSpec['subnets'] = {};
    if (o.ids !== undefined && o.ids !== null) out.ids = this.ids(o.ids, `${field}.ids`, 'subnet id', 1);
    if (o.tags !== undefined && o.tags !== null) {
      out.tags = this.stringMap(
        o.tags,
        `${field}.tags`,
        (k) => (k.trim() === '' || k !== k.trim() ? `${JSON.stringify(k)} is not a tag key (a non-empty string, no spaces around it)` : undefined),
        () => undefined,
      );
      if (!Object.keys(out.tags).length) this.fail(`${field}.tags`, 'needs at least one tag');
    }
    if (!out.ids && !out.tags) this.fail(field, 'needs ids or tags (or both)');
    return out;
  }

  allocation(v: unknown, field: string): PodNetworkAllocation {
    if (v === undefined || v === null) return { type: 'Elastic' };
    const o = this.object(v, field);
    this.known(o, ['type', 'releaseAfter'], field);
    const type = o.type ?? 'Elastic';
    if (type === 'Elastic') {
      if (o.releaseAfter !== undefined && o.releaseAfter !== null) this.fail(`${field}.releaseAfter`, 'is only for type Fixed');
      return { type };
    }
    if (type !== 'Fixed') this.fail(`${field}.type`, `must be Elastic or Fixed, got ${JSON.stringify(type)}`);
    if (o.releaseAfter === undefined || o.releaseAfter === null) return { type: 'Fixed', releaseAfterSec: null };
    return { type: 'Fixed', releaseAfterSec: this.duration(o.releaseAfter, `${field}.releaseAfter`) };
  }

  duration(v: unknown, field: string): number {
    const m = typeof v === 'string' && v !== '' ? DURATION.exec(v) : null;
    if (!m) this.fail(field, `${JSON.stringify(v)} is not a duration like 30m, 24h or 1h30m (hours, minutes, seconds in that order)`);
    const [, h, min, s] = m!;
    const sec = Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
    if (!Number.isSafeInteger(sec)) this.fail(field, `${JSON.stringify(v)} is too long`);
    if (sec === 0) this.fail(field, 'must be longer than 0 (leave it out to never release the address)');
    return sec;
  }
}

function nameOf(obj: unknown): string {
  const name = (obj as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' ? name : '';
}

/** The object's name, checked; the Reader to go on with. */
function start(obj: unknown): { r: Reader; o: Obj; name: string } {
  const name = nameOf(obj);
  const r = new Reader(podNetworkNameProblem(name) ? '' : name);
  const o = r.object(obj, '(object)');
  if (o.apiVersion !== undefined && o.apiVersion !== `${POD_NETWORK_RESOURCE.group}/${POD_NETWORK_RESOURCE.version}`) {
    r.fail('apiVersion', `must be ${POD_NETWORK_RESOURCE.group}/${POD_NETWORK_RESOURCE.version}, got ${JSON.stringify(o.apiVersion)}`);
  }
  if (o.kind !== undefined && o.kind !== POD_NETWORK_RESOURCE.kind) r.fail('kind', `must be ${POD_NETWORK_RESOURCE.kind}, got ${JSON.stringify(o.kind)}`);
  if (!r.network) r.fail('metadata.name', `${JSON.stringify(name)} is not a name (a DNS subdomain: lower-case letters, digits, - and ., at most 253)`);
  return { r, o, name };
}

function selectors(r: Reader, spec: Obj): Pick<PodNetworkSpec, 'podSelector' | 'namespaceSelector'> {
  const out: Pick<PodNetworkSpec, 'podSelector' | 'namespaceSelector'> = {};
  if (spec.podSelector !== undefined && spec.podSelector !== null) out.podSelector = r.selector(spec.podSelector, 'spec.podSelector');
  if (spec.namespaceSelector !== undefined && spec.namespaceSelector !== null)
    out.namespaceSelector = r.selector(spec.namespaceSelector, 'spec.namespaceSelector');
  if (!out.podSelector && !out.namespaceSelector) r.fail('spec', 'needs podSelector or namespaceSelector (or both; {} matches every pod)');
  return out;
}

/** A PodNetwork object from the API (metadata.name and spec; status ignored), every rule checked, defaults applied. */
export function parsePodNetwork(obj: unknown): PodNetworkRecord {
  const { r, o, name } = start(obj);
  const spec = r.object(o.spec, 'spec');
  r.known(spec, SPEC_KEYS, 'spec');
  const sel = selectors(r, spec);
  const subnets = r.subnets(spec.subnets, 'spec.subnets');
  if (spec.securityGroupIds === undefined || spec.securityGroupIds === null)
    r.fail('spec.securityGroupIds', `is required: 1 to ${MAX_SECURITY_GROUPS} security group ids`);
  const securityGroupIds = r.ids(spec.securityGroupIds, 'spec.securityGroupIds', 'security group id', 1, MAX_SECURITY_GROUPS);
  const mode = spec.mode ?? 'shared';
  if (mode !== 'shared' && mode !== 'exclusive') r.fail('spec.mode', `must be shared or exclusive, got ${JSON.stringify(mode)}`);
  const allocation = r.allocation(spec.allocation, 'spec.allocation');
  if (allocation.type === 'Fixed' && mode === 'exclusive')
    r.fail('spec.allocation.type', "Fixed needs mode shared (an exclusive pod's address is its ENI's primary address, which cannot move to another ENI)");
  return { name, spec: { ...sel, subnets, securityGroupIds, mode: mode as PodNetworkMode, allocation } };
}

/**
 * Only the selectors of a PodNetwork object, by the same rules: what an
 * object that fails elsewhere would still match, so that no pod it would
 * take goes to the default network while it is broken. Throws as parsePodNetwork.
 */
export function parsePodNetworkSelectors(obj: unknown): { name: string } & Pick<PodNetworkSpec, 'podSelector' | 'namespaceSelector'> {
  const { r, o, name } = start(obj);
  return { name, ...selectors(r, r.object(o.spec, 'spec')) };
}

/** Kubernetes' LabelSelector semantics: every matchLabels pair and every expression holds (`{}` matches everything; NotIn and DoesNotExist match an absent key). */
export function matchesSelector(sel: LabelSelector, labels: Record<string, string>): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (!has(k) || labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = has(e.key);
    const ok =
      e.operator === 'In'
        ? present && (e.values ?? []).includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !present || !(e.values ?? []).includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? present
            : !present;
    if (!ok) return false;
  }
  return true;
}
