// What keeps the node sweep from removing too much, on vpc-sim: the grace
// period counted from when gc first saw a leak (kept across runs), the pod
// lock of a CNI call in flight, an unreachable Kubernetes API (never "gone"),
// the runtime's valid attachments, and the exit code when a step fails.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@cello/cello-ipam';
import { bin, tempDir } from '@cello/testkit';
import type { SweepReport } from '../src/index.ts';
import { createClusterEni, gcSim, type Pod } from './helpers.ts';

const LOCK_HOLDER = fileURLToPath(new URL('../../cli-kit/test/fixtures/lock-holder.ts', import.meta.url));

t.test('node sweep safety', async (t) => {
  const g = await gcSim(1);
  t.teardown(() => g.down());
  g.writeConfig('node1');
  t.equal((await g.keeper('node1')).code, 0, 'the pool is filled');
  const dir = tempDir('cello-gc-safety-');
  t.teardown(() => dir.remove());

  const leak = async (name: string, opts: { keepPodObject?: boolean } = {}): Promise<Pod> => {
    const pod = await g.newPod('node1', name);
    await g.createPodObject('node1', pod);
    t.equal((await g.cni('node1', 'ADD', pod)).code, 0, `ADD ${name}`);
    await g.removeNetns(pod);
    if (!opts.keepPodObject) await g.deletePodObject(pod);
    return pod;
  };
  const known = (eniId: string) => {
    const store = openStore({ stateDir: g.stateDir('node1') });
    try {
      return store.enis().some((e) => e.id === eniId);
    } finally {
      store.close();
    }
  };
  const held = (pod: Pod) => g.allocations('node1').some((a) => a.containerId === pod.containerId);
  const findingOf = (r: SweepReport, pod: Pod) => r.findings.find((f) => f.id.includes(pod.containerId));
  /** A process on node1 holding a node lock the way every cello process takes one (cli-kit), in the node's state dir. */
  const holdLock = (name: string) => g.sim.spawn('node1', [process.execPath, '--import', import.meta.resolve('tsx'), LOCK_HOLDER, '/var/lib/cello', name]);

  await t.test('the grace period runs from when gc first saw the leak, across runs', async (t) => {
    const pod = await leak('graced');
    const first = await g.gc('node1', ['node', '--grace', '60', '--no-cloud']);
    t.match(findingOf(first.report, pod), { kind: 'allocation', outcome: 'waiting' }, 'first seen: waiting');
    const table = join(g.stateDir('node1'), 'gc-first-seen.json');
    t.ok(existsSync(table) && readFileSync(table, 'utf8').includes(pod.containerId), 'first-seen time kept in the state dir');
    const second = await g.gc('node1', ['node', '--grace', '60', '--no-cloud']);
    t.equal(findingOf(second.report, pod)?.since, findingOf(first.report, pod)?.since, 'the second run counts from the first sighting');
    t.ok(held(pod), 'still allocated inside the grace');
    const later = new Date(Date.now() + 61_000).toISOString(); // a minute on, without waiting for it
    const third = await g.gc('node1', ['node', '--grace', '60', '--no-cloud', '--now', later]);
    t.equal(third.report.asOf, later, 'the report says which time it judged by');
    t.match(findingOf(third.report, pod), { outcome: 'fixed' }, 'released once the grace is over');
    t.notOk(held(pod));
    t.notOk(readFileSync(table, 'utf8').includes(pod.containerId), 'and forgotten by the first-seen table');
  });

  await t.test('never while a CNI call for the pod holds its lock', async (t) => {
    const pod = await leak('locked');
    const holder = holdLock(`pod/${pod.namespace}/${pod.name}`);
    t.teardown(() => void holder.kill('SIGKILL'));
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    const busy = await g.gc('node1', ['node', '--grace', '0', '--no-cloud']);
    t.match(findingOf(busy.report, pod), { outcome: 'skipped', note: /CNI call for pod\/default\/locked is in flight/ });
    t.equal(busy.code, 0, 'skipping is not a failure');
    t.ok(held(pod));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const free = await g.gc('node1', ['node', '--grace', '0', '--no-cloud']);
    t.match(findingOf(free.report, pod), { outcome: 'fixed' }, 'released once the lock is gone');
  });

  await t.test('Kubernetes unreachable is "unknown", never "gone"; the runtime can still decide', async (t) => {
    const pod = await leak('orphan-of-unknown', { keepPodObject: false });
    const kubeconfig = join(dir.path, 'unreachable.kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: x, cluster: {server: "http://127.0.0.1:9"}}]',
        'users: [{name: x, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: x, user: x}}]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const blind = await g.gc('node1', ['node', '--grace', '0', '--no-cloud', '--kubeconfig', kubeconfig]);
    t.match(blind.report.sources.kubernetes, /^unknown/, 'the report says Kubernetes could not be asked');
    t.match(findingOf(blind.report, pod), { outcome: 'skipped', reason: /Kubernetes is unreachable/ });
    t.ok(held(pod), 'kept');
    const attachments = join(dir.path, 'valid.json');
    writeFileSync(attachments, JSON.stringify({ 'cni.dev/valid-attachments': [] }));
    t.equal(existsSync(attachments), true);
    const told = await g.gc('node1', ['node', '--grace', '0', '--no-cloud', '--kubeconfig', kubeconfig, '--valid-attachments', attachments]);
    t.match(findingOf(told.report, pod), { outcome: 'fixed', reason: /the runtime does not list the attachment/ });
    t.notOk(held(pod));
  });

  await t.test('a step that cannot run makes the run exit 1; the other steps still run', async (t) => {
    const pod = await leak('with-broken-cloud');
    g.writeConfig('node1', { openApiAddress: 'http://127.0.0.1:9', backoff: { describe: { steps: 1, initialMs: 1 } } });
    t.teardown(() => g.writeConfig('node1'));
    const r = await g.gc('node1', ['node', '--grace', '0']);
    t.equal(r.code, 1, 'exit 1');
    t.match(r.report.errors, [/^cloud: /], 'the cloud step is reported as failed');
    t.match(findingOf(r.report, pod), { outcome: 'fixed' }, 'the sandbox step still ran');
  });

  await t.test('an ENI attached moments ago is left to a running keeper; adopted once none runs', async (t) => {
    // A keeper between its attach and its bring-up looks, to gc, like an attached ENI cello-ipam does not know.
    const me = g.instanceId('node1');
    const eni = (await g.state()).enis.find((e) => e.instanceId === me && e.type !== 'primary')!;
    const id = await createClusterEni(g.sim, { instanceId: me, subnetId: eni.subnetId });
    await g.sim.api('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: me });
    const ofIt = (r: SweepReport) => r.findings.find((f) => f.id === id);

    const keeper = holdLock('keeper');
    await new Promise<void>((resolve) => keeper.stdout!.once('data', () => resolve()));
    const beside = await g.gc('node1', ['node', '--grace', '0']);
    t.equal(beside.report.sources.keeper, 'running');
    t.match(ofIt(beside.report), { kind: 'eni-unknown', outcome: 'skipped', note: /pool keeper running here brings it up/ });
    t.notOk(known(id), 'cello-ipam still does not know it');
    keeper.kill('SIGKILL');
    await new Promise((r) => keeper.once('exit', r));

    const alone = await g.gc('node1', ['node', '--grace', '0']);
    t.equal(alone.report.sources.keeper, 'not running');
    t.match(ofIt(alone.report), { kind: 'eni-unknown', outcome: 'fixed' }, 'with no keeper, gc adopts it');
    t.ok(known(id), 'cello-ipam knows it now');
  });

  await t.test('one node sweep at a time', async (t) => {
    const holder = holdLock('gc-node');
    t.teardown(() => void holder.kill('SIGKILL'));
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    const r = await g.sim.exec('node1', [bin('cello-gc'), 'node', '--no-cloud']);
    t.equal(r.code, 1);
    t.match(r.stderr, /another cello-gc node sweep is running/);
  });
});
