/**
 * One pass of the pod-networks role: what the API says (PodNetwork objects,
 * namespace labels, this node's pods) made true in the node's cello-ipam
 * store, which cello-cni's ADD reads instead of the API.
 *
 * - The store's PodNetwork list becomes the valid objects (written only when
 *   it differs: the CNI takes the same write lock).
 * - A pod is decided once per UID and keeps its decision while it exists:
 *   networks created, edited or deleted later do not move it. A pod
 *   recreated under its name (a new UID) is decided again.
 * - A decision whose pod is gone from the node, or has another UID now, is
 *   forgotten.
 * - A pod that already holds an address (its sandbox was added before any
 *   decision: an upgrade, or a store that lost its decisions) is decided
 *   for the network its address came from, whatever matches now: the pod
 *   is on that network, and the keeper must not make it another's address.
 * - A pod decided for a Fixed network whose PodAddress names an address of
 *   that network has the address claimed in the store first (incoming,
 *   for the keeper to move here; cello-ipam's fixed-ips.ts), so its ADD
 *   waits for that address instead of taking another. When the PodAddress
 *   names another node, the pod is not decided here: run.ts first rewrites
 *   the PodAddress to name this node (a compare-and-swap on its
 *   resourceVersion, so the holder can no longer release the address), then
 *   claims and decides (claimAndDecide).
 * - A pod is left undecided (held) while its namespace could not be read,
 *   or while an invalid PodNetwork that would win matches it (choose.ts); a
 *   later pass decides it.
 *
 * The role (run.ts) reads the PodNetworks and the namespaces afresh for a
 * pass that has pods to decide (undecidedPods says which), so that a
 * PodNetwork or a label made just before a pod is never missed because a
 * watch had not delivered it yet. A pass given no PodNetworks (null) only
 * forgets. Synchronous and given everything it reads, so that a test drives
 * it without a cluster.
 */
import type { FixedIpClaim, FixedIpState } from '@cello/cello-ipam';
import { type PodAddressRecord, parsePodNetwork, parsePodNetworkSelectors, type PodNetworkRecord, RecordError } from '@cello/records';
import { type BrokenPodNetwork, choosePodNetwork, type PodFacts } from './choose.ts';
import type { FixedAddressReport } from './fixed-addresses.ts';

/** A decision as the store takes it (cello-ipam's decidePodNetwork). */
export interface DecisionInput {
  podNamespace: string;
  podName: string;
  podUid: string;
  /** '' for the default network. */
  network: string;
  reason: string;
}

/** The part of cello-ipam's IpamStore this role writes through. */
export interface PodNetworkStore {
  replacePodNetworks(networks: PodNetworkRecord[]): void;
  podNetworks(): Array<{ name: string; spec: unknown }>;
  decidePodNetwork(d: DecisionInput): void;
  podNetworkDecisions(): Array<DecisionInput & { decidedAt: number }>;
  forgetPodNetworkDecision(podNamespace: string, podName: string): void;
  /** The node's allocations (cello-ipam's), to see a pod already running. */
  allocations(): Array<{ podNamespace: string; podName: string; podNetwork?: string; allocatedAt: string }>;
  /** A Fixed network's pod has an address somewhere (its PodAddress): make it the pod's here. */
  claimFixedIp(claim: FixedIpClaim): FixedIpState;
}

/** What the API says now. */
export interface ClusterView {
  /** PodNetwork objects as listed (parsed here); null when not read for this pass: the list is left alone and no pod is decided. */
  podNetworks: readonly unknown[] | null;
  /** Labels of the namespaces of the pods to decide; a namespace missing here could not be read. */
  namespaces: ReadonlyMap<string, Record<string, string>>;
  /** This node's pods that take a CNI ADD (not hostNetwork). */
  pods: readonly PodFacts[];
  /**
   * The PodAddresses of the pods to decide, by `namespace/name` (absent: the
   * pod has none). Undefined when not read: a pod a Fixed network takes is then held.
   */
  podAddresses?: ReadonlyMap<string, PodAddressRecord>;
  /** This node's name: a PodAddress naming another node is taken over (run.ts) before its pod is decided. */
  node?: string;
}

