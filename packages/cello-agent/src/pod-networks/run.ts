/**
 * `cello-agent pod-networks`: keep the node's cello-ipam store told which
 * PodNetworks exist and which network each of this node's pods is on, so
 * that cello-cni's ADD finds the decision on the node and never asks the API
 * (docs/podnetworks.md).
 *
 * It watches the Pods of this node (`spec.nodeName=<node>`, a client-node
 * ListWatch: a list, then a watch from its resourceVersion, listed again
 * when the server says the version is too old) and the PodNetworks
 * (cluster-scoped, through the custom-objects API). A pass runs on any
 * change and every `resyncMs`: it decides the pods that have no decision
 * yet and forgets those that left (reconcile.ts).
 *
 * What decides a pod is read afresh for the pass that decides it: the
 * PodNetwork list and the pod's namespace (its labels), each a consistent
 * read. Two watches are two streams with no order between them, so a
 * PodNetwork created, or a namespace labelled, just before a pod could
 * still be on its way when the pod arrives, and the pod would go to the
 * default network for good. Namespaces are not watched at all: a label
 * changed later moves no running pod. The list is also read afresh when a
 * PodNetwork changes and on every resync, so the store follows edits.
 *
 * A cluster without the CRD (the list answers 404) has no PodNetworks: the
 * role records none and looks at its watch again every `missingRetryMs`. A
 * watch that fails is started again with backoff, and so is a pass.
 *
 * Each pass also syncs the node's fixed addresses with their PodAddresses
 * (fixed-addresses.ts): published once here, released when idle for their
 * network's releaseAfter. The store changes without an API event for that
 * (an ADD takes an address, the keeper moves one here), so while the node
 * holds any that may need it, a pass runs every `fixedAddressSyncMs`.
 *
 * An invalid PodNetwork is skipped with a warning and a Kubernetes event on
 * the node (PodNetworkInvalid), once per distinct refusal; a pod held back
 * by it is logged once per reason.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type IpamStore, openStore } from '@cello/cello-ipam';
import type { Logger } from '@cello/cli-kit';
import { type PodAddressRecord, POD_NETWORK_RESOURCE } from '@cello/records';
import { CustomObjectsApi, type KubernetesObject, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import { type Kube, statusOf } from '../kube/client.ts';
import type { NodeEventRecorder } from '../kube/events.ts';
import type { PodFacts } from './choose.ts';
import { fixedAddressesNeedSync, readPodAddress, syncFixedAddresses, takeOver } from './fixed-addresses.ts';
import { claimAndDecide, type ReconcileReport, reconcile, undecidedPods } from './reconcile.ts';

export interface PodNetworksOptions {
  kube: Kube;
  node: string;
  /** cello-ipam's state directory (the store this writes). */
  stateDir: string;
  log: Logger;
  /** Where the PodNetworkInvalid events go; without one they are only logged. */
  events?: NodeEventRecorder;
  /** A full pass (the PodNetworks read again) at least this often without any change (default 60 s). */
  resyncMs?: number;
  /** How often to watch again for PodNetworks while the API does not serve them (default 60 s). */
  missingRetryMs?: number;
  /** Called after every pass that read the PodNetworks (the supervisor waits for the first before the node is ready). */
  onSynced?: () => void;
  /** How often to look for fixed addresses to publish or release while the node holds some (default 2 s). */
  fixedAddressSyncMs?: number;
}

const { group, version, plural } = POD_NETWORK_RESOURCE;
const POD_NETWORKS_PATH = `/apis/${group}/${version}/${plural}`;
/** The event reason for a PodNetwork the parser refused. */
export const INVALID_EVENT = 'PodNetworkInvalid';

interface ObjectList<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

/** The pods of this node that take a CNI ADD (host-network pods never do), as choose.ts sees them. */
export function podFacts(pods: readonly V1Pod[], node: string): PodFacts[] {
  return pods.flatMap((p) => {
    const m = p.metadata;
    if (!m?.name || !m.namespace || !m.uid || p.spec?.hostNetwork || p.spec?.nodeName !== node) return [];
    const createdAt = m.creationTimestamp ? new Date(m.creationTimestamp).getTime() : Number.NaN;
    return [{ namespace: m.namespace, name: m.name, uid: m.uid, labels: { ...(m.labels ?? {}) }, ...(Number.isFinite(createdAt) ? { createdAt } : {}) }];
  });
}

/** The PodNetwork list; a 404 (the API does not serve the resource: no CRD) is an empty list, flagged. */
async function listPodNetworkObjects(custom: CustomObjectsApi): Promise<ObjectList<KubernetesObject> & { missing?: true }> {
  try {
    return (await custom.listClusterCustomObject({ group, version, plural })) as ObjectList<KubernetesObject>;
  } catch (err) {
    if (statusOf(err) === 404) return { items: [], metadata: {}, missing: true };
    throw err;
  }
}

/** What one pass did, in the log and (for invalid PodNetworks) as node events; remembers what it said so a repeat is not said again. */
class Reporter {
  private readonly invalid = new Map<string, string>();
  private readonly held = new Map<string, string>();
  private missing = false;

