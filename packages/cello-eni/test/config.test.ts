// The cello-config `conf` schema: upstream's defaults, every bad field named
// in the error, node overrides limited to upstream's keys, files and reload
// detection, secrets redacted in the dump, and a property test: whatever the
// document, parsing either succeeds or fails with a ConfigError naming a
// field — never a crash (upstream dereferenced nil with poolMaxCap alone).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { redact } from '@cello/cli-kit';
import { tempDir } from '@cello/testkit';
import { configChanged, loadConfig } from '../src/config/load.ts';
import { ConfigError, openApiEndpoint, resolveConfig } from '../src/config/resolve.ts';
import { KNOWN_KEYS } from '../src/config/schema.ts';

const base = { subnets: ['subnet-a'], securityGroups: ['sg-a'], ramRole: 'KubernetesNodeRoleForECS' };

function errorOf(input: unknown, node?: unknown): ConfigError {
  try {
    resolveConfig(input, node);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

t.test("upstream's defaults", async (t) => {
  const { config, warnings } = resolveConfig(base);
  t.same(warnings, [], 'a minimal config has nothing to warn about');
  t.match(config, {
    poolTarget: 0,
    poolTargetMin: 0,
    poolTargetLimit: 1,
    poolMaxCapProbe: true,
    poolMonitorIntervalSec: 120,
    reconcileIntervalSec: 1200,
    subnetStatAgingSec: 40,
    networkMode: 'eni_shared',
    ipFamily: 'ipv4',
    platform: 'kubernetes',
    openApiAddress: 'open.volcengineapi.com',
    metadataAddress: 'http://100.96.0.96',
    datapath: 'auto',
    ipCooldownSec: 30,
  });
  t.notOk('poolMaxCap' in config, 'no cap unless given');
  t.same(openApiEndpoint(config), { protocol: 'https:', host: 'open.volcengineapi.com' }, 'a bare host means https');
  t.same(openApiEndpoint({ openApiAddress: 'http://100.96.0.100' }), { protocol: 'http:', host: '100.96.0.100' }, 'a URL keeps its protocol');
  t.same(openApiEndpoint({ openApiAddress: 'vpc.example:8443' }), { protocol: 'https:', host: 'vpc.example:8443' }, 'and a port');
});

t.test('every bad field is named', async (t) => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['subnets', { subnets: [] }, /^subnets: needs at least one/],
    ['subnets[1]', { subnets: ['a', 7] }, /^subnets\[1\]: expected subnet id/],
    ['subnets twice', { subnets: ['a', 'a'] }, /^subnets: lists a subnet id twice/],
    ['securityGroups', { securityGroups: 'sg-a' }, /^securityGroups: expected a list/],
    ['securityGroups > 5', { securityGroups: ['1', '2', '3', '4', '5', '6'] }, /^securityGroups: an ENI joins at most 5/],
    ['poolTarget', { poolTarget: -1 }, /^poolTarget: must be ≥ 0/],
    ['poolTarget type', { poolTarget: '3' }, /^poolTarget: expected a whole number.*got "3"/],
    ['poolTargetMin', { poolTargetMin: 1.5 }, /^poolTargetMin: expected a whole number/],
    ['poolMaxCap', { poolMaxCap: -2 }, /^poolMaxCap: /],
    ['poolMaxCapProbe', { poolMaxCapProbe: 'yes' }, /^poolMaxCapProbe: expected true or false/],
    ['poolMonitorIntervalSec', { poolMonitorIntervalSec: 0 }, /^poolMonitorIntervalSec: must be ≥ 1/],
    ['networkMode', { networkMode: 'eni' }, /^networkMode: expected one of eni_shared, eni_exclusive, got "eni"/],
    ['ipFamily', { ipFamily: 'v4' }, /^ipFamily: expected one of ipv4, ipv6, dual/],
    ['datapath', { datapath: 'ebpf' }, /^datapath: expected one of auto, ipvlan, veth/],
    ['ipCooldownSec', { ipCooldownSec: 100000 }, /^ipCooldownSec: must be ≤ 86400/],
    ['clusterName', { clusterName: 'has space' }, /^clusterName: expected 1-128/],
    ['openApiAddress', { openApiAddress: 'ftp://x' }, /^openApiAddress: expected a host/],
    ['openApiAddress path', { openApiAddress: 'http://x/api' }, /^openApiAddress: expected a host/],
    ['metadataAddress', { metadataAddress: '' }, /^metadataAddress: a URL must not be empty/],
    ['ramRole', { ramRole: '' }, /^ramRole: a RAM role name must not be empty/],
    ['rateLimits action', { rateLimits: { describe: { qps: 1 } } }, /^rateLimits\.describe: expected an action name/],
    ['rateLimits qps', { rateLimits: { CreateNetworkInterface: { qps: 0 } } }, /^rateLimits\.CreateNetworkInterface\.qps: qps must be > 0/],
    ['rateLimits burst', { rateLimits: { default: { qps: 1, burst: 0.5 } } }, /^rateLimits\.default\.burst: /],
    ['rateLimits unknown', { rateLimits: { default: { qps: 1, rate: 2 } } }, /^rateLimits\.default\.rate: unknown key/],
    ['backoff class', { backoff: { fast: {} } }, /^backoff\.fast: unknown key/],
    ['backoff field', { backoff: { write: { factor: 0.5 } } }, /^backoff\.write\.factor: factor must be ≥ 1/],
    ['openApiTimeoutSec', { openApiTimeoutSec: 0 }, /^openApiTimeoutSec: must be ≥ 1/],
    ['waitTimeoutSec', { waitTimeoutSec: 'long' }, /^waitTimeoutSec: expected a whole number/],
    ['maxConcurrentEniCreates', { maxConcurrentEniCreates: 99 }, /^maxConcurrentEniCreates: must be ≤ 16/],
  ];
  for (const [name, patch, re] of cases) t.match(errorOf({ ...base, ...patch }).message, re, name);

  t.match(errorOf({ subnets: ['a'], ramRole: 'r' }).message, /^securityGroups: is required/, 'securityGroups is required');
  t.match(errorOf({ securityGroups: ['g'], ramRole: 'r' }).message, /^subnets: /, 'subnets is required');
  t.match(errorOf({ subnets: ['a'], securityGroups: ['g'] }).message, /^ramRole: is required unless credentialAccessKeyId/, 'credentials are required');
  t.match(
    errorOf({ subnets: ['a'], securityGroups: ['g'], credentialAccessKeyId: 'AK' }).message,
    /^credentialAccessKeySecret: is required/,
    'a key id needs its secret',
  );
  t.match(
    errorOf({ subnets: ['a'], securityGroups: ['g'], credentialAccessKeySecret: 'SK' }).message,
    /^credentialAccessKeyId: is required/,
    'a secret needs its key id',
  );
  t.match(errorOf([]).message, /^\(document\): expected a JSON object/, 'not an object');
  const e = errorOf({ ...base, poolTarget: -1 });
  t.equal(e.field, 'poolTarget', 'the error carries the field');
  t.equal(e.exitCode, 2, 'and exits 2 (bad input)');
});

