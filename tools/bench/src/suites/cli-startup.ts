// The operator CLIs' start-up: each Node bundle in bin/ beside the same entry
// compiled by Bun (`bun build --compile --bytecode`, as cello-cni is) in the
// same run. What decides whether they stay Node bundles.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bin, must, repoRoot, tempDir } from '@cello/testkit';
import { bunPath } from '@cello/runtime/bun-path';
import { hyperfine } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

const CLIS: Array<{ name: string; entry: string; args: string }> = [
  { name: 'cello-ipam', entry: 'packages/cello-ipam/src/cli.ts', args: 'stats --output json --state-dir STATE' },
  { name: 'cello-eni', entry: 'packages/cello-eni/src/cli.ts', args: '--help' },
  { name: 'cello-gc', entry: 'packages/cello-gc/src/cli.ts', args: '--help' },
];

export default {
  name: 'cli-startup',
  async run(): Promise<BenchReport> {
    const dir = tempDir('cello-bench-cli-');
    try {
      const state = join(dir.path, 'state');
      await must(bin('cello-ipam'), ['settings', '--state-dir', state, 'datapath=veth']);
      const commands: Record<string, string> = { 'node -e 0': 'node -e 0' };
      const compiled: Record<string, boolean> = {};
      for (const c of CLIS) {
        const out = join(dir.path, c.name);
        const r = spawnSync(
          bunPath(),
          ['build', '--compile', '--minify', '--bytecode', '--format=esm', '--external', 'better-sqlite3', '--outfile', out, join(repoRoot, c.entry)],
          { encoding: 'utf8' },
        );
        compiled[c.name] = r.status === 0;
        const args = c.args.replace('STATE', state);
        commands[`${c.name} (Node bundle)`] = `node ${bin(c.name)} ${args}`;
        if (compiled[c.name]) commands[`${c.name} (Bun compiled)`] = `${out} ${args}`;
      }
      const timings = await hyperfine(commands, { runs: 20, warmup: 3 });
      const by = Object.fromEntries(timings.map((t) => [t.name, t]));
      const lines = [`bare node -e 0: median ${ms(by['node -e 0']!.medianMs)}`];
      for (const c of CLIS) {
        const n = by[`${c.name} (Node bundle)`]!;
        const b = by[`${c.name} (Bun compiled)`];
        lines.push(
          `${c.name} ${c.args.replace(/ --state-dir STATE/, '')}: Node bundle ${ms(n.medianMs)}, ${b ? `Bun compiled ${ms(b.medianMs)} (${ratio(b.medianMs, n.medianMs)})` : 'Bun compile failed'}`,
        );
      }
      return { suite: 'cli-startup', lines, data: { timings, compiled } };
    } finally {
      dir.remove();
    }
  },
};
