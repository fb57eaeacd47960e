// Every API action's happy path and each of its error codes, through the
// real @volcengine/openapi client (state delays 0: see state-machine.test.ts
// for the transitional states).
import t from 'tap';
import { inProcessCloud } from './inproc.ts';

const RFC3339_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;

t.test('ENI life cycle actions', async (t) => {
  const sim = await inProcessCloud({ eniQuota: 5 });
  t.teardown(sim.close);
  const [i1, i2] = sim.world.instances;
  const base = { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId };

  t.test('CreateNetworkInterface: the ENI, its addresses and attributes', async (t) => {
    const r = await sim.call('CreateNetworkInterface', {
      ...base,
      SecondaryPrivateIpAddressCount: 2,
      Ipv6AddressCount: 1,
      NetworkInterfaceName: 'n1',
      Description: 'd1',
      'Tags.1.Key': 'a',
      'Tags.1.Value': '1',
    });
    t.match(r.Result, { NetworkInterfaceId: /^eni-/, RequestId: r.ResponseMetadata.RequestId, AsyncTaskId: /\w/ }, 'Result repeats RequestId');
    const eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: r.Result.NetworkInterfaceId });
    t.match(eni, {
      NetworkInterfaceId: r.Result.NetworkInterfaceId,
      NetworkInterfaceName: 'n1',
      Description: 'd1',
      Status: 'Available',
      Type: 'secondary',
      DeviceId: '',
      VpcId: sim.world.vpc.id,
      SubnetId: sim.subnetId,
      ZoneId: 'cn-beijing-a',
      SecurityGroupIds: [sim.sgId],
      MacAddress: /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/,
      Tags: [{ Key: 'a', Value: '1' }],
      CreatedAt: RFC3339_OFFSET,
      UpdatedAt: RFC3339_OFFSET,
      AccountId: sim.world.accountId,
    });
    const set = eni.PrivateIpSets.PrivateIpSet as Array<{ PrivateIpAddress: string; Primary: boolean }>;
    t.equal(set.length, 3, 'primary + 2 secondaries');
    t.same(
      set.map((s) => s.Primary),
      [true, false, false],
      'the primary is listed, flagged Primary',
    );
    t.equal(set[0]!.PrivateIpAddress, eni.PrimaryIpAddress);
    t.equal(eni.IPv6Sets.length, 1, 'IPv6Sets (capital IPv6)');
    t.match(eni.IPv6Sets[0], /^fd00:0:0:1::/);
  });

  t.test('CreateNetworkInterface with explicit addresses', async (t) => {
    const r = await sim.ok('CreateNetworkInterface', {
      ...base,
      PrimaryIpAddress: '192.168.1.200',
      'PrivateIpAddress.1': '192.168.1.201',
      'PrivateIpAddress.2': '192.168.1.202',
      'Ipv6Address.1': 'fd00:0:0:1::abcd',
    });
    const eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: r.NetworkInterfaceId });
    t.equal(eni.PrimaryIpAddress, '192.168.1.200');
    t.same(
      eni.PrivateIpSets.PrivateIpSet.map((s: { PrivateIpAddress: string }) => s.PrivateIpAddress),
      ['192.168.1.200', '192.168.1.201', '192.168.1.202'],
    );
    t.same(eni.IPv6Sets, ['fd00:0:0:1::abcd']);
    t.equal(await sim.code('DeleteNetworkInterface', { NetworkInterfaceId: r.NetworkInterfaceId }), 'OK');
  });

  t.test('CreateNetworkInterface errors', async (t) => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['no SubnetId', { 'SecurityGroupIds.1': sim.sgId }, 'MissingParameter'],
      ['no security group', { SubnetId: sim.subnetId }, 'MissingParameter'],
      ['unflattened list', { SubnetId: sim.subnetId, SecurityGroupIds: sim.sgId }, 'MissingParameter'],
      ['unknown subnet', { ...base, SubnetId: 'subnet-nope' }, 'InvalidSubnet.NotFound'],
      ['unknown security group', { ...base, 'SecurityGroupIds.1': 'sg-nope' }, 'InvalidSecurityGroup.NotFound'],
      [
        'six security groups',
        { ...base, ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`SecurityGroupIds.${n}`, sim.sgId])) },
        'QuotaExceeded.EniSecurityGroup',
      ],
      ['count and list', { ...base, SecondaryPrivateIpAddressCount: 1, 'PrivateIpAddress.1': '192.168.1.99' }, 'InvalidParameter'],
      ['count not a number', { ...base, SecondaryPrivateIpAddressCount: 'two' }, 'InvalidParameter'],
      ['count 0', { ...base, SecondaryPrivateIpAddressCount: 0 }, 'InvalidParameter'],
      ['count over 49', { ...base, SecondaryPrivateIpAddressCount: 50 }, 'InvalidParameter'],
      ['bad Type', { ...base, Type: 'tertiary' }, 'InvalidParameter'],
      ['name too long', { ...base, NetworkInterfaceName: 'x'.repeat(129) }, 'InvalidParameter'],
      ['bad bool', { ...base, PortSecurityEnabled: 'yes' }, 'InvalidParameter'],
      ['malformed primary', { ...base, PrimaryIpAddress: '192.168.1.300' }, 'InvalidPrivateIp.Malformed'],
      ['primary outside the subnet', { ...base, PrimaryIpAddress: '192.168.2.10' }, 'InvalidPrivateIp.NotInSubnet'],
      ['primary = the gateway', { ...base, PrimaryIpAddress: '192.168.1.1' }, 'InvalidPrivateIp.NotInSubnet'],
      ['primary in use', { ...base, PrimaryIpAddress: sim.world.enis[0]!.primaryIp }, 'InvalidPrivateIp.InUse'],
      ['malformed IPv6', { ...base, 'Ipv6Address.1': 'fd00::zz' }, 'InvalidIpv6.Malformed'],
      ['tag without key', { ...base, 'Tags.1.Value': 'v' }, 'MissingParameter'],
      ['a volc: tag key (reserved)', { ...base, 'Tags.1.Key': 'volc:vke:created-by', 'Tags.1.Value': 'cello' }, 'InvalidTagKey.Malformed'],
      ['a SYS: tag key (reserved, any case)', { ...base, 'Tags.1.Key': 'SYS:x', 'Tags.1.Value': 'v' }, 'InvalidTagKey.Malformed'],
      ['a tag key of 129 characters', { ...base, 'Tags.1.Key': 'k'.repeat(129) }, 'InvalidTagKey.Malformed'],
      ['a tag key with a comma', { ...base, 'Tags.1.Key': 'a,b' }, 'InvalidTagKey.Malformed'],
      ['21 tags', { ...base, ...Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`Tags.${n + 1}.Key`, `k${n}`])) }, 'InvalidParameter'],
    ];
    for (const [name, params, code] of cases) t.equal(await sim.code('CreateNetworkInterface', params), code, name);
  });

  t.test('Attach and Detach', async (t) => {
    const id = (await sim.ok('CreateNetworkInterface', base)).NetworkInterfaceId;
    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i1!.id }), 'OK');
    let eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
    t.match(eni, { Status: 'InUse', DeviceId: i1!.id, Attachment: { InstanceId: i1!.id } });
    const inst = await sim.ok('DescribeInstances', { 'InstanceIds.1': i1!.id });
    t.equal(inst.Instances[0].NetworkInterfaces.length, 2, 'DescribeInstances counts the primary and the attached ENI');

    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i2!.id }), 'InvalidEni.InvalidStatus', 'attach an InUse ENI');
    t.equal(await sim.code('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'InvalidEni.InvalidStatus', 'delete an InUse ENI');
    t.equal(
      await sim.code('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i2!.id }),
      'InvalidEni.InstanceMismatch',
      'detach from the wrong instance',
    );
    t.equal(await sim.code('DetachNetworkInterface', { NetworkInterfaceId: id }), 'MissingParameter');
    t.equal(await sim.code('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: 'i-nope' }), 'InvalidInstanceId.NotFound');
    t.equal(await sim.code('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i1!.id }), 'OK');
    eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
    t.match(eni, { Status: 'Available', DeviceId: '' });
    t.equal(await sim.code('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i1!.id }), 'InvalidEni.InstanceMismatch', 'detach again');

    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: 'i-nope' }), 'InvalidInstanceId.NotFound');
    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: 'eni-nope', InstanceId: i1!.id }), 'InvalidEniId.NotFound');
    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: sim.world.enis[0]!.id, InstanceId: i2!.id }), 'InvalidParameter', 'a primary ENI');
    t.equal(
      await sim.code('DetachNetworkInterface', { NetworkInterfaceId: sim.world.enis[0]!.id, InstanceId: i1!.id }),
      'InvalidParameter',
      'detach a primary ENI',
    );
    t.equal(await sim.code('DeleteNetworkInterface', { NetworkInterfaceId: sim.world.enis[0]!.id }), 'InvalidParameter', 'delete a primary ENI');

    t.equal(await sim.code('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'OK');
    t.equal(await sim.code('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id }), 'InvalidEniId.NotFound', 'gone after delete');
    t.equal(await sim.code('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'InvalidEniId.NotFound', 'delete again');
    t.equal(await sim.code('DeleteNetworkInterface', {}), 'MissingParameter');
  });

  t.test('LimitExceeded.EnisPerInstance counts the primary', async (t) => {
    // ecs.g3i.large: 4 ENIs including the primary.
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push((await sim.ok('CreateNetworkInterface', base)).NetworkInterfaceId);
    for (const id of ids.slice(0, 3)) t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i2!.id }), 'OK');
    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: ids[3], InstanceId: i2!.id }), 'LimitExceeded.EnisPerInstance');
    t.equal(await sim.code('CreateNetworkInterface', base), 'QuotaExceeded.Eni', 'the account quota (5: one from the first test and these four) is reached');
    for (const id of ids.slice(0, 3)) await sim.ok('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i2!.id });
    for (const id of ids) await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: id });
  });
});

