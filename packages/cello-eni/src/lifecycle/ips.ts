/**
 * Secondary IPs on an ENI: assign a count (one call per family, one
 * ClientToken reused by the client's retries) and unassign a list, each
 * waiting until the metadata service agrees for IPv4 (it serves no IPv6 yet;
 * docs/volcengine-api.md, metadata). An unassign of addresses that are partly gone removes the
 * rest: the API refuses a whole list for one address it does not hold.
 */
import { randomUUID } from 'node:crypto';
import type { EniContext } from '../context.ts';
import { metadataEni } from '../metadata/instance.ts';
import { waitFor } from './wait.ts';

export interface EniRef {
  id: string;
  mac: string;
}

export interface AddedIps {
  ips: string[];
  ipv6s: string[];
}

/** Wait until metadata lists every IP of `present` and none of `absent` for the ENI. */
export async function waitMetadataIps(ctx: EniContext, eni: EniRef, present: string[], absent: string[]): Promise<void> {
  if (!present.length && !absent.length) return;
  let last = '';
  await waitFor(
    ctx,
    `the metadata service to ${present.length ? `show ${present.length} new IP(s)` : `drop ${absent.length} IP(s)`} on ${eni.id}`,
    async () => {
      const m = await metadataEni(ctx.metadata, eni.mac, ctx.signal);
      if (!m) {
        last = 'the ENI is not in metadata';
        return absent.length && !present.length ? true : undefined;
      }
      const listed = new Set(m.privateIpv4s);
      const missing = present.filter((ip) => !listed.has(ip));
      const lingering = absent.filter((ip) => listed.has(ip));
      last = `missing ${missing.length}, still listed ${lingering.length}`;
      return missing.length || lingering.length ? undefined : true;
    },
    { lastSeen: () => last },
  );
}

/** Assign `v4` IPv4s and `v6` IPv6s to an attached (or Available) ENI; returns the new addresses. */
export async function assignIps(ctx: EniContext, eni: EniRef, v4: number, v6: number, opts: { waitMetadata?: boolean } = {}): Promise<AddedIps> {
  const ips = v4 > 0 ? await ctx.api.assignIpv4(eni.id, v4, randomUUID()) : [];
  const ipv6s = v6 > 0 ? await ctx.api.assignIpv6(eni.id, v6, randomUUID()) : [];
  ctx.log.info('assigned IPs', { eni: eni.id, ips, ipv6s });
  if (opts.waitMetadata !== false) await waitMetadataIps(ctx, eni, ips, []);
  return { ips, ipv6s };
}

/**
 * Unassign addresses; returns the ones the cloud no longer has on the ENI
 * (all of them, unless a call failed). An ENI that is gone has none.
 */
export async function unassignIps(ctx: EniContext, eni: EniRef, ips: string[], ipv6s: string[], opts: { waitMetadata?: boolean } = {}): Promise<AddedIps> {
  const removed: AddedIps = { ips: [], ipv6s: [] };
  for (const [family, list] of [
    [4, ips],
    [6, ipv6s],
  ] as const) {
    if (!list.length) continue;
    const call = (l: string[]) => (family === 4 ? ctx.api.unassignIpv4(eni.id, l, randomUUID()) : ctx.api.unassignIpv6(eni.id, l, randomUUID()));
    const r = await call(list);
    if (r.okCode && r.okCode !== 'InvalidEniId.NotFound') {
      // Some address was not on the ENI: unassign what still is.
      const now = await ctx.api.describeEni(eni.id);
      const held = new Set(family === 4 ? (now?.ips ?? []) : (now?.ipv6s ?? []));
      const rest = list.filter((ip) => held.has(ip));
      if (rest.length) await call(rest);
    }
    (family === 4 ? removed.ips : removed.ipv6s).push(...list);
  }
  ctx.log.info('unassigned IPs', { eni: eni.id, ...removed });
  if (opts.waitMetadata !== false) await waitMetadataIps(ctx, eni, [], removed.ips);
  return removed;
}
