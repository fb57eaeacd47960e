/**
 * Giving addresses back, from cello-ipam's Surplus document: IPs are
 * unassigned (waiting until metadata drops them), `whole` ENIs detached and
 * deleted. Returns what the cloud no longer has, in the same shape, for
 * `cello-ipam forget` — an ENI that turns out to be gone is reported whole.
 * One ENI failing does not stop the others; its entries stay `releasing` in
 * cello-ipam and the next round tries again.
 */
import type { SurplusDoc, SurplusEni } from '@cello/cello-ipam';
import type { EniContext } from '../context.ts';
import { StoppedError } from '../util/sleep.ts';
import { freeEni } from './eni.ts';
import { unassignIps } from './ips.ts';

export interface ReleaseResult {
  removed: SurplusDoc;
  failed: Array<{ id: string; error: Error }>;
}

async function releaseOne(ctx: EniContext, e: SurplusEni): Promise<SurplusEni> {
  if (e.whole) {
    await freeEni(ctx, e.id);
    return { ...e, whole: true };
  }
  const eni = await ctx.api.describeEni(e.id);
  if (!eni) return { ...e, whole: true };
  const removed = await unassignIps(ctx, eni, e.ips, e.ipv6s, { waitMetadata: eni.instanceId === ctx.identity.instanceId });
  return { id: e.id, ips: removed.ips, ipv6s: removed.ipv6s, whole: false };
}

export async function releaseSurplus(ctx: EniContext, doc: SurplusDoc): Promise<ReleaseResult> {
  const result: ReleaseResult = { removed: { enis: [] }, failed: [] };
  for (const e of doc.enis) {
    try {
      result.removed.enis.push(await releaseOne(ctx, e));
    } catch (err) {
      if (ctx.signal?.aborted || err instanceof StoppedError) throw err;
      ctx.log.error('could not give back; it stays releasing and the next round tries again', { eni: e.id, error: err });
      result.failed.push({ id: e.id, error: err as Error });
    }
  }
  return result;
}
