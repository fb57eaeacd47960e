// The source check (port security) with real packets, as Cello's veth
// datapath uses a secondary ENI: the ENI has no IPv4 address of its own, a
// pod behind a veth sends through it by policy routing, so the node's ARP for
// the ENI subnet's gateway carries another ENI's address as its sender.
// A real VPC answers that ARP and filters only IP packets by source; so must
// the sim. A packet from an address the ENI does not hold is still dropped.
import t, { type Test } from 'tap';
import { must, run, uniqueName } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import type { Sim } from '../src/index.ts';
import { api, connect, fixture, ipIn, tcpServer } from './simkit.ts';

const HOST_MAC = 'ee:ee:00:00:00:01';
const POD_MAC = 'ea:ea:00:00:00:01';
const ENI_TABLE = 100;

/** Connect from a pod namespace (not a node): {ok, reply} or {ok: false, error}. */
async function connectFromPod(pod: string, host: string, src: string): Promise<{ ok: boolean; reply?: string; error?: string }> {
  const r = await run('ip', ['netns', 'exec', pod, 'node', fixture('tcp.mjs'), 'connect', host, '8080', src]);
  try {
    return JSON.parse(String(r.stdout).trim());
  } catch {
    return { ok: false, error: `exit ${r.exitCode}: ${String(r.stderr).trim()}` };
  }
}

/** A pod namespace behind a veth on `node`, as Cello's veth datapath makes it (one address per `ips`). */
async function podOn(t: Test, sim: Sim, node: string, ips: string[]): Promise<string> {
  const pod = uniqueName('scpod');
  const hostVeth = uniqueName('schv');
  await must('ip', ['netns', 'add', pod]);
  t.teardown(() => run('ip', ['netns', 'del', pod]));
  const nodeLines = [
    `link add ${hostVeth} address ${HOST_MAC} type veth peer name eth0 netns ${pod} address ${POD_MAC}`,
    `link set ${hostVeth} up`,
    ...ips.flatMap((ip) => [`route add ${ip}/32 dev ${hostVeth} scope link`, `neigh add ${ip} lladdr ${POD_MAC} dev ${hostVeth} nud permanent`]),
  ];
  const r = await sim.exec(node, ['ip', '-batch', '-'], { input: `${nodeLines.join('\n')}\n` });
  if (r.code !== 0) throw new Error(`pod veth on ${node}: ${r.stderr}`);
  const podLines = [
    'link set lo up',
    'link set eth0 up',
    ...ips.map((ip) => `addr add ${ip}/32 dev eth0`),
    'route add 169.254.1.1 dev eth0 scope link',
    'route add default via 169.254.1.1 dev eth0',
    `neigh add 169.254.1.1 lladdr ${HOST_MAC} dev eth0 nud permanent`,
  ];
  await must('ip', ['-n', pod, '-batch', '-'], { input: `${podLines.join('\n')}\n` });
  return pod;
}

/** The router's `proxy_delay` for a port (centiseconds as the kernel prints it). */
async function proxyDelay(sim: Sim, port: string): Promise<string> {
  const r = await must('ip', ['netns', 'exec', sim.info.routerNetns, 'cat', `/proc/sys/net/ipv4/neigh/${port}/proxy_delay`]);
  return String(r.stdout).trim();
}

