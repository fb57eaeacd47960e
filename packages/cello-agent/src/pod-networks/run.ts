/**
 * `cello-agent pod-networks`: keep the node's cello-ipam store told which
 * PodNetworks exist and which network each of this node's pods is on, so
 * that cello-cni's ADD finds the decision on the node and never asks the API
 * (docs/podnetworks.md).
 *
 * It lists and watches three things: PodNetworks (cluster-scoped, through
 * the custom-objects API), Namespaces (their labels), and the Pods of this
 * node (`spec.nodeName=<node>`). Each is a client-node ListWatch: a list,
 * then a watch from its resourceVersion, listed again when the server says
 * the version is too old; a watch that fails is started again with backoff.
 * Any change, and a resync every `resyncMs`, runs one reconcile pass
 * (reconcile.ts) over the three caches, but only once all three have been
 * listed: before that nothing is decided, so no pod goes to the default
 * network for want of a look.
 *
 * A cluster without the CRD (the list answers 404) has no PodNetworks: the
 * role records none and looks again every `missingRetryMs`.
 *
 * An invalid PodNetwork is skipped with a warning and a Kubernetes event on
 * the node (PodNetworkInvalid), once per distinct refusal; a pod held back
 * by it, or by a namespace not seen yet, is logged once per reason.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '@cello/cello-ipam';
import type { Logger } from '@cello/cli-kit';
import { POD_NETWORK_RESOURCE } from '@cello/records';
import { CustomObjectsApi, type KubernetesObject, ListWatch, type V1Namespace, type V1Pod, Watch } from '@kubernetes/client-node';
import { type Kube, statusOf } from '../kube/client.ts';
import type { NodeEventRecorder } from '../kube/events.ts';
import type { PodFacts } from './choose.ts';
import { type ClusterView, type PodNetworkStore, type ReconcileReport, reconcile } from './reconcile.ts';

export interface PodNetworksOptions {
  kube: Kube;
  node: string;
  /** cello-ipam's state directory (the store this writes). */
  stateDir: string;
  log: Logger;
  /** Where the PodNetworkInvalid events go; without one they are only logged. */
  events?: NodeEventRecorder;
  /** A full pass at least this often without any change (default 60 s). */
  resyncMs?: number;
  /** How often to look again for the PodNetwork resource while the API does not serve it (default 60 s). */
  missingRetryMs?: number;
  /** Called after every pass that reached the store (the supervisor waits for the first before the node is ready). */
  onSynced?: () => void;
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
    return [{ namespace: m.namespace, name: m.name, uid: m.uid, labels: { ...(m.labels ?? {}) } }];
  });
}

const namespaceLabels = (nss: readonly V1Namespace[]) =>
  new Map(nss.flatMap((n) => (n.metadata?.name ? [[n.metadata.name, { ...(n.metadata.labels ?? {}) }]] : [])));

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

  constructor(private readonly o: Pick<PodNetworksOptions, 'log' | 'events'>) {}

  report(r: ReconcileReport): void {
    const { log, events } = this.o;
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
    if (r.networksChanged) log.info('podnetworks recorded on the node', { networks: r.networks });
    for (const f of r.forgotten)
      log.info('pod network decision forgotten', { pod: `${f.podNamespace}/${f.podName}`, uid: f.podUid, network: f.network, why: f.why });
    for (const d of r.decided) {
      this.held.delete(d.podUid);
      log.info('pod network decided', { pod: `${d.podNamespace}/${d.podName}`, uid: d.podUid, network: d.network, reason: d.reason });
    }
    const stillHeld = new Set(r.held.map((h) => h.podUid));
    for (const uid of [...this.held.keys()]) if (!stillHeld.has(uid)) this.held.delete(uid);
    for (const h of r.held) {
      if (this.held.get(h.podUid) === h.reason) continue;
      this.held.set(h.podUid, h.reason);
      log.warn('pod network not decided yet', { pod: `${h.podNamespace}/${h.podName}`, uid: h.podUid, reason: h.reason });
    }
  }
}

