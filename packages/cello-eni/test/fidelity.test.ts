// Where the client and the simulator must agree with the real Volcengine
// (docs/volcengine-api.md), each against vpc-sim through bin/cello-eni on a
// node: reserved tag keys, which error codes are retried.
import t from 'tap';
import type { Sim } from '@cello/vpc-sim';
import { baseConf, callsOf, cloudEnis, eni, FAST_DELAYS, withSim, writeConf } from './helpers.ts';

const lastSeq = async (sim: Sim) => (await sim.control.calls()).at(-1)?.seq ?? 0;

t.test('real-cloud fidelity', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS } });
  const node = 'node1';
  const calls = async (since: number, action: string) => (await callsOf(sim, node, since)).filter((c) => c.action === action);

  t.test('tags: the default works on a plain account; the VKE keys are refused there, once', async (t) => {
    writeConf(sim, node, baseConf(sim));
    const made = await eni(sim, node, ['create', '--ips', '1']);
    t.equal(made.code, 0, `create with platform left out succeeds ${made.code ? made.stderr.slice(-300) : ''}`);
    const e = (await cloudEnis(sim, node)).find((x) => x.id === made.json.id)!;
    const keys = e.tags.map((x) => x.Key).sort();
    t.same(keys, ['k8s:cello:created-by', 'k8s:cello:ecs-id'], 'it carries the k8s:cello:* keys');
    t.notOk(keys.some((k) => /^(volc|sys):/i.test(k)), 'and no reserved key');
    t.equal((await eni(sim, node, ['delete', made.json.id])).code, 0, 'cleaned up');

    writeConf(sim, node, baseConf(sim, { platform: 'vke' }));
    const since = await lastSeq(sim);
    const vke = await eni(sim, node, ['create', '--ips', '1']);
    t.equal(vke.code, 1, 'platform vke on a plain account fails');
    t.match(vke.stderr, /CreateNetworkInterface: InvalidTagKey\.Malformed: /, 'with the API code');
    t.same((await calls(since, 'CreateNetworkInterface')).map((c) => c.code), ['InvalidTagKey.Malformed'], 'and is not retried (terminal)');
    writeConf(sim, node, baseConf(sim));
  });
});
