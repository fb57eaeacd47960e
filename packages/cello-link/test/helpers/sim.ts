/**
 * A small VPC on namespaces, as tools/vpc-sim builds it (docs/vpc-sim.md): a "vpc" router
 * namespace (gateways on lo, forwarding, proxy ARP on every port, answered at
 * once: proxy_delay 0, or every first ARP waits up to 0.8 s), a "node"
 * with its primary NIC and ENIs (veths whose peers are vpc ports, carrying the
 * ENI's MAC), a "peer" elsewhere in the ENI subnet, and pod namespaces. The
 * vpc routes each *assigned* IP to its ENI's port with a permanent neighbour,
 * as the SDN does. Everything is named uniquely and removed by close().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bin, createNetns, must, type Netns, run } from '@cello/testkit';
import type { EniRecord, LinkAllocation } from '../../src/index.ts';

const XFER = join(dirname(fileURLToPath(import.meta.url)), 'xfer.mjs');
const childEnv = () => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loader: slow, and not what production sees
  return env;
};

export const NODE_IP = '192.168.0.11';
export const PEER_IP = '192.168.1.50';
export const ENI_SUBNET = '192.168.1.0/24';
export const ENI_GATEWAY = '192.168.1.1';
export const NODE_IP6 = 'fd00::11';
export const PEER_IP6 = 'fd00:1::50';
export const ENI_SUBNET6 = 'fd00:1::/64';
export const ENI_GATEWAY6 = 'fd00:1::1';
/** Where serveAll's servers listen: on each pod, on the node, on the VPC peer. */
export const POD_PORT = 7001;
export const NODE_PORT = 7002;
export const PEER_PORT = 7003;

export class Sim {
  private servers: ChildProcess[] = [];
  private pods: Netns[] = [];
  private enis = 0;

  private constructor(
    readonly vpc: Netns,
    readonly node: Netns,
    readonly peer: Netns,
    readonly ipv6: boolean,
  ) {}

