// Dual stack: IPv4 and IPv6 pod addresses, real TCP over IPv6 (pod↔pod,
// pod↔node, pod↔VPC peer). On veth the IPv6 rules (which `ip` only takes with
// -6) are checked and removed like the IPv4 ones; on exclusive the pod's
// IPv6 sysctl is written and read by a shell inside the pod.
import t from 'tap';
import { eui64LinkLocal, vethMacs } from '../src/names.ts';
import { dumpNs } from './helpers/dump.ts';
import { NODE_IP6, NODE_PORT, PEER_IP6, PEER_PORT, POD_PORT, Sim } from './helpers/sim.ts';

t.test('veth datapath, dual stack', async (t) => {
  const sim = await Sim.create({ ipv6: true });
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('shared', '192.168.1.10');
  t.equal((await sim.cello(['eni-up'], eni)).code, 0, 'eni-up');
  const before = await dumpNs(sim.node.name);

  const [podA, allocA] = await sim.podWith(eni, '192.168.1.11', 'fd00:1::11');
  const [podB, allocB] = await sim.podWith(eni, '192.168.1.12', 'fd00:1::12');

  const a = await sim.cello(['setup'], allocA);
  t.equal(a.code, 0, `setup A: ${a.stderr}`);
  const gw6 = eui64LinkLocal(vethMacs(allocA.containerId, 'eth0').host);
  t.same(a.json.ips, [
    { address: '192.168.1.11/32', gateway: '169.254.1.1' },
    { address: 'fd00:1::11/128', gateway: gw6 },
  ]);
  t.same(a.json.routes, [
    { dst: '0.0.0.0/0', gw: '169.254.1.1' },
    { dst: '::/0', gw: gw6 },
  ]);
  t.equal((await sim.cello(['setup'], allocB)).code, 0, 'setup B');
  t.equal((await sim.cello(['check'], allocA)).code, 0, 'check A');

  t.test('real TCP over IPv6', async (t) => {
    await sim.serveAll(
      [
        [podA, 'fd00:1::11'],
        [podB, 'fd00:1::12'],
      ],
      true,
    );
    t.equal(await sim.who(podA.name, 'fd00:1::12', POD_PORT), 'fd00:1::11', 'A → B');
    t.equal(await sim.who(podA.name, NODE_IP6, NODE_PORT), 'fd00:1::11', 'A → node');
    t.equal(await sim.who(sim.node.name, 'fd00:1::11', POD_PORT), NODE_IP6, 'node → A');
    t.equal(await sim.who(podB.name, PEER_IP6, PEER_PORT), 'fd00:1::12', 'B → VPC peer');
    t.equal(await sim.who(sim.peer.name, 'fd00:1::11', POD_PORT), PEER_IP6, 'VPC peer → A');
  });

  t.test('an IPv6 rule removed is named; teardown removes everything', async (t) => {
    await sim.node.exec('ip', ['-6', 'rule', 'del', 'pref', '512', 'to', 'fd00:1::11']);
    const bad = await sim.cello(['check'], allocA);
    t.same(bad.json.findings, [{ side: 'host', object: 'rule pref 512 to fd00:1::11 lookup main', problem: 'missing' }]);
    for (const alloc of [allocA, allocB]) t.equal((await sim.cello(['teardown'], alloc)).code, 0, 'teardown');
    t.same(await dumpNs(sim.node.name), before, 'node as eni-up left it');
  });
});

t.test('exclusive datapath, dual stack', async (t) => {
  const sim = await Sim.create({ ipv6: true });
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('exclusive', '192.168.1.20');
  const [pod, alloc] = await sim.podWith(eni, '192.168.1.20', 'fd00:1::20');
  const before = await dumpNs(sim.node.name);
  const r = await sim.cello(['setup'], alloc);
  t.equal(r.code, 0, `setup: ${r.stderr}`);
  t.same(r.json.ips, [
    { address: '192.168.1.20/24', gateway: '192.168.1.1' },
    { address: 'fd00:1::20/64', gateway: 'fd00:1::1' },
  ]);
  t.equal((await sim.cello(['check'], alloc)).code, 0, 'check, including the pod sysctl');

  await sim.serveAll([[pod, 'fd00:1::20']], true);
  t.equal(await sim.who(pod.name, NODE_IP6, NODE_PORT), 'fd00:1::20', 'pod → node over the veth');
  t.equal(await sim.who(sim.node.name, 'fd00:1::20', POD_PORT), NODE_IP6, 'node → pod');
  t.equal(await sim.who(pod.name, PEER_IP6, PEER_PORT), 'fd00:1::20', 'pod → VPC peer through its ENI');
  t.equal(await sim.who(sim.peer.name, 'fd00:1::20', POD_PORT), PEER_IP6, 'VPC peer → pod');

  await pod.exec('sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6']);
  const bad = await sim.cello(['check'], alloc);
  t.equal(bad.code, 1, 'check fails');
  t.same(
    bad.json.findings.map((f: { object: string; problem: string }) => `${f.object}: ${f.problem}`),
    ['address fd00:1::20/64 on eth0: missing', 'route default via fd00:1::1 dev eth0 table main: missing', 'sysctl net.ipv6.conf.eth0.disable_ipv6=0: is 1'],
    'the pod sysctl is read back, and what IPv6 going away took with it is named',
  );
  t.equal((await sim.cello(['teardown'], alloc)).code, 0, 'teardown');
  t.same(await dumpNs(sim.node.name), before, 'the ENI is back, nothing else left');
});
