// bin/cello-ipam as operators and pipes use it: JSON when piped, tables when
// asked, one-line errors with exit 2 for bad input and 1 for failures.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Allocation, ImportResult, Stats, SurplusDoc } from '@cello/cello-ipam';
import { bin, run } from '@cello/testkit';
import { eni, stateDir } from './helpers.ts';

const ipam = bin('cello-ipam');

function cli(dir: string) {
  return async (args: string[], input?: string) => {
    const r = await run(ipam, [...args, '--state-dir', dir], input === undefined ? {} : { input });
    return { code: r.exitCode, out: String(r.stdout), err: String(r.stderr), json: () => JSON.parse(String(r.stdout)) };
  };
}

t.test('import from stdin or a file; alloc, show, release; JSON when piped', async (t) => {
  const dir = stateDir(t);
  const ipamc = cli(dir);
  const imported = await ipamc(['import'], JSON.stringify({ enis: [eni(1, 3)] }));
  t.equal(imported.code, 0, imported.err);
  t.same(
    (imported.json() as ImportResult).enis.map((e) => e.routeTable),
    [101],
  );
  const file = join(dir, 'more.json');
  writeFileSync(file, JSON.stringify({ enis: [eni(2, 2)] }));
  t.same(((await ipamc(['import', file])).json() as ImportResult).added, { enis: 1, ips: 2 }, 'from a file argument');

  const args = ['alloc', '--container', 'abc123', '--pod-namespace', 'default', '--pod-name', 'web-0', '--netns', '/var/run/netns/p1'];
  const a = (await ipamc(args)).json() as Allocation;
  t.match(a, {
    network: 'cello',
    containerId: 'abc123',
    ifname: 'eth0',
    podNamespace: 'default',
    podName: 'web-0',
    netns: '/var/run/netns/p1',
    mode: 'shared',
    ipv4: '10.1.0.10',
    eni: { id: 'eni-1', mac: '02:00:00:00:00:01', routeTable: 101, gateway: '10.1.0.1', subnetCidr: '10.1.0.0/16' },
  });
  t.same((await ipamc(args)).json(), a, 'a repeated alloc prints the same allocation');

  const byIp = (await ipamc(['show', '10.1.0.10'])).json() as { ip: { state: string; owner: { containerId: string } } };
  t.equal(byIp.ip.state, 'used');
  t.equal(byIp.ip.owner.containerId, 'abc123');
  t.equal(((await ipamc(['show', 'abc'])).json() as { allocations: Allocation[] }).allocations[0]?.ipv4, a.ipv4, 'by container id prefix');
  const missing = await ipamc(['show', 'nope']);
  t.equal(missing.code, 1);
  t.equal(missing.err, 'cello-ipam: no IP or container matches "nope"');

  t.same((await ipamc(['release', '--container', 'other'])).json(), { released: false }, 'unknown triple: success');
  const rel = await ipamc(['release', '--container', 'abc123']);
  t.equal(rel.code, 0);
  t.equal((rel.json() as { released: boolean }).released, true);
  const stats = (await ipamc(['stats'])).json() as Stats;
  t.same(stats.totals.ipv4, { free: 4, used: 0, cooling: 1, releasing: 0, total: 5 });
});

t.test('tables on request', async (t) => {
  const ipamc = cli(stateDir(t));
  await ipamc(['import'], JSON.stringify({ enis: [eni(1, 2)] }));
  await ipamc(['alloc', '--container', 'c1', '--pod-namespace', 'ns', '--pod-name', 'p']);
  const list = await ipamc(['list', '-o', 'table']);
  t.match(list.out, /^IP\s+ENI\s+STATE\s+PRIMARY\s+CONTAINER\s+POD\n10\.1\.0\.10\s+eni-1\s+used\s+yes\s+c1\/eth0\s+ns\/p\n10\.1\.0\.11\s+eni-1\s+free/);
  const stats = await ipamc(['stats', '-o', 'table']);
  t.match(stats.out, /eni-1\s+shared\s+101\s+1\/1\/0\/0/);
  t.match(stats.out, /\ndemand: 0$/);
  t.match((await ipamc(['list', 'enis', '-o', 'table'])).out, /^ENI\s+MAC/);
  t.match((await ipamc(['list', 'allocations', '-o', 'table'])).out, /^CONTAINER\s+IFNAME\s+NETWORK\s+POD/);
});

