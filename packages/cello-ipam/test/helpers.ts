/** Shared by cello-ipam's tests: throwaway stores, pools of ENIs, a clock tests can move. */
import { tempDir } from '@cello/testkit';
import { type ImportEni, type IpamStore, type IpState, type OpenOptions, openStore } from '@cello/cello-ipam';

type Tap = { teardown(fn: () => void): void };

/** A temporary state directory removed after the test. */
export function stateDir(t: Tap): string {
  const dir = tempDir('cello-ipam-');
  t.teardown(() => dir.remove());
  return dir.path;
}

/** A clock that starts at a fixed time and moves only when told. */
export function manualClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (sec: number) => (now += sec * 1000) };
}

/** A store in its own directory, closed after the test. */
export function freshStore(t: Tap, opts: OpenOptions = {}): IpamStore {
  const store = openStore({ stateDir: stateDir(t), ...opts });
  t.teardown(() => store.close());
  return store;
}

/**
 * ENI `n` (1-based) of subnet 10.<n>.0.0/16 with `count` IPv4s: the primary
 * .0.10 then .0.11, .0.12, …; with `v6`, as many IPv6s in fd00:<n>::/64.
 */
export function eni(n: number, count: number, opts: { mode?: 'shared' | 'exclusive'; v6?: number } = {}): ImportEni {
  const ips = Array.from({ length: count }, (_, i) => `10.${n}.${Math.floor((10 + i) / 256)}.${(10 + i) % 256}`);
  const v6 = opts.v6 ?? 0;
  return {
    id: `eni-${n}`,
    mac: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`,
    device: `eth${n}`,
    mode: opts.mode ?? 'shared',
    subnetId: `subnet-${n}`,
    subnetCidr: `10.${n}.0.0/16`,
    gateway: `10.${n}.0.1`,
    primaryIp: ips[0]!,
    ips,
    ...(v6
      ? { subnetCidrV6: `fd00:${n}::/64`, gatewayV6: `fd00:${n}::1`, ipv6s: Array.from({ length: v6 }, (_, i) => `fd00:${n}::${(0x10 + i).toString(16)}`) }
      : {}),
  };
}

/** The triple tests use, with a pod name when given. */
export const req = (containerId: string, podName?: string, ifname = 'eth0') => ({
  network: 'cello',
  containerId,
  ifname,
  ...(podName ? { podNamespace: 'default', podName, netns: `/var/run/netns/${containerId}` } : {}),
});

/** Count IPs by effective state. */
export function byState(store: IpamStore): Record<IpState, number> {
  const out: Record<IpState, number> = { free: 0, used: 0, cooling: 0, releasing: 0 };
  for (const ip of store.ips()) out[ip.state]++;
  return out;
}
