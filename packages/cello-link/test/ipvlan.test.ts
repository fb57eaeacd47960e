// The ipvlan datapath (upstream Cello's). It needs the kernel's ipvlan: where
// that is missing these tests skip and say why, and `auto` must pick veth.
// The ENI-egress rules are plain tc (clsact + u32 + mirred) and are checked on
// a veth stand-in for the ENI whatever the kernel.
import t from 'tap';
import { kernelLacks, must, run } from '@cello/testkit';
import { chooseDatapath, ipvlanHostName } from '../src/index.ts';
import { egressRuleLine } from '../src/objects.ts';
import { dumpNs } from './helpers/dump.ts';
import { NODE_IP, PEER_IP, Sim } from './helpers/sim.ts';

const noIpvlan = await kernelLacks('ipvlan');

t.test('auto picks ipvlan exactly where the kernel has it', async (t) => {
  t.equal(await chooseDatapath('auto'), noIpvlan ? 'veth' : 'ipvlan', noIpvlan ?? 'ipvlan available');
  if (noIpvlan) await t.rejects(chooseDatapath('ipvlan'), /datapath ipvlan is not available: .*use datapath veth/);
});

t.test('ipvlan datapath', { skip: noIpvlan }, async (t) => {
  const sim = await Sim.create();
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('shared', '192.168.1.10');
  const up = await sim.cello(['eni-up', '--datapath', 'ipvlan'], eni);
  t.equal(up.code, 0, `eni-up: ${up.stderr}`);
  const slave = ipvlanHostName(up.json[0].ifindex);
  const before = await dumpNs(sim.node.name);
  const hostSlave = before.links.find((l) => l.name === slave);
  t.match(hostSlave, { kind: 'ipvlan', noarp: true, up: true }, 'host fast-path slave');
  t.ok(hostSlave?.addrs.includes(`${NODE_IP}/32`), 'holding the node address');

  const podA = await sim.pod();
  const podB = await sim.pod();
  const allocA = sim.allocation(podA, eni, '192.168.1.11');
  const allocB = sim.allocation(podB, eni, '192.168.1.12');
  await sim.assign(eni, allocA.ipv4!);
  await sim.assign(eni, allocB.ipv4!);
  const a = await sim.cello(['setup', '--datapath', 'ipvlan'], allocA);
  t.equal(a.code, 0, `setup A: ${a.stderr}`);
  t.match(a.json, { datapath: 'ipvlan', podInterface: { name: 'eth0', mac: eni.mac }, ips: [{ address: '192.168.1.11/24', gateway: '192.168.1.1' }] });
  t.equal((await sim.cello(['setup', '--datapath', 'ipvlan'], allocB)).code, 0, 'setup B');
  t.equal((await sim.cello(['check', '--datapath', 'ipvlan'], allocA)).code, 0, 'check A');

  await sim.serve(podA.name, '192.168.1.11', 7001);
  await sim.serve(podB.name, '192.168.1.12', 7001);
  await sim.serve(sim.node.name, NODE_IP, 7002);
  await sim.serve(sim.peer.name, PEER_IP, 7003);
  t.equal(await sim.who(podA.name, '192.168.1.12', 7001), '192.168.1.11', 'A → B');
  t.equal(await sim.who(podA.name, NODE_IP, 7002), '192.168.1.11', 'A → node (host fast path)');
  t.equal(await sim.who(sim.node.name, '192.168.1.11', 7001), NODE_IP, 'node → A');
  t.equal(await sim.who(podB.name, PEER_IP, 7003), '192.168.1.12', 'B → VPC peer');

  for (const alloc of [allocA, allocB]) t.equal((await sim.cello(['teardown', '--datapath', 'ipvlan'], alloc)).code, 0, 'teardown');
  t.same(await dumpNs(sim.node.name), before, 'node as eni-up left it (the fast path stays, pod routes go)');
  t.equal((await sim.cello(['teardown', '--datapath', 'ipvlan'], allocA)).code, 0, 'teardown again');
});

t.test('ENI-egress rules: u32 filters the kernel takes, replacing foreign ones', async (t) => {
  const sim = await Sim.create();
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('shared', '192.168.1.10');
  const tc = (lines: string[]) => must('ip', ['netns', 'exec', sim.node.name, 'tc', '-batch', '-'], { input: lines.join('\n') + '\n' });
  await tc([`qdisc add dev ${eni.device} clsact`, `filter add dev ${eni.device} egress pref 7 protocol ip u32 match ip dst 10.0.0.0/8 action mirred egress redirect dev eth0`]);
  await tc([
    `qdisc replace dev ${eni.device} clsact`,
    `filter del dev ${eni.device} egress`,
    egressRuleLine(eni.device!, { match: 'src', cidr: `${NODE_IP}/32`, redirectTo: 'eth0' }),
  ]);
  const shown = await must('ip', ['netns', 'exec', sim.node.name, 'tc', '-j', 'filter', 'show', 'dev', eni.device!, 'egress']);
  const filters = JSON.parse(String(shown.stdout)).filter((f: any) => f.options?.actions);
  t.equal(filters.length, 1, 'only our filter is left');
  t.match(filters[0], { pref: 40000, kind: 'u32', options: { match: { value: 'c0a8000b', off: 12 }, actions: [{ kind: 'mirred', direction: 'egress', to_dev: 'eth0' }] } }, 'src 192.168.0.11 → redirect to eth0');

  const redirectLine = egressRuleLine(eni.device!, { match: 'dst', cidr: '169.254.0.0/16', ingressTo: 'eth0' });
  const probe = await run('ip', ['netns', 'exec', sim.node.name, 'tc', 'filter', 'add', ...redirectLine.split(' ').slice(2)]);
  const lacks = /Failed to load TC action module|Unknown action/i.test(String(probe.stderr)) ? `the kernel lacks tunnel_key/skbedit actions (${String(probe.stderr).trim().split('\n')[0]})` : undefined;
  t.test('redirect-to-host CIDR rule', { skip: lacks }, async (t) => {
    t.equal(probe.exitCode, 0, String(probe.stderr));
  });
});
