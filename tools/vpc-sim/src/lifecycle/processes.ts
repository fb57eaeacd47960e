/**
 * Finding and stopping a sim's processes: its server (by pid, and by its
 * command line), and anything running inside its namespaces (found by the
 * namespace's inode). A server keeps a deleted namespace alive, so `down`
 * must stop processes before removing namespaces.
 */
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { sleep } from '../util/time.ts';

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Our own pid and our ancestors: never killed (e.g. `vpc-sim down` run via `vpc-sim exec`). */
function protectedPids(): Set<number> {
  const out = new Set<number>([process.pid]);
  let pid = process.ppid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

function netnsInode(name: string): number | undefined {
  try {
    return statSync(`/var/run/netns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** Processes whose network namespace is one of `namespaces`. */
export function processesIn(namespaces: string[]): number[] {
  const inodes = new Set(namespaces.map(netnsInode).filter((i): i is number => i !== undefined));
  if (!inodes.size) return [];
  const keep = protectedPids();
  return pids().filter((pid) => {
    if (keep.has(pid)) return false;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
      return !!m && inodes.has(Number(m[1]));
    } catch {
      return false;
    }
  });
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** True when `argv` is a sim server for this state directory. */
export function isServerOf(argv: string[], stateDir: string): boolean {
  const i = argv.indexOf('--state-dir');
  return argv.includes('serve') && i >= 0 && argv[i + 1] === stateDir;
}

/** Running sim servers of this state directory, found by command line. */
export function serverProcesses(stateDir: string): number[] {
  const keep = protectedPids();
  return pids().filter((pid) => !keep.has(pid) && isServerOf(cmdline(pid), stateDir));
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL what is left. Returns the pids signalled. */
export async function stopProcesses(list: number[], graceMs = 3000): Promise<number[]> {
  const targets = [...new Set(list)].filter(alive);
  for (const pid of targets) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (targets.some(alive) && Date.now() < deadline) await sleep(20);
  for (const pid of targets.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const hard = Date.now() + 2000;
  while (targets.some(alive) && Date.now() < hard) await sleep(10);
  return targets;
}

export async function killProcessesIn(namespaces: string[]): Promise<number[]> {
  return stopProcesses(processesIn(namespaces), 1000);
}