t.test("upstream's quirks, without the crash", async (t) => {
  const capOnly = resolveConfig({ ...base, poolMaxCap: 8 });
  t.same(
    [capOnly.config.poolMaxCap, capOnly.config.poolMaxCapProbe],
    [8, false],
    'poolMaxCap without poolMaxCapProbe means "use the cap" (upstream dereferenced nil)',
  );
  t.equal(resolveConfig({ ...base, poolMaxCap: 8, poolMaxCapProbe: true }).config.poolMaxCapProbe, true, 'an explicit probe wins');
  for (const limit of [0, -1, 1.5]) {
    const r = resolveConfig({ ...base, poolTargetLimit: limit });
    t.equal(r.config.poolTargetLimit, 1, `poolTargetLimit ${limit} becomes 1, as upstream`);
    t.match(r.warnings.join('\n'), /poolTargetLimit .* outside \(0, 1\]/, 'with a warning');
  }
  const both = resolveConfig({ ...base, credentialAccessKeyId: 'AK', credentialAccessKeySecret: 'SK' });
  t.notOk(both.config.credentialAccessKeyId, 'ramRole wins over keys (as upstream)');
  t.match(both.warnings.join('\n'), /ramRole is set/, 'said in a warning');
  const legacy = resolveConfig({ subnets: ['a'], security_groups: ['sg-old'], ramRole: 'r' });
  t.same(legacy.config.securityGroups, ['sg-old'], 'the legacy security_groups spelling is read');
  t.match(
    resolveConfig({ ...base, heathAndDebugPort: 11414, someFutureKey: 1 }).warnings.join('\n'),
    /unknown key someFutureKey is ignored/,
    'unknown keys are a warning, not an error',
  );
  t.equal(
    resolveConfig({ ...base, rateLimits: { CreateNetworkInterface: { qps: 1.5 } } }).config.rateLimits.CreateNetworkInterface?.burst,
    2,
    'a rate without burst gets ⌈qps⌉',
  );
  t.equal(
    resolveConfig({ ...base, rateLimits: { CreateNetworkInterface: { qps: 1 } } }).config.rateLimits.default?.qps,
    8,
    'other actions keep their defaults',
  );
});

