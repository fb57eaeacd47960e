import { type Attachment, type NetConfList, type Result, fromVersioned, hasCheck, hasGcAndStatus, hasPrevResultOnDel, toVersion } from '@cello/cni-types';
import { cachedAttachments, readCache, removeCache, writeCache } from './cache.ts';
import type { LoadedConfList } from './conflist.ts';
import { type PluginStep, findPlugin, invokePlugin } from './invoke.ts';

export type ExecVerb = 'add' | 'del' | 'check' | 'gc' | 'status';

export interface ExecRequest {
  verb: ExecVerb;
  conf: LoadedConfList;
  netns: string;
  containerId: string;
  ifname: string;
  /** CNI_ARGS pairs. */
  args: Array<[string, string]>;
  /** CAP_ARGS: capability name → value. */
  capabilityArgs: Record<string, unknown>;
  cniPath: string[];
  cacheDir: string;
  /** GC only: attachments to keep (default: every attachment in the result cache). */
  valid?: Attachment[];
}

export interface ExecReport {
  network: string;
  verb: ExecVerb;
  containerId: string;
  ifname: string;
  steps: PluginStep[];
  result?: Result;
  error?: { plugin: string; code?: number; msg: string; details?: string };
}

/** cnitool's container id: stable per netns path. */
export function cnitoolContainerId(netns: string): string {
  // node:crypto on first use: a static import would load it on every CNI call of the compiled binary (docs/cello-cni.md, Start-up).
  return `cnitool-${process.getBuiltinModule('node:crypto').createHash('sha512').update(netns).digest('hex').slice(0, 20)}`;
}

/** Build a plugin's stdin as libcni does: name, cniVersion, matched capabilities, prevResult. */
function pluginConf(list: NetConfList, plugin: Record<string, unknown>, caps: Record<string, unknown>, prev?: Result) {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const wanted = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const rc: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(wanted)) if (on && cap in caps) rc[cap] = caps[cap];
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  if (prev) conf.prevResult = prev;
  return conf;
}

class ChainError extends Error {}

function failed(step: PluginStep): ExecReport['error'] {
  const out = step.stdout as { code?: number; msg?: string; details?: string } | string | undefined;
  if (out && typeof out === 'object') return { plugin: step.plugin, code: out.code, msg: out.msg ?? 'plugin failed', details: out.details };
  return { plugin: step.plugin, msg: `netplugin failed: ${JSON.stringify(step.stderr || out || '')}` };
}

/** Run one verb over a conflist the way libcni does, recording every plugin call. */
export async function runChain(req: ExecRequest): Promise<ExecReport> {
  const { list } = req.conf;
  const report: ExecReport = { network: list.name, verb: req.verb, containerId: req.containerId, ifname: req.ifname, steps: [] };
  // libcni always sends all six variables; GC and STATUS concern no container.
  const env = (command: string): Record<string, string> => {
    const perContainer = command !== 'GC' && command !== 'STATUS';
    return {
      CNI_COMMAND: command,
      CNI_CONTAINERID: perContainer ? req.containerId : '',
      CNI_NETNS: perContainer ? req.netns : '',
      CNI_IFNAME: perContainer ? req.ifname : '',
      CNI_ARGS: perContainer ? req.args.map(([k, v]) => `${k}=${v}`).join(';') : '',
      CNI_PATH: req.cniPath.join(':'),
    };
  };
  const call = async (plugin: Record<string, unknown>, command: string, stdin: Record<string, unknown>) => {
    const type = String(plugin.type ?? '');
    const step = await invokePlugin(findPlugin(type, req.cniPath), type, env(command), stdin);
    report.steps.push(step);
    if (step.exitCode !== 0) {
      report.error = failed(step);
      throw new ChainError();
    }
    return step;
  };
  const plugins = list.plugins as Array<Record<string, unknown>>;
  const entry = readCache(req.cacheDir, list.name, req.containerId, req.ifname);
  const cached = () => (entry?.result ? toVersion(fromVersioned(entry.result), list.cniVersion) : undefined);
  // DEL and CHECK reuse the capability args of the ADD when none are given
  // (Debian's bandwidth plugin crashes on a CHECK without them).
  const caps = Object.keys(req.capabilityArgs).length ? req.capabilityArgs : (entry?.capabilityArgs ?? {});

  try {
    switch (req.verb) {
      case 'add': {
        let prev: Result | undefined;
        for (const p of plugins) {
          const step = await call(p, 'ADD', pluginConf(list, p, req.capabilityArgs, prev));
          prev = { ...(step.stdout as Result), cniVersion: (step.stdout as Result)?.cniVersion ?? list.cniVersion };
        }
        report.result = prev;
        writeCache(req.cacheDir, {
          kind: 'cniCacheV1',
          containerId: req.containerId,
          config: req.conf.bytes.toString('base64'),
          ifName: req.ifname,
          networkName: list.name,
          netns: req.netns,
          cniArgs: req.args,
          capabilityArgs: req.capabilityArgs,
          result: prev,
        });
        break;
      }
      case 'del': {
        const prev = hasPrevResultOnDel(list.cniVersion) ? cached() : undefined;
        for (const p of [...plugins].reverse()) await call(p, 'DEL', pluginConf(list, p, caps, prev));
        removeCache(req.cacheDir, list.name, req.containerId, req.ifname);
        break;
      }
      case 'check': {
        if (!hasCheck(list.cniVersion)) throw new Error(`configuration version "${list.cniVersion}" does not support the CHECK command`);
        if (String(list.disableCheck ?? 'false').toLowerCase() === 'true') break;
        const prev = cached();
        if (!prev) throw new Error(`no cached result for ${list.name}/${req.containerId}/${req.ifname}: was it added?`);
        for (const p of plugins) await call(p, 'CHECK', pluginConf(list, p, caps, prev));
        break;
      }
      case 'gc': {
        const known = cachedAttachments(req.cacheDir, list.name);
        const valid = req.valid ?? known.map((e) => ({ containerID: e.containerId, ifname: e.ifName }));
        const keep = new Set(valid.map((a) => `${a.containerID}/${a.ifname}`));
        for (const e of known.filter((e) => !keep.has(`${e.containerId}/${e.ifName}`))) {
          const sub = await runChain({ ...req, verb: 'del', containerId: e.containerId, ifname: e.ifName, netns: e.netns ?? '', args: e.cniArgs ?? [] });
          report.steps.push(...sub.steps);
          if (sub.error) report.error ??= sub.error;
        }
        if (hasGcAndStatus(list.cniVersion)) {
          const gcEnv = { 'cni.dev/valid-attachments': valid, 'cni.dev/attachments': valid };
          for (const p of plugins) await call(p, 'GC', { ...pluginConf(list, p, {}), ...gcEnv });
        }
        break;
      }
      case 'status':
        if (!hasGcAndStatus(list.cniVersion)) throw new Error(`configuration version "${list.cniVersion}" does not support the STATUS command`);
        for (const p of plugins) await call(p, 'STATUS', pluginConf(list, p, {}));
        break;
    }
  } catch (err) {
    if (!(err instanceof ChainError)) report.error = { plugin: '', msg: (err as Error).message };
  }
  return report;
}
