// cello-cni (veth datapath) chained with Debian's reference plugins — bandwidth,
// tuning, portmap — through libcni: they accept our prevResult and do their job.
// CHECK runs over every plugin but portmap: Debian's portmap 1.1.1 fails CHECK
// for any IPv4-only pod ("could not check ipv6 dnat"), behind ptp just the same.
import t from 'tap';
import { createNetns, run } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 4 });
t.teardown(() => node.remove());

for (const version of ['0.4.0', '1.0.0']) {
  t.test(`cello-cni → bandwidth → tuning → portmap (${version})`, async (t) => {
    const pod = await createNetns('ch');
    t.teardown(() => pod.remove());
    const name = `chain${version.replaceAll('.', '')}`;
    const conflistPlugins = [
      { type: 'cello-cni', datapath: 'veth', stateDir: node.stateDir, logFile: `${node.stateDir}/cni.log` },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
      { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1' } },
      { type: 'portmap', capabilities: { portMappings: true }, snat: false },
    ];
    const conflist = node.conflist(name, { cniVersion: version, name, plugins: conflistPlugins });
    const a = {
      conflist,
      netns: pod.path,
      id: `chained-${version}`,
      cniArgs: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=chained',
      capArgs: {
        bandwidth: { ingressRate: 8000000, ingressBurst: 800000, egressRate: 8000000, egressBurst: 800000 },
        portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }],
      },
    };
    const add = await node.libcni('add', a);
    t.equal(add.exitCode, 0, `ADD through the chain: ${String(add.stdout)}${String(add.stderr)}`);
    const result = JSON.parse(String(add.stdout));
    const hostVeth = result.interfaces.find((i: { sandbox?: string; name: string }) => !i.sandbox && i.name.startsWith('cel'));
    t.ok(hostVeth, 'cello-cni put the host veth in the result');
    t.ok(
      result.interfaces.some((i: { name: string }) => i.name.startsWith('bwp')),
      'bandwidth added its ifb',
    );
    const qdisc = await run('ip', ['netns', 'exec', node.node, 'tc', 'qdisc', 'show', 'dev', hostVeth.name]);
    t.match(String(qdisc.stdout), /tbf .*rate 8Mbit/, 'bandwidth shaped the host veth (ingress tbf)');
    const sysctl = await pod.exec('cat', ['/proc/sys/net/ipv4/conf/eth0/arp_notify']);
    t.equal(String(sysctl.stdout).trim(), '1', 'tuning set the sysctl in the pod');
    const nat = await run('ip', ['netns', 'exec', node.node, 'iptables', '-t', 'nat', '-S']);
    t.match(String(nat.stdout), /18080/, 'portmap installed its DNAT rule');
    const podIp = result.ips[0].address.split('/')[0];
    t.equal(await node.tcp(pod.name, node.peerIp, node.peerPort), `hello ${podIp}`, 'traffic still flows');

    const checkList = node.conflist(`${name}-check`, { cniVersion: version, name, plugins: JSON.parse(JSON.stringify(conflistPlugins)).slice(0, 3) });
    const check = await node.libcni('check', { ...a, conflist: checkList });
    t.equal(check.exitCode, 0, `CHECK passes through cello-cni, bandwidth and tuning: ${String(check.stdout)}`);
    const del = await node.libcni('del', a);
    t.equal(del.exitCode, 0, `DEL: ${String(del.stderr)}`);
    const after = await run('ip', ['netns', 'exec', node.node, 'iptables', '-t', 'nat', '-S']);
    t.notMatch(String(after.stdout), /18080/, 'portmap removed its rule');
    t.equal((await run('ip', ['netns', 'exec', node.node, 'ip', 'link', 'show', hostVeth.name])).exitCode, 1, 'host veth gone');
  });
}
