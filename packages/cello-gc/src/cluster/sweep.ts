/**
 * `cello-gc cluster`: ENIs tagged with this cluster (cello-eni's creator tags
 * plus `k8s:cello:cluster=<clusterName>`) whose instance is gone or is not a
 * node of the cluster — the leaks no node can see, because their node is the
 * one that went away. Run it from one place (a CronJob, or one elected agent).
 *
 * - Detached ENIs whose creating instance (its instance tag) is gone or not a
 *   node: deleted once the ENI's UpdatedAt/CreatedAt is older than the grace.
 *   Detached ENIs of live nodes are their node's business (cello-gc node and
 *   the keeper, which may be about to attach them).
 * - Attached ENIs whose instance is gone: detached and deleted after the same
 *   grace. Attached ENIs of a live instance that is not a node: their pods
 *   might still run (a Node object can vanish for a moment), so the first
 *   sweep only marks them with the tag `k8s:cello:gc-orphaned-at=<time>` and a
 *   later one, a grace period on, detaches and deletes them; an ENI whose
 *   instance is a node again loses the mark.
 *
 * The cluster's ENIs come from ListTagsForResources and then
 * DescribeNetworkInterfaces by id (a tag-filtered describe stops at 1,000
 * ENIs). Every list is paginated and every call goes through cello-eni's client
 * (per-action token buckets, retries), a few fixes at a time.
 */
import { type CelloConfig, type CloudEni, clusterFilter, connect, createdFor, type EniContext, type NodeIdentity, waitEniStatus } from '@cello/cello-eni';
import { CommandError, createLogger, type Logger } from '@cello/cli-kit';
import { lastChange, tagTime } from '../eni-time.ts';
import { FirstSeen } from '../first-seen.ts';
import { clusterNodes, describeView, type KubeOptions } from '../kube.ts';
import { type Ledger, register, settle, Skip } from '../ledger.ts';
import { finishReport, newReport, type SweepReport } from '../report.ts';
import { type Membership, membership } from './membership.ts';

export const ORPHAN_MARK_TAG = 'k8s:cello:gc-orphaned-at';

export interface ClusterSweepOptions {
  config: CelloConfig;
  graceSec: number;
  /**
   * The time grace periods are judged at (default: the clock at the start).
   * Never earlier than the clock: first-seen times and marks are recorded at
   * it, and times in the past would shorten later sweeps' grace periods.
   */
  now?: Date;
  dryRun?: boolean;
  kube?: KubeOptions;
  /** Region and VPC when the metadata service should not be asked (off an instance). */
  identity?: Pick<NodeIdentity, 'region' | 'vpcId'>;
  /** Fixes running at once (the client's token buckets pace them further). Default 4. */
  concurrency?: number;
  log?: Logger;
  signal?: AbortSignal;
}

const TRANSITIONAL = new Set(['Creating', 'Attaching', 'Detaching', 'Deleting']);

interface Plan {
  reason: string;
  /** The ENI is attached to a live instance that is not a node: mark first, act a grace later. */
  markFirst: boolean;
}

/** What to do with one ENI of the cluster, or undefined when it is in use by a node (or its node's to handle). */
export function planFor(cfg: Pick<CelloConfig, 'platform'>, e: CloudEni, m: Membership): Plan | undefined {
  const notNode = (id: string) => m.nodes !== undefined && !m.nodes.has(id);
  if (e.status === 'InUse') {
    if (!m.instances.has(e.instanceId)) return { reason: `attached to ${e.instanceId}, which no longer exists`, markFirst: false };
    if (notNode(e.instanceId)) return { reason: `attached to ${e.instanceId}, which is not a node of the cluster`, markFirst: true };
    return undefined;
  }
  if (e.status === 'Available') {
    const owner = createdFor(cfg, e);
    if (!owner) return { reason: 'detached and tagged for no instance', markFirst: false };
    if (!m.instances.has(owner)) return { reason: `detached; its instance ${owner} no longer exists`, markFirst: false };
    if (notNode(owner)) return { reason: `detached; its instance ${owner} is not a node of the cluster`, markFirst: false };
  }
  return undefined;
}

