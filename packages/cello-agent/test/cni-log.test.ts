// Following cello-cni's log: what each line counts as, partial lines,
// rotation and truncation, a file that appears late — and the real
// cello-cni's lines, from a DEL it runs here for real.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bin, createNetns, run, tempDir } from '@cello/testkit';
import { type CniCall, CniLogTail, interpret } from '../src/metrics/cni-log.ts';

const line = (o: Record<string, unknown>) => `${JSON.stringify({ ts: new Date().toISOString(), component: 'cello-cni', ...o })}\n`;

t.test('what a line counts as', async (t) => {
  const seen = new Set<string>();
  t.same(interpret({ level: 'info', msg: 'ADD done', verb: 'ADD', ms: 42 }, seen), { kind: 'done', verb: 'ADD', ms: 42 });
  t.same(interpret({ level: 'info', msg: 'DEL done', verb: 'DEL' }, seen), { kind: 'done', verb: 'DEL' }, 'a DEL without ms still counts');
  t.same(interpret({ level: 'warn', msg: 'no free IP; waiting for the pool keeper', verb: 'ADD', reason: 'exhausted' }, seen), {
    kind: 'pool-empty',
    reason: 'exhausted',
  });
  t.same(interpret({ level: 'error', msg: 'datapath setup failed; releasing the allocation', verb: 'ADD', traceId: 'a1' }, seen), {
    kind: 'failed',
    verb: 'ADD',
    reason: 'datapath setup failed; releasing the allocation',
  });
  t.equal(interpret({ level: 'error', msg: 'undo teardown failed', verb: 'ADD', traceId: 'a1' }, seen), undefined, 'one failure per call (trace id)');
  t.same(
    interpret({ level: 'info', msg: 'ADD failed', verb: 'ADD', traceId: 'b2', code: 11 }, seen),
    { kind: 'failed', verb: 'ADD', reason: 'code 11' },
    'an explicit failure line with its CNI code',
  );
  t.equal(interpret({ level: 'info', msg: 'ENI ready', verb: 'ADD' }, seen), undefined, 'other lines count nothing');
  t.equal(interpret({ level: 'error', msg: 'boom' }, seen), undefined, 'a line of no CNI call counts nothing');
});

t.test('tailing: partial lines, late file, truncation, rotation', async (t) => {
  const dir = tempDir('cello-agent-tail-');
  t.teardown(() => dir.remove());
  const file = join(dir.path, 'cni.log');
  const calls: CniCall[] = [];
  const tail = new CniLogTail(file, (c) => calls.push(c));

  tail.poll();
  t.same(calls, [], 'no file yet: nothing');
  writeFileSync(file, line({ level: 'info', msg: 'ADD done', verb: 'ADD', ms: 10 }));
  tail.poll();
  t.same(calls, [{ kind: 'done', verb: 'ADD', ms: 10 }], 'a file that appears after the start is read from its beginning');

  const half = line({ level: 'info', msg: 'ADD done', verb: 'ADD', ms: 20 });
  appendFileSync(file, half.slice(0, 15));
  tail.poll();
  t.equal(calls.length, 1, 'half a line waits');
  appendFileSync(file, `${half.slice(15)}not json\n`);
  tail.poll();
  t.same(calls.at(-1), { kind: 'done', verb: 'ADD', ms: 20 }, 'the rest completes it; garbage is skipped');

  writeFileSync(file, line({ level: 'info', msg: 'DEL done', verb: 'DEL', ms: 3 }));
  tail.poll();
  t.same(calls.at(-1), { kind: 'done', verb: 'DEL', ms: 3 }, 'a truncated file is read again from the start');

  renameSync(file, `${file}.1`);
  writeFileSync(file, line({ level: 'info', msg: 'ADD done', verb: 'ADD', ms: 7 }) + line({ level: 'info', msg: 'ADD done', verb: 'ADD', ms: 8 }));
  tail.poll();
  t.same(
    calls.slice(-2),
    [
      { kind: 'done', verb: 'ADD', ms: 7 },
      { kind: 'done', verb: 'ADD', ms: 8 },
    ],
    'a rotated file is followed by name',
  );
  t.equal(calls.length, 5);

  const late = new CniLogTail(file, (c) => calls.push(c));
  late.poll();
  t.equal(calls.length, 5, 'a tail started on an existing file skips what is already there');
});

t.test('the lines the real cello-cni writes', async (t) => {
  const dir = tempDir('cello-agent-realcni-');
  t.teardown(() => dir.remove());
  // cello-cni runs in a namespace of its own, as on a node: a DEL tears down host objects by name.
  const host = await createNetns('cl');
  t.teardown(() => host.remove());
  const cni = (env: Record<string, string>, input: string) => run('ip', ['netns', 'exec', host.name, bin('cello-cni')], { env, input });
  const log = join(dir.path, 'cni.log');
  const calls: CniCall[] = [];
  const tail = new CniLogTail(log, (c) => calls.push(c), 'start');
  const conf = { cniVersion: '1.0.0', name: 'cello', type: 'cello-cni', stateDir: join(dir.path, 'state'), logFile: log };
  const env = {
    CNI_COMMAND: 'DEL',
    CNI_CONTAINERID: 'c-real',
    CNI_NETNS: '',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/usr/lib/cni',
    CNI_ARGS: 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=p',
  };
  const r = await cni(env, JSON.stringify(conf));
  t.equal(r.exitCode, 0, `DEL of an unknown container succeeds: ${String(r.stdout)}`);
  tail.poll();
  // A DEL on a node without a store tears down by name and logs nothing at info; with a store it logs "DEL done".
  await run(bin('cello-ipam'), ['settings', '--state-dir', conf.stateDir, 'datapath=veth']);
  const r2 = await cni(env, JSON.stringify(conf));
  t.equal(r2.exitCode, 0, String(r2.stdout));
  tail.poll();
  t.match(calls.at(-1), { kind: 'done', verb: 'DEL' }, 'cello-cni’s "DEL done" line is counted');
});
