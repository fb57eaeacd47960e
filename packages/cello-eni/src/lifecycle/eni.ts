/**
 * An ENI's life in the cloud, each step waiting for the state it leads to
 * (polling, never a fixed sleep) and undoing what it made when a later step
 * fails:
 *
 *   create → Available → attach → InUse → device on the host and in metadata
 *   free   = detach → Available → delete
 *
 * The pool's IPv4 creates (createAndAttach) do not read the create's
 * Available in the cloud: AttachNetworkInterface checks it itself and
 * refuses any other state with InvalidEni.InvalidStatus
 * (docs/volcengine-api.md, ENI states), so the attach is sent after the
 * `wait` class's first step — the pause the status poll waited before its
 * first read — and the record the poll gave (MAC, addresses) is read where
 * the node sees it for free, the metadata service, once the ENI shows
 * there with every secondary address it was created with. A create slower
 * than that pause costs one refused attach, then the ENI is polled until
 * Available as before and attached again (never the client's blind retries
 * of a refused write). IPv6 creates poll for Available: the metadata
 * service has no IPv6 addresses.
 *
 * A stop signal (SIGTERM) is not a failure: nothing is rolled back and the
 * next keeper start adopts or deletes what was left (tags say whose it is).
 */
import { randomUUID } from 'node:crypto';
import type { EniContext } from '../context.ts';
import type { CloudEni, EniStatus, Tag } from '../openapi/api.ts';
import { OpenApiError } from '../openapi/errors.ts';
import { attachedMacs, metadataEni, type MetadataEni } from '../metadata/instance.ts';
import { sleep, StoppedError } from '../util/sleep.ts';
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

/** What a create asked for: enough to know the ENI without describing it. */
interface Created {
  id: string;
  subnetId: string;
  secondaryCount: number;
  securityGroupIds: string[];
  tags: Tag[];
}

/** One CreateNetworkInterface with the ENI's IPs; the cloud has it Creating. */
async function createCall(ctx: EniContext, r: CreateRequest): Promise<Created> {
  const { config, identity } = ctx;
  const made = {
    subnetId: r.subnetId,
    securityGroupIds: r.podNetwork?.securityGroupIds ?? config.securityGroups,
    secondaryCount: Math.min(MAX_SECONDARIES_PER_CREATE, Math.max(0, r.ipv4Count - 1)),
    tags: newEniTags(config, identity.instanceId, r.podNetwork?.name),
  };
  const id = await ctx.api.createEni({
    ...made,
    ipv6Count: Math.min(MAX_SECONDARIES_PER_CREATE, r.ipv6Count),
    description: ENI_DESCRIPTION,
    clientToken: r.clientToken ?? randomUUID(),
  });
  ctx.log.info('created ENI', { eni: id, subnetId: r.subnetId, ipv4Count: r.ipv4Count, ipv6Count: r.ipv6Count, podNetwork: r.podNetwork?.name });
  return { id, ...made };
}

