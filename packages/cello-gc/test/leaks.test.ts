// Every kind of leak, made for real on vpc-sim (three nodes running the real
// keeper, CNI and link tools), then: a --dry-run finds exactly those leaks
// and changes nothing; one real run removes exactly them and leaves the
// live pods working; a second run finds nothing.
//
//   node1: a CNI ADD SIGKILLed after its allocation (sandbox then removed),
//          a pod whose netns vanished and that got a new sandbox, an IP
//          assigned out of band, an ENI attached but never imported (the
//          keeper killed between attach and import), host objects left
//          without an allocation;
//   node2: the keeper SIGKILLed between creating an ENI and attaching it;
//   node3: its instance deleted (the cluster sweep's case).
import t, { type Test } from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '@cello/cello-ipam';
import { hostVethName } from '@cello/cello-link';
import { bin, waitFor } from '@cello/testkit';
import { createClusterEni, type GcSim, gcSim, kinds, type Pod } from './helpers.ts';

const NODE_ARGS = ['node', '--grace', '0'];

t.test('one gc run removes exactly the leaks it is given; a second finds nothing', async (t) => {
  const g = await gcSim(3);
  t.teardown(() => g.down());
  g.writeConfig('node1', { poolTarget: 2, poolTargetMin: 6 });
  g.writeConfig('node2', { poolTarget: 0, poolTargetMin: 10 });
  g.writeConfig('node3');
  for (const r of await Promise.all(['node1', 'node2', 'node3'].map((n) => g.keeper(n))))
    t.equal(r.code, 0, r.code === 0 ? 'keeper --once met its targets' : r.stderr.slice(-500));

  // Live pods that must come through untouched.
  const live: Pod[] = [];
  for (const name of ['keep-a', 'keep-b']) live.push(await addPod(t, g, 'node1', name));

  // Leak: a CNI ADD killed right after its allocation; the runtime then removed the sandbox and the pod went away.
  const killed = await g.newPod('node1', 'killed');
  await g.createPodObject('node1', killed);
  await killAddAfterAllocation(t, g, killed);
  await g.removeNetns(killed);
  await g.deletePodObject(killed);

  // Leak: a live pod's netns removed under its allocation; the kubelet made it a new sandbox.
  const old = await addPod(t, g, 'node1', 'restarted');
  await g.removeNetns(old);
  const renewed = await g.newPod('node1', 'restarted');
  t.equal((await g.cni('node1', 'ADD', renewed)).code, 0, 'the new sandbox of the same pod');
  live.push(renewed);

  // Leak: an IP the cloud assigned to node1's ENI behind cello's back.
  const eni1 = g.allocations('node1')[0]!.eni!;
  const before = new Set(ipsOf(await g.state(), eni1.id));
  t.equal((await g.sim.api('AssignPrivateIpAddresses', { NetworkInterfaceId: eni1.id, SecondaryPrivateIpAddressCount: 1 })).ResponseMetadata?.Error, undefined);
  const outOfBand = ipsOf(await g.state(), eni1.id).find((ip) => !before.has(ip))!;

  // Leak: an ENI of node1's attached to it but never imported (a keeper killed between attach and import).
  const me1 = g.instanceId('node1');
  const unknownEni = await createClusterEni(g.sim, { instanceId: me1, subnetId: eni1.subnetId! });
  await g.sim.api('AttachNetworkInterface', { NetworkInterfaceId: unknownEni, InstanceId: me1 });

  // Leak: host objects with no allocation (what a failed undo or a hand-run release leaves).
  const strayIp = freeIp(g, 'node1', eni1.id);
  const stray = await g.newPod('node1', 'stray');
  const strayAlloc = {
    network: 'cello',
    containerId: stray.containerId,
    ifname: 'eth0',
    podNamespace: 'default',
    podName: 'stray',
    netns: stray.netns,
    mode: 'shared',
    ipv4: strayIp,
    eni: eni1,
    allocatedAt: new Date().toISOString(),
  };
  const setup = await g.sim.exec('node1', [bin('cello-link'), 'setup', '--datapath', 'veth'], { input: JSON.stringify(strayAlloc) });
  t.equal(setup.code, 0, setup.stderr);

  // Leak: node2's keeper killed between creating an ENI and attaching it.
  const leakedEni = await killKeeperBetweenCreateAndAttach(t, g);

  // Leak: node3's instance deleted; its ENI is left Available.
  const node3Enis = (await g.state()).enis.filter((e) => e.instanceId === g.instanceId('node3') && e.type !== 'primary').map((e) => e.id);
  t.equal(node3Enis.length, 1, 'node3 has one secondary ENI');
  await g.sim.control.deleteInstance('node3');

  for (const p of live) t.equal(await g.reach(p), g.instanceId('node1'), `before gc: ${p.name} reaches the VPC from ${p.ip}`);

  const byContainer = new Map(g.allocations('node1').map((a) => [a.containerId, a]));
  const deadAlloc = (p: Pod) => {
    const a = byContainer.get(p.containerId);
    t.ok(a, `${p.name} (${p.containerId}) has an allocation to leak`);
    return `allocation cello/${p.containerId}/eth0 ${a?.ipv4}`;
  };
  const expected = {
    node1: [
      deadAlloc(killed),
      deadAlloc(old),
      `ip-unknown ${outOfBand} on ${eni1.id}`,
      `eni-unknown ${unknownEni}`,
      `host-link link ${hostVethName(stray.containerId, 'eth0')}`,
      `host-rule rule 512 to ${strayIp} lookup main`,
      `host-rule rule 1536 from ${strayIp} lookup ${eni1.routeTable}`,
    ].sort(),
    node2: [`eni-detached ${leakedEni}`],
    cluster: [`eni-orphaned ${node3Enis[0]}`],
  };

  const runs = {
    node1: (extra: string[]) => g.gc('node1', [...NODE_ARGS, '--unknown-ips', 'unassign', ...extra]),
    node2: (extra: string[]) => g.gc('node2', [...NODE_ARGS, ...extra]),
    cluster: (extra: string[]) => g.gc('node1', ['cluster', '--grace', '0', ...extra]),
  };

  await t.test('--dry-run reports exactly the leaks and changes nothing', async (t) => {
    const snapshot = await worldSnapshot(g);
    for (const [where, sweep] of Object.entries(runs)) {
      const { code, report } = await sweep(['--dry-run']);
      t.equal(code, 0, `${where}: exit 0`);
      t.same(kinds(report), expected[where as keyof typeof expected], `${where}: exactly the manufactured leaks`);
      t.ok(
        report.findings.every((f) => f.outcome === 'would-fix'),
        `${where}: every one would be fixed`,
      );
      t.ok(report.dryRun);
    }
    t.same(await worldSnapshot(g), snapshot, 'cloud, cello-ipam, kernel and gc state are exactly as before');
    t.notOk(existsSync(join(g.stateDir('node1'), 'gc-first-seen.json')), 'a dry run writes no first-seen table');
  });

  await t.test('one run removes exactly those leaks', async (t) => {
    for (const [where, sweep] of Object.entries(runs)) {
      const { code, report, stderr } = await sweep([]);
      t.equal(code, 0, code === 0 ? `${where}: exit 0` : `${where}: ${stderr.slice(-800)}`);
      t.same(kinds(report), expected[where as keyof typeof expected], `${where}: exactly the manufactured leaks`);
      t.same(
        report.findings.filter((f) => f.outcome !== 'fixed'),
        [],
        `${where}: all fixed`,
      );
    }
    const state = await g.state();
    t.notOk(ipsOf(state, eni1.id).includes(outOfBand), 'the out-of-band IP is back with the cloud');
    t.notOk(
      state.enis.some((e) => e.id === leakedEni || node3Enis.includes(e.id)),
      'the leaked ENIs are deleted',
    );
    t.same(
      state.enis.filter((e) => e.status === 'Available'),
      [],
      'no detached ENI is left in the VPC',
    );
    t.same(
      g
        .allocations('node1')
        .map((a) => a.containerId)
        .sort(),
      live.map((p) => p.containerId).sort(),
      'only the live pods hold allocations',
    );
    const adopted = enisIn(g, 'node1').find((e) => e.id === unknownEni);
    t.ok(adopted, 'the unknown attached ENI is now in cello-ipam');
    const kernel = JSON.parse((await g.sim.exec('node1', [bin('cello-link'), 'show', '-o', 'json'])).stdout) as {
      links: Array<{ name: string }>;
      routes: Array<{ dst: string; table: string }>;
      rules: Array<{ to?: string; from?: string }>;
    };
    t.same(kernel.links.map((l) => l.name).sort(), live.map((p) => hostVethName(p.containerId, 'eth0')).sort(), 'host veths: the live pods only');
    t.notOk(
      kernel.rules.some((r) => r.to === strayIp || r.from === strayIp),
      'the stray rules are gone',
    );
    t.ok(
      kernel.routes.some((r) => r.table === String(adopted?.routeTable) && r.dst === 'default'),
      'and brought up: its route table has its default route',
    );
    for (const p of live) t.equal(await g.reach(p), g.instanceId('node1'), `${p.name} still reaches the VPC from ${p.ip}`);
  });

  await t.test('a second run finds nothing', async (t) => {
    for (const [where, sweep] of Object.entries(runs)) {
      const { code, report } = await sweep([]);
      t.equal(code, 0);
      t.same(report.findings, [], `${where}: nothing found`);
    }
  });
});

