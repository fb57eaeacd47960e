// Security groups with real packets: two ENIs in different groups on two
// nodes, changed through the OpenAPI with the real signer (from a node, as a
// product calls it). A new connection reaches an ENI only when one of its
// groups admits the source — a source group (every address of its ENIs, also
// one assigned later) or a CIDR; replies of an admitted flow always come back
// (stateful); the sim's own services are never filtered; the default config
// adds no rule at all. A refusal is checked twice: the connection gets no
// answer, and the port's DROP rule counted it (so it was the group, not
// routing); every refusal has a passing control next to it.
import t from 'tap';
import { must } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import type { Sim } from '../src/index.ts';
import { api, connect, fixture, tcpServer } from './simkit.ts';

/** One action signed with the owner's key by @volcengine/openapi, sent from node1; the envelope. */
async function signedCall(sim: Sim, action: string, params: Record<string, string> = {}) {
  const r = await sim.exec('node1', ['node', fixture('openapi-call.mjs'), 'vpc', action, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)], {
    env: { SIM_AK: sim.info.openapi.accessKeyId, SIM_SK: sim.info.openapi.secretAccessKey },
  });
  if (r.code !== 0) throw new Error(`${action} from node1: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ResponseMetadata: { Error?: { Code: string; Message: string } }; Result?: any };
}

async function signed(sim: Sim, action: string, params: Record<string, string> = {}) {
  const r = await signedCall(sim, action, params);
  const err = r.ResponseMetadata.Error;
  if (err) throw new Error(`${action}: ${err.Code}: ${err.Message}`);
  return r.Result;
}

const ALL = { Protocol: 'all', PortStart: '-1', PortEnd: '-1' };

/** The router's filter table as `iptables -S` prints it. */
async function filterRules(sim: Sim): Promise<string> {
  return String((await must('ip', ['netns', 'exec', sim.info.routerNetns, 'iptables', '-w', '-S'])).stdout);
}

/** Packets the DROP rule of a port's security-group chain has counted. */
async function dropped(sim: Sim, port: string): Promise<number> {
  const r = await must('ip', ['netns', 'exec', sim.info.routerNetns, 'iptables', '-w', '-L', `sg-${port}`, '-v', '-x', '-n']);
  const line = String(r.stdout)
    .split('\n')
    .find((l) => /\sDROP\s/.test(l));
  if (!line) throw new Error(`sg-${port} has no DROP rule:\n${r.stdout}`);
  return Number(line.trim().split(/\s+/)[0]);
}

/** A secondary ENI in subnet-2 and `group`, attached to the node and up with its address (/24: the subnet is on-link by eth1). */
async function eniOn(sim: Sim, node: { name: string; instanceId: string }, group: string) {
  const subnet = sim.info.subnets[1]!;
  const id = (await signed(sim, 'CreateNetworkInterface', { SubnetId: subnet.id, 'SecurityGroupIds.1': group })).NetworkInterfaceId as string;
  await signed(sim, 'AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: node.instanceId });
  const eni = (await sim.control.state()).enis.find((e) => e.id === id)!;
  const r = await sim.exec(node.name, ['ip', '-batch', '-'], { input: `link set ${eni.device} up\naddr add ${eni.primaryIp}/24 dev ${eni.device}\n` });
  if (r.code !== 0) throw new Error(`${eni.device} on ${node.name}: ${r.stderr}`);
  return { id, ip: eni.primaryIp, port: eni.port, device: eni.device };
}

t.test('ENIs in different groups are isolated as their groups say', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS } });
  const [n1, n2] = sim.info.nodes as [(typeof sim.info.nodes)[0], (typeof sim.info.nodes)[0]];
  await tcpServer(t, sim, n1.name, 8080);
  await tcpServer(t, sim, n2.name, 8080);

  t.test('the default config adds no rule and changes nothing', async (t) => {
    t.equal((await filterRules(sim)).trim(), '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT', 'the filter table is empty');
    const r = await connect(sim, n1.name, n2.primaryIp, 8080);
    t.ok(r.ok, `node1 → node2 (${r.error ?? ''})`);
    t.match(r.reply, /hello from node2/);
  });

  const vpc = sim.info.vpc.id;
  const red = (await signed(sim, 'CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'red' })).SecurityGroupId as string;
  const blue = (await signed(sim, 'CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'blue' })).SecurityGroupId as string;
  const a = await eniOn(sim, n1, red);
  const b = await eniOn(sim, n2, blue);
  /** node1 → node2 from a red address to b; node2 → node1 from b to a. */
  const redToBlue = (src = a.ip) => connect(sim, n1.name, b.ip, 8080, src);
  const blueToRed = () => connect(sim, n2.name, a.ip, 8080, b.ip);

  t.test('a new group admits only its own members: red cannot reach blue', async (t) => {
    const before = await dropped(sim, b.port);
    const no = await redToBlue();
    t.notOk(no.ok, `red ${a.ip} → blue ${b.ip} gets no answer (${no.error})`);
    t.ok((await dropped(sim, b.port)) > before, `sg-${b.port} dropped it`);
    const ok = await connect(sim, n1.name, n2.primaryIp, 8080);
    t.ok(ok.ok, `the primaries (default group, every source) still talk (${ok.error ?? ''})`);
  });

  t.test('AuthorizeSecurityGroupIngress blue from red: red reaches blue, replies come back, blue still cannot open to red', async (t) => {
    await signed(sim, 'AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, SourceGroupId: red, ...ALL, Policy: 'accept' });
    const ok = await redToBlue();
    t.ok(ok.ok, `red → blue (${ok.error ?? ''})`);
    t.match(ok.reply, `hello from node2 to ::ffff:${b.ip}`, "blue's reply reached red: return traffic passes red's port");
    const before = await dropped(sim, a.port);
    const no = await blueToRed();
    t.notOk(no.ok, `but a new connection blue → red does not (${no.error})`);
    t.ok((await dropped(sim, a.port)) > before, `sg-${a.port} dropped it`);
  });

  let later = '';
  t.test('an address assigned later to a red ENI is admitted, nothing else changed', async (t) => {
    later = ((await signed(sim, 'AssignPrivateIpAddresses', { NetworkInterfaceId: a.id, SecondaryPrivateIpAddressCount: '1' })).PrivateIpSet as string[])[0]!;
    const r = await sim.exec(n1.name, ['ip', 'addr', 'add', `${later}/32`, 'dev', a.device]);
    t.equal(r.code, 0, r.stderr);
    t.match(await filterRules(sim), `-A sg-${b.port} -s ${later}/32 -j ACCEPT`, `sg-${b.port} admits ${later}`);
    const ok = await redToBlue(later);
    t.ok(ok.ok, `${later} → blue (${ok.error ?? ''})`);
  });

  t.test('RevokeSecurityGroupIngress: red is refused again', async (t) => {
    await signed(sim, 'RevokeSecurityGroupIngress', { SecurityGroupId: blue, SourceGroupId: red, ...ALL });
    const before = await dropped(sim, b.port);
    const no = await redToBlue();
    t.notOk(no.ok, `red → blue (${no.error})`);
    t.ok((await dropped(sim, b.port)) > before, `sg-${b.port} dropped it`);
  });

  t.test('a CIDR rule admits that CIDR and no other address of the same group', async (t) => {
    await signed(sim, 'AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: `${a.ip}/32`, ...ALL });
    const ok = await redToBlue();
    t.ok(ok.ok, `${a.ip} → blue (${ok.error ?? ''})`);
    const no = await redToBlue(later);
    t.notOk(no.ok, `${later}, red too but not in the CIDR, is refused (${no.error})`);
    await signed(sim, 'RevokeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: `${a.ip}/32`, ...ALL });
    const again = await redToBlue();
    t.notOk(again.ok, `revoked: ${a.ip} is refused (${again.error})`);
  });

  t.test("ModifyNetworkInterfaceAttributes moves red's ENI into blue, whose own rule admits it", async (t) => {
    await signed(sim, 'ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: a.id, 'SecurityGroupIds.1': blue });
    const ok = await redToBlue();
    t.ok(ok.ok, `→ blue (${ok.error ?? ''})`);
    const back = await blueToRed();
    t.ok(back.ok, `and blue → it, in blue now (${back.error ?? ''})`);
  });

  t.test('DeleteSecurityGroup refuses a group in use and deletes an unused one', async (t) => {
    const inUse = await signedCall(sim, 'DeleteSecurityGroup', { SecurityGroupId: blue });
    t.equal(inUse.ResponseMetadata.Error?.Code, 'InvalidSecurityGroup.InUse');
    await signed(sim, 'DeleteSecurityGroup', { SecurityGroupId: red });
    t.notOk((await api(sim, 'DescribeSecurityGroups', {})).SecurityGroups.some((g: { SecurityGroupId: string }) => g.SecurityGroupId === red));
  });

  t.test('detaching takes the port out of the rules', async (t) => {
    await signed(sim, 'DetachNetworkInterface', { NetworkInterfaceId: b.id, InstanceId: n2.instanceId });
    t.notMatch(await filterRules(sim), `sg-${b.port}`, `no sg-${b.port} once detached`);
    t.match(await filterRules(sim), `-A FORWARD -o ${a.port} -j sg-${a.port}`, 'the other port keeps its chain');
  });
});

t.test('config: a group that admits nothing, with enforcement on and off', async (t) => {
  const locked = { securityGroups: [{ name: 'locked', ingress: [] }], delaysMs: NO_DELAYS };

  t.test('enforced: the nodes cannot reach each other; the sim services still answer them', async (t) => {
    const sim = await withSim(t, { nodes: 2, config: locked });
    const [n1, n2] = sim.info.nodes;
    await tcpServer(t, sim, n2!.name, 8080);
    const no = await connect(sim, n1!.name, n2!.primaryIp, 8080);
    t.notOk(no.ok, `node1 → node2 (${no.error})`);
    const r = await sim.exec(n1!.name, ['node', fixture('http.mjs'), `${sim.info.metadata.url}/latest/instance_id`]);
    t.match(JSON.parse(r.stdout), [{ status: 200, body: n1!.instanceId }], 'the metadata service answers node1');
    const groups = await signed(sim, 'DescribeSecurityGroups');
    t.match(groups.SecurityGroups, [{ SecurityGroupName: 'locked', UsedNetworkInterfaceCount: 2 }], 'so does the OpenAPI, signed');
    const attrs = await signed(sim, 'DescribeSecurityGroupAttributes', { SecurityGroupId: sim.info.securityGroups[0]!.id, Direction: 'ingress' });
    t.same(attrs.Permissions, [], 'no ingress rule');
  });

  t.test('"enforceSecurityGroups": false: no rule, the nodes talk', async (t) => {
    const sim = await withSim(t, { nodes: 2, config: { ...locked, enforceSecurityGroups: false } });
    const [n1, n2] = sim.info.nodes;
    await tcpServer(t, sim, n2!.name, 8080);
    const ok = await connect(sim, n1!.name, n2!.primaryIp, 8080);
    t.ok(ok.ok, `node1 → node2 (${ok.error ?? ''})`);
    t.notMatch(await filterRules(sim), /DROP|sg-/, 'the router has no security-group rules');
  });
});
