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
    t.same(
      [s2.Subnets[0].SubnetId, s3.Subnets[0].SubnetId],
      sim.world.subnets.map((s) => s.id),
    );
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
    t.same(
      types,
      sim.world.instanceTypes.map((x) => x.id),
    );
    t.equal((await sim.ok('DescribeInstanceTypes', {})).InstanceTypes.length, 3, 'default MaxResults 10');
  });
});

t.test('a tag-filtered describe stops at 1,000 ENIs; ListTagsForResources finds them all', async (t) => {
  const sim = await inProcessCloud({ eniQuota: 1100, subnets: [{ name: 'big', cidr: '192.168.0.0/20' }] });
  t.teardown(sim.close);
  const tag = { 'Tags.1.Key': 'k8s:cello:cluster', 'Tags.1.Value': 'c1', 'Tags.2.Key': 'k8s:cello:created-by', 'Tags.2.Value': 'cello' };
  const made: string[] = [];
  for (let n = 0; n < 1005; n++)
    made.push((await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId, ...tag })).NetworkInterfaceId);
  const filter = { 'TagFilters.1.Key': 'k8s:cello:cluster', 'TagFilters.1.Values.1': 'c1' };

  const described: string[] = [];
  let token = '';
  do {
    const r = await sim.ok('DescribeNetworkInterfaces', { ...filter, MaxResults: 100, ...(token ? { NextToken: token } : {}) });
    t.equal(r.TotalCount, 1000, 'TotalCount says 1000, not 1005');
    described.push(...r.NetworkInterfaceSets.map((e: { NetworkInterfaceId: string }) => e.NetworkInterfaceId));
    token = r.NextToken;
  } while (token);
  t.same(described, made.slice(0, 1000), 'the describe returns the first 1000, silently');
  const paged = await sim.ok('DescribeNetworkInterfaces', { ...filter, PageNumber: 11, PageSize: 100 });
  t.same(paged.NetworkInterfaceSets, [], 'page 11 of 100 is empty: no page reaches the rest');
  const unfiltered = await sim.ok('DescribeNetworkInterfaces', { MaxResults: 100 });
  t.equal(unfiltered.TotalCount, 1007, 'without a tag filter there is no cap (1005 + 2 primaries)');

  const listed = new Set<string>();
  let rows = 0;
  token = '';
  let churned = false;
  do {
    const r = await sim.ok('ListTagsForResources', { ResourceType: 'eni', ...filter, MaxResults: 100, ...(token ? { NextToken: token } : {}) });
    for (const row of r.ResourceTags) listed.add(row.ResourceId);
    rows += r.ResourceTags.length;
    token = r.NextToken;
    if (!churned && listed.size > 200) {
      // ENIs come and go between pages: two already listed are deleted, one is made.
      churned = true;
      for (const id of made.slice(0, 2)) await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: id });
      made.push((await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId, ...tag })).NetworkInterfaceId);
    }
  } while (token);
  t.ok(churned, 'the listing ran while ENIs came and went');
  t.same(
    [...listed].sort(),
    [...made].sort(),
    'ListTagsForResources (a row per tag) names every ENI once the tokens are followed: none skipped, the new one too',
  );
  t.equal(rows, 2 * 1006, 'two rows per ENI listed');
});
