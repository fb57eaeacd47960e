/**
 * withNodeStore: the one way a verb reaches this node's state, and the one
 * place a call is logged. In order: open the call's log (a trace id, the
 * verb, the pod); check CNI_NETNS names a pod's network namespace (ADD, CHECK:
 * code 4); take the pod's lock (ADD, DEL, CHECK: wait up to 20 s, then code
 * 11); open cello-ipam's store (code 5 if it cannot be opened; 50 to STATUS), or, on a
 * node that has none yet, answer `noStore`; run the verb; close the store,
 * release the lock; close the call with one line, `<VERB> done` (the noted
 * facts and `ms`) or `<VERB> failed` (the CNI code the runtime gets, the
 * error, `ms`). cello-agent's metrics read these lines.
 *
 * Library errors become CNI codes here: bad input that cello-ipam or
 * cello-link refuses (cli-kit's UsageError) is 7, invalid network config,
 * its message naming the field; anything else unexpected is 999 with its
 * message. It undoes nothing: undo is the verb's (add.ts).
 *
 * Also what the verbs share: the pod's key and label, and the allocation in
 * the shape cello-link reads.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger, podLockName, UsageError, waitLock } from '@cello/cli-kit';
import { asCniError, type Call, CniError, ErrorCode } from '@cello/cni-types';
import { type Allocation, type AllocationKey, DB_FILE, type IpamStore, openStore } from '@cello/cello-ipam';
import { inspectNetns, type LinkAllocation, netnsProblem } from '@cello/cello-link';
import type { CelloNetConf } from './netconf.ts';
import { mark } from './trace.ts';

/** What a verb's body gets besides the store: the call's logger, and a place for facts its closing line reports. */
export interface CallScope {
  log: Logger;
  note(fields: Record<string, unknown>): void;
}

export interface NodeStoreUse<T> {
  /** CNI_NETNS must name a pod's network namespace (ADD, CHECK act inside it), checked before anything else. */
  podNetns?: boolean;
  /** Hold the pod's lock for the whole call (ADD, DEL, CHECK). GC locks each allocation it releases; STATUS only reads. */
  podLock: boolean;
  /** The answer on a node whose store does not exist yet (nothing was ever allocated). Unset: the store is created. */
  noStore?: (scope: CallScope) => Promise<T>;
  /** Work that needs only the pod's lock, started as soon as it is held, before the store opens (DEL: the veth by name). */
  whenLocked?: () => void;
}

/** How long a call waits for another ADD/DEL/CHECK of the same pod to finish. */
const POD_LOCK_WAIT_MS = 20_000;

export async function withNodeStore<T>(
  call: Call,
  cfg: CelloNetConf,
  use: NodeStoreUse<T>,
  body: (scope: CallScope & { store: IpamStore }) => Promise<T>,
): Promise<T> {
  const verb = call.env.command;
  const log = callLogger(call, cfg);
  const notes: Record<string, unknown> = {};
  const scope: CallScope = { log, note: (fields) => void Object.assign(notes, fields) };
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    if (use.podNetns) requirePodNetns(call.env.netns);
    mark('netns checked');
    const out = await lockAndOpen(call, cfg, use, body, scope);
    log.info(`${verb} done`, { ...notes, ms: ms() });
    mark('log line written');
    return out;
  } catch (err) {
    const e = asCni(err);
    log.error(`${verb} failed`, { ...notes, code: e.code, error: e.message, ms: ms() });
    throw e;
  }
}

async function lockAndOpen<T>(
  call: Call,
  cfg: CelloNetConf,
  use: NodeStoreUse<T>,
  body: (scope: CallScope & { store: IpamStore }) => Promise<T>,
  scope: CallScope,
): Promise<T> {
  const lock = use.podLock ? await lockPod(call, cfg.stateDir) : undefined;
  mark('pod lock taken');
  try {
    use.whenLocked?.();
    if (use.noStore && !existsSync(join(cfg.stateDir, DB_FILE))) return await use.noStore(scope);
    const store = openNodeStore(call, cfg);
    mark('store open');
    try {
      return await body({ ...scope, store });
    } finally {
      store.close();
    }
  } finally {
    lock?.release();
    mark('store closed, lock released');
  }
}

