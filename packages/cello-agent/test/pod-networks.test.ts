// `cello-agent pod-networks` in a vpc-sim node against the sim's Kubernetes
// API (PodNetworks served as the CRD would serve them), writing the node's
// real cello-ipam store, which the test reads from outside: --once decides
// this node's pods (not another node's, not host-network ones), skips an
// invalid PodNetwork with a node event and holds back the pod it would take;
// then the watch follows a new pod, a deleted one, a recreated one, a fixed
// PodNetwork and an edited one, and stops on SIGTERM.
import { once } from 'node:events';
import t from 'tap';
import { openStore } from '@cello/cello-ipam';
import { bin, waitFor } from '@cello/testkit';
import { NO_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { k8s } from './simnode.ts';

const NODE = 'node1';
const OTHER = 'node2';
const PN = '/apis/cello.volcengine.com/v1alpha1/podnetworks';

const podNetwork = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'cello.volcengine.com/v1alpha1',
  kind: 'PodNetwork',
  metadata: { name },
  spec: { subnets: { ids: ['subnet-a'] }, securityGroupIds: ['sg-1'], ...spec },
});

t.test('pod-networks against the sim’s API server', async (t) => {
  const sim = await withSim(t, { prefix: 'pn', config: { delaysMs: NO_DELAYS } });
  const stateDir = nodePath(sim, NODE, '/var/lib/cello');
  const decisions = () => {
    const store = openStore({ stateDir });
    try {
      return Object.fromEntries(store.podNetworkDecisions().map((d) => [`${d.podNamespace}/${d.podName}`, d]));
    } finally {
      store.close();
    }
  };
  const networks = () => {
    const store = openStore({ stateDir });
    try {
      return store.podNetworks().map((n) => n.name);
    } finally {
      store.close();
    }
  };
  const namespace = (name: string, labels: Record<string, string>) => k8s(sim, 'POST', '/api/v1/namespaces', { metadata: { name, labels } });
  const createPod = (ns: string, name: string, node: string, labels: Record<string, string> = {}, hostNetwork = false) =>
    k8s(sim, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name, namespace: ns, labels },
      spec: { nodeName: node, hostNetwork, containers: [{ name: 'c', image: 'x' }] },
    });
  const uidOf = async (ns: string, name: string) => (await k8s(sim, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).metadata.uid as string;

  await namespace('blue', { team: 'blue' });
  await namespace('plain', {});
  await namespace('red', { team: 'red' });
  await k8s(sim, 'POST', PN, podNetwork('blue', { namespaceSelector: { matchLabels: { team: 'blue' } } }));
  await k8s(sim, 'POST', PN, podNetwork('web', { podSelector: { matchLabels: { app: 'web' } }, mode: 'exclusive' }));
  await k8s(
    sim,
    'POST',
    PN,
    podNetwork('red', { namespaceSelector: { matchLabels: { team: 'red' } }, securityGroupIds: ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5', 'sg-6'] }),
  );
  await createPod('blue', 'a', NODE);
  await createPod('plain', 'web-0', NODE, { app: 'web' });
  await createPod('plain', 'other', NODE);
  await createPod('plain', 'elsewhere', OTHER, { app: 'web' });
  await createPod('plain', 'host', NODE, {}, true);
  await createPod('red', 'r', NODE);

  await t.test('--once: this node’s pods decided, the invalid PodNetwork skipped and reported', async (t) => {
    const r = await sim.exec(NODE, [process.execPath, bin('cello-agent'), 'pod-networks', '--once', '--output', 'json']);
    t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(-500)})`);
    const report = JSON.parse(r.stdout);
    t.same(report.networks, ['blue', 'web'], 'the valid PodNetworks');
    t.same(report.invalid, [{ name: 'red', error: 'spec.securityGroupIds: at most 5' }], 'the invalid one, with the field');
    t.same(networks(), ['blue', 'web'], 'recorded in the node’s store');
    const d = decisions();
    t.same(Object.keys(d).sort(), ['blue/a', 'plain/other', 'plain/web-0'], 'only this node’s pods, no host-network pod, not the held one');
    t.match(d['blue/a'], { network: 'blue', reason: 'matched podnetwork blue by namespaceSelector', podUid: await uidOf('blue', 'a') });
    t.match(d['plain/web-0'], { network: 'web', reason: 'matched podnetwork web by podSelector' });
    t.match(d['plain/other'], { network: '', reason: 'no podnetwork matched' });
    t.match(
      report.held,
      [{ podNamespace: 'red', podName: 'r', reason: /^podnetwork red matches by namespaceSelector but is invalid/ }],
      'the pod red would take waits',
    );
    t.match(r.stderr, /podnetwork red is invalid and skipped: spec.securityGroupIds: at most 5/, 'a warning in the log');
    const events = (await k8s(sim, 'GET', '/api/v1/namespaces/default/events')).items as any[];
    const ev = events.find((e) => e.reason === 'PodNetworkInvalid');
    t.match(
      ev,
      { type: 'Warning', involvedObject: { kind: 'Node', name: NODE }, message: 'podnetwork red is invalid and skipped: spec.securityGroupIds: at most 5' },
      'an event on the node',
    );

    const again = JSON.parse((await sim.exec(NODE, [process.execPath, bin('cello-agent'), 'pod-networks', '--once', '--output', 'json'])).stdout);
    t.equal(again.kept, 3, 'a second pass keeps every decision');
    t.same(again.decided, []);
    t.equal(again.networksChanged, false, 'and leaves the list alone');
  });

  await t.test('the watch follows pods, namespaces and PodNetworks', async (t) => {
    const child = sim.spawn(NODE, [process.execPath, bin('cello-agent'), 'pod-networks']);
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    child.stdout!.resume();
    const exited = once(child, 'exit');
    t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));

    await createPod('blue', 'b', NODE);
    const b = await waitFor(() => decisions()['blue/b'], { what: 'the new pod blue/b decided' });
    t.match(b, { network: 'blue', podUid: await uidOf('blue', 'b') }, 'a new pod is decided');

    await k8s(sim, 'DELETE', '/api/v1/namespaces/plain/pods/other');
    await waitFor(() => !decisions()['plain/other'], { what: 'the deleted pod forgotten' });
    t.pass('a deleted pod is forgotten');

    const oldUid = await uidOf('blue', 'a');
    await k8s(sim, 'DELETE', '/api/v1/namespaces/blue/pods/a');
    await createPod('blue', 'a', NODE);
    const newUid = await uidOf('blue', 'a');
    const a = await waitFor(() => (decisions()['blue/a']?.podUid === newUid ? decisions()['blue/a'] : undefined), { what: 'the recreated pod decided again' });
    t.not(newUid, oldUid);
    t.equal(a.network, 'blue', 'a recreated pod is decided again');

    await k8s(sim, 'PUT', `${PN}/red`, {
      ...(await k8s(sim, 'GET', `${PN}/red`)),
      spec: podNetwork('red', { namespaceSelector: { matchLabels: { team: 'red' } } }).spec,
    });
    const r = await waitFor(() => decisions()['red/r'], { what: 'the held pod decided once red is fixed' });
    t.match(r, { network: 'red', reason: 'matched podnetwork red by namespaceSelector' }, 'fixed, red takes the pod that waited');
    t.same(networks(), ['blue', 'red', 'web']);

    await k8s(sim, 'PATCH', `${PN}/blue`, { spec: { namespaceSelector: { matchLabels: { team: 'nobody' } } } }, 'application/merge-patch+json');
    await k8s(sim, 'PATCH', '/api/v1/namespaces/plain', { metadata: { labels: { team: 'blue' } } }, 'application/merge-patch+json');
    await k8s(sim, 'PATCH', '/api/v1/namespaces/blue', { metadata: { labels: { team: 'nobody' } } }, 'application/merge-patch+json');
    await createPod('plain', 'later', NODE);
    await createPod('blue', 'c', NODE);
    await waitFor(() => decisions()['plain/later'] && decisions()['blue/c'], { what: 'two pods made after the edits decided' });
    t.match(decisions()['blue/c'], { network: 'blue' }, 'a new pod follows the edited selector and the namespace’s new labels');
    t.match(decisions()['plain/later'], { network: '' }, 'a namespace that now has the label blue no longer selects is not taken');
    t.match(decisions()['blue/a'], { network: 'blue', podUid: newUid }, 'the running pod kept its network through the edits');

    await k8s(sim, 'DELETE', `${PN}/web`);
    await waitFor(() => !networks().includes('web'), { what: 'web gone from the store' });
    t.match(decisions()['plain/web-0'], { network: 'web' }, 'a network deleted under a running pod: the pod keeps its decision');

    child.kill('SIGTERM');
    const [code] = await exited;
    t.equal(code, 0, `SIGTERM stops it cleanly (stderr: ${stderr.slice(-500)})`);
    t.match(stderr, /"msg":"pod network decided"/, 'decisions are logged');
  });
});
