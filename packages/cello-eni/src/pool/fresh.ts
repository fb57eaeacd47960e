/**
 * A fresh node: the keeper's start reconcile can skip listing the cloud.
 *
 * The start reconcile lists the ENIs tagged for this instance (one
 * DescribeNetworkInterfaces) to find what an earlier run left: attached ENIs
 * cello-ipam does not know, and spares (Available, a crash between create
 * and attach). On a node where no keeper ever created an ENI there is
 * nothing to find, and at cluster scale that listing is half of a new node's
 * reads (issue 14). A node is fresh when all of these hold:
 *
 * - the state dir has no record (CREATED_FILE) that a keeper created an ENI
 *   for this instance: the keeper writes it *before* its first
 *   CreateNetworkInterface (noteCreating), so a crash anywhere after leaves
 *   the record and the next start lists;
 * - cello-ipam knows no ENI;
 * - the metadata service shows no interface but the primary: ENIs of ours
 *   still attached after the state dir was lost (a replaced system disk)
 *   show there, and make the start list.
 *
 * What a fresh start cannot see is an ENI of ours left Available when the
 * state dir was lost, or made by hand (`cello-eni create`) and not attached:
 * the next reconcile (every reconcileIntervalSec in --watch) finds it, as a
 * spare the pool uses or deletes.
 */
import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';
import { attachedMacs } from '../metadata/instance.ts';
import type { KeeperContext } from './context.ts';

/** The record, in the state dir, of the instances a keeper has created ENIs for. */
export const CREATED_FILE = 'enis-created.json';

function read(dir: string): Record<string, string> {
  const doc = readJsonFile<{ instances?: unknown }>(join(dir, CREATED_FILE));
  return doc && typeof doc.instances === 'object' && doc.instances ? (doc.instances as Record<string, string>) : {};
}

/** Whether a keeper with this state dir has (or may have) created an ENI for the instance. */
export function hasCreated(dir: string, instanceId: string): boolean {
  return instanceId in read(dir);
}

const noted = new Set<string>();

/**
 * Record, before a create, that this instance has ENIs of ours from now on.
 * Throws when the record cannot be written: a create it does not cover could
 * be missed by the next start.
 */
export function noteCreating(k: Pick<KeeperContext, 'stateDir' | 'identity'>): void {
  const dir = k.stateDir;
  const id = k.identity.instanceId;
  if (!dir || noted.has(`${dir}\n${id}`)) return;
  const instances = read(dir);
  if (!(id in instances)) writeJsonFile(join(dir, CREATED_FILE), { instances: { ...instances, [id]: new Date().toISOString() } });
  noted.add(`${dir}\n${id}`);
}

/** Whether the start reconcile may skip listing the cloud (see the header); why not, when not. */
export async function freshNode(k: KeeperContext): Promise<{ fresh: true } | { fresh: false; why: string }> {
  if (!k.stateDir) return { fresh: false, why: 'no state dir to keep the record in' };
  if (hasCreated(k.stateDir, k.identity.instanceId)) return { fresh: false, why: 'a keeper created ENIs for this instance before' };
  if (k.store.enis().length) return { fresh: false, why: 'cello-ipam knows ENIs' };
  const others = (await attachedMacs(k.metadata, k.signal)).filter((m) => m !== k.identity.primaryMac);
  if (others.length) return { fresh: false, why: `the metadata service shows ${others.length} interface(s) besides the primary` };
  return { fresh: true };
}
