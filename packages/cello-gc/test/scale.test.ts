// Past the 1,000-ENI cap: a DescribeNetworkInterfaces filtered by tags
// resolves at most 1,000 ENIs, silently (docs/volcengine-api.md). With 2,500
// ENIs of the cluster — the 300 leaked ones made last, so every one of them
// is past the first 1,000 — `cello-eni list --all` must list all 2,500 and
// `cello-gc cluster` must find all 300 leaks: ListTagsForResources for the
// ids, then DescribeNetworkInterfaces by id, at most 100 a call.
import t from 'tap';
import { bin } from '@cello/testkit';
import { CLUSTER, createClusterEni, gcSim } from './helpers.ts';

const TOTAL = 2500;
const LEAKED = 300;

t.test('cluster-wide listing finds every ENI past 1,000', async (t) => {
  const g = await gcSim(2, {
    eniQuota: TOTAL + 50,
    subnets: [
      { name: 'subnet-1', cidr: '192.168.0.0/20' },
      { name: 'subnet-2', cidr: '192.168.16.0/20' },
    ],
  });
  t.teardown(() => g.down());
  const sim = g.sim;
  const owners = sim.info.nodes.map((n) => n.instanceId);
  const create = (instanceId: string) => createClusterEni(sim, { instanceId, cluster: CLUSTER, subnetId: sim.info.subnets[1]!.id });
  const live: string[] = [];
  const leaked: string[] = [];
  for (let i = 0; i < TOTAL - LEAKED; i++) live.push(await create(owners[i % owners.length]!));
  for (let i = 0; i < LEAKED; i++) leaked.push(await create(`i-gone${String(i).padStart(6, '0')}`));

  const capped = await sim.api('DescribeNetworkInterfaces', { 'TagFilters.1.Key': 'k8s:cello:cluster', 'TagFilters.1.Values.1': CLUSTER, MaxResults: 100 });
  t.equal(capped.Result.TotalCount, 1000, 'a tag-filtered describe stops at 1,000 (what the old listing relied on)');

  // Fast client buckets: the point here is completeness, not pacing.
  g.writeConfig('node1', { rateLimits: { default: { qps: 500, burst: 500 } } });
  const since = (await sim.control.calls()).at(-1)?.seq ?? 0;
  const list = await sim.exec('node1', [bin('cello-eni'), 'list', '--all', '-o', 'json']);
  t.equal(list.code, 0, `cello-eni list --all succeeds ${list.code ? list.stderr.slice(-400) : ''}`);
  const listed = (JSON.parse(list.stdout) as Array<{ id: string }>).map((e) => e.id).sort();
  t.equal(listed.length, TOTAL, `it lists all ${TOTAL}`);
  t.same(listed, [...live, ...leaked].sort(), "exactly the cluster's ENIs");

  const calls = (await sim.control.calls({ since })).filter((c) => c.sourceIp === sim.info.nodes[0]!.primaryIp);
  const describes = calls.filter((c) => c.action === 'DescribeNetworkInterfaces');
  t.ok(
    calls.some((c) => c.action === 'ListTagsForResources' && c.params.ResourceType === 'eni'),
    'the ids come from ListTagsForResources (ResourceType eni)',
  );
  t.ok(describes.length >= TOTAL / 100, `then ${describes.length} DescribeNetworkInterfaces by id`);
  t.ok(
    describes.every((c) => 'NetworkInterfaceIds.1' in c.params && !('NetworkInterfaceIds.101' in c.params) && !('TagFilters.1.Key' in c.params)),
    'each by at most 100 ids, never by tag',
  );

  const dry = await g.gc('node1', ['cluster', '--dry-run', '--grace', '0', '--no-kubernetes']);
  t.equal(dry.code, 0, `cello-gc cluster --dry-run succeeds ${dry.code ? dry.stderr.slice(-400) : ''}`);
  const found = dry.report.findings
    .filter((f) => f.kind === 'eni-orphaned')
    .map((f) => f.id)
    .sort();
  t.same(found, [...leaked].sort(), `it finds all ${LEAKED} leaks, every one past the first 1,000`);
  t.match(dry.report.sources.cloud, new RegExp(`^ok \\(${TOTAL} ENIs of the cluster`), 'and counts every ENI of the cluster');
});
