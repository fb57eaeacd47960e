// The security-group actions through the real @volcengine/openapi client
// (signed, in-process sim): their results, each refusal's code, the rules a
// config makes, and what the rules admit (sources per ENI) as groups, rules
// and addresses change. Packets are security-groups.test.ts.
import t from 'tap';
import { sourcesByEni } from '../src/cloud/sg-sources.ts';
import { resolveConfig } from '../src/config.ts';
import { securityGroupTable } from '../src/dataplane/security-groups.ts';
import { inProcessCloud } from './inproc.ts';

const ALL = { Protocol: 'all', PortStart: -1, PortEnd: -1 };
const RFC3339_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;

t.test('config: names admit everything, objects say what they admit, mistakes name the field', async (t) => {
  const sim = await inProcessCloud({
    securityGroups: ['open', { name: 'blue', description: 'b', ingress: [{ sourceGroup: 'blue' }, { cidr: '10.1.2.3/8' }] }, { name: 'shut', ingress: [] }],
  });
  t.teardown(sim.close);
  const [open, blue, shut] = sim.world.securityGroups;
  const ingress = async (id: string) =>
    (await sim.ok('DescribeSecurityGroupAttributes', { SecurityGroupId: id, Direction: 'ingress' })).Permissions.map(
      (p: { CidrIp: string; SourceGroupId: string }) => p.SourceGroupId || p.CidrIp,
    );
  t.same(await ingress(open!.id), ['0.0.0.0/0'], 'a plain name: a rule from 0.0.0.0/0');
  t.same(await ingress(blue!.id), [blue!.id, '10.0.0.0/8'], 'an object: its rules, the group by id, the CIDR canonical');
  t.same(await ingress(shut!.id), [], 'ingress []: none');
  t.equal(sim.world.enis[0]!.securityGroupIds[0], open!.id, 'the primaries join the first group');

  const bad: Array<[unknown, RegExp]> = [
    [[], /"securityGroups" must be a non-empty list/],
    [[''], /"securityGroups\[0\]" must not be an empty name/],
    [[42], /"securityGroups\[0\]" must be a name or an object/],
    [[{ name: 'a', egress: [] }], /"securityGroups\[0\]\.egress" is not a known key/],
    [[{ ingress: [] }], /"securityGroups\[0\]\.name" must be a non-empty string/],
    [[{ name: 'a', ingress: {} }], /"securityGroups\[0\]\.ingress" must be a list/],
    [[{ name: 'a', ingress: [{}] }], /"securityGroups\[0\]\.ingress\[0\]" needs exactly one of sourceGroup or cidr/],
    [[{ name: 'a', ingress: [{ sourceGroup: 'a', cidr: '10.0.0.0/8' }] }], /needs exactly one/],
    [['a', { name: 'b', ingress: [{ sourceGroup: 'c' }] }], /"securityGroups\[1\]\.ingress\[0\]\.sourceGroup" must name one of the configured groups \(a, b\)/],
    [[{ name: 'a', ingress: [{ cidr: 'fd00::/8' }] }], /"securityGroups\[0\]\.ingress\[0\]\.cidr" must be an IPv4 CIDR/],
    [[{ name: 'a', ingress: [{ cidr: 'nope' }] }], /ingress\[0\]\.cidr" must be an IPv4 CIDR, got "nope"/],
    [['a', { name: 'a' }], /names must be unique \("a" is given twice\)/],
  ];
  for (const [securityGroups, message] of bad)
    t.throws(() => resolveConfig({ securityGroups }), { name: 'UsageError', message }, JSON.stringify(securityGroups));
  t.throws(() => resolveConfig({ enforceSecurityGroups: 'yes' }), { message: /"enforceSecurityGroups" must be a boolean/ });
});

t.test('CreateSecurityGroup, DescribeSecurityGroupAttributes, DeleteSecurityGroup', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const vpc = sim.world.vpc.id;

  const r = await sim.call('CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'red', Description: 'the red one' });
  t.match(r.Result, { SecurityGroupId: /^sg-/, RequestId: r.ResponseMetadata.RequestId, AsyncTaskId: /\w/ });
  const red = r.Result.SecurityGroupId as string;
  const attrs = await sim.ok('DescribeSecurityGroupAttributes', { SecurityGroupId: red });
  t.match(attrs, { SecurityGroupId: red, SecurityGroupName: 'red', Description: 'the red one', VpcId: vpc, Status: 'Available', CreationTime: RFC3339_OFFSET });
  t.match(
    attrs.Permissions,
    [
      { Direction: 'ingress', SourceGroupId: red, CidrIp: '', Protocol: 'all', PortStart: -1, PortEnd: -1, Policy: 'accept', Priority: 1 },
      { Direction: 'egress', CidrIp: '0.0.0.0/0', Protocol: 'all', Policy: 'accept' },
    ],
    'a new group admits its own members (as a real custom group starts); egress is open',
  );
  t.equal(attrs.Permissions.length, 2);
  t.equal((await sim.ok('DescribeSecurityGroupAttributes', { SecurityGroupId: red, Direction: 'egress' })).Permissions.length, 1, 'Direction filters');
  const unnamed = (await sim.ok('CreateSecurityGroup', { VpcId: vpc })).SecurityGroupId;
  t.equal((await sim.ok('DescribeSecurityGroups', { 'SecurityGroupIds.1': unnamed })).SecurityGroups[0].SecurityGroupName, unnamed, 'no name: its id');
  t.same(
    (await sim.ok('DescribeSecurityGroups', { 'SecurityGroupNames.1': 'red' })).SecurityGroups.map((g: { SecurityGroupId: string }) => g.SecurityGroupId),
    [red],
  );

  t.equal(await sim.code('CreateSecurityGroup', {}), 'MissingParameter');
  t.equal(await sim.code('CreateSecurityGroup', { VpcId: 'vpc-nope' }), 'InvalidVpcId.NotFound');
  t.equal(await sim.code('CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: '-x' }), 'InvalidParameter');
  t.equal(await sim.code('CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'x'.repeat(129) }), 'InvalidParameter');
  t.equal(await sim.code('DescribeSecurityGroupAttributes', { SecurityGroupId: 'sg-nope' }), 'InvalidSecurityGroupId.NotFound');

  const eni = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': red })).NetworkInterfaceId;
  const other = (await sim.ok('CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'other' })).SecurityGroupId;
  t.equal((await sim.call('DeleteSecurityGroup', { SecurityGroupId: red })).ResponseMetadata.Error?.Code, 'InvalidSecurityGroup.InUse', 'an ENI is in it');
  await sim.ok('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: eni, 'SecurityGroupIds.1': other });
  await sim.ok('AuthorizeSecurityGroupIngress', { SecurityGroupId: other, SourceGroupId: red, ...ALL });
  const referenced = await sim.call('DeleteSecurityGroup', { SecurityGroupId: red });
  t.match(referenced.ResponseMetadata.Error, { Code: 'InvalidSecurityGroup.InUse', Message: /security rule/ }, "another group's rule names it");
  await sim.ok('RevokeSecurityGroupIngress', { SecurityGroupId: other, SourceGroupId: red, ...ALL });
  t.equal(await sim.code('DeleteSecurityGroup', { SecurityGroupId: red }), 'OK', 'its own rule does not count');
  t.equal(await sim.code('DeleteSecurityGroup', { SecurityGroupId: red }), 'InvalidSecurityGroupId.NotFound');
});

t.test('AuthorizeSecurityGroupIngress and RevokeSecurityGroupIngress', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const blue = (await sim.ok('CreateSecurityGroup', { VpcId: sim.world.vpc.id, SecurityGroupName: 'blue' })).SecurityGroupId;
  const rules = async () =>
    (await sim.ok('DescribeSecurityGroupAttributes', { SecurityGroupId: blue, Direction: 'ingress' })).Permissions.map(
      (p: { SourceGroupId: string; CidrIp: string }) => p.SourceGroupId || p.CidrIp,
    );

  t.match(await sim.ok('AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: '10.1.2.3/16', ...ALL, Policy: 'accept', Priority: 5 }), {
    AsyncTaskId: /\w/,
  });
  await sim.ok('AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, SourceGroupId: sim.sgId, ...ALL });
  await sim.ok('AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: '10.1.0.0/16', ...ALL });
  t.same(await rules(), [blue, '10.1.0.0/16', sim.sgId], 'added in order; the same source again adds nothing');
  await sim.ok('AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: '172.16.0.0/12', SourceGroupId: blue, ...ALL });
  t.same((await rules()).at(-1), '172.16.0.0/12', 'CidrIp wins over SourceGroupId, as documented');
  const filtered = await sim.ok('DescribeSecurityGroupAttributes', { SecurityGroupId: blue, CidrIp: '10.1.0.0/16' });
  t.match(filtered.Permissions, [{ CidrIp: '10.1.0.0/16', Priority: 5 }]);
  t.equal(filtered.Permissions.length, 1, 'CidrIp filters');

  await sim.ok('RevokeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: '10.1.9.9/16', ...ALL });
  await sim.ok('RevokeSecurityGroupIngress', { SecurityGroupId: blue, SourceGroupId: sim.sgId, ...ALL });
  t.same(await rules(), [blue, '172.16.0.0/12']);

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['no SecurityGroupId', { CidrIp: '10.0.0.0/8', ...ALL }, 'MissingParameter'],
    ['unknown group', { SecurityGroupId: 'sg-nope', CidrIp: '10.0.0.0/8', ...ALL }, 'InvalidSecurityGroupId.NotFound'],
    ['unknown source group', { SecurityGroupId: blue, SourceGroupId: 'sg-nope', ...ALL }, 'InvalidSecurityGroupId.NotFound'],
    ['no source', { SecurityGroupId: blue, ...ALL }, 'MissingParameter'],
    ['no Protocol', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', PortStart: -1, PortEnd: -1 }, 'MissingParameter'],
    ['no PortStart', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', Protocol: 'all', PortEnd: -1 }, 'MissingParameter'],
    ['tcp', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', ...ALL, Protocol: 'tcp', PortStart: 22, PortEnd: 22 }, 'InvalidParameter'],
    ['an unknown protocol', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', ...ALL, Protocol: 'sctp' }, 'InvalidParameter'],
    ['a port with all', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', ...ALL, PortStart: 22 }, 'InvalidParameter'],
    ['drop', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', ...ALL, Policy: 'drop' }, 'InvalidParameter'],
    ['an IPv6 CIDR', { SecurityGroupId: blue, CidrIp: 'fd00::/8', ...ALL }, 'InvalidParameter'],
    ['not a CIDR', { SecurityGroupId: blue, CidrIp: '10.0.0.300/8', ...ALL }, 'InvalidParameter'],
    ['a prefix list', { SecurityGroupId: blue, PrefixListId: 'pl-1', ...ALL }, 'InvalidParameter'],
    ['Priority 0', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', ...ALL, Priority: 0 }, 'InvalidParameter'],
  ];
  for (const [what, params, code] of cases) t.equal(await sim.code('AuthorizeSecurityGroupIngress', params), code, `authorize: ${what}`);
  t.same(await rules(), [blue, '172.16.0.0/12'], 'no refused call added a rule');
  t.equal(await sim.code('RevokeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: '10.9.0.0/16', ...ALL }), 'InvalidSecurityRule.NotFound');
  t.equal(await sim.code('RevokeSecurityGroupIngress', { SecurityGroupId: blue, CidrIp: '10.0.0.0/8', ...ALL, Protocol: 'udp' }), 'InvalidParameter');
});

t.test('ModifyNetworkInterfaceAttributes', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const vpc = sim.world.vpc.id;
  const groups = [];
  for (let i = 0; i < 6; i++) groups.push((await sim.ok('CreateSecurityGroup', { VpcId: vpc })).SecurityGroupId as string);
  const eni = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId })).NetworkInterfaceId;
  const set = (ids: string[]) => Object.fromEntries(ids.map((id, i) => [`SecurityGroupIds.${i + 1}`, id]));

  t.match(
    await sim.ok('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: eni, ...set(groups.slice(0, 2)), NetworkInterfaceName: 'n2', Description: 'd2' }),
    {
      AsyncTaskId: /\w/,
    },
  );
  t.match(await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: eni }), {
    SecurityGroupIds: groups.slice(0, 2),
    NetworkInterfaceName: 'n2',
    Description: 'd2',
  });
  await sim.ok('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: eni, Description: 'd3' });
  t.same((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: eni })).SecurityGroupIds, groups.slice(0, 2), 'no SecurityGroupIds: kept');
  t.equal(await sim.code('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: eni, ...set(groups) }), 'QuotaExceeded.EniSecurityGroup');
  t.equal(await sim.code('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: eni, 'SecurityGroupIds.1': 'sg-nope' }), 'InvalidSecurityGroup.NotFound');
  t.equal(await sim.code('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: eni, NetworkInterfaceName: 'x'.repeat(129) }), 'InvalidParameter');
  t.equal(await sim.code('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: 'eni-nope', Description: 'x' }), 'InvalidEniId.NotFound');
  t.equal(await sim.code('ModifyNetworkInterfaceAttributes', {}), 'MissingParameter');
  t.same(
    (await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: eni })).SecurityGroupIds,
    groups.slice(0, 2),
    'refused calls changed nothing',
  );
  const primary = sim.world.instances[0]!.primaryEniId;
  t.equal(await sim.code('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: primary, 'SecurityGroupIds.1': groups[0] }), 'OK', 'a primary ENI too');
});

t.test('what the rules admit follows groups, rules and addresses', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const vpc = sim.world.vpc.id;
  const red = (await sim.ok('CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'red' })).SecurityGroupId;
  const blue = (await sim.ok('CreateSecurityGroup', { VpcId: vpc, SecurityGroupName: 'blue' })).SecurityGroupId;
  const eniIn = async (g: string) => (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': g })).NetworkInterfaceId;
  const a = sim.cloud.eni(await eniIn(red));
  const b = sim.cloud.eni(await eniIn(blue));
  const admits = (eni: typeof a) => sourcesByEni([eni], sim.world.securityGroups, [...sim.cloud.enis.values()]).get(eni.id);

  t.same(admits(b), [`${b.primaryIp}/32`], 'blue admits its own member');
  t.equal(admits(sim.cloud.eni(sim.world.instances[0]!.primaryEniId)), 'any', 'the default group admits anything');
  await sim.ok('AuthorizeSecurityGroupIngress', { SecurityGroupId: blue, SourceGroupId: red, ...ALL });
  t.same(admits(b), [`${a.primaryIp}/32`, `${b.primaryIp}/32`].sort(), 'and red once authorized');
  const [later] = (await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: a.id, SecondaryPrivateIpAddressCount: 1 })).PrivateIpSet;
  t.ok((admits(b) as string[]).includes(`${later}/32`), 'an address assigned to red later is admitted');
  await sim.ok('UnassignPrivateIpAddresses', { NetworkInterfaceId: a.id, 'PrivateIpAddress.1': later });
  t.notOk((admits(b) as string[]).includes(`${later}/32`), 'and not once unassigned');
  await sim.ok('ModifyNetworkInterfaceAttributes', { NetworkInterfaceId: a.id, 'SecurityGroupIds.1': sim.sgId });
  t.same(admits(b), [`${b.primaryIp}/32`], 'an ENI that left red is no longer admitted as red');
  t.equal(admits(a), 'any', 'and admits anything, in the default group');

  t.equal(
    securityGroupTable([
      { port: 'e1', sources: 'any' },
      { port: 'e7', sources: [] },
    ]),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:sg-e7 - [0:0]\n' +
      '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A FORWARD -o e7 -j sg-e7\n-A sg-e7 -j DROP\nCOMMIT\n',
    'a port admitting anything gets no chain; one admitting nothing only DROP, after the conntrack accept',
  );
  t.equal(
    securityGroupTable([{ port: 'e1', sources: 'any' }]),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
    'nothing restricted: no rule at all',
  );
});
