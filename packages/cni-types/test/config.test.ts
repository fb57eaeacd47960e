import t from 'tap';
import { SUPPORTED_VERSIONS, parseNetConf } from '@cello/cni-types';

const base = { cniVersion: '1.0.0', name: 'cello', type: 'cello-cni' };
const conf = (o: Record<string, unknown>) => JSON.stringify({ ...base, ...o });

t.test('bad input gets the right code, naming the field', async (t) => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['bad JSON', '{"cniVersion":', 6, /decode/],
    ['not an object', '[1,2]', 6, /not a JSON object/],
    ['missing cniVersion', JSON.stringify({ name: 'x', type: 't' }), 1, /cniVersion is missing/],
    ['unsupported version 0.2.0', conf({ cniVersion: '0.2.0' }), 1, /cniVersion "0.2.0"/],
    ['unsupported version 2.0.0', conf({ cniVersion: '2.0.0' }), 1, /2\.0\.0/],
    ['version not a string', conf({ cniVersion: 1 }), 1, /cniVersion/],
    ['missing name', JSON.stringify({ cniVersion: '1.0.0', type: 't' }), 7, /name/],
    ['bad name', conf({ name: '-bad' }), 7, /invalid network name "-bad"/],
    ['name with slash', conf({ name: 'a/b' }), 7, /network name/],
    ['type not a string', conf({ type: 5 }), 7, /"type"/],
    ['disableCheck not boolish', conf({ disableCheck: 'maybe' }), 7, /disableCheck/],
    ['runtimeConfig not an object', conf({ runtimeConfig: [] }), 7, /runtimeConfig/],
    ['capabilities not an object', conf({ capabilities: 'bandwidth' }), 7, /capabilities/],
    ['prevResult not an object', conf({ prevResult: 'x' }), 6, /prevResult/],
    ['prevResult in another version', conf({ prevResult: { cniVersion: '0.4.0' } }), 1, /prevResult.cniVersion "0.4.0"/],
    ['prevResult with bad ip', conf({ prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1' }] } }), 6, /ips\[0\]\.address/],
    ['prevResult with bad interface', conf({ prevResult: { interfaces: [{}] } }), 6, /interfaces\[0\]\.name/],
  ];
  for (const [name, stdin, code, msg] of cases) {
    t.throws(() => parseNetConf(stdin, 'ADD'), { code, message: msg }, name);
  }
});

t.test('every supported version parses', async (t) => {
  for (const v of SUPPORTED_VERSIONS) t.equal(parseNetConf(conf({ cniVersion: v }), 'ADD').cniVersion, v, v);
});

t.test('disableCheck as bool or string', async (t) => {
  for (const [v, want] of [
    [true, true],
    ['true', true],
    ['TRUE', true],
    [false, false],
    ['false', false],
    [undefined, false],
  ] as const) {
    t.equal(parseNetConf(conf({ disableCheck: v }), 'CHECK').disableCheck, want, String(v));
  }
});

t.test('runtimeConfig keys match case-insensitively (containerd sends PascalCase)', async (t) => {
  const rc = parseNetConf(
    conf({
      runtimeConfig: {
        Bandwidth: { IngressRate: 1000, IngressBurst: 2000, EgressRate: 3000, EgressBurst: 4000 },
        PortMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: 'tcp', HostIP: '' }],
        DNS: { Servers: ['1.1.1.1'], Searches: ['svc'], Options: ['ndots:5'] },
        'io.kubernetes.cri.pod-annotations': { a: 'b' },
      },
    }),
    'ADD',
  ).runtimeConfig;
  t.same(rc.bandwidth, { ingressRate: 1000, ingressBurst: 2000, egressRate: 3000, egressBurst: 4000 });
  t.same(rc.portMappings, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }]);
  t.same(rc.dns, { servers: ['1.1.1.1'], searches: ['svc'], options: ['ndots:5'] });
  t.same(rc['io.kubernetes.cri.pod-annotations'], { a: 'b' }, 'unknown keys pass through unchanged');
  t.same(parseNetConf(conf({ runtimeConfig: { bandWidth: { ingressrate: 1 } } }), 'ADD').runtimeConfig.bandwidth, {
    ingressRate: 1,
  });
});

t.test('GC attachments: valid-attachments, or the older attachments key', async (t) => {
  const v11 = { cniVersion: '1.1.0' };
  const a = [{ containerID: 'c1', ifname: 'eth0' }];
  t.same(parseNetConf(conf({ ...v11, 'cni.dev/valid-attachments': a }), 'GC').validAttachments, a);
  t.same(parseNetConf(conf({ ...v11, 'cni.dev/attachments': a }), 'GC').validAttachments, a);
  t.same(parseNetConf(conf({ ...v11, 'cni.dev/valid-attachments': a, 'cni.dev/attachments': [] }), 'GC').validAttachments, a, 'the newer key wins');
  t.equal(parseNetConf(conf(v11), 'GC').validAttachments, undefined, 'absent key: undefined');
  t.throws(() => parseNetConf(conf({ ...v11, 'cni.dev/valid-attachments': [{ containerID: 1 }] }), 'GC'), {
    code: 7,
    message: /cni.dev\/valid-attachments\[0\]/,
  });
});

t.test('prevResult without cniVersion takes the config version', async (t) => {
  const p = parseNetConf(conf({ prevResult: { ips: [{ address: '10.0.0.2/24', interface: 0 }] } }), 'ADD').prevResult;
  t.same(p?.ips, [{ address: '10.0.0.2/24', interface: 0 }]);
});
