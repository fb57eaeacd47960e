import { resolve } from 'node:path';
import { UsageError, resolveFormat } from '@cello/cli-kit';
import type { Attachment } from '@cello/cni-types';
import { type ExecReport, type ExecVerb, cnitoolContainerId, runChain } from './chain.ts';
import { loadConfList } from './conflist.ts';

export interface ExecOptions {
  verb: ExecVerb;
  network: string;
  netns: string;
  ifname?: string;
  containerId?: string;
  cniPath?: string;
  netconfpath?: string;
  cacheDir: string;
  valid?: string[];
  output?: string;
}

function parseCapArgs(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new UsageError('CAP_ARGS must be a JSON object, e.g. {"bandwidth":{"ingressRate":1000000,"ingressBurst":100000}}');
}

/** CNI_ARGS as cnitool reads it: K=V pairs separated by ';', no empty keys or values. */
function parseArgPairs(text: string | undefined): Array<[string, string]> {
  return (text ?? '')
    .split(';')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`CNI_ARGS: invalid pair "${pair}" (want KEY=VALUE)`);
      return [pair.slice(0, eq), pair.slice(eq + 1)] as [string, string];
    });
}

function parseValid(values: string[] | undefined): Attachment[] | undefined {
  return values?.map((v) => {
    const [containerID, ifname] = v.split('/');
    if (!containerID || !ifname) throw new UsageError(`--valid takes CONTAINERID/IFNAME, got "${v}"`);
    return { containerID, ifname };
  });
}

/** cnitool-style: run a verb over the network's conflist and show what each plugin got and returned. */
export async function execCommand(o: ExecOptions): Promise<number> {
  const netns = o.netns === '' ? '' : resolve(o.netns);
  const args = parseArgPairs(process.env.CNI_ARGS);
  const report = await runChain({
    verb: o.verb,
    conf: loadConfList(o.netconfpath ?? process.env.NETCONFPATH ?? '/etc/cni/net.d', o.network),
    netns,
    containerId: o.containerId ?? cnitoolContainerId(netns),
    ifname: o.ifname ?? process.env.CNI_IFNAME ?? 'eth0',
    args,
    capabilityArgs: parseCapArgs(process.env.CAP_ARGS),
    cniPath: (o.cniPath ?? process.env.CNI_PATH ?? '/opt/cni/bin').split(':').filter(Boolean),
    cacheDir: o.cacheDir,
    valid: parseValid(o.valid),
  });
  if (resolveFormat(o.output) === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(formatReport(report));
  return report.error ? 1 : 0;
}

const indent = (text: string) => text.replace(/^/gm, '      ');

function formatReport(r: ExecReport): string {
  const lines = [`${r.verb} network=${r.network} container=${r.containerId} ifname=${r.ifname}`];
  for (const s of r.steps) {
    lines.push(`  → ${s.plugin} ${s.command}  exit ${s.exitCode}  ${s.ms} ms`);
    lines.push('    got:', indent(JSON.stringify(s.stdin, null, 2)));
    if (s.stdout !== undefined) lines.push('    returned:', indent(typeof s.stdout === 'string' ? s.stdout : JSON.stringify(s.stdout, null, 2)));
    if (s.stderr.trim()) lines.push('    stderr:', indent(s.stderr.trim()));
  }
  if (r.result) lines.push('result:', JSON.stringify(r.result, null, 2));
  if (r.error) lines.push(`failed: ${r.error.plugin ? `plugin ${r.error.plugin}: ` : ''}${r.error.msg}${r.error.code ? ` (code ${r.error.code})` : ''}`);
  else lines.push('ok');
  return `${lines.join('\n')}\n`;
}
