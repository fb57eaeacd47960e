/**
 * Build a sim's network at `up` (see docs/vpc-sim.md, "Dataplane"):
 * - the router namespace `NAME-vpc` is the VPC's SDN: it holds the service
 *   addresses and every subnet gateway on `lo`, forwards, answers ARP for
 *   every routed address (proxy ARP), and routes each assigned private IP to
 *   the port of the ENI that holds it (a /32 route and a permanent neighbour),
 *   and drops what a port sends from an address its ENI does not hold
 *   (source-check.ts), and drops what reaches a port from a source none of
 *   its ENI's security groups admits (security-groups.ts);
 * - each node `NAME-nodeK` gets its primary ENI as `eth0` (a veth whose peer
 *   is a router port), its primary address and a default route via the
 *   subnet gateway.
 * Nothing is connected to the machine's own namespace.
 */
import type { SimConfig } from '../config.ts';
import type { Eni, World } from '../cloud/types.ts';
import { SIM_ADDRESSES, type SimPaths } from '../naming.ts';
import { parseCidr } from '../util/net.ts';
import { must } from '../util/run.ts';
import { ipBatch, sysctlIn } from './ip.ts';
import { applySecurityGroups } from './security-groups.ts';
import { applySourceCheck } from './source-check.ts';

/**
 * The router's sysctls; new ports inherit the `default` values. `rp_filter`
 * stays off: it would drop ARP too; the source check is iptables rules
 * (source-check.ts). Proxy ARP answers on the port a request came from too
 * (`proxy_arp_pvlan`): the VPC answers for every address of a subnet, so two
 * addresses of one ENI reach each other through it (and its security groups).
 */
const ROUTER_SYSCTLS = {
  'net.ipv4.ip_forward': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv4.conf.default.proxy_arp': 1,
  'net.ipv4.conf.default.proxy_arp_pvlan': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv6.conf.all.proxy_ndp': 1,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.default.accept_ra': 0,
};

/** A node starts like a fresh Debian VM (systemd's defaults), not like this machine. */
const NODE_SYSCTLS = {
  'net.ipv4.ip_forward': 0,
  'net.ipv4.conf.all.rp_filter': 2,
  'net.ipv4.conf.default.rp_filter': 2,
  'net.ipv6.conf.all.forwarding': 0,
};

/**
 * `ip` lines that bring a new router port up. Proxy ARP and proxy NDP answers
 * wait up to `proxy_delay` (0.8 s) unless it is set per device: a namespace
 * other than the machine's own has no `neigh/default` to inherit it from.
 */
export function portUpLines(port: string): string[] {
  return [`link set ${port} up`, `ntable change name arp_cache dev ${port} proxy_delay 0`, `ntable change name ndisc_cache dev ${port} proxy_delay 0`];
}

/** `ip` lines that give a router port its routes: every address of the ENI, with the ENI's MAC. */
export function portRouteLines(eni: Eni, port: string, ips: string[]): string[] {
  return ips.flatMap((ip) => [
    `route replace ${ip}/${ip.includes(':') ? 128 : 32} dev ${port}`,
    `neigh replace ${ip} lladdr ${eni.mac} dev ${port} nud permanent`,
  ]);
}

export async function buildNetwork(world: World, config: SimConfig, paths: SimPaths): Promise<void> {
  const router = paths.routerNetns;
  const nodes = world.instances;
  await ipBatch([`netns add ${router}`, ...nodes.map((i) => `netns add ${i.netns}`)]);
  const nodeSysctls = Object.entries(NODE_SYSCTLS)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  await Promise.all([sysctlIn(router, ROUTER_SYSCTLS), inChunks(nodes.map((i) => `nsenter --net=/var/run/netns/${i.netns} sysctl -q -w ${nodeSysctls}`))]);

  const primaries = nodes.map((i) => ({ instance: i, eni: world.enis.find((e) => e.id === i.primaryEniId)! }));
  await ipBatch(
    primaries.map(({ instance, eni }) => `link add eth0 netns ${instance.netns} address ${eni.mac} mtu 1500 type veth peer name ${eni.port} netns ${router}`),
  );

  const routerLines = [
    'link set lo up',
    ...Object.values(SIM_ADDRESSES).map((a) => `addr add ${a}/32 dev lo`),
    ...world.subnets.map((s) => `addr add ${s.gateway}/32 dev lo`),
    ...world.subnets.filter((s) => s.gatewayV6).map((s) => `addr add ${s.gatewayV6}/128 dev lo nodad`),
  ];
  for (const { eni } of primaries) {
    const subnet = world.subnets.find((s) => s.id === eni.subnetId)!;
    routerLines.push(...portUpLines(eni.port!), ...portRouteLines(eni, eni.port!, [eni.primaryIp]));
    if (subnet.gatewayV6) routerLines.push(`neigh add proxy ${subnet.gatewayV6} dev ${eni.port}`);
  }
  await ipBatch(routerLines, router);
  const plugged = primaries.map((p) => p.eni);
  if (config.sourceCheck) await applySourceCheck(router, plugged);
  if (config.enforceSecurityGroups) await applySecurityGroups(router, plugged, world.securityGroups, world.enis);

  await inChunks(
    primaries.map(({ instance, eni }) => {
      const subnet = world.subnets.find((s) => s.id === eni.subnetId)!;
      const lines = [
        'link set lo up',
        'link set eth0 up',
        `addr add ${eni.primaryIp}/${parseCidr(subnet.cidr).prefix} dev eth0`,
        `route add default via ${subnet.gateway} dev eth0`,
      ];
      return `ip -n ${instance.netns} -batch - <<'EOF'\n${lines.join('\n')}\nEOF`;
    }),
  );
}

/**
 * Run one shell command per node, in a few `sh` processes side by side
 * rather than a process per node at once: hundreds of spawns at once from
 * the CLI made `up` grow faster than linearly (200 nodes: 11.6 s, now 7.0 s;
 * docs/vpc-sim.md, Size).
 */
async function inChunks(commands: string[], parallel = 2): Promise<void> {
  const size = Math.ceil(commands.length / parallel);
  const chunks: string[][] = [];
  for (let i = 0; i < commands.length; i += size) chunks.push(commands.slice(i, i + size));
  await Promise.all(chunks.map((c) => must('sh', ['-es'], `${c.join('\n')}\n`)));
}
