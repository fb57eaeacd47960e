/**
 * The PodAddress side of fixed addresses (docs/podnetworks.md, "Fixed
 * addresses"): what this node holds, told to the cluster, and given up when
 * it is no longer this node's to hold. One pass over cello-ipam's fixed
 * address rows (@cello/cello-ipam's fixed-ips.ts has the states):
 *
 * - `incoming` (this node took the PodAddress over; the keeper moves the
 *   address): dropped (`gone` while a copy is still in this store) once
 *   the PodAddress is deleted or names another node or address (an operator gave it up, or the pod moved on and its next
 *   node took it over); given back (the PodAddress deleted) if the network
 *   is gone. A pod that left meanwhile does not stop the move: this node
 *   then holds the address and releases it like any other.
 * - `here` (the address is on an ENI of this node, the PodAddress does not
 *   say so yet): write the PodAddress (create, or replace whatever it said),
 *   then `published`; but if it names another node with this address, that
 *   node took it over since (the pod moved on): `gone`, never overwritten.
 * - `published` or `gone`, the address no longer on an ENI here (another
 *   node took it, and the keeper's reconcile forgot it): dropped.
 * - `published`, no pod of this node on it, idle for the network's
 *   `releaseAfter` (at once when the network is gone; never when it has no
 *   releaseAfter): read the PodAddress; if it still names this node and
 *   address, delete it (with that resourceVersion as a precondition) and
 *   drop the row: the address is an ordinary one of the pool again. If it
 *   names another node with this address, `gone` (never handed out here
 *   until the cloud takes it); anything else, dropped.
 * - `gone`, still in this store: back to `published` if the PodAddress
 *   names this node again; otherwise kept out of reach until the keeper's
 *   reconcile sees the cloud take it (then dropped, above). Whether the
 *   cloud still has it on our ENI only the cloud knows, so a claim given up
 *   before the move leaves the address unused here until an operator
 *   forgets it (docs/podnetworks.md). Checked on every pass, not timed.
 *
 * Read and written through the custom-objects API; a failed call is logged
 * and tried again by the next pass.
 */
import type { FixedIp } from '@cello/cello-ipam';
import type { Logger } from '@cello/cli-kit';
import { parsePodAddress, POD_ADDRESS_RESOURCE, podAddressObject, type PodAddressRecord, RecordError } from '@cello/records';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { statusOf } from '../kube/client.ts';
import type { PodNetworkStore } from './reconcile.ts';

const { group, version, plural } = POD_ADDRESS_RESOURCE;

/** The part of cello-ipam's store this pass reads and writes. */
export type FixedAddressStore = Pick<PodNetworkStore, 'podNetworks' | 'podNetworkDecisions'> & {
  fixedIps(): FixedIp[];
  advanceFixedIp(podNamespace: string, podName: string, ip: string, from: FixedIp['state'], to: FixedIp['state']): boolean;
  dropFixedIp(podNamespace: string, podName: string, ip: string): boolean;
};

export interface FixedAddressReport {
  published: string[];
  released: string[];
  gone: string[];
  dropped: string[];
}

/**
 * A pod's PodAddress, or undefined when it has none (404) or has one the
 * parser refuses (edited by hand: a warning; it is replaced when the pod's
 * address is next published). Throws when the read fails.
 */
