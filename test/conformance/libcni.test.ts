// cello-cni driven through Debian's libcni (as containerd does) for every spec
// version libcni 1.1.2 knows: ADD → CHECK → DEL → DEL, results parsed by
// libcni, the result cache round trip, real traffic from the pod.
import t from 'tap';
import { createNetns, run } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 8 });
t.teardown(() => node.remove());

const LIBCNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];
const cniArgs = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=conf';

for (const version of LIBCNI_VERSIONS) {
  t.test(`spec ${version}`, async (t) => {
    const pod = await createNetns('cf');
    t.teardown(() => pod.remove());
    const conflist = node.conflist(`v${version.replaceAll('.', '')}`, {
      cniVersion: version,
      name: `cello${version.replaceAll('.', '')}`,
      plugins: [{ type: 'cello-cni', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log` }],
    });
    const id = `ctr-${version}`;
    const a = { conflist, netns: pod.path, id, cniArgs: `${cniArgs}-${version.replaceAll('.', '')}` };

    const add = await node.libcni('add', a);
    t.equal(add.exitCode, 0, `ADD: ${String(add.stderr)}`);
    const result = JSON.parse(String(add.stdout));
    t.equal(result.cniVersion, version, 'libcni parsed a result in the config version');
    const ip = result.ips[0];
    t.equal('version' in ip, version !== '1.0.0', 'ips[].version only before 1.0.0');
    t.equal(result.interfaces[ip.interface].sandbox, pod.path, 'the IP sits on the pod interface');
    const podIp = ip.address.split('/')[0];
    t.ok(node.ips.includes(podIp), `${podIp} is one of the node's ENI IPs`);
    t.equal(await node.tcp(pod.name, node.peerIp, node.peerPort), `hello ${podIp}`, 'pod → VPC peer sees the pod IP');

    const cached = await node.libcni('cached', a);
    t.same(JSON.parse(String(cached.stdout)).ips, result.ips, 'libcni reads the cached result');

    const check = await node.libcni('check', a);
    if (version === '0.3.0' || version === '0.3.1') {
      t.equal(check.exitCode, 1, 'libcni refuses CHECK below 0.4.0');
      t.match(String(check.stderr), /does not support the CHECK command/);
    } else {
      t.equal(check.exitCode, 0, `CHECK: ${String(check.stdout)}${String(check.stderr)}`);
    }

    t.equal((await node.libcni('del', a)).exitCode, 0, 'DEL');
    t.equal((await pod.exec('ip', ['link', 'show', 'eth0'])).exitCode, 1, 'pod eth0 gone');
    const onHost = String((await run('ip', ['netns', 'exec', node.node, 'sh', '-c', 'ip -o link; ip -o route show table all; ip -o rule'])).stdout);
    t.notOk(onHost.includes(result.interfaces[0].name), `the host veth ${result.interfaces[0].name} is gone`);
    t.notOk(new RegExp(`\\b${podIp.replaceAll('.', '\\.')}\\b`).test(onHost), `no route or rule of ${podIp} is left on the host`);
    t.equal((await node.libcni('del', a)).exitCode, 0, 'a second DEL succeeds');
    const show = JSON.parse(String((await node.ipam('show', podIp, '-o', 'json')).stdout));
    t.not(JSON.stringify(show).includes('"used"'), true, 'the IP is no longer used');
  });
}

t.test('a repeated ADD returns the same IP; DEL of an unknown container succeeds', async (t) => {
  const pod = await createNetns('cf');
  t.teardown(() => pod.remove());
  const conflist = node.conflist('again', { cniVersion: '1.0.0', name: 'again', plugins: [{ type: 'cello-cni', stateDir: node.stateDir, logFile: '' }] });
  const a = { conflist, netns: pod.path, id: 'ctr-again', cniArgs: `${cniArgs}-again` };
  const first = JSON.parse(String((await node.libcni('add', a)).stdout));
  const second = await node.libcni('add', a);
  t.equal(second.exitCode, 0, 'the second ADD succeeds');
  t.same(JSON.parse(String(second.stdout)).ips, first.ips, 'with the same IP');
  t.equal((await node.libcni('del', { ...a, id: 'ctr-never-added' })).exitCode, 0, 'unknown container: DEL succeeds');
  t.equal((await pod.exec('ip', ['link', 'show', 'eth0'])).exitCode, 0, "…and leaves the other container's interface alone");
  t.equal((await node.libcni('del', a)).exitCode, 0);
});
