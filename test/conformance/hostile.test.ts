// cello-cni given inputs an attacker chooses (a pod's interface name under
// Multus, a crafted netns path, a reused container id): each is refused with
// the documented code, or handled, and nothing the plugin runs ever reads an
// input as syntax. docs/cello-cni.md ("Inputs") lists the rules.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { hostVethName } from '@cello/cello-link';
import { background, createNetns, run, tempDir, uniqueName } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 4 });
t.teardown(() => node.remove());
const scratch = tempDir('cello-hostile-');
t.teardown(() => scratch.remove());

const conf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'hostile', type: 'cello-cni', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log`, ...extra });
const envFor = (command: string, netns: string, id: string, ifname = 'eth0') => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  CNI_NETNS: netns,
  CNI_IFNAME: ifname,
  CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`,
});
type Allocation = { containerId: string; ipv4: string; netns: string };
const allocations = async () => JSON.parse(String((await node.ipam('list', 'allocations', '-o', 'json')).stdout)) as Allocation[];
const ips = async () => JSON.parse(String((await node.ipam('list', 'ips', '-o', 'json')).stdout)) as Array<{ ip: string; state: string }>;
const codeOf = (r: { stdout: unknown }) => JSON.parse(String(r.stdout)) as { code: number; msg: string };
const nodeRoutes = async () => String((await run('ip', ['-n', node.node, 'route', 'show'])).stdout);

t.test('an interface name that a shell or ip -batch would read as syntax is refused with code 4, and runs nothing', async (t) => {
  const pod = await createNetns('hi');
  t.teardown(() => pod.remove());
  const canary = join(scratch.path, 'pwn');
  for (const ifname of ['$(id>rtpwn)', '`id>rtpwn`', 'e;id>rtpwn', 'eth#0', '"eth0', "e'x", 'e|id', 'e&id', '-eth0']) {
    for (const verb of ['ADD', 'CHECK', 'DEL']) {
      const r = await node.plugin(envFor(verb, pod.path, 'h1', ifname), conf());
      t.equal(r.exitCode, 1, `${verb} ${ifname}: refused`);
      t.match(codeOf(r), { code: 4, msg: /^CNI_IFNAME: / }, `${verb} ${ifname}: code 4 naming CNI_IFNAME`);
    }
  }
  t.notOk(existsSync('rtpwn') || existsSync(canary), 'no command ran');
  t.same(await allocations(), [], 'nothing allocated');
  t.notOk(
    (await ips()).some((i) => i.state === 'cooling'),
    'no IP left cooling',
  );
});

