/** The host's view: which device carries a MAC (read from sysfs, no process spawned). */
import { readdirSync, readFileSync } from 'node:fs';

export interface HostDevice {
  name: string;
  ifindex: number;
  mtu: number;
}

const SYS = '/sys/class/net';

export function deviceByMac(mac: string): HostDevice | undefined {
  const want = mac.toLowerCase();
  let names: string[];
  try {
    names = readdirSync(SYS);
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      if (readFileSync(`${SYS}/${name}/address`, 'utf8').trim().toLowerCase() !== want) continue;
      const num = (f: string) => Number(readFileSync(`${SYS}/${name}/${f}`, 'utf8').trim());
      return { name, ifindex: num('ifindex'), mtu: num('mtu') };
    } catch {
      // the device went away while we looked
    }
  }
  return undefined;
}

/** Every host device name by MAC (for the list view). */
export function devicesByMac(): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(SYS);
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      out.set(readFileSync(`${SYS}/${name}/address`, 'utf8').trim().toLowerCase(), name);
    } catch {
      // gone
    }
  }
  return out;
}