/** Open the store, run `fn` on it, close it. */
function withStore<T>(stateDir: string, fn: (store: PodNetworkStore) => T): T {
  const store = openStore({ stateDir });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** List all three once, reconcile once, report (`cello-agent pod-networks --once`). Throws when a list fails. */
export async function syncPodNetworksOnce(o: PodNetworksOptions): Promise<ReconcileReport> {
  const custom = o.kube.config.makeApiClient(CustomObjectsApi);
  const [networks, namespaces, pods] = await Promise.all([
    listPodNetworkObjects(custom),
    o.kube.core.listNamespace(),
    o.kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${o.node}` }),
  ]);
  if (networks.missing) o.log.info('the API does not serve podnetworks (is the CRD installed?): no PodNetworks');
  const view: ClusterView = { podNetworks: networks.items, namespaces: namespaceLabels(namespaces.items), pods: podFacts(pods.items, o.node) };
  const report = withStore(o.stateDir, (store) => reconcile(store, view));
  new Reporter(o).report(report);
  return report;
}

/** Keep the store current until `signal` aborts. */
export async function watchPodNetworks(o: PodNetworksOptions, signal: AbortSignal): Promise<void> {
  const { kube, log, node } = o;
  const custom = kube.config.makeApiClient(CustomObjectsApi);
  const watch = new Watch(kube.config);
  const listed = { podNetworks: false, namespaces: false, pods: false };
  let missing = false;
  let pending = 'start';
  let wake = () => {};
  const kick = (why: string) => {
    pending ||= why;
    wake();
  };

  const fieldSelector = `spec.nodeName=${node}`;
  const informers = {
    podNetworks: new ListWatch<KubernetesObject>(
      POD_NETWORKS_PATH,
      watch,
      async () => {
        const l = await listPodNetworkObjects(custom);
        if (l.missing && !missing) log.info('the API does not serve podnetworks (is the CRD installed?): no PodNetworks until it does');
        missing = Boolean(l.missing);
        listed.podNetworks = true;
        return l;
      },
      false,
    ),
    namespaces: new ListWatch<V1Namespace>(
      '/api/v1/namespaces',
      watch,
      async () => {
        const l = await kube.core.listNamespace();
        listed.namespaces = true;
        return l;
      },
      false,
    ),
    pods: new ListWatch<V1Pod>(
      '/api/v1/pods',
      watch,
      async () => {
        const l = await kube.core.listPodForAllNamespaces({ fieldSelector });
        listed.pods = true;
        return l;
      },
      false,
      undefined,
      fieldSelector,
    ),
  };

  /** Start an informer, and again (with backoff) whenever its list or watch fails, until stopped. */
  const follow = (what: keyof typeof informers) => {
    const informer = informers[what] as ListWatch<KubernetesObject>;
    let delayMs = 1000;
    let failed = false;
    const start = () => {
      if (signal.aborted) return;
      failed = false;
      informer.start().then(() => {
        if (!failed) delayMs = 1000;
        kick(`${what} listed`);
      }, failed_);
    };
    const failed_ = (err: unknown) => {
      failed = true;
      if (signal.aborted) return;
      const quiet = what === 'podNetworks' && missing;
      const wait = quiet ? (o.missingRetryMs ?? 60_000) : delayMs;
      if (!quiet) log.warn('list or watch failed; starting it again', { watch: what, error: err, retryInMs: wait });
      delayMs = Math.min(30_000, delayMs * 2);
      setTimeout(start, wait).unref();
    };
    informer.on('error', failed_);
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => kick(what));
    start();
  };

  const reporter = new Reporter(o);
  const store = openStore({ stateDir: o.stateDir });
  const resync = setInterval(() => kick('resync'), o.resyncMs ?? 60_000);
  const onAbort = () => wake();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const what of Object.keys(informers) as Array<keyof typeof informers>) follow(what);
    while (!signal.aborted) {
      if (!pending) await new Promise<void>((r) => (wake = r));
      // Let a burst of events (a list's worth) land in the caches first.
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) break;
      if (!(listed.podNetworks && listed.namespaces && listed.pods)) {
        pending = '';
        continue;
      }
      const why = pending;
      pending = '';
      try {
        const view: ClusterView = {
          podNetworks: informers.podNetworks.list(),
          namespaces: namespaceLabels(informers.namespaces.list()),
          pods: podFacts(informers.pods.list(), node),
        };
        reporter.report(reconcile(store, view));
        o.onSynced?.();
      } catch (err) {
        log.error('pod networks not reconciled; trying again', { why, error: err });
        await sleep(1000, undefined, { signal }).catch(() => undefined);
        kick('retry');
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    clearInterval(resync);
    await Promise.all(Object.values(informers).map((i) => i.stop()));
    store.close();
  }
}
