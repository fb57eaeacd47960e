// The Bun-compiled cello-cni and the Node tools on one store at once. SQLite
// is bun:sqlite in the binary and better-sqlite3 under Node (@cello/runtime):
// the same file, WAL, BEGIN IMMEDIATE and busy timeout, so they must
// serialise exactly as processes of one kind do. Then the same mix again,
// SIGKILLing processes of both kinds at random moments: nothing committed is
// lost, nothing is held twice, the store checks clean.
import { type ChildProcess, spawn } from 'node:child_process';
import t from 'tap';
import { bin, createNetns, type Netns } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const IPS = 64;
const node = await fakeNode({ ipCount: IPS, enis: 4 });
t.teardown(() => node.remove());
const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'cello', type: 'cello-cni', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log` });
const envFor = (command: string, netns: string, id: string) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  CNI_NETNS: netns,
  CNI_IFNAME: 'eth0',
  CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=mixed;K8S_POD_NAME=${id}`,
  CNI_PATH: '/usr/lib/cni',
  PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
});

/** A process of either kind, spawned directly so a SIGKILL reaches it (ip netns exec and env exec, they do not fork). */
function start(
  argv: string[],
  env: Record<string, string>,
  stdin?: string,
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.end(stdin ?? '');
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) => child.on('close', (code) => r({ code, stdout, stderr })));
  return { child, done };
}
const bunAdd = (pod: Netns, id: string) => start(['ip', 'netns', 'exec', node.node, bin('cello-cni')], envFor('ADD', pod.path, id), conf);
const bunDel = (pod: Netns, id: string) => start(['ip', 'netns', 'exec', node.node, bin('cello-cni')], envFor('DEL', pod.path, id), conf);
const nodeEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' }; // no NODE_OPTIONS: tap's loader would slow every child
const nodeAlloc = (id: string) =>
  start(
    [
      process.execPath,
      bin('cello-ipam'),
      'alloc',
      '--state-dir',
      node.stateDir,
      '--network',
      'cello',
      '--container',
      id,
      '--pod-namespace',
      'mixed',
      '--pod-name',
      id,
    ],
    nodeEnv,
  );
const nodeRelease = (id: string) =>
  start([process.execPath, bin('cello-ipam'), 'release', '--state-dir', node.stateDir, '--network', 'cello', '--container', id], nodeEnv);