t.test('private IPv4 and IPv6 addresses', async (t) => {
  const sim = await inProcessCloud({
    maxSecondaryIpsUnattached: 12,
    subnets: [
      { name: 'a', cidr: '192.168.1.0/24', cidrV6: 'fd00:0:0:1::/64', zone: 'cn-beijing-a' },
      { name: 'tiny', cidr: '192.168.9.0/29', zone: 'cn-beijing-a' },
    ],
  });
  t.teardown(sim.close);
  const [i1] = sim.world.instances;
  const tiny = sim.world.subnets[1]!.id;
  const base = { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId };
  const id = (await sim.ok('CreateNetworkInterface', base)).NetworkInterfaceId;
  const ips = async () =>
    (await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).PrivateIpSets.PrivateIpSet.filter(
      (s: { Primary: boolean }) => !s.Primary,
    ).map((s: { PrivateIpAddress: string }) => s.PrivateIpAddress);

  t.test('assign by count and by list, unassign', async (t) => {
    const byCount = await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 3 });
    t.equal(byCount.PrivateIpSet.length, 3, 'PrivateIpSet holds the new addresses');
    t.equal(byCount.NetworkInterfaceId, id);
    const byList = await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': '192.168.1.77' });
    t.same(byList.PrivateIpSet, ['192.168.1.77']);
    t.same(await ips(), [...byCount.PrivateIpSet, '192.168.1.77']);
    t.equal(
      await sim.code('UnassignPrivateIpAddresses', {
        NetworkInterfaceId: id,
        'PrivateIpAddress.1': '192.168.1.77',
        'PrivateIpAddress.2': byCount.PrivateIpSet[0],
      }),
      'OK',
    );
    t.same(await ips(), byCount.PrivateIpSet.slice(1));
  });

  t.test('assign/unassign errors', async (t) => {
    const primary = (await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).PrimaryIpAddress;
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['neither list nor count', 'AssignPrivateIpAddresses', { NetworkInterfaceId: id }, 'MissingParameter'],
      [
        'list and count',
        'AssignPrivateIpAddresses',
        { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1, 'PrivateIpAddress.1': '192.168.1.90' },
        'InvalidParameter',
      ],
      ['no ENI id', 'AssignPrivateIpAddresses', { SecondaryPrivateIpAddressCount: 1 }, 'MissingParameter'],
      ['unknown ENI', 'AssignPrivateIpAddresses', { NetworkInterfaceId: 'eni-nope', SecondaryPrivateIpAddressCount: 1 }, 'InvalidEniId.NotFound'],
      ['address in use', 'AssignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': primary }, 'InvalidPrivateIp.InUse'],
      ['address outside the subnet', 'AssignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': '10.0.0.5' }, 'InvalidPrivateIp.NotInSubnet'],
      ['malformed address', 'AssignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': 'ten' }, 'InvalidPrivateIp.Malformed'],
      [
        'more than an unattached ENI holds',
        'AssignPrivateIpAddresses',
        { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 11 },
        'LimitExceeded.PrivateIpsPerEni',
      ],
      ['unassign without addresses', 'UnassignPrivateIpAddresses', { NetworkInterfaceId: id }, 'MissingParameter'],
      ['unassign the primary', 'UnassignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': primary }, 'InvalidParameter'],
      [
        'unassign an address not on the ENI',
        'UnassignPrivateIpAddresses',
        { NetworkInterfaceId: id, 'PrivateIpAddress.1': '192.168.1.250' },
        'InvalidPrivateIp.Malformed',
      ],
      ['unassign a malformed address', 'UnassignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': '1.2.3' }, 'InvalidPrivateIp.Malformed'],
      ['unknown ENI', 'UnassignPrivateIpAddresses', { NetworkInterfaceId: 'eni-nope', 'PrivateIpAddress.1': '192.168.1.5' }, 'InvalidEniId.NotFound'],
    ];
    const before = await ips();
    for (const [name, action, params, code] of cases) t.equal(await sim.code(action, params), code, `${action}: ${name}`);
    t.same(await ips(), before, 'failed calls changed nothing');
  });

  t.test('the instance type limit applies once attached (primary included)', async (t) => {
    // ecs.g3i.large: 10 IPv4 per ENI. The ENI holds 1 primary + 2 secondaries.
    t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i1!.id }), 'OK');
    const n = (await ips()).length;
    t.equal(
      await sim.code('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 10 - 1 - n + 1 }),
      'LimitExceeded.PrivateIpsPerEni',
    );
    t.equal(await sim.code('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 10 - 1 - n }), 'OK', 'up to the limit');
    t.equal((await ips()).length, 9);
    t.equal(await sim.code('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }), 'LimitExceeded.PrivateIpsPerEni');
    await sim.ok('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i1!.id });
    t.equal(
      await sim.code('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 2 }),
      'OK',
      'an unattached ENI takes up to maxSecondaryIpsUnattached',
    );
    t.equal(
      await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: i1!.id }),
      'LimitExceeded.PrivateIpsPerEni',
      'too many addresses to attach',
    );
  });

  t.test('IPv6', async (t) => {
    const r = await sim.ok('AssignIpv6Addresses', { NetworkInterfaceId: id, Ipv6AddressCount: 2 });
    t.equal(r.Ipv6Set.length, 2, 'Ipv6Set holds the new addresses');
    const one = await sim.ok('AssignIpv6Addresses', { NetworkInterfaceId: id, 'Ipv6Address.1': 'FD00:0:0:1::BEEF' });
    t.same(one.Ipv6Set, ['fd00:0:0:1::beef'], 'normalised');
    t.equal(await sim.code('AssignIpv6Addresses', { NetworkInterfaceId: id, 'Ipv6Address.1': 'fd00:0:0:1::beef' }), 'InvalidIpv6.InUse');
    t.equal(await sim.code('AssignIpv6Addresses', { NetworkInterfaceId: id, 'Ipv6Address.1': 'fd00:0:0:2::1' }), 'InvalidIpv6.NotInSubnet');
    t.equal(await sim.code('AssignIpv6Addresses', { NetworkInterfaceId: id, Ipv6AddressCount: 10 }), 'LimitExceeded.Ipv6AddressesPerEni');
    t.equal(await sim.code('AssignIpv6Addresses', { NetworkInterfaceId: id }), 'MissingParameter');
    t.equal(await sim.code('UnassignIpv6Addresses', { NetworkInterfaceId: id, 'Ipv6Address.1': 'fd00:0:0:1::beef' }), 'OK');
    t.equal(
      await sim.code('UnassignIpv6Addresses', { NetworkInterfaceId: id, 'Ipv6Address.1': 'fd00:0:0:1::beef' }),
      'InvalidIpv6.Malformed',
      'not assigned any more',
    );
    t.equal(await sim.code('UnassignIpv6Addresses', { NetworkInterfaceId: id }), 'MissingParameter');
    const eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
    t.same(eni.IPv6Sets, r.Ipv6Set);
    const v4only = (await sim.ok('CreateNetworkInterface', { SubnetId: tiny, 'SecurityGroupIds.1': sim.sgId })).NetworkInterfaceId;
    t.equal(await sim.code('AssignIpv6Addresses', { NetworkInterfaceId: v4only, Ipv6AddressCount: 1 }), 'InvalidSubnet.DisableIpv6');
    t.equal(await sim.code('CreateNetworkInterface', { SubnetId: tiny, 'SecurityGroupIds.1': sim.sgId, Ipv6AddressCount: 1 }), 'InvalidSubnet.DisableIpv6');
  });

  t.test('a full subnet: InsufficientIpInSubnet', async (t) => {
    // A /29 has 8 addresses: network, gateway and broadcast are reserved; one ENI (above) holds one.
    const before = (await sim.ok('DescribeSubnetAttributes', { SubnetId: tiny })).AvailableIpAddressCount;
    t.equal(before, 4);
    t.equal(
      await sim.code('CreateNetworkInterface', { SubnetId: tiny, 'SecurityGroupIds.1': sim.sgId, SecondaryPrivateIpAddressCount: 4 }),
      'InsufficientIpInSubnet',
    );
    const e = (await sim.ok('CreateNetworkInterface', { SubnetId: tiny, 'SecurityGroupIds.1': sim.sgId, SecondaryPrivateIpAddressCount: 3 }))
      .NetworkInterfaceId;
    t.equal((await sim.ok('DescribeSubnetAttributes', { SubnetId: tiny })).AvailableIpAddressCount, 0);
    t.equal(await sim.code('AssignPrivateIpAddresses', { NetworkInterfaceId: e, SecondaryPrivateIpAddressCount: 1 }), 'InsufficientIpInSubnet');
    t.equal(await sim.code('CreateNetworkInterface', { SubnetId: tiny, 'SecurityGroupIds.1': sim.sgId }), 'InsufficientIpInSubnet');
    await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: e });
    t.equal((await sim.ok('DescribeSubnetAttributes', { SubnetId: tiny })).AvailableIpAddressCount, 4, 'deleting frees its addresses');
  });
});

