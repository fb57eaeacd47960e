// cello-cni invoked as the CNI spec describes a runtime doing it — CNI_*
// variables and the config on stdin — for what libcni 1.1.2 cannot drive:
// spec 1.1.0, GC and STATUS; and bad inputs, each of which must allocate nothing.
import t from 'tap';
import { createNetns } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 4 });
t.teardown(() => node.remove());

const conf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '1.1.0', name: 'direct', type: 'cello-cni', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log`, ...extra });
const envFor = (command: string, netns: string, id: string) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  CNI_NETNS: netns,
  CNI_IFNAME: 'eth0',
  CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`,
});
const allocations = async () => JSON.parse(String((await node.ipam('list', 'allocations', '-o', 'json')).stdout)) as unknown[];

t.test('1.1.0: ADD, CHECK, DEL, DEL', async (t) => {
  const pod = await createNetns('dr');
  t.teardown(() => pod.remove());
  const add = await node.plugin(envFor('ADD', pod.path, 'd1'), conf());
  t.equal(add.exitCode, 0, String(add.stdout));
  const result = JSON.parse(String(add.stdout));
  t.equal(result.cniVersion, '1.1.0');
  const podIf = result.interfaces[result.ips[0].interface];
  t.equal(podIf.sandbox, pod.path);
  t.ok(podIf.mtu, '1.1.0 results carry the interface mtu');
  t.equal((await node.plugin(envFor('CHECK', pod.path, 'd1'), conf({ prevResult: result }))).exitCode, 0, 'CHECK');
  const noPrev = await node.plugin(envFor('CHECK', pod.path, 'd1'), conf());
  t.match(JSON.parse(String(noPrev.stdout)).msg, /prevResult is missing/, 'CHECK without prevResult says so');
  t.equal((await node.plugin(envFor('DEL', pod.path, 'd1'), conf({ prevResult: result }))).exitCode, 0, 'DEL');
  t.equal((await node.plugin(envFor('DEL', '', 'd1'), conf())).exitCode, 0, 'DEL without netns or prevResult');
  t.same(await allocations(), []);
});

t.test('GC releases what the runtime no longer lists, keeps the rest', async (t) => {
  const pods = await Promise.all([createNetns('gc'), createNetns('gc'), createNetns('gc')]);
  t.teardown(() => Promise.all(pods.map((p) => p.remove())));
  for (const [i, p] of pods.entries()) t.equal((await node.plugin(envFor('ADD', p.path, `g${i}`), conf())).exitCode, 0);
  const gcEnv = { CNI_COMMAND: 'GC', CNI_PATH: '/usr/lib/cni' };
  const refused = await node.plugin(gcEnv, conf());
  t.match(JSON.parse(String(refused.stdout)), { code: 7, msg: /valid-attachments/ }, 'GC without the list refuses to release everything');
  t.equal((await allocations()).length, 3);
  const gc = await node.plugin(gcEnv, conf({ 'cni.dev/valid-attachments': [{ containerID: 'g1', ifname: 'eth0' }] }));
  t.equal(gc.exitCode, 0, String(gc.stdout));
  t.equal(String(gc.stdout), '', 'GC prints nothing on success');
  const left = (await allocations()) as Array<{ containerId: string }>;
  t.same(
    left.map((a) => a.containerId),
    ['g1'],
    'only the valid attachment is kept',
  );
  t.equal((await pods[0]!.exec('ip', ['link', 'show', 'eth0'])).exitCode, 1, "g0's datapath is gone");
  t.equal((await pods[1]!.exec('ip', ['link', 'show', 'eth0'])).exitCode, 0, "g1's datapath is intact");
  t.equal((await node.plugin(gcEnv, conf({ 'cni.dev/attachments': [] }))).exitCode, 0, 'the older key works too');
  t.same(await allocations(), []);
});

t.test('STATUS', async (t) => {
  const env = { CNI_COMMAND: 'STATUS', CNI_PATH: '/usr/lib/cni' };
  t.equal((await node.plugin(env, conf())).exitCode, 0, 'free IPs: available');
  const empty = await node.plugin(env, conf({ stateDir: `${node.stateDir}-none` }));
  t.match(JSON.parse(String(empty.stdout)), { code: 50, msg: /no IPAM store .* no pool keeper/ }, 'no store, no keeper: 50');
  const old = await node.plugin(env, JSON.stringify({ cniVersion: '1.0.0', name: 'direct', type: 'cello-cni' }));
  t.match(JSON.parse(String(old.stdout)), { code: 1, msg: /does not allow STATUS/ });
});

t.test('bad inputs: the right code, and nothing allocated', async (t) => {
  const pod = await createNetns('bd');
  t.teardown(() => pod.remove());
  const cases: Array<[string, Record<string, string>, string, number]> = [
    ['malformed JSON', envFor('ADD', pod.path, 'b1'), '{"cniVersion":"1.1.0",', 6],
    ['wrong version', envFor('ADD', pod.path, 'b1'), conf({ cniVersion: '0.2.0' }), 1],
    ['missing CNI_IFNAME', { ...envFor('ADD', pod.path, 'b1'), CNI_IFNAME: '' }, conf(), 4],
    ['unknown capability', envFor('ADD', pod.path, 'b1'), conf({ capabilities: { portMappings: true } }), 2],
    ['prevResult in another version', envFor('ADD', pod.path, 'b1'), conf({ prevResult: { cniVersion: '1.0.0' } }), 1],
    ['netns that does not exist', envFor('ADD', '/var/run/netns/cello-no-such-netns', 'b1'), conf(), 4],
  ];
  for (const [name, env, stdin, code] of cases) {
    const r = await node.plugin(env, stdin);
    t.equal(r.exitCode, 1, `${name}: exit 1`);
    t.equal(JSON.parse(String(r.stdout)).code, code, `${name}: code ${code}`);
    t.same(await allocations(), [], `${name}: nothing allocated`);
  }
  t.equal((await pod.exec('ip', ['link', 'show', 'eth0'])).exitCode, 1, 'nothing made in the pod');
});

t.test('an empty pool with no keeper fails fast with code 11 and says why', async (t) => {
  const pods = await Promise.all(Array.from({ length: 5 }, () => createNetns('em')));
  t.teardown(() => Promise.all(pods.map((p) => p.remove())));
  for (const [i, p] of pods.slice(0, 4).entries()) t.equal((await node.plugin(envFor('ADD', p.path, `e${i}`), conf())).exitCode, 0);
  const r = await node.plugin(envFor('ADD', pods[4]!.path, 'e4'), conf({ poolWaitSec: 30 }));
  t.equal(r.exitCode, 1);
  t.match(JSON.parse(String(r.stdout)), { code: 11, msg: /no IP for pod default\/e4: every IP of this node is in use; no pool keeper is running/ });
  const demands = JSON.parse(String((await node.ipam('demands', '-o', 'json')).stdout)) as Array<{ containerId: string }>;
  t.same(
    demands.map((d) => d.containerId),
    ['e4'],
    'the demand is recorded for the keeper',
  );
  const status = await node.plugin({ CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, conf());
  t.match(JSON.parse(String(status.stdout)), { code: 50, msg: /no free IP on this node and no pool keeper/ });
  for (const [i, p] of pods.slice(0, 4).entries()) await node.plugin(envFor('DEL', p.path, `e${i}`), conf());
});
