// gc in a tight loop (--watch, every ~0.3 s, grace 0) beside the real pool
// keeper (--watch) while two workers add and delete pods through the real
// CNI, in the orders a kubelet may use — including a Pod object that shows up
// only after the ADD, or is deleted well before the DEL (so only the live
// netns protects the allocation) — and now and then "crash" a pod (its netns
// and Pod object vanish without a DEL). Throughout, a checker asserts
// that every live pod keeps its allocation, that the cloud still routes its
// IP to an attached ENI of the node, and that the pod reaches the VPC. At the
// end: no violation, nothing gc removed belonged to a live pod, and every
// crashed pod's allocation was released by gc.
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { openStore } from '@cello/cello-ipam';
import { bin, waitFor } from '@cello/testkit';
import type { SweepReport } from '../src/index.ts';
import { gcSim, type Pod } from './helpers.ts';

const WORKLOAD_MS = 25_000;
/** A lag of up to 0.6 s (two gc sweeps) between the kubelet's steps. */
const pause = () => new Promise((r) => setTimeout(r, Math.random() * 600));
const MAX_LIVE = 6;

t.test('gc in a loop never touches what live pods use', async (t) => {
  const g = await gcSim(1);
  t.teardown(() => g.down());
  g.writeConfig('node1', { poolTarget: 3, poolTargetMin: 4 });
  t.equal((await g.keeper('node1')).code, 0, 'the pool is filled');
  const keeper = g.spawnKeeper('node1', ['--watch']);
  const gc = g.sim.spawn('node1', [bin('cello-gc'), 'node', '--watch', '--interval', '0.3', '--grace', '0', '--unknown-ips', 'unassign', '-o', 'json']);
  const reports: SweepReport[] = [];
  createInterface({ input: gc.stdout! }).on('line', (line) => reports.push(JSON.parse(line) as SweepReport));
  t.teardown(() => Promise.all([stop(gc), stop(keeper)]));

  const live = new Map<string, Pod>();
  /** Checked like live pods but not for a worker to pick: set up with no Pod object yet, or Pod object gone before the DEL. */
  const settling = new Map<string, Pod>();
  const crashed = new Set<string>();
  const violations: string[] = [];
  let adds = 0;
  let dels = 0;
  let failedAdds = 0;

  const addOne = async (n: number) => {
    const pod = await g.newPod('node1', `w${n}-${adds}`);
    const objectFirst = Math.random() < 0.6; // the Pod object usually exists first; gc's view of it may lag
    if (objectFirst) await g.createPodObject('node1', pod);
    const r = await g.cni('node1', 'ADD', pod);
    adds++;
    if (r.code !== 0) {
      failedAdds++;
      await g.cni('node1', 'DEL', pod);
      await g.removeNetns(pod);
      await g.deletePodObject(pod);
      return;
    }
    if (!objectFirst) {
      // The Pod object lags the sandbox: checked meanwhile, but not deleted or crashed by the other
      // worker until the object exists (a crash in between would leave an object for a pod without a
      // sandbox, which gc rightly keeps).
      settling.set(pod.containerId, pod);
      await pause();
      await g.createPodObject('node1', pod);
      settling.delete(pod.containerId);
    }
    live.set(pod.containerId, pod);
  };
  const deleteOne = async () => {
    const pod = [...live.values()][Math.floor(Math.random() * live.size)]!;
    live.delete(pod.containerId);
    const crash = Math.random() < 0.15;
    if (crash) {
      crashed.add(pod.containerId);
      await g.removeNetns(pod);
      await g.deletePodObject(pod);
      return;
    }
    dels++;
    if (Math.random() < 0.5) {
      await g.cni('node1', 'DEL', pod);
      await g.removeNetns(pod);
      await g.deletePodObject(pod);
    } else {
      // The Pod object is gone while the sandbox still lives (until the kubelet's DEL): still in use,
      // so checked, but not for the other worker to pick (its crash would race this DEL).
      settling.set(pod.containerId, pod);
      await g.deletePodObject(pod);
      await pause();
      settling.delete(pod.containerId);
      await g.cni('node1', 'DEL', pod);
      await g.removeNetns(pod);
    }
  };
  const worker = async (n: number, until: number) => {
    while (Date.now() < until) {
      if (live.size < 2 || (live.size < MAX_LIVE && Math.random() < 0.55)) await addOne(n);
      else await deleteOne();
    }
  };

  const check = async (pod: Pod) => {
    const problems: string[] = [];
    const store = openStore({ stateDir: g.stateDir('node1') });
    const a = store.allocation({ network: 'cello', containerId: pod.containerId, ifname: 'eth0' });
    store.close();
    if (a?.ipv4 !== pod.ip) problems.push(`allocation is ${a ? a.ipv4 : 'gone'}`);
    const state = await g.state();
    const eni = state.enis.find((e) => [e.primaryIp, ...e.secondaryIps].includes(pod.ip!));
    if (eni?.status !== 'InUse' || eni.instanceId !== g.instanceId('node1'))
      problems.push(`the cloud has ${pod.ip} on ${eni ? `${eni.id} ${eni.status}` : 'no ENI'}`);
    try {
      if ((await g.reach(pod)) !== g.instanceId('node1')) problems.push('the metadata service answered for another instance');
    } catch (err) {
      problems.push((err as Error).message);
    }
    // Only a pod still live after the check counts (a worker may have started deleting it meanwhile).
    if (problems.length && (live.has(pod.containerId) || settling.has(pod.containerId))) violations.push(`${pod.name} ${pod.ip}: ${problems.join('; ')}`);
  };
  let checks = 0;
  const checker = async (until: number) => {
    while (Date.now() < until) {
      for (const pod of [...live.values(), ...settling.values()]) {
        await check(pod);
        checks++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const end = Date.now() + WORKLOAD_MS;
  await Promise.all([worker(1, end), worker(2, end), checker(end)]);
  for (const pod of [...live.values()]) await check(pod);

  // Every crashed pod's allocation is released by gc.
  const held = () => {
    const store = openStore({ stateDir: g.stateDir('node1') });
    try {
      return new Set(store.allocations().map((a) => a.containerId));
    } finally {
      store.close();
    }
  };
  const allReleased = await waitFor(() => [...crashed].every((id) => !held().has(id)), {
    what: 'gc to release the crashed pods',
    timeoutMs: 15_000,
    everyMs: 200,
  }).then(
    () => true,
    () => false,
  );
  // The sweep that released the last one reports at its end: wait for two more reports before counting fixes.
  const reported = reports.length;
  await waitFor(() => reports.length >= reported + 2, { what: 'two more gc sweeps to report', timeoutMs: 15_000, everyMs: 100 }).catch(() => {});

  const fixed = reports.flatMap((r) => r.findings.filter((f) => f.outcome === 'fixed'));
  const fixedAllocs = fixed.filter((f) => f.kind === 'allocation').map((f) => f.id.split(' ')[0]!.split('/')[1]!);
  t.comment(
    `${adds} ADDs (${failedAdds} failed: pool empty), ${dels} DELs, ${crashed.size} crashes, ${checks} live-pod checks, ${reports.length} gc sweeps, ${fixed.length} fixes`,
  );
  t.same(violations, [], 'no live pod lost its allocation, its cloud IP or its connectivity');
  t.same(
    fixedAllocs.filter((id) => !crashed.has(id)),
    [],
    'gc released only allocations of crashed pods',
  );
  t.same(
    fixed.filter((f) => f.kind !== 'allocation'),
    [],
    'and removed nothing else (no host object, ENI or IP of a live pod)',
  );
  const unfixed = [...crashed].filter((id) => !fixedAllocs.includes(id));
  const stillHeld = [...held()].filter((id) => crashed.has(id));
  t.ok(
    crashed.size > 0 && allReleased && fixedAllocs.length === crashed.size,
    `gc released every crashed pod (${crashed.size}); not reported fixed: [${unfixed}], still held: [${stillHeld}]`,
  );
  t.same(
    reports.flatMap((r) => r.errors),
    [],
    'no sweep step failed',
  );
  t.ok(checks > 20, 'the checker ran throughout');

  for (const pod of [...live.values()]) {
    await g.cni('node1', 'DEL', pod);
    await g.removeNetns(pod);
  }
});

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
