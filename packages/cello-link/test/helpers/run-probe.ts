// Runs cello-link's runProcess and batch under whichever runtime starts it
// (Node through tsx, or Bun) and prints what came back, for run.test.ts.
// Usage: run-probe.ts NETNS_PATH
import { batch, pod, query, runProcess } from '../../src/run.ts';

const netns = process.argv[2]!;
const ok = await runProcess('ip', ['-batch', '-'], 'link show lo\n');
const failed = await runProcess('ip', ['-batch', '-'], 'link show nosuchlink0\n');
const [links] = await query(pod(netns), 'ip', ['link show']);
const batchError = await batch(pod(netns), 'ip', ['link del nosuchlink0']).then(
  () => '',
  (e: Error) => e.message,
);
process.stdout.write(
  JSON.stringify({
    bun: typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined',
    ok: { code: ok.code, lo: ok.stdout.includes('lo:') },
    failed: { code: failed.code, stderr: failed.stderr.trim() },
    podLinks: (links ?? []).map((l) => l.ifname),
    batchError,
  }),
);
