// The PodNetwork parser and the label-selector matcher: every field rule of
// docs/podnetworks.md has a case (the agent skips what this refuses, the CNI
// side reads what it accepts), and each selector operator matches as
// Kubernetes' own LabelSelector does.
import t, { type Test } from 'tap';
import { type LabelSelector, matchesSelector, parsePodNetwork, parsePodNetworkSelectors, PodNetworkError, RecordError, UsageError } from '../src/index.ts';

const object = (spec: Record<string, unknown>, name = 'blue') => ({
  apiVersion: 'cello.volcengine.com/v1alpha1',
  kind: 'PodNetwork',
  metadata: { name, uid: 'u-1', resourceVersion: '7' },
  spec,
  status: { anything: true },
});

const spec = {
  namespaceSelector: { matchLabels: { team: 'blue' } },
  subnets: { ids: ['subnet-a', 'subnet-b'] },
  securityGroupIds: ['sg-1'],
};

function refuses(t: Test, raw: unknown, field: string, problem: RegExp, name: string, parse: (raw: unknown) => unknown = parsePodNetwork): void {
  const err = t.throws(() => parse(raw), name) as PodNetworkError;
  t.ok(
    err instanceof PodNetworkError && err instanceof RecordError && err instanceof UsageError,
    `${name}: a PodNetworkError, so a RecordError and a UsageError`,
  );
  t.equal(err.field, field, `${name}: names ${field}`);
  t.match(err.problem, problem, `${name}: says what is wrong`);
  t.equal(
    err.message,
    `podnetwork${err.network ? ` ${err.network}` : ''}: ${err.field}: ${err.problem}`,
    `${name}: message is "podnetwork NAME: field: problem"`,
  );
}

t.test('a minimal PodNetwork gets the defaults: shared, Elastic', async (t) => {
  t.same(parsePodNetwork(object(spec)), {
    name: 'blue',
    spec: {
      namespaceSelector: { matchLabels: { team: 'blue' } },
      subnets: { ids: ['subnet-a', 'subnet-b'] },
      securityGroupIds: ['sg-1'],
      mode: 'shared',
      allocation: { type: 'Elastic' },
    },
  });
});

