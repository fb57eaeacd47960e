// Runs cello-link's runProcess and batch under whichever runtime starts it
// (Node through tsx, or Bun) and prints what came back, for run.test.ts.
// Usage: run-probe.ts NETNS_PATH
import { batch, pod, query, runProcess, startBatch } from '../../src/run.ts';

const netns = process.argv[2]!;
const ok = await runProcess('ip', ['-batch', '-'], 'link show lo\n');
const failed = await runProcess('ip', ['-batch', '-'], 'link show nosuchlink0\n');
const [links] = await query(pod(netns), 'ip', ['link show']);
const batchError = await batch(pod(netns), 'ip', ['link del nosuchlink0']).then(
  () => '',
  (e: Error) => e.message,
);
// Lines sent ahead run at once; a failing line given later is named by its place among all of them.
const started = startBatch(pod(netns), 'ip');
started.send(['link add va0 type veth peer name vb0']);
let sentRan = false;
for (let i = 0; i < 100 && !sentRan; i++) {
  sentRan = (await query(pod(netns), 'ip', ['link show']))[0]!.some((l) => l.ifname === 'va0');
  if (!sentRan) await new Promise((r) => setTimeout(r, 10));
}
const laterError = await started.run(['link set dev va0 up', 'link del nosuchlink0']).then(
  () => '',
  (e: Error) => e.message,
);
await batch(pod(netns), 'ip', ['link del va0']);
process.stdout.write(
  JSON.stringify({
    bun: typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined',
    ok: { code: ok.code, lo: ok.stdout.includes('lo:') },
    failed: { code: failed.code, stderr: failed.stderr.trim() },
    podLinks: (links ?? []).map((l) => l.ifname),
    batchError,
    sentRan,
    laterError,
  }),
);
