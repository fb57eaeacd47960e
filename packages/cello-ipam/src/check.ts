/**
 * CHECK: integrity findings, each a query that must return nothing. The
 * schema's constraints make most of these impossible through cello-ipam; they
 * still catch a damaged file or a hand edit (the sqlite3 shell does not
 * enforce foreign keys), and forget's deliberate leftovers (an allocation
 * still naming an IP the cloud took back).
 */
import type { Db } from './db.ts';
import type { Inconsistency } from './types.ts';

/** Every address an allocation holds, one row each. */
const HELD = `(SELECT container_id, ifname, eni_id, ipv4 AS ip FROM allocations WHERE ipv4 IS NOT NULL
               UNION ALL SELECT container_id, ifname, eni_id, ipv6 FROM allocations WHERE ipv6 IS NOT NULL)`;

const RULES: Array<{ kind: string; sql: string; say: (r: Record<string, unknown>) => string }> = [
  {
    kind: 'ip-owned-twice',
    sql: `SELECT ip, COUNT(*) AS n FROM ${HELD} GROUP BY ip HAVING n > 1`,
    say: (r) => `${r.ip} is held by ${r.n} allocations`,
  },
  {
    kind: 'used-without-owner',
    sql: `SELECT ip FROM ips WHERE state = 'used' AND ip NOT IN (SELECT ip FROM ${HELD})`,
    say: (r) => `${r.ip} is marked used but no allocation holds it`,
  },
  {
    kind: 'owner-on-unused-ip',
    sql: `SELECT h.container_id, h.ifname, i.ip, i.state FROM ${HELD} h JOIN ips i ON i.ip = h.ip WHERE i.state <> 'used'`,
    say: (r) => `${r.ip} is held by container ${r.container_id}/${r.ifname} but its state is ${r.state}`,
  },
  {
    kind: 'allocation-ip-unknown',
    sql: `SELECT container_id, ifname, ip FROM ${HELD} WHERE ip NOT IN (SELECT ip FROM ips)`,
    say: (r) => `container ${r.container_id}/${r.ifname} holds ${r.ip}, which the store no longer has (forgotten while in use?)`,
  },
  {
    kind: 'allocation-ip-on-other-eni',
    sql: `SELECT h.container_id, h.ifname, h.eni_id, i.ip, i.eni_id AS ip_eni FROM ${HELD} h JOIN ips i ON i.ip = h.ip
          WHERE i.eni_id <> h.eni_id`,
    say: (r) => `container ${r.container_id}/${r.ifname} is on ENI ${r.eni_id} but its ${r.ip} belongs to ${r.ip_eni}`,
  },
  {
    kind: 'allocation-eni-missing',
    sql: `SELECT container_id, ifname, eni_id FROM allocations WHERE eni_id NOT IN (SELECT id FROM enis)`,
    say: (r) => `container ${r.container_id}/${r.ifname} is on ENI ${r.eni_id}, which the store does not know`,
  },
  {
    kind: 'allocation-without-address',
    sql: `SELECT container_id, ifname FROM allocations WHERE ipv4 IS NULL AND ipv6 IS NULL`,
    say: (r) => `container ${r.container_id}/${r.ifname} holds no address`,
  },
  {
    kind: 'allocation-mode-mismatch',
    sql: `SELECT a.container_id, a.ifname, a.mode, e.id, e.mode AS eni_mode FROM allocations a JOIN enis e ON e.id = a.eni_id
          WHERE a.mode <> e.mode`,
    say: (r) => `container ${r.container_id}/${r.ifname} has a ${r.mode} allocation on ${r.eni_mode} ENI ${r.id}`,
  },
  {
    kind: 'exclusive-eni-shared',
    sql: `SELECT eni_id, COUNT(*) AS n FROM allocations WHERE mode = 'exclusive' GROUP BY eni_id HAVING n > 1`,
    say: (r) => `exclusive ENI ${r.eni_id} is held by ${r.n} allocations`,
  },
  {
    kind: 'ip-on-unknown-eni',
    sql: `SELECT ip, eni_id FROM ips WHERE eni_id NOT IN (SELECT id FROM enis)`,
    say: (r) => `${r.ip} belongs to ENI ${r.eni_id}, which the store does not know`,
  },
];

export function check(db: Db): Inconsistency[] {
  return db.read(() => {
    const findings: Inconsistency[] = [];
    const quick = db.all<{ quick_check: string }>('PRAGMA quick_check').map((r) => r.quick_check);
    if (quick.join() !== 'ok') for (const message of quick) findings.push({ kind: 'database-damaged', message });
    for (const rule of RULES) {
      for (const row of db.all<Record<string, unknown>>(rule.sql)) findings.push({ kind: rule.kind, message: rule.say(row) });
    }
    return findings;
  });
}
