/**
 * `cello-agent config-sync`: keep the files the keeper reads equal to what
 * Kubernetes says. `/etc/cello/conf` ← the cluster ConfigMap; `/etc/cello/
 * node-conf` ← the ConfigMap the node label names (removed when the label
 * goes). Files are written atomically (mode 0600: the conf may hold an
 * access key) and only when their bytes change; the keeper notices within a
 * second and applies subnets, securityGroups, poolTarget and poolTargetMin
 * live (cello-eni's LIVE_KEYS).
 *
 * Watching: the cluster ConfigMap, this Node (its label), and the node-scope
 * ConfigMap it names. Any change re-reads all three. Watches that end are
 * restarted, and a full re-read runs every `resyncMs` anyway, so a dropped
 * watch costs at most that long. A config that does not pass cello-eni's
 * checks is not written: the keeper keeps the last good one, and an event
 * (ConfigMapUpdateFailed) names the field.
 */
import { existsSync } from 'node:fs';
import type { Logger } from '@cello/cli-kit';
import { Watch } from '@kubernetes/client-node';
import { writeFileAtomic } from '@cello/cli-kit';
import { removeDurably } from '../install/atomic.ts';
import type { Kube } from '../kube/client.ts';
import type { NodeEventRecorder } from '../kube/events.ts';
import { CLUSTER_CONFIG, type ConfigRef, fetchConfig, type FetchedConfig, nodeLabel, parseNodeLabel } from './source.ts';

export interface ConfigSyncOptions {
  kube: Kube;
  node: string;
  configFile: string;
  nodeConfigFile: string;
  log: Logger;
  cluster?: ConfigRef;
  events?: NodeEventRecorder;
  resyncMs?: number;
}

export interface SyncResult {
  changed: string[];
  fetched: FetchedConfig;
}

export class ConfigSync {
  private lastError = '';

  constructor(private readonly opts: ConfigSyncOptions) {}

  /** Read from Kubernetes and write the files. Throws (ConfigSourceError) when the config is missing or invalid. */
  async syncOnce(): Promise<SyncResult> {
    const { kube, node, configFile, nodeConfigFile } = this.opts;
    const fetched = await fetchConfig(kube.core, node, this.opts.cluster ?? CLUSTER_CONFIG);
    const changed: string[] = [];
    if (writeFileAtomic(configFile, fetched.cluster.text, 0o600)) changed.push(configFile);
    if (fetched.node) {
      if (writeFileAtomic(nodeConfigFile, fetched.node.text, 0o600)) changed.push(nodeConfigFile);
    } else if (existsSync(nodeConfigFile)) {
      removeDurably(nodeConfigFile);
      changed.push(nodeConfigFile);
    }
    return { changed, fetched };
  }

  /** syncOnce, logging the outcome instead of throwing (the watch loop's step). */
  private async syncLogged(why: string): Promise<void> {
    const { log } = this.opts;
    try {
      const r = await this.syncOnce();
      this.lastError = '';
      if (r.changed.length) {
        log.info('config written', {
          why,
          files: r.changed,
          cluster: refText(r.fetched.cluster.ref),
          node: r.fetched.node ? refText(r.fetched.node.ref) : null,
        });
        for (const w of r.fetched.warnings) log.warn(w);
      }
    } catch (err) {
      const message = (err as Error).message;
      log.error('config not applied; the keeper keeps the previous one', { why, error: err });
      if (message !== this.lastError) void this.opts.events?.record('ConfigMapUpdateFailed', message);
      this.lastError = message;
    }
  }

  /** Sync on every change until `signal` aborts. */
  async watch(signal: AbortSignal): Promise<void> {
    const { kube, log, node } = this.opts;
    const cluster = this.opts.cluster ?? CLUSTER_CONFIG;
    const watches = new Map<string, AbortController>();
    let pending = 'start';
    let wake = () => {};
    const kick = (why: string) => {
      pending ||= why;
      wake();
    };

    /** Watch objects of one kind by name; restart the watch whenever it ends, until stopped. */
    const watchNamed = (key: string, path: string, name: string) => {
      if (watches.has(key) || signal.aborted) return;
      const ac = new AbortController();
      watches.set(key, ac);
      const again = (err?: unknown) => {
        if (ac.signal.aborted || signal.aborted) return;
        log.debug('watch ended; restarting', { watch: key, error: err });
        kick(`${key} watch restarted`);
        setTimeout(() => {
          watches.delete(key);
          watchNamed(key, path, name);
        }, 1000).unref();
      };
      new Watch(kube.config)
        .watch(path, { fieldSelector: `metadata.name=${name}` }, () => kick(key), again)
        .then((inner) => (ac.signal.aborted ? inner.abort() : ac.signal.addEventListener('abort', () => inner.abort(), { once: true })), again);
    };
    const stopWatch = (key: string) => {
      watches.get(key)?.abort();
      watches.delete(key);
    };

    watchNamed('cluster ConfigMap', `/api/v1/namespaces/${cluster.namespace}/configmaps`, cluster.name);
    watchNamed('Node', '/api/v1/nodes', node);
    const resync = setInterval(() => kick('resync'), this.opts.resyncMs ?? 60_000);
    signal.addEventListener('abort', () => wake(), { once: true });
    let nodeRef: ConfigRef | undefined;
    try {
      while (!signal.aborted) {
        if (!pending) await new Promise<void>((r) => (wake = r));
        if (signal.aborted) break;
        const why = pending;
        pending = '';
        await this.syncLogged(why);
        // Follow the node label: watch the ConfigMap it names now.
        const ref = await this.nodeRef();
        if (ref === null || (ref && nodeRef && refText(ref) === refText(nodeRef)) || (!ref && !nodeRef)) continue;
        stopWatch('node ConfigMap');
        nodeRef = ref;
        if (ref) watchNamed('node ConfigMap', `/api/v1/namespaces/${ref.namespace}/configmaps`, ref.name);
      }
    } finally {
      clearInterval(resync);
      for (const key of [...watches.keys()]) stopWatch(key);
    }
  }

  /** The ConfigMap the node label names; undefined without a label; null when the Node cannot be read. */
  private async nodeRef(): Promise<ConfigRef | undefined | null> {
    try {
      const label = await nodeLabel(this.opts.kube.core, this.opts.node);
      return label ? parseNodeLabel(label) : undefined;
    } catch {
      return null;
    }
  }
}

const refText = (r: ConfigRef) => `${r.namespace}/${r.name}`;
