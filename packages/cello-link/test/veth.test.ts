// The veth datapath end to end: the CLI runs inside a "node" namespace as on a
// host; pods get real TCP traffic to each other, to the node and to a peer in
// the VPC; check names a broken object; teardown leaves the node exactly as
// eni-up left it, also when repeated or when the pod's netns is already gone.
import t from 'tap';
import { hostVethName, vethMacs } from '../src/index.ts';
import { dumpNs } from './helpers/dump.ts';
import { NODE_IP, NODE_PORT, PEER_IP, PEER_PORT, POD_PORT, Sim } from './helpers/sim.ts';

t.test('veth datapath', async (t) => {
  const sim = await Sim.create();
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('shared', '192.168.1.10');

  const up1 = await sim.cello(['eni-up'], eni);
  t.equal(up1.code, 0, `eni-up: ${up1.stderr}`);
  t.match(up1.json, [{ device: 'eth1', datapath: 'veth', routeTable: 101 }]);
  const afterEniUp = await dumpNs(sim.node.name);
  t.equal((await sim.cello(['eni-up'], eni)).code, 0, 'eni-up again');
  t.same(await dumpNs(sim.node.name), afterEniUp, 'eni-up is idempotent: a second run changes nothing');

  const [podA, allocA] = await sim.podWith(eni, '192.168.1.11');
  const [podB, allocB] = await sim.podWith(eni, '192.168.1.12');

  const a = await sim.cello(['setup'], allocA);
  t.equal(a.code, 0, `setup A: ${a.stderr}`);
  t.same(a.json, {
    datapath: 'veth',
    netns: podA.path,
    hostInterface: { name: hostVethName(allocA.containerId, 'eth0'), mac: vethMacs(allocA.containerId, 'eth0').host },
    podInterface: { name: 'eth0', mac: vethMacs(allocA.containerId, 'eth0').pod, mtu: 1500 },
    ips: [{ address: '192.168.1.11/32', gateway: '169.254.1.1' }],
    routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
  });
  t.equal((await sim.cello(['setup'], allocB)).code, 0, 'setup B');

  t.test('real TCP: pod↔pod, pod↔node, pod↔VPC peer, with pod addresses unchanged', async (t) => {
    await sim.serveAll([
      [podA, '192.168.1.11'],
      [podB, '192.168.1.12'],
    ]);
    t.equal(await sim.who(podA.name, '192.168.1.12', POD_PORT), '192.168.1.11', 'A → B');
    t.equal(await sim.who(podB.name, '192.168.1.11', POD_PORT), '192.168.1.12', 'B → A');
    t.equal(await sim.who(podA.name, NODE_IP, NODE_PORT), '192.168.1.11', 'A → node');
    t.equal(await sim.who(sim.node.name, '192.168.1.11', POD_PORT), NODE_IP, 'node → A');
    t.equal(await sim.who(podA.name, PEER_IP, PEER_PORT), '192.168.1.11', 'A → VPC peer (through the ENI table)');
    t.equal(await sim.who(sim.peer.name, '192.168.1.12', POD_PORT), PEER_IP, 'VPC peer → B (through the ENI)');
  });

  t.test('check passes, then names the object that is wrong', async (t) => {
    const ok = await sim.cello(['check'], allocA);
    t.equal(ok.code, 0, `check: ${ok.stdout}${ok.stderr}`);
    t.same(ok.json, { ok: true, findings: [] });
    await sim.node.exec('ip', ['rule', 'del', 'pref', '1536', 'from', '192.168.1.11']);
    await podA.exec('ip', ['neigh', 'del', '169.254.1.1', 'dev', 'eth0']);
    const bad = await sim.cello(['check'], allocA);
    t.equal(bad.code, 1, 'check exits 1');
    t.same(bad.json.findings, [
      { side: 'host', object: 'rule pref 1536 from 192.168.1.11 lookup 101', problem: 'missing' },
      { side: 'pod', object: `neighbour 169.254.1.1 lladdr ${vethMacs(allocA.containerId, 'eth0').host} dev eth0 permanent`, problem: 'missing' },
    ]);
    const again = await sim.cello(['setup'], allocA);
    t.equal(again.code, 0, `setup over a broken datapath repairs it: ${again.stderr}`);
    t.equal((await sim.cello(['check'], allocA)).code, 0, 'check passes after the repair');
    t.equal(await sim.who(podA.name, PEER_IP, PEER_PORT), '192.168.1.11', 'and traffic flows again');
  });

  t.test('teardown removes everything, twice, and with the netns gone', async (t) => {
    for (const alloc of [allocA, allocB]) {
      const r = await sim.cello(['teardown'], alloc);
      t.equal(r.code, 0, `teardown: ${r.stderr}`);
    }
    t.same(await dumpNs(sim.node.name), afterEniUp, 'node is as eni-up left it');
    t.same(
      (await dumpNs(podA.name)).links.map((l) => l.name),
      ['lo'],
      'pod A holds only lo',
    );
    t.equal((await sim.cello(['teardown'], allocA)).code, 0, 'teardown again succeeds');
    t.same(await dumpNs(sim.node.name), afterEniUp, 'and changes nothing');

    const podC = await sim.pod();
    const allocC = sim.allocation(podC, eni, '192.168.1.13');
    t.equal((await sim.cello(['setup'], allocC)).code, 0, 'setup C');
    await podC.remove();
    const r = await sim.cello(['teardown'], allocC);
    t.equal(r.code, 0, `teardown with the netns deleted: ${r.stderr}`);
    t.match(r.json.notes, [/netns .* is gone/]);
    t.same(await dumpNs(sim.node.name), afterEniUp, "nothing of C's remains (its rules outlive the netns; teardown removed them)");
  });
});
