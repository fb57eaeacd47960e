/** What the commands check before acting: the Surplus document they read, and whose ENI it is. */
import { CommandError } from '@cello/cli-kit';
import { parseSurplusDoc, type SurplusDoc } from '@cello/records';
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

/** The Surplus document `unassign` reads (cello-ipam surplus), by the rules cello-ipam's forget reads it by (@cello/records). */
export const surplusDoc = (input: unknown): SurplusDoc => parseSurplusDoc(input);
