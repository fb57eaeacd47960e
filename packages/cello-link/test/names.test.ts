// The names and numbers cello-link derives without asking the kernel.
import { createHash } from 'node:crypto';
import t from 'tap';
import { eui64LinkLocal, hostVethName, ifbName, legacyLinkNames, transitName, vethMacs } from '../src/names.ts';
import { tbfArgs } from '../src/objects.ts';

t.test('host-side names: cel/cbw/cex + 11 hex of sha1(containerId NUL ifname), ≤ 15 characters', async (t) => {
  const id = '8f2a1c0de5b94e7a9d3c1b2a4f6e8d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e';
  const hex = createHash('sha1').update(`${id}\0eth0`).digest('hex');
  t.equal(hostVethName(id, 'eth0'), `cel${hex.slice(0, 11)}`);
  t.equal(ifbName(id, 'eth0'), `cbw${hex.slice(0, 11)}`);
  t.equal(transitName(id, 'eth0'), `cex${hex.slice(0, 11)}`, 'the exclusive ENI on its way back to the host');
  t.equal(hostVethName(id, 'eth0').length, 14);
  t.not(hostVethName(id, 'eth0'), hostVethName(id, 'eth1'), 'the ifname is part of the name');
  t.equal(hostVethName(id, 'eth0'), hostVethName(id, 'eth0'), 'deterministic');
});

t.test('two pods whose container id and ifname join to the same text get different names', async (t) => {
  // Before the separator, ("abc", "1eth0") and ("abc1", "eth0") shared every host name and tore down each other's links.
  for (const f of [hostVethName, ifbName, transitName]) t.not(f('abc', '1eth0'), f('abc1', 'eth0'), f.name);
  t.not(vethMacs('abc', '1eth0').host, vethMacs('abc1', 'eth0').host, 'vethMacs');
  const legacy = createHash('sha1').update('abc1eth0').digest('hex').slice(0, 11);
  t.same(legacyLinkNames('abc', '1eth0'), [`cel${legacy}`, `cbw${legacy}`], 'the names earlier releases gave, for gc to keep');
});

t.test('veth MACs: locally administered unicast, one pair per attachment', async (t) => {
  const m = vethMacs('c1', 'eth0');
  for (const mac of [m.host, m.pod]) {
    t.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const first = Number.parseInt(mac.slice(0, 2), 16);
    t.equal(first & 1, 0, `${mac} is unicast`);
    t.equal(first & 2, 2, `${mac} is locally administered`);
  }
  t.not(m.host, m.pod);
  t.not(vethMacs('c2', 'eth0').host, m.host);
});

t.test('EUI-64 link-local: what the kernel derives from a MAC', async (t) => {
  // the kernel gave ee:00:00:00:00:01 the address fe80::ec00:ff:fe00:1 (seen with `ip -6 addr`)
  t.equal(eui64LinkLocal('ee:00:00:00:00:01'), 'fe80::ec00:ff:fe00:1');
  t.equal(eui64LinkLocal('02:00:00:00:01:0a'), 'fe80::ff:fe00:10a');
});

t.test('tbf arguments follow the reference bandwidth plugin', async (t) => {
  // reference: 1 Mbit / 100 kbit burst → "rate 1Mbit burst 12500b lat 25ms"
  t.equal(tbfArgs(1_000_000, 100_000), 'rate 125000bps burst 12500b latency 25ms');
  t.equal(tbfArgs(2_000_000, 200_000), 'rate 250000bps burst 25000b latency 25ms');
  t.equal(tbfArgs(1_000_007, 100_007), 'rate 125000bps burst 12500b latency 25ms', 'bits/8 rounded down, as the plugin does');
});
