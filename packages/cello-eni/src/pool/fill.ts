/**
 * Carrying out a fill plan: assigns to existing ENIs in parallel (one call per
 * ENI and family), then spare ENIs attached and new ENIs created, at most
 * maxConcurrentEniCreates at once. Each ENI is brought up (eni-up) and its
 * IPs imported as soon as it is ready, so pods can start on the first while
 * the next is still attaching. A subnet that answers InsufficientIpInSubnet
 * is held off and the create moves to the next subnet. Giving back (a
 * Surplus document released, then forgotten) is here too: both pools use it.
 */
import { attachEni, createAndAttach, freeEni } from '../lifecycle/eni.ts';
import { assignIps } from '../lifecycle/ips.ts';
import { releaseSurplus } from '../lifecycle/release.ts';
import { NoSubnetError, type SubnetPicker } from '../lifecycle/subnets.ts';
import type { EniMode, SurplusDoc } from '@cello/cello-ipam';
import type { CloudEni } from '../openapi/api.ts';
import { isSubnetFull } from '../openapi/errors.ts';
import { mapLimit } from '../util/map-limit.ts';
import { StoppedError } from '../util/sleep.ts';
import { keeperImportDoc, upAndImport } from './bring-up.ts';
import type { KeeperContext } from './context.ts';
import { noteCreating } from './fresh.ts';
import type { Assignment, FillPlan, NewEni } from './plan.ts';

export interface FillResult {
  /** Units that reached cello-ipam. */
  added: number;
  created: string[];
  adopted: string[];
  assigned: Array<{ eni: string; ips: string[]; ipv6s: string[] }>;
  errors: Error[];
}

async function assignOne(k: KeeperContext, a: Assignment, result: FillResult) {
  const rec = k.store.enis().find((e) => e.id === a.eniId);
  if (!rec) throw new Error(`${a.eniId} is no longer in cello-ipam`);
  try {
    const added = await assignIps(k, rec, a.v4, a.v6);
    k.store.import({ enis: [{ ...rec, ips: added.ips, ipv6s: added.ipv6s }] });
    result.assigned.push({ eni: a.eniId, ...added });
    result.added += a.units;
  } catch (err) {
    if (isSubnetFull(err) && rec.subnetId) k.picker.markFull(rec.subnetId);
    throw err;
  }
}

/** Attach a spare (an ENI of ours left Available); a failure frees it. */
async function adoptOne(k: KeeperContext, eni: CloudEni, units: number, result: FillResult) {
  try {
    const attached = await attachEni(k, eni.id, eni); // its record from the listing that found it: no describe first
    await upAndImport(k, await keeperImportDoc(k, attached.eni, { metadata: attached.metadata, device: attached.device.name }));
    result.adopted.push(eni.id);
    result.added += units;
  } catch (err) {
    if (!k.signal?.aborted && !(err instanceof StoppedError))
      await freeEni(k, eni.id).catch((e: unknown) => k.log.error('could not free a spare ENI', { eni: eni.id, error: e }));
    throw err;
  }
}

/** Where a new ENI goes and what it is: the default pool's (the config's subnets and groups), or a pod network's. */
export interface CreateTarget {
  picker: SubnetPicker;
  podNetwork?: { name: string; securityGroupIds: string[]; mode: EniMode };
}

/** Create, attach, bring up and import one ENI; a subnet that is full is held off and the next tried; a failure after the create frees it. */
export async function createOne(k: KeeperContext, n: NewEni, result: Pick<FillResult, 'created' | 'added'>, target: CreateTarget = { picker: k.picker }) {
  const { picker, podNetwork } = target;
  for (;;) {
    const subnet = await picker.pick({ ipv6: n.ipv6Count > 0 });
    noteCreating(k); // before the create: the next start must list the cloud (fresh.ts)
    let attached;
    try {
      attached = await createAndAttach(k, {
        subnetId: subnet.id,
        ipv4Count: n.ipv4Count,
        ipv6Count: n.ipv6Count,
        ...(podNetwork ? { podNetwork: { name: podNetwork.name, securityGroupIds: podNetwork.securityGroupIds } } : {}),
      });
    } catch (err) {
      if (!isSubnetFull(err)) {
        if (!k.signal?.aborted && !(err instanceof StoppedError)) picker.createFailed(); // the next pick looks at the subnets again
        throw err;
      }
      picker.markFull(subnet.id); // try the next subnet; pick() throws when none is left
      continue;
    }
    try {
      const facts = { metadata: attached.metadata, device: attached.device.name, ...(podNetwork ? { mode: podNetwork.mode } : {}) };
      await upAndImport(k, await keeperImportDoc(k, attached.eni, facts));
    } catch (err) {
      if (!k.signal?.aborted && !(err instanceof StoppedError))
        await freeEni(k, attached.eni.id).catch((e: unknown) => k.log.error('could not free the new ENI', { eni: attached.eni.id, error: e }));
      throw err;
    }
    result.created.push(attached.eni.id);
    result.added += n.units;
    return;
  }
}

export async function fill(k: KeeperContext, plan: FillPlan): Promise<FillResult> {
  const result: FillResult = { added: 0, created: [], adopted: [], assigned: [], errors: [] };
  const collect = (settled: PromiseSettledResult<unknown>[]) => {
    for (const s of settled) if (s.status === 'rejected') result.errors.push(s.reason as Error);
  };
  collect(await mapLimit(plan.assign, plan.assign.length || 1, (a) => assignOne(k, a, result)));
  const enis: Array<() => Promise<void>> = [
    ...plan.adopt.map(
      ({ eni, units }) =>
        () =>
          adoptOne(k, eni, units, result),
    ),
    ...plan.create.map((n) => () => createOne(k, n, result)),
  ];
  collect(await mapLimit(enis, k.config.maxConcurrentEniCreates, (run) => run()));
  const stop = result.errors.find((e) => k.signal?.aborted || e instanceof StoppedError);
  if (stop) throw stop;
  for (const e of result.errors) if (!(e instanceof NoSubnetError)) k.log.error('adding to the pool failed', { error: e });
  return result;
}

/** Give back what a Surplus document lists, forget what the cloud no longer has; errors are collected. */
export async function giveBack(k: KeeperContext, doc: SurplusDoc, released: SurplusDoc, errors: string[]) {
  if (!doc.enis.length) return;
  const r = await releaseSurplus(k, doc);
  const forgotten = k.store.forget(r.removed);
  released.enis.push(...forgotten.enis);
  for (const f of r.failed) errors.push(`${f.id}: ${f.error.message}`);
  if (forgotten.enis.length) k.log.info('gave back to the cloud', { released: forgotten.enis });
}
