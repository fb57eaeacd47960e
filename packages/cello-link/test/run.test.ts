// How cello-link starts iproute2 (run.ts): the argv for each side, and the
// same answers whichever runtime runs it (Node's child_process under Node,
// Bun.spawn in the compiled cello-cni).
import { join } from 'node:path';
import t from 'tap';
import { createNetns, run } from '@cello/testkit';
import { bunPath } from '../../runtime/src/bun-path.ts';
import { argvFor, HOST, namedNetns, pod } from '../src/run.ts';

t.test('a netns under /var/run/netns is entered by name with ip -n and tc -n; any other path, and sysctl, through nsenter', async (t) => {
  t.equal(namedNetns('/var/run/netns/cni-1234'), 'cni-1234');
  t.equal(namedNetns('/run/netns/cni-1234'), 'cni-1234', '/run/netns where /var/run is /run');
  for (const other of ['/proc/42/ns/net', '/var/run/netns/../netns/x', '/var/run/netns/a/b', '/var/run/netns/..', '/var/run/netns/-n', '/tmp/netns/x']) {
    t.equal(namedNetns(other), undefined, `${other} is not entered by name`);
  }
  t.same(argvFor(pod('/var/run/netns/p1'), 'ip', ['-batch', '-']), ['ip', ['-n', 'p1', '-batch', '-']]);
  t.same(argvFor(pod('/var/run/netns/p1'), 'tc', ['-batch', '-']), ['tc', ['-n', 'p1', '-batch', '-']]);
  const [cmd, args] = argvFor(pod('/var/run/netns/p1'), 'sysctl', ['-w', 'a=1']);
  t.equal(cmd, 'nsenter');
  t.equal(args[0], '--net=/var/run/netns/p1');
  t.equal(argvFor(pod('/proc/42/ns/net'), 'ip', ['-batch', '-'])[0], 'nsenter');
  t.same(argvFor(HOST, 'ip', ['-batch', '-']), ['ip', ['-batch', '-']]);
});

t.test('Node and Bun get the same exit codes, output and batch errors', async (t) => {
  const ns = await createNetns('rp');
  t.teardown(() => ns.remove());
  const probe = join(import.meta.dirname, 'helpers', 'run-probe.ts');
  const answers: Record<string, Record<string, unknown>> = {};
  for (const [rt, cmd, pre] of [
    ['node', process.execPath, ['--import', 'tsx']],
    ['bun', bunPath(), []],
  ] as const) {
    const r = await run(cmd, [...pre, probe, ns.path]);
    t.equal(r.exitCode, 0, `${rt} probe ran: ${String(r.stderr)}`);
    answers[rt] = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  }
  t.equal(answers.node!.bun, false, 'the Node side ran under Node');
  t.equal(answers.bun!.bun, true, 'the Bun side ran under Bun');
  const { bun: _n, ...node } = answers.node!;
  const { bun: _b, ...bun } = answers.bun!;
  t.same(bun, node, 'same answers');
  t.same(node.ok, { code: 0, lo: true }, 'stdout of a good batch');
  t.match(node.failed, { code: 1, stderr: /nosuchlink0/ }, 'exit code and stderr of a failing batch');
  t.same(node.podLinks, ['lo'], 'the pod side reads the pod netns');
  t.match(node.batchError, /^pod \/var\/run\/netns\/\S+: `ip link del nosuchlink0` failed: /, 'a failing pod line is named');
  t.equal(node.sentRan, true, 'lines sent ahead of the rest run before the rest is given');
  t.match(node.laterError, /`ip link del nosuchlink0` failed: /, 'a failing line given after sent ones is named');
});
