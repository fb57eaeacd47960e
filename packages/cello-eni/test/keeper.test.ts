// `cello-eni pool --watch`: one keeper per node, an ADD that found the pool
// empty is served without waiting for the monitor interval, a changed config
// file applies live, and SIGTERM ends it cleanly (exit 0, lock released).
import t from 'tap';
import { bin, waitFor } from '@cello/testkit';
import { FAST_DELAYS, withSim } from '@cello/testkit/sim';
import { baseConf, eni, ipam, poolStats, writeConf } from './helpers.ts';

t.test('pool --watch', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: FAST_DELAYS } });
  const node = 'node1';
  // A monitor interval of an hour: anything that happens below was woken by a demand or the config.
  writeConf(sim, node, baseConf(sim, { poolTarget: 0, poolMonitorIntervalSec: 3600 }));
  const keeper = sim.spawn(node, [bin('cello-eni'), 'pool', '--watch']);
  let log = '';
  keeper.stderr!.on('data', (d: Buffer) => (log += d));
  const exited = new Promise<number | null>((resolve) => keeper.on('close', (code) => resolve(code)));
  t.teardown(() => void keeper.kill('SIGKILL'));
  t.ok(await waitFor(() => log.includes('watching: rounds on demand'), { what: 'the keeper to log that it watches' }), 'the keeper is up and watching');

  t.test('a second keeper on the node is refused', async (t) => {
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 1, 'exit 1');
    t.match(r.stderr, /another pool keeper is running on this node/, 'with the reason');
  });

  t.test('an ADD that found no IP wakes the keeper', async (t) => {
    const first = await ipam(sim, node, ['alloc', '--container', 'c1', '--pod-name', 'web-0', '--pod-namespace', 'default', '--record-demand']);
    t.equal(first.code, 1, 'the first try finds no IP and records a demand');
    t.equal((await ipam(sim, node, ['demands'])).json.length, 1, 'the demand is in the store');
    let got: Record<string, string> | undefined;
    t.ok(
      await waitFor(
        async () => {
          const r = await ipam(sim, node, ['alloc', '--container', 'c1', '--pod-name', 'web-0', '--pod-namespace', 'default']);
          got = r.code === 0 ? r.json : undefined;
          return Boolean(got);
        },
        { what: 'an IP for the waiting ADD' },
      ),
      'the ADD gets an IP while the monitor interval is an hour away',
    );
    t.match(got?.ipv4, /^192\.168\./, `it is a VPC address (${got?.ipv4})`);
    t.match(log, /an ADD is waiting for an IP; filling now/, 'the keeper says why it woke');
    t.same((await ipam(sim, node, ['demands'])).json, [], 'the demand is cleared by the allocation');
  });

  t.test('a changed config file applies without a restart', async (t) => {
    writeConf(sim, node, baseConf(sim, { poolTarget: 6, poolMonitorIntervalSec: 3600 }));
    t.ok(await waitFor(async () => (await poolStats(sim, node)).available >= 6, { what: '6 free IPs' }), 'the pool grows to the new poolTarget');
    t.match(log, /"msg":"config reloaded","poolTarget":6/, 'the keeper logged the reload');
  });

  t.test('SIGTERM stops it cleanly and frees the lock', async (t) => {
    keeper.kill('SIGTERM');
    t.equal(await exited, 0, 'exit 0');
    t.match(log, /stopping/, 'it said it was stopping');
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, 'another keeper can start at once');
  });
});
