// The decisions, case by case: when a sandbox counts as gone, which nodes
// count as the cluster's, what the cluster sweep does with each ENI, the
// runtime's attachment list, and the watch jitter.
import t from 'tap';
import type { Allocation } from '@cello/cello-ipam';
import type { CloudEni, CloudInstance } from '@cello/cello-eni';
import { membership, parseValidAttachments, planFor, sandboxVerdict, type PodFacts, type SandboxEvidence, type View } from '../src/index.ts';

const alloc = (over: Partial<Allocation> = {}): Allocation => ({
  network: 'cello',
  containerId: 'c-old',
  ifname: 'eth0',
  podNamespace: 'default',
  podName: 'web-0',
  netns: '/var/run/netns/old',
  mode: 'shared',
  ipv4: '192.168.1.11',
  eni: null,
  allocatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const pods = (...items: Array<Partial<PodFacts>>): View<PodFacts> => ({
  state: 'ok',
  items: items.map((p) => ({ namespace: 'default', name: 'web-0', phase: 'Running', ...p })),
});
const evidence = (over: Partial<SandboxEvidence> & { present?: string[] } = {}): SandboxEvidence => ({
  pods: over.pods ?? pods({}),
  runtime: over.runtime,
  netnsExists: (p) => (over.present ?? []).includes(p),
});

t.test('sandbox verdicts', async (t) => {
  const a = alloc();
  const gone = (e: SandboxEvidence, all = [a]) => sandboxVerdict(a, all, e).gone;
  t.notOk(gone(evidence({ present: [a.netns], pods: pods({ name: 'other' }) })), 'a netns that exists means alive, whatever Kubernetes says');
  t.notOk(gone(evidence()), 'netns gone but the pod is still on this node: kept (its sandbox is being re-created)');
  t.ok(gone(evidence({ pods: pods({ name: 'other' }) })), 'netns gone and the pod is not on this node: gone');
  t.ok(gone(evidence({ pods: pods({ phase: 'Succeeded' }) })), 'a finished pod does not keep it');
  t.ok(gone(evidence({ pods: { state: 'ok', items: [] } })), 'no pods on the node at all');
  t.notOk(gone(evidence({ pods: { state: 'unknown', why: 'connection refused' } })), 'Kubernetes unreachable is never "gone"');
  t.ok(gone(evidence({ pods: { state: 'off' } })), '--no-kubernetes: the netns decides');
  const newer = alloc({ containerId: 'c-new', netns: '/var/run/netns/new' });
  t.ok(gone(evidence({ present: [newer.netns] }), [a, newer]), 'the pod has a newer sandbox whose netns exists: the old one is gone');
  t.notOk(gone(evidence(), [a, alloc({ containerId: 'c-new', netns: '/var/run/netns/new' })]), 'a newer allocation whose netns is gone too proves nothing');
  t.notOk(gone(evidence({ present: [newer.netns] }), [a, { ...newer, podName: 'web-1' }]), 'a sandbox of another pod proves nothing');
  t.ok(
    gone(evidence({ pods: { state: 'unknown', why: 'x' }, runtime: new Set(['c-other/eth0']) })),
    'the runtime does not list it: gone, even with Kubernetes unreachable',
  );
  t.notOk(gone(evidence({ pods: pods({ name: 'other' }), runtime: new Set(['c-old/eth0']) })), 'the runtime lists it: alive');
  t.ok(
    sandboxVerdict(alloc({ podName: '', podNamespace: '' }), [], evidence({ pods: { state: 'unknown', why: 'x' } })).gone,
    'no pod name (outside Kubernetes): the netns decides',
  );
  t.match(sandboxVerdict(a, [a], evidence({ pods: pods({ name: 'other' }) })), {
    reason: /netns \/var\/run\/netns\/old is gone; pod default\/web-0 is not running on this node/,
  });
});

const instance = (id: string, primaryIp: string): CloudInstance => ({
  id,
  zoneId: 'z',
  vpcId: 'v',
  networkInterfaces: [{ id: `eni-p-${id}`, mac: '', type: 'primary', primaryIp }],
});
const node = (name: string, providerId: string, ip = '') => ({ name, providerId, internalIps: ip ? [ip] : [] });

t.test('cluster membership', async (t) => {
  const instances = [instance('i-aaa', '10.0.0.1'), instance('i-bbb', '10.0.0.2'), instance('i-ccc', '10.0.0.3')];
  const m = membership(instances, { state: 'ok', items: [node('n1', 'volcengine://cn-beijing-a/i-aaa'), node('n2', '', '10.0.0.2')] });
  t.same([...m.nodes!].sort(), ['i-aaa', 'i-bbb'], 'by providerID, else by the InternalIP of an instance');
  t.notOk(
    membership(instances, { state: 'ok', items: [node('n1', 'volcengine://z/i-aaa'), node('n9', '', '10.9.9.9')] }).nodes,
    'a node matching no instance: membership not trusted',
  );
  t.notOk(membership(instances, { state: 'ok', items: [] }).nodes, 'no nodes listed: not trusted');
  t.notOk(membership(instances, { state: 'unknown', why: 'timeout' }).nodes, 'Kubernetes unreachable: not trusted');
  t.equal(m.instances.size, 3);
});

const eni = (over: Partial<CloudEni>): CloudEni => ({
  id: 'eni-x',
  mac: '',
  status: 'Available',
  type: 'secondary',
  subnetId: '',
  zoneId: '',
  vpcId: '',
  primaryIp: '',
  ips: [],
  ipv6s: [],
  securityGroupIds: [],
  instanceId: '',
  tags: { 'k8s:cello:ecs-id': 'i-aaa' },
  description: '',
  createdAt: '',
  updatedAt: '',
  ...over,
});

t.test('what the cluster sweep does with each ENI', async (t) => {
  const cfg = { platform: 'kubernetes' };
  const instances = [instance('i-aaa', '10.0.0.1'), instance('i-bbb', '10.0.0.2')];
  const known = membership(instances, { state: 'ok', items: [node('n1', 'volcengine://z/i-aaa')] });
  const unknown = membership(instances, { state: 'unknown', why: 'x' });
  t.equal(planFor(cfg, eni({}), known), undefined, "a detached ENI of a live node is its node's business");
  t.match(planFor(cfg, eni({ tags: { 'k8s:cello:ecs-id': 'i-gone' } }), known), { markFirst: false, reason: /i-gone no longer exists/ });
  t.match(planFor(cfg, eni({ tags: { 'k8s:cello:ecs-id': 'i-bbb' } }), known), { markFirst: false, reason: /not a node/ });
  t.equal(planFor(cfg, eni({ tags: { 'k8s:cello:ecs-id': 'i-bbb' } }), unknown), undefined, 'membership unknown: only a gone instance counts');
  t.match(planFor(cfg, eni({ tags: {} }), known), { reason: /tagged for no instance/ });
  t.equal(planFor(cfg, eni({ status: 'InUse', instanceId: 'i-aaa' }), known), undefined, 'attached to a node: in use');
  t.match(planFor(cfg, eni({ status: 'InUse', instanceId: 'i-gone' }), unknown), { markFirst: false, reason: /i-gone, which no longer exists/ });
  t.match(planFor(cfg, eni({ status: 'InUse', instanceId: 'i-bbb' }), known), { markFirst: true }, 'attached to a live non-node: mark first');
  t.equal(planFor(cfg, eni({ status: 'InUse', instanceId: 'i-bbb' }), unknown), undefined);
  t.equal(planFor({ platform: 'vke' }, eni({ tags: { 'volc:vke:ecs-id': 'i-aaa' } }), known), undefined, "the vke platform's instance tag");
});

t.test("the runtime's valid attachments", async (t) => {
  const want = [{ containerId: 'c1', ifname: 'eth0' }];
  t.same(parseValidAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }), want, "CNI GC's shape");
  t.same(parseValidAttachments([{ containerID: 'c1', ifname: 'eth0' }]), want, 'the bare list');
  t.throws(() => parseValidAttachments([{ containerID: 'c1' }], 'f.json'), /f\.json\[0\]\.ifname/);
  t.throws(() => parseValidAttachments([{ ifname: 'eth0' }]), /\[0\]\.containerID/);
  t.throws(() => parseValidAttachments({ nope: 1 }), /expected a list/);
});
