// The real node path: containerd's CRI plugin drives cello-cni, as a kubelet
// would make it. One containerd per vpc-sim node (its own root, state, socket;
// CRI's CNI dirs are the node's), run in the node's network namespace only;
// a pause image built here; the calls a kubelet makes, through a small CRI
// client (@cello/testkit/cri). The node's pool keeper runs as on a node.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { podLockName, tryLock } from '@cello/cli-kit';
import { background, bin, echoFrom, echoServer, repoRoot, run, tempDir, uniqueName, waitFor } from '@cello/testkit';
import { buildPauseImage, type Containerd, containerdLacks, type SandboxConfig, startContainerd } from '@cello/testkit/cri';
import { execOk, NO_DELAYS, withSim } from '@cello/testkit/sim';
import { simPaths } from '@cello/vpc-sim';

const lacks = await containerdLacks();
if (lacks) {
  t.plan(0, `containerd's CRI cannot run here: ${lacks}`);
} else {
  await main();
}

async function main() {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS } });
  const tmp = tempDir('cello-cri-');
  t.teardown(() => tmp.remove());
  const pauseImage = await buildPauseImage(tmp.path);
  const nodes = ['node1', 'node2'] as const;
  type NodeName = (typeof nodes)[number];
  const rootOf = (node: NodeName) => join(simPaths(sim.info.name).nodeDir(node), 'root');
  const netnsOf = (node: NodeName) => `/var/run/netns/${simPaths(sim.info.name).nodeNetns(node)}`;
  const strayNetns: string[] = [];
  t.teardown(async () => {
    for (const p of strayNetns) if (existsSync(p)) await run('umount', [p]).then(() => rmSync(p, { force: true }));
  });

  const must = (node: NodeName, cmd: string[]) => execOk(sim, node, cmd);

  // Each node as the agent leaves it: cello-cni in the CNI bin dir (the build's own, whatever it is:
  // a Node bundle or a compiled executable), the conflist, the keeper's config and a warm pool. CRI runs
  // cello-cni in the machine's mount namespace, so the conflist names the node's state and log dirs.
  const containerds = new Map<NodeName, Containerd>();
  for (const node of nodes) {
    const root = rootOf(node);
    symlinkSync(bin('cello-cni'), join(root, 'opt/cni/bin/cello-cni'));
    symlinkSync('/usr/lib/cni/loopback', join(root, 'opt/cni/bin/loopback')); // CRI sets up lo with it
    const conflist = JSON.parse(readFileSync(join(repoRoot, 'manifests/cni/10-cello.conflist'), 'utf8'));
    Object.assign(conflist.plugins[0], {
      stateDir: join(root, 'var/lib/cello'),
      logFile: join(root, 'var/log/cello/cni.log'),
      capabilities: { bandwidth: true, 'io.kubernetes.cri.pod-annotations': true },
    });
    writeFileSync(join(root, 'etc/cni/net.d/10-cello.conflist'), JSON.stringify(conflist, null, 2));
    writeFileSync(
      join(root, 'etc/cello/conf'),
      JSON.stringify({
        subnets: sim.info.subnets.map((s) => s.id),
        securityGroups: sim.info.securityGroups.map((g) => g.id),
        ramRole: sim.info.metadata.ramRole,
        openApiAddress: sim.info.openapi.endpoint,
        clusterName: 'cri',
        poolTarget: 3,
        poolTargetMin: 3,
        ipCooldownSec: 0,
      }),
    );
    await must(node, [bin('cello-eni'), 'pool', '--once']);
    const keeper = sim.spawn(node, [bin('cello-eni'), 'pool', '--watch'], { stdio: 'ignore' });
    t.teardown(() => void keeper.kill());
    const ctd = await startContainerd({
      name: uniqueName('ctd'),
      netns: netnsOf(node),
      cniBinDir: join(root, 'opt/cni/bin'),
      cniConfDir: join(root, 'etc/cni/net.d'),
      pauseImage,
    });
    t.teardown(() => ctd.remove());
    await ctd.start();
    containerds.set(node, ctd);
  }
  const cri = (node: NodeName) => containerds.get(node)!.cri;

  interface Allocation {
    containerId: string;
    ipv4: string;
    netns: string;
    podNamespace?: string;
    podName?: string;
  }
  const allocations = async (node: NodeName): Promise<Allocation[]> =>
    JSON.parse(await must(node, [bin('cello-ipam'), 'list', 'allocations', '--output', 'json']));
  const pod = (name: string, extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
    name,
    namespace: 'cri',
    uid: `uid-${uniqueName('')}`,
    ...extra,
  });
  /** the sandbox's network namespace path, from containerd's verbose status */
  const netnsOfSandbox = async (node: NodeName, id: string): Promise<string> => {
    const info = JSON.parse((await cri(node).podSandboxStatus(id)).info.info ?? '{}');
    const ns = (info.runtimeSpec?.linux?.namespaces ?? []).find((n: { type: string }) => n.type === 'network');
    return ns?.path ?? '';
  };
  t.test('a sandbox gets the IP cello-ipam allocated, PodSandboxStatus reports it, and sandboxes on two nodes talk over TCP', async (t) => {
    const ids = new Map<NodeName, string>();
    for (const node of nodes) ids.set(node, await cri(node).runPodSandbox(pod(`web-${node}`)));
    const ips = new Map<NodeName, string>();
    for (const node of nodes) {
      const id = ids.get(node)!;
      const status = await cri(node).podSandboxStatus(id);
      t.equal(status.state, 'SANDBOX_READY', `${node}: the sandbox is ready`);
      const alloc = (await allocations(node)).find((a) => a.containerId === id);
      t.ok(alloc, `${node}: cello-ipam holds an allocation for sandbox ${id.slice(0, 12)}`);
      t.equal(status.ip, alloc?.ipv4, `${node}: PodSandboxStatus reports the allocated IP ${alloc?.ipv4}`);
      t.equal(alloc?.netns, await netnsOfSandbox(node, id), `${node}: in the sandbox's network namespace`);
      ips.set(node, status.ip);
    }
    const server = await echoServer(await netnsOfSandbox('node2', ids.get('node2')!));
    t.teardown(() => server.stop());
    const reply = await echoFrom(await netnsOfSandbox('node1', ids.get('node1')!), ips.get('node2')!);
    t.equal(reply, `hello ${ips.get('node1')}`, 'node1 sandbox → node2 sandbox over TCP, with its own address');
    for (const node of nodes) {
      await cri(node).stopPodSandbox(ids.get(node)!);
      await cri(node).removePodSandbox(ids.get(node)!);
    }
  });

  t.test("what CRI passes arrives: the pod's args, the bandwidth capability from its annotations, its annotations", async (t) => {
    // A recorder in front of cello-cni for this subtest: what containerd gives the plugin, byte for byte.
    const binDir = join(rootOf('node1'), 'opt/cni/bin');
    const rec = join(tmp.path, 'rec');
    mkdirSync(rec);
    writeFileSync(
      join(tmp.path, 'cello-cni-recorder'),
      `#!/bin/sh\nn=$(date +%s%N)\nenv > ${rec}/$n.env\ncat > ${rec}/$n.stdin\nexec ${bin('cello-cni')} < ${rec}/$n.stdin\n`,
      { mode: 0o755 },
    );
    symlinkSync(join(tmp.path, 'cello-cni-recorder'), join(binDir, '.cello-cni.rec'));
    renameSync(join(binDir, '.cello-cni.rec'), join(binDir, 'cello-cni'));
    t.teardown(() => {
      symlinkSync(bin('cello-cni'), join(binDir, '.cello-cni.real'));
      renameSync(join(binDir, '.cello-cni.real'), join(binDir, 'cello-cni'));
    });
    const config = pod('shaped', {
      annotations: { 'kubernetes.io/ingress-bandwidth': '1M', 'kubernetes.io/egress-bandwidth': '2M', 'example.com/team': 'net' },
    });
    const id = await cri('node1').runPodSandbox(config);
    const adds = readdirSync(rec)
      .filter((f) => f.endsWith('.env'))
      .map((f) => ({ env: readFileSync(join(rec, f), 'utf8'), stdin: readFileSync(join(rec, f.replace('.env', '.stdin')), 'utf8') }))
      .filter((c) => c.env.includes('CNI_COMMAND=ADD'));
    t.equal(adds.length, 1, 'one ADD');
    const env = Object.fromEntries(
      adds[0]!.env
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const args = Object.fromEntries(env.CNI_ARGS!.split(';').map((kv: string) => kv.split('=')));
    t.same(
      args,
      { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'cri', K8S_POD_NAME: 'shaped', K8S_POD_INFRA_CONTAINER_ID: id, K8S_POD_UID: config.uid },
      'CNI_ARGS: the pod namespace, name, UID and infra container id',
    );
    t.equal(env.CNI_CONTAINERID, id, 'CNI_CONTAINERID is the sandbox id');
    t.equal(env.CNI_NETNS, await netnsOfSandbox('node1', id), "CNI_NETNS is the sandbox's");
    const stdin = JSON.parse(adds[0]!.stdin);
    const bw = Object.fromEntries(Object.entries(stdin.runtimeConfig?.bandwidth ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    t.equal(bw.ingressrate, 1_000_000, 'bandwidth capability: ingress 1M from kubernetes.io/ingress-bandwidth');
    t.equal(bw.egressrate, 2_000_000, 'bandwidth capability: egress 2M from kubernetes.io/egress-bandwidth');
    t.match(
      stdin.runtimeConfig?.['io.kubernetes.cri.pod-annotations'],
      { 'example.com/team': 'net', 'kubernetes.io/ingress-bandwidth': '1M' },
      "io.kubernetes.cri.pod-annotations carries the pod's annotations",
    );

    // And cello-cni acted on it: tbf on the host veth (into the pod), tbf on the ifb (out of it).
    const status = await cri('node1').podSandboxStatus(id);
    const links = await must('node1', ['ip', '-j', 'link', 'show']);
    const hostVeth = (JSON.parse(links) as Array<{ ifname: string; ifindex: number }>).filter((l) => l.ifname.startsWith('cel'));
    const routes = JSON.parse(await must('node1', ['ip', '-j', 'route', 'show', `${status.ip}/32`])) as Array<{ dev: string }>;
    const dev = routes[0]?.dev ?? '';
    t.ok(
      hostVeth.some((l) => l.ifname === dev),
      `the pod's host veth ${dev}`,
    );
    const qdiscs = (d: string) =>
      must('node1', ['tc', '-s', '-j', 'qdisc', 'show', 'dev', d]).then(
        (s) => JSON.parse(s) as Array<{ kind: string; handle: string; options?: { rate?: number }; bytes: number }>,
      );
    const ingressTbf = (await qdiscs(dev)).find((q) => q.kind === 'tbf');
    t.equal(ingressTbf?.options?.rate, 125_000, 'into the pod: tbf at 1 Mbit/s (125 000 bytes/s) on the host veth');
    const ifb = (JSON.parse(links) as Array<{ ifname: string }>).find((l) => l.ifname.startsWith('cbw'))?.ifname ?? '';
    const egressTbf = (await qdiscs(ifb)).find((q) => q.kind === 'tbf');
    t.equal(egressTbf?.options?.rate, 250_000, `out of the pod: tbf at 2 Mbit/s (250 000 bytes/s) on the ifb ${ifb}`);
    // Bytes sent to the pod go through the shaper (counted by the tbf), not around it.
    const netns = await netnsOfSandbox('node1', id);
    const sink = background('nsenter', [
      `--net=${netns}`,
      'node',
      '-e',
      "require('net').createServer(s=>s.resume().on('end',()=>s.end('done'))).listen(8080,()=>console.log('listening'))",
    ]);
    t.teardown(() => sink.stop());
    await sink.firstLine();
    const before = ingressTbf?.bytes ?? 0;
    const send =
      "const s=require('net').connect(8080,process.argv[1]);s.end(Buffer.alloc(100000));s.on('data',d=>process.stdout.write(d));s.on('error',e=>{console.log(e.message);process.exit(1)})";
    const sent = await sim.exec('node1', ['node', '-e', send, status.ip]);
    t.equal(sent.stdout, 'done', 'the node sent 100 kB to the pod');
    const after = (await qdiscs(dev)).find((q) => q.kind === 'tbf')?.bytes ?? 0;
    t.ok(after - before >= 100_000, `the host veth's tbf passed them: ${after - before} bytes`);
    await cri('node1').stopPodSandbox(id);
    await cri('node1').removePodSandbox(id);
    t.notOk(
      (JSON.parse(await must('node1', ['ip', '-j', 'link', 'show'])) as Array<{ ifname: string }>).some((l) => l.ifname === ifb),
      'the ifb went with the sandbox',
    );
  });

  t.test('StopPodSandbox releases the IP; a second Stop is harmless', async (t) => {
    const id = await cri('node1').runPodSandbox(pod('stop-twice'));
    const ip = (await cri('node1').podSandboxStatus(id)).ip;
    t.ok(
      (await allocations('node1')).some((a) => a.containerId === id),
      `allocated ${ip}`,
    );
    await cri('node1').stopPodSandbox(id);
    t.notOk(
      (await allocations('node1')).some((a) => a.containerId === id),
      'StopPodSandbox released it',
    );
    await cri('node1').stopPodSandbox(id);
    t.pass('a second StopPodSandbox succeeds');
    await cri('node1').removePodSandbox(id);
    const gone = await cri('node1')
      .podSandboxStatus(id)
      .then(
        () => 'found',
        (err: { code?: number }) => err.code,
      );
    t.equal(gone, 5, 'after RemovePodSandbox the sandbox is NOT_FOUND');
  });

  t.test('containerd restarted with live sandboxes keeps them working; a Stop after the restart releases them', async (t) => {
    const ctd = containerds.get('node1')!;
    const a = await cri('node1').runPodSandbox(pod('survivor-a'));
    const b = await cri('node2').runPodSandbox(pod('survivor-b'));
    const ipA = (await cri('node1').podSandboxStatus(a)).ip;
    const ipB = (await cri('node2').podSandboxStatus(b)).ip;
    const nsA = await netnsOfSandbox('node1', a);
    const server = await echoServer(nsA);
    t.teardown(() => server.stop());
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      await ctd.kill(signal);
      await ctd.start();
      const status = await cri('node1').podSandboxStatus(a);
      t.equal(status.state, 'SANDBOX_READY', `after ${signal} and a restart the sandbox is still ready`);
      t.equal(status.ip, ipA, `and still reports ${ipA}`);
      const reply = await echoFrom(await netnsOfSandbox('node2', b), ipA);
      t.equal(reply, `hello ${ipB}`, 'node2 sandbox → the node1 sandbox still works');
    }
    await server.stop();
    await cri('node1').stopPodSandbox(a);
    t.notOk(
      (await allocations('node1')).some((x) => x.containerId === a),
      'a Stop after the restart released its IP',
    );
    t.notOk(existsSync(nsA), 'and its network namespace');
    await cri('node1').removePodSandbox(a);
    await cri('node2').stopPodSandbox(b);
    await cri('node2').removePodSandbox(b);
  });

  t.test('containerd SIGKILLed in the middle of RunPodSandbox, restarted, the sandbox retried: nothing leaks once gc has run', async (t) => {
    const ctd = containerds.get('node1')!;
    const binDir = join(rootOf('node1'), 'opt/cni/bin');
    const config = pod('crashed');
    // The pod's lock held here, so containerd's ADD waits inside cello-cni (up to 20 s) and is surely in flight.
    const held = await tryLock(join(rootOf('node1'), 'var/lib/cello'), podLockName({ podNamespace: config.namespace, podName: config.name, containerId: '' }));
    t.ok(held, "holding the pod's lock");
    const running = cri('node1')
      .runPodSandbox(config)
      .then(
        () => 'ok',
        (err: Error) => err.message,
      );
    // Wait for containerd's ADD (this node's cello-cni, started by this containerd), then kill containerd.
    let add: { pid: number; netns: string; containerId: string } | undefined;
    for (let i = 0; i < 2000 && !add; i++) {
      for (const p of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          // containerd runs the loopback plugin first with the same environment: the ADD wanted is cello-cni's.
          const argv0 = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0] ?? '';
          if (!argv0.endsWith('/cello-cni')) continue;
          const env = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
          if (env.includes('CNI_COMMAND=ADD') && env.includes(`CNI_PATH=${binDir}`)) {
            const value = (k: string) => env.find((e) => e.startsWith(`${k}=`))!.slice(k.length + 1);
            add = { pid: Number(p), netns: value('CNI_NETNS'), containerId: value('CNI_CONTAINERID') };
            break;
          }
        } catch {
          // gone, or not ours to read
        }
      }
      if (!add) await new Promise((r) => setTimeout(r, 5));
    }
    t.ok(add, 'caught cello-cni ADD in flight (not the loopback plugin containerd runs before it)');
    // Caught at its exec, it may not have read its config from containerd yet: kill containerd only once it is
    // trying the pod's lock (each try holds the lock file open for a moment), which comes after the config is read.
    const waiting = await waitFor(
      () => add && readdirSync(`/proc/${add.pid}/fd`).some((fd) => /\/locks\/.*\.lock$/.test(readlinkSync(`/proc/${add.pid}/fd/${fd}`))),
      { what: "the ADD to try the pod's lock", timeoutMs: 10_000, everyMs: 2 },
    ).then(
      () => true,
      () => false,
    );
    t.ok(waiting, "the ADD is waiting for the pod's lock (its config read)");
    await ctd.kill('SIGKILL');
    held?.release();
    if (add) strayNetns.push(add.netns);
    t.not(await running, 'ok', `RunPodSandbox failed with containerd: ${await running}`);
    // The orphaned ADD finishes on its own (its parent is gone, nothing kills it).
    for (let i = 0; i < 1000 && add && existsSync(`/proc/${add.pid}`); i++) await new Promise((r) => setTimeout(r, 20));
    t.ok(
      (await allocations('node1')).some((a) => a.containerId === add?.containerId),
      'the orphaned ADD finished: the half-made sandbox holds an IP',
    );
    await ctd.start();
    // What a kubelet does next: the pod's sandbox that is not ready is stopped and removed, and a new one made.
    const left = (await cri('node1').listPodSandbox()).filter((s) => s.uid === config.uid);
    t.same(
      left.map((s) => s.state),
      ['SANDBOX_NOTREADY'],
      'after the restart containerd knows the half-made sandbox, not ready',
    );
    for (const s of left) {
      await cri('node1').stopPodSandbox(s.id);
      await cri('node1').removePodSandbox(s.id);
    }
    t.notOk(
      (await allocations('node1')).some((a) => a.containerId === add?.containerId),
      "the kubelet's Stop of it released that IP",
    );
    const id = await cri('node1').runPodSandbox({ ...config, attempt: 1 });
    const ip = (await cri('node1').podSandboxStatus(id)).ip;
    t.ok(ip, `the retried sandbox got ${ip}`);

    const gc = await sim.exec('node1', [bin('cello-gc'), 'node', '--once', '--output', 'json']);
    t.equal(gc.code, 0, `cello-gc node ran: ${gc.stderr.slice(-500)}`);
    const live = [id];
    const allocs = await allocations('node1');
    t.same(
      allocs.map((a) => a.containerId),
      live,
      'the only allocation left is the live sandbox’s',
    );
    const links = (JSON.parse(await must('node1', ['ip', '-j', 'link', 'show'])) as Array<{ ifname: string }>)
      .map((l) => l.ifname)
      .filter((n) => n.startsWith('cel') || n.startsWith('cbw'));
    t.equal(links.length, 1, `one host veth, the live sandbox's: ${links.join(' ')}`);
    const rules = (await must('node1', ['ip', 'rule', 'show'])).split('\n').filter((l) => /proto 207|proto 0xcf/.test(l));
    t.ok(
      rules.every((l) => l.includes(ip)),
      `every cello rule is the live sandbox's: ${rules.join(' | ')}`,
    );
    await cri('node1').stopPodSandbox(id);
    await cri('node1').removePodSandbox(id);
  });
}