t.test('surplus | forget as a pipe', async (t) => {
  const dir = stateDir(t);
  const ipamc = cli(dir);
  await ipamc(['import'], JSON.stringify({ enis: [eni(1, 6), eni(2, 2)] }));
  const dry = (await ipamc(['surplus', '--keep', '2', '--dry-run'])).json() as SurplusDoc;
  t.same(
    dry.enis.map((e) => [e.id, e.whole, e.ips.length]),
    [
      ['eni-2', true, 2],
      ['eni-1', false, 4],
    ],
  );
  const piped = await run('sh', ['-c', `${ipam} surplus --keep 2 --state-dir ${dir} | ${ipam} forget --state-dir ${dir}`]);
  t.equal(piped.exitCode, 0, String(piped.stderr));
  t.same(JSON.parse(String(piped.stdout)), { enis: dry.enis, flagged: [] }, 'forget removed what surplus released');
  t.same(((await ipamc(['stats'])).json() as Stats).totals.ipv4, { free: 2, used: 0, cooling: 0, releasing: 0, total: 2 });
});

t.test('no free IP: exit 1 with the reason; demand recorded on request', async (t) => {
  const ipamc = cli(stateDir(t));
  const r = await ipamc(['alloc', '--container', 'c1', '--pod-name', 'p', '--record-demand']);
  t.equal(r.code, 1);
  t.equal(r.err, 'cello-ipam: no free IPv4: no shared ENI is known on this node yet (the pool keeper has imported none); demand recorded for the pool keeper');
  const demands = (await ipamc(['demands'])).json() as Array<{ containerId: string }>;
  t.same(
    demands.map((d) => d.containerId),
    ['c1'],
  );
  t.same((await ipamc(['demands', '--clear', '--older-than', '3600'])).json(), { cleared: 0 }, 'it is not an hour old');
  t.same((await ipamc(['demands', '--clear'])).json(), { cleared: 1 });
});

t.test('settings: show and set', async (t) => {
  const ipamc = cli(stateDir(t));
  t.same((await ipamc(['settings'])).json(), { networkMode: 'shared', ipFamily: 'ipv4', ipCooldownSec: 30, datapath: 'auto' });
  const set = await ipamc(['settings', 'ipFamily=dual', 'ipCooldownSec=5', 'datapath=veth']);
  t.same(set.json(), { networkMode: 'shared', ipFamily: 'dual', ipCooldownSec: 5, datapath: 'veth' });
  t.same((await ipamc(['settings'])).json(), set.json(), 'kept');
});

t.test('bad input: one line naming the field, exit 2', async (t) => {
  const ipamc = cli(stateDir(t));
  const cases: Array<[string, string[], string | undefined, RegExp]> = [
    ['not JSON', ['import'], '{"enis": [', /^cello-ipam: import document is not valid JSON/],
    [
      'a bad IP',
      ['import'],
      JSON.stringify({ enis: [{ ...eni(1, 1), primaryIp: '10.1.0.300' }] }),
      /^cello-ipam: enis\[0\]\.primaryIp: "10\.1\.0\.300" is not an IPv4 address$/,
    ],
    ['forget without ids', ['forget'], '{"enis":[{}]}', /^cello-ipam: enis\[0\]\.id: is required/],
    ['surplus without --keep', ['surplus'], undefined, /Missing required argument: keep/],
    ['alloc without --container', ['alloc'], undefined, /Missing required argument: container/],
    ['an unknown setting', ['settings', 'mtu=9000'], undefined, /^cello-ipam: unknown setting "mtu"/],
    ['a setting without =', ['settings', 'ipFamily'], undefined, /expected key=value, got "ipFamily"/],
    ['an unknown command', ['allocate'], undefined, /Unknown argument: allocate|Did you mean alloc/],
    ['a bad list kind', ['list', 'pods'], undefined, /Invalid values:[\s\S]*pods/],
  ];
  for (const [name, args, input, msg] of cases) {
    const r = await ipamc(args, input);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.err, msg, `${name}: says what is wrong`);
    t.notMatch(r.err, /\n\s+at /, `${name}: no stack trace`);
  }
});

t.test('--help lists every command', async (t) => {
  const r = await run(ipam, ['--help']);
  t.equal(r.exitCode, 0);
  for (const verb of ['import', 'surplus', 'forget', 'stats', 'list', 'show', 'check', 'alloc', 'release', 'settings', 'demands']) {
    t.match(String(r.stdout), new RegExp(`cello-ipam ${verb}`), verb);
  }
  t.match(String(r.stdout), /--state-dir/);
});
