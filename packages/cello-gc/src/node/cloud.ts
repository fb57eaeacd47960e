/**
 * Step 3 of the node sweep: this instance's ENIs in the cloud against
 * cello-ipam. The ENIs are those tagged for this instance (cello-eni's tag
 * scheme), listed with every page.
 *
 * - An ENI of ours that is Available (detached) and unknown to cello-ipam —
 *   a keeper killed between create and attach, a failed rollback — is
 *   deleted once its UpdatedAt/CreatedAt is older than the grace period (the
 *   cloud's own clock, as upstream's hourly sweep).
 * - An ENI of ours attached here that cello-ipam does not know is adopted:
 *   eni-up, then import (what the keeper does after an attach). While a
 *   keeper runs, one attached less than waitTimeoutSec ago is left to it:
 *   it is most likely between that attach and its own bring-up.
 * - An IP the cloud assigned to one of our ENIs that cello-ipam does not know
 *   is adopted as free (import) or given back (unassign), as configured.
 *
 * Adopting only adds, and each adoption looks again first — cello-ipam, then
 * the cloud — so it is safe beside a running keeper. Deleting and
 * unassigning are not (the keeper may be between an assign and its import,
 * or about to attach a spare): they run only while gc holds the keeper's node
 * lock, i.e. while no keeper runs; a running keeper reconciles these itself.
 */
import { randomUUID } from 'node:crypto';
import type { EniRecord, IpamStore } from '@cello/cello-ipam';
import { type CloudEni, deviceByMac, type EniContext, importDocFor, metadataEni, ownedFilter, upAndImport } from '@cello/cello-eni';
import { lastChange } from '../eni-time.ts';
import { type Ledger, register, settle, Skip, skipped } from '../ledger.ts';

export type UnknownIpPolicy = 'adopt' | 'unassign';

export interface NodeCloudOptions {
  unknownIps: UnknownIpPolicy;
  /** gc holds the keeper lock: deleting and unassigning are allowed. */
  exclusive: boolean;
}

const KEEPER_NOTE = 'a pool keeper is running on this node: it reconciles its own ENIs and IPs (gc deletes and unassigns only while no keeper runs)';

export async function sweepNodeCloud(l: Ledger, store: IpamStore, ctx: EniContext, opts: NodeCloudOptions): Promise<void> {
  const me = ctx.identity.instanceId;
  const cloud = await ctx.api.listEnis({ tags: ownedFilter(ctx.config, me) });
  const known = new Map(store.enis().map((e) => [e.id, e]));

  for (const e of cloud) {
    if (e.id === ctx.identity.primaryEniId || e.type === 'primary') continue;
    if (e.status === 'Available' && !known.has(e.id)) {
      const c = { kind: 'eni-detached' as const, id: e.id, reason: `tagged for ${me}, detached and unknown to cello-ipam`, action: 'delete' };
      if (!opts.exclusive) {
        skipped(l, c, KEEPER_NOTE);
        continue;
      }
      const { finding, due } = register(l, { ...c, since: lastChange(e) ?? l.now, sinceOnly: true });
      await settle(l, finding, due, () => deleteDetached(ctx, store, e.id));
    } else if (e.status === 'InUse' && e.instanceId === me && !known.has(e.id)) {
      const { finding, due } = register(l, {
        kind: 'eni-unknown',
        id: e.id,
        reason: `attached to ${me} and tagged ours, but cello-ipam does not know it`,
        action: 'adopt',
      });
      await settle(l, finding, due, () => adoptEni(ctx, store, e.id, opts.exclusive));
    } else if (e.status === 'InUse' && e.instanceId === me) {
      await sweepUnknownIps(l, store, ctx, e, known.get(e.id)!, opts);
    }
  }
  l.seen.finish('eni-');
  l.seen.finish('ip-');
}

async function deleteDetached(ctx: EniContext, store: IpamStore, id: string): Promise<void> {
  if (store.enis().some((e) => e.id === id)) throw new Skip('cello-ipam knows it now');
  const now = await ctx.api.describeEni(id);
  if (!now) return;
  if (now.status !== 'Available') throw new Skip(`it is ${now.status} now`);
  await ctx.api.deleteEni(id);
}

