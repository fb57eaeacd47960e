/**
 * An ENI's life in the cloud, each step waiting for the state it leads to
 * (polling, never a fixed sleep) and undoing what it made when a later step
 * fails:
 *
 *   create → Available → attach → InUse → device on the host and in metadata
 *   free   = detach → Available → delete
 *
 * A stop signal (SIGTERM) is not a failure: nothing is rolled back and the
 * next keeper start adopts or deletes what was left (tags say whose it is).
 */
import { randomUUID } from 'node:crypto';
import type { EniContext } from '../context.ts';
import type { CloudEni, EniStatus } from '../openapi/api.ts';
import { OpenApiError } from '../openapi/errors.ts';
import { metadataEni, type MetadataEni } from '../metadata/instance.ts';
import { StoppedError } from '../util/sleep.ts';
import { deviceByMac, type HostDevice } from './host.ts';
import { assignIps } from './ips.ts';
import { ENI_DESCRIPTION, newEniTags } from './tags.ts';
import { statusBoard } from './status.ts';
import { WaitFailed, waitFor } from './wait.ts';

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

const stopped = (ctx: Pick<EniContext, 'signal'>, err: unknown) => ctx.signal?.aborted === true || err instanceof StoppedError;

/**
 * Poll until the ENI has `status` (and, for InUse, is attached to `instanceId`).
 * The first poll waits the `wait` class's first step (the cloud is never
 * there at once), and every poll is shared with the process's other waiters
 * (status.ts): one describe answers them all.
 */
export async function waitEniStatus(ctx: EniContext, id: string, status: EniStatus, instanceId?: string): Promise<CloudEni> {
  let last = 'not seen yet';
  const board = statusBoard(ctx.api);
  return waitFor(
    ctx,
    `${id} to be ${status}`,
    async () => {
      const eni = await board.read(id);
      // Not found: gone, or not visible yet right after a create (the cloud is eventually consistent); polled again either way.
      last = eni ? `it is ${eni.status}${eni.instanceId ? ` on ${eni.instanceId}` : ''}` : 'the cloud does not know it';
      if (!eni) return undefined;
      return eni.status === status && (!instanceId || eni.instanceId === instanceId) ? eni : undefined;
    },
    { lastSeen: () => last, firstDelayMs: ctx.config.backoff.wait.initialMs },
  );
}

/**
 * Secondary addresses one CreateNetworkInterface may carry per family: the
 * documented 1–49 of SecondaryPrivateIpAddressCount (an unattached ENI holds
 * at most 49). No source gives Ipv6AddressCount's bound; Cello assumes the
 * same 49 and assigns any IPv6s beyond it after the attach, when the instance
 * type's limit applies (docs/volcengine-api.md, CreateNetworkInterface).
 */
export const MAX_SECONDARIES_PER_CREATE = 49;

export interface CreateRequest {
  subnetId: string;
  /** IPv4s on the new ENI, its primary included (≥ 1). */
  ipv4Count: number;
  ipv6Count: number;
  /** Reuse a token to make a retried create return the same ENI. */
  clientToken?: string;
  /** An ENI of this PodNetwork: its security groups instead of the config's, and its tag. */
  podNetwork?: { name: string; securityGroupIds: string[] };
}

/** Create an ENI with its IPs in one call and wait until it is Available; a failed wait deletes it. */
export async function createEni(ctx: EniContext, r: CreateRequest): Promise<CloudEni> {
  const { config, identity } = ctx;
  const id = await ctx.api.createEni({
    subnetId: r.subnetId,
    securityGroupIds: r.podNetwork?.securityGroupIds ?? config.securityGroups,
    secondaryCount: Math.min(MAX_SECONDARIES_PER_CREATE, Math.max(0, r.ipv4Count - 1)),
    ipv6Count: Math.min(MAX_SECONDARIES_PER_CREATE, r.ipv6Count),
    tags: newEniTags(config, identity.instanceId, r.podNetwork?.name),
    description: ENI_DESCRIPTION,
    clientToken: r.clientToken ?? randomUUID(),
  });
  ctx.log.info('created ENI', { eni: id, subnetId: r.subnetId, ipv4Count: r.ipv4Count, ipv6Count: r.ipv6Count, podNetwork: r.podNetwork?.name });
  try {
    return await waitEniStatus(ctx, id, 'Available');
  } catch (err) {
    if (!stopped(ctx, err)) await deleteQuietly(ctx, id, err);
    throw err;
  }
}

