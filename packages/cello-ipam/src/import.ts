/**
 * IMPORT: the ENIs and IPs cello-eni made or found become known. Additive and
 * idempotent: new ones are added (IPs `free`, or `used` when an allocation
 * still names them), known ones keep their state. Removal goes through forget.
 */
import { holderOf } from './allocate.ts';
import type { Db } from './db.ts';
import { ConflictError } from './errors.ts';
import type { Family } from '@cello/records';
import { type EniRow, eniColumns, eniRecord } from './rows.ts';
import type { ImportEni, ImportResult } from './types.ts';
import { importDoc } from './validate.ts';

/** Route tables handed out from here up (the veth datapath's per-ENI table). */
export const FIRST_ROUTE_TABLE = 101;

/** The table the document asks for when it is free, else the lowest free one. */
function routeTableFor(db: Db, wanted: number | undefined): number {
  const taken = new Set(db.all<{ t: number }>('SELECT route_table AS t FROM enis').map((r) => r.t));
  if (wanted !== undefined && !taken.has(wanted)) return wanted;
  let t = FIRST_ROUTE_TABLE;
  while (taken.has(t)) t++;
  return t;
}

/** Fields that identify an ENI: a document that disagrees on one describes another ENI. */
const IDENTITY = [
  ['mac', 'mac'],
  ['mode', 'mode'],
  ['subnetCidr', 'subnet_cidr'],
  ['primaryIp', 'primary_ip'],
  ['podNetwork', 'pod_network'],
] as const;

function upsertEni(db: Db, e: ImportEni, field: string, now: number): boolean {
  const known = db.get<EniRow>('SELECT * FROM enis WHERE id = ?', [e.id]);
  const params = { ...eniColumns(e), now };
  if (known) {
    for (const [doc, col] of IDENTITY) {
      // An ENI of the default network has podNetwork '' in the store and none in a document.
      if (known[col] !== (e[doc] ?? '')) {
        throw new ConflictError(
          `${field}.${doc}: ENI ${e.id} is known with ${doc} ${known[col] || "''"}, the document says ${e[doc] || "''"}; if the cloud replaced it, forget it first (cello-ipam forget)`,
        );
      }
    }
    // Informational fields follow the newest document; a field it leaves out keeps its value.
    db.run(
      `UPDATE enis SET device = COALESCE(@device, device), subnet_id = COALESCE(@subnet_id, subnet_id),
         gateway = @gateway, subnet_cidr_v6 = COALESCE(@subnet_cidr_v6, subnet_cidr_v6),
         gateway_v6 = COALESCE(@gateway_v6, gateway_v6), mtu = COALESCE(@mtu, mtu)
       WHERE id = @id`,
      params,
    );
    return false;
  }
  const sameMac = db.get<{ id: string }>('SELECT id FROM enis WHERE mac = ?', [e.mac]);
  if (sameMac) throw new ConflictError(`${field}.mac: ${e.mac} belongs to known ENI ${sameMac.id}; forget that ENI first if the cloud replaced it`);
  db.run(
    `INSERT INTO enis (id, mac, device, mode, subnet_id, subnet_cidr, gateway, subnet_cidr_v6, gateway_v6, primary_ip, mtu, route_table, pod_network, imported_at)
     VALUES (@id, @mac, @device, @mode, @subnet_id, @subnet_cidr, @gateway, @subnet_cidr_v6, @gateway_v6, @primary_ip, @mtu, @route_table, @pod_network, @now)`,
    { ...params, route_table: routeTableFor(db, e.routeTable) },
  );
  return true;
}

function addIp(db: Db, ip: string, family: Family, eniId: string, field: string, now: number): boolean {
  const known = db.get<{ eni_id: string }>('SELECT eni_id FROM ips WHERE ip = ?', [ip]);
  if (known) {
    if (known.eni_id !== eniId) throw new ConflictError(`${field}: ${ip} is known on ENI ${known.eni_id}; forget it there first`);
    return false;
  }
  // An allocation that outlived a forget still names this IP: it is that pod's again.
  const state = holderOf(db, ip) ? 'used' : 'free';
  db.run('INSERT INTO ips (ip, family, eni_id, state, imported_at) VALUES (?, ?, ?, ?, ?)', [ip, family, eniId, state, now]);
  return true;
}

export function importEnis(db: Db, input: unknown): ImportResult {
  const doc = importDoc(input);
  return db.write(() => {
    const now = db.now();
    const added = { enis: 0, ips: 0 };
    doc.enis.forEach((e, i) => {
      const field = `enis[${i}]`;
      if (upsertEni(db, e, field, now)) added.enis++;
      // The primary IP is always on the ENI (and allocatable in shared mode), listed or not.
      const v4 = [...new Set([e.primaryIp, ...(e.ips ?? [])])];
      for (const ip of v4) if (addIp(db, ip, 4, e.id, `${field}.ips`, now)) added.ips++;
      for (const ip of new Set(e.ipv6s ?? [])) if (addIp(db, ip, 6, e.id, `${field}.ipv6s`, now)) added.ips++;
    });
    const enis = doc.enis.map((e) => eniRecord(db.get<EniRow>('SELECT * FROM enis WHERE id = ?', [e.id])!));
    return { enis, added };
  });
}
