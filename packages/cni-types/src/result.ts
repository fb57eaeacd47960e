import { CniError, ErrorCode } from './errors.ts';
import type { Dns, Interface, IpConfig, Result, Route } from './types.ts';
import { compareVersions, hasIpVersion } from './versions.ts';

const bad = (field: string, want: string) => new CniError(ErrorCode.DecodingFailure, `failed to decode result: ${field} must be ${want}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(o: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${path}.${key}`, 'a string');
  return v;
}

function optNumber(o: Record<string, unknown>, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`${path}.${key}`, 'an integer');
  return v;
}

function list(o: Record<string, unknown>, key: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(key, 'a list');
  return v;
}

/** Drop undefined members so printed JSON stays minimal and stable. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function parseInterface(v: unknown, i: number): Interface {
  const path = `interfaces[${i}]`;
  if (!isObject(v)) throw bad(path, 'an object');
  const name = optString(v, 'name', path);
  if (!name) throw bad(`${path}.name`, 'a non-empty string');
  return compact({
    name,
    mac: optString(v, 'mac', path),
    mtu: optNumber(v, 'mtu', path),
    sandbox: optString(v, 'sandbox', path),
    socketPath: optString(v, 'socketPath', path),
    pciID: optString(v, 'pciID', path),
  });
}

function parseIp(v: unknown, i: number): IpConfig {
  const path = `ips[${i}]`;
  if (!isObject(v)) throw bad(path, 'an object');
  const address = optString(v, 'address', path);
  if (!address?.includes('/')) throw bad(`${path}.address`, 'an address in CIDR notation');
  return compact({
    interface: optNumber(v, 'interface', path),
    address,
    gateway: optString(v, 'gateway', path),
  });
}

function parseRoute(v: unknown, i: number): Route {
  const path = `routes[${i}]`;
  if (!isObject(v)) throw bad(path, 'an object');
  const dst = optString(v, 'dst', path);
  if (!dst) throw bad(`${path}.dst`, 'a CIDR string');
  return compact({
    dst,
    gw: optString(v, 'gw', path),
    mtu: optNumber(v, 'mtu', path),
    advmss: optNumber(v, 'advmss', path),
    priority: optNumber(v, 'priority', path),
    table: optNumber(v, 'table', path),
    scope: optNumber(v, 'scope', path),
  });
}

function parseDns(v: unknown): Dns | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad('dns', 'an object');
  const strings = (key: string) => {
    const l = list(v, key);
    if (l && !l.every((s) => typeof s === 'string')) throw bad(`dns.${key}`, 'a list of strings');
    return l as string[] | undefined;
  };
  const dns = compact({
    nameservers: strings('nameservers'),
    domain: optString(v, 'domain', 'dns'),
    search: strings('search'),
    options: strings('options'),
  });
  return Object.keys(dns).length ? dns : undefined;
}

/**
 * Validate a result of any supported version and return it in the internal
 * (1.1.0) shape: `ips[].version` dropped, every other field kept.
 */
export function fromVersioned(value: Result): Result {
  const v = value as unknown as Record<string, unknown>;
  if (!isObject(v)) throw bad('result', 'an object');
  const cniVersion = typeof v.cniVersion === 'string' ? v.cniVersion : '';
  return compact({
    cniVersion,
    interfaces: list(v, 'interfaces')?.map(parseInterface),
    ips: list(v, 'ips')?.map(parseIp),
    routes: list(v, 'routes')?.map(parseRoute),
    dns: parseDns(v.dns),
  });
}

const isV6 = (address: string) => address.includes(':');

/**
 * Convert an internal result to `version`: `ips[].version` only for 0.3.x/0.4.0,
 * 1.1.0-only fields dropped below 1.1.0, `"interface": 0` always kept.
 */
export function toVersion(result: Result, version: string): Result {
  const below11 = compareVersions(version, '1.1.0') < 0;
  const withVersion = hasIpVersion(version);
  const out: Result = { cniVersion: version };
  if (result.interfaces) {
    out.interfaces = result.interfaces.map((i) => (below11 ? compact({ name: i.name, mac: i.mac, sandbox: i.sandbox }) : compact({ ...i })));
  }
  if (result.ips) {
    out.ips = result.ips.map((ip) =>
      compact({
        version: withVersion ? (isV6(ip.address) ? '6' : '4') : undefined,
        interface: ip.interface,
        address: ip.address,
        gateway: ip.gateway,
      } as IpConfig),
    );
  }
  if (result.routes) {
    out.routes = result.routes.map((r) => (below11 ? compact({ dst: r.dst, gw: r.gw }) : compact({ ...r })));
  }
  if (result.dns && Object.keys(result.dns).length) out.dns = { ...result.dns };
  return out;
}
