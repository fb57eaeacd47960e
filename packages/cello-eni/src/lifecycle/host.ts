/** The host's view: which device carries a MAC (read from sysfs, no process spawned). */
import { readdirSync, readFileSync } from 'node:fs';

export interface HostDevice {
  name: string;
  ifindex: number;
  mtu: number;
}

const SYS = '/sys/class/net';

const read = (name: string, file: string) => readFileSync(`${SYS}/${name}/${file}`, 'utf8').trim();

/** Every device's name and MAC (lower case), as sysfs shows them now. */
function devices(): Array<{ name: string; mac: string }> {
  let names: string[];
  try {
    names = readdirSync(SYS);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      return [{ name, mac: read(name, 'address').toLowerCase() }];
    } catch {
      return []; // the device went away while we looked
    }
  });
}

export function deviceByMac(mac: string): HostDevice | undefined {
  const want = mac.toLowerCase();
  for (const { name } of devices().filter((d) => d.mac === want)) {
    try {
      return { name, ifindex: Number(read(name, 'ifindex')), mtu: Number(read(name, 'mtu')) };
    } catch {
      // the device went away while we looked
    }
  }
  return undefined;
}

/** Every host device name by MAC (for the list view). */
export function devicesByMac(): Map<string, string> {
  return new Map(devices().map((d) => [d.mac, d.name]));
}
