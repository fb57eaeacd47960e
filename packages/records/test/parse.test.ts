// The one parser of each shared record: every rule of docs/architecture.md
// ("The JSON records between the tools") has a case, so cello-ipam (import,
// forget), cello-link (setup, eni-up) and cello-eni (unassign) refuse the
// same records with the same words.
import t, { type Test } from 'tap';
import { parseAllocationKey, parseEniRecord, parseImportDoc, parseImportEni, parseSurplusDoc, RecordError } from '../src/index.ts';

const record = {
  id: 'eni-1',
  mac: '02:00:00:00:01:0a',
  device: 'eth1',
  mode: 'shared',
  subnetId: 'subnet-a',
  subnetCidr: '192.168.1.0/24',
  gateway: '192.168.1.1',
  subnetCidrV6: 'fd00:0:0:1::/64',
  gatewayV6: 'fd00:0:0:1::1',
  primaryIp: '192.168.1.10',
  mtu: 1500,
  routeTable: 101,
};

function refuses(t: Test, parse: (raw: unknown) => unknown, raw: unknown, field: string, problem: RegExp, name: string): void {
  const err = t.throws(() => parse(raw), name) as RecordError;
  t.ok(err instanceof RecordError, `${name}: a RecordError`);
  t.equal(err.field, field, `${name}: names ${field}`);
  t.match(err.problem, problem, `${name}: says what is wrong`);
  t.equal(err.message, `${err.field}: ${err.problem}`, `${name}: message is "field: problem"`);
}

t.test('a full EniRecord parses to itself', async (t) => {
  t.same(parseEniRecord(record), record);
});

t.test('addresses come back in their canonical spelling (IPv6 compressed and lower-case)', async (t) => {
  const eni = parseEniRecord({ ...record, subnetCidrV6: 'FD00:0000:0:1::/64', gatewayV6: 'fd00:0:0:1:0:0:0:1' });
  t.equal(eni.subnetCidrV6, 'fd00:0:0:1::/64');
  t.equal(eni.gatewayV6, 'fd00:0:0:1::1');
});

t.test('optional fields may be left out; nothing is invented for them', async (t) => {
  const { device: _d, subnetId: _s, subnetCidrV6: _c, gatewayV6: _g, mtu: _m, ...bare } = record;
  t.same(parseEniRecord(bare), bare);
});

