// The dataplane with real packets: an address the cloud assigned to an ENI
// is reachable over TCP from another node, one it did not assign is not, and
// unassigning withdraws it; attach and detach add and remove the device, with
// the ENI's MAC and the name the kernel would give it.
import t from 'tap';
import { must, run } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { api, connect, ipIn, tcpServer } from './simkit.ts';

interface Link {
  ifname: string;
  address: string;
  operstate: string;
}

t.test('dataplane: devices and routes follow the cloud', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS } });
  const [n1, n2] = sim.info.nodes;
  const subnet = sim.info.subnets[0]!;
  const links = async (node: string) => JSON.parse(await ipIn(sim, node, '-j', 'link', 'show')) as Link[];
  const byMac = async (node: string, mac: string) => (await links(node)).find((l) => l.address === mac);

  const eni1 = (
    await api(sim, 'CreateNetworkInterface', {
      SubnetId: subnet.id,
      'SecurityGroupIds.1': sim.info.securityGroups[0]!.id,
      SecondaryPrivateIpAddressCount: 2,
      Ipv6AddressCount: 1,
    })
  ).NetworkInterfaceId;
  const eni2 = (await api(sim, 'CreateNetworkInterface', { SubnetId: subnet.id, 'SecurityGroupIds.1': sim.info.securityGroups[0]!.id })).NetworkInterfaceId;
  const attrs = async (id: string) => api(sim, 'DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
  const e1 = await attrs(eni1);
  const e2 = await attrs(eni2);
  t.notOk(await byMac(n2!.name, e1.MacAddress), 'no device before attach');

  await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: eni1, InstanceId: n2!.instanceId });
  await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: eni2, InstanceId: n2!.instanceId });
  t.equal((await byMac(n2!.name, e1.MacAddress))?.ifname, 'eth1', 'the first attached ENI is eth1, with its MAC');
  t.equal((await byMac(n2!.name, e2.MacAddress))?.ifname, 'eth2', 'the second is eth2');
  t.notOk(await byMac(n1!.name, e1.MacAddress), 'and nothing appears on the other node');
  const state = await sim.control.state();
  t.equal(state.enis.find((e) => e.id === eni1)?.device, 'eth1', 'state reports the device');

  // Node 2 uses the ENI as a CNI would: its addresses on eth1, replies leave by eth1.
  const [assigned, second] = e1.PrivateIpSets.PrivateIpSet.filter((s: { Primary: boolean }) => !s.Primary).map(
    (s: { PrivateIpAddress: string }) => s.PrivateIpAddress,
  );
  const unassigned = '192.168.1.250';
  const v6 = e1.IPv6Sets[0] as string;
  const batch = [
    'link set eth1 up',
    ...[assigned, second, unassigned].map((ip) => `addr add ${ip}/32 dev eth1`),
    `addr add ${v6}/128 dev eth1 nodad`,
    ...[assigned, second, unassigned].map((ip) => `rule add from ${ip} lookup 100`),
    `route add default via ${subnet.gateway} dev eth1 onlink table 100`,
  ];
  const r = await sim.exec(n2!.name, ['ip', '-batch', '-'], { input: `${batch.join('\n')}\n` });
  t.equal(r.code, 0, `node2 configured ${r.stderr}`);
  await ipIn(sim, n2!.name, '-6', 'rule', 'add', 'from', v6, 'lookup', '100');
  await ipIn(sim, n2!.name, '-6', 'route', 'add', 'default', 'via', subnet.gatewayV6!, 'dev', 'eth1', 'onlink', 'table', '100');
  await tcpServer(t, sim, n2!.name, 8080);

  t.test('TCP across nodes: assigned yes, unassigned no', async (t) => {
    const ok = await connect(sim, n1!.name, assigned, 8080);
    t.ok(ok.ok, `an assigned address is reachable (${ok.error ?? ''})`);
    t.match(ok.reply, /hello from node2/);
    t.ok((await connect(sim, n1!.name, n2!.primaryIp, 8080)).ok, 'the node itself is reachable');
    const no = await connect(sim, n1!.name, unassigned, 8080);
    t.notOk(no.ok, `an address the cloud did not assign is not reachable (${no.error})`);
  });

  t.test('unassign withdraws the route; assigning again restores it', async (t) => {
    await api(sim, 'UnassignPrivateIpAddresses', { NetworkInterfaceId: eni1, 'PrivateIpAddress.1': assigned });
    t.notOk((await connect(sim, n1!.name, assigned, 8080)).ok, 'unreachable after unassign');
    t.ok((await connect(sim, n1!.name, second, 8080)).ok, "the ENI's other address still is");
    t.notMatch(
      (await must('ip', ['-n', sim.info.routerNetns, 'route', 'show'])).stdout,
      new RegExp(`^${assigned.replace(/\./g, '\\.')} `, 'm'),
      'the router has no route for it',
    );
    await api(sim, 'AssignPrivateIpAddresses', { NetworkInterfaceId: eni1, 'PrivateIpAddress.1': assigned });
    t.ok((await connect(sim, n1!.name, assigned, 8080)).ok, 'reachable again once assigned');
  });

  t.test('source check: a reply leaving by the wrong ENI is dropped', async (t) => {
    await ipIn(sim, n2!.name, 'rule', 'del', 'from', second, 'lookup', '100');
    t.notOk((await connect(sim, n1!.name, second, 8080)).ok, 'replies from an eth1 address sent via eth0 do not arrive');
    await ipIn(sim, n2!.name, 'rule', 'add', 'from', second, 'lookup', '100');
    t.ok((await connect(sim, n1!.name, second, 8080)).ok, 'and do again by eth1');
  });

  t.test('IPv6 across nodes', async (t) => {
    const n1v6 = (await api(sim, 'AssignIpv6Addresses', { NetworkInterfaceId: n1!.primaryEniId, Ipv6AddressCount: 1 })).Ipv6Set[0];
    await ipIn(sim, n1!.name, 'addr', 'add', `${n1v6}/128`, 'dev', 'eth0', 'nodad');
    await ipIn(sim, n1!.name, 'route', 'add', 'default', 'via', subnet.gatewayV6!, 'dev', 'eth0', 'onlink');
    const ok = await connect(sim, n1!.name, v6, 8080, n1v6);
    t.ok(ok.ok, `an assigned IPv6 is reachable (${ok.error ?? ''})`);
    await api(sim, 'UnassignIpv6Addresses', { NetworkInterfaceId: eni1, 'Ipv6Address.1': v6 });
    t.notOk((await connect(sim, n1!.name, v6, 8080, n1v6)).ok, 'and not once unassigned');
  });

  t.test('a device moved into a namespace that is deleted comes back to its node', async (t) => {
    const pod = `p${sim.info.name}`;
    await must('ip', ['netns', 'add', pod]);
    t.teardown(() => run('ip', ['netns', 'del', pod]));
    await ipIn(sim, n2!.name, 'link', 'set', 'eth2', 'netns', pod);
    t.notOk(await byMac(n2!.name, e2.MacAddress), 'moved out of node2');
    await must('ip', ['netns', 'del', pod]);
    let back: Link | undefined;
    for (let i = 0; i < 100 && !back; i++) {
      back = await byMac(n2!.name, e2.MacAddress);
      if (!back) await new Promise((r) => setTimeout(r, 50));
    }
    t.equal(back?.ifname, 'eth2', 'back in node2, as a NIC returns to its VM');
    // The device shows before its routes are back: wait for them too.
    const routed = new RegExp(`^${e2.PrimaryIpAddress.replace(/\./g, '\\.')} dev e`, 'm');
    let routes = '';
    for (let i = 0; i < 100 && !routed.test(routes); i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      routes = String((await must('ip', ['-n', sim.info.routerNetns, 'route', 'show'])).stdout);
    }
    t.match(routes, routed, 'with its route');
  });

  t.test('detach removes the device; attach elsewhere names it there', async (t) => {
    await api(sim, 'DetachNetworkInterface', { NetworkInterfaceId: eni1, InstanceId: n2!.instanceId });
    t.notOk(await byMac(n2!.name, e1.MacAddress), 'gone from node2');
    t.equal((await byMac(n2!.name, e2.MacAddress))?.ifname, 'eth2', 'the other ENI stays');
    t.notOk((await connect(sim, n1!.name, second, 8080)).ok, 'its addresses are unreachable');
    const routes = String((await must('ip', ['-n', sim.info.routerNetns, 'route', 'show'])).stdout);
    t.notMatch(routes, new RegExp(`^${second.replace(/\./g, '\\.')} `, 'm'), 'the router no longer routes them');
    await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: eni1, InstanceId: n1!.instanceId });
    const dev = await byMac(n1!.name, e1.MacAddress);
    t.equal(dev?.ifname, 'eth1', 'on node1 it is eth1, the lowest free name');
    t.equal(dev?.operstate, 'DOWN', 'a new NIC comes up down, as on a VM');
    await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: eni2, InstanceId: n1!.instanceId }).then(
      () => t.fail('eni2 is still attached to node2'),
      (err: Error) => t.match(err.message, /InvalidEni.InvalidStatus/),
    );
  });

  t.test('deleting an instance removes its node; its ENIs become Available', async (t) => {
    const gone = await sim.control.deleteInstance(n2!.name);
    t.equal(gone.instanceId, n2!.instanceId);
    const netns = await sim.exec(n1!.name, ['ip', 'netns', 'list']);
    t.notMatch(netns.stdout, new RegExp(`${n2!.netns}\\b`), 'the node namespace is gone');
    t.match(await attrs(eni2), { Status: 'Available', DeviceId: '' });
    const nodes = await sim.control.k8s('GET', '/api/v1/nodes');
    t.same(
      (nodes.body as { items: Array<{ metadata: { name: string } }> }).items.map((n) => n.metadata.name),
      ['node1'],
      'and its Kubernetes Node',
    );
    t.same(
      (await sim.control.info()).nodes.map((n) => n.name),
      ['node1'],
      'and its entry in the info document',
    );
  });
});
