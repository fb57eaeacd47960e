/**
 * `metricsListen`: where cello-agent's metrics and health server listens.
 * `[host]:port`, the host an IP address (IPv6 in brackets) or left out for
 * every IPv4 address of the node (the default, `:11414`: the kubelet's
 * probes and Prometheus reach a hostNetwork pod at the node's IP; see
 * docs/metrics.md for who else can).
 */
import { isIP } from 'node:net';

export const DEFAULT_METRICS_LISTEN = ':11414';

/** `{host, port}` of a listen address (no host → 0.0.0.0), or undefined when it is not one. */
export function parseListenAddress(value: string): { host: string; port: number } | undefined {
  const m = /^(?:(\[[^\]]*\]|[^:[\]]*):)?(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65_535)) return undefined;
  const raw = m[1] ?? '';
  const host = raw.startsWith('[') ? raw.slice(1, -1) : raw;
  if (host === '') return raw === '' ? { host: '0.0.0.0', port } : undefined;
  if (isIP(host) !== (raw.startsWith('[') ? 6 : 4)) return undefined;
  return { host, port };
}
