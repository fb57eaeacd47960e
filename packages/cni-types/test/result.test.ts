import t from 'tap';
import { SUPPORTED_VERSIONS, fromVersioned, hasIpVersion, toVersion, type Result } from '@cello/cni-types';

/** A result as a plugin of each version prints it (0.3.x/0.4.0 carry ips[].version). */
function fixture(v: string): Result {
  const withVersion = hasIpVersion(v);
  const rich = v === '1.1.0';
  return JSON.parse(
    JSON.stringify({
      cniVersion: v,
      interfaces: [
        { name: 'cel1a2b3c4d5e6', mac: '2a:0a:59:ae:58:b2', ...(rich ? { mtu: 1500 } : {}) },
        { name: 'eth0', mac: 'c2:11:22:33:44:55', sandbox: '/var/run/netns/pod1' },
      ],
      ips: [
        { ...(withVersion ? { version: '4' } : {}), interface: 1, address: '192.168.0.20/32', gateway: '169.254.1.1' },
        { ...(withVersion ? { version: '6' } : {}), interface: 1, address: 'fd00::14/128' },
        { ...(withVersion ? { version: '4' } : {}), interface: 0, address: '192.168.0.21/32' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1', ...(rich ? { scope: 0, table: 101 } : {}) }, { dst: '::/0' }],
      dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
    }),
  ) as Result;
}

t.test('parse → print round trip in every version', async (t) => {
  for (const v of SUPPORTED_VERSIONS) {
    const printed = JSON.stringify(toVersion(fromVersioned(fixture(v)), v));
    t.same(JSON.parse(printed), fixture(v), v);
  }
});

t.test('conversion between every pair of versions', async (t) => {
  for (const from of SUPPORTED_VERSIONS) {
    for (const to of SUPPORTED_VERSIONS) {
      const out = toVersion(fromVersioned(fixture(from)), to);
      const name = `${from} → ${to}`;
      t.equal(out.cniVersion, to, `${name}: result in the target version`);
      t.equal(out.ips?.[2]?.interface, 0, `${name}: "interface": 0 kept`);
      if (hasIpVersion(to)) {
        t.same(
          out.ips?.map((i) => i.version),
          ['4', '6', '4'],
          `${name}: ips[].version added`,
        );
      } else {
        t.ok(
          out.ips?.every((i) => !('version' in i)),
          `${name}: no ips[].version`,
        );
      }
      if (to !== '1.1.0') {
        t.notOk('mtu' in (out.interfaces?.[0] ?? {}), `${name}: interface mtu dropped`);
        t.notOk('scope' in (out.routes?.[0] ?? {}), `${name}: route scope dropped`);
      } else if (from === '1.1.0') {
        t.equal(out.interfaces?.[0]?.mtu, 1500, `${name}: mtu kept`);
        t.equal(out.routes?.[0]?.table, 101, `${name}: route table kept`);
      }
      t.same(out.dns, fixture(from).dns, `${name}: dns kept`);
      t.equal(out.interfaces?.[1]?.sandbox, '/var/run/netns/pod1', `${name}: sandbox kept`);
    }
  }
});

t.test('empty dns is omitted; minimal results stay minimal', async (t) => {
  const out = toVersion(fromVersioned({ cniVersion: '1.0.0', dns: {} } as Result), '0.4.0');
  t.same(out, { cniVersion: '0.4.0' });
});
