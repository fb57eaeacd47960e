// Listings against the sim's OpenAPI in-process (the real signed client, real
// HTTP): ENIs are paged by cursor (MaxResults/NextToken), so a listing that
// runs while ENIs are created and deleted between its pages misses and
// repeats nothing — where page numbers skip (shown by hand on the same
// churn). Subnets are paged by cursor too.
import t from 'tap';
import { createEni, deleteEni } from '../../../tools/vpc-sim/src/cloud/eni.ts';
import { inProcessCloud } from '../../../tools/vpc-sim/test/inproc.ts';
import { DEFAULT_BACKOFF } from '../src/config/resolve.ts';
import { staticCredentials } from '../src/credentials/provider.ts';
import { CloudApi } from '../src/openapi/api.ts';
import { OpenApiClient } from '../src/openapi/client.ts';

t.test('listing while ENIs come and go', async (t) => {
  const sim = await inProcessCloud({ eniQuota: 1000, subnets: [{ name: 'big', cidr: '192.168.0.0/20' }] });
  t.teardown(sim.close);
  const client = new OpenApiClient({
    endpoint: { protocol: 'http:', host: sim.host },
    region: sim.world.region,
    credentials: staticCredentials(sim.owner.accessKeyId, sim.owner.secretKey),
    rateLimits: { default: { qps: 1000, burst: 1000 } },
    backoff: DEFAULT_BACKOFF,
    timeoutMs: 5000,
  });
  const api = new CloudApi(client);
  for (let n = 0; n < 250; n++) await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId });

  /** After each page: delete the 5 oldest secondary ENIs (already listed) and make 2 new ones. */
  const deleted = new Set<string>();
  const churn = async () => {
    const oldest = sim.cloud
      .listEnis()
      .filter((e) => e.type === 'secondary' && e.status === 'Available')
      .slice(0, 5);
    for (const e of oldest) {
      deleted.add(e.id);
      await deleteEni(sim.cloud, e.id);
    }
    for (let n = 0; n < 2; n++) await createEni(sim.cloud, { subnetId: sim.subnetId, securityGroupIds: [sim.sgId] });
  };

  t.test('page numbers, by hand: items are skipped', async (t) => {
    const before = new Set(sim.cloud.listEnis().map((e) => e.id));
    deleted.clear();
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const r = await sim.ok('DescribeNetworkInterfaces', { PageNumber: page, PageSize: 100 });
      seen.push(...r.NetworkInterfaceSets.map((e: { NetworkInterfaceId: string }) => e.NetworkInterfaceId));
      if (page * 100 >= r.TotalCount) break;
      await churn();
    }
    const stayed = [...before].filter((id) => !deleted.has(id));
    const missed = stayed.filter((id) => !seen.includes(id));
    t.ok(missed.length > 0, `page-number paging missed ${missed.length} ENIs that existed throughout`);
  });

  t.test('the client (cursor): nothing missed, nothing repeated', async (t) => {
    const before = new Set(sim.cloud.listEnis().map((e) => e.id));
    deleted.clear();
    let pages = 0;
    const onCall = (e: { action: string; code: string }) => {
      if (e.action !== 'DescribeNetworkInterfaces' || e.code !== 'OK') return;
      pages++;
      void churn();
    };
    client.metrics.on('call', onCall);
    const listed = (await api.listEnis({ vpcId: sim.world.vpc.id })).map((e) => e.id);
    client.metrics.off('call', onCall);
    t.ok(pages >= 3 && deleted.size >= 10, `ENIs came and went between its ${pages} pages (${deleted.size} deleted)`);
    t.equal(new Set(listed).size, listed.length, 'no ENI is listed twice');
    const stayed = [...before].filter((id) => !deleted.has(id));
    t.same(
      stayed.filter((id) => !listed.includes(id)),
      [],
      'every ENI that existed throughout is listed',
    );
    const params = sim.calls.list(undefined, 'DescribeNetworkInterfaces').at(-1)!.params;
    t.match(params, { MaxResults: '100', NextToken: /./ }, 'by MaxResults/NextToken');
    t.notOk('PageNumber' in params, 'not by page number');
  });

  t.test('subnets by cursor', async (t) => {
    const subnets = await api.describeSubnets([sim.subnetId]);
    t.same(
      subnets.map((s) => s.id),
      [sim.subnetId],
    );
    const params = sim.calls.list(undefined, 'DescribeSubnets').at(-1)!.params;
    t.match(params, { MaxResults: '100' });
    t.notOk('PageNumber' in params, 'not by page number');
  });
});
