/**
 * Fixed addresses (docs/podnetworks.md, "Fixed addresses"): a pod of a
 * PodNetwork with `allocation.type: Fixed` keeps one IPv4 address for its
 * name (namespace/name), across sandboxes and across nodes. Each node keeps
 * a row per such pod whose address it holds or is taking over:
 *
 *   incoming ─(keeper: moved to our ENI)─> here ─(agent: PodAddress written)─> published
 *   published ─(agent: the PodAddress names another node)─> gone ─(the cloud took it)─> dropped
 *
 * - While a row exists, its address is never handed to another pod here
 *   (pick.ts), never counted free and never given back (capacity.ts).
 * - A pod whose row is `here` or `published` gets exactly its address; one
 *   whose row is `incoming` waits (a demand) until the keeper has moved it.
 * - A pod of a Fixed network with no row gets any free address of the
 *   network, and the row is made `here` in the same transaction.
 *
 * cello-agent makes `incoming` rows (from the pod's PodAddress, before it
 * records the pod's decision, so an ADD never races it), publishes `here`
 * ones and releases idle ones; the keeper moves `incoming` ones. Only IPv4
 * is fixed: on IPv6 and dual-stack nodes a Fixed network is served as Elastic.
 */
import type { Db } from './db.ts';
import type { Chosen } from './pick.ts';
import { podNetworkSpec } from './pod-networks.ts';
import type { IpFamilySetting } from './types.ts';

export type FixedIpState = 'incoming' | 'here' | 'published' | 'gone';

export interface FixedIp {
  podNamespace: string;
  podName: string;
  podNetwork: string;
  ip: string;
  state: FixedIpState;
  /** incoming: the ENI (of another node) the address is on now. */
  fromEni?: string;
  subnetId?: string;
  /** When the row got its state (ms since the epoch). */
  since: number;
  /** The ENI of this node the store has the address on; absent when it is not here. */
  eniId?: string;
  /** A pod of this node holds it now. */
  inUse: boolean;
  /** When a pod here last released it (ms since the epoch). */
  freedAt?: number;
}

interface Row {
  pod: string;
  pod_network: string;
  ip: string;
  state: FixedIpState;
  from_eni: string | null;
  subnet_id: string | null;
  since: number;
  eni_id: string | null;
  ip_state: string | null;
  freed_at: number | null;
}

const SELECT = 'SELECT f.*, i.eni_id, i.state AS ip_state, i.freed_at FROM fixed_ips f LEFT JOIN ips i ON i.ip = f.ip';

function record(r: Row): FixedIp {
  const slash = r.pod.indexOf('/');
  return {
    podNamespace: r.pod.slice(0, slash),
    podName: r.pod.slice(slash + 1),
    podNetwork: r.pod_network,
    ip: r.ip,
    state: r.state,
    ...(r.from_eni ? { fromEni: r.from_eni } : {}),
    ...(r.subnet_id ? { subnetId: r.subnet_id } : {}),
    since: r.since,
    ...(r.eni_id ? { eniId: r.eni_id } : {}),
    inUse: r.ip_state === 'used',
    ...(r.freed_at !== null ? { freedAt: r.freed_at } : {}),
  };
}

const podOf = (podNamespace: string, podName: string) => `${podNamespace}/${podName}`;

export function listFixedIps(db: Db): FixedIp[] {
  return db.all<Row>(`${SELECT} ORDER BY f.pod`).map(record);
}

/** Whether pods of `network` keep their addresses on a node of `ipFamily` (Fixed is IPv4 only). */
export function isFixed(db: Db, network: string, ipFamily: IpFamilySetting): boolean {
  return network !== '' && ipFamily === 'ipv4' && podNetworkSpec(db, network)?.allocation.type === 'Fixed';
}

export interface FixedIpClaim {
  podNamespace: string;
  podName: string;
  podNetwork: string;
  ip: string;
  /** Where the pod's PodAddress says the address is. */
  fromEni: string;
  subnetId: string;
  /**
   * The PodAddress named another node, which this one has just taken over:
   * the address may have moved on from what this store or the PodAddress
   * says, so it is `incoming` whatever this store holds (the keeper asks the
   * cloud where it is).
   */
  takenOver?: boolean;
}