  constructor(private readonly o: Pick<PodNetworksOptions, 'log' | 'events'>) {}

  /** Whether the API served no PodNetworks (404) on the last read. */
  noResource(missing: boolean): void {
    if (missing && !this.missing) this.o.log.info('the API does not serve podnetworks (is the CRD installed?): no PodNetworks until it does');
    this.missing = missing;
  }

  report(r: ReconcileReport): void {
    const { log, events } = this.o;
    if (r.invalid && r.networks) {
      for (const { name, error } of r.invalid) {
        if (this.invalid.get(name) === error) continue;
        this.invalid.set(name, error);
        const message = `podnetwork ${name} is invalid and skipped: ${error}`;
        log.warn(message, { podNetwork: name, event: INVALID_EVENT });
        void events?.record(INVALID_EVENT, message);
      }
      for (const name of [...this.invalid.keys()]) {
        if (r.invalid.some((i) => i.name === name)) continue;
        this.invalid.delete(name);
        log.info(r.networks.includes(name) ? 'podnetwork is valid now' : 'invalid podnetwork is gone', { podNetwork: name });
      }
    }
    if (r.networksChanged) log.info('podnetworks recorded on the node', { networks: r.networks });
    for (const f of r.forgotten)
      log.info('pod network decision forgotten', { pod: `${f.podNamespace}/${f.podName}`, uid: f.podUid, network: f.network, why: f.why });
    for (const c of r.claimed) log.info('fixed address claimed for a pod', { pod: c.pod, ip: c.ip, from: c.from, state: c.state });
    for (const d of r.decided) log.info('pod network decided', { pod: `${d.podNamespace}/${d.podName}`, uid: d.podUid, network: d.network, reason: d.reason });
    const held = new Set(r.held.map((h) => h.podUid));
    for (const uid of [...this.held.keys()]) if (!held.has(uid)) this.held.delete(uid);
    for (const h of r.held) {
      if (this.held.get(h.podUid) === h.reason) continue;
      this.held.set(h.podUid, h.reason);
      log.warn('pod network not decided yet', { pod: `${h.podNamespace}/${h.podName}`, uid: h.podUid, reason: h.reason });
    }
  }
}

interface PassContext {
  custom: CustomObjectsApi;
  kube: Kube;
  store: IpamStore;
  reporter: Reporter;
  node: string;
  log: Logger;
}

/** The PodAddresses of these pods, each read afresh (a Fixed network's pod takes its address from there); a failed read fails the pass. */
async function podAddresses(custom: CustomObjectsApi, pods: readonly PodFacts[], log: Logger): Promise<Map<string, PodAddressRecord>> {
  const out = new Map<string, PodAddressRecord>();
  await Promise.all(
    pods.map(async (p) => {
      const a = await readPodAddress(custom, p.namespace, p.name, log);
      if (a) out.set(`${p.namespace}/${p.name}`, a);
    }),
  );
  return out;
}

const hasFixedNetwork = (items: readonly unknown[]) =>
  items.some((o) => (o as { spec?: { allocation?: { type?: unknown } } })?.spec?.allocation?.type === 'Fixed');

/** Labels of these namespaces, each read afresh; one that is not found is left out (its pods wait). */
async function namespaceLabels(kube: Kube, names: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      try {
        out.set(name, { ...((await kube.core.readNamespace({ name })).metadata?.labels ?? {}) });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }),
  );
  return out;
}

/** One pass over `pods` (this node's, from a list or the watch's cache): read what deciding needs, when there is something to decide or `readList`, then reconcile. */
async function pass(c: PassContext, pods: PodFacts[], readList: boolean): Promise<ReconcileReport> {
  const undecided = undecidedPods(c.store, pods);
  let podNetworks: unknown[] | null = null;
  let namespaces = new Map<string, Record<string, string>>();
  let addresses: Map<string, PodAddressRecord> | undefined;
  if (readList || undecided.length) {
    const [list, labels] = await Promise.all([
      listPodNetworkObjects(c.custom),
      namespaceLabels(
        c.kube,
        undecided.map((p) => p.namespace),
      ),
    ]);
    c.reporter.noResource(Boolean(list.missing));
    podNetworks = list.items;
    namespaces = labels;
    // Read after the list: a pod a Fixed network takes needs its PodAddress before its decision.
    if (undecided.length && hasFixedNetwork(list.items)) addresses = await podAddresses(c.custom, undecided, c.log);
  }
  const report = reconcile(c.store, { podNetworks, namespaces, pods, node: c.node, ...(addresses ? { podAddresses: addresses } : {}) });
  for (const item of report.toTakeOver) {
    const { decision: d } = item;
    try {
      await takeOver(c.custom, item.address, c.node);
      claimAndDecide(c.store, report, item, true);
    } catch (err) {
      const status = statusOf(err);
      if (status !== 404 && status !== 409) throw err;
      // Changed or deleted since it was read: the next pass reads it again.
      report.held.push({ ...d, reason: `its PodAddress ${status === 404 ? 'was deleted' : 'changed'} while this node took the address over` });
      report.again = true;
    }
  }
  c.reporter.report(report);
  report.fixedAddresses = await syncFixedAddresses(c);
  return report;
}