t.test('node overrides: only the keys upstream allows', async (t) => {
  const r = resolveConfig({ ...base, poolTarget: 5 }, { poolTarget: 9, subnets: ['subnet-b'], ramRole: 'other', networkMode: 'eni_exclusive' });
  t.equal(r.config.poolTarget, 9, 'poolTarget overridden');
  t.same(r.config.subnets, ['subnet-b'], 'subnets replaced');
  t.equal(r.config.ramRole, 'KubernetesNodeRoleForECS', 'ramRole is not a node key');
  t.equal(r.config.networkMode, 'eni_shared', 'nor is networkMode');
  t.match(
    r.warnings.join('\n'),
    /ramRole is ignored \(a node may override only poolTargetLimit, poolTarget, poolTargetMin, enableTrunk, securityGroups, subnets\)/,
  );
  t.match(errorOf(base, { poolTarget: 'many' }).message, /^poolTarget: expected a whole number/, 'a bad node value is named too');
});

t.test('files: missing, malformed, merged, changed', async (t) => {
  const dir = tempDir('cello-eni-conf-');
  t.teardown(dir.remove);
  const conf = join(dir.path, 'conf');
  const node = join(dir.path, 'node-conf');
  t.throws(() => loadConfig({ config: conf, nodeConfig: node }), /conf: \(file\): no such file: mount the cello-config ConfigMap's conf key there/);
  writeFileSync(conf, '{ "subnets": [');
  t.throws(() => loadConfig({ config: conf, nodeConfig: node }), /conf: \(document\): is not valid JSON/);
  writeFileSync(conf, JSON.stringify({ ...base, poolTarget: 3 }));
  const a = loadConfig({ config: conf, nodeConfig: node });
  t.equal(a.config.poolTarget, 3, 'no node file is fine');
  t.same(a.files, { config: conf }, 'and says which files it read');
  t.notOk(configChanged({ config: conf, nodeConfig: node }, a.fingerprint), 'unchanged');
  writeFileSync(node, JSON.stringify({ poolTarget: 7 }));
  t.ok(configChanged({ config: conf, nodeConfig: node }, a.fingerprint), 'a new node file is a change');
  const b = loadConfig({ config: conf, nodeConfig: node });
  t.equal(b.config.poolTarget, 7, 'and is merged over the cluster file');
  writeFileSync(node, JSON.stringify({ poolTarget: -7 }));
  t.throws(() => loadConfig({ config: conf, nodeConfig: node }), /node-conf: poolTarget: must be ≥ 0/, 'errors name the file and the field');
});

t.test('the dump shows no secret', async (t) => {
  const { config } = resolveConfig({
    subnets: ['a'],
    securityGroups: ['g'],
    credentialAccessKeyId: 'AKLTexample1234',
    credentialAccessKeySecret: 'c2VjcmV0LXNlY3JldA==',
  });
  const dump = JSON.stringify(redact(config));
  t.notMatch(dump, /AKLTexample1234|c2VjcmV0/, 'neither the key id nor the secret');
  t.match(dump, /"credentialAccessKeySecret":"\*\*\*"/, 'both shown as ***');
});

t.test('property: any document parses or names a field; nothing crashes', async () => {
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 200 }),
    fc.double({ noNaN: false }),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('eni_shared', 'eni_exclusive', 'ipv4', 'dual', 'auto', 'veth', 'http://100.96.0.100', 'open.volcengineapi.com'),
    fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom('qps', 'burst', 'default', 'CreateNetworkInterface', 'write', 'initialMs'),
      fc.oneof(
        fc.integer({ min: -1, max: 50 }),
        fc.string({ maxLength: 3 }),
        fc.dictionary(fc.constantFrom('qps', 'burst', 'steps'), fc.integer({ min: -1, max: 20 })),
      ),
      { maxKeys: 3 },
    ),
  );
  const doc = fc.dictionary(fc.constantFrom(...KNOWN_KEYS, 'unknownKey'), value, { maxKeys: 12 });
  const withBase = fc.tuple(fc.boolean(), doc).map(([seed, d]) => (seed ? { ...base, ...d } : d));
  fc.assert(
    fc.property(withBase, fc.option(doc, { nil: undefined }), (cluster, node) => {
      try {
        const r = resolveConfig(cluster, node);
        return r.config.subnets.length > 0 && r.config.poolTargetLimit > 0 && r.config.poolTargetLimit <= 1;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const top = err.field.split(/[.[]/)[0]!;
        return top === '(document)' || KNOWN_KEYS.includes(top) || Object.keys(cluster).includes(top);
      }
    }),
    { numRuns: 3000 },
  );
});
