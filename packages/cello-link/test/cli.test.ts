// bin/cello-link as an operator meets it: bad input gets one line naming the
// field and exit 2; failures exit 1 and say what to do; --dry-run changes
// nothing; show lists what setup made; the process count per setup is what
// the design promises (one ip batch per side, plus tc with bandwidth).
import t from 'tap';
import { bin, createNetns, run } from '@cello/testkit';
import { hostVethName, ifbName } from '../src/index.ts';
import { dumpNs } from './helpers/dump.ts';
import { Sim } from './helpers/sim.ts';

const good = {
  containerId: 'c1',
  ifname: 'eth0',
  netns: '/var/run/netns/cello-link-cli-test-missing',
  mode: 'shared',
  ipv4: '192.168.1.11',
  eni: {
    id: 'eni-1',
    mac: '02:00:00:00:01:0a',
    mode: 'shared',
    subnetCidr: '192.168.1.0/24',
    gateway: '192.168.1.1',
    primaryIp: '192.168.1.10',
    routeTable: 101,
  },
};

t.test('bad input: exit 2, one line naming the field', async (t) => {
  const ns = await createNetns('lc'); // nothing here may touch the machine's own namespace
  t.teardown(() => ns.remove());
  const cases: Array<[string, string[], unknown, RegExp]> = [
    ['not JSON', ['setup'], '{"containerId"', /allocation is not valid JSON/],
    ['no eni.mac', ['setup'], { ...good, eni: { ...good.eni, mac: undefined } }, /allocation\.eni\.mac: is required/],
    ['bad MAC', ['setup'], { ...good, eni: { ...good.eni, mac: '02:00' } }, /allocation\.eni\.mac: "02:00" is not a MAC like 02:00:00:00:00:01/],
    ['bad ipv4', ['setup'], { ...good, ipv4: '192.168.1.300' }, /allocation\.ipv4: must be an IPv4 address/],
    ['relative netns', ['setup'], { ...good, netns: 'p1' }, /allocation\.netns: must be a netns path: "p1" is not an absolute path/],
    ['long ifname', ['setup'], { ...good, ifname: 'a-very-long-ifname' }, /allocation\.ifname: must be an interface name/],
    [
      'no routeTable',
      ['setup'],
      { ...good, eni: { ...good.eni, routeTable: undefined } },
      /allocation\.eni\.routeTable: is required \(cello-ipam assigns it on import\)/,
    ],
    ['forgotten ENI', ['setup'], { ...good, eni: null }, /allocation\.eni: is null/],
    ['rate without burst', ['setup', '--ingress-rate', '10M'], good, /--ingress-rate and --ingress-burst go together/],
    ['bad quantity', ['setup', '--egress-rate', 'fast', '--egress-burst', '1k'], good, /--egress-rate: "fast" is not a quantity/],
    ['bad datapath', ['setup', '--datapath', 'overlay'], good, /Invalid values:[\s\S]*datapath/],
    ['teardown without containerId', ['teardown'], { ifname: 'eth0' }, /allocation\.containerId: is required/],
    [
      'bad ENI device name',
      ['teardown'],
      { containerId: 'c', eni: { mac: '02:00:00:00:01:0a', device: 'eth1 name x' } },
      /allocation\.eni\.device: must be an interface name: 1 to 15 letters/,
    ],
    [
      'netns with a space',
      ['teardown'],
      { containerId: 'c', netns: '/var/run/netns/a b' },
      /allocation\.netns: must be a netns path: .* contains characters other than/,
    ],
    ['ifname with ip -batch syntax', ['setup'], { ...good, ifname: 'e#th0' }, /allocation\.ifname: must be an interface name/],
    ['netns with ip -batch syntax', ['setup'], { ...good, netns: '/var/run/netns/x#y' }, /allocation\.netns: must be a netns path/],
  ];
  for (const [name, args, input, msg] of cases) {
    const r = await run('ip', ['netns', 'exec', ns.name, bin('cello-link'), ...args], { input: typeof input === 'string' ? input : JSON.stringify(input) });
    t.equal(r.exitCode, 2, `${name}: exit 2`);
    t.match(String(r.stderr), msg, `${name}: ${String(r.stderr).trim().split('\n')[0]}`);
  }
  const missing = await run('ip', ['netns', 'exec', ns.name, bin('cello-link'), 'setup'], { input: JSON.stringify(good) });
  t.equal(missing.exitCode, 1, 'a missing netns is a failure, not a usage error');
  t.equal(String(missing.stderr), 'cello-link: pod netns /var/run/netns/cello-link-cli-test-missing does not exist', 'one line');
  const noEni = await run('ip', ['netns', 'exec', ns.name, bin('cello-link'), 'eni-up'], { input: JSON.stringify(good.eni) });
  t.equal(noEni.exitCode, 1);
  t.match(String(noEni.stderr), /no device with MAC 02:00:00:00:01:0a \(ENI eni-1\): is it attached, and not inside a pod\?/);
});