/** A pod of a Fixed network whose address another node holds: decided once its PodAddress names this node (run.ts). */
export interface TakeOver {
  decision: DecisionInput;
  address: PodAddressRecord;
}

export interface ReconcileReport {
  /** The valid PodNetworks, by name (null: not read this pass). */
  networks: string[] | null;
  /** PodNetworks skipped: the parser's refusal (`field: problem`); null: not read this pass. */
  invalid: Array<{ name: string; error: string }> | null;
  /** Whether the store's list was rewritten. */
  networksChanged: boolean;
  decided: DecisionInput[];
  /** Fixed addresses found in PodAddresses for pods decided now, and their state here (incoming: the keeper moves it). */
  claimed: Array<{ pod: string; ip: string; from: string; state: FixedIpState }>;
  /** Pods not decided yet: their address is another node's until their PodAddress names this one (run.ts does that, then decides). */
  toTakeOver: TakeOver[];
  /** Pods that already had their decision. */
  kept: number;
  held: Array<{ podNamespace: string; podName: string; podUid: string; reason: string }>;
  forgotten: Array<{ podNamespace: string; podName: string; podUid: string; network: string; why: string }>;
  /** What the fixed-address sync did after the reconcile (run.ts). */
  fixedAddresses?: FixedAddressReport;
  /** A take-over lost a race (run.ts): pass again at once. */
  again?: boolean;
}

/** Every object parsed: the valid ones, and the broken ones with their selectors where those can be read. */
export function parseAll(objects: readonly unknown[]): { valid: PodNetworkRecord[]; broken: BrokenPodNetwork[] } {
  const valid: PodNetworkRecord[] = [];
  const broken: BrokenPodNetwork[] = [];
  for (const obj of objects) {
    try {
      valid.push(parsePodNetwork(obj));
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      const name = String((obj as { metadata?: { name?: unknown } })?.metadata?.name ?? '') || '(no name)';
      const b: BrokenPodNetwork = { name, error: `${err.field}: ${err.problem}` };
      try {
        const { name: _n, ...selectors } = parsePodNetworkSelectors(obj);
        b.selectors = selectors;
      } catch {
        // Its selectors cannot be read either: it cannot say which pods it wants.
      }
      broken.push(b);
    }
  }
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { valid: valid.sort(byName), broken: broken.sort(byName) };
}

/** The store's list and ours in one spelling (names sorted, keys in order), to write only on a difference. */
const canonical = (networks: ReadonlyArray<{ name: string; spec: unknown }>) =>
  JSON.stringify([...networks].sort((a, b) => (a.name < b.name ? -1 : 1)).map((n) => [n.name, sortKeys(n.spec)]));

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  return v;
}

/** The network of the address each pod already holds, by `namespace/name`: allocations made since the pod was created (an older one is a predecessor's). */
function runningNetworks(store: Pick<PodNetworkStore, 'allocations'>, pods: ReadonlyMap<string, PodFacts>): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of store.allocations()) {
    const key = `${a.podNamespace}/${a.podName}`;
    const pod = pods.get(key);
    if (!pod?.createdAt || Date.parse(a.allocatedAt) < pod.createdAt) continue;
    out.set(key, a.podNetwork ?? '');
  }
  return out;
}

/** The pods a pass must decide: those without a decision of their UID. */
export function undecidedPods(store: Pick<PodNetworkStore, 'podNetworkDecisions'>, pods: readonly PodFacts[]): PodFacts[] {
  const decided = new Set(store.podNetworkDecisions().map((d) => `${d.podNamespace}/${d.podName}/${d.podUid}`));
  return pods.filter((p) => !decided.has(`${p.namespace}/${p.name}/${p.uid}`));
}

