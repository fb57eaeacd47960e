// The cluster sweep at scale: 1 000 ENIs of the cluster in vpc-sim (100 of
// them leaked by instances that no longer exist), swept by bin/cello-gc on a
// sim node through the real signed client with its default rate limits
// (describe 8/s burst 16, DeleteNetworkInterface 2/s burst 4). Reported: the
// listing alone (--dry-run: pages of 100), the sweep that deletes the 100, and
// a second sweep, each in seconds and OpenAPI calls per action. The floor is
// the client's own pacing: 100 deletes at 2/s after a burst of 4 ≈ 48 s.
// The work runs in packages/cello-gc/test/fixtures/cluster-sweep.ts (it needs
// @cello/vpc-sim); this suite runs it and reports.
import { join } from 'node:path';
import { repoRoot, run } from '@cello/testkit';
import type { BenchReport } from '../report.ts';

interface Sweep {
  seconds: number;
  summary: Record<string, number>;
  simCalls: Record<string, number>;
  totalCalls: number;
}

const calls = (s: Sweep) =>
  `${s.totalCalls} calls (${Object.entries(s.simCalls)
    .map(([a, n]) => `${a} ${n}`)
    .join(', ')})`;

export default {
  name: 'gc-cluster',
  async run(): Promise<BenchReport> {
    const fixture = join(repoRoot, 'packages/cello-gc/test/fixtures/cluster-sweep.ts');
    const r = await run(join(repoRoot, 'node_modules/.bin/tsx'), [fixture, '1000', '100'], { timeout: 15 * 60_000 });
    if (r.exitCode !== 0) throw new Error(`cluster-sweep fixture: ${String(r.stderr).slice(-2000)}`);
    const d = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as {
      total: number;
      leaked: number;
      setupMs: number;
      dryRun: Sweep;
      real: Sweep;
      after: Sweep;
      left: number;
    };
    return {
      suite: 'gc-cluster',
      lines: [
        `${d.total} ENIs of the cluster (${d.leaked} leaked), made in ${(d.setupMs / 1000).toFixed(1)} s`,
        `listing only (--dry-run):     ${d.dryRun.seconds.toFixed(2)} s, ${calls(d.dryRun)}; ${d.dryRun.summary.wouldFix} would be deleted`,
        `sweep deleting the leaks:     ${d.real.seconds.toFixed(2)} s, ${calls(d.real)}; ${d.real.summary.fixed} deleted, ${d.real.summary.failed} failed`,
        `second sweep:                 ${d.after.seconds.toFixed(2)} s, ${calls(d.after)}; ${d.after.summary.found} found`,
        `leaked ENIs left: ${d.left}; the delete rate limit (2/s, burst 4) alone needs ≈ ${((d.leaked - 4) / 2).toFixed(0)} s`,
      ],
      data: d as unknown as Record<string, unknown>,
    };
  },
};