async function addPod(t: Test, g: GcSim, node: string, name: string): Promise<Pod> {
  const pod = await g.newPod(node, name);
  await g.createPodObject(node, pod);
  const r = await g.cni(node, 'ADD', pod);
  t.equal(r.code, 0, r.code === 0 ? `ADD ${name}` : r.stderr);
  return pod;
}

/** Start an ADD and SIGKILL it the moment its allocation is committed. */
async function killAddAfterAllocation(t: Test, g: GcSim, pod: Pod): Promise<void> {
  const store = openStore({ stateDir: g.stateDir('node1') });
  const child = g.spawnCni('node1', 'ADD', pod);
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor(() => Boolean(store.allocation({ network: 'cello', containerId: pod.containerId, ifname: 'eth0' })), {
      what: 'the ADD to allocate',
      timeoutMs: 20_000,
      everyMs: 0,
    });
    child.kill('SIGKILL');
    await exited;
  } finally {
    store.close();
  }
  t.equal(child.signalCode, 'SIGKILL', 'the ADD died by SIGKILL, after allocating');
}

/** Make node2's keeper create an ENI whose attach fails, and SIGKILL it before it can roll back. */
async function killKeeperBetweenCreateAndAttach(t: Test, g: GcSim): Promise<string> {
  const me = g.instanceId('node2');
  const had = new Set((await g.state()).enis.map((e) => e.id));
  g.writeConfig('node2', { poolTarget: 0, poolTargetMin: 12 });
  await g.sim.control.addFault({ kind: 'error', action: 'AttachNetworkInterface', status: 503, times: 1000 });
  const since = (await g.sim.control.calls()).length;
  const keeper = g.spawnKeeper('node2', ['--once']);
  const exited = new Promise((r) => keeper.once('exit', r));
  let created = '';
  try {
    await waitFor(
      async () => {
        const fresh = (await g.state()).enis.find((e) => !had.has(e.id) && e.tags.some((tag) => tag.Value === me));
        const attachTried = (await g.sim.control.calls({ action: 'AttachNetworkInterface' })).length > 0 && (await g.sim.control.calls()).length > since;
        created = fresh?.status === 'Available' && attachTried ? fresh.id : '';
        return Boolean(created);
      },
      { what: 'the keeper to create an ENI and fail to attach it' },
    );
    keeper.kill('SIGKILL');
    await exited;
  } finally {
    await g.sim.control.clearFaults();
  }
  g.writeConfig('node2', { poolTarget: 0, poolTargetMin: 10 });
  const eni = (await g.state()).enis.find((e) => e.id === created);
  t.equal(eni?.status, 'Available', `the new ENI ${created} was left detached`);
  return created;
}

