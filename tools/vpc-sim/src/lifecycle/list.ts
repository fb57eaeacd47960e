/** `vpc-sim list`: the sims on this machine, from their state directories and namespaces. */
import { readdirSync } from 'node:fs';
import { listNetns } from '../dataplane/ip.ts';
import type { SimInfo } from '../info.ts';
import { RUN_ROOT, simPaths } from '../naming.ts';
import { readJsonFile } from '@cello/cli-kit';
import { readManifest } from './manifest.ts';
import { alive } from './processes.ts';

export interface SimSummary {
  name: string;
  status: 'up' | 'broken' | 'leftovers';
  nodes: number;
  pid?: number;
}

export async function listSims(): Promise<SimSummary[]> {
  let dirs: string[] = [];
  try {
    dirs = readdirSync(RUN_ROOT);
  } catch {
    // no sims yet
  }
  const netns = await listNetns();
  const names = new Set([...dirs, ...netns.filter((n) => /^[a-z][a-z0-9]*-vpc$/.test(n)).map((n) => n.slice(0, -4))]);
  return [...names].sort().map((name) => {
    let paths;
    try {
      paths = simPaths(name);
    } catch {
      return { name, status: 'leftovers' as const, nodes: 0 };
    }
    const info = readJsonFile<SimInfo>(paths.info);
    const pid = readManifest(paths)?.pids[0];
    const running = pid !== undefined && alive(pid);
    return { name, status: info && running ? 'up' : info || running ? 'broken' : 'leftovers', nodes: info?.nodes.length ?? 0, ...(pid ? { pid } : {}) };
  });
}
