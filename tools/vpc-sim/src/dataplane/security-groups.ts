/**
 * Security groups in the dataplane (`enforceSecurityGroups`): a forwarded
 * IPv4 packet leaving the router by an ENI's port is dropped unless one of
 * that ENI's groups admits its source (cloud/sg-sources.ts), except return
 * traffic of a flow already let through (conntrack: stateful, as a real
 * security group is). Egress is not filtered.
 *
 * The rules live in the router namespace's iptables `filter` table, FORWARD
 * (what the router routes between ports; the sim's own services are INPUT
 * and OUTPUT and never meet them), one chain per port whose ENI is
 * restricted:
 *
 *     -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
 *     -A FORWARD -o e5 -j sg-e5
 *     -A sg-e5 -s 192.168.2.3/32 -j ACCEPT      (each admitted source)
 *     -A sg-e5 -j DROP
 *
 * A port whose groups admit 0.0.0.0/0 gets no chain, and with no restricted
 * port the table is empty: the default config (every group admits anything)
 * adds no rule, not even conntrack. As with the source check
 * (source-check.ts), the whole table is written from the cloud's state on
 * every change, in one atomic `iptables-restore`, so a crash leaves nothing
 * the next change does not repair.
 */
import { type Sources, sourcesByEni } from '../cloud/sg-sources.ts';
import type { Eni, SecurityGroup } from '../cloud/types.ts';
import { must } from '../util/run.ts';

export const chainOf = (port: string) => `sg-${port}`;

/** `iptables-restore` input for the router's filter table: one chain per restricted port. */
export function securityGroupTable(ports: Array<{ port: string; sources: Sources }>): string {
  const restricted = ports.filter((p): p is { port: string; sources: string[] } => p.sources !== 'any');
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...restricted.map((p) => `:${chainOf(p.port)} - [0:0]`)];
  if (restricted.length) lines.push('-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
  for (const { port, sources } of restricted) {
    lines.push(`-A FORWARD -o ${port} -j ${chainOf(port)}`);
    for (const s of sources) lines.push(`-A ${chainOf(port)} -s ${s} -j ACCEPT`);
    lines.push(`-A ${chainOf(port)} -j DROP`);
  }
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** What this process last wrote per router namespace: the same table again is not written. */
const written = new Map<string, string>();

/**
 * Make the router's security-group rules exactly those of `plugged` (the ENIs
 * with a port), given every group and every ENI (group members' addresses).
 */
export async function applySecurityGroups(routerNetns: string, plugged: Eni[], groups: SecurityGroup[], enis: Eni[]): Promise<void> {
  const ports = plugged.filter((e) => e.port).sort((a, b) => a.seq - b.seq);
  const sources = sourcesByEni(ports, groups, enis);
  const table = securityGroupTable(ports.map((e) => ({ port: e.port!, sources: sources.get(e.id)! })));
  if (written.get(routerNetns) === table) return;
  written.delete(routerNetns);
  await must('nsenter', [`--net=/var/run/netns/${routerNetns}`, 'iptables-restore', '--wait'], table).catch((err: Error) => {
    throw new Error(
      `could not write the security-group rules (they need iptables, which make setup installs; or run the sim with "enforceSecurityGroups": false): ${err.message}`,
    );
  });
  written.set(routerNetns, table);
}
