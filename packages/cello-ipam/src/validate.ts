/**
 * Checking what comes in (documents on stdin, library requests) before it
 * reaches the database. The records other tools also read (Import,
 * Surplus, the allocation key) are parsed by @cello/records, one rule set
 * for every tool. Every error names the field, e.g.
 * `enis[0].ips[2]: "10.9.0.5" is outside subnetCidr 192.168.1.0/24`.
 */
import { UsageError } from '@cello/cli-kit';
import { parseAllocationKey, parseImportDoc, parseSurplusDoc, podNetworkNameProblem } from '@cello/records';
import type { AllocRequest, AllocationKey, ImportDoc, SurplusDoc } from './types.ts';

/** An Import document (architecture.md "Import"), by @cello/records' rules. */
export const importDoc = (doc: unknown): ImportDoc => parseImportDoc(doc, 'import document');

/** A Surplus-shaped document, as `forget` reads it, by @cello/records' rules. */
export const surplusDoc = (doc: unknown): SurplusDoc => parseSurplusDoc(doc, 'forget document');

/** The CNI triple of a request, by @cello/records' rules. */
export const allocationKey = (k: AllocationKey): AllocationKey => parseAllocationKey(k, 'request');

/** A pod field of a request: a string, '' when not given. */
function podField(r: AllocRequest, key: 'podNamespace' | 'podName' | 'netns' | 'podNetwork'): string {
  const v: unknown = r[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new UsageError(`request.${key}: must be a string`);
  return v;
}

/** An allocation request: the triple, and the pod's names, netns and pod network ('' when not given). */
export function allocRequest(r: AllocRequest): Required<AllocRequest> {
  const podNetwork = podField(r, 'podNetwork');
  const problem = podNetwork && podNetworkNameProblem(podNetwork);
  if (problem) throw new UsageError(`request.podNetwork: ${problem}`);
  return { ...allocationKey(r), podNamespace: podField(r, 'podNamespace'), podName: podField(r, 'podName'), netns: podField(r, 'netns'), podNetwork };
}
