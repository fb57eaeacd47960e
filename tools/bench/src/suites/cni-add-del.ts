// Pods through the libcni driver (as containerd would) on a warm pool:
// cello-cni (veth datapath) beside Debian's ptp + host-local through the same
// driver in the same run.
//   - one pod ADD+DEL, timed by hyperfine in 16 rounds of 5 runs each, the two
//     plugins' order swapped every round (target: ≤ 1.5× ptp + host-local);
//   - 24 ADDs at once, then 24 DELs at once, wall time of each wave, rounds
//     alternating between the two plugins (target: ≤ 2×, 0 errors).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, createNetns, type Netns, run, testBin } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';
import { hyperfine, median } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

const STORM = 24;
const ROUNDS = 5;

export default {
  name: 'cni-add-del',
  async run(): Promise<BenchReport> {
    const node = await fakeNode({ ipCount: STORM + 8, enis: 2 });
    const pod = await createNetns('bn');
    const pods: Netns[] = [];
    try {
      const cello = node.conflist('bench-cello', {
        cniVersion: '1.0.0',
        name: 'benchcello',
        plugins: [{ type: 'cello-cni', datapath: 'veth', stateDir: node.stateDir, logFile: join(node.stateDir, 'cni.log') }],
      });
      await node.ipam('settings', 'ipCooldownSec=0'); // each storm round finds its IPs free again
      const ptp = join(node.confDir, 'bench-ptp.conflist');
      writeFileSync(
        ptp,
        JSON.stringify({
          cniVersion: '1.0.0',
          name: 'benchptp',
          plugins: [{ type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.254.0.0/24', dataDir: join(node.stateDir, 'host-local') } }],
        }),
      );
      const base = (conflist: string, netns: string, id: string) =>
        `ip netns exec ${node.node} ${testBin('libcni-driver')} -cni-path ${join(bin('cello-cni'), '..')}:/usr/lib/cni -conflist ${conflist} -netns ${netns} -id ${id} -cache-dir ${node.cacheDir} -args 'IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${id}'`;
      // One script per pair so hyperfine runs it without a shell of its own.
      const driver = (conflist: string, id: string) => {
        const script = join(node.confDir, `${id}.sh`);
        writeFileSync(script, `set -e\n${base(conflist, pod.path, id)} add >/dev/null\n${base(conflist, pod.path, id)} del\n`);
        return `sh ${script}`;
      };
      const [celloT, ptpT] = await hyperfine(
        {
          'cello-cni ADD+DEL': driver(cello, 'bench-cello'),
          'ptp+host-local ADD+DEL': driver(ptp, 'bench-ptp'),
        },
        { runs: 80, warmup: 3, rounds: 16 },
      );

      // The storm: STORM pods at once, through the same driver.
      pods.push(...(await Promise.all(Array.from({ length: STORM }, () => createNetns('bs')))));
      const wave = async (conflist: string, verb: 'add' | 'del', round: number) => {
        const t0 = performance.now();
        const rs = await Promise.all(pods.map((p, i) => run('sh', ['-c', `${base(conflist, p.path, `storm-${round}-${i}`)} ${verb} >/dev/null`])));
        return { ms: performance.now() - t0, errors: rs.filter((r) => r.exitCode !== 0).length };
      };
      const storm = { cello: { add: [] as number[], del: [] as number[], errors: 0 }, ptp: { add: [] as number[], del: [] as number[], errors: 0 } };
      for (let round = 0; round < ROUNDS; round++) {
        for (const [which, conflist] of [
          ['cello', cello],
          ['ptp', ptp],
        ] as const) {
          const a = await wave(conflist, 'add', round);
          const d = await wave(conflist, 'del', round);
          storm[which].add.push(a.ms);
          storm[which].del.push(d.ms);
          storm[which].errors += a.errors + d.errors;
        }
      }
      const m = (xs: number[]) => median(xs);
      return {
        suite: 'cni-add-del',
        lines: [
          `one pod ADD+DEL: cello-cni median ${ms(celloT!.medianMs)}, ptp + host-local ${ms(ptpT!.medianMs)}: ${ratio(celloT!.medianMs, ptpT!.medianMs)} (target ≤ 1.5×)`,
          `${STORM} ADDs at once (median of ${ROUNDS}): cello-cni ${ms(m(storm.cello.add))}, ptp + host-local ${ms(m(storm.ptp.add))}: ${ratio(m(storm.cello.add), m(storm.ptp.add))} (target ≤ 2×)`,
          `${STORM} DELs at once (median of ${ROUNDS}): cello-cni ${ms(m(storm.cello.del))}, ptp + host-local ${ms(m(storm.ptp.del))}: ${ratio(m(storm.cello.del), m(storm.ptp.del))}`,
          `errors: cello-cni ${storm.cello.errors}, ptp + host-local ${storm.ptp.errors} (of ${2 * STORM * ROUNDS} calls each)`,
        ],
        data: { cello: celloT, ptp: ptpT, storm },
      };
    } finally {
      await Promise.all(pods.map((p) => p.remove()));
      await pod.remove();
      await node.remove();
    }
  },
};
