// Unit level: the pool arithmetic (targets, caps, demand, release) and the
// fill plan (fullest ENI first, one assign per ENI, spares before creates,
// IPs with the create call), on hand-made cello-ipam stats.
import t from 'tap';
import type { EniStats, StateCounts, Stats } from '@cello/cello-ipam';
import { resolveConfig } from '../src/config/resolve.ts';
import type { NodeLimits } from '../src/lifecycle/limits.ts';
import type { CloudEni } from '../src/openapi/api.ts';
import { planFill, type PlanInput } from '../src/pool/plan.ts';
import { poolTargets, targetsMet } from '../src/pool/targets.ts';

const counts = (free: number, used = 0, cooling = 0, releasing = 0): StateCounts => ({
  free,
  used,
  cooling,
  releasing,
  total: free + used + cooling + releasing,
});
const NONE = counts(0);

function eni(id: string, v4: StateCounts, v6: StateCounts = NONE, mode: 'shared' | 'exclusive' = 'shared'): EniStats {
  return { id, mode, routeTable: 101, releasing: false, ipv4: v4, ipv6: v6, available: v4.free };
}

function stats(enis: EniStats[], opts: { allocations?: number; demand?: number } = {}): Stats {
  const sum = (f: 'ipv4' | 'ipv6') =>
    enis.reduce((a, e) => counts(a.free + e[f].free, a.used + e[f].used, a.cooling + e[f].cooling, a.releasing + e[f].releasing), NONE);
  return {
    settings: { networkMode: 'shared', ipFamily: 'ipv4', ipCooldownSec: 30, datapath: 'auto' },
    enis,
    totals: { ipv4: sum('ipv4'), ipv6: sum('ipv6'), available: enis.reduce((n, e) => n + e.available, 0), allocations: opts.allocations ?? 0 },
    podNetworks: {},
    demand: { count: opts.demand ?? 0 },
  };
}