t.test('CNI_NETNS must be a pod network namespace: code 4 and nothing changed otherwise', async (t) => {
  const plain = join(scratch.path, 'plain-netns');
  writeFileSync(plain, '');
  const dir = join(scratch.path, 'a-dir');
  mkdirSync(dir, { recursive: true });
  const routesBefore = await nodeRoutes();
  const cases: Array<[string, string, RegExp]> = [
    ['the node itself through ..', '/var/run/netns/../../proc/self/ns/net', /this node's own network namespace/],
    ['the node itself', '/proc/self/ns/net', /this node's own network namespace/],
    ['a plain file', plain, /is not a network namespace \(a plain file\)/],
    ['a directory', dir, /is not a network namespace \(a directory\)/],
    ['a mount namespace', '/proc/self/ns/mnt', /is not a network namespace \(a mnt namespace\)/],
    ['a path with a space', '/var/run/netns/a b', /contains characters other than/],
  ];
  for (const [name, netns, msg] of cases) {
    for (const verb of ['ADD', 'CHECK']) {
      const r = await node.plugin(envFor(verb, netns, 'n1'), conf());
      t.equal(r.exitCode, 1, `${verb} ${name}: refused`);
      t.match(codeOf(r), { code: 4, msg }, `${verb} ${name}: ${codeOf(r).msg}`);
    }
  }
  t.equal(await nodeRoutes(), routesBefore, "the node's routes are untouched (its default route too)");
  t.same(await allocations(), [], 'nothing allocated');
  t.notOk(
    (await ips()).some((i) => i.state === 'cooling'),
    'no IP left cooling',
  );
});

t.test('DEL of a pod whose netns is now a leftover plain file releases it', async (t) => {
  const pod = await createNetns('hd');
  t.teardown(() => pod.remove());
  t.equal((await node.plugin(envFor('ADD', pod.path, 'd1'), conf())).exitCode, 0, 'ADD');
  // containerd unmounts the netns, then unlinks the file; a crash in between leaves a plain file.
  const leftover = join(scratch.path, `leftover-${uniqueName('')}`);
  writeFileSync(leftover, '');
  const del = await node.plugin(envFor('DEL', leftover, 'd1'), conf());
  t.equal(del.exitCode, 0, `DEL succeeds: ${String(del.stdout)}`);
  t.same(await allocations(), [], 'the IP is released');
});

t.test('a second ADD of a container id with another netns is an error naming both, and the first pod keeps its network', async (t) => {
  const [a, b] = await Promise.all([createNetns('h2'), createNetns('h2')]);
  t.teardown(() => Promise.all([a.remove(), b.remove()]));
  const first = await node.plugin(envFor('ADD', a.path, 'r1'), conf());
  t.equal(first.exitCode, 0, 'first ADD');
  const again = await node.plugin(envFor('ADD', a.path, 'r1'), conf());
  t.equal(again.exitCode, 0, 'the same ADD again is idempotent');
  const other = await node.plugin(envFor('ADD', b.path, 'r1'), conf());
  t.equal(other.exitCode, 1, 'refused');
  t.match(codeOf(other), { code: 4, msg: new RegExp(`added in netns ${a.path}, and this ADD names ${b.path}`) });
  t.equal((await b.exec('ip', ['link', 'show', 'eth0'])).exitCode, 1, 'nothing made in the second netns');
  const [alloc] = await allocations();
  t.equal(alloc?.netns, a.path, 'the allocation stays with the first netns');
  t.equal((await a.exec('ip', ['link', 'show', 'eth0'])).exitCode, 0, "the first pod's interface is intact");
  t.equal((await node.plugin(envFor('DEL', a.path, 'r1'), conf())).exitCode, 0, 'DEL');
});

t.test("an unprivileged process cannot hold a pod's lock: the pod's ADD and DEL go through", async (t) => {
  const pod = await createNetns('hl');
  t.teardown(() => pod.remove());
  const holder = join(process.cwd(), 'packages', 'cli-kit', 'test', 'fixtures', 'lock-holder.ts');
  // As uid 65534 in the node: take the pod's lock through cli-kit, and squat the abstract socket name the locks once used.
  const squat = `require('net').createServer().listen({ path: '\\0cello/pod/default/l1' }, () => console.log('bound'))`;
  const asNobody = (args: string[]) =>
    background('ip', ['netns', 'exec', node.node, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...args], { env: { NODE_OPTIONS: '' } });
  const taker = asNobody([process.execPath, '--import', 'tsx', holder, node.stateDir, 'pod/default/l1']);
  const squatter = asNobody([process.execPath, '-e', squat]);
  t.teardown(() => Promise.all([taker.stop(), squatter.stop()]));
  t.match(await taker.firstLine(), /^refused: /, 'cli-kit refuses the unprivileged taker');
  t.equal(await squatter.firstLine(), 'bound', 'the old abstract name is squatted');
  t.equal((await node.plugin(envFor('ADD', pod.path, 'l1'), conf())).exitCode, 0, 'ADD');
  const del = await node.plugin(envFor('DEL', pod.path, 'l1'), conf());
  t.equal(del.exitCode, 0, `DEL is not blocked: ${String(del.stdout)}`);
  t.same(await allocations(), [], 'the IP is released');
});

t.test('bad stateDir is an invalid config (code 7)', async (t) => {
  const pod = await createNetns('hs');
  t.teardown(() => pod.remove());
  for (const stateDir of ['', 'relative/dir']) {
    const r = await node.plugin(envFor('ADD', pod.path, 's1'), conf({ stateDir }));
    t.match(codeOf(r), { code: 7, msg: /field "stateDir" must be an absolute directory path/ }, JSON.stringify(stateDir));
  }
});

t.test("a CNI call killed by its runtime leaves nothing running: the pod's next sandbox keeps its route", async (t) => {
  // A mount namespace where `ip -batch` writes (not `ip -j` reads) are slow while the flag file exists:
  // the killed ADD's host batch is still sleeping when its DEL and the next ADD run.
  const real = join(scratch.path, 'ip.real');
  const flag = join(scratch.path, 'slow');
  const wrapper = join(scratch.path, 'ip-slow');
  await run('cp', ['/usr/bin/ip', real]);
  writeFileSync(wrapper, `#!/bin/sh\ncase " $* " in *" -j "*) ;; *" -batch "*) if [ -e ${flag} ]; then sleep 3; fi ;; esac\nexec ${real} "$@"\n`, {
    mode: 0o755,
  });
  writeFileSync(flag, '');
  const [first, second] = await Promise.all([createNetns('hk'), createNetns('hk')]);
  t.teardown(() => Promise.all([first.remove(), second.remove()]));
  // Both sandboxes belong to one pod (a StatefulSet's), so the second gets the first one's IP back.
  const podEnv = (command: string, netns: string, id: string) => ({
    ...envFor(command, netns, id),
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0',
  });

  const cni = join(process.cwd(), 'bin', 'cello-cni');
  const killed = background('ip', ['netns', 'exec', node.node, 'unshare', '-m', 'sh', '-c', `mount --bind ${wrapper} /usr/bin/ip && exec "$0"`, cni], {
    env: { CNI_PATH: '/usr/lib/cni', ...podEnv('ADD', first.path, 'k1') },
    input: conf(),
  });
  for (let i = 0; i < 100 && !(await allocations()).length; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal((await allocations()).length, 1, 'the ADD allocated');
  await new Promise((r) => setTimeout(r, 500)); // now in its slow host batch
  await killed.stop(); // SIGKILL, as a runtime does when a call times out
  rmSync(flag);

  t.equal((await node.plugin(podEnv('DEL', first.path, 'k1'), conf())).exitCode, 0, "the runtime's DEL");
  const add = await node.plugin(podEnv('ADD', second.path, 'k2'), conf());
  t.equal(add.exitCode, 0, 'the next sandbox is added');
  const ip = (JSON.parse(String(add.stdout)) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!;
  await new Promise((r) => setTimeout(r, 3500)); // past the killed call's slow batch
  const route = String((await run('ip', ['-n', node.node, 'route', 'get', ip])).stdout);
  t.match(route, `dev ${hostVethName('k2', 'eth0')}`, `the node routes ${ip} to the live sandbox`);
  const links = String((await run('ip', ['-n', node.node, '-o', 'link', 'show'])).stdout);
  t.notOk(links.includes(hostVethName('k1', 'eth0')), 'the killed call made nothing after it died');
  t.equal((await node.plugin(podEnv('DEL', second.path, 'k2'), conf())).exitCode, 0, 'DEL');
});
