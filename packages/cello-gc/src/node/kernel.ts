/**
 * The one kernel command gc runs itself, with iproute2 in this process's
 * network namespace (the host's): delete one object. Everything else about
 * the kernel comes from cello-link (and devices by MAC from cello-eni), and so
 * does the way it runs `ip`.
 */
import { ALREADY_GONE, runProcess } from '@cello/cello-link';

/**
 * Run `ip ARGS…` that deletes something: true when it deleted it, false when
 * it was already gone (by cello-link's list, the one teardown uses). Throws
 * with ip's message otherwise.
 */
export async function ipDelete(args: readonly string[]): Promise<boolean> {
  const r = await runProcess('ip', args); // cello-link's runner: dies with gc (setpriv --pdeathsig), as cello-cni's children do
  if (r.code === 0) return true;
  if (ALREADY_GONE.test(r.stderr)) return false;
  throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
}