/** Create an ENI with its IPs in one call and wait until it is Available; a failed wait deletes it. */
export async function createEni(ctx: EniContext, r: CreateRequest): Promise<CloudEni> {
  const { id } = await createCall(ctx, r);
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
 * The ENI in the metadata service: by its MAC when known, else found among
 * the interfaces the service lists (`macIds` remembers each MAC's ENI across
 * polls: a MAC belongs to one ENI). Undefined while it does not show;
 * `complete` once it shows at least `secondaries` secondary IPv4s (metadata
 * items lag one by one).
 */
async function metadataOf(
  ctx: EniContext,
  id: string,
  want: { mac?: string; secondaries?: number },
  macIds: Map<string, string>,
): Promise<{ m: MetadataEni; complete: boolean } | undefined> {
  let mac = want.mac;
  if (!mac) {
    for (const m of await attachedMacs(ctx.metadata, ctx.signal)) {
      if (m === ctx.identity.primaryMac || macIds.has(m)) continue;
      const found = await ctx.metadata.tryGet(`network/interfaces/macs/${m}/network_interface_id`, ctx.signal);
      if (found !== undefined) macIds.set(m, found.trim());
    }
    mac = [...macIds].find(([, v]) => v === id)?.[0];
    if (!mac) return undefined;
  }
  const m = await metadataEni(ctx.metadata, mac, ctx.signal);
  if (!m || m.id !== id || !m.primaryIp) return undefined;
  // The service may or may not list the primary among private_ipv4s (docs/volcengine-api.md): counted without it.
  const secondaries = m.privateIpv4s.filter((ip) => ip !== m.primaryIp);
  return { m, complete: secondaries.length >= (want.secondaries ?? 0) };
}

/**
 * Wait for an attach where the node sees it for free: the metadata service
 * lists an ENI once it is InUse on this instance (a failed attach never shows
 * there). The cloud is read only when metadata has not shown it for
 * ATTACH_CLOUD_CHECK_MS, to notice an attach that failed (the ENI Available
 * again, or on another instance) — so a quiet attach costs no OpenAPI read,
 * and metadata lag costs time, not reads. Waiting for a new ENI's addresses
 * in metadata (`secondaries`) ends too once that read found it InUse: its
 * record has them, whatever metadata lists.
 */
async function waitAttached(
  ctx: EniContext,
  id: string,
  want: { mac?: string; secondaries?: number },
): Promise<{ metadata: MetadataEni; device: HostDevice; inUse?: CloudEni }> {
  const { instanceId } = ctx.identity;
  let checkedAt = Date.now();
  let last = 'not in metadata yet';
  let inUse: CloudEni | undefined;
  const macIds = new Map<string, string>();
  const metadata = await waitFor(
    ctx,
    `${id}${want.mac ? ` (${want.mac})` : ''} to be attached: InUse and shown by the metadata service`,
    async () => {
      const found = await metadataOf(ctx, id, want, macIds);
      // Shown with every address, or shown at all once the cloud's record (which has them) says InUse.
      if (found && (found.complete || inUse)) return found.m;
      if (Date.now() - checkedAt < ATTACH_CLOUD_CHECK_MS) return undefined;
      checkedAt = Date.now();
      const now = await statusBoard(ctx.api).read(id);
      if (!now) throw new WaitFailed(`${id} is gone while attaching`);
      if (now.instanceId && now.instanceId !== instanceId) throw new WaitFailed(`${id} is attached to ${now.instanceId}, not this instance`);
      if (now.status === 'Available' || now.status === 'Deleting') throw new WaitFailed(`the attach of ${id} failed: it is ${now.status}`);
      if (now.status === 'InUse') inUse = now;
      last = `the cloud says ${now.status}; metadata does not show it${want.secondaries ? ` with its ${want.secondaries} secondary IPs` : ''} yet`;
      return undefined;
    },
    { lastSeen: () => last, firstDelayMs: ctx.config.backoff.wait.initialMs },
  );
  const device = await waitFor(ctx, `a device with MAC ${metadata.mac} (${id}) on this host`, async () => deviceByMac(metadata.mac));
  return { metadata, device, ...(inUse ? { inUse } : {}) };
}

/**
 * Attach an Available ENI to this instance and wait until it is InUse, on the
 * host and in metadata. `known` is its record from just before (a create's
 * wait, the listing that found a spare: the attach itself checks that it is
 * still Available); without it the ENI is described once. A failure after the attach
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
    const { metadata, device, inUse } = await waitAttached(ctx, id, { mac: before.mac });
    ctx.log.info('ENI attached', { eni: id, device: device.name, mac: before.mac });
    // What the attach changed in the record; the rest (IPs, subnet, tags) is the record from before it.
    return { eni: inUse ?? { ...before, status: 'InUse', instanceId }, device, metadata };
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
  if (r.ipv6Count <= 0) return createAndAttachV4(ctx, r);
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

/** The longest a learned create time may make the pause before an attach. */
const MAX_CREATE_PAUSE_MS = 10_000;
/** How long creates took in this process when one outlasted the pause (0: none has). */
let learnedCreateMs = 0;

/**
 * An IPv4 create attached without reading its Available (see the header):
 * the attach after the `wait` class's first step; refused as not Available
 * yet, the ENI is polled until it is and attached again, and the time it
 * took becomes the pause of this process's next creates (so a slow cloud
 * costs a refused attach once, not on every create). Its record is the
 * request's and metadata's. Anything failing after the create frees it.
 */
async function createAndAttachV4(ctx: EniContext, r: CreateRequest): Promise<AttachedEni> {
  const made = await createCall(ctx, r);
  const { id } = made;
  const { instanceId, zone, vpcId } = ctx.identity;
  const created = Date.now();
  try {
    await sleep(Math.max(ctx.config.backoff.wait.initialMs, learnedCreateMs), ctx.signal);
    try {
      await ctx.api.client.call(
        'AttachNetworkInterface',
        { NetworkInterfaceId: id, InstanceId: instanceId, DeleteOnTermination: ctx.config.deleteEniOnTermination || undefined },
        { signal: ctx.signal, failOn: ['InvalidEni.InvalidStatus'] },
      );
    } catch (err) {
      if (!(err instanceof OpenApiError && err.code === 'InvalidEni.InvalidStatus')) throw err;
      ctx.log.info('the new ENI is not Available yet; waiting for it before attaching again', { eni: id });
      const available = await waitEniStatus(ctx, id, 'Available');
      learnedCreateMs = Math.min(MAX_CREATE_PAUSE_MS, Math.max(learnedCreateMs, Date.now() - created));
      return await attachEni(ctx, id, available);
    }
    ctx.log.info('attaching ENI', { eni: id, instanceId });
    const { metadata, device, inUse } = await waitAttached(ctx, id, { secondaries: made.secondaryCount });
    ctx.log.info('ENI attached', { eni: id, device: device.name, mac: metadata.mac });
    const eni: CloudEni = inUse ?? {
      id,
      mac: metadata.mac,
      status: 'InUse',
      type: 'secondary',
      subnetId: made.subnetId,
      zoneId: zone,
      vpcId,
      primaryIp: metadata.primaryIp,
      ips: metadata.privateIpv4s.filter((ip) => ip !== metadata.primaryIp),
      ipv6s: [],
      securityGroupIds: made.securityGroupIds,
      instanceId,
      tags: Object.fromEntries(made.tags.map((t) => [t.Key, t.Value])),
      description: ENI_DESCRIPTION,
      createdAt: '',
      updatedAt: '',
    };
    return { eni, device, metadata };
  } catch (err) {
    if (!stopped(ctx, err)) await freeEni(ctx, id).catch((e: unknown) => ctx.log.error('could not free the ENI after a failed attach', { eni: id, error: e }));
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
