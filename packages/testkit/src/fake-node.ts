/**
 * A node on a VPC made of two namespaces, as tools/vpc-sim builds it (docs/vpc-sim.md):
 * `vpc` routes each assigned IP to its ENI port (proxy ARP on every port), and
 * `node` has eth0 (primary) and ENIs eth1.. (veths whose MACs are the ENIs').
 * Its cello-ipam store already knows the ENIs; there is no cloud. Good for
 * driving cello-cni through libcni without vpc-sim and a pool keeper.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Background, bin, must, run, tempDir, testBin, uniqueName } from './index.ts';
import { echoFrom, echoServer } from './tcp-echo.ts';

export interface FakeNode {
  node: string;
  vpc: string;
  stateDir: string;
  confDir: string;
  cacheDir: string;
  /** A peer in the VPC, listening on TCP `peerPort`, that answers with the caller's address. */
  peerIp: string;
  peerPort: number;
  nodeIp: string;
  ips: string[];
  /** Write a conflist; returns its path. */
  conflist(name: string, body: Record<string, unknown>): string;
  /** Run the libcni driver inside the node (as containerd would on the host). */
  libcni(verb: string, args: { conflist: string; netns: string; id: string; ifname?: string; capArgs?: unknown; cniArgs?: string }): ReturnType<typeof run>;
  /** Run cello-cni directly inside the node, as the spec describes a runtime doing it. */
  plugin(env: Record<string, string>, stdin: string): ReturnType<typeof run>;
  /** Connect from a namespace to host:port over TCP; resolves to what the peer said, or throws. */
  tcp(fromNs: string, host: string, port: number): Promise<string>;
  ipam(...args: string[]): ReturnType<typeof run>;
  remove(): Promise<void>;
}

/**
 * `podNetworks[i]`: the PodNetwork ENI i+1 serves (docs/podnetworks.md); unset ones serve the default
 * network. Only the store learns it: a fake node has no cloud, so the ENIs share one subnet.
 */
export async function fakeNode(opts: { ipCount: number; enis?: number; subnet?: number; podNetworks?: Array<string | undefined> }): Promise<FakeNode> {
  const id = uniqueName('');
  const node = `fn${id}`;
  const vpc = `fv${id}`;
  const third = opts.subnet ?? 40 + (Number.parseInt(id, 16) % 200);
  const net = `10.77.${third}`;
  const dir = tempDir('cello-fakenode-');
  const stateDir = join(dir.path, 'state');
  const confDir = join(dir.path, 'net.d');
  const cacheDir = join(dir.path, 'cache');
  mkdirSync(confDir, { recursive: true });
  const servers: Background[] = [];
  const sh = (cmd: string) => must('sh', ['-c', cmd]);

  await must('ip', ['netns', 'add', node]);
  await must('ip', ['netns', 'add', vpc]);
  const enis = opts.enis ?? 1;
  const perEni = Math.ceil(opts.ipCount / enis);
  const ips: string[] = [];
  const importDoc: { enis: unknown[] } = { enis: [] };
  try {
    await sh(`
      set -e
      ip -n ${node} link set lo up; ip -n ${vpc} link set lo up
      ip link add eth0 netns ${node} type veth peer name n0 netns ${vpc}
      ip -n ${node} addr add ${net}.11/24 dev eth0; ip -n ${node} link set eth0 up
      ip -n ${node} route add default via ${net}.1
      ip -n ${vpc} addr add ${net}.1/32 dev lo; ip -n ${vpc} addr add ${net}.250/32 dev lo
      ip -n ${vpc} link set n0 up; ip -n ${vpc} route add ${net}.11/32 dev n0
      ip netns exec ${vpc} sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv4/conf/all/proxy_arp; echo 1 > /proc/sys/net/ipv4/conf/n0/proxy_arp'
    `);
    for (let e = 0; e < enis; e++) {
      const mac = `02:77:00:00:${third.toString(16).padStart(2, '0')}:${(e + 1).toString(16).padStart(2, '0')}`;
      const port = `p${e + 1}`;
      const eniIps = Array.from({ length: perEni }, (_, i) => `${net}.${20 + e * perEni + i}`).slice(0, opts.ipCount - ips.length);
      ips.push(...eniIps);
      await sh(`
        set -e
        ip link add eth${e + 1} netns ${node} address ${mac} type veth peer name ${port} netns ${vpc}
        ip -n ${vpc} link set ${port} up
        ip netns exec ${vpc} sh -c 'echo 1 > /proc/sys/net/ipv4/conf/${port}/proxy_arp'
        ${eniIps.map((ip) => `ip -n ${vpc} route add ${ip}/32 dev ${port}; ip -n ${vpc} neigh replace ${ip} lladdr ${mac} dev ${port} nud permanent`).join('\n')}
      `);
      importDoc.enis.push({
        id: `eni-fake${e + 1}`,
        mac,
        mode: 'shared',
        subnetId: 'subnet-fake',
        subnetCidr: `${net}.0/24`,
        gateway: `${net}.1`,
        primaryIp: eniIps[0],
        ips: eniIps,
        ...(opts.podNetworks?.[e] ? { podNetwork: opts.podNetworks[e] } : {}),
      });
    }
    await must(bin('cello-ipam'), ['import', '--state-dir', stateDir], { input: JSON.stringify(importDoc) });
    await must(bin('cello-ipam'), ['settings', '--state-dir', stateDir, 'datapath=veth', 'ipCooldownSec=1']);
    const enisJson = String((await must(bin('cello-ipam'), ['list', 'enis', '--state-dir', stateDir, '-o', 'json'])).stdout);
    await must('ip', ['netns', 'exec', node, bin('cello-link'), 'eni-up', '--datapath', 'veth'], { input: JSON.stringify({ enis: JSON.parse(enisJson) }) });
    servers.push(await echoServer(vpc, 7777));
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    await run('ip', ['netns', 'del', node]);
    await run('ip', ['netns', 'del', vpc]);
    dir.remove();
    throw err;
  }

  return {
    node,
    vpc,
    stateDir,
    confDir,
    cacheDir,
    ips,
    peerIp: `${net}.250`,
    peerPort: 7777,
    nodeIp: `${net}.11`,
    conflist(name, body) {
      const file = join(confDir, `${name}.conflist`);
      writeFileSync(file, JSON.stringify(body));
      return file;
    },
    libcni(verb, a) {
      const args = [
        '-cni-path',
        `${join(bin('cello-cni'), '..')}:/usr/lib/cni`,
        '-conflist',
        a.conflist,
        '-netns',
        a.netns,
        '-id',
        a.id,
        '-ifname',
        a.ifname ?? 'eth0',
        '-cache-dir',
        cacheDir,
      ];
      if (a.capArgs) args.push('-cap-args', JSON.stringify(a.capArgs));
      if (a.cniArgs) args.push('-args', a.cniArgs);
      return run('ip', ['netns', 'exec', node, testBin('libcni-driver'), ...args, verb]);
    },
    plugin(env, stdin) {
      return run('ip', ['netns', 'exec', node, bin('cello-cni')], { env: { CNI_PATH: '/usr/lib/cni', ...env }, input: stdin });
    },
    tcp: echoFrom,
    ipam: (...args) => run(bin('cello-ipam'), [...args, '--state-dir', stateDir]),
    async remove() {
      await Promise.all(servers.map((s) => s.stop()));
      await run('sh', ['-c', `ip netns pids ${vpc} | xargs -r kill -9`]);
      await run('ip', ['netns', 'del', node]);
      await run('ip', ['netns', 'del', vpc]);
      dir.remove();
    },
  };
}