/** List the node's pods, read the PodNetworks, decide and forget once (`cello-agent pod-networks --once`). Throws when a read fails. */
export async function syncPodNetworksOnce(o: PodNetworksOptions): Promise<ReconcileReport> {
  const pods = await o.kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${o.node}` });
  const store = openStore({ stateDir: o.stateDir });
  try {
    return await pass(
      { custom: o.kube.config.makeApiClient(CustomObjectsApi), kube: o.kube, store, reporter: new Reporter(o), node: o.node, log: o.log },
      podFacts(pods.items, o.node),
      true,
    );
  } finally {
    store.close();
  }
}

/** Keep the store current until `signal` aborts. */
export async function watchPodNetworks(o: PodNetworksOptions, signal: AbortSignal): Promise<void> {
  const { kube, log, node } = o;
  const custom = kube.config.makeApiClient(CustomObjectsApi);
  const watch = new Watch(kube.config);
  const reporter = new Reporter(o);
  let podsListed = false;
  let missing = false;
  let readList = true;
  let pending = 'start';
  let wake = () => {};
  const kick = (why: string) => {
    pending ||= why;
    wake();
  };

  const fieldSelector = `spec.nodeName=${node}`;
  const informers = {
    // Only a trigger: a pass reads the list afresh.
    podNetworks: new ListWatch<KubernetesObject>(
      POD_NETWORKS_PATH,
      watch,
      async () => {
        const l = await listPodNetworkObjects(custom);
        missing = Boolean(l.missing);
        return l;
      },
      false,
    ),
    pods: new ListWatch<V1Pod>(
      '/api/v1/pods',
      watch,
      async () => {
        const l = await kube.core.listPodForAllNamespaces({ fieldSelector });
        podsListed = true;
        // Not only once start() resolves: that waits for the watch's response headers too. The
        // pass waits a turn of the event loop (below), by which time the cache holds this list.
        kick('pods listed');
        return l;
      },
      false,
      undefined,
      fieldSelector,
    ),
  };

  /** Start an informer, and again (with backoff) whenever its list or watch fails, until stopped. */
  const follow = (what: keyof typeof informers, onChange: () => void) => {
    const informer = informers[what] as ListWatch<KubernetesObject>;
    let delayMs = 1000;
    let failed = false;
    const start = () => {
      if (signal.aborted) return;
      failed = false;
      informer.start().then(() => {
        if (!failed) delayMs = 1000;
        onChange();
      }, onError);
    };
    const onError = (err: unknown) => {
      failed = true;
      if (signal.aborted) return;
      const quiet = what === 'podNetworks' && missing;
      const wait = quiet ? (o.missingRetryMs ?? 60_000) : delayMs;
      if (!quiet) log.warn('list or watch failed; starting it again', { watch: what, error: err, retryInMs: wait });
      delayMs = Math.min(30_000, delayMs * 2);
      setTimeout(start, wait).unref();
    };
    informer.on('error', onError);
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, onChange);
    start();
  };

  const store = openStore({ stateDir: o.stateDir });
  const context: PassContext = { custom, kube, store, reporter, node, log };
  const resync = setInterval(() => {
    readList = true;
    kick('resync');
  }, o.resyncMs ?? 60_000);
  // An ADD (fixed address taken) or the keeper (fixed address moved here) changes the store without an API event.
  const fixedSync = setInterval(() => {
    if (fixedAddressesNeedSync(store)) kick('fixed addresses');
  }, o.fixedAddressSyncMs ?? 2000);
  const onAbort = () => wake();
  signal.addEventListener('abort', onAbort, { once: true });
  let failures = 0;
  try {
    follow('pods', () => kick('pods'));
    follow('podNetworks', () => {
      readList = true;
      kick('podNetworks');
    });
    while (!signal.aborted) {
      if (!pending) await new Promise<void>((r) => (wake = r));
      // Let a burst of events (a list's worth) land in the cache first.
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) break;
      const why = pending;
      pending = '';
      if (!podsListed) continue;
      // Taken now: a change while this pass reads makes the next one read again.
      const read: boolean = readList;
      readList = false;
      try {
        const r = await pass(context, podFacts(informers.pods.list(), node), read);
        if (r.again) kick('a PodAddress changed while taking it over');
        failures = 0;
        if (read) o.onSynced?.();
      } catch (err) {
        readList ||= read;
        const waitMs = Math.min(30_000, 1000 * 2 ** failures++);
        log.error('pod networks not reconciled; trying again', { why, error: err, retryInMs: waitMs });
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
        kick('retry');
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    clearInterval(resync);
    clearInterval(fixedSync);
    await Promise.all(Object.values(informers).map((i) => i.stop()));
    store.close();
  }
}
