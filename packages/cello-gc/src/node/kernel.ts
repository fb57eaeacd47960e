/**
 * The one kernel command gc runs itself, with iproute2 in this process's
 * network namespace (the host's): delete one object. Everything else about
 * the kernel comes from cello-link (and devices by MAC from cello-eni).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ALREADY_GONE } from '@cello/cello-link';

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';

function ip(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(IP, [...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && !stderr ? err.message : '')) });
    });
  });
}

/**
 * Run `ip ARGS…` that deletes something: true when it deleted it, false when
 * it was already gone (by cello-link's list, the one teardown uses). Throws
 * with ip's message otherwise.
 */
export async function ipDelete(args: readonly string[]): Promise<boolean> {
  const r = await ip(args);
  if (r.code === 0) return true;
  if (ALREADY_GONE.test(r.stderr)) return false;
  throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
}