t.test('each EniRecord rule refuses, naming the field', async (t) => {
  const p = (raw: unknown) => parseEniRecord(raw, 'eni');
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', [record], 'eni', /must be a JSON object/],
    ['id is required', { ...record, id: undefined }, 'eni.id', /is required/],
    ['id is not empty', { ...record, id: '' }, 'eni.id', /is required/],
    ['mac is required', { ...record, mac: undefined }, 'eni.mac', /is required/],
    ['mac is six pairs', { ...record, mac: '02:00' }, 'eni.mac', /"02:00" is not a MAC like 02:00:00:00:00:01/],
    ['mac is lower-case, as ip prints it', { ...record, mac: '02:00:00:00:01:0A' }, 'eni.mac', /is not a MAC .*lower-case/],
    ['mac is colon separated, as ip prints it', { ...record, mac: '02-00-00-00-01-0a' }, 'eni.mac', /is not a MAC/],
    ['mode is shared or exclusive', { ...record, mode: 'trunk' }, 'eni.mode', /must be shared or exclusive, got "trunk"/],
    ['device is an interface name', { ...record, device: 'eth1 name x' }, 'eni.device', /must be an interface name: 1 to 15 letters/],
    ['device is at most 15 bytes', { ...record, device: 'a-very-long-device' }, 'eni.device', /must be an interface name/],
    ['subnetCidr is required', { ...record, subnetCidr: undefined }, 'eni.subnetCidr', /is not an IPv4 CIDR/],
    ['subnetCidr is IPv4', { ...record, subnetCidr: 'fd00::/64' }, 'eni.subnetCidr', /is not an IPv4 CIDR like 192.168.1.0\/24/],
    ['subnetCidr has a prefix length', { ...record, subnetCidr: '192.168.1.0' }, 'eni.subnetCidr', /is not an IPv4 CIDR/],
    ['subnetCidr prefix is at most 32', { ...record, subnetCidr: '192.168.1.0/33' }, 'eni.subnetCidr', /is not an IPv4 CIDR/],
    [
      'subnetCidr is a network address',
      { ...record, subnetCidr: '192.168.1.5/24' },
      'eni.subnetCidr',
      /has host bits set: write the subnet as 192.168.1.0\/24/,
    ],
    ['gateway is required', { ...record, gateway: undefined }, 'eni.gateway', /is not an IPv4 address/],
    ['gateway is IPv4', { ...record, gateway: 'fd00::1' }, 'eni.gateway', /"fd00::1" is not an IPv4 address/],
    ['gateway is inside the subnet', { ...record, gateway: '192.168.2.1' }, 'eni.gateway', /"192.168.2.1" is outside 192.168.1.0\/24/],
    ['primaryIp is required', { ...record, primaryIp: undefined }, 'eni.primaryIp', /is not an IPv4 address/],
    ['primaryIp is a valid IPv4', { ...record, primaryIp: '192.168.1.300' }, 'eni.primaryIp', /is not an IPv4 address/],
    ['primaryIp is inside the subnet', { ...record, primaryIp: '10.0.0.10' }, 'eni.primaryIp', /is outside 192.168.1.0\/24/],
    ['subnetCidrV6 needs gatewayV6', { ...record, gatewayV6: undefined }, 'eni.gatewayV6', /subnetCidrV6 and gatewayV6 go together/],
    ['gatewayV6 needs subnetCidrV6', { ...record, subnetCidrV6: undefined }, 'eni.gatewayV6', /go together/],
    ['subnetCidrV6 is IPv6', { ...record, subnetCidrV6: '10.0.0.0/8' }, 'eni.subnetCidrV6', /is not an IPv6 CIDR like fd00::\/64/],
    [
      'subnetCidrV6 is a network address',
      { ...record, subnetCidrV6: 'fd00:0:0:1::5/64' },
      'eni.subnetCidrV6',
      /has host bits set: write the subnet as fd00:0:0:1::\/64/,
    ],
    ['gatewayV6 is inside the v6 subnet', { ...record, gatewayV6: 'fd00:0:0:2::1' }, 'eni.gatewayV6', /is outside fd00:0:0:1::\/64/],
    ['mtu is at least 68', { ...record, mtu: 67 }, 'eni.mtu', /must be a whole number from 68 to 65535/],
    ['mtu is at most 65535', { ...record, mtu: 65536 }, 'eni.mtu', /from 68 to 65535/],
    ['mtu is whole', { ...record, mtu: 1500.5 }, 'eni.mtu', /whole number/],
    ['routeTable is required in an EniRecord', { ...record, routeTable: undefined }, 'eni.routeTable', /is required \(cello-ipam assigns it on import\)/],
    ["routeTable is at least 100 (cello-ipam's floor)", { ...record, routeTable: 99 }, 'eni.routeTable', /from 100 to 4294967295/],
    ["routeTable fits the kernel's u32", { ...record, routeTable: 2 ** 32 }, 'eni.routeTable', /from 100 to 4294967295/],
    ["routeTable is not the kernel's default table", { ...record, routeTable: 253 }, 'eni.routeTable', /other than 253, 254, 255/],
    ["routeTable is not the kernel's main table", { ...record, routeTable: 254 }, 'eni.routeTable', /main/],
    ["routeTable is not the kernel's local table", { ...record, routeTable: 255 }, 'eni.routeTable', /local/],
    ['routeTable is a number', { ...record, routeTable: '101' }, 'eni.routeTable', /whole number/],
  ];
  for (const [name, raw, field, problem] of cases) refuses(t, p, raw, field, problem, name);
});

t.test("the routeTable range ends where the kernel's does", async (t) => {
  t.equal(parseEniRecord({ ...record, routeTable: 100 }).routeTable, 100);
  t.equal(parseEniRecord({ ...record, routeTable: 252 }).routeTable, 252);
  t.equal(parseEniRecord({ ...record, routeTable: 256 }).routeTable, 256);
  t.equal(parseEniRecord({ ...record, routeTable: 2 ** 32 - 1 }).routeTable, 2 ** 32 - 1);
});

