/**
 * `cello-gc node`: one sweep of this node, in three steps —
 *   1. allocations whose sandbox is gone (sandboxes.ts),
 *   2. host objects nothing accounts for (host-objects.ts),
 *   3. this instance's ENIs and IPs in the cloud (cloud.ts).
 * A step that cannot run (the cloud unreachable, …) is reported and the
 * others still run. One node sweep at a time (node lock `gc-node`).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CommandError, createLogger, isLocked, KEEPER_LOCK, type Logger, type NodeLock, tryLock } from '@cello/cli-kit';
import { DB_FILE, DEFAULT_STATE_DIR, openStore } from '@cello/cello-ipam';
import { type CelloConfig, connect, type EniContext } from '@cello/cello-eni';
import { isPodNetns } from '@cello/cello-link';
import { FirstSeen } from '../first-seen.ts';
import { describeView, type KubeOptions, podsOnNode } from '../kube.ts';
import type { Ledger } from '../ledger.ts';
import { finishReport, newReport, type SweepReport } from '../report.ts';
import { sweepNodeCloud, type UnknownIpPolicy } from './cloud.ts';
import { sweepHostObjects } from './host-objects.ts';
import { attachmentKey, sweepSandboxes } from './sandboxes.ts';

export const GC_NODE_LOCK = 'gc-node';

export interface NodeSweepOptions {
  /** cello-ipam's directory (default /var/lib/cello); gc keeps its first-seen table there too. */
  stateDir?: string;
  /** This node's name in Kubernetes (default $NODE_NAME, else the hostname). */
  nodeName?: string;
  graceSec: number;
  /**
   * The time grace periods are judged at (default: the clock at the start).
   * Never earlier than the clock: first-seen times and marks are recorded at
   * it, and times in the past would shorten later sweeps' grace periods.
   */
  now?: Date;
  dryRun?: boolean;
  kube?: KubeOptions;
  /** The runtime's valid attachments (CNI GC's cni.dev/valid-attachments), when known. */
  validAttachments?: Array<{ containerId: string; ifname: string }>;
  /** The cello-config in effect; without it the cloud step is off. */
  cloud?: CelloConfig;
  unknownIps?: UnknownIpPolicy;
  log?: Logger;
  signal?: AbortSignal;
}

export async function sweepNode(opts: NodeSweepOptions): Promise<SweepReport> {
  const started = Date.now();
  const stateDir = opts.stateDir ?? DEFAULT_STATE_DIR;
  const log = opts.log ?? createLogger({ component: 'cello-gc' });
  const dryRun = opts.dryRun ?? false;
  const nodeName = opts.nodeName || process.env.NODE_NAME || hostname();
  if (!existsSync(join(stateDir, DB_FILE))) {
    throw new CommandError(`no cello-ipam database in ${stateDir}: nothing to compare the node with (is --state-dir right? has the pool keeper run?)`);
  }
  const gcLock = dryRun ? undefined : await tryLock(stateDir, GC_NODE_LOCK);
  if (!dryRun && !gcLock) throw new CommandError('another cello-gc node sweep is running on this node; try again when it is done');

  const report = newReport('node', nodeName, { dryRun, graceSec: opts.graceSec, started, now: opts.now });
  const seen = FirstSeen.load(stateDir);
  const l: Ledger = { dryRun, graceMs: opts.graceSec * 1000, now: opts.now ?? new Date(started), seen, findings: report.findings, log };
  const store = openStore({ stateDir });
  let keeperLock: NodeLock | undefined;
  let ctx: EniContext | undefined;
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      report.errors.push(`${name}: ${(err as Error).message}`);
      log.error(`${name} failed`, { error: err });
    }
  };
  try {
    const datapath = store.settings().datapath;
    await step('sandboxes', async () => {
      const pods = await podsOnNode(opts.kube ?? {}, nodeName);
      report.sources.kubernetes = describeView(pods, `pods on ${nodeName}`);
      report.sources.runtime = opts.validAttachments ? `${opts.validAttachments.length} valid attachments` : 'not asked';
      const runtime = opts.validAttachments ? new Set(opts.validAttachments.map(attachmentKey)) : undefined;
      await sweepSandboxes(l, store, { pods, runtime, netnsExists: isPodNetns }, datapath);
    });

    // While no keeper runs, gc holds its lock so none starts mid-step; see cloud.ts and host-objects.ts.
    keeperLock = dryRun ? undefined : await tryLock(stateDir, KEEPER_LOCK);
    const exclusive = dryRun ? !(await isLocked(stateDir, KEEPER_LOCK)) : Boolean(keeperLock);
    report.sources.keeper = exclusive ? 'not running' : 'running';

    await step('host objects', () => sweepHostObjects(l, store, { eniLevel: exclusive }));

    if (!opts.cloud) {
      report.sources.cloud = 'off';
    } else {
      const config = opts.cloud;
      await step('cloud', async () => {
        ctx = await connect(config, { log, signal: opts.signal });
        report.instanceId = ctx.identity.instanceId;
        await sweepNodeCloud(l, store, ctx, { unknownIps: opts.unknownIps ?? 'adopt', exclusive });
        report.sources.cloud = 'ok';
      });
      report.sources.cloud ??= 'failed (see errors)';
    }
  } finally {
    keeperLock?.release();
    store.close();
    if (!dryRun) seen.save();
    gcLock?.release();
  }
  return finishReport(report, started, ctx?.client.metrics);
}
