// Reads are budget (issue 14): the account's flow limit counts every
// describe, whoever makes it. An attach is read where the node sees it for
// free (the metadata service), a create's status poll waits before it asks
// and is shared by the ENIs waiting at once, and the round's limits reuse the
// reconcile's listing. So on a quiet account a fresh node pays at most 2
// status reads per ENI — also when metadata lags well behind the attach.
import t from 'tap';
import { withSim } from '@cello/testkit/sim';
import { assertConsistent, baseConf, callsOf, countBy, eni, poolStats, writeConf } from './helpers.ts';

for (const lagMs of [250, 2000]) {
  t.test(`a fresh node filling 3 ENIs, metadata lag ${lagMs} ms`, async (t) => {
    const sim = await withSim(t, { nodes: 1, config: { metadataLagMs: lagMs, flowLimits: {} } });
    const node = 'node1';
    writeConf(sim, node, baseConf(sim, { poolTarget: 25 }));
    const r = await eni(sim, node, ['pool', '--once']);
    t.equal(r.code, 0, `pool --once met (${r.stderr.split('\n').slice(-3).join(' ')})`);
    t.same(await poolStats(sim, node), { available: 25, allocations: 0, enis: 3 });
    await assertConsistent(t, sim, node, 'after filling');

    const raw = await callsOf(sim, node);
    const calls = countBy(raw, (c) => c.action);
    t.comment(`calls: ${JSON.stringify(calls)}`);
    t.equal(calls.CreateNetworkInterface, 3, 'writes at the lower bound: 3 creates');
    t.equal(calls.AttachNetworkInterface, 3, 'and 3 attaches');
    const has = (c: { params: Record<string, unknown> }, prefix: string) => Object.keys(c.params).some((k) => k.startsWith(prefix));
    const listings = raw.filter((c) => c.action === 'DescribeNetworkInterfaces' && has(c, 'TagFilters'));
    t.equal(listings.length, 1, "one listing of the node's ENIs: the reconcile's, which the limits reuse");
    const status = raw.filter(
      (c) => c.action === 'DescribeNetworkInterfaceAttributes' || (c.action === 'DescribeNetworkInterfaces' && has(c, 'NetworkInterfaceIds')),
    ).length;
    t.ok(status <= 2 * 3, `at most 2 status reads per ENI (${status} for 3)`);
  });
}
