// The node's metrics endpoint scraped while pods come and go: pods are added
// and deleted through libcni with the cello-cni the agent installed (its
// host runtime, not the repo's bin/), so the latency series come from the
// real CNI log and the pool series from the real store.
import t from 'tap';
import { createNetns, tempDir } from '@cello/testkit';
import { libcniInNode, NO_DELAYS, withSim } from '@cello/testkit/sim';
import { agentHttp, clusterConf, metric, putConfigMap, startAgent } from './simnode.ts';

/** The cello-cni and conflist the agent installed on the node, as containerd finds them. */
const INSTALLED = { cniPath: '/opt/cni/bin:/usr/lib/cni', conflist: '/etc/cni/net.d/10-cello.conflist' };

const NODE = 'node1';
const POOL = { name: 'eni-ip', type: 'shared' };

t.test('metrics move as pods come and go', async (t) => {
  const sim = await withSim(t, { prefix: 'ag', config: { delaysMs: NO_DELAYS } });
  // A slow monitor tick: between pods the keeper does not top the pool up, so what is free is what pods left.
  await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: 3, poolTargetMin: 3, poolMonitorIntervalSec: 600 }));
  const agent = startAgent(t, sim, NODE);
  await agent.waitForLog('node ready', (l) => l.msg.startsWith('node ready'), 60_000);
  const scrape = async () => {
    const r = await agentHttp(sim, NODE, '/metrics');
    t.equal(r.status, 200, 'GET /metrics');
    return r.body;
  };

  const m0 = await scrape();
  t.equal(metric(m0, 'resource_pool_target', POOL), 3, 'resource_pool_target');
  t.equal(metric(m0, 'resource_pool_target_min', POOL), 3, 'resource_pool_target_min');
  t.equal(metric(m0, 'resource_pool_available', POOL), 3, 'resource_pool_available: the warm pool');
  t.equal(metric(m0, 'resource_pool_total', POOL), 3, 'resource_pool_total');
  t.equal(metric(m0, 'resource_pool_max_cap', POOL), 30, 'resource_pool_max_cap: (4 − 1) ENIs × 10 IPs');
  t.equal(metric(m0, 'cello_pool_used'), 0, 'no pod yet');
  t.equal(metric(m0, 'cello_cni_latency_ms_count', { verb: 'ADD' }) ?? 0, 0, 'no ADD yet');
  t.ok(
    metric(m0, 'openapi_latency_ms_count', { api: 'CreateNetworkInterface', error: 'false', code: 'OK' })! >= 1,
    'openapi_latency_ms counts the keeper’s ENI creation',
  );
  t.ok((metric(m0, 'metadata_latency_ms_count', { error: 'false', status: '200' }) ?? 0) >= 1, 'metadata_latency_ms counts metadata reads');
  t.equal(metric(m0, 'cello_agent_ready'), 1, 'cello_agent_ready');
  t.equal(metric(m0, 'cello_agent_child_up', { child: 'keeper' }), 1, 'the keeper is up');
  t.match(m0, /^process_cpu_user_seconds_total /m, 'the metrics process’s own series');

  const cache = tempDir('cello-agent-cache-');
  t.teardown(() => cache.remove());
  const pods = await Promise.all([createNetns('mp'), createNetns('mp')]);
  t.teardown(() => Promise.all(pods.map((p) => p.remove())));
  for (const [i, ns] of pods.entries()) {
    const r = await libcniInNode(sim, NODE, 'add', { ...INSTALLED, netns: ns.path, id: `c${i}-${ns.name}`, pod: `web-${i}`, cacheDir: cache.path });
    t.equal(r.code, 0, `ADD web-${i} through the installed cello-cni: ${r.stderr}`);
  }

  const m1 = await scrape();
  t.equal(metric(m1, 'cello_cni_latency_ms_count', { verb: 'ADD' }), 2, 'two ADDs timed');
  t.ok(metric(m1, 'cello_cni_latency_ms_sum', { verb: 'ADD' })! > 0, 'with their durations');
  t.equal(metric(m1, 'cello_cni_calls_total', { verb: 'ADD', result: 'ok' }), 2, 'two ADDs ok');
  t.equal(metric(m1, 'cello_pool_used'), 2, 'two pods hold IPs');
  t.equal(metric(m1, 'resource_pool_available', POOL), 1, 'two fewer free IPs');
  t.equal(metric(m1, 'resource_pool_total', POOL), 3, 'the pool itself did not change');

  const del = await libcniInNode(sim, NODE, 'del', { ...INSTALLED, netns: pods[0]!.path, id: `c0-${pods[0]!.name}`, pod: 'web-0', cacheDir: cache.path });
  t.equal(del.code, 0, `DEL web-0: ${del.stderr}`);
  const m2 = await scrape();
  t.equal(metric(m2, 'cello_cni_calls_total', { verb: 'DEL', result: 'ok' }), 1, 'one DEL ok');
  t.equal(metric(m2, 'cello_pool_used'), 1, 'one pod left');
  t.equal(metric(m2, 'resource_pool_available', POOL), 2, 'its IP is free again (no cooldown configured)');
  t.equal(metric(m2, 'cello_cni_latency_ms_count', { verb: 'ADD' }), 2, 'ADD series unchanged by a DEL');
  t.equal(metric(m2, 'cello_cni_latency_ms_count', { verb: 'DEL' }), 1, 'the DEL is timed too');

  t.equal(await agent.stop(), 0);
});