/**
 * cello-agent, for a pod of a Fixed network whose PodAddress names `ip`:
 * nothing to do if the address is already this pod's here (moved here and
 * not yet published, or published and the PodAddress still names the ENI
 * it is on); `here` if the PodAddress names an ENI this store has it on (a
 * lost row); otherwise `incoming`, for the keeper to move: a `published`
 * row whose PodAddress names another ENI is stale (another node took the
 * address since). A claim on a PodAddress taken over from another node is
 * always `incoming`. Returns the row's state.
 */
export function claimFixedIp(db: Db, c: FixedIpClaim): FixedIpState {
  const pod = podOf(c.podNamespace, c.podName);
  return db.write(() => {
    const known = db.get<Row>(`${SELECT} WHERE f.pod = ?`, [pod]);
    const onEni = db.get<{ eni_id: string }>(
      "SELECT i.eni_id FROM ips i JOIN enis e ON e.id = i.eni_id WHERE i.ip = ? AND e.pod_network = ? AND e.state = 'active'",
      [c.ip, c.podNetwork],
    );
    // Ours already: moved here by our keeper (the PodAddress not rewritten yet), or published and still named.
    if (!c.takenOver && known?.ip === c.ip && onEni && (known.state === 'here' || (known.state === 'published' && onEni.eni_id === c.fromEni))) {
      return known.state;
    }
    const state: FixedIpState = !c.takenOver && onEni?.eni_id === c.fromEni ? 'here' : 'incoming';
    db.run('DELETE FROM fixed_ips WHERE pod = ? OR ip = ?', [pod, c.ip]);
    db.run('INSERT INTO fixed_ips (pod, pod_network, ip, state, from_eni, subnet_id, since) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      pod,
      c.podNetwork,
      c.ip,
      state,
      c.fromEni,
      c.subnetId,
      db.now(),
    ]);
    return state;
  });
}

/**
 * allocate(), for a pod of a Fixed network (inside its transaction): the
 * pod's own address when it is here; `{moving}` while it is on its way;
 * undefined when the pod has no fixed address yet (any free one will do).
 */
export function pickFixed(db: Db, podNamespace: string, podName: string, network: string): { chosen: Chosen } | { moving: string } | undefined {
  const row = db.get<Row>(`${SELECT} WHERE f.pod = ?`, [podOf(podNamespace, podName)]);
  if (!row) return undefined;
  if (row.pod_network !== network) return undefined; // a row of another network: this pod's address is a new one
  if ((row.state !== 'here' && row.state !== 'published') || !row.eni_id || (row.ip_state !== 'free' && row.ip_state !== 'cooling')) {
    return { moving: row.ip };
  }
  const eni = db.get<{ state: string; pod_network: string }>('SELECT state, pod_network FROM enis WHERE id = ?', [row.eni_id]);
  if (eni?.state !== 'active' || eni.pod_network !== network) return { moving: row.ip };
  return { chosen: { eniId: row.eni_id, ipv4: row.ip } };
}

/** allocate(), after a fresh pick for a pod of a Fixed network: the address is the pod's from now on. */
export function reserveFixed(db: Db, podNamespace: string, podName: string, network: string, ip: string): void {
  const subnet = db.get<{ subnet_id: string | null }>('SELECT e.subnet_id FROM ips i JOIN enis e ON e.id = i.eni_id WHERE i.ip = ?', [ip]);
  db.run('DELETE FROM fixed_ips WHERE pod = ?', [podOf(podNamespace, podName)]);
  db.run("INSERT INTO fixed_ips (pod, pod_network, ip, state, subnet_id, since) VALUES (?, ?, ?, 'here', ?, ?)", [
    podOf(podNamespace, podName),
    network,
    ip,
    subnet?.subnet_id ?? null,
    db.now(),
  ]);
}

/** Move a pod's row from one state to the next, if it still has that address and state; returns whether it did. */
export function advanceFixedIp(db: Db, podNamespace: string, podName: string, ip: string, from: FixedIpState, to: FixedIpState): boolean {
  return db.write(
    () =>
      db.run('UPDATE fixed_ips SET state = ?, since = ? WHERE pod = ? AND ip = ? AND state = ?', [to, db.now(), podOf(podNamespace, podName), ip, from])
        .changes > 0,
  );
}

/** Drop a pod's row (the address released, or taken by another node); returns whether it did. */
export function dropFixedIp(db: Db, podNamespace: string, podName: string, ip: string): boolean {
  return db.write(() => db.run('DELETE FROM fixed_ips WHERE pod = ? AND ip = ?', [podOf(podNamespace, podName), ip]).changes > 0);
}
