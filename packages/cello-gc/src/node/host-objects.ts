/**
 * Step 2 of the node sweep: kernel objects cello made that no allocation or
 * ENI accounts for. cello-link's `show()` finds them by their deterministic
 * names (`cel…` host veths and `cbw…` ifbs named after sha1(containerId +
 * ifname), `ipvl_N` host slaves) and by protocol 207 on routes and rules.
 *
 * Pod-level objects (host veths, ifbs, main-table pod routes, rules at
 * priorities 512/1536) are matched against the allocations read AFTER the
 * kernel snapshot. cello-cni commits an allocation before it makes any of
 * them, so an object in the snapshot whose allocation is missing afterwards
 * is truly orphaned (or being torn down by its DEL) — never a pod mid-ADD.
 *
 * ENI-level objects (routes in an ENI's table, the ipvlan host slave) are
 * made by eni-up before the keeper imports the ENI, so they are only swept
 * while gc holds the keeper's lock (`eniLevel`), i.e. while no keeper runs.
 *
 * Just before each delete gc reads the allocations again: an object whose
 * name or IP an allocation holds by then (a DEL and a new ADD reusing the IP
 * since the snapshot) is left alone, and one already gone (its DEL removed
 * it) is reported as skipped, not fixed.
 *
 * Neighbours and qdiscs live on these devices and go with them; a route on
 * an orphaned link is not reported on its own.
 */
import type { IpamStore } from '@cello/cello-ipam';
import {
  hostVethName,
  ifbName,
  legacyLinkNames,
  PRIO_FROM_NETWORK_POD,
  PRIO_FROM_POD,
  PRIO_TO_POD,
  show,
  type ShowRoute,
  type ShowRule,
} from '@cello/cello-link';
import { type Ledger, register, settle, Skip, skipped } from '../ledger.ts';
import { ipDelete } from './kernel.ts';

const PROTO = '207';
const bare = (ip: string) => ip.replace(/\/(32|128)$/, '');
const isHostAddress = (dst: string) => !dst.includes('/') || /\/(32|128)$/.test(dst);
const isV6Route = (r: ShowRoute) => r.dst.includes(':') || Boolean(r.via?.includes(':'));
const isPodDevice = (dev: string) => /^(cel[0-9a-f]{11}|ipvl_\d+)$/.test(dev);

/** The pod IP a rule is for, if it is one of the pod rules (to-pod, from-pod, and a PodNetwork pod's first from-pod). */
function ruleIp(r: ShowRule): string | undefined {
  if (r.priority === PRIO_TO_POD && r.to) return bare(r.to);
  if ((r.priority === PRIO_FROM_POD || r.priority === PRIO_FROM_NETWORK_POD) && r.from) return bare(r.from);
  return undefined;
}

/** The link names and IPs the allocations account for, read now. */
function accountedFor(store: IpamStore): { links: Set<string>; ips: Set<string> } {
  const allocations = store.allocations();
  return {
    links: new Set(
      allocations.flatMap((a) => [hostVethName(a.containerId, a.ifname), ifbName(a.containerId, a.ifname), ...legacyLinkNames(a.containerId, a.ifname)]),
    ),
    ips: new Set(allocations.flatMap((a) => [a.ipv4, a.ipv6]).filter((ip): ip is string => Boolean(ip))),
  };
}

/** Delete one object after a last look: still unaccounted for, and really there. */
async function deleteOrphan(store: IpamStore, owner: { link?: string; ip?: string }, args: string[]): Promise<void> {
  const now = accountedFor(store);
  if ((owner.link && now.links.has(owner.link)) || (owner.ip && now.ips.has(owner.ip))) throw new Skip('an allocation accounts for it now');
  if (!(await ipDelete(args))) throw new Skip('already gone (removed meanwhile)');
}

export async function sweepHostObjects(l: Ledger, store: IpamStore, opts: { eniLevel: boolean }): Promise<void> {
  const kernel = await show();
  // Read after the snapshot: see the module comment.
  const { links: expectedLinks, ips: held } = accountedFor(store);
  const enis = store.enis();
  const eniMacs = new Set(enis.map((e) => e.mac.toLowerCase()));
  const eniTables = new Set(enis.map((e) => String(e.routeTable)));
  const eniLevelNote = 'a pool keeper is running: ENI-level objects are left to it (eni-up runs before import)';

  const orphanLinks = new Set<string>();
  for (const link of kernel.links) {
    let reason: string | undefined;
    let eniLevel = false;
    if ((link.role === 'host-veth' || link.role === 'ifb') && !expectedLinks.has(link.name)) reason = `no allocation is named ${link.name}`;
    if (link.role === 'ipvlan-host' && !eniMacs.has(link.mac.toLowerCase())) {
      reason = `its ENI (MAC ${link.mac}) is not known to cello-ipam`;
      eniLevel = true;
    }
    if (!reason) continue;
    const c = { kind: 'host-link' as const, id: `link ${link.name}`, reason, action: 'delete' };
    if (eniLevel && !opts.eniLevel) {
      skipped(l, c, eniLevelNote);
      continue;
    }
    orphanLinks.add(link.name);
    const { finding, due } = register(l, c);
    await settle(l, finding, due, () => deleteOrphan(store, { link: eniLevel ? undefined : link.name }, ['link', 'del', link.name]));
  }

  for (const r of kernel.routes) {
    let reason: string | undefined;
    let eniLevel = false;
    if (r.table === 'main' && isHostAddress(r.dst) && isPodDevice(r.dev) && !orphanLinks.has(r.dev) && !held.has(bare(r.dst))) {
      reason = `no allocation holds ${bare(r.dst)}`;
    } else if (/^\d+$/.test(r.table) && Number(r.table) >= 100 && !eniTables.has(r.table)) {
      reason = `table ${r.table} belongs to no ENI cello-ipam knows`;
      eniLevel = true;
    }
    if (!reason) continue;
    const c = { kind: 'host-route' as const, id: `route ${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${r.dev} table ${r.table}`, reason, action: 'delete' };
    if (eniLevel && !opts.eniLevel) {
      skipped(l, c, eniLevelNote);
      continue;
    }
    const { finding, due } = register(l, c);
    const family = isV6Route(r) ? ['-6'] : [];
    await settle(l, finding, due, () =>
      deleteOrphan(store, { ip: eniLevel ? undefined : bare(r.dst) }, [...family, 'route', 'del', r.dst, 'table', r.table, 'dev', r.dev, 'proto', PROTO]),
    );
  }

  for (const r of kernel.rules) {
    const ip = ruleIp(r);
    if (!ip || held.has(ip)) continue;
    const selector = r.priority === PRIO_TO_POD ? ['to', ip] : ['from', ip];
    const { finding, due } = register(l, {
      kind: 'host-rule',
      id: `rule ${r.priority} ${selector.join(' ')} lookup ${r.table}`,
      reason: `no allocation holds ${ip}`,
      action: 'delete',
    });
    const family = ip.includes(':') ? ['-6'] : [];
    await settle(l, finding, due, () => deleteOrphan(store, { ip }, [...family, 'rule', 'del', 'pref', String(r.priority), ...selector, 'protocol', PROTO]));
  }

  l.seen.finish('host-');
}