export interface AttachedEni {
  eni: CloudEni;
  device: HostDevice;
  metadata: MetadataEni;
}

/** Wait until the host has a device with the ENI's MAC and the metadata service shows the ENI. */
export async function waitOnHost(ctx: EniContext, eni: CloudEni): Promise<{ device: HostDevice; metadata: MetadataEni }> {
  const device = await waitFor(ctx, `a device with MAC ${eni.mac} (${eni.id}) on this host`, async () => deviceByMac(eni.mac));
  const metadata = await waitFor(ctx, `the metadata service to show ${eni.id} (${eni.mac})`, async () => {
    const m = await metadataEni(ctx.metadata, eni.mac, ctx.signal);
    return m && m.id === eni.id ? m : undefined;
  });
  return { device, metadata };
}

/** How often an attach that metadata does not show yet is checked in the cloud (did it fail?). */
const ATTACH_CLOUD_CHECK_MS = 5_000;

/**
 * Wait for an attach where the node sees it for free: the metadata service
 * lists an ENI once it is InUse on this instance (a failed attach never shows
 * there). The cloud is read only when metadata has not shown it for
 * ATTACH_CLOUD_CHECK_MS, to notice an attach that failed (the ENI Available
 * again, or on another instance) — so a quiet attach costs no OpenAPI read,
 * and metadata lag costs time, not reads.
 */
async function waitAttached(ctx: EniContext, eni: CloudEni): Promise<{ eni: CloudEni; device: HostDevice; metadata: MetadataEni }> {
  const { instanceId } = ctx.identity;
  let checkedAt = Date.now();
  let last = 'not in metadata yet';
  let inUse: CloudEni | undefined;
  const metadata = await waitFor(
    ctx,
    `${eni.id} (${eni.mac}) to be attached: InUse and shown by the metadata service`,
    async () => {
      const m = await metadataEni(ctx.metadata, eni.mac, ctx.signal);
      if (m && m.id === eni.id) return m;
      if (Date.now() - checkedAt < ATTACH_CLOUD_CHECK_MS) return undefined;
      checkedAt = Date.now();
      const now = await statusBoard(ctx.api).read(eni.id);
      if (!now) throw new WaitFailed(`${eni.id} is gone while attaching`);
      if (now.instanceId && now.instanceId !== instanceId) throw new WaitFailed(`${eni.id} is attached to ${now.instanceId}, not this instance`);
      if (now.status === 'Available' || now.status === 'Deleting') throw new WaitFailed(`the attach of ${eni.id} failed: it is ${now.status}`);
      if (now.status === 'InUse') inUse = now;
      last = `the cloud says ${now.status}; metadata does not show it yet`;
      return undefined;
    },
    { lastSeen: () => last, firstDelayMs: ctx.config.backoff.wait.initialMs },
  );
  const device = await waitFor(ctx, `a device with MAC ${eni.mac} (${eni.id}) on this host`, async () => deviceByMac(eni.mac));
  // What the attach changed in the record; the rest (IPs, subnet, tags) is the record from before it.
  return { eni: inUse ?? { ...eni, status: 'InUse', instanceId }, device, metadata };
}

/**
 * Attach an Available ENI to this instance and wait until it is InUse, on the
 * host and in metadata. `known` is its record from just before (a create's
 * wait); without it the ENI is described once. A failure after the attach
 * call detaches it again (the ENI itself stays: whoever created it decides).
 */
