// ADD+DEL of one pod through the libcni driver (as containerd would) on a warm
// pool: cello-cni (veth datapath) beside Debian's ptp + host-local through the
// same driver in the same run, and a bare `node -e 0` for the start-up floor.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, createNetns, testBin } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';
import { hyperfine } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

export default {
  name: 'cni-add-del',
  async run(): Promise<BenchReport> {
    const node = await fakeNode({ ipCount: 8 });
    const pod = await createNetns('bn');
    try {
      const cello = node.conflist('bench-cello', {
        cniVersion: '1.0.0',
        name: 'benchcello',
        plugins: [{ type: 'cello-cni', datapath: 'veth', stateDir: node.stateDir, logFile: join(node.stateDir, 'cni.log') }],
      });
      const ptp = join(node.confDir, 'bench-ptp.conflist');
      writeFileSync(ptp, JSON.stringify({
        cniVersion: '1.0.0',
        name: 'benchptp',
        plugins: [{ type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.254.0.0/24', dataDir: join(node.stateDir, 'host-local') } }],
      }));
      // One script per pair so hyperfine runs it without a shell of its own.
      const driver = (conflist: string, id: string) => {
        const script = join(node.confDir, `${id}.sh`);
        const base = `ip netns exec ${node.node} ${testBin('libcni-driver')} -cni-path ${join(bin('cello-cni'), '..')}:/usr/lib/cni -conflist ${conflist} -netns ${pod.path} -id ${id} -cache-dir ${node.cacheDir} -args 'IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${id}'`;
        writeFileSync(script, `set -e\n${base} add >/dev/null\n${base} del\n`);
        return `sh ${script}`;
      };
      const [bare, celloT, ptpT] = await hyperfine(
        {
          'node -e 0': 'node -e 0',
          'cello-cni ADD+DEL': driver(cello, 'bench-cello'),
          'ptp+host-local ADD+DEL': driver(ptp, 'bench-ptp'),
        },
        { runs: 30, warmup: 3 },
      );
      return {
        suite: 'cni-add-del',
        lines: [
          `bare node -e 0:            median ${ms(bare!.medianMs)}`,
          `cello-cni ADD+DEL:         median ${ms(celloT!.medianMs)} (2 Node processes: ${ratio(celloT!.medianMs, 2 * bare!.medianMs)} of two bare starts)`,
          `ptp + host-local ADD+DEL:  median ${ms(ptpT!.medianMs)}`,
          `cello-cni / ptp+host-local: ${ratio(celloT!.medianMs, ptpT!.medianMs)}`,
        ],
        data: { bare, cello: celloT, ptp: ptpT },
      };
    } finally {
      await pod.remove();
      await node.remove();
    }
  },
};