export async function sweepCluster(opts: ClusterSweepOptions): Promise<SweepReport> {
  const started = Date.now();
  const { config } = opts;
  const log = opts.log ?? createLogger({ component: 'cello-gc' });
  if (!config.clusterName) {
    throw new CommandError(
      "the config has no clusterName: the cluster sweep needs it to tell this cluster's ENIs from those of other clusters in the VPC (set clusterName in cello-config; new ENIs are tagged with it)",
    );
  }
  const dryRun = opts.dryRun ?? false;
  const report = newReport('cluster', config.clusterName, { dryRun, graceSec: opts.graceSec, started, now: opts.now });
  const l: Ledger = {
    dryRun,
    graceMs: opts.graceSec * 1000,
    now: opts.now ?? new Date(started),
    seen: FirstSeen.load(undefined),
    findings: report.findings,
    log,
  };
  let ctx: EniContext | undefined;
  try {
    const identity = opts.identity ? { instanceId: '', instanceType: '', zone: '', primaryMac: '', primaryEniId: '', ...opts.identity } : undefined;
    ctx = await connect(config, { log, signal: opts.signal, identity });
    const vpcId = ctx.identity.vpcId;
    const [enis, instances, nodes] = await Promise.all([
      ctx.api.listEnisByTags(clusterFilter(config), { vpcId }),
      ctx.api.listInstances(vpcId),
      clusterNodes(opts.kube ?? {}),
    ]);
    const m = membership(instances, nodes);
    report.sources.cloud = `ok (${enis.length} ENIs of the cluster, ${instances.length} instances in ${vpcId})`;
    report.sources.kubernetes = `${describeView(nodes, 'nodes')}; ${m.note}`;
    await sweepEnis(l, ctx, enis, m, opts.concurrency ?? 4);
  } catch (err) {
    report.errors.push(`cloud: ${(err as Error).message}`);
    log.error('cluster sweep failed', { error: err });
  }
  return finishReport(report, started, ctx?.client.metrics);
}

async function sweepEnis(l: Ledger, ctx: EniContext, enis: CloudEni[], m: Membership, concurrency: number): Promise<void> {
  const work: Array<() => Promise<void>> = [];
  for (const e of enis) {
    if (e.type === 'primary' || TRANSITIONAL.has(e.status)) continue;
    const plan = planFor(ctx.config, e, m);
    const markedAt = tagTime(e, ORPHAN_MARK_TAG);
    if (!plan) {
      if (markedAt && !l.dryRun) {
        work.push(async () => {
          await unmark(ctx, e.id).catch((err: unknown) => l.log.warn('could not remove the orphan mark', { eni: e.id, error: err }));
        });
      }
      continue;
    }
    const since = (plan.markFirst ? markedAt : lastChange(e)) ?? l.now;
    const { finding, due } = register(l, {
      kind: 'eni-orphaned',
      id: e.id,
      reason: plan.reason,
      action: e.status === 'InUse' ? 'detach+delete' : 'delete',
      since,
      sinceOnly: true,
    });
    if (!due && plan.markFirst && !markedAt) {
      finding.note = `${l.dryRun ? 'would mark' : 'marked'} ${ORPHAN_MARK_TAG}=${l.now.toISOString()}; detached and deleted a grace period later`;
      if (l.dryRun) continue;
      work.push(async () => {
        await mark(ctx, e.id, l.now).catch((err: unknown) => {
          finding.outcome = 'failed';
          finding.note = `could not mark it: ${(err as Error).message}`;
        });
      });
      continue;
    }
    work.push(() => settle(l, finding, due, () => detachAndDelete(ctx, e.id)));
  }
  await runLimited(work, concurrency);
}

async function detachAndDelete(ctx: EniContext, id: string): Promise<void> {
  let eni = await ctx.api.describeEni(id);
  if (!eni) return;
  if (eni.type === 'primary') throw new Skip('it is a primary ENI');
  if (eni.status === 'InUse' || eni.status === 'Attaching') {
    await ctx.api.detachEni(id, eni.instanceId);
    eni = await waitEniStatus(ctx, id, 'Available');
  }
  if (eni.status !== 'Available') throw new Skip(`it is ${eni.status} now`);
  await ctx.api.deleteEni(id);
}

const mark = (ctx: EniContext, id: string, at: Date) => ctx.api.tagEni(id, [{ Key: ORPHAN_MARK_TAG, Value: at.toISOString() }]);

const unmark = (ctx: EniContext, id: string) => ctx.api.untagEni(id, [ORPHAN_MARK_TAG]);

async function runLimited(work: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < work.length) await work[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, work.length) }, worker));
}
