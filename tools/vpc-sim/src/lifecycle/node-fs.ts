/**
 * A node's own view of the host paths a CNI node uses. `vpc-sim exec` binds
 * these per-node directories (under /run/vpc-sim/NAME/nodes/NODE/root/) over
 * the host paths inside a private mount namespace, and a per-node
 * /etc/hosts that sends the OpenAPI's production host name to the sim.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_ADDRESSES, type SimPaths } from '../naming.ts';

export const NODE_PATHS = [
  '/var/lib/cello',
  '/var/log/cello',
  '/etc/cello',
  '/etc/cni/net.d',
  '/opt/cni/bin',
  '/run/cello',
  '/var/lib/cni',
  '/var/lib/kubelet',
] as const;

export const nodeRoot = (paths: SimPaths, node: string) => join(paths.nodeDir(node), 'root');
export const nodeHosts = (paths: SimPaths, node: string) => join(paths.nodeDir(node), 'hosts');

function hostsFile(node: string, region: string): string {
  let base = '';
  try {
    base = readFileSync('/etc/hosts', 'utf8');
  } catch {
    base = '127.0.0.1 localhost\n';
  }
  const api = ['open.volcengineapi.com', `vpc.${region}.volcengineapi.com`, `ecs.${region}.volcengineapi.com`];
  return `${base.trimEnd()}\n# vpc-sim\n127.0.1.1 ${node}\n${SIM_ADDRESSES.openapi} ${api.join(' ')}\n${SIM_ADDRESSES.kubernetes} kubernetes kubernetes.default kubernetes.default.svc\n`;
}

export function makeNodeFs(paths: SimPaths, node: string, region: string): void {
  for (const p of NODE_PATHS) mkdirSync(join(nodeRoot(paths, node), p), { recursive: true, mode: 0o755 });
  writeFileSync(nodeHosts(paths, node), hostsFile(node, region), { mode: 0o644 });
}