async function ipamJson(...args: string[]): Promise<any> {
  const r = await node.ipam(...args, '--output', 'json');
  if (r.exitCode !== 0) throw new Error(`cello-ipam ${args.join(' ')}: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout));
}

t.test(`${IPS} processes at once, half the Bun cello-cni (ADD), half Node cello-ipam (alloc), beside Node writers: ${IPS} distinct IPs`, async (t) => {
  const half = IPS / 2;
  const pods: Netns[] = await Promise.all(Array.from({ length: half }, () => createNetns('mx')));
  t.teardown(() => Promise.all(pods.map((p) => p.remove())));
  // Node writers that are not allocations, as the keeper's are: settings writes (each one a BEGIN IMMEDIATE).
  // A zero cooldown also lets the next test reuse what this one releases at once.
  const writers = Array.from({ length: 8 }, () =>
    start([process.execPath, bin('cello-ipam'), 'settings', '--state-dir', node.stateDir, 'ipCooldownSec=0'], nodeEnv),
  );
  const adds = pods.map((p, i) => bunAdd(p, `bun-${i}`));
  const allocs = Array.from({ length: half }, (_, i) => nodeAlloc(`node-${i}`));
  const [addR, allocR, writeR] = await Promise.all([
    Promise.all(adds.map((a) => a.done)),
    Promise.all(allocs.map((a) => a.done)),
    Promise.all(writers.map((w) => w.done)),
  ]);
  t.same(
    addR.filter((r) => r.code !== 0).map((r) => r.stdout + r.stderr),
    [],
    'every Bun ADD succeeded',
  );
  t.same(
    allocR.filter((r) => r.code !== 0).map((r) => r.stderr),
    [],
    'every Node alloc succeeded',
  );
  t.same(
    writeR.filter((r) => r.code !== 0).map((r) => r.stderr),
    [],
    'every Node settings write succeeded',
  );
  const ips = [
    ...addR.map((r) => (JSON.parse(r.stdout) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!),
    ...allocR.map((r) => (JSON.parse(r.stdout) as { ipv4: string }).ipv4),
  ];
  t.equal(new Set(ips).size, IPS, `${IPS} distinct IPs`);
  t.same(await ipamJson('check'), { ok: true, findings: [] }, 'cello-ipam check is clean');
  const allocations = (await ipamJson('list', 'allocations')) as Array<{ containerId: string; ipv4: string }>;
  t.equal(allocations.length, IPS, 'the store holds exactly the 64 allocations');

  const dels = await Promise.all(pods.map((p, i) => bunDel(p, `bun-${i}`).done));
  const rels = await Promise.all(Array.from({ length: half }, (_, i) => nodeRelease(`node-${i}`).done));
  t.same(
    [...dels, ...rels].filter((r) => r.code !== 0).map((r) => r.stderr),
    [],
    'every DEL and release succeeded',
  );
  t.same(await ipamJson('list', 'allocations'), [], 'nothing left allocated');
  t.same(await ipamJson('check'), { ok: true, findings: [] });
});

t.test('SIGKILL at random moments, Bun and Node processes alike: nothing committed is lost, nothing held twice, the store checks clean', async (t) => {
  const ROUNDS = 3;
  const PER = 16;
  const pods: Netns[] = await Promise.all(Array.from({ length: PER }, () => createNetns('mk')));
  t.teardown(() => Promise.all(pods.map((p) => p.remove())));
  // Released IPs come back at once, so 32 allocations a round fit in 64 IPs however many the kills leave behind.
  t.equal((await node.ipam('settings', 'ipCooldownSec=0')).exitCode, 0);
  t.equal((await ipamJson('stats')).totals.ipv4.free, IPS, `all ${IPS} IPs free to start with`);
  let killedBun = 0;
  let killedNode = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const procs = [
      ...pods.map((p, i) => ({ kind: 'bun', id: `kb-${round}-${i}`, ...bunAdd(p, `kb-${round}-${i}`) })),
      ...Array.from({ length: PER }, (_, i) => ({ kind: 'node', id: `kn-${round}-${i}`, ...nodeAlloc(`kn-${round}-${i}`) })),
    ];
    const killed = new Set<string>();
    for (const p of procs) {
      if (Math.random() < 0.5) {
        setTimeout(
          () => {
            if (p.child.exitCode === null && p.child.signalCode === null) {
              killed.add(p.id);
              p.child.kill('SIGKILL');
            }
          },
          Math.floor(Math.random() * 250),
        );
      }
    }
    const results = await Promise.all(procs.map((p) => p.done));
    const committed = new Map<string, string>();
    results.forEach((r, i) => {
      const p = procs[i]!;
      if (r.code === 0) {
        const ip =
          p.kind === 'bun'
            ? (JSON.parse(r.stdout) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!
            : (JSON.parse(r.stdout) as { ipv4: string }).ipv4;
        committed.set(p.id, ip);
      } else if (!killed.has(p.id)) {
        t.fail(`${p.kind} ${p.id} failed without being killed: ${r.stderr}`);
      } else if (p.kind === 'bun') killedBun++;
      else killedNode++;
    });
    t.same(await ipamJson('check'), { ok: true, findings: [] }, `round ${round}: the store checks clean after ${killed.size} kills`);
    const stored = new Map(((await ipamJson('list', 'allocations')) as Array<{ containerId: string; ipv4: string }>).map((a) => [a.containerId, a.ipv4]));
    const lost = [...committed].filter(([id, ip]) => stored.get(id) !== ip);
    t.same(lost, [], `round ${round}: every allocation a process reported is in the store`);
    const extra = [...stored.keys()].filter((id) => !committed.has(id) && !killed.has(id));
    t.same(extra, [], `round ${round}: nothing else but what killed processes may have committed`);
    t.equal(new Set(stored.values()).size, stored.size, `round ${round}: no IP held twice`);
    // Clean up for the next round: DEL (Bun) and release (Node) every container, killed or not.
    const cleanup = await Promise.all(procs.map((p, i) => (p.kind === 'bun' ? bunDel(pods[i]!, p.id) : nodeRelease(p.id)).done));
    t.same(
      cleanup.filter((r) => r.code !== 0).map((r) => r.stderr),
      [],
      `round ${round}: every DEL and release succeeded`,
    );
    t.same(await ipamJson('list', 'allocations'), [], `round ${round}: nothing left allocated`);
  }
  t.ok(killedBun > 0 && killedNode > 0, `${killedBun} Bun cello-cni and ${killedNode} Node cello-ipam processes were killed mid-call`);
  const stats = await ipamJson('stats');
  t.equal(stats.totals.ipv4.free + stats.totals.ipv4.cooling, IPS, `all ${IPS} IPs are still in the pool`);
});