t.test('Describe actions and their filters', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const [i1] = sim.world.instances;
  const base = { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId };
  const a = (await sim.ok('CreateNetworkInterface', { ...base, 'Tags.1.Key': 'owner', 'Tags.1.Value': 'cello', 'Tags.2.Key': 'node', 'Tags.2.Value': 'n1' }))
    .NetworkInterfaceId;
  const b = (await sim.ok('CreateNetworkInterface', { ...base, SubnetId: sim.world.subnets[1]!.id, 'Tags.1.Key': 'owner', 'Tags.1.Value': 'other' }))
    .NetworkInterfaceId;
  const c = (await sim.ok('CreateNetworkInterface', { ...base, SecondaryPrivateIpAddressCount: 1 })).NetworkInterfaceId;
  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: c, InstanceId: i1!.id });
  const cIp = (await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: c })).PrivateIpSets.PrivateIpSet[1].PrivateIpAddress;
  const ids = async (params: Record<string, unknown>) =>
    (await sim.ok('DescribeNetworkInterfaces', { PageSize: 100, ...params })).NetworkInterfaceSets.map(
      (e: { NetworkInterfaceId: string }) => e.NetworkInterfaceId,
    );

  t.same(await ids({ 'NetworkInterfaceIds.1': a, 'NetworkInterfaceIds.2': b }), [a, b], 'NetworkInterfaceIds');
  t.same(await ids({ InstanceId: i1!.id }), [sim.world.enis[0]!.id, c], 'InstanceId');
  t.same(await ids({ Type: 'secondary' }), [a, b, c], 'Type');
  t.same(await ids({ Type: 'primary' }).then((l: string[]) => l.length), 2, 'Type primary');
  t.same(await ids({ Status: 'InUse', Type: 'secondary' }), [c], 'Status');
  t.same(await ids({ SubnetId: sim.world.subnets[1]!.id }), [b], 'SubnetId');
  t.same((await ids({ VpcId: sim.world.vpc.id })).length, 5, 'VpcId');
  t.same(await ids({ VpcId: 'vpc-other' }), [], 'another VpcId');
  t.same(await ids({ 'TagFilters.1.Key': 'owner', 'TagFilters.1.Values.1': 'cello' }), [a], 'TagFilters with a value');
  t.same(await ids({ 'TagFilters.1.Key': 'owner', 'TagFilters.1.Values.1': 'cello', 'TagFilters.1.Values.2': 'other' }), [a, b], 'TagFilters with values');
  t.same(await ids({ 'TagFilters.1.Key': 'owner' }), [a, b], 'TagFilters key only');
  t.same(
    await ids({ 'TagFilters.1.Key': 'owner', 'TagFilters.1.Values.1': 'cello', 'TagFilters.2.Key': 'node', 'TagFilters.2.Values.1': 'n2' }),
    [],
    'every TagFilter must match',
  );
  t.same(await ids({ VpcId: sim.world.vpc.id, 'PrivateIpAddresses.1': cIp }), [c], 'PrivateIpAddresses (a secondary)');
  t.same(await ids({ 'PrimaryIpAddresses.1': sim.world.enis[0]!.primaryIp }), [sim.world.enis[0]!.id], 'PrimaryIpAddresses');
  t.equal(await sim.code('DescribeNetworkInterfaces', { Status: 'Bogus' }), 'InvalidParameter');
  t.equal(await sim.code('DescribeNetworkInterfaces', { Type: 'bogus' }), 'InvalidParameter');
  t.equal(await sim.code('DescribeNetworkInterfaces', { PageSize: 101 }), 'InvalidParameter');
  t.equal(await sim.code('DescribeNetworkInterfaceAttributes', {}), 'MissingParameter');

  t.test('subnets and security groups', async (t) => {
    const all = await sim.ok('DescribeSubnets', {});
    t.equal(all.TotalCount, 2);
    t.match(all.Subnets[0], {
      SubnetId: sim.subnetId,
      VpcId: sim.world.vpc.id,
      ZoneId: 'cn-beijing-a',
      CidrBlock: '192.168.1.0/24',
      Ipv6CidrBlock: 'fd00:0:0:1::/64',
      TotalIpv4Count: 253,
      Status: 'Available',
    });
    t.equal(all.Subnets[0].AvailableIpAddressCount, 253 - 2 - 2 - 1, '2 nodes, 2 ENIs in it, one secondary');
    t.same(
      (await sim.ok('DescribeSubnets', { 'SubnetIds.1': sim.world.subnets[1]!.id })).Subnets.map((s: { SubnetId: string }) => s.SubnetId),
      [sim.world.subnets[1]!.id],
    );
    t.equal((await sim.ok('DescribeSubnets', { SubnetName: 'subnet-2' })).Subnets.length, 1);
    t.equal((await sim.ok('DescribeSubnets', { ZoneId: 'cn-beijing-b' })).Subnets.length, 0);
    t.equal((await sim.ok('DescribeSubnetAttributes', { SubnetId: sim.subnetId })).CidrBlock, '192.168.1.0/24');
    t.equal(await sim.code('DescribeSubnetAttributes', { SubnetId: 'subnet-nope' }), 'InvalidSubnet.NotFound');
    t.equal(await sim.code('DescribeSubnetAttributes', {}), 'MissingParameter');
    const sgs = await sim.ok('DescribeSecurityGroups', {});
    t.match(sgs.SecurityGroups, [{ SecurityGroupId: sim.sgId, SecurityGroupName: 'default', VpcId: sim.world.vpc.id }]);
  });

  t.test('tags', async (t) => {
    t.equal(
      await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': b, 'ResourceIds.2': c, 'Tags.1.Key': 'owner', 'Tags.1.Value': 'cello' }),
      'OK',
    );
    t.same(await ids({ 'TagFilters.1.Key': 'owner', 'TagFilters.1.Values.1': 'cello' }), [a, b, c], "TagResources replaced b's value and tagged c");
    const listed = await sim.ok('ListTagsForResources', { ResourceType: 'eni', 'ResourceIds.1': a });
    t.same(listed.ResourceTags, [
      { ResourceId: a, ResourceType: 'eni', TagKey: 'owner', TagValue: 'cello' },
      { ResourceId: a, ResourceType: 'eni', TagKey: 'node', TagValue: 'n1' },
    ]);
    t.equal(listed.NextToken, '');
    t.equal(await sim.code('UntagResources', { ResourceType: 'eni', 'ResourceIds.1': a, 'TagKeys.1': 'node' }), 'OK');
    t.same((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: a })).Tags, [{ Key: 'owner', Value: 'cello' }]);
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': 'eni-nope', 'Tags.1.Key': 'k' }), 'InvalidEniId.NotFound');
    t.equal(await sim.code('TagResources', { ResourceType: 'vpc', 'ResourceIds.1': sim.world.vpc.id, 'Tags.1.Key': 'k' }), 'InvalidParameter');
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', 'Tags.1.Key': 'k' }), 'MissingParameter');
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a }), 'MissingParameter');
    t.equal(await sim.code('TagResources', { 'ResourceIds.1': a, 'Tags.1.Key': 'k' }), 'MissingParameter');
    const tags = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`Tags.${i + 1}.Key`, `k${from + i}`]));
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a, ...tags(0, 21) }), 'InvalidParameter', 'at most 20 tags per call');
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a, ...tags(0, 20) }), 'OK');
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a, ...tags(20, 20) }), 'OK');
    t.equal(
      await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a, ...tags(40, 10) }),
      'QuotaExceeded.Tags',
      'at most 50 tags on a resource (it has owner + 40; 10 more make 51)',
    );
    t.equal(
      await sim.code('UntagResources', {
        ResourceType: 'eni',
        'ResourceIds.1': a,
        ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`TagKeys.${i + 1}`, `k${i}`])),
      }),
      'OK',
      'untag 20 keys',
    );
    const fiftyOne = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`ResourceIds.${i + 1}`, a]));
    t.equal(await sim.code('TagResources', { ResourceType: 'eni', ...fiftyOne, 'Tags.1.Key': 'k' }), 'InvalidParameter', 'at most 50 resource ids per call');
    for (const key of ['volc:vke:created-by', 'Volc:x', 'sys:y', ' lead', 'trail ', 'a;b', '']) {
      const code = await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a, 'Tags.1.Key': key, 'Tags.1.Value': 'v' });
      t.equal(code, key === '' ? 'MissingParameter' : 'InvalidTagKey.Malformed', `TagResources refuses the key ${JSON.stringify(key)}`);
    }
    t.equal(
      await sim.code('UntagResources', { ResourceType: 'eni', 'ResourceIds.1': a, 'TagKeys.1': 'volc:vke:ecs-id' }),
      'InvalidTagKey.Malformed',
      'and UntagResources a reserved key',
    );
    t.equal(
      await sim.code('TagResources', { ResourceType: 'eni', 'ResourceIds.1': a, 'Tags.1.Key': 'k8s:cello:created-by', 'Tags.1.Value': 'cello' }),
      'OK',
      'k8s:cello:* keys are fine',
    );
    t.equal(await sim.code('UntagResources', { ResourceType: 'eni', 'ResourceIds.1': a }), 'MissingParameter');
  });

  t.test('instances and instance types (ecs)', async (t) => {
    const r = await sim.ok('DescribeInstances', {});
    t.equal(r.Instances.length, 2);
    t.equal(r.NextToken, '', 'NextToken present, empty on the last page');
    t.match(r.Instances[0], {
      InstanceId: i1!.id,
      InstanceTypeId: 'ecs.g3i.large',
      Status: 'RUNNING',
      VpcId: sim.world.vpc.id,
      ZoneId: 'cn-beijing-a',
      CreatedAt: RFC3339_OFFSET,
    });
    t.match(r.Instances[0].NetworkInterfaces[0], {
      NetworkInterfaceId: sim.world.enis[0]!.id,
      Type: 'primary',
      MacAddress: sim.world.enis[0]!.mac,
      PrimaryIpAddress: sim.world.enis[0]!.primaryIp,
    });
    t.equal((await sim.ok('DescribeInstances', { PrimaryIpAddress: sim.world.enis[1]!.primaryIp })).Instances[0].InstanceId, sim.world.instances[1]!.id);
    t.equal((await sim.ok('DescribeInstances', { 'InstanceIds.1': 'i-nope' })).Instances.length, 0);
    t.notOk('RequestId' in r, 'ecs results do not repeat RequestId');

    const legacy = await sim.ok('DescribeInstanceTypes', { 'InstanceTypes.1': 'ecs.g3i.large' });
    t.equal(legacy.InstanceTypes.length, 1, 'the legacy InstanceTypes.N filter Cello sends');
    t.match(legacy.InstanceTypes[0], {
      InstanceTypeId: 'ecs.g3i.large',
      Network: { MaximumNetworkInterfaces: 4, MaximumPrivateIpv4AddressesPerNetworkInterface: 10 },
    });
    t.equal((await sim.ok('DescribeInstanceTypes', { 'InstanceTypeIds.1': 'ecs.g3i.xlarge' })).InstanceTypes[0].Network.MaximumNetworkInterfaces, 6);
    t.equal((await sim.ok('DescribeInstanceTypes', {})).InstanceTypes.length, 3);
  });
});

