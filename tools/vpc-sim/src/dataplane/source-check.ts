/**
 * The source check (port security, `sourceCheck`): an IPv4 packet arriving
 * on an ENI's router port whose source address is not assigned to that ENI
 * is dropped. Like a real VPC's port security it filters IP packets only: ARP
 * is untouched, so a node whose ENI has no address of its own (the ARP sender
 * is then another ENI's address) still resolves the gateway. Strict
 * `rp_filter` would also drop that ARP, which is why it is not used.
 *
 * The rules live in the router namespace's iptables `raw` table, PREROUTING
 * (before routing: forwarded traffic and traffic to the sim's services alike),
 * one chain per port:
 *
 *     -A PREROUTING -i e5 -j src-e5
 *     -A src-e5 -s 192.168.2.3/32 -j RETURN     (each assigned IPv4)
 *     -A src-e5 -j DROP
 *
 * The whole table is written from the cloud's state on every change, in one
 * atomic `iptables-restore`, so whatever a crash left behind, the next change
 * repairs it. The sim owns the router namespace; nothing else writes there.
 */
import type { Eni } from '../cloud/types.ts';
import { must } from '../util/run.ts';

const chainOf = (port: string) => `src-${port}`;

/** `iptables-restore` input for the router's raw table: a source check for each ENI that has a port. */
function sourceCheckTable(enis: Eni[]): string {
  const plugged = enis.filter((e) => e.port).sort((a, b) => a.seq - b.seq);
  const lines = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...plugged.map((e) => `:${chainOf(e.port!)} - [0:0]`)];
  for (const eni of plugged) {
    const chain = chainOf(eni.port!);
    lines.push(`-A PREROUTING -i ${eni.port} -j ${chain}`);
    for (const ip of [eni.primaryIp, ...eni.secondaryIps]) lines.push(`-A ${chain} -s ${ip}/32 -j RETURN`);
    lines.push(`-A ${chain} -j DROP`);
  }
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** What this process last wrote per router namespace: the same table again is not written (an attach asks twice). */
const written = new Map<string, string>();

/** Make the router's source check exactly that of `enis` (those with a port). */
export async function applySourceCheck(routerNetns: string, enis: Eni[]): Promise<void> {
  const table = sourceCheckTable(enis);
  if (written.get(routerNetns) === table) return;
  written.delete(routerNetns);
  await must('nsenter', [`--net=/var/run/netns/${routerNetns}`, 'iptables-restore', '--wait'], table).catch((err: Error) => {
    throw new Error(
      `could not write the source check (it needs iptables, which make setup installs; or run the sim with "sourceCheck": false): ${err.message}`,
    );
  });
  written.set(routerNetns, table);
}
