// The three places that say what a PodNetwork is agree: the CRD's schema
// (manifests/crds/podnetworks.yaml, what the API server enforces), the
// parser (@cello/records' parsePodNetwork, what the agent and the CNI
// accept) and docs/podnetworks.md (its field table and its examples).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { DURATION, MAX_SECURITY_GROUPS, parsePodNetwork, POD_NETWORK_RESOURCE, type PodNetworkError } from '@cello/records';
import { repoRoot } from '@cello/testkit';

const crd = parse(readFileSync(join(repoRoot, 'manifests', 'crds', 'podnetworks.yaml'), 'utf8'));
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;
const spec = schema.properties.spec;
const doc = readFileSync(join(repoRoot, 'docs', 'podnetworks.md'), 'utf8');

/** The spec fields the parser knows, as its refusal of an unknown one lists them. */
function parserSpecFields(): string[] {
  try {
    parsePodNetwork({ metadata: { name: 'x' }, spec: { bogus: 1 } });
  } catch (err) {
    const m = /\(known: ([^)]*)\)/.exec((err as PodNetworkError).problem);
    if (m) return m[1]!.split(', ').sort();
  }
  throw new Error('the parser did not list the fields it knows');
}

t.test('the resource: group, version, kind, plural, cluster scope, a status subresource', async (t) => {
  const { group, version: v, kind, plural } = POD_NETWORK_RESOURCE;
  t.equal(crd.metadata.name, `${plural}.${group}`);
  t.match(crd.spec, { group, scope: 'Cluster', names: { kind, plural, singular: kind.toLowerCase() } });
  t.equal(crd.spec.versions.length, 1);
  t.match(version, { name: v, served: true, storage: true, subresources: { status: {} } });
});

t.test('the same spec fields in the schema, the parser and the docs’ table', async (t) => {
  const inSchema = Object.keys(spec.properties).sort();
  t.same(parserSpecFields(), inSchema, 'the parser refuses exactly what the schema does not declare');
  const inTable = [...doc.matchAll(/^\| `spec\.(\w+)` \|/gm)].map((m) => m[1]!).sort();
  t.same(inTable, inSchema, 'docs/podnetworks.md has a row per field');
  t.same([...spec.required].sort(), ['securityGroupIds', 'subnets'], 'subnets and securityGroupIds are required');
  t.match(spec['x-kubernetes-validations'], [{ rule: 'has(self.podSelector) || has(self.namespaceSelector)' }], 'at least one selector');
});

t.test('the same limits', async (t) => {
  const sgs = spec.properties.securityGroupIds;
  t.match(sgs, { minItems: 1, maxItems: MAX_SECURITY_GROUPS, 'x-kubernetes-list-type': 'set' }, `securityGroupIds: 1 to ${MAX_SECURITY_GROUPS}, each once`);
  t.match(spec.properties.subnets, { properties: { ids: { minItems: 1, 'x-kubernetes-list-type': 'set' }, tags: { minProperties: 1 } } });
  t.match(spec.properties.subnets['x-kubernetes-validations'], [{ rule: 'has(self.ids) || has(self.tags)' }]);
  t.match(spec.properties.mode, { enum: ['shared', 'exclusive'], default: 'shared' });
  const allocation = spec.properties.allocation;
  t.match(allocation, { default: { type: 'Elastic' }, properties: { type: { enum: ['Elastic', 'Fixed'], default: 'Elastic' } } });
  t.equal(allocation.properties.releaseAfter.pattern, DURATION.source, 'releaseAfter: the parser’s duration pattern');
  for (const sel of ['podSelector', 'namespaceSelector']) {
    const expr = spec.properties[sel].properties.matchExpressions.items;
    t.same(expr.properties.operator.enum, ['In', 'NotIn', 'Exists', 'DoesNotExist'], `${sel}: the four operators`);
    t.same(expr.required, ['key', 'operator']);
  }
  for (const col of version.additionalPrinterColumns.filter((c: { jsonPath: string }) => c.jsonPath.startsWith('.spec.'))) {
    let at = schema;
    for (const part of col.jsonPath.split('.').slice(1)) at = at?.properties?.[part];
    t.ok(at, `printer column ${col.name}: ${col.jsonPath} is a field`);
  }
});

t.test('the docs’ examples are PodNetworks the parser accepts', async (t) => {
  const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .flatMap((m) => parseAllDocuments(m[1]!).map((d) => d.toJS()))
    .filter((o) => o?.kind === 'PodNetwork');
  t.ok(examples.length >= 2, `${examples.length} examples`);
  for (const ex of examples) t.doesNotThrow(() => parsePodNetwork(ex), `${ex.metadata.name} parses`);
  t.match(parsePodNetwork(examples.find((e) => e.metadata.name === 'databases')).spec.allocation, { type: 'Fixed', releaseAfterSec: 86400 });
});