  /**
   * With `ipv6`, dual stack: the node has fd00::11, the ENI subnet is
   * fd00:1::/64, and since IPv6 has no proxy ARP, every vpc port carries the
   * subnet gateway address itself (/128) to answer neighbour solicitations.
   */
  static async create(opts: { ipv6?: boolean } = {}): Promise<Sim> {
    const vpc = await createNetns('lv');
    const node = await createNetns('ln');
    const peer = await createNetns('lp');
    const sim = new Sim(vpc, node, peer, Boolean(opts.ipv6));
    const v = (...args: string[]) => must('ip', ['-n', vpc.name, ...args]);
    await v('addr', 'add', '192.168.0.1/32', 'dev', 'lo');
    await v('addr', 'add', `${ENI_GATEWAY}/32`, 'dev', 'lo');
    await must('ip', ['netns', 'exec', vpc.name, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv4/conf/all/proxy_arp']);
    // No IPv6 DAD in the node: link-local addresses (and their local routes)
    // appear at once instead of a second later, so state dumps are stable.
    await must('ip', [
      'netns',
      'exec',
      node.name,
      'sh',
      '-c',
      'echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad',
    ]);
    // node primary NIC
    await must('ip', ['-n', node.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'pnode', 'netns', vpc.name]);
    await must('ip', ['-n', node.name, 'addr', 'add', `${NODE_IP}/24`, 'dev', 'eth0']);
    await must('ip', ['-n', node.name, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', node.name, 'route', 'add', 'default', 'via', '192.168.0.1', 'dev', 'eth0']);
    await sim.portUp('pnode');
    await v('route', 'add', `${NODE_IP}/32`, 'dev', 'pnode');
    if (sim.ipv6) {
      await must('ip', ['netns', 'exec', vpc.name, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding']);
      await v('addr', 'add', 'fd00::1/128', 'dev', 'pnode', 'nodad');
      await v('route', 'add', `${NODE_IP6}/128`, 'dev', 'pnode');
      await must('ip', ['-n', node.name, 'addr', 'add', `${NODE_IP6}/64`, 'dev', 'eth0', 'nodad']);
      await must('ip', ['-n', node.name, 'route', 'add', '::/0', 'via', 'fd00::1', 'dev', 'eth0']);
    }
    // a peer in the ENI subnet, on another "node"
    await must('ip', ['-n', peer.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'ppeer', 'netns', vpc.name]);
    await must('ip', ['-n', peer.name, 'addr', 'add', `${PEER_IP}/24`, 'dev', 'eth0']);
    await must('ip', ['-n', peer.name, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', peer.name, 'route', 'add', 'default', 'via', ENI_GATEWAY, 'dev', 'eth0']);
    await sim.portUp('ppeer');
    await v('route', 'add', `${PEER_IP}/32`, 'dev', 'ppeer');
    if (sim.ipv6) {
      await v('addr', 'add', `${ENI_GATEWAY6}/128`, 'dev', 'ppeer', 'nodad');
      await v('route', 'add', `${PEER_IP6}/128`, 'dev', 'ppeer');
      await must('ip', ['-n', peer.name, 'addr', 'add', `${PEER_IP6}/128`, 'dev', 'eth0', 'nodad']);
      await must('ip', ['-n', peer.name, 'route', 'add', `${ENI_GATEWAY6}/128`, 'dev', 'eth0']);
      await must('ip', ['-n', peer.name, 'route', 'add', '::/0', 'via', ENI_GATEWAY6, 'dev', 'eth0']);
    }
    return sim;
  }

  /** A vpc port up, answering proxy ARP at once (non-init netns have no neigh/default to set). */
  private async portUp(port: string): Promise<void> {
    await must('ip', ['-n', this.vpc.name, 'link', 'set', port, 'up']);
    await must('ip', ['netns', 'exec', this.vpc.name, 'sh', '-c', `echo 0 > /proc/sys/net/ipv4/neigh/${port}/proxy_delay`]);
  }

  /** Attach an ENI: a veth `eth<n>` in the node with the ENI's MAC, its peer a vpc port. */
  async attachEni(mode: 'shared' | 'exclusive', primaryIp: string): Promise<EniRecord> {
    const n = ++this.enis;
    const mac = `02:00:00:00:0${n}:0a`;
    const device = `eth${n}`;
    await must('ip', ['-n', this.node.name, 'link', 'add', device, 'address', mac, 'type', 'veth', 'peer', 'name', `peni${n}`, 'netns', this.vpc.name]);
    await this.portUp(`peni${n}`);
    const eni: EniRecord = { id: `eni-${n}`, mac, device, mode, subnetCidr: ENI_SUBNET, gateway: ENI_GATEWAY, primaryIp, mtu: 1500, routeTable: 100 + n };
    if (this.ipv6) {
      await must('ip', ['-n', this.vpc.name, 'addr', 'add', `${ENI_GATEWAY6}/128`, 'dev', `peni${n}`, 'nodad']);
      // the ENI subnet is on-link: the VPC answers neighbour solicitations for the peer as well
      await must('ip', ['netns', 'exec', this.vpc.name, 'sh', '-c', `echo 1 > /proc/sys/net/ipv6/conf/peni${n}/proxy_ndp`]);
      await must('ip', ['-n', this.vpc.name, '-6', 'neigh', 'add', 'proxy', PEER_IP6, 'dev', `peni${n}`]);
      Object.assign(eni, { subnetCidrV6: ENI_SUBNET6, gatewayV6: ENI_GATEWAY6 });
    }
    await this.assign(eni, primaryIp);
    return eni;
  }

  /** The cloud assigns an IP to an ENI: the vpc routes it to the ENI's port. */
  async assign(eni: EniRecord, ip: string): Promise<void> {
    const port = `peni${eni.device!.slice(3)}`;
    await must('ip', ['-n', this.vpc.name, 'route', 'replace', `${ip}/${ip.includes(':') ? 128 : 32}`, 'dev', port]);
    await must('ip', ['-n', this.vpc.name, 'neigh', 'replace', ip, 'lladdr', eni.mac, 'dev', port, 'nud', 'permanent']);
  }

  async pod(): Promise<Netns> {
    const p = await createNetns('lq');
    this.pods.push(p);
    return p;
  }

  allocation(pod: Netns, eni: EniRecord, ipv4: string | undefined, ipv6?: string, containerId = `c-${pod.name}`): LinkAllocation {
    return { network: 'cello', containerId, ifname: 'eth0', netns: pod.path, mode: eni.mode, ipv4, ...(ipv6 ? { ipv6 } : {}), eni };
  }

  /** A new pod and its allocation on `eni`, its addresses already assigned in the VPC (as cello-eni would have). */
  async podWith(eni: EniRecord, ipv4: string | undefined, ipv6?: string): Promise<[Netns, LinkAllocation]> {
    const pod = await this.pod();
    for (const ip of [ipv4, ipv6]) if (ip) await this.assign(eni, ip);
    return [pod, this.allocation(pod, eni, ipv4, ipv6)];
  }

  /** Run bin/cello-link inside the node namespace, as on a host; JSON input on stdin. */
  async cello(args: string[], input?: unknown, env: Record<string, string> = {}) {
    const r = await run('ip', ['netns', 'exec', this.node.name, bin('cello-link'), ...args], {
      input: input === undefined ? '' : JSON.stringify(input),
      env,
    });
    let json: any;
    try {
      json = JSON.parse(String(r.stdout));
    } catch {
      json = undefined;
    }
    return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), json };
  }

  /** Start the xfer server in a namespace on ip:port; resolves once it listens. */
  async serve(ns: string, ip: string, port: number): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, XFER, 'serve', ip, String(port)], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.servers.push(child);
    await new Promise<void>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      rl.once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`server in ${ns} on ${ip}:${port} exited ${code}`)));
    });
  }

  /** Servers for `who` on each [pod, address] (POD_PORT), on the node (NODE_PORT) and on the VPC peer (PEER_PORT), over IPv4 or IPv6. */
  async serveAll(pods: Array<[Netns, string]>, ipv6 = false): Promise<void> {
    for (const [pod, ip] of pods) await this.serve(pod.name, ip, POD_PORT);
    await this.serve(this.node.name, ipv6 ? NODE_IP6 : NODE_IP, NODE_PORT);
    await this.serve(this.peer.name, ipv6 ? PEER_IP6 : PEER_IP, PEER_PORT);
  }

  private async client(ns: string, args: string[]) {
    const r = await run('ip', ['netns', 'exec', ns, process.execPath, XFER, ...args], { env: childEnv() });
    if (r.exitCode !== 0) throw new Error(`xfer ${args.join(' ')} in ${ns}: ${String(r.stderr).trim()}`);
    return String(r.stdout).trim();
  }

  /** Connect from `ns` to ip:port; returns the source address the server saw. */
  who(ns: string, ip: string, port: number): Promise<string> {
    return this.client(ns, ['who', ip, String(port)]);
  }

  async transfer(ns: string, dir: 'get' | 'put', ip: string, port: number, bytes: number): Promise<{ bytes: number; ms: number }> {
    return JSON.parse(await this.client(ns, [dir, ip, String(port), String(bytes)]));
  }

  async close(): Promise<void> {
    for (const s of this.servers) s.kill();
    await Promise.all(this.servers.map((s) => (s.exitCode === null ? new Promise((r) => s.once('exit', r)) : undefined)));
    for (const p of this.pods) await p.remove();
    await this.node.remove();
    await this.peer.remove();
    await this.vpc.remove();
  }
}
