/**
 * Making cello-ipam agree with the cloud, at keeper start and every
 * reconcileIntervalSec. The cloud (ENIs tagged for this instance) says which
 * ENIs and IPs exist; cello-ipam says who owns them. A fresh node's start
 * lists nothing (fresh.ts).
 *
 * - ENIs in a transitional state are waited for (a crash mid-step left them).
 * - Attached ENIs: device and metadata checked, eni-up, import — which adopts
 *   IPs the cloud has and cello-ipam does not (a crash after an assign).
 * - IPs (and ENIs) cello-ipam knows but the cloud no longer has are forgotten;
 *   one a pod holds is flagged in the log, never dropped silently.
 * - Available ENIs of ours: one cello-ipam was releasing is deleted; the
 *   others (a crash between create and attach) are spares the next fill
 *   attaches instead of creating, and deletes if the pool does not need them.
 */
import type { EniRecord, SurplusEni } from '@cello/cello-ipam';
import type { CloudEni } from '../openapi/api.ts';
import { freeEni, waitOnHost } from '../lifecycle/eni.ts';
import { isOwned, ownedFilter } from '../lifecycle/tags.ts';
import { waitFor } from '../lifecycle/wait.ts';
import { keeperImportDoc, upAndImport } from './bring-up.ts';
import type { KeeperContext } from './context.ts';
import { freshNode } from './fresh.ts';

const STABLE = new Set(['Available', 'InUse']);

export interface ReconcileReport {
  attached: string[];
  spares: CloudEni[];
  adoptedIps: number;
  forgotten: SurplusEni[];
  flagged: Array<{ ip: string; eniId: string; pod: string }>;
  deleted: string[];
  /** The ENIs of ours the cloud listed (the round's limits count them as ours, instead of listing again). */
  listed: CloudEni[];
}

/** Our ENIs once none is between states (Deleting ones dropped). */
async function settledEnis(k: KeeperContext, knownIds: string[]): Promise<CloudEni[]> {
  const list = async (opts = {}) => {
    const tagged = await k.api.listEnis({ tags: ownedFilter(k.config, k.identity.instanceId) }, opts);
    // ENIs imported by hand carry no tags: ask for them by id.
    const untagged = knownIds.filter((id) => !tagged.some((e) => e.id === id));
    return untagged.length ? [...tagged, ...(await k.api.listEnis({ ids: untagged }, opts))] : tagged;
  };
  let enis = await list();
  const moving = enis.filter((e) => !STABLE.has(e.status) && e.status !== 'Deleting');
  if (moving.length) {
    k.log.info('waiting for ENIs between states', { enis: moving.map((e) => `${e.id}:${e.status}`) });
    enis = await waitFor(k, `${moving.length} ENI(s) to finish a state change`, async () => {
      const now = await list({ class: 'wait' });
      return now.every((e) => STABLE.has(e.status) || e.status === 'Deleting') ? now : undefined;
    });
  }
  return enis.filter((e) => e.status !== 'Deleting');
}

function forgetAndFlag(k: KeeperContext, gone: SurplusEni[], report: ReconcileReport) {
  if (!gone.length) return;
  const r = k.store.forget({ enis: gone });
  report.forgotten.push(...r.enis);
  for (const f of r.flagged) {
    const pod = `${f.allocation.podNamespace}/${f.allocation.podName}`;
    report.flagged.push({ ip: f.ip, eniId: f.eniId, pod });
    k.log.warn('the cloud no longer has an IP a pod holds; the pod has no working address until it is recreated', {
      ip: f.ip,
      eni: f.eniId,
      pod,
      containerId: f.allocation.containerId,
    });
  }
  if (r.enis.length) k.log.warn('forgot what the cloud no longer has', { removed: r.enis });
}

/**
 * `start`: the keeper's first reconcile, which skips listing the cloud on a
 * fresh node (fresh.ts): nothing of ours can be there yet.
 */
