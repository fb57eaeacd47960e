/**
 * `vpc-sim down`: remove exactly what a sim made, found both from its
 * manifest and by its naming conventions, so it also cleans up after an `up`
 * that crashed or was killed halfway. Idempotent: a second run finds nothing.
 * Order matters: processes first (a server keeps a deleted namespace alive),
 * then namespaces (their veths go with them), then the state directory.
 */
import { existsSync, rmSync } from 'node:fs';
import { isSimNetns, simPaths } from '../naming.ts';
import { ipBatch, listNetns } from '../dataplane/ip.ts';
import { readManifest } from './manifest.ts';
import { alive, cmdline, isServerOf, processesIn, serverProcesses, stopProcesses } from './processes.ts';

export interface DownReport {
  name: string;
  /** Processes stopped: the server and anything left running in the sim's namespaces. */
  pids: number[];
  namespaces: string[];
  stateDir?: string;
  dryRun: boolean;
}

export async function down(name: string, opts: { dryRun?: boolean } = {}): Promise<DownReport> {
  const paths = simPaths(name);
  const manifest = readManifest(paths);
  const existing = await listNetns();
  const namespaces = [...new Set([...(manifest?.namespaces ?? []), ...existing.filter((n) => isSimNetns(name, n))])].filter((n) => existing.includes(n));

  const manifestPids = (manifest?.pids ?? []).filter((pid) => alive(pid) && isServerOf(cmdline(pid), paths.stateDir));
  const pids = [...new Set([...manifestPids, ...serverProcesses(paths.stateDir), ...processesIn(namespaces)])];
  const stateDir = existsSync(paths.stateDir) ? paths.stateDir : undefined;
  const report: DownReport = { name, pids, namespaces, ...(stateDir ? { stateDir } : {}), dryRun: !!opts.dryRun };
  if (opts.dryRun) return report;

  await stopProcesses(pids);
  // Anything that started in a namespace while we were stopping the rest.
  const late = processesIn(namespaces);
  if (late.length) await stopProcesses(late, 500);
  await ipBatch(
    namespaces.map((n) => `netns del ${n}`),
    undefined,
    { force: true },
  );
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  return report;
}
