// The ipvlan datapath (upstream Cello's). It needs the kernel's ipvlan: where
// that is missing the end-to-end test skips and says why, and `auto` must pick
// veth. Everywhere: the plan is upstream's object list (upstream's
// pkg/cni/driver/ipvlan.go), and the ENI-egress rules (clsact + u32 + mirred) are installed on a
// veth stand-in for the ENI.
import t from 'tap';
import { kernelLacks, must, run } from '@cello/testkit';
import { chooseDatapath, ipvlanHostName } from '../src/index.ts';
import { egressRuleLine, render } from '../src/objects.ts';
import { ipvlanPlan } from '../src/plan-ipvlan.ts';
import { dumpNs } from './helpers/dump.ts';
import { NODE_IP, NODE_PORT, PEER_IP, PEER_PORT, POD_PORT, Sim } from './helpers/sim.ts';

const noIpvlan = await kernelLacks('ipvlan');

t.test('auto picks ipvlan exactly where the kernel has it', async (t) => {
  t.equal(await chooseDatapath('auto'), noIpvlan ? 'veth' : 'ipvlan', noIpvlan ?? 'ipvlan available');
  if (noIpvlan) await t.rejects(chooseDatapath('ipvlan'), /datapath ipvlan is not available: .*use datapath veth/);
});

t.test("the plan is upstream's (pkg/cni/driver/ipvlan.go)", async (t) => {
  const eni = {
    id: 'eni-1',
    mac: '02:00:00:00:01:0a',
    mode: 'shared' as const,
    subnetCidr: '192.168.1.0/24',
    gateway: '192.168.1.1',
    primaryIp: '192.168.1.10',
    routeTable: 101,
  };
  const alloc = { containerId: 'c1', ifname: 'eth0', netns: '/var/run/netns/p1', mode: 'shared' as const, ipv4: '192.168.1.11', eni };
  const facts = { eniDevice: 'eth1', eniIfindex: 3, eniMtu: 9000, hostSlaveExists: false, hostIps: [NODE_IP], hostLink: 'eth0' };
  const plan = ipvlanPlan(alloc, { redirectToHostCidrs: ['169.254.0.0/16'] }, facts);
  const host = render(plan.host);
  const pod = render(plan.pod);
  t.same(
    host.ip,
    [
      'link set dev eth1 up',
      'link add link eth1 name ipvl_3 mtu 9000 type ipvlan mode l2',
      'link set dev ipvl_3 arp off up',
      `addr replace ${NODE_IP}/32 dev ipvl_3`,
      'link add link eth1 name eth0 mtu 9000 netns /var/run/netns/p1 type ipvlan mode l2',
      'route replace 192.168.1.11/32 dev ipvl_3 scope link proto 207',
    ],
    'host: NOARP ipvl_<ifindex> with the node IP /32, the pod slave made straight into the pod with the ENI MTU, a main-table /32',
  );
  t.same(
    host.tc,
    [
      'qdisc replace dev eth1 clsact',
      'filter del dev eth1 egress',
      `filter add dev eth1 egress pref 40000 protocol ip u32 match ip src ${NODE_IP}/32 action mirred egress redirect dev eth0`,
      'filter add dev eth1 egress pref 40000 protocol ip u32 match ip dst 169.254.0.0/16 action tunnel_key unset action skbedit ptype host action mirred ingress redirect dev ipvl_3',
    ],
    'ENI egress: every other filter removed; host-sourced → host link; redirect CIDRs → ipvl_N',
  );
  t.same(pod.sysctls, [['net/ipv4/conf/eth0/arp_notify', '1']]);
  t.same(
    pod.ip,
    [
      'link set dev eth0 mtu 9000 up',
      'addr replace 192.168.1.11/24 dev eth0',
      'route replace 0.0.0.0/0 via 192.168.1.1 dev eth0 proto 207',
      `route replace ${NODE_IP}/32 dev eth0 scope link src 192.168.1.11 proto 207`,
      `neigh replace ${NODE_IP} lladdr 02:00:00:00:01:0a dev eth0 nud permanent`,
      'route replace 169.254.0.0/16 dev eth0 scope link src 192.168.1.11 proto 207',
    ],
    'pod: subnet prefix, default via the gateway, node IP on-link with a permanent neighbour to the shared MAC',
  );
  t.same(plan.result, {
    datapath: 'ipvlan',
    netns: '/var/run/netns/p1',
    podInterface: { name: 'eth0', mac: '02:00:00:00:01:0a', mtu: 9000 },
    ips: [{ address: '192.168.1.11/24', gateway: '192.168.1.1' }],
    routes: [{ dst: '0.0.0.0/0', gw: '192.168.1.1' }],
  });
  const again = render(ipvlanPlan(alloc, {}, { ...facts, hostSlaveExists: true }).host);
  t.notOk(
    again.ip.some((l) => l.startsWith('link add link eth1 name ipvl_3')),
    'an existing host slave is not made again',
  );
  t.same(again.tc, [], 'nor are its egress rules rewritten (eni-up owns them; check looks at them)');
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

  const [podA, allocA] = await sim.podWith(eni, '192.168.1.11');
  const [podB, allocB] = await sim.podWith(eni, '192.168.1.12');
  const a = await sim.cello(['setup', '--datapath', 'ipvlan'], allocA);
  t.equal(a.code, 0, `setup A: ${a.stderr}`);
  t.match(a.json, { datapath: 'ipvlan', podInterface: { name: 'eth0', mac: eni.mac }, ips: [{ address: '192.168.1.11/24', gateway: '192.168.1.1' }] });
  t.equal((await sim.cello(['setup', '--datapath', 'ipvlan'], allocB)).code, 0, 'setup B');
  t.equal((await sim.cello(['check', '--datapath', 'ipvlan'], allocA)).code, 0, 'check A');

  await sim.serveAll([
    [podA, '192.168.1.11'],
    [podB, '192.168.1.12'],
  ]);
  t.equal(await sim.who(podA.name, '192.168.1.12', POD_PORT), '192.168.1.11', 'A → B');
  t.equal(await sim.who(podA.name, NODE_IP, NODE_PORT), '192.168.1.11', 'A → node (host fast path)');
  t.equal(await sim.who(sim.node.name, '192.168.1.11', POD_PORT), NODE_IP, 'node → A');
  t.equal(await sim.who(podB.name, PEER_IP, PEER_PORT), '192.168.1.12', 'B → VPC peer');

  for (const alloc of [allocA, allocB]) t.equal((await sim.cello(['teardown', '--datapath', 'ipvlan'], alloc)).code, 0, 'teardown');
  t.same(await dumpNs(sim.node.name), before, 'node as eni-up left it (the fast path stays, pod routes go)');
  t.equal((await sim.cello(['teardown', '--datapath', 'ipvlan'], allocA)).code, 0, 'teardown again');
});