export async function reconcile(k: KeeperContext, opts: { start?: boolean } = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = { attached: [], spares: [], adoptedIps: 0, forgotten: [], flagged: [], deleted: [], listed: [] };
  if (opts.start) {
    const f = await freshNode(k);
    if (f.fresh) {
      k.log.info('a fresh node: no keeper created ENIs for this instance, none is attached but the primary; nothing to reconcile');
      return report;
    }
    k.log.debug('reconciling with the cloud', { why: f.why });
  }
  const me = k.identity.instanceId;
  const known = new Map(k.store.enis().map((e) => [e.id, e]));
  const cloud = await settledEnis(k, [...known.keys()]);
  report.listed = cloud;
  const attached = cloud.filter((e) => e.status === 'InUse' && e.instanceId === me && e.id !== k.identity.primaryEniId);
  const stats = k.store.stats().enis;
  const releasing = new Set(stats.filter((e) => e.releasing).map((e) => e.id));

  // ENIs cello-ipam knows that are not attached here any more.
  const attachedIds = new Set(attached.map((e) => e.id));
  forgetAndFlag(
    k,
    [...known.values()].filter((e) => !attachedIds.has(e.id)).map((e) => ({ id: e.id, ips: [], ipv6s: [], whole: true })),
    report,
  );

  const held = new Set(stats.filter((e) => e.ipv4.used + e.ipv6.used > 0).map((e) => e.id));
  for (const eni of attached) {
    report.attached.push(eni.id);
    if (releasing.has(eni.id)) continue; // being given back: the round finishes it
    const before = known.get(eni.id);
    // An exclusive ENI a pod holds lives in the pod's namespace: not on the host, and not eni-up's business.
    const inPod = before?.mode === 'exclusive' && held.has(eni.id);
    const ipsBefore = new Set(
      k.store
        .ips()
        .filter((r) => r.eniId === eni.id)
        .map((r) => r.ip),
    );
    let doc;
    if (inPod) {
      doc = await keeperImportDoc(k, eni, { mode: 'exclusive' });
      k.store.import({ enis: [doc] });
    } else {
      const host = await waitOnHost(k, eni);
      doc = await keeperImportDoc(k, eni, { metadata: host.metadata, device: host.device.name, mode: before?.mode });
      await upAndImport(k, doc);
    }
    const adopted = [...(doc.ips ?? []), ...(doc.ipv6s ?? [])].filter((ip) => !ipsBefore.has(ip));
    if (before && adopted.length) k.log.warn('adopted IPs the cloud has and cello-ipam did not', { eni: eni.id, ips: adopted });
    report.adoptedIps += before ? adopted.length : 0;
    forgetAndFlag(k, goneIps(k, eni, doc.ips ?? [], doc.ipv6s ?? [], before), report);
  }

  for (const eni of cloud.filter((e) => e.status === 'Available' && isOwned(k.config, e, me))) {
    if (releasing.has(eni.id)) {
      // It was on its way out (detached, not yet deleted): finish.
      await freeEni(k, eni.id);
      report.deleted.push(eni.id);
      k.log.info('deleted an ENI left detached by an interrupted release', { eni: eni.id });
    } else {
      report.spares.push(eni);
    }
  }
  if (report.spares.length)
    k.log.info('found ENIs of ours that are not attached; they are used before creating new ones, or deleted', { enis: report.spares.map((e) => e.id) });
  return report;
}

/** IPs cello-ipam has on the ENI that the cloud does not (the primary always stays). */
function goneIps(k: KeeperContext, eni: CloudEni, ips: string[], ipv6s: string[], record: EniRecord | undefined): SurplusEni[] {
  if (!record) return [];
  const cloudIps = new Set([eni.primaryIp, ...ips, ...(k.config.ipFamily === 'ipv4' ? eni.ipv6s : ipv6s)]);
  const stale = k.store.ips().filter((r) => r.eniId === eni.id && !cloudIps.has(r.ip));
  if (!stale.length) return [];
  return [{ id: eni.id, ips: stale.filter((r) => r.family === 4).map((r) => r.ip), ipv6s: stale.filter((r) => r.family === 6).map((r) => r.ip), whole: false }];
}
