// The one address module: what cello-ipam keys its store by, what cello-link
// compares with iproute2's output, what cello-eni derives gateways from.
import t from 'tap';
import { canonicalIp, cidrContains, familyOf, firstHost, hostCidr, isIPv4, isIPv6, networkOf, ofFamily, parseCidr, routeDst } from '../src/index.ts';

t.test('families: plain addresses only, every octet in range, no leading zeros', async (t) => {
  t.equal(familyOf('10.0.0.1'), 4);
  t.equal(familyOf('fd00::1'), 6);
  t.equal(familyOf('::ffff:10.0.0.1'), 6, 'IPv4-mapped IPv6 is IPv6');
  for (const bad of ['10.0.0.256', '10.0.0', '010.0.0.1', '10.0.0.1/32', 'fd00::1/64', 'fd00:::1', 'fe80::1%eth0', '', 'eth0']) {
    t.equal(familyOf(bad), undefined, `${JSON.stringify(bad)} is not an address`);
  }
  t.ok(isIPv4('255.255.255.255'));
  t.notOk(isIPv6('10.0.0.1'));
});

t.test('canonical text: IPv4 as is, IPv6 compressed and lower-case (RFC 5952, as ip prints it)', async (t) => {
  t.equal(canonicalIp('10.1.2.3'), '10.1.2.3');
  t.equal(canonicalIp('FD00:0000:0000:0001:0000:0000:0000:0011'), 'fd00:0:0:1::11');
  t.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1', 'the first of two equal zero runs');
  t.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:a00:1');
});

t.test('CIDRs: address and prefix length within the family', async (t) => {
  t.same(parseCidr('192.168.1.0/24'), { ip: '192.168.1.0', prefix: 24, family: 4 });
  t.same(parseCidr('FD00::/64'), { ip: 'fd00::', prefix: 64, family: 6 });
  for (const bad of ['192.168.1.0', '192.168.1.0/33', 'fd00::/129', '192.168.1.0/-1', 'x/8', '10.0.0.0/8/8']) t.equal(parseCidr(bad), undefined, bad);
});

t.test('membership: same family and same network bits', async (t) => {
  t.ok(cidrContains('10.1.0.0/16', '10.1.255.254'));
  t.notOk(cidrContains('10.1.0.0/16', '10.2.0.1'));
  t.ok(cidrContains('0.0.0.0/0', '1.2.3.4'));
  t.ok(cidrContains('10.0.0.7/32', '10.0.0.7'));
  t.ok(cidrContains('fd00:0:0:1::/64', 'FD00:0:0:1:ffff::1'));
  t.notOk(cidrContains('fd00:0:0:1::/64', 'fd00:0:0:2::1'));
  t.notOk(cidrContains('::/0', '10.0.0.1'), 'no match across families');
  t.notOk(cidrContains('not a cidr', '10.0.0.1'));
});

t.test("network and first host: host bits cleared, then + 1 (a VPC subnet's gateway)", async (t) => {
  t.equal(networkOf('10.1.2.3/16'), '10.1.0.0/16');
  t.equal(networkOf('fd00:0:0:1::5/64'), 'fd00:0:0:1::/64');
  t.equal(networkOf('nope'), undefined);
  t.equal(firstHost('192.168.1.0/24'), '192.168.1.1');
  t.equal(firstHost('192.168.1.77/24'), '192.168.1.1', 'from any address of the subnet');
  t.equal(firstHost('10.0.255.0/23'), '10.0.254.1');
  t.equal(firstHost('fd00:0:0:1::/64'), 'fd00:0:0:1::1');
  t.equal(firstHost('2001:db8:1:2:3:4:5:6/48'), '2001:db8:1::1');
  t.equal(firstHost(''), '', 'empty when the CIDR does not parse');
});

t.test('route destinations as ip prints them', async (t) => {
  t.equal(routeDst('0.0.0.0/0'), 'default');
  t.equal(routeDst('::/0'), 'default');
  t.equal(routeDst('10.0.0.5/32'), '10.0.0.5');
  t.equal(routeDst('FD00::5/128'), 'fd00::5');
  t.equal(routeDst('10.0.0.0/8'), '10.0.0.0/8');
  t.equal(routeDst('fd00:0:0:1:0::/64'), 'fd00:0:0:1::/64');
  t.equal(routeDst('FD00::1'), 'fd00::1', 'a plain address is canonicalised');
  t.equal(hostCidr('10.0.0.5'), '10.0.0.5/32');
  t.equal(hostCidr('fd00::5'), 'fd00::5/128');
  t.same(ofFamily(['10.0.0.0/8', 'fd00::/64', '10.0.0.1', 'fd00::1'], true), ['fd00::/64', 'fd00::1']);
  t.same(ofFamily(['10.0.0.0/8', 'fd00::/64', '10.0.0.1', 'fd00::1'], false), ['10.0.0.0/8', '10.0.0.1']);
});