export async function attachEni(ctx: EniContext, id: string, known?: CloudEni): Promise<AttachedEni> {
  const { instanceId } = ctx.identity;
  const before = known ?? (await ctx.api.describeEni(id));
  if (!before) throw new LifecycleError(`${id}: the cloud has no such ENI`);
  try {
    await ctx.api.attachEni(id, instanceId, ctx.config.deleteEniOnTermination);
  } catch (err) {
    // A retried attach whose first try went through finds the ENI already ours.
    const now = err instanceof OpenApiError && err.code === 'InvalidEni.InvalidStatus' ? await ctx.api.describeEni(id) : undefined;
    if (!now || now.instanceId !== instanceId) throw err;
  }
  ctx.log.info('attaching ENI', { eni: id, instanceId });
  try {
    const attached = await waitAttached(ctx, before);
    ctx.log.info('ENI attached', { eni: id, device: attached.device.name, mac: before.mac });
    return attached;
  } catch (err) {
    if (!stopped(ctx, err)) {
      await detachEni(ctx, id).catch((e: unknown) => ctx.log.error('could not detach the ENI after a failed attach', { eni: id, error: e }));
    }
    throw err;
  }
}

/**
 * Create and attach; IPv6s past what a create may carry are assigned once
 * attached. Anything failing after the create frees the ENI again.
 */
export async function createAndAttach(ctx: EniContext, r: CreateRequest): Promise<AttachedEni> {
  const eni = await createEni(ctx, r);
  try {
    const attached = await attachEni(ctx, eni.id, eni);
    const rest = r.ipv6Count - Math.min(MAX_SECONDARIES_PER_CREATE, r.ipv6Count);
    if (rest <= 0) return attached;
    const added = await assignIps(ctx, attached.eni, 0, rest);
    return { ...attached, eni: { ...attached.eni, ipv6s: [...attached.eni.ipv6s, ...added.ipv6s] } };
  } catch (err) {
    if (!stopped(ctx, err))
      await freeEni(ctx, eni.id).catch((e: unknown) => ctx.log.error('could not free the ENI after a failed attach', { eni: eni.id, error: e }));
    throw err;
  }
}

/** Detach from this instance and wait until Available. Not attached (or gone) is success. */
export async function detachEni(ctx: EniContext, id: string): Promise<CloudEni | undefined> {
  const before = await ctx.api.describeEni(id);
  if (!before) return undefined;
  refusePrimary(ctx, before);
  if (before.instanceId && before.instanceId !== ctx.identity.instanceId) {
    throw new LifecycleError(`${id} is attached to ${before.instanceId}, not this instance ${ctx.identity.instanceId}`);
  }
  if (before.status === 'Available') return before;
  if (before.status === 'Deleting') return undefined;
  if (before.status === 'InUse' || before.status === 'Attaching') {
    const r = await ctx.api.detachEni(id, ctx.identity.instanceId);
    if (r.okCode === 'InvalidEniId.NotFound') return undefined;
  }
  ctx.log.info('detaching ENI', { eni: id });
  return waitEniStatus(ctx, id, 'Available');
}

/** Give an ENI back: detach (if attached), wait Available, delete. Gone already is success. */
export async function freeEni(ctx: EniContext, id: string): Promise<void> {
  const eni = await detachEni(ctx, id);
  if (!eni) return;
  const r = await ctx.api.deleteEni(id);
  ctx.log.info(r.okCode ? 'ENI was already gone' : 'deleted ENI', { eni: id });
}

function refusePrimary(ctx: EniContext, eni: CloudEni) {
  if (eni.type === 'primary' || eni.id === ctx.identity.primaryEniId) {
    throw new LifecycleError(`${eni.id} is this instance's primary ENI; Cello never detaches or deletes it`);
  }
}

async function deleteQuietly(ctx: EniContext, id: string, cause: unknown) {
  ctx.log.warn('rolling back: deleting the ENI', { eni: id, cause });
  await freeEni(ctx, id).catch((e: unknown) =>
    ctx.log.error('rollback failed; the ENI stays until the keeper or cello-gc deletes it (it carries our tags)', { eni: id, error: e }),
  );
}
