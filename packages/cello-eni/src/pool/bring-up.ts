/**
 * The last steps of an ENI's arrival on the node: cello-link's eni-up (device
 * up, rp_filter, the ENI's route table or ipvlan host path), then the import
 * into cello-ipam, after which pods can have its IPs. eni-up needs the route
 * table cello-ipam will give the ENI, so the table is chosen first (the
 * lowest free one, which import honours when asked) and eni-up runs again in
 * the rare case import picked another.
 *
 * The keeper runs it after every attach and in its reconcile; cello-gc runs
 * it to adopt an attached ENI cello-ipam does not know.
 */
import type { Logger } from '@cello/cli-kit';
import { type EniRecord, FIRST_ROUTE_TABLE, type ImportEni, type IpamStore } from '@cello/cello-ipam';
import { eniUp } from '@cello/cello-link';
import type { CelloConfig } from '../config/resolve.ts';
import type { CloudEni } from '../openapi/api.ts';
import type { MetadataEni } from '../metadata/instance.ts';
import { importDocFor } from '../lifecycle/record.ts';
import type { KeeperContext } from './context.ts';

/** What a bring-up needs: the node's store, the datapath, a logger. */
export interface BringUpContext {
  store: IpamStore;
  config: Pick<CelloConfig, 'datapath'>;
  log: Logger;
}

function nextRouteTable(store: IpamStore): number {
  const taken = new Set(store.enis().map((e) => e.routeTable));
  let t = FIRST_ROUTE_TABLE;
  while (taken.has(t)) t++;
  return t;
}

/** The keeper's Import entry for a cloud ENI: its subnet from the picker's cache, not a DescribeSubnets each. */
export function keeperImportDoc(
  k: KeeperContext,
  eni: CloudEni,
  facts: { metadata?: MetadataEni; device?: string; mode?: EniRecord['mode'] } = {},
): Promise<ImportEni> {
  return importDocFor(k, eni, facts, (id) => k.picker.subnet(id));
}

/** Bring-ups in this process run one at a time: the route table is chosen from what cello-ipam holds, and two at once would pick the same. */
let queue: Promise<unknown> = Promise.resolve();

/** eni-up then import; returns the ENI as cello-ipam now stores it. */
export function upAndImport(k: BringUpContext, doc: ImportEni): Promise<EniRecord> {
  const turn = queue.then(() => bringUp(k, doc));
  queue = turn.catch(() => undefined);
  return turn;
}

async function bringUp(k: BringUpContext, doc: ImportEni): Promise<EniRecord> {
  const known = k.store.enis().find((e) => e.id === doc.id);
  const routeTable = known?.routeTable ?? nextRouteTable(k.store);
  const opts = { datapath: k.config.datapath };
  const up = await eniUp({ ...doc, routeTable }, opts);
  const stored = k.store.import({ enis: [{ ...doc, device: up.device, routeTable }] }).enis[0]!;
  if (stored.routeTable !== routeTable) {
    // Someone else imported an ENI in between (a hand-run cello-ipam import) and took the table.
    k.log.warn('cello-ipam gave the ENI another route table than eni-up used; eni-up runs again with it', {
      eni: doc.id,
      used: routeTable,
      stored: stored.routeTable,
    });
    await eniUp(stored, opts);
  }
  k.log.info('ENI ready for pods', { eni: doc.id, device: up.device, datapath: up.datapath, routeTable: stored.routeTable });
  return stored;
}