export async function readPodAddress(custom: CustomObjectsApi, namespace: string, name: string, log: Logger): Promise<PodAddressRecord | undefined> {
  let raw: unknown;
  try {
    raw = await custom.getNamespacedCustomObject({ group, version, plural, namespace, name });
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
  try {
    return parsePodAddress(raw);
  } catch (err) {
    if (!(err instanceof RecordError)) throw err;
    log.warn('a PodAddress is not valid and is ignored', { pod: `${namespace}/${name}`, error: err.message });
    return undefined;
  }
}

/**
 * Rewrite a PodAddress to name this node, as it was read (its
 * resourceVersion: a 409 if it changed since, a 404 if it was deleted):
 * from then on the holder sees its address taken and never releases it.
 * The ENI it names stays the one the address is on until the move.
 */
export async function takeOver(custom: CustomObjectsApi, a: PodAddressRecord, node: string): Promise<void> {
  const body = podAddressObject({ ...a, spec: { ...a.spec, nodeName: node } });
  await custom.replaceNamespacedCustomObject({ group, version, plural, namespace: a.namespace, name: a.name, body });
}

/** Delete a PodAddress if it still names this node and address (a claim or an address given up). */
async function deleteIfOurs(custom: CustomObjectsApi, f: FixedIp, node: string, log: Logger): Promise<void> {
  const current = await readPodAddress(custom, f.podNamespace, f.podName, log);
  if (current?.spec.ip !== f.ip || current.spec.nodeName !== node) return;
  await custom.deleteNamespacedCustomObject({
    group,
    version,
    plural,
    namespace: f.podNamespace,
    name: f.podName,
    body: { preconditions: { resourceVersion: current.resourceVersion } },
  });
}

/**
 * Write the PodAddress for an address on an ENI of this node, on the
 * resourceVersion just read (a 409 is tried again by the next pass). Not
 * when it names another node with this address: that node has taken it
 * over since (the pod moved on), and this node's copy is `gone`.
 */
async function publish(custom: CustomObjectsApi, f: FixedIp & { eniId: string; subnetId: string }, node: string, log: Logger): Promise<'published' | 'gone'> {
  const { podNamespace: namespace, podName: name } = f;
  const current = await readPodAddress(custom, namespace, name, log);
  if (current?.spec.ip === f.ip && current.spec.nodeName !== node) return 'gone';
  const spec = { podNetwork: f.podNetwork, ip: f.ip, subnetId: f.subnetId, nodeName: node, eniId: f.eniId };
  let resourceVersion = current?.resourceVersion;
  if (!current) {
    // None, or one the parser refused: that one is replaced whole.
    const raw = await custom.getNamespacedCustomObject({ group, version, plural, namespace, name }).catch((err: unknown) => {
      if (statusOf(err) === 404) return undefined;
      throw err;
    });
    resourceVersion = (raw as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
    if (!raw) {
      await custom.createNamespacedCustomObject({ group, version, plural, namespace, body: podAddressObject({ namespace, name, spec }) });
      return 'published';
    }
  }
  const body = podAddressObject({ namespace, name, resourceVersion, spec });
  await custom.replaceNamespacedCustomObject({ group, version, plural, namespace, name, body });
  return 'published';
}

/** Idle long enough to release: no pod here on it, for the network's releaseAfter (0 when the network is gone, null never). */
function releaseDue(f: FixedIp, releaseAfterSec: number | null, onNode: boolean, now: number): boolean {
  if (onNode || f.inUse || releaseAfterSec === null) return false;
  return now - Math.max(f.since, f.freedAt ?? 0) >= releaseAfterSec * 1000;
}

/** What the store says about the rows: the networks' releaseAfter and the pods on this node. */
function context(store: FixedAddressStore) {
  const specs = new Map(store.podNetworks().map((n) => [n.name, n.spec as { allocation?: { type: string; releaseAfterSec?: number | null } }]));
  const onNode = new Set(store.podNetworkDecisions().map((d) => `${d.podNamespace}/${d.podName}`));
  /** Seconds an idle address is kept: the network's releaseAfter; 0 when the network is gone or no longer Fixed; null for never. */
  const releaseAfter = (f: FixedIp) => {
    const allocation = specs.get(f.podNetwork)?.allocation;
    return allocation?.type === 'Fixed' ? (allocation.releaseAfterSec ?? null) : 0;
  };
  const due = (f: FixedIp, now: number) => releaseDue(f, releaseAfter(f), onNode.has(`${f.podNamespace}/${f.podName}`), now);
  return { onNode, due };
}

/** Whether a pass would do anything for these rows now (the role's timer asks, to run a pass only then). */
export function fixedAddressesNeedSync(store: FixedAddressStore, now = Date.now()): boolean {
  const rows = store.fixedIps();
  if (!rows.length) return false;
  const { due } = context(store);
  // A `gone` row still here waits for the keeper's reconcile, not for a pass.
  return rows.some((f) => f.state === 'here' || f.state === 'incoming' || !f.eniId || (f.state === 'published' && due(f, now)));
}

export async function syncFixedAddresses(
  o: { custom: CustomObjectsApi; store: FixedAddressStore; node: string; log: Logger },
  now = Date.now(),
): Promise<FixedAddressReport> {
  const { custom, store, node, log } = o;
  const report: FixedAddressReport = { published: [], released: [], gone: [], dropped: [] };
  const rows = store.fixedIps();
  if (!rows.length) return report;
  const { due } = context(store);
  const known = new Set(store.podNetworks().map((n) => n.name));
  const drop = (f: FixedIp, why: string) => {
    if (store.dropFixedIp(f.podNamespace, f.podName, f.ip)) {
      report.dropped.push(`${f.podNamespace}/${f.podName}=${f.ip}`);
      log.info('fixed address no longer held here', { pod: `${f.podNamespace}/${f.podName}`, ip: f.ip, why });
    }
  };
  for (const f of rows) {
    const pod = `${f.podNamespace}/${f.podName}`;
    try {
      if (f.state === 'incoming') {
        if (!known.has(f.podNetwork)) {
          // Nothing here can be decided for a network the node no longer knows: the claim is given back.
          await deleteIfOurs(custom, f, node, log);
          drop(f, `podnetwork ${f.podNetwork} is gone before the address was moved here`);
          continue;
        }
        const current = await readPodAddress(custom, f.podNamespace, f.podName, log);
        if (current?.spec.ip !== f.ip || current.spec.nodeName !== node) {
          const why = 'its PodAddress was deleted, or another node has taken the address over: the pod takes a new address';
          // A copy still in this store (from an earlier stay) may be on another node's ENI by now: kept out of reach.
          if (f.eniId) {
            if (store.advanceFixedIp(f.podNamespace, f.podName, f.ip, 'incoming', 'gone')) report.gone.push(`${pod}=${f.ip}`);
            log.info('fixed address claim given up; the copy here stays out of reach until the keeper’s reconcile', { pod, ip: f.ip, why });
          } else drop(f, why);
        }
      } else if (!f.eniId) {
        drop(f, f.state === 'gone' ? 'another node took it' : 'it is no longer on an ENI of this node');
      } else if (f.state === 'gone') {
        // Still in this store: dropped only once the keeper's reconcile has seen the cloud take it. Named here again: ours again.
        const current = await readPodAddress(custom, f.podNamespace, f.podName, log);
        if (current?.spec.ip === f.ip && current.spec.nodeName === node && store.advanceFixedIp(f.podNamespace, f.podName, f.ip, 'gone', 'published'))
          report.published.push(`${pod}=${f.ip}`);
      } else if (f.state === 'here') {
        if (!f.subnetId) {
          log.warn('a fixed address cannot be published: its ENI has no subnet id in cello-ipam', { pod, ip: f.ip, eni: f.eniId });
          continue;
        }
        const outcome = await publish(custom, { ...f, eniId: f.eniId, subnetId: f.subnetId }, node, log);
        if (!store.advanceFixedIp(f.podNamespace, f.podName, f.ip, 'here', outcome)) continue;
        report[outcome].push(`${pod}=${f.ip}`);
        log.info(outcome === 'published' ? 'fixed address published' : 'fixed address taken over by another node before it was published', {
          pod,
          ip: f.ip,
          eni: f.eniId,
        });
      } else {
        if (!due(f, now)) continue;
        const current = await readPodAddress(custom, f.podNamespace, f.podName, log);
        if (current?.spec.ip === f.ip && current.spec.nodeName !== node) {
          if (store.advanceFixedIp(f.podNamespace, f.podName, f.ip, 'published', 'gone')) report.gone.push(`${pod}=${f.ip}`);
          continue;
        }
        if (current?.spec.ip === f.ip) await deleteIfOurs(custom, f, node, log);
        if (store.dropFixedIp(f.podNamespace, f.podName, f.ip)) report.released.push(`${pod}=${f.ip}`);
        log.info('fixed address released', { pod, ip: f.ip, idleSec: Math.round((now - Math.max(f.since, f.freedAt ?? 0)) / 1000) });
      }
    } catch (err) {
      log.warn('fixed address not synced; trying again on the next pass', { pod, ip: f.ip, state: f.state, error: err });
    }
  }
  return report;
}
