/** Turning command-line flags and input documents into library arguments. */
import { UsageError } from '@cello/cli-kit';
import { familyOf, parseCidr } from '@cello/records';
import { inputError } from '../errors.ts';
import type { UpEni } from '../eni-up.ts';
import type { Bandwidth } from '../types.ts';
import { parseAllocation, parseBandwidth, parseEni } from '../validate.ts';

const SI: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** `10M` → 10000000 (SI, as Kubernetes' bandwidth annotations); plain numbers pass through. */
export function quantity(flag: string, text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:bit)?$/i.exec(String(text).trim());
  if (!m) throw new UsageError(`--${flag}: "${text}" is not a quantity like 10M (bits, SI suffixes k M G T)`);
  return Math.round(Number(m[1]) * SI[m[2]!.toLowerCase()]!);
}

export interface BandwidthFlags {
  'ingress-rate'?: string;
  'ingress-burst'?: string;
  'egress-rate'?: string;
  'egress-burst'?: string;
}

export function bandwidthFromFlags(a: BandwidthFlags): Bandwidth | undefined {
  for (const dir of ['ingress', 'egress'] as const) {
    if (Boolean(a[`${dir}-rate`]) !== Boolean(a[`${dir}-burst`])) throw new UsageError(`--${dir}-rate and --${dir}-burst go together`);
  }
  const raw: Record<string, number> = {};
  for (const [flag, key] of [
    ['ingress-rate', 'ingressRate'],
    ['ingress-burst', 'ingressBurst'],
    ['egress-rate', 'egressRate'],
    ['egress-burst', 'egressBurst'],
  ] as const) {
    const v = quantity(flag, a[flag]);
    if (v !== undefined) raw[key] = v;
  }
  return Object.keys(raw).length ? parseBandwidth(raw, '--bandwidth flags') : undefined;
}

/** eni-up takes an EniRecord, an allocation (its `eni`), or an import document `{enis: [...]}`. */
export function enisFromInput(doc: unknown): UpEni[] {
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (Array.isArray(o.enis)) return o.enis.map((e, i) => parseEni(e, `enis[${i}]`));
    if (o.containerId !== undefined) return [parseAllocation(doc).eni];
  }
  if (Array.isArray(doc)) return doc.map((e, i) => parseEni(e, `[${i}]`));
  return [parseEni(doc, 'eni')];
}

/** A repeatable --host-ip / --redirect-to-host-cidr flag, checked. */
export function addressList(flag: string, value: string | string[] | undefined, cidr: boolean): string[] | undefined {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    const ok = cidr ? parseCidr(v) !== undefined : familyOf(v) !== undefined;
    if (!ok) throw inputError(`--${flag}`, `"${v}" is not ${cidr ? 'a CIDR' : 'an IP address'}`);
  }
  return values;
}

/** --mtu, checked. */
export function mtuFlag(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 68 || value > 65535) throw inputError('--mtu', 'must be a whole number from 68 to 65535');
  return value;
}