t.test('every field given comes back as given (releaseAfter in seconds)', async (t) => {
  const full = {
    podSelector: {
      matchLabels: { app: 'db', 'example.com/tier': '' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    },
    namespaceSelector: {},
    subnets: { ids: ['subnet-a'], tags: { 'cello/network': 'blue', empty: '' } },
    securityGroupIds: ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5'],
    mode: 'shared',
    allocation: { type: 'Fixed', releaseAfter: '1h30m' },
  };
  t.same(parsePodNetwork(object(full, 'db.example-1')), {
    name: 'db.example-1',
    spec: { ...full, allocation: { type: 'Fixed', releaseAfterSec: 5400 } },
  });
});

t.test('Fixed needs mode shared: an exclusive pod’s address is its ENI’s primary, which cannot move', async (t) => {
  t.throws(() => parsePodNetwork(object({ ...spec, mode: 'exclusive', allocation: { type: 'Fixed' } })), /spec\.allocation\.type: Fixed needs mode shared/);
  t.equal(parsePodNetwork(object({ ...spec, mode: 'exclusive', allocation: { type: 'Elastic' } })).spec.mode, 'exclusive');
});

t.test('Fixed: releaseAfter as hours, minutes, seconds; omitted is never (null)', async (t) => {
  const fixed = (releaseAfter?: string) => parsePodNetwork(object({ ...spec, allocation: { type: 'Fixed', releaseAfter } })).spec.allocation;
  t.same(fixed(), { type: 'Fixed', releaseAfterSec: null });
  t.same(fixed('30m'), { type: 'Fixed', releaseAfterSec: 1800 });
  t.same(fixed('24h'), { type: 'Fixed', releaseAfterSec: 86400 });
  t.same(fixed('90s'), { type: 'Fixed', releaseAfterSec: 90 });
  t.same(fixed('2h0m5s'), { type: 'Fixed', releaseAfterSec: 7205 });
  t.same(parsePodNetwork(object({ ...spec, allocation: {} })).spec.allocation, { type: 'Elastic' }, 'allocation without a type is Elastic (the CRD default)');
  t.same(parsePodNetwork(object({ ...spec, allocation: { type: 'Elastic' } })).spec.allocation, { type: 'Elastic' });
});

t.test('selectors: either, or both; {} is an explicit match-all', async (t) => {
  const { namespaceSelector: _n, ...noSelector } = spec;
  t.same(parsePodNetwork(object({ ...noSelector, podSelector: {} })).spec.podSelector, {});
  t.equal(parsePodNetwork(object({ ...noSelector, podSelector: {} })).spec.namespaceSelector, undefined, 'an absent selector stays absent');
  t.same(
    parsePodNetworkSelectors(object({ ...spec, securityGroupIds: [] })),
    { name: 'blue', namespaceSelector: { matchLabels: { team: 'blue' } } },
    'selectors read from an object invalid elsewhere',
  );
});

t.test('each rule refuses, naming the object and the field', async (t) => {
  const { namespaceSelector: _n, ...noSelector } = spec;
  const six = ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5', 'sg-6'];
  const ns = (sel: unknown) => object({ ...spec, namespaceSelector: sel });
  const expr = (e: unknown) => ns({ matchExpressions: [e] });
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['the object is an object', [spec], '(object)', /must be an object/],
    ['metadata.name is required', { spec }, 'metadata.name', /"" is not a name/],
    ['metadata.name is a DNS subdomain', object(spec, 'Blue_1'), 'metadata.name', /"Blue_1" is not a name \(a DNS subdomain/],
    ['apiVersion is ours when given', { ...object(spec), apiVersion: 'cello.volcengine.com/v1' }, 'apiVersion', /must be cello.volcengine.com\/v1alpha1/],
    ['kind is PodNetwork when given', { ...object(spec), kind: 'Network' }, 'kind', /must be PodNetwork/],
    ['spec is required', { metadata: { name: 'blue' } }, 'spec', /must be an object/],
    ['unknown spec fields are refused', object({ ...spec, securityGroupIDs: ['sg-1'] }), 'spec.securityGroupIDs', /is not a field of spec/],
    ['a selector is required', object(noSelector), 'spec', /needs podSelector or namespaceSelector/],
    ['a null selector is no selector', object({ ...noSelector, podSelector: null }), 'spec', /needs podSelector or namespaceSelector/],
    ['a selector is an object', ns('team=blue'), 'spec.namespaceSelector', /must be an object/],
    ['unknown selector fields are refused', ns({ matchLabel: { a: 'b' } }), 'spec.namespaceSelector.matchLabel', /is not a field/],
    ['matchLabels values are strings', ns({ matchLabels: { team: 1 } }), 'spec.namespaceSelector.matchLabels.team', /must be a string/],
    ['matchLabels keys are label keys', ns({ matchLabels: { 'bad key': 'x' } }), 'spec.namespaceSelector.matchLabels', /"bad key" is not a label key/],
    ['a label key name is at most 63', ns({ matchLabels: { ['k'.repeat(64)]: 'x' } }), 'spec.namespaceSelector.matchLabels', /is not a label key/],
    [
      'a label key prefix is a DNS subdomain',
      ns({ matchLabels: { 'Example.com/a': 'x' } }),
      'spec.namespaceSelector.matchLabels',
      /prefix must be a DNS subdomain/,
    ],
    ['matchLabels values are label values', ns({ matchLabels: { team: 'blue team' } }), 'spec.namespaceSelector.matchLabels.team', /is not a label value/],
    ['a label value is at most 63', ns({ matchLabels: { team: 'v'.repeat(64) } }), 'spec.namespaceSelector.matchLabels.team', /is not a label value/],
    ['matchExpressions is a list', ns({ matchExpressions: {} }), 'spec.namespaceSelector.matchExpressions', /must be a list/],
    ['an expression is an object', expr('team in (a)'), 'spec.namespaceSelector.matchExpressions[0]', /must be an object/],
    ['an expression has a key', expr({ operator: 'Exists' }), 'spec.namespaceSelector.matchExpressions[0].key', /is required/],
    ['an expression key is a label key', expr({ key: '-x', operator: 'Exists' }), 'spec.namespaceSelector.matchExpressions[0].key', /is not a label key/],
    [
      'the operator is one of four',
      expr({ key: 'a', operator: 'Gt', values: ['1'] }),
      'spec.namespaceSelector.matchExpressions[0].operator',
      /must be one of In, NotIn, Exists, DoesNotExist, got "Gt"/,
    ],
    ['operators are case-sensitive', expr({ key: 'a', operator: 'in', values: ['1'] }), 'spec.namespaceSelector.matchExpressions[0].operator', /got "in"/],
    ['In needs values', expr({ key: 'a', operator: 'In' }), 'spec.namespaceSelector.matchExpressions[0].values', /In needs at least one value/],
    [
      'NotIn needs values',
      expr({ key: 'a', operator: 'NotIn', values: [] }),
      'spec.namespaceSelector.matchExpressions[0].values',
      /NotIn needs at least one value/,
    ],
    [
      'Exists takes no values',
      expr({ key: 'a', operator: 'Exists', values: ['x'] }),
      'spec.namespaceSelector.matchExpressions[0].values',
      /Exists takes no values/,
    ],
    [
      'DoesNotExist takes no values',
      expr({ key: 'a', operator: 'DoesNotExist', values: ['x'] }),
      'spec.namespaceSelector.matchExpressions[0].values',
      /DoesNotExist takes no values/,
    ],
    [
      'values are label values',
      expr({ key: 'a', operator: 'In', values: ['ok', 'not ok'] }),
      'spec.namespaceSelector.matchExpressions[0].values[1]',
      /is not a label value/,
    ],
    ['values is a list', expr({ key: 'a', operator: 'In', values: 'x' }), 'spec.namespaceSelector.matchExpressions[0].values', /must be a list/],
    [
      'unknown expression fields are refused',
      expr({ key: 'a', operator: 'Exists', value: 'x' }),
      'spec.namespaceSelector.matchExpressions[0].value',
      /is not a field/,
    ],
    ['subnets is required', object({ ...spec, subnets: undefined }), 'spec.subnets', /is required: \{ids: \[subnet ids\]\} or \{tags/],
    ['subnets needs ids or tags', object({ ...spec, subnets: {} }), 'spec.subnets', /needs ids or tags/],
    ['subnets.ids is a list', object({ ...spec, subnets: { ids: 'subnet-a' } }), 'spec.subnets.ids', /must be a list of subnet ids/],
    ['subnets.ids is not empty', object({ ...spec, subnets: { ids: [] } }), 'spec.subnets.ids', /needs at least 1 subnet id/],
    ['subnet ids are non-empty strings', object({ ...spec, subnets: { ids: ['subnet-a', ''] } }), 'spec.subnets.ids[1]', /must be a subnet id/],
    ['subnet ids have no spaces around them', object({ ...spec, subnets: { ids: [' subnet-a'] } }), 'spec.subnets.ids[0]', /no spaces around it/],
    ['a subnet id is listed once', object({ ...spec, subnets: { ids: ['subnet-a', 'subnet-a'] } }), 'spec.subnets.ids[1]', /subnet-a is listed twice/],
    ['subnets.tags is not empty', object({ ...spec, subnets: { tags: {} } }), 'spec.subnets.tags', /needs at least one tag/],
    ['tag values are strings', object({ ...spec, subnets: { tags: { a: true } } }), 'spec.subnets.tags.a', /must be a string/],
    ['tag keys are not blank', object({ ...spec, subnets: { tags: { ' ': 'x' } } }), 'spec.subnets.tags', /is not a tag key/],
    ['unknown subnets fields are refused', object({ ...spec, subnets: { ids: ['subnet-a'], names: ['a'] } }), 'spec.subnets.names', /is not a field/],
    ['securityGroupIds is required', object({ ...spec, securityGroupIds: undefined }), 'spec.securityGroupIds', /is required: 1 to 5 security group ids/],
    ['securityGroupIds is a list', object({ ...spec, securityGroupIds: 'sg-1' }), 'spec.securityGroupIds', /must be a list of security group ids/],
    ['at least one security group', object({ ...spec, securityGroupIds: [] }), 'spec.securityGroupIds', /needs at least 1 security group id/],
    ['at most five security groups', object({ ...spec, securityGroupIds: six }), 'spec.securityGroupIds', /^at most 5$/],
    ['a security group is listed once', object({ ...spec, securityGroupIds: ['sg-1', 'sg-1'] }), 'spec.securityGroupIds[1]', /sg-1 is listed twice/],
    ['security group ids are strings', object({ ...spec, securityGroupIds: [5] }), 'spec.securityGroupIds[0]', /must be a security group id/],
    ['mode is shared or exclusive', object({ ...spec, mode: 'trunk' }), 'spec.mode', /must be shared or exclusive, got "trunk"/],
    ['allocation is an object', object({ ...spec, allocation: 'Fixed' }), 'spec.allocation', /must be an object/],
    [
      'allocation.type is Elastic or Fixed',
      object({ ...spec, allocation: { type: 'Sticky' } }),
      'spec.allocation.type',
      /must be Elastic or Fixed, got "Sticky"/,
    ],
    [
      'releaseAfter is only for Fixed',
      object({ ...spec, allocation: { type: 'Elastic', releaseAfter: '1h' } }),
      'spec.allocation.releaseAfter',
      /is only for type Fixed/,
    ],
    [
      'releaseAfter is a duration',
      object({ ...spec, allocation: { type: 'Fixed', releaseAfter: '1 day' } }),
      'spec.allocation.releaseAfter',
      /"1 day" is not a duration like 30m, 24h or 1h30m/,
    ],
    ['releaseAfter has a unit', object({ ...spec, allocation: { type: 'Fixed', releaseAfter: '30' } }), 'spec.allocation.releaseAfter', /is not a duration/],
    [
      'releaseAfter units go h, m, s',
      object({ ...spec, allocation: { type: 'Fixed', releaseAfter: '30m1h' } }),
      'spec.allocation.releaseAfter',
      /in that order/,
    ],
    ['releaseAfter has no days', object({ ...spec, allocation: { type: 'Fixed', releaseAfter: '7d' } }), 'spec.allocation.releaseAfter', /is not a duration/],
    [
      'releaseAfter is not a number',
      object({ ...spec, allocation: { type: 'Fixed', releaseAfter: 3600 } }),
      'spec.allocation.releaseAfter',
      /3600 is not a duration/,
    ],
    [
      'releaseAfter is longer than 0',
      object({ ...spec, allocation: { type: 'Fixed', releaseAfter: '0s' } }),
      'spec.allocation.releaseAfter',
      /must be longer than 0/,
    ],
    ['unknown allocation fields are refused', object({ ...spec, allocation: { type: 'Fixed', ttl: '1h' } }), 'spec.allocation.ttl', /is not a field/],
  ];
  for (const [name, raw, field, problem] of cases) refuses(t, raw, field, problem, name);
});

t.test('the message names the network as the brief’s example does', async (t) => {
  const err = t.throws(() => parsePodNetwork(object({ ...spec, securityGroupIds: ['a', 'b', 'c', 'd', 'e', 'f'] }))) as Error;
  t.equal(err.message, 'podnetwork blue: spec.securityGroupIds: at most 5');
  t.equal((err as PodNetworkError).network, 'blue');
  const unnamed = t.throws(() => parsePodNetwork({ spec })) as PodNetworkError;
  t.equal(unnamed.message, 'podnetwork: metadata.name: "" is not a name (a DNS subdomain: lower-case letters, digits, - and ., at most 253)');
  t.equal(unnamed.network, '');
});

t.test('parsePodNetworkSelectors refuses by the same rules', async (t) => {
  const { namespaceSelector: _n, ...noSelector } = spec;
  refuses(t, object(noSelector), 'spec', /needs podSelector or namespaceSelector/, 'no selector', parsePodNetworkSelectors);
  refuses(
    t,
    object({ ...spec, namespaceSelector: { matchLabels: { 'a b': 'c' } } }),
    'spec.namespaceSelector.matchLabels',
    /is not a label key/,
    'a bad key',
    parsePodNetworkSelectors,
  );
});

t.test('matchesSelector: Kubernetes LabelSelector semantics', async (t) => {
  const labels = { app: 'web', env: 'prod', empty: '' };
  const m = (sel: LabelSelector, l: Record<string, string> = labels) => matchesSelector(sel, l);
  t.ok(m({}), '{} matches everything');
  t.ok(m({}, {}), '{} matches no labels too');
  t.ok(m({ matchLabels: { app: 'web' } }), 'matchLabels: equal value');
  t.notOk(m({ matchLabels: { app: 'db' } }), 'matchLabels: other value');
  t.notOk(m({ matchLabels: { tier: 'x' } }), 'matchLabels: absent key');
  t.ok(m({ matchLabels: { empty: '' } }), 'matchLabels: an empty value matches an empty value');
  t.notOk(m({ matchLabels: { missing: '' } }), 'matchLabels: an empty value does not match an absent key');
  t.notOk(m({ matchLabels: { app: 'web', env: 'dev' } }), 'matchLabels: every pair must hold');
  t.notOk(m({ matchLabels: { toString: '' } }, {}), 'inherited object properties are not labels');

  const e = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', key: string, values?: string[]) =>
    m({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
  t.ok(e('In', 'env', ['dev', 'prod']), 'In: value listed');
  t.notOk(e('In', 'env', ['dev']), 'In: value not listed');
  t.notOk(e('In', 'tier', ['dev']), 'In: absent key');
  t.ok(e('NotIn', 'env', ['dev']), 'NotIn: value not listed');
  t.notOk(e('NotIn', 'env', ['prod']), 'NotIn: value listed');
  t.ok(e('NotIn', 'tier', ['prod']), 'NotIn: absent key matches');
  t.ok(e('Exists', 'app'), 'Exists: present');
  t.ok(e('Exists', 'empty'), 'Exists: present with an empty value');
  t.notOk(e('Exists', 'tier'), 'Exists: absent');
  t.ok(e('DoesNotExist', 'tier'), 'DoesNotExist: absent');
  t.notOk(e('DoesNotExist', 'app'), 'DoesNotExist: present');
  t.ok(e('DoesNotExist', 'constructor'), 'DoesNotExist: inherited object properties are not labels (absent)');
  t.notOk(e('Exists', 'constructor'), 'Exists: nor present');

  const both: LabelSelector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod'] },
      { key: 'canary', operator: 'DoesNotExist' },
    ],
  };
  t.ok(m(both), 'matchLabels and every expression hold');
  t.notOk(m(both, { ...labels, canary: 'yes' }), 'one expression failing fails the selector');
});
