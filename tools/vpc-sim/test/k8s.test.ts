// The sim's Kubernetes API driven by an unmodified @kubernetes/client-node:
// nodes (get/list/patch incl. status, three patch types), pods (create,
// delete, list and watch by spec.nodeName), configmaps (get/watch/update with
// optimistic concurrency), events, and watch resumption from a resourceVersion.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '@cello/cli-kit';
import { createKubernetes } from '../src/k8s/server.ts';
import { seedKubernetes } from '../src/k8s/seed.ts';
import { K8sStore } from '../src/k8s/store.ts';
import { inProcessCloud } from './inproc.ts';

async function kubeServer() {
  const cloud = await inProcessCloud();
  const store = new K8sStore();
  seedKubernetes(store, cloud.cloud);
  const api = createKubernetes(store, cloud.world.kubeToken, createLogger({ component: 'test-k8s', level: 'error' }));
  const server = createServer(api.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: url, skipTLSVerify: true }],
    users: [{ name: 'admin', token: cloud.world.kubeToken }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'admin' }],
    currentContext: 'sim',
  });
  return {
    kc,
    url,
    cloud,
    close: async () => {
      api.closeWatches();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await cloud.close();
    },
  };
}

/** Collect watch events until `done(events)` says so. */
/** Watch `path` until `done` says so. `started` resolves once the server answered the watch: from then on no event is missed. */
function collect(kc: k8s.KubeConfig, path: string, query: Record<string, string>, done: (ev: Array<[string, string]>) => boolean) {
  const events: Array<[string, string]> = [];
  let controller: AbortController | undefined;
  let started!: Promise<unknown>;
  const finished = new Promise<Array<[string, string]>>((resolve, reject) => {
    started = new k8s.Watch(kc)
      .watch(
        path,
        query,
        (type, obj) => {
          events.push([type, obj?.metadata?.name ?? obj?.message]);
          if (done(events)) resolve(events);
        },
        (err) => (err ? reject(err) : resolve(events)),
      )
      .then((c) => (controller = c), reject);
  });
  return { started, finished, stop: () => controller?.abort() };
}

