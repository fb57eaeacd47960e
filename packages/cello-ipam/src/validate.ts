/**
 * Checking what comes in (documents on stdin, library requests) before it
 * reaches the database. The documents other tools also read (Import,
 * Surplus) are parsed by @cello/records, one rule set for every tool. Every error names the field, e.g.
 * `enis[0].ips[2]: "10.9.0.5" is outside subnetCidr 192.168.1.0/24`.
 */
import { parseImportDoc, parseSurplusDoc, RecordError } from '@cello/records';
import { InvalidInputError } from './errors.ts';
import type { AllocRequest, AllocationKey, ImportDoc, SurplusDoc } from './types.ts';

type Obj = Record<string, unknown>;

const fail = (field: string, problem: string): never => {
  throw new InvalidInputError(`${field}: ${problem}`);
};

function object(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be a JSON object');
  return v as Obj;
}

function text(o: Obj, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') fail(`${field}.${key}`, 'is required (a non-empty string)');
  return v as string;
}

function optionalText(o: Obj, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail(`${field}.${key}`, 'must be a string');
  return v as string;
}

/** A refusal of the shared parser (@cello/records) as cello-ipam's bad-input error. */
function asInvalidInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof RecordError) throw new InvalidInputError(err.message);
    throw err;
  }
}

/** An Import document (architecture.md "Import"), by @cello/records' rules. */
export const importDoc = (doc: unknown): ImportDoc => asInvalidInput(() => parseImportDoc(doc, 'import document'));

/** A Surplus-shaped document, as `forget` reads it, by @cello/records' rules. */
export const surplusDoc = (doc: unknown): SurplusDoc => asInvalidInput(() => parseSurplusDoc(doc, 'forget document'));

export function allocationKey(k: AllocationKey): AllocationKey {
  const o = object(k, 'request');
  return { network: text(o, 'network', 'request'), containerId: text(o, 'containerId', 'request'), ifname: text(o, 'ifname', 'request') };
}

export function allocRequest(r: AllocRequest): Required<AllocRequest> {
  const o = r as unknown as Obj;
  return {
    ...allocationKey(r),
    podNamespace: optionalText(o, 'podNamespace', 'request') ?? '',
    podName: optionalText(o, 'podName', 'request') ?? '',
    netns: optionalText(o, 'netns', 'request') ?? '',
  };
}
