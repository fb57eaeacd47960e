// The cluster sweep's careful case, on vpc-sim: an instance that still runs
// but is no longer a node of the cluster. Its attached ENI is first only
// marked (a tag in the cloud, so the grace survives anything local); a node
// that comes back loses the mark; one that stays gone loses its ENI (detached,
// then deleted) a grace period after the mark. Without a trustworthy node list
// nothing is judged by membership.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@cello/testkit';
import { ORPHAN_MARK_TAG, type SweepReport } from '../src/index.ts';
import { gcSim } from './helpers.ts';

t.test('an instance that is not a node: mark, unmark, then reclaim', async (t) => {
  const g = await gcSim(2);
  t.teardown(() => g.down());
  for (const n of ['node1', 'node2']) {
    g.writeConfig(n);
    t.equal((await g.keeper(n)).code, 0, `${n}: pool filled`);
  }
  const node2 = g.sim.info.nodes.find((n) => n.name === 'node2')!;
  const enisOf = async (instanceId: string) => (await g.state()).enis.filter((e) => e.instanceId === instanceId && e.type !== 'primary');
  const [eni2] = await enisOf(node2.instanceId);
  const [eni1] = await enisOf(g.instanceId('node1'));
  t.ok(eni1 && eni2, 'each node has a secondary ENI');
  const markOf = async () => (await g.state()).enis.find((e) => e.id === eni2!.id)?.tags.find((tag) => tag.Key === ORPHAN_MARK_TAG)?.Value;
  const sweep = async (...extra: string[]) => {
    const r = await g.gc('node1', ['cluster', '--grace', '60', ...extra]);
    t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.stderr.slice(-600));
    return r.report;
  };
  const only = (r: SweepReport) => r.findings.map((f) => `${f.id} ${f.outcome}`);

  t.same(only(await sweep()), [], 'every instance is a node: nothing to do');
  await g.sim.control.k8s('DELETE', '/api/v1/nodes/node2');

  const blind = await sweep('--no-kubernetes');
  t.same(only(blind), [], 'without Kubernetes, an existing instance is never judged');
  const dir = tempDir('cello-gc-cluster-');
  t.teardown(() => dir.remove());
  const kubeconfig = join(dir.path, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "http://127.0.0.1:9"}}]\nusers: [{name: x, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\ncurrent-context: x\n',
  );
  const unreachable = await sweep('--kubeconfig', kubeconfig);
  t.same(only(unreachable), [], 'with Kubernetes unreachable, neither');
  t.match(unreachable.sources.kubernetes, /^unknown/);

  const dry = await sweep('--dry-run');
  t.same(only(dry), [`${eni2!.id} waiting`], 'dry run: reported, not marked');
  t.equal(await markOf(), undefined);

  const marked = await sweep();
  t.same(only(marked), [`${eni2!.id} waiting`], 'node2 is gone from Kubernetes: its ENI is only marked');
  t.match(marked.findings[0], { kind: 'eni-orphaned', action: 'detach+delete', reason: /not a node of the cluster/ });
  t.ok(await markOf(), 'the mark is a tag on the ENI');

  await g.sim.control.k8s('POST', '/api/v1/nodes', { metadata: { name: 'node2' }, spec: { providerID: `volcengine://${node2.zone}/${node2.instanceId}` } });
  t.same(only(await sweep()), [], 'node2 is back');
  t.equal(await markOf(), undefined, 'and its ENI lost the mark');

  await g.sim.control.k8s('DELETE', '/api/v1/nodes/node2');
  t.same(only(await sweep()), [`${eni2!.id} waiting`], 'gone again: marked again');
  const again = await sweep();
  t.same(only(again), [`${eni2!.id} waiting`], 'inside the grace: still waiting');
  const reclaimed = await sweep('--now', new Date(Date.now() + 61_000).toISOString()); // a minute on, without waiting for it
  t.same(only(reclaimed), [`${eni2!.id} fixed`], 'a grace period after the mark: detached and deleted');
  t.same(
    (await enisOf(node2.instanceId)).map((e) => e.id),
    [],
    'node2 has no secondary ENI left',
  );
  t.ok(
    (await g.state()).enis.some((e) => e.id === eni1!.id && e.status === 'InUse'),
    "node1's ENI is untouched",
  );
  t.ok((reclaimed.calls?.DetachNetworkInterface ?? 0) >= 1 && (reclaimed.calls?.DeleteNetworkInterface ?? 0) >= 1, 'it took a detach and a delete');
  t.same(only(await sweep()), [], 'nothing left to find');
});