t.test('an ENI attaches only to an instance in its zone', async (t) => {
  const sim = await inProcessCloud({
    subnets: [
      { name: 'a', cidr: '192.168.1.0/24', zone: 'cn-beijing-a' },
      { name: 'b', cidr: '192.168.2.0/24', zone: 'cn-beijing-b' },
    ],
  });
  t.teardown(sim.close);
  const id = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.world.subnets[1]!.id, 'SecurityGroupIds.1': sim.sgId })).NetworkInterfaceId;
  t.equal((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).ZoneId, 'cn-beijing-b');
  t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: sim.world.instances[0]!.id }), 'InvalidEni.ZoneMismatch');
});

t.test('a retried create with the same ClientToken is idempotent', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const params = { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId, SecondaryPrivateIpAddressCount: 2, ClientToken: 'retry-1' };
  const [first, second] = await Promise.all([sim.call('CreateNetworkInterface', params), sim.call('CreateNetworkInterface', params)]);
  const third = await sim.call('CreateNetworkInterface', params);
  t.equal(second.Result.NetworkInterfaceId, first.Result.NetworkInterfaceId, 'a concurrent retry: the same ENI');
  t.equal(third.Result.NetworkInterfaceId, first.Result.NetworkInterfaceId, 'a later retry: the same ENI');
  t.not(third.ResponseMetadata.RequestId, first.ResponseMetadata.RequestId, 'each call its own RequestId');
  const all = await sim.ok('DescribeNetworkInterfaces', { Type: 'secondary' });
  t.equal(all.TotalCount, 1, 'one ENI was made');
  t.equal(
    await sim.code('CreateNetworkInterface', { ...params, SecondaryPrivateIpAddressCount: 3 }),
    'IdempotentParameterMismatch',
    'same token, other parameters',
  );
  const other = await sim.ok('CreateNetworkInterface', { ...params, ClientToken: 'retry-2' });
  t.not(other.NetworkInterfaceId, first.Result.NetworkInterfaceId, 'another token makes another ENI');

  const assign = { NetworkInterfaceId: other.NetworkInterfaceId, SecondaryPrivateIpAddressCount: 2, ClientToken: 'assign-1' };
  const a1 = await sim.ok('AssignPrivateIpAddresses', assign);
  const a2 = await sim.ok('AssignPrivateIpAddresses', assign);
  t.same(a2.PrivateIpSet, a1.PrivateIpSet, 'a retried assign returns the same addresses');
  const eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: other.NetworkInterfaceId });
  t.equal(eni.PrivateIpSets.PrivateIpSet.length, 1 + 2 + 2, 'and assigns nothing twice');

  const failing = { SubnetId: 'subnet-nope', 'SecurityGroupIds.1': sim.sgId, ClientToken: 'fails' };
  t.equal(await sim.code('CreateNetworkInterface', failing), 'InvalidSubnet.NotFound');
  t.equal(await sim.code('CreateNetworkInterface', { ...failing, SubnetId: sim.subnetId }), 'OK', 'a failed call does not hold its token');
  t.equal(await sim.code('CreateNetworkInterface', { ...params, ClientToken: 'x'.repeat(65) }), 'InvalidParameter', 'token over 64 characters');
});

t.test('allowReservedTagKeys: a VKE-managed account may carry volc: keys', async (t) => {
  const sim = await inProcessCloud({ allowReservedTagKeys: true });
  t.teardown(sim.close);
  const r = await sim.call('CreateNetworkInterface', {
    SubnetId: sim.subnetId,
    'SecurityGroupIds.1': sim.sgId,
    'Tags.1.Key': 'volc:vke:created-by',
    'Tags.1.Value': 'cello',
  });
  t.notOk(r.ResponseMetadata.Error, 'the create is accepted');
  t.equal(
    await sim.code('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId, 'Tags.1.Key': 'a,b' }),
    'InvalidTagKey.Malformed',
    'other key rules still hold',
  );
});
