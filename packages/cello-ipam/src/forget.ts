/**
 * FORGET: drop IPs (or whole ENIs) the cloud no longer has — usually what
 * `cello-eni unassign` just removed, in the Surplus shape. Idempotent: what is
 * not known (on that ENI) is skipped. An IP a pod still holds is removed too,
 * but never silently: it comes back in `flagged` with the allocation, which
 * stays until the pod's DEL (check reports it meanwhile).
 */
import { holderOf, loadAllocation } from './allocate.ts';
import type { Db } from './db.ts';
import type { IpRow } from './rows.ts';
import type { ForgetResult, SurplusEni } from './types.ts';
import { surplusDoc } from './validate.ts';

export function forget(db: Db, input: unknown): ForgetResult {
  const doc = surplusDoc(input);
  return db.write(() => {
    const result: ForgetResult = { enis: [], flagged: [] };

    const drop = (r: IpRow) => {
      if (r.state === 'used') {
        const holder = holderOf(db, r.ip);
        if (holder) result.flagged.push({ ip: r.ip, eniId: r.eni_id, allocation: loadAllocation(db, holder) });
      }
      db.run('DELETE FROM ips WHERE ip = ?', [r.ip]);
    };

    for (const e of doc.enis) {
      const rows = e.whole
        ? db.all<IpRow>('SELECT * FROM ips WHERE eni_id = ? ORDER BY rowid', [e.id])
        : [...e.ips, ...e.ipv6s].flatMap((ip) => db.all<IpRow>('SELECT * FROM ips WHERE ip = ? AND eni_id = ?', [ip, e.id]));
      rows.forEach(drop);
      const eniGone = e.whole && db.run('DELETE FROM enis WHERE id = ?', [e.id]).changes > 0;
      if (!rows.length && !eniGone) continue;
      const removed: SurplusEni = { id: e.id, ips: [], ipv6s: [], whole: eniGone };
      for (const r of rows) (r.family === 4 ? removed.ips : removed.ipv6s).push(r.ip);
      result.enis.push(removed);
    }
    return result;
  });
}