t.test('dry run, show, and processes per setup', async (t) => {
  const sim = await Sim.create();
  t.teardown(() => sim.close());
  const eni = await sim.attachEni('shared', '192.168.1.10');
  t.equal((await sim.cello(['eni-up'], eni)).code, 0, 'eni-up');
  const before = await dumpNs(sim.node.name);
  const pod = await sim.pod();
  const alloc = sim.allocation(pod, eni, '192.168.1.11');
  const veth = hostVethName(alloc.containerId, 'eth0');

  const dry = await sim.cello(['setup', '--dry-run'], alloc);
  t.equal(dry.code, 0);
  t.match(
    dry.json.commands.host.ip[0],
    new RegExp(`^link add ${veth} mtu 1500 address ee:\\S+ type veth peer name eth0 mtu 1500 address ea:\\S+ netns ${pod.path}$`),
  );
  t.same(await dumpNs(sim.node.name), before, '--dry-run changed nothing');

  const debug = { CELLO_LOG_LEVEL: 'debug' };
  const processes = (stderr: string) => JSON.parse(stderr.split('\n').find((l) => l.includes('"setup done"'))!).processes;
  const plain = await sim.cello(['setup'], alloc, debug);
  t.equal(plain.code, 0);
  t.equal(processes(plain.stderr), 2, 'veth setup: 2 processes (one ip batch on the host, one in the pod)');

  const shown = await sim.cello(['show'], undefined);
  t.same(
    shown.json.links.map((l: any) => [l.name, l.role]),
    [[veth, 'host-veth']],
  );
  t.same(shown.json.rules, [
    { priority: 512, to: '192.168.1.11', table: 'main' },
    { priority: 1536, from: '192.168.1.11', table: '101' },
  ]);
  t.same(
    shown.json.routes.map((r: any) => `${r.dst} ${r.dev} ${r.table}`).sort(),
    ['192.168.1.0/24 eth1 101', `192.168.1.11 ${veth} main`, 'default eth1 101'],
    'the pod route and the ENI table',
  );
  const table = await sim.cello(['show', '--output', 'table']);
  t.match(table.stdout, new RegExp(`^KIND +NAME +DETAIL\\nlink +${veth} +host-veth`));

  t.equal((await sim.cello(['teardown'], alloc)).code, 0, 'teardown');
  const shaped = await sim.cello(['setup', '--egress-rate', '1M', '--egress-burst', '100k'], alloc, debug);
  t.equal(processes(shaped.stderr), 3, 'with bandwidth: 3 (plus one tc batch)');
  t.same((await sim.cello(['show'])).json.links.map((l: any) => l.name).sort(), [ifbName(alloc.containerId, 'eth0'), veth].sort(), 'show lists the ifb too');
  const down = await sim.cello(['teardown'], alloc, debug);
  t.equal(JSON.parse(down.stderr.split('\n').find((l) => l.includes('"teardown done"'))!).processes, 1, 'veth teardown: 1 process');
  const after = (await sim.cello(['show'])).json;
  t.same(
    { links: after.links, rules: after.rules, qdiscs: after.qdiscs },
    { links: [], rules: [], qdiscs: [] },
    'after teardown show lists no links, rules or qdiscs',
  );
  t.same(
    after.routes.map((r: any) => r.table),
    ['101', '101'],
    'only the ENI table of eni-up',
  );
});
