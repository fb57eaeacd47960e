// One pod's setup + teardown on the veth datapath beside Debian's ptp plugin
// with host-local IPAM doing the same through libcni (test/bin/libcni-driver),
// in one hyperfine run, all inside a node namespace as on a host:
//   - bin/cello-link setup, then teardown: two Node processes with yargs;
//   - the library in one Node process (setup then teardown), as cello-cni
//     runs it in-process, beside bare `node -e 0` for Node's own start-up;
//   - libcni add, then del: two driver processes, each running ptp and host-local.
// Also counts the processes each setup starts, with strace.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bin, createNetns, must, type Netns, repoRoot, run, tempDir, testBin } from '@cello/testkit';
import { hyperfine } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

/** A node namespace with an ENI stand-in (a veth whose far end is in a tiny vpc namespace), eni-up done. */
async function node(dir: string): Promise<{ node: Netns; vpc: Netns; alloc: string }> {
  const vpc = await createNetns('bv');
  const nodeNs = await createNetns('bn');
  await must('ip', ['-n', nodeNs.name, 'link', 'add', 'eth1', 'address', '02:00:00:00:01:0a', 'type', 'veth', 'peer', 'name', 'peni', 'netns', vpc.name]);
  await must('ip', ['-n', nodeNs.name, 'addr', 'add', '192.168.0.11/24', 'dev', 'lo']);
  const eni = {
    id: 'eni-1',
    mac: '02:00:00:00:01:0a',
    device: 'eth1',
    mode: 'shared',
    subnetCidr: '192.168.1.0/24',
    gateway: '192.168.1.1',
    primaryIp: '192.168.1.10',
    mtu: 1500,
    routeTable: 101,
  };
  writeFileSync(join(dir, 'eni.json'), JSON.stringify(eni));
  await must('ip', ['netns', 'exec', nodeNs.name, bin('cello-link'), 'eni-up', join(dir, 'eni.json')]);
  return { node: nodeNs, vpc, alloc: join(dir, 'alloc.json') };
}

/** A one-file script that runs the library's setup then teardown for an allocation file. */
async function libraryScript(dir: string): Promise<string> {
  const outfile = join(dir, 'lib-setup-teardown.cjs');
  await build({
    stdin: {
      contents: `import { readFileSync } from 'node:fs';
        import { parseAllocation, setup, teardown } from './index.ts';
        const a = parseAllocation(JSON.parse(readFileSync(process.argv[2], 'utf8')));
        setup(a, { datapath: 'veth' }).then(() => teardown(a, { datapath: 'veth' }));`,
      resolveDir: join(repoRoot, 'packages/cello-link/src'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Processes started by a command: distinct pids that called execve (strace -f). */
async function processCount(ns: string, cmd: string[], env: Record<string, string> = {}): Promise<number> {
  const dir = tempDir('cello-bench-strace-');
  try {
    const out = join(dir.path, 'trace');
    await must('ip', ['netns', 'exec', ns, 'strace', '-f', '-qq', '-e', 'trace=execve', '-o', out, ...cmd], { env });
    const pids = new Set(
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => /execve\(.*= 0$/.test(l))
        .map((l) => l.split(' ')[0]),
    );
    return pids.size;
  } finally {
    dir.remove();
  }
}

export default {
  name: 'link',
  async run(): Promise<BenchReport> {
    const dir = tempDir('cello-bench-link-');
    const made: Netns[] = [];
    try {
      const { node: nodeNs, vpc, alloc } = await node(dir.path);
      made.push(vpc, nodeNs);
      const celloPod = await createNetns('bp');
      const ptpPod = await createNetns('bq');
      made.push(celloPod, ptpPod);
      writeFileSync(
        alloc,
        JSON.stringify({
          containerId: 'bench-cello',
          ifname: 'eth0',
          netns: celloPod.path,
          mode: 'shared',
          ipv4: '192.168.1.11',
          eni: JSON.parse(readFileSync(join(dir.path, 'eni.json'), 'utf8')),
        }),
      );
      const conflist = join(dir.path, 'ptp.conflist');
      writeFileSync(
        conflist,
        JSON.stringify({
          cniVersion: '1.0.0',
          name: 'bench-ptp',
          plugins: [{ type: 'ptp', mtu: 1500, ipam: { type: 'host-local', ranges: [[{ subnet: '10.99.0.0/24' }]], dataDir: join(dir.path, 'ipam') } }],
        }),
      );
      const link = bin('cello-link');
      const driver = `${testBin('libcni-driver')} -cni-path /usr/lib/cni -conflist ${conflist} -netns ${ptpPod.path} -id bench-ptp -ifname eth0 -cache-dir ${join(dir.path, 'cache')}`;
      const inNode = (script: string) => `ip netns exec ${nodeNs.name} sh -c '${script}'`;

      const script = await libraryScript(dir.path);

      const [cello, library, bare, ptp] = await hyperfine(
        {
          'cello-link setup+teardown (CLI, veth)': inNode(`${link} setup ${alloc} >/dev/null && ${link} teardown ${alloc} >/dev/null`),
          'cello-link library setup+teardown (one node)': inNode(`node ${script} ${alloc}`),
          'node -e 0': inNode('node -e 0'),
          'ptp+host-local add+del (libcni)': inNode(`${driver} add >/dev/null && ${driver} del >/dev/null`),
        },
        { runs: 30, warmup: 3, env: { NODE_OPTIONS: '' } },
      );

      // processes per setup: the command itself plus every child it starts
      const celloSetup = await processCount(nodeNs.name, [link, 'setup', alloc]);
      await must('ip', ['netns', 'exec', nodeNs.name, link, 'teardown', alloc]);
      const ptpSetup = await processCount(nodeNs.name, driver.split(' ').concat('add'));
      await run('ip', ['netns', 'exec', nodeNs.name, ...driver.split(' '), 'del']);
      const debug = await must('ip', ['netns', 'exec', nodeNs.name, link, 'setup', alloc], { env: { CELLO_LOG_LEVEL: 'debug' } });
      const children = JSON.parse(
        String(debug.stderr)
          .split('\n')
          .find((l) => l.includes('"setup done"'))!,
      ).processes as number;
      await must('ip', ['netns', 'exec', nodeNs.name, link, 'teardown', alloc]);

      return {
        suite: 'link',
        lines: [
          `cello-link CLI setup+teardown (veth):        median ${ms(cello!.medianMs)}  (${ratio(cello!.medianMs, ptp!.medianMs)} of ptp)`,
          `cello-link library setup+teardown, one node: median ${ms(library!.medianMs)}  (${ratio(library!.medianMs, ptp!.medianMs)} of ptp)`,
          `  of which Node start-up (node -e 0):        median ${ms(bare!.medianMs)}; the rest ${ms(library!.medianMs - bare!.medianMs)}`,
          `ptp+host-local add+del (libcni):             median ${ms(ptp!.medianMs)}`,
          `processes per setup: cello-link ${celloSetup} (node + ${children} iproute2), ptp via libcni ${ptpSetup} (driver + plugins)`,
        ],
        data: { cello, library, bare, ptp, processesPerSetup: { celloLink: celloSetup, celloLinkChildren: children, ptpLibcni: ptpSetup } },
      };
    } finally {
      for (const ns of made.reverse()) await ns.remove();
      dir.remove();
    }
  },
};
