// A storm on one node: 32 parallel ADDs through libcni, then 32 parallel DELs.
// 32 distinct IPs, every pod reaches the VPC with its own address, all released.
import t from 'tap';
import { createNetns, type Netns } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const N = 32;
const node = await fakeNode({ ipCount: 40, enis: 2 });
t.teardown(() => node.remove());
const conflist = node.conflist('storm', {
  cniVersion: '1.0.0',
  name: 'storm',
  plugins: [{ type: 'cello-cni', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log` }],
});

t.test(`${N} parallel ADDs, then ${N} parallel DELs`, async (t) => {
  const pods: Netns[] = await Promise.all(Array.from({ length: N }, () => createNetns('st')));
  t.teardown(() => Promise.all(pods.map((p) => p.remove())));
  const args = (i: number) => ({ conflist, netns: pods[i]!.path, id: `storm-${i}`, cniArgs: `IgnoreUnknown=1;K8S_POD_NAMESPACE=storm;K8S_POD_NAME=p${i}` });

  const adds = await Promise.all(pods.map((_, i) => node.libcni('add', args(i))));
  t.same(
    adds.map((r) => r.exitCode),
    Array(N).fill(0),
    'every ADD succeeded',
  );
  const ips = adds.map((r) => (JSON.parse(String(r.stdout)) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!);
  t.equal(new Set(ips).size, N, `${N} distinct IPs`);

  const answers = await Promise.all(pods.map((p) => node.tcp(p.name, node.peerIp, node.peerPort).catch((e: Error) => e.message)));
  t.same(
    answers,
    ips.map((ip) => `hello ${ip}`),
    'every pod reaches the VPC peer with its own IP',
  );

  const check = JSON.parse(String((await node.ipam('check', '-o', 'json')).stdout));
  t.same(check, { ok: true, findings: [] }, 'the store is consistent under load');

  const dels = await Promise.all(pods.map((_, i) => node.libcni('del', args(i))));
  t.same(
    dels.map((r) => r.exitCode),
    Array(N).fill(0),
    'every DEL succeeded',
  );
  const stats = JSON.parse(String((await node.ipam('stats', '-o', 'json')).stdout));
  t.equal(stats.totals.allocations, 0, 'no allocation left');
  t.equal(stats.totals.ipv4.used, 0, 'no IP used');
  t.equal(stats.totals.ipv4.free + stats.totals.ipv4.cooling, 40, 'all 40 IPs back (free or cooling)');
});
