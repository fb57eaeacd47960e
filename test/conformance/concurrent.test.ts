// Concurrent CNI calls for one pod are serialised by the pod's node lock: ADD
// and DEL racing for the same pod always leave a consistent node — either
// the pod is set up and allocated, or neither — and never two IPs.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createNetns } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 4 });
t.teardown(() => node.remove());
const conf = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'race',
  type: 'cello-cni',
  datapath: 'veth',
  stateDir: node.stateDir,
  logFile: `${node.stateDir}/cni.log`,
});

t.test('ADD and DEL of one pod racing, 10 rounds', async (t) => {
  const pod = await createNetns('rc');
  t.teardown(() => pod.remove());
  const env = (cmd: string) => ({
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: 'race-1',
    CNI_NETNS: pod.path,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=race',
  });
  for (let round = 0; round < 10; round++) {
    const [add, del] = await Promise.all([node.plugin(env('ADD'), conf), node.plugin(env('DEL'), conf)]);
    t.equal(add.exitCode, 0, `round ${round}: ADD ${String(add.stdout)}`);
    t.equal(del.exitCode, 0, `round ${round}: DEL ${String(del.stdout)}`);
    const allocs = JSON.parse(String((await node.ipam('list', 'allocations', '-o', 'json')).stdout)) as unknown[];
    const link = await pod.exec('ip', ['link', 'show', 'eth0']);
    t.ok(allocs.length <= 1, `round ${round}: at most one allocation`);
    t.equal(allocs.length === 1, link.exitCode === 0, `round ${round}: allocated ⇔ pod interface present`);
    await node.plugin(env('DEL'), conf);
  }
  const check = JSON.parse(String((await node.ipam('check', '-o', 'json')).stdout));
  t.same(check.findings, [], 'the store is consistent');
});

t.test('every call logs JSON lines with a trace id; stdout holds only the result', async (t) => {
  const pod = await createNetns('lg');
  t.teardown(() => pod.remove());
  const env = {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'log-1',
    CNI_NETNS: pod.path,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=logged',
  };
  const add = await node.plugin(env, conf);
  t.doesNotThrow(() => JSON.parse(String(add.stdout)), 'stdout is exactly one JSON document');
  t.equal(String(add.stderr), '', 'nothing on stderr when logging to a file');
  const lines = readFileSync(`${node.stateDir}/cni.log`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const mine = lines.filter((l) => l.containerId === 'log-1');
  t.ok(mine.length > 0, 'the ADD logged');
  t.ok(
    mine.every((l) => typeof l.traceId === 'string' && (l.traceId as string).length === 8),
    'each line has a trace id',
  );
  t.match(mine.at(-1), { verb: 'ADD', pod: 'default/logged', msg: 'ADD done' });
  await node.plugin({ ...env, CNI_COMMAND: 'DEL' }, conf);
});
