/** iproute2 and sysctl, in the current network namespace or a named one. */
import { must, run } from '../util/run.ts';

/** Run several `ip` commands in one process (`ip -batch`), optionally in netns `ns`. */
export async function ipBatch(lines: string[], ns?: string, opts: { force?: boolean } = {}): Promise<void> {
  if (!lines.length) return;
  const args = [...(ns ? ['-n', ns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  if (opts.force) await run('ip', args, `${lines.join('\n')}\n`);
  else await must('ip', args, `${lines.join('\n')}\n`);
}

/** Set sysctls inside netns `ns` (`key=value` pairs). */
export async function sysctlIn(ns: string, settings: Record<string, string | number>): Promise<void> {
  await must('nsenter', [`--net=/var/run/netns/${ns}`, 'sysctl', '-q', '-w', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
}

/** Names of the network namespaces under /var/run/netns. */
export async function listNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

/** Links of a namespace as `ip -j link` reports them. */
export async function links(ns?: string): Promise<Array<{ ifname: string; address?: string; operstate?: string }>> {
  const r = await must('ip', [...(ns ? ['-n', ns] : []), '-j', 'link', 'show']);
  return JSON.parse(r.stdout || '[]');
}