t.test('Kubernetes API with @kubernetes/client-node', async (t) => {
  const s = await kubeServer();
  t.teardown(s.close);
  const core = s.kc.makeApiClient(k8s.CoreV1Api);

  t.test('nodes: one per sim node, with the instance id', async (t) => {
    const nodes = await core.listNode();
    t.same(
      nodes.items.map((n) => n.metadata?.name),
      ['node1', 'node2'],
    );
    const n1 = await core.readNode({ name: 'node1' });
    const inst = s.cloud.world.instances[0]!;
    t.equal(n1.spec?.providerID, `volcengine://${inst.zoneId}/${inst.id}`);
    t.equal(n1.metadata?.annotations?.['vpc-sim/instance-id'], inst.id);
    t.equal(n1.metadata?.labels?.['kubernetes.io/hostname'], 'node1');
    t.equal(n1.metadata?.labels?.['node.kubernetes.io/instance-type'], inst.typeId);
    t.equal(n1.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, s.cloud.world.enis[0]!.primaryIp);
    await t.rejects(core.readNode({ name: 'node9' }), { code: 404 });
  });

  t.test('nodes: patch labels and status with each patch type', async (t) => {
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
    await core.patchNode({ name: 'node1', body: { metadata: { labels: { 'vke.volcengine.com/vpc-cni-config': 'x' } } } }, merge);
    t.equal((await core.readNode({ name: 'node1' })).metadata?.labels?.['vke.volcengine.com/vpc-cni-config'], 'x', 'merge patch');
    await core.patchNodeStatus(
      { name: 'node1', body: { status: { capacity: { 'vke.volcengine.com/eni-ip': '27' }, allocatable: { 'vke.volcengine.com/eni-ip': '27' } } } },
      merge,
    );
    const n1 = await core.readNode({ name: 'node1' });
    t.equal(n1.status?.capacity?.['vke.volcengine.com/eni-ip'], '27', 'status merge patch');
    t.equal(n1.status?.capacity?.cpu, '2', 'the rest of the status kept');
    await core.patchNodeStatus(
      { name: 'node1', body: { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'CelloReady' }] } } },
      strategic,
    );
    const conds = (await core.readNode({ name: 'node1' })).status?.conditions?.map((c) => c.type);
    t.same(conds, ['Ready', 'NetworkUnavailable'], 'strategic merge: conditions merged by type');
    await core.patchNodeStatus({ name: 'node1', body: [{ op: 'replace', path: '/status/capacity/vke.volcengine.com~1eni-ip', value: '30' }] });
    t.equal((await core.readNode({ name: 'node1' })).status?.capacity?.['vke.volcengine.com/eni-ip'], '30', 'JSON patch (the client default)');
    await core.patchNode({ name: 'node1', body: { status: { capacity: { cpu: '99' } } } }, merge);
    t.equal((await core.readNode({ name: 'node1' })).status?.capacity?.cpu, '2', 'the main resource ignores status changes');
    await t.rejects(
      core.patchNode({ name: 'node1', body: [{ op: 'test', path: '/metadata/name', value: 'other' }] }),
      { code: 422 },
      'a failing JSON patch test',
    );
  });

  t.test('pods: list and watch by spec.nodeName, create and delete', async (t) => {
    const watch = collect(s.kc, '/api/v1/pods', { fieldSelector: 'spec.nodeName=node1' }, (ev) => ev.some(([type]) => type === 'DELETED'));
    await watch.started;
    const pod = (name: string, node: string) => ({
      metadata: { name, labels: { app: 'web' } },
      spec: { nodeName: node, containers: [{ name: 'c', image: 'pause' }] },
    });
    await core.createNamespacedPod({ namespace: 'default', body: pod('p1', 'node1') });
    await core.createNamespacedPod({ namespace: 'default', body: pod('p2', 'node2') });
    await core.createNamespacedPod({ namespace: 'kube-system', body: pod('p3', 'node1') });
    await t.rejects(core.createNamespacedPod({ namespace: 'default', body: pod('p1', 'node1') }), { code: 409 }, 'AlreadyExists');
    const listed = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node1' });
    t.same(
      listed.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
      ['default/p1', 'kube-system/p3'],
    );
    t.equal(listed.items[0]!.status?.phase, 'Pending');
    t.same((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items.length, 2, 'labelSelector');
    t.same((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app in (db)' })).items.length, 0);
    const deleted = await core.deleteNamespacedPod({ name: 'p1', namespace: 'default' });
    t.equal(deleted.metadata?.name, 'p1');
    const events = await watch.finished;
    watch.stop();
    t.same(
      events,
      [
        ['ADDED', 'p1'],
        ['ADDED', 'p3'],
        ['DELETED', 'p1'],
      ],
      'only node1 pods, in order',
    );
  });

  t.test('configmaps: get, watch, update with resourceVersion conflicts', async (t) => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'cello-config' }, data: { poolTarget: '5' } } });
    const rv = cm.metadata!.resourceVersion!;
    const watch = collect(s.kc, '/api/v1/namespaces/kube-system/configmaps', { resourceVersion: rv }, (ev) => ev.length >= 1);
    const updated = await core.replaceNamespacedConfigMap({ name: 'cello-config', namespace: 'kube-system', body: { ...cm, data: { poolTarget: '8' } } });
    t.not(updated.metadata?.resourceVersion, rv);
    await t.rejects(
      core.replaceNamespacedConfigMap({ name: 'cello-config', namespace: 'kube-system', body: { ...cm, data: { poolTarget: '9' } } }),
      { code: 409 },
      'a stale resourceVersion is a Conflict',
    );
    t.same((await watch.finished)[0], ['MODIFIED', 'cello-config'], 'a watch from the create resourceVersion sees the update');
    watch.stop();
    t.equal((await core.readNamespacedConfigMap({ name: 'cello-config', namespace: 'kube-system' })).data?.poolTarget, '8');
    await t.rejects(core.readNamespacedConfigMap({ name: 'nope', namespace: 'kube-system' }), { code: 404 });
  });

  t.test('an informer lists then watches', async (t) => {
    const path = '/api/v1/namespaces/default/configmaps';
    const informer = k8s.makeInformer(s.kc, path, () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    const added = new Promise<void>((resolve) => informer.on('add', (o) => (seen.push(o.metadata!.name!), o.metadata?.name === 'late' && resolve())));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'early' } } });
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'late' } } });
    await added;
    await informer.stop();
    t.same(seen, ['early', 'late']);
  });

  t.test('events', async (t) => {
    const ev = await core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { generateName: 'node1.' },
        involvedObject: { kind: 'Node', name: 'node1' },
        reason: 'InsufficientIpInSubnet',
        message: 'subnet full',
        type: 'Warning',
      },
    });
    t.match(ev.metadata?.name, /^node1\./, 'generateName');
    const list = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=node1' });
    t.equal(list.items[0]?.reason, 'InsufficientIpInSubnet', 'listed by field selector');
  });

  t.test('watch from a too-old resourceVersion gets 410 Gone; a bad token 401', async (t) => {
    const r = await fetch(`${s.url}/api/v1/nodes?watch=true&resourceVersion=-5`, { headers: { authorization: `Bearer ${s.cloud.world.kubeToken}` } });
    const first = JSON.parse((await r.text()).split('\n')[0]!);
    t.match(first, { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const bad = await fetch(`${s.url}/api/v1/nodes`, { headers: { authorization: 'Bearer wrong' } });
    t.equal(bad.status, 401);
    const version = await (await fetch(`${s.url}/version`, { headers: { authorization: `Bearer ${s.cloud.world.kubeToken}` } })).json();
    t.match(version, { major: '1' });
    const junk = await fetch(`${s.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      body: '{nope',
      headers: { authorization: `Bearer ${s.cloud.world.kubeToken}` },
    });
    t.equal(junk.status, 400, 'a malformed body is a 400 Status, not a crash');
  });
});
