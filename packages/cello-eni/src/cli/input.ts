/** What the commands check before acting: the Surplus document they read, and whose ENI it is. */
import { CommandError, UsageError } from '@cello/cli-kit';
import { z } from 'zod';
import { ConfigError, parseWith } from '../config/resolve.ts';
import type { EniContext } from '../context.ts';
import { isOwned } from '../lifecycle/tags.ts';
import type { CloudEni } from '../openapi/api.ts';

/** Refuse to change an ENI that is not Cello's on this node, unless --force. */
export function ensureOurs(ctx: EniContext, eni: CloudEni | undefined, id: string, force: boolean): CloudEni {
  if (!eni) throw new CommandError(`no ENI ${id} in this account and region`);
  if (!force && !isOwned(ctx.config, eni, ctx.identity.instanceId)) {
    throw new CommandError(`${id} was not created by Cello for this instance (${ctx.identity.instanceId}); pass --force to act on it anyway`);
  }
  return eni;
}

const surplusSchema = z.object({
  enis: z.array(
    z.object({
      id: z.string({ error: 'expected an ENI id' }).min(1, { error: 'expected an ENI id' }),
      ips: z.array(z.ipv4({ error: 'expected an IPv4 address' })).default([]),
      ipv6s: z.array(z.ipv6({ error: 'expected an IPv6 address' })).default([]),
      whole: z.boolean({ error: 'expected true or false' }).default(false),
    }),
    { error: 'expected a list of ENIs' },
  ),
});

/** The Surplus document `unassign` reads (cello-ipam surplus), checked field by field. */
export function surplusDoc(input: unknown) {
  try {
    return parseWith(surplusSchema, input);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`surplus document: ${err.message}`);
    throw err;
  }
}