/** The JSON-lines logger of one CNI call: every line carries a trace id, the verb and the pod. */
function callLogger(call: Call, cfg: CelloNetConf): Logger {
  const { env } = call;
  return createLogger({
    component: 'cello-cni',
    file: cfg.logFile || undefined,
    level: cfg.logLevel,
    fields: {
      traceId: traceId(),
      verb: env.command,
      network: call.conf.conf.name,
      containerId: env.containerId || undefined,
      ifname: env.ifname || undefined,
      pod: env.args.podName ? `${env.args.podNamespace ?? ''}/${env.args.podName}` : undefined,
    },
  });
}

/**
 * 8 hex digits that tie one call's log lines together. Not a secret, so not
 * crypto: node:crypto costs the compiled binary ≈ 3 ms to load, and even the
 * Web Crypto global's first getRandomValues ≈ 0.6 ms; Math.random (seeded
 * per process) costs nothing.
 */
function traceId(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
}

/** Take this call's pod lock (in the node's state directory), or fail with code 11 (try again later). */
async function lockPod(call: Call, stateDir: string) {
  const name = podLockName({ podNamespace: call.env.args.podNamespace, podName: call.env.args.podName, containerId: call.env.containerId });
  const lock = await waitLock(stateDir, name, POD_LOCK_WAIT_MS);
  if (!lock) throw new CniError(ErrorCode.TryAgainLater, `another CNI call for ${name} is still running; try again later`);
  return lock;
}

/** Open cello-ipam's store. A broken or unreadable one is an I/O failure (code 5); to STATUS, a plugin that cannot serve an ADD (50). */
function openNodeStore(call: Call, cfg: CelloNetConf): IpamStore {
  try {
    return openStore({ stateDir: cfg.stateDir });
  } catch (err) {
    const why = (err as Error).message;
    if (call.env.command === 'STATUS') throw new CniError(ErrorCode.PluginNotAvailable, `the IPAM store is unreadable: ${why}`);
    throw new CniError(ErrorCode.IoFailure, `cannot open the IPAM store in ${cfg.stateDir}: ${why}`);
  }
}

/**
 * Library errors as CNI errors: bad input (cli-kit's UsageError, which
 * cello-ipam and cello-link throw naming the field) is 7; the rest as
 * cni-types maps them (999 with the message).
 */
function asCni(err: unknown): CniError {
  if (err instanceof UsageError) return new CniError(ErrorCode.InvalidNetworkConfig, err.message);
  return asCniError(err);
}

/** The CNI triple of this call. */
export function allocationKey(call: Call): AllocationKey {
  return { network: call.conf.conf.name, containerId: call.env.containerId, ifname: call.env.ifname };
}

/** How messages name the pod of a call: `pod ns/name`, or `container <id>` when the runtime sent no pod name. */
export function podLabel(p: { podNamespace?: string; podName?: string; containerId: string }): string {
  return p.podName ? `pod ${p.podNamespace ?? ''}/${p.podName}` : `container ${p.containerId}`;
}

/**
 * ADD and CHECK act inside CNI_NETNS: it must be a pod's network namespace —
 * not missing, not a plain file or another kind of namespace, not the node's
 * own (which `/proc/self/ns/net` or a `..` path would reach). Code 4 otherwise.
 */
function requirePodNetns(netns: string): void {
  const problem = netnsProblem(netns, inspectNetns(netns));
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_NETNS: ${problem}`);
}

/** The allocation in the shape cello-link reads; an allocation whose ENI is gone cannot be programmed. */
export function forLink(a: Allocation): LinkAllocation {
  if (!a.eni) {
    throw new CniError(ErrorCode.Internal, `the ENI of ${a.ipv4 ?? a.ipv6} is no longer known to this node (cello-ipam show ${a.containerId})`);
  }
  return { ...a, eni: a.eni };
}
