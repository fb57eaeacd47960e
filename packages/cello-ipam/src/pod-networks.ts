/**
 * Pod networks on this node (docs/podnetworks.md): the PodNetworks cello-agent
 * last saw, and its decision for each of the node's pods. The agent writes
 * both before a pod's sandbox is made; cello-cni's ADD only reads them, so
 * the CNI hot path never asks the Kubernetes API.
 *
 * - While the node knows at least one PodNetwork, every Kubernetes pod's ADD
 *   needs a decision (`''` when the pod is on the default network); with none,
 *   pods are on the default network and nothing waits.
 * - A decision is kept per pod name with the pod's UID, so a pod recreated
 *   under the same name (a StatefulSet's) is not taken for the old one.
 * - A network's mode (shared or exclusive) decides how its pods are served.
 *
 * Specs are kept as the agent parsed them (@cello/records' parsePodNetwork)
 * and not parsed again here.
 */
import type { Db } from './db.ts';
import { ConflictError } from './errors.ts';
import { type PodNetworkRecord, podNetworkNameProblem, RecordError } from '@cello/records';
import { readSettings } from './settings.ts';
import type { EniMode } from './types.ts';

export interface PodNetworkDecision {
  podNamespace: string;
  podName: string;
  podUid: string;
  /** '' for the default network. */
  network: string;
  /** Why, in words (which selector matched, or that none did). */
  reason: string;
  decidedAt: number;
}

interface DecisionRow {
  pod_namespace: string;
  pod_name: string;
  pod_uid: string;
  network: string;
  reason: string;
  decided_at: number;
}

const decision = (r: DecisionRow): PodNetworkDecision => ({
  podNamespace: r.pod_namespace,
  podName: r.pod_name,
  podUid: r.pod_uid,
  network: r.network,
  reason: r.reason,
  decidedAt: r.decided_at,
});

function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string') throw new RecordError(field, 'must be a string');
  const problem = podNetworkNameProblem(name);
  if (problem) throw new RecordError(field, problem);
  return name;
}

/** Replace the whole list (what the agent sees now). Decisions are left alone: a running pod keeps its network. */
export function replacePodNetworks(db: Db, networks: readonly PodNetworkRecord[]): void {
  networks.forEach((n, i) => void checkName(n.name, `podNetworks[${i}].name`));
  db.write(() => {
    const now = db.now();
    db.run('DELETE FROM pod_networks');
    for (const n of networks) db.run('INSERT INTO pod_networks (name, spec, updated_at) VALUES (?, ?, ?)', [n.name, JSON.stringify(n.spec), now]);
  });
}

export function listPodNetworks(db: Db): PodNetworkRecord[] {
  return db.all<{ name: string; spec: string }>('SELECT name, spec FROM pod_networks ORDER BY name').map((r) => ({ name: r.name, spec: JSON.parse(r.spec) }));
}

/** Does this node know any PodNetwork (then a pod's ADD needs its decision)? */
export const podNetworksInUse = (db: Db): boolean => db.get('SELECT 1 FROM pod_networks LIMIT 1') !== undefined;

/** A PodNetwork's spec as recorded; undefined when the node does not know it. */
export function podNetworkSpec(db: Db, network: string): PodNetworkRecord['spec'] | undefined {
  const row = db.get<{ spec: string }>('SELECT spec FROM pod_networks WHERE name = ?', [network]);
  return row && (JSON.parse(row.spec) as PodNetworkRecord['spec']);
}

/** The mode pods of `network` get: the node's for the default network, the PodNetwork's own otherwise. */
export function modeOf(db: Db, network: string): EniMode {
  if (network === '') return readSettings(db).networkMode;
  const spec = podNetworkSpec(db, network);
  if (!spec) throw new ConflictError(`podnetwork ${network} is not known on this node: it was deleted, or cello-agent has not recorded it yet`);
  return spec.mode;
}

/**
 * The mode a network's pool is counted in: as `modeOf`, except that a network
 * the node no longer knows (deleted with ENIs still here) counts in its ENIs'
 * own mode, so its idle ENIs can still be given back.
 */
export function poolModeOf(db: Db, network: string): EniMode {
  if (network === '' || db.get('SELECT 1 FROM pod_networks WHERE name = ?', [network])) return modeOf(db, network);
  return db.get<{ mode: EniMode }>('SELECT mode FROM enis WHERE pod_network = ? LIMIT 1', [network])?.mode ?? 'shared';
}

/** Record (or replace) the decision for a pod. */
export function decidePodNetwork(db: Db, d: Omit<PodNetworkDecision, 'decidedAt'>): void {
  for (const key of ['podNamespace', 'podName', 'podUid', 'reason'] as const) {
    if (typeof d[key] !== 'string') throw new RecordError(`decision.${key}`, 'must be a string');
  }
  if (!d.podName) throw new RecordError('decision.podName', 'is required');
  if (d.network !== '') checkName(d.network, 'decision.network');
  db.write(() =>
    db.run(
      `INSERT INTO pod_network_decisions (pod_namespace, pod_name, pod_uid, network, reason, decided_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (pod_namespace, pod_name) DO UPDATE SET pod_uid = excluded.pod_uid, network = excluded.network, reason = excluded.reason, decided_at = excluded.decided_at`,
      [d.podNamespace, d.podName, d.podUid, d.network, d.reason, db.now()],
    ),
  );
}

export function findPodNetworkDecision(db: Db, podNamespace: string, podName: string): PodNetworkDecision | undefined {
  const row = db.get<DecisionRow>('SELECT * FROM pod_network_decisions WHERE pod_namespace = ? AND pod_name = ?', [podNamespace, podName]);
  return row && decision(row);
}

export function listPodNetworkDecisions(db: Db): PodNetworkDecision[] {
  return db.all<DecisionRow>('SELECT * FROM pod_network_decisions ORDER BY pod_namespace, pod_name').map(decision);
}

export function forgetPodNetworkDecision(db: Db, podNamespace: string, podName: string): void {
  db.write(() => db.run('DELETE FROM pod_network_decisions WHERE pod_namespace = ? AND pod_name = ?', [podNamespace, podName]));
}