/** Adopt an attached ENI cello-ipam does not know: what the keeper does after an attach (cello-eni's upAndImport: eni-up, import). */
async function adoptEni(ctx: EniContext, store: IpamStore, id: string, exclusive: boolean): Promise<void> {
  if (store.enis().some((e) => e.id === id)) throw new Skip('cello-ipam knows it now');
  const eni = await ctx.api.describeEni(id);
  if (eni?.status !== 'InUse' || eni.instanceId !== ctx.identity.instanceId)
    throw new Skip(`it is ${eni ? `${eni.status} on ${eni.instanceId || 'no instance'}` : 'gone'} now`);
  // Within waitTimeoutSec of its attach, a missing device or metadata entry is the attach still settling.
  const settling = Date.now() - (lastChange(eni)?.getTime() ?? 0) < ctx.config.waitTimeoutSec * 1000;
  // A keeper running here is most likely between this attach and its own bring-up: leave it the ENI (its reconcile adopts it too).
  if (settling && !exclusive) throw new Skip('attached moments ago: the pool keeper running here brings it up');
  const notYet = (what: string) => (settling ? new Skip(`${what} yet (attached moments ago)`) : new Error(what));
  const device = deviceByMac(eni.mac);
  if (!device) throw notYet(`no device with MAC ${eni.mac} on this host`);
  const metadata = await metadataEni(ctx.metadata, eni.mac, ctx.signal);
  if (!metadata) throw notYet(`the metadata service does not show ${eni.mac}`);
  await upAndImport({ ...ctx, store }, await importDocFor(ctx, eni, { metadata, device: device.name }));
}

async function sweepUnknownIps(l: Ledger, store: IpamStore, ctx: EniContext, e: CloudEni, record: EniRecord, opts: NodeCloudOptions): Promise<void> {
  const knownIps = new Set(
    store
      .ips()
      .filter((r) => r.eniId === e.id)
      .map((r) => r.ip),
  );
  const v6 = ctx.config.ipFamily !== 'ipv4';
  const unknown = [e.primaryIp, ...e.ips, ...(v6 ? e.ipv6s : [])].filter((ip) => ip && !knownIps.has(ip));
  for (const ip of unknown) {
    const c = {
      kind: 'ip-unknown' as const,
      id: `${ip} on ${e.id}`,
      reason: 'assigned by the cloud, unknown to cello-ipam',
      action: opts.unknownIps === 'unassign' && ip !== e.primaryIp ? 'unassign' : 'adopt',
    };
    if (c.action === 'unassign' && !opts.exclusive) {
      skipped(l, c, KEEPER_NOTE);
      continue;
    }
    const { finding, due } = register(l, c);
    await settle(l, finding, due, async () => {
      if (store.ips().some((r) => r.ip === ip)) throw new Skip('cello-ipam knows it now');
      const now = await ctx.api.describeEni(e.id);
      const family = ip.includes(':') ? 6 : 4;
      const held = family === 4 ? [now?.primaryIp, ...(now?.ips ?? [])] : (now?.ipv6s ?? []);
      if (!now || now.instanceId !== ctx.identity.instanceId || !held.includes(ip)) throw new Skip('the cloud no longer has it on this ENI here');
      if (c.action === 'adopt') {
        const { routeTable: _table, ...fields } = record;
        store.import({ enis: [{ ...fields, ips: family === 4 ? [ip] : [], ipv6s: family === 6 ? [ip] : [] }] });
      } else {
        await unassign(ctx, e.id, ip, family);
      }
    });
  }
}

async function unassign(ctx: EniContext, eniId: string, ip: string, family: 4 | 6): Promise<void> {
  if (family === 4) await ctx.api.unassignIpv4(eniId, [ip], randomUUID());
  else await ctx.api.unassignIpv6(eniId, [ip], randomUUID());
}