function ipsOf(state: Awaited<ReturnType<GcSim['state']>>, eniId: string): string[] {
  const e = state.enis.find((x) => x.id === eniId);
  return e ? [e.primaryIp, ...e.secondaryIps] : [];
}

function enisIn(g: GcSim, node: string) {
  const store = openStore({ stateDir: g.stateDir(node) });
  try {
    return store.enis();
  } finally {
    store.close();
  }
}

function freeIp(g: GcSim, node: string, eniId: string): string {
  const store = openStore({ stateDir: g.stateDir(node) });
  try {
    return store.ips().find((r) => r.eniId === eniId && r.state === 'free' && !r.primary)!.ip;
  } finally {
    store.close();
  }
}

/** Everything a sweep could change: the cloud, each node's cello-ipam and kernel, gc's own table. */
async function worldSnapshot(g: GcSim) {
  const state = await g.state();
  const nodes: Record<string, unknown> = {};
  for (const node of ['node1', 'node2']) {
    const store = openStore({ stateDir: g.stateDir(node) });
    const kernel = await g.sim.exec(node, [bin('cello-link'), 'show', '-o', 'json']);
    const table = join(g.stateDir(node), 'gc-first-seen.json');
    nodes[node] = {
      allocations: store.allocations(),
      ips: store.ips(),
      enis: store.enis(),
      kernel: JSON.parse(kernel.stdout),
      firstSeen: existsSync(table) ? readFileSync(table, 'utf8') : null,
    };
    store.close();
  }
  return {
    enis: state.enis.map((e) => ({ id: e.id, status: e.status, instanceId: e.instanceId, ips: [e.primaryIp, ...e.secondaryIps].sort(), tags: e.tags })),
    nodes,
  };
}