const LIMITS: NodeLimits = {
  instanceType: 'ecs.g3i.large',
  maxEnis: 4,
  ipsPerEni: 10,
  attachedEnis: 1,
  celloEnis: 0,
  foreignEnis: 0,
  eniSlots: 3,
  capacity: { shared: 30, exclusive: 3 },
  typeLimitsFrom: 'cloud',
};
const cfg = (extra: Record<string, unknown> = {}) =>
  resolveConfig({ subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg'], ramRole: 'r', ...extra }).config;

t.test('targets', async (t) => {
  const empty = poolTargets(stats([]), LIMITS, cfg({ poolTarget: 25 }));
  t.match(empty, { capacity: 30, maxCap: 30, target: 25, toAdd: 25, toRelease: 0 }, 'a fresh node adds its target');
  t.notOk(targetsMet(empty), 'not met before');

  const capped = poolTargets(stats([]), LIMITS, cfg({ poolTarget: 100, poolTargetMin: 50 }));
  t.match(capped, { target: 30, targetMin: 30, toAdd: 30, capped: true }, 'targets are cut to the capacity');
  t.match(poolTargets(stats([]), LIMITS, cfg({ poolTarget: 100, poolTargetLimit: 0.5 })), { target: 15 }, 'and to poolTargetLimit × capacity');

  const min = poolTargets(stats([eni('e1', counts(2, 6))], { allocations: 6 }), LIMITS, cfg({ poolTarget: 2, poolTargetMin: 12 }));
  t.match(min, { free: 2, total: 8, toAdd: 4 }, 'poolTargetMin counts every held unit: 12 − 8 = 4');

  const demand = poolTargets(stats([eni('e1', counts(1, 9))], { allocations: 9, demand: 3 }), LIMITS, cfg({ poolTarget: 0 }));
  t.match(demand, { toAdd: 2, toRelease: 0 }, 'waiting ADDs count even with poolTarget 0');

  const full = poolTargets(
    stats([eni('a', counts(0, 10)), eni('b', counts(0, 10)), eni('c', counts(2, 8))], { allocations: 28 }),
    LIMITS,
    cfg({ poolTarget: 5 }),
  );
  t.match(full, { toAdd: 0, shortfall: /holds at most 30 IPs .* 30 are held, 28 in use/ }, 'what cannot fit is a shortfall with the reason');
  t.notOk(targetsMet(full), 'so the targets are not met');

  const maxCap = poolTargets(stats([eni('a', counts(6))]), LIMITS, cfg({ poolTarget: 10, poolMaxCap: 6 }));
  t.match(maxCap, { maxCap: 6, toAdd: 0, shortfall: /poolMaxCap 6 caps the pool at 6 IPs/ }, 'poolMaxCap without probe caps the pool');

  const surplus = poolTargets(stats([eni('a', counts(8, 1, 3))], { allocations: 1 }), LIMITS, cfg({ poolTarget: 2, poolTargetMin: 6 }));
  t.match(surplus, { free: 8, total: 12, toRelease: 6 }, 'release free beyond the target (cooling ones never count as free)');
  const keepMin = poolTargets(stats([eni('a', counts(8, 1))], { allocations: 1 }), LIMITS, cfg({ poolTarget: 2, poolTargetMin: 7 }));
  t.match(keepMin, { toRelease: 2 }, 'but never below poolTargetMin in total: 9 − 7 = 2');
  t.match(poolTargets(stats([eni('a', counts(8))], { demand: 1 }), LIMITS, cfg({ poolTarget: 0 })), { toRelease: 0 }, 'nothing is released while an ADD waits');
  t.ok(targetsMet(poolTargets(stats([eni('a', counts(5))]), LIMITS, cfg({ poolTarget: 5 }))), 'met when free = target');
});

const input = (p: Partial<PlanInput>): PlanInput => ({
  toAdd: 0,
  enis: [],
  eniSubnet: new Map(),
  spares: [],
  ipsPerEni: 10,
  freeSlots: 3,
  heldOff: () => false,
  cfg: cfg(),
  ...p,
});

const spare = (id: string, secondaries: number, subnetId = 'subnet-a'): CloudEni => ({
  id,
  mac: '02:00:00:00:00:01',
  status: 'Available',
  type: 'secondary',
  subnetId,
  zoneId: 'z',
  vpcId: 'v',
  primaryIp: '10.0.0.1',
  ips: Array.from({ length: secondaries }, (_, i) => `10.0.0.${i + 2}`),
  ipv6s: [],
  securityGroupIds: [],
  instanceId: '',
  tags: {},
  description: '',
  createdAt: '',
  updatedAt: '',
});

t.test('fill plans', async (t) => {
  t.same(
    planFill(input({ toAdd: 25 })).create,
    [
      { ipv4Count: 10, ipv6Count: 0, units: 10 },
      { ipv4Count: 10, ipv6Count: 0, units: 10 },
      { ipv4Count: 5, ipv6Count: 0, units: 5 },
    ],
    'a fresh node: ⌈25/10⌉ creates, each with its IPs',
  );

  const enis = [eni('small', counts(2)), eni('big', counts(6, 1)), eni('full', counts(0, 10))];
  const sub = new Map(enis.map((e) => [e.id, { subnetId: 'subnet-a', ipv6: false }]));
  const p = planFill(input({ toAdd: 7, enis, eniSubnet: sub }));
  t.same(
    p.assign,
    [
      { eniId: 'big', v4: 3, v6: 0, units: 3 },
      { eniId: 'small', v4: 4, v6: 0, units: 4 },
    ],
    'fullest ENI with room first, one assign each with the whole count',
  );
  t.same(p.create, [], 'no create while existing ENIs have room');

  const held = planFill(
    input({ toAdd: 4, enis: [eni('a', counts(2))], eniSubnet: new Map([['a', { subnetId: 'subnet-a', ipv6: false }]]), heldOff: (s) => s === 'subnet-a' }),
  );
  t.same([held.assign.length, held.create.length], [0, 1], 'an ENI in a held-off subnet gets nothing; a new ENI is planned instead');

  const withSpares = planFill(input({ toAdd: 12, spares: [spare('s1', 3), spare('tooMany', 20), spare('elsewhere', 2, 'subnet-z')] }));
  t.same(
    withSpares.adopt.map((a) => [a.eni.id, a.units]),
    [['s1', 4]],
    'a usable spare is attached first (too big or foreign-subnet ones are not)',
  );
  t.same(
    withSpares.create.map((c) => c.units),
    [8],
    'then creates for the rest',
  );

  const noSlots = planFill(input({ toAdd: 25, freeSlots: 1 }));
  t.same([noSlots.create.length, noSlots.units], [1, 10], 'creates stop at the free ENI slots');

  const dual = planFill(
    input({
      toAdd: 3,
      cfg: cfg({ ipFamily: 'dual' }),
      enis: [eni('d', counts(5), counts(3))],
      eniSubnet: new Map([['d', { subnetId: 'subnet-a', ipv6: true }]]),
    }),
  );
  t.same(dual.assign, [{ eniId: 'd', v4: 1, v6: 3, units: 3 }], 'dual-stack: 3 more pairs need 1 more v4 (it has 5) and 3 v6');
  t.same(
    planFill(input({ toAdd: 2, cfg: cfg({ ipFamily: 'dual' }) })).create,
    [{ ipv4Count: 2, ipv6Count: 2, units: 2 }],
    'a new dual ENI brings both families',
  );
  t.same(
    planFill(input({ toAdd: 2, cfg: cfg({ ipFamily: 'ipv6' }) })).create,
    [{ ipv4Count: 1, ipv6Count: 2, units: 2 }],
    'an IPv6-only ENI has its primary v4 and the v6s',
  );
  t.same(
    planFill(input({ toAdd: 2, cfg: cfg({ networkMode: 'eni_exclusive' }) })).create,
    [
      { ipv4Count: 1, ipv6Count: 0, units: 1 },
      { ipv4Count: 1, ipv6Count: 0, units: 1 },
    ],
    'exclusive: one ENI per unit, primary only',
  );
  const releasing = planFill(input({ toAdd: 9, enis: [eni('r', counts(3, 0, 0, 4))], eniSubnet: new Map([['r', { subnetId: 'subnet-a', ipv6: false }]]) }));
  t.same(releasing.assign, [{ eniId: 'r', v4: 3, v6: 0, units: 3 }], 'IPs still being released take room on the ENI (the cloud counts them)');
});
