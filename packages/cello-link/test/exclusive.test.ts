// The exclusive datapath end to end: each pod gets a whole ENI as eth0 (its
// primary IP, default via the subnet gateway) and a veth to the node. Real
// TCP between two such pods (through the VPC), to and from the node, and to a
// VPC peer; teardown hands each ENI back to the node under its old name,
// ready for the next pod, leaving the node exactly as before.
import t from 'tap';
import { hostVethName } from '../src/index.ts';
import { dumpNs, withoutDevice } from './helpers/dump.ts';
import { NODE_IP, NODE_PORT, PEER_IP, PEER_PORT, POD_PORT, Sim } from './helpers/sim.ts';

t.test('exclusive datapath', async (t) => {
  const sim = await Sim.create();
  t.teardown(() => sim.close());
  const eniX = await sim.attachEni('exclusive', '192.168.1.20');
  const eniY = await sim.attachEni('exclusive', '192.168.1.21');
  for (const eni of [eniX, eniY]) {
    const r = await sim.cello(['eni-up'], eni);
    t.equal(r.code, 0, `eni-up ${eni.device}: ${r.stderr}`);
    t.match(r.json, [{ device: eni.device, datapath: 'exclusive' }]);
  }
  const before = await dumpNs(sim.node.name);

  const [podX, allocX] = await sim.podWith(eniX, eniX.primaryIp);
  const [podY, allocY] = await sim.podWith(eniY, eniY.primaryIp);
  const x = await sim.cello(['setup'], allocX);
  t.equal(x.code, 0, `setup X: ${x.stderr}`);
  t.same(x.json, {
    datapath: 'exclusive',
    netns: podX.path,
    hostInterface: { name: hostVethName(allocX.containerId, 'eth0'), mac: x.json.hostInterface.mac },
    podInterface: { name: 'eth0', mac: eniX.mac, mtu: 1500 },
    ips: [{ address: '192.168.1.20/24', gateway: '192.168.1.1' }],
    routes: [{ dst: '0.0.0.0/0', gw: '192.168.1.1' }],
  });
  t.equal((await sim.cello(['setup'], allocY)).code, 0, 'setup Y');
  const inPod = await dumpNs(podX.name);
  t.match(
    inPod.links.find((l) => l.name === 'eth0'),
    { mac: eniX.mac, up: true, addrs: ['192.168.1.20/24', /^fe80/] },
    'the ENI is eth0 in the pod',
  );
  t.notOk(
    (await dumpNs(sim.node.name)).links.some((l) => l.mac === eniX.mac),
    'and gone from the node',
  );

  t.test('real TCP: pod↔pod through the VPC, pod↔node through the veth, pod→VPC peer', async (t) => {
    await sim.serveAll([
      [podX, '192.168.1.20'],
      [podY, '192.168.1.21'],
    ]);
    t.equal(await sim.who(podX.name, '192.168.1.21', POD_PORT), '192.168.1.20', 'X → Y');
    t.equal(await sim.who(podY.name, '192.168.1.20', POD_PORT), '192.168.1.21', 'Y → X');
    t.equal(await sim.who(podX.name, NODE_IP, NODE_PORT), '192.168.1.20', 'X → node');
    t.equal(await sim.who(sim.node.name, '192.168.1.20', POD_PORT), NODE_IP, 'node → X');
    t.equal(await sim.who(podY.name, PEER_IP, PEER_PORT), '192.168.1.21', 'Y → VPC peer');
    t.equal(await sim.who(sim.peer.name, '192.168.1.20', POD_PORT), PEER_IP, 'VPC peer → X');
  });

  t.test('check passes and names what breaks', async (t) => {
    const ok = await sim.cello(['check'], allocX);
    t.equal(ok.code, 0, `check: ${ok.stdout}${ok.stderr}`);
    await podX.exec('ip', ['route', 'del', 'default']);
    const bad = await sim.cello(['check'], allocX);
    t.equal(bad.code, 1);
    t.same(bad.json.findings, [{ side: 'pod', object: 'route default via 192.168.1.1 dev eth0 table main', problem: 'missing' }]);
  });

  t.test('teardown returns the ENIs, repeatable, and with the netns gone', async (t) => {
    for (const alloc of [allocX, allocY]) {
      const r = await sim.cello(['teardown'], alloc);
      t.equal(r.code, 0, `teardown: ${r.stderr}`);
    }
    t.same(await dumpNs(sim.node.name), before, 'node as before: ENIs back under their names, veths gone');
    t.same(
      (await dumpNs(podX.name)).links.map((l) => l.name),
      ['lo'],
      'pod X holds only lo',
    );
    t.equal((await sim.cello(['teardown'], allocX)).code, 0, 'teardown again succeeds');
    t.same(await dumpNs(sim.node.name), before, 'and changes nothing');

    const again = await sim.cello(['setup'], allocX);
    t.equal(again.code, 0, `the returned ENI serves the next pod: ${again.stderr}`);
    t.equal(await sim.who(podX.name, PEER_IP, PEER_PORT), '192.168.1.20', 'with traffic');

    // A deleted netns destroys a veth stand-in for an ENI (a real ENI would fall back to
    // the init netns); teardown still succeeds and removes the node's side.
    await podX.remove();
    const r = await sim.cello(['teardown'], allocX);
    t.equal(r.code, 0, `teardown with the netns deleted: ${r.stderr}`);
    t.same(await dumpNs(sim.node.name), withoutDevice(before, eniX.device!), 'nothing of X remains on the node');
  });
});
