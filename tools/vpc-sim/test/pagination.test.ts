// Both pagination styles: PageNumber/PageSize with TotalCount, and
// MaxResults/NextToken; NextToken is always present and "" on the last page.
import t from 'tap';
import { inProcessCloud } from './inproc.ts';

t.test('pagination', async (t) => {
  const sim = await inProcessCloud({ eniQuota: 100 });
  t.teardown(sim.close);
  for (let n = 0; n < 25; n++) await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId });
  const everyId = sim.cloud.listEnis().map((e) => e.id);
  t.equal(everyId.length, 27, '25 secondary + 2 primary ENIs');
  const idsOf = (r: { NetworkInterfaceSets: Array<{ NetworkInterfaceId: string }> }) => r.NetworkInterfaceSets.map((e) => e.NetworkInterfaceId);

  t.test('PageNumber/PageSize', async (t) => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const r = await sim.ok('DescribeNetworkInterfaces', { PageNumber: page, PageSize: 10 });
      t.match(r, { TotalCount: 27, PageNumber: page, PageSize: 10 });
      t.equal(r.NetworkInterfaceSets.length, page < 3 ? 10 : 7);
      t.equal(typeof r.NextToken, 'string', 'NextToken is always present');
      if (page === 3) t.equal(r.NextToken, '', 'and empty on the last page');
      seen.push(...idsOf(r));
    }
    t.same(seen, everyId, 'the pages cover every ENI once, in creation order');
    const past = await sim.ok('DescribeNetworkInterfaces', { PageNumber: 4, PageSize: 10 });
    t.same(past.NetworkInterfaceSets, [], 'past the end: an empty page');
    t.equal(past.NextToken, '');
    const dflt = await sim.ok('DescribeNetworkInterfaces', {});
    t.match(dflt, { PageNumber: 1, PageSize: 20 });
    t.equal(dflt.NetworkInterfaceSets.length, 20, 'default page size 20');
    t.equal(await sim.code('DescribeNetworkInterfaces', { PageNumber: 0 }), 'InvalidParameter');
    t.equal(await sim.code('DescribeNetworkInterfaces', { PageSize: 0 }), 'InvalidParameter');
  });

  t.test('MaxResults/NextToken', async (t) => {
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const r = await sim.ok('DescribeNetworkInterfaces', { MaxResults: 10, ...(token ? { NextToken: token } : {}) });
      t.equal(r.TotalCount, 27);
      seen.push(...idsOf(r));
      token = r.NextToken;
      pages++;
    } while (token && pages < 10);
    t.equal(pages, 3);
    t.same(seen, everyId, 'the pages cover every ENI once, in creation order');
    t.equal(await sim.code('DescribeNetworkInterfaces', { NextToken: 'garbage' }), 'InvalidParameter', 'a token the API did not issue');
    t.equal(await sim.code('DescribeNetworkInterfaces', { MaxResults: 101 }), 'InvalidParameter');
  });

  t.test('a token stays right while ENIs come and go', async (t) => {
    const first = await sim.ok('DescribeNetworkInterfaces', { MaxResults: 5, Type: 'secondary' });
    const ids = idsOf(first);
    // Delete the last ENI of the first page and the first of the next one.
    const next = everyId[everyId.indexOf(ids.at(-1)!) + 1]!;
    await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: ids.at(-1) });
    await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: next });
    const second = await sim.ok('DescribeNetworkInterfaces', { MaxResults: 5, Type: 'secondary', NextToken: first.NextToken });
    t.equal(idsOf(second)[0], everyId[everyId.indexOf(next) + 1], 'the next page starts after what was returned, skipping the deleted');
  });

  t.test('filters and paging together', async (t) => {
    const r = await sim.ok('DescribeNetworkInterfaces', { Type: 'primary', PageSize: 1 });
    t.match(r, { TotalCount: 2, PageNumber: 1, PageSize: 1 });
    t.not(r.NextToken, '');
    const r2 = await sim.ok('DescribeNetworkInterfaces', { Type: 'primary', MaxResults: 1, NextToken: r.NextToken });
    t.same(idsOf(r2), [sim.world.enis[1]!.id], 'a page-style NextToken continues in token style');
    t.equal(r2.NextToken, '');
  });

  t.test('subnets, instances and instance types', async (t) => {
    const s1 = await sim.ok('DescribeSubnets', { PageSize: 1, PageNumber: 2 });
    t.match(s1, { TotalCount: 2, PageNumber: 2, PageSize: 1, NextToken: '' });
    t.equal(s1.Subnets[0].SubnetId, sim.world.subnets[1]!.id);
    const s2 = await sim.ok('DescribeSubnets', { MaxResults: 1 });
    const s3 = await sim.ok('DescribeSubnets', { MaxResults: 1, NextToken: s2.NextToken });
    t.same([s2.Subnets[0].SubnetId, s3.Subnets[0].SubnetId], sim.world.subnets.map((s) => s.id));
    t.equal(s3.NextToken, '');

    const i1 = await sim.ok('DescribeInstances', { MaxResults: 1, PageNumber: 2 });
    t.equal(i1.Instances[0].InstanceId, sim.world.instances[0]!.id, 'DescribeInstances has no PageNumber: it is ignored');
    t.notOk('PageNumber' in i1);
    const i2 = await sim.ok('DescribeInstances', { MaxResults: 1, NextToken: i1.NextToken });
    t.equal(i2.Instances[0].InstanceId, sim.world.instances[1]!.id);
    t.equal(i2.NextToken, '');

    const types: string[] = [];
    let token = '';
    do {
      const r = await sim.ok('DescribeInstanceTypes', { MaxResults: 2, ...(token ? { NextToken: token } : {}) });
      types.push(...r.InstanceTypes.map((x: { InstanceTypeId: string }) => x.InstanceTypeId));
      token = r.NextToken;
    } while (token);
    t.same(types, sim.world.instanceTypes.map((x) => x.id));
    t.equal((await sim.ok('DescribeInstanceTypes', {})).InstanceTypes.length, 3, 'default MaxResults 10');
  });
});