t.test('source check: ARP from an unaddressed ENI is answered, spoofed IP is dropped', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS } });
  const [n1, n2] = sim.info.nodes;
  const eniSubnet = sim.info.subnets[1]!; // not the nodes' subnet: its gateway is new to node1
  const eni = (
    await api(sim, 'CreateNetworkInterface', {
      SubnetId: eniSubnet.id,
      'SecurityGroupIds.1': sim.info.securityGroups[0]!.id,
      SecondaryPrivateIpAddressCount: 1,
    })
  ).NetworkInterfaceId;
  await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: eni, InstanceId: n1!.instanceId });
  const attrs = await api(sim, 'DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: eni });
  const podIp = attrs.PrivateIpSets.PrivateIpSet.find((s: { Primary: boolean }) => !s.Primary).PrivateIpAddress as string;
  // An address the cloud gave node1's *primary* ENI: routable back to node1, but not eth1's.
  const [otherEnisIp] = (await api(sim, 'AssignPrivateIpAddresses', { NetworkInterfaceId: n1!.primaryEniId, SecondaryPrivateIpAddressCount: 1 }))
    .PrivateIpSet as string[];

  // node1 as Cello's veth datapath leaves it: eth1 up without an address, pod traffic policy-routed out of it.
  const r = await sim.exec(n1!.name, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  t.equal(r.code, 0, `forwarding on ${r.stderr}`);
  const pod = await podOn(t, sim, n1!.name, [podIp, otherEnisIp!]);
  const eniLines = [
    'link set eth1 up',
    `route add default via ${eniSubnet.gateway} dev eth1 onlink table ${ENI_TABLE}`,
    `rule add from ${podIp} lookup ${ENI_TABLE}`,
    `rule add from ${otherEnisIp} lookup ${ENI_TABLE}`,
  ];
  const e = await sim.exec(n1!.name, ['ip', '-batch', '-'], { input: `${eniLines.join('\n')}\n` });
  t.equal(e.code, 0, `node1 configured ${e.stderr}`);
  t.equal((await ipIn(sim, n1!.name, '-4', 'addr', 'show', 'dev', 'eth1')).trim(), '', "eth1 has no IPv4 address: its ARP sender is eth0's");
  await tcpServer(t, sim, n2!.name, 8080);

  t.test('a pod on the ENI reaches another node', async (t) => {
    const ok = await connectFromPod(pod, n2!.primaryIp, podIp);
    t.ok(ok.ok, `pod ${podIp} → node2 over eth1 (${ok.error ?? ''})`);
    t.match(ok.reply, /hello from node2/);
    const neigh = await ipIn(sim, n1!.name, 'neigh', 'show', eniSubnet.gateway, 'dev', 'eth1');
    t.notMatch(neigh, /FAILED|INCOMPLETE/, `the gateway resolved on eth1: ${neigh.trim()}`);
    t.match(neigh, /lladdr/);
  });

  t.test('a source the ENI does not hold is dropped', async (t) => {
    const no = await connectFromPod(pod, n2!.primaryIp, otherEnisIp!);
    t.notOk(no.ok, `${otherEnisIp} (the primary ENI's) sent out of eth1 does not arrive (${no.error})`);
    // Control: the same address out of the ENI that holds it gets through, so the drop above was the source check.
    await ipIn(sim, n1!.name, 'rule', 'del', 'from', otherEnisIp!, 'lookup', String(ENI_TABLE));
    const ok = await connectFromPod(pod, n2!.primaryIp, otherEnisIp!);
    t.ok(ok.ok, `and arrives out of eth0, whose ENI holds it (${ok.error ?? ''})`);
  });

  t.test('every router port answers proxy ARP at once (proxy_delay 0)', async (t) => {
    const state = await sim.control.state();
    const ports = state.enis.filter((x) => x.port).map((x) => x.port);
    t.equal(ports.length, 3, `the two primaries and the attached ENI have ports: ${ports.join(' ')}`);
    for (const port of ports) t.equal(await proxyDelay(sim, port), '0', `proxy_delay of ${port}`);
  });

  t.test('the rules follow assign, unassign and detach', async (t) => {
    const port = (await sim.control.state()).enis.find((x) => x.id === eni)!.port;
    const rules = async () => String((await must('ip', ['netns', 'exec', sim.info.routerNetns, 'iptables', '-w', '-t', 'raw', '-S'])).stdout);
    const allows = (ip: string) => new RegExp(`^-A src-${port} -s ${ip.replace(/\./g, '\\.')}/32 -j RETURN$`, 'm');
    t.match(await rules(), allows(podIp), `src-${port} lets ${podIp} through`);
    const [added] = (await api(sim, 'AssignPrivateIpAddresses', { NetworkInterfaceId: eni, SecondaryPrivateIpAddressCount: 1 })).PrivateIpSet as string[];
    t.match(await rules(), allows(added!), `and ${added} once assigned`);
    await api(sim, 'UnassignPrivateIpAddresses', { NetworkInterfaceId: eni, 'PrivateIpAddress.1': added! });
    t.notMatch(await rules(), allows(added!), 'but not once unassigned');
    await api(sim, 'DetachNetworkInterface', { NetworkInterfaceId: eni, InstanceId: n1!.instanceId });
    const after = await rules();
    t.notMatch(after, new RegExp(`src-${port}\\b`), 'detached: its chain is gone');
    t.match(after, new RegExp(`^-A src-e\\d+ -s ${n2!.primaryIp.replace(/\./g, '\\.')}/32 -j RETURN$`, 'm'), 'the primaries keep theirs');
  });
});

t.test('sourceCheck: false lets any source through', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS, sourceCheck: false } });
  const [n1, n2] = sim.info.nodes;
  const eni = (
    await api(sim, 'CreateNetworkInterface', {
      SubnetId: sim.info.subnets[0]!.id,
      'SecurityGroupIds.1': sim.info.securityGroups[0]!.id,
      SecondaryPrivateIpAddressCount: 1,
    })
  ).NetworkInterfaceId;
  await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: eni, InstanceId: n1!.instanceId });
  const attrs = await api(sim, 'DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: eni });
  const ip = attrs.PrivateIpSets.PrivateIpSet.find((s: { Primary: boolean }) => !s.Primary).PrivateIpAddress as string;
  // eth1's address sent out of eth0 (the main table's default route); replies come back by eth1,
  // which takes them with rp_filter off (as cello-link's eni-up leaves an ENI).
  await sim.exec(n1!.name, ['ip', '-batch', '-'], { input: `link set eth1 up\naddr add ${ip}/32 dev eth0\n` });
  await sim.exec(n1!.name, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth1.rp_filter=0']);
  await tcpServer(t, sim, n2!.name, 8080);
  const ok = await connect(sim, n1!.name, n2!.primaryIp, 8080, ip);
  t.ok(ok.ok, `${ip} arrives out of the wrong ENI (${ok.error ?? ''})`);
  const raw = await must('ip', ['netns', 'exec', sim.info.routerNetns, 'iptables', '-w', '-t', 'raw', '-S']);
  t.notMatch(String(raw.stdout), /DROP/, 'the router has no source-check rules');
});
