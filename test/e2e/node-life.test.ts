// A node's life on the simulated VPC, end to end: the pool keeper fills the
// warm pool, pods come through libcni, traffic flows pod↔pod across nodes and
// pod↔node, an ADD that finds the pool empty wakes the keeper and succeeds,
// and every IP goes back when the pods go.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, createNetns, echoFrom, echoServer, type Netns, repoRoot } from '@cello/testkit';
import { execOk, libcniInNode, withSim } from '@cello/testkit/sim';

const sim = await withSim(t, { nodes: 2, config: { delaysMs: { create: 50, attach: 50, detach: 50, delete: 50 } } });
const keepers: Array<{ kill(): void }> = [];
const pods: Array<{ node: string; pod: Netns }> = [];
t.teardown(async () => {
  for (const k of keepers) k.kill();
  await Promise.all(pods.map((p) => p.pod.remove()));
});

const conf = (poolTarget: number, poolTargetMin: number) => ({
  subnets: sim.info.subnets.map((s) => s.id),
  securityGroups: sim.info.securityGroups.map((g) => g.id),
  ramRole: sim.info.metadata.ramRole,
  openApiAddress: sim.info.openapi.endpoint,
  clusterName: 'e2e',
  poolTarget,
  poolTargetMin,
  ipCooldownSec: 1,
});
const must = (node: string, cmd: string[], input?: string) => execOk(sim, node, cmd, input);
const conflist = readFileSync(join(repoRoot, 'manifests/cni/10-cello.conflist'), 'utf8');
const libcni = (node: string, verb: 'add' | 'del' | 'check', pod: Netns) =>
  libcniInNode(sim, node, verb, { netns: pod.path, id: pod.name, podNamespace: 'e2e' });

t.test('the keeper fills each node; pods get VPC IPs and talk across nodes', async (t) => {
  for (const node of ['node1', 'node2']) {
    await must(node, ['sh', '-c', 'cat > /etc/cello/conf'], JSON.stringify(conf(2, 2)));
    await must(node, ['sh', '-c', 'cat > /etc/cni/net.d/10-cello.conflist'], conflist);
    await must(node, [bin('cello-eni'), 'pool', '--once']);
    keepers.push(sim.spawn(node, [bin('cello-eni'), 'pool', '--watch'], { stdio: 'ignore' }));
  }
  const list = JSON.parse(await must('node1', [bin('cello-eni'), 'list', '--output', 'json']));
  t.ok(
    list.some((e: { ipam?: { free: number } }) => (e.ipam?.free ?? 0) >= 2),
    'cello-eni list shows the warm pool on node1',
  );

  const placement: Array<[string, Netns]> = [];
  for (const node of ['node1', 'node1', 'node2']) {
    const pod = await createNetns('e2');
    pods.push({ node, pod });
    placement.push([node, pod]);
  }
  const ips: string[] = [];
  for (const [node, pod] of placement) {
    const r = await libcni(node, 'add', pod);
    t.equal(r.code, 0, `ADD ${pod.name} on ${node}: ${r.stdout}${r.stderr}`);
    ips.push(JSON.parse(r.stdout).ips[0].address.split('/')[0]);
  }
  t.equal(new Set(ips).size, 3, 'three distinct pod IPs');
  const servers = await Promise.all(placement.map(([, pod]) => echoServer(pod.name)));
  const [, podB] = placement[1]!;
  const [, podC] = placement[2]!;
  const tcp = (from: Netns, to: string) => echoFrom(from.name, to);
  t.equal(await tcp(podB, ips[2]!), `hello ${ips[1]}`, 'pod → pod on another node, with its own address');
  t.equal(await tcp(podB, ips[0]!), `hello ${ips[1]}`, 'pod → pod on the same node');
  t.equal(await tcp(podC, ips[0]!), `hello ${ips[2]}`, 'and back across nodes');
  t.equal(await echoFrom(`${sim.info.name}-node1`, ips[0]!), `hello ${sim.info.nodes[0]!.primaryIp}`, 'node → its pod');
  const toNode = await echoServer(`${sim.info.name}-node2`);
  t.equal(await tcp(podB, sim.info.nodes[1]!.primaryIp), `hello ${ips[1]}`, 'pod → another node');
  await Promise.all([...servers, toNode].map((s) => s.stop()));
});

t.test('an ADD that finds the pool empty wakes the keeper and succeeds', async (t) => {
  const before = JSON.parse(await must('node1', [bin('cello-ipam'), 'stats', '--output', 'json']));
  const free = before.totals.available as number;
  const seq = Math.max(0, ...(await sim.control.calls()).map((c) => c.seq));
  const extra: Netns[] = [];
  for (let i = 0; i < free + 1; i++) extra.push(await createNetns('e3'));
  pods.push(...extra.map((pod) => ({ node: 'node1', pod })));
  const results = await Promise.all(extra.map((p) => libcni('node1', 'add', p)));
  t.same(
    results.map((r) => r.code),
    extra.map(() => 0),
    `all ${extra.length} ADDs succeeded: ${free} from the warm pool, the rest after a demand`,
  );
  const grew = (await sim.control.calls({ since: seq })).filter(
    (c) => c.code === 'OK' && (c.action === 'AssignPrivateIpAddresses' || c.action === 'CreateNetworkInterface'),
  );
  t.ok(grew.length > 0, `the keeper added IPs in the cloud for the demand (${grew.map((c) => c.action).join(', ')})`);
});

t.test('deleting the pods gives every IP back', async (t) => {
  for (const { node, pod } of pods) t.equal((await libcni(node, 'del', pod)).code, 0, `DEL ${pod.name} on ${node}`);
  for (const node of ['node1', 'node2']) {
    const stats = JSON.parse(await must(node, [bin('cello-ipam'), 'stats', '--output', 'json']));
    t.equal(stats.totals.allocations, 0, `${node}: no allocation left`);
    t.equal(stats.totals.ipv4.used, 0, `${node}: no IP in use`);
  }
});