t.test('ENI-egress rules: u32 filters the kernel takes, replacing foreign ones', async (t) => {
  const sim = await Sim.create();
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('shared', '192.168.1.10');
  const tc = (lines: string[]) => must('ip', ['netns', 'exec', sim.node.name, 'tc', '-batch', '-'], { input: `${lines.join('\n')}\n` });
  await tc([
    `qdisc add dev ${eni.device} clsact`,
    `filter add dev ${eni.device} egress pref 7 protocol ip u32 match ip dst 10.0.0.0/8 action mirred egress redirect dev eth0`,
  ]);
  await tc([
    `qdisc replace dev ${eni.device} clsact`,
    `filter del dev ${eni.device} egress`,
    egressRuleLine(eni.device!, { match: 'src', cidr: `${NODE_IP}/32`, redirectTo: 'eth0' }),
  ]);
  const shown = await must('ip', ['netns', 'exec', sim.node.name, 'tc', '-j', 'filter', 'show', 'dev', eni.device!, 'egress']);
  const filters = JSON.parse(String(shown.stdout)).filter((f: any) => f.options?.actions);
  t.equal(filters.length, 1, 'only our filter is left');
  t.match(
    filters[0],
    { pref: 40000, kind: 'u32', options: { match: { value: 'c0a8000b', off: 12 }, actions: [{ kind: 'mirred', direction: 'egress', to_dev: 'eth0' }] } },
    'src 192.168.0.11 → redirect to eth0',
  );

  const redirectLine = egressRuleLine(eni.device!, { match: 'dst', cidr: '169.254.0.0/16', ingressTo: 'eth0' });
  const probe = await run('ip', ['netns', 'exec', sim.node.name, 'tc', 'filter', 'add', ...redirectLine.split(' ').slice(2)]);
  const lacks = /Failed to load TC action module|Unknown action/i.test(String(probe.stderr))
    ? `the kernel lacks tunnel_key/skbedit actions (${String(probe.stderr).trim().split('\n')[0]})`
    : undefined;
  t.test('redirect-to-host CIDR rule', { skip: lacks }, async (t) => {
    t.equal(probe.exitCode, 0, String(probe.stderr));
  });
});