t.test('an Import entry: routeTable optional, IPs inside their subnets and canonical', async (t) => {
  const { routeTable: _r, ...noTable } = record;
  const eni = parseImportEni({ ...noTable, ips: ['192.168.1.10', '192.168.1.11'], ipv6s: ['FD00:0:0:1::0011'] });
  t.equal(eni.routeTable, undefined, 'no table until cello-ipam assigns one');
  t.same(eni.ips, ['192.168.1.10', '192.168.1.11']);
  t.same(eni.ipv6s, ['fd00:0:0:1::11']);
  t.same(parseImportEni(noTable).ips, [], 'ips default to none');
  const p = (raw: unknown) => parseImportEni(raw, 'enis[0]');
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['ips is an array', { ...noTable, ips: '192.168.1.11' }, 'enis[0].ips', /must be an array/],
    ['ips are IPv4', { ...noTable, ips: ['fd00::1'] }, 'enis[0].ips[0]', /"fd00::1" is not an IPv4 address/],
    ['ips are inside subnetCidr', { ...noTable, ips: ['192.168.1.11', '10.9.0.5'] }, 'enis[0].ips[1]', /"10.9.0.5" is outside 192.168.1.0\/24/],
    ['ipv6s are inside subnetCidrV6', { ...noTable, ipv6s: ['fd00:0:0:9::1'] }, 'enis[0].ipv6s[0]', /is outside fd00:0:0:1::\/64/],
    [
      'ipv6s need subnetCidrV6',
      { ...noTable, subnetCidrV6: undefined, gatewayV6: undefined, ipv6s: ['fd00::1'] },
      'enis[0].subnetCidrV6',
      /is required when ipv6s are given/,
    ],
    ['a given routeTable follows the EniRecord rule', { ...noTable, routeTable: 254 }, 'enis[0].routeTable', /other than 253, 254, 255/],
    ['the EniRecord rules hold', { ...noTable, mac: 'zz' }, 'enis[0].mac', /"zz" is not a MAC/],
  ];
  for (const [name, raw, field, problem] of cases) refuses(t, p, raw, field, problem, name);
});

t.test('an Import document names each ENI once', async (t) => {
  const { routeTable: _r, ...noTable } = record;
  t.equal(parseImportDoc({ enis: [noTable, { ...noTable, id: 'eni-2', mac: '02:00:00:00:01:0b' }] }).enis.length, 2);
  refuses(t, parseImportDoc, {}, 'enis', /is required \(an array of ENI records\)/, 'enis is required');
  refuses(t, parseImportDoc, [], 'import document', /must be a JSON object/, 'the document is an object');
  refuses(t, parseImportDoc, { enis: [noTable, noTable] }, 'enis[1].id', /eni-1 appears twice in the document/, 'an id twice');
});

t.test('a Surplus document: ips and ipv6s default to none, whole to false, IPs canonical', async (t) => {
  t.same(parseSurplusDoc({ enis: [{ id: 'eni-1' }, { id: 'eni-2', ips: ['10.0.0.5'], ipv6s: ['FD00::0005'], whole: true }] }), {
    enis: [
      { id: 'eni-1', ips: [], ipv6s: [], whole: false },
      { id: 'eni-2', ips: ['10.0.0.5'], ipv6s: ['fd00::5'], whole: true },
    ],
  });
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['the document is an object', 'x', 'surplus document', /must be a JSON object/],
    ['enis is required', {}, 'enis', /is required \(an array of \{id, ips, ipv6s, whole\}\)/],
    ['each ENI is an object', { enis: ['eni-1'] }, 'enis[0]', /must be a JSON object/],
    ['id is required', { enis: [{ ips: [] }] }, 'enis[0].id', /is required/],
    ['ips are IPv4', { enis: [{ id: 'eni-1', ips: ['fd00::1'] }] }, 'enis[0].ips[0]', /is not an IPv4 address/],
    ['ipv6s are IPv6', { enis: [{ id: 'eni-1', ipv6s: ['10.0.0.1'] }] }, 'enis[0].ipv6s[0]', /is not an IPv6 address/],
    ['whole is a boolean', { enis: [{ id: 'eni-1', whole: 'yes' }] }, 'enis[0].whole', /must be true or false/],
  ];
  for (const [name, raw, field, problem] of cases) refuses(t, parseSurplusDoc, raw, field, problem, name);
});

t.test('an allocation key: network, containerId and ifname, each a non-empty string', async (t) => {
  const key = { network: 'cello', containerId: 'c1', ifname: 'eth0' };
  t.same(parseAllocationKey({ ...key, podName: 'p' }), key, 'only the triple comes back');
  refuses(t, parseAllocationKey, null, 'request', /must be a JSON object/, 'the key is an object');
  for (const k of ['network', 'containerId', 'ifname'] as const) {
    refuses(t, parseAllocationKey, { ...key, [k]: '' }, `request.${k}`, /is required \(a non-empty string\)/, `${k} is required`);
    refuses(t, parseAllocationKey, { ...key, [k]: 7 }, `request.${k}`, /is required/, `${k} is a string`);
  }
});
