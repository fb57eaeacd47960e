// The conflists we ship load through libcni and work on a node.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, repoRoot } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 4 });
t.teardown(() => node.remove());

for (const file of ['10-cello.conflist', '10-cello-chained.conflist']) {
  t.test(file, async (t) => {
    const shipped = JSON.parse(readFileSync(join(repoRoot, 'manifests/cni', file), 'utf8'));
    t.equal(shipped.plugins[0].type, 'cello-cni');
    // Point the node-local paths at this test's node; everything else as shipped.
    shipped.plugins[0].stateDir = node.stateDir;
    shipped.plugins[0].logFile = join(node.stateDir, 'cni.log');
    const conflist = node.conflist(file.replace('.conflist', ''), shipped);
    const pod = await createNetns('mf');
    t.teardown(() => pod.remove());
    const a = {
      conflist,
      netns: pod.path,
      id: `mf-${file.length}`,
      cniArgs: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=mf',
      capArgs: { bandwidth: { ingressRate: 10_000_000, ingressBurst: 4_294_967_295, egressRate: 10_000_000, egressBurst: 4_294_967_295 } },
    };
    const add = await node.libcni('add', a);
    t.equal(add.exitCode, 0, `${String(add.stdout)}${String(add.stderr)}`);
    const ip = JSON.parse(String(add.stdout)).ips[0].address.split('/')[0];
    t.equal(await node.tcp(pod.name, node.peerIp, node.peerPort), `hello ${ip}`);
    t.equal((await node.libcni('del', a)).exitCode, 0);
  });
}