export function reconcile(store: PodNetworkStore, view: ClusterView): ReconcileReport {
  const parsed = view.podNetworks && parseAll(view.podNetworks);
  const report: ReconcileReport = {
    networks: parsed ? parsed.valid.map((n) => n.name) : null,
    invalid: parsed ? parsed.broken.map((b) => ({ name: b.name, error: b.error })) : null,
    networksChanged: false,
    decided: [],
    claimed: [],
    toTakeOver: [],
    kept: 0,
    held: [],
    forgotten: [],
  };

  // The networks first: a decision never names one the store has not seen.
  if (parsed && canonical(store.podNetworks()) !== canonical(parsed.valid)) {
    store.replacePodNetworks(parsed.valid);
    report.networksChanged = true;
  }

  const pods = new Map(view.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const decisions = new Map(store.podNetworkDecisions().map((d) => [`${d.podNamespace}/${d.podName}`, d]));
  for (const [key, d] of decisions) {
    const pod = pods.get(key);
    if (pod?.uid === d.podUid) continue;
    const why = pod ? `the pod was recreated (uid ${pod.uid})` : 'the pod left the node';
    store.forgetPodNetworkDecision(d.podNamespace, d.podName);
    decisions.delete(key);
    report.forgotten.push({ podNamespace: d.podNamespace, podName: d.podName, podUid: d.podUid, network: d.network, why });
  }

  const running = runningNetworks(store, pods);
  for (const [key, pod] of pods) {
    if (decisions.has(key)) {
      report.kept++;
      continue;
    }
    const ids = { podNamespace: pod.namespace, podName: pod.name, podUid: pod.uid };
    const held = running.get(key);
    if (held !== undefined) {
      const d: DecisionInput = { ...ids, network: held, reason: `already running with an address of ${held ? `podnetwork ${held}` : 'the default network'}` };
      store.decidePodNetwork(d);
      report.decided.push(d);
      continue;
    }
    const nsLabels = view.namespaces.get(pod.namespace);
    if (!parsed) {
      report.held.push({ ...ids, reason: 'the PodNetworks were not read for this pass' });
      continue;
    }
    if (!nsLabels) {
      report.held.push({ ...ids, reason: `namespace ${pod.namespace} could not be read` });
      continue;
    }
    const choice = choosePodNetwork(pod, nsLabels, parsed.valid, parsed.broken);
    if (choice.network === null) {
      report.held.push({ ...ids, reason: choice.reason });
      continue;
    }
    const spec = parsed.valid.find((n) => n.name === choice.network)?.spec;
    if (spec?.allocation.type === 'Fixed') {
      // Before the decision: the ADD it lets through must find the pod's address claimed.
      if (!view.podAddresses) {
        report.held.push({ ...ids, reason: `podnetwork ${choice.network} keeps addresses (Fixed) and the pod's PodAddress was not read` });
        continue;
      }
      const address = view.podAddresses.get(key);
      if (address && address.spec.podNetwork === choice.network) {
        const item = { decision: { ...ids, network: choice.network, reason: choice.reason }, address };
        if (address.spec.nodeName === view.node) claimAndDecide(store, report, item, false);
        else report.toTakeOver.push(item);
        continue;
      }
    }
    const d: DecisionInput = { ...ids, network: choice.network, reason: choice.reason };
    store.decidePodNetwork(d);
    report.decided.push(d);
  }
  return report;
}

/** Claim the pod's address in the store (incoming, unless it is here already and was not `takenOver` from another node), then record its decision. */
export function claimAndDecide(
  store: Pick<PodNetworkStore, 'claimFixedIp' | 'decidePodNetwork'>,
  report: ReconcileReport,
  { decision, address }: TakeOver,
  takenOver: boolean,
): void {
  const { ip, eniId, subnetId, nodeName } = address.spec;
  const { podNamespace, podName, network: podNetwork } = decision;
  const state = store.claimFixedIp({ podNamespace, podName, podNetwork, ip, fromEni: eniId, subnetId, takenOver });
  report.claimed.push({ pod: `${decision.podNamespace}/${decision.podName}`, ip, from: `${nodeName}/${eniId}`, state });
  store.decidePodNetwork(decision);
  report.decided.push(decision);
}
