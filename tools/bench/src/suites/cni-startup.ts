// Start-up of the CNI binary: VERSION is the cheapest verb, so what is left
// is starting the process. cello-cni (Bun-compiled) beside Debian's ptp (Go)
// in the same run (4 rounds, the order swapped every round); a bare
// `node -e 0` shows what a Node plugin would start at.
import { bin } from '@cello/testkit';
import { hyperfine } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

export default {
  name: 'cni-startup',
  async run(): Promise<BenchReport> {
    const [ptp, version, bare] = await hyperfine(
      {
        'ptp VERSION': 'env CNI_COMMAND=VERSION /usr/lib/cni/ptp',
        'cello-cni VERSION': `env CNI_COMMAND=VERSION ${bin('cello-cni')}`,
        'node -e 0': 'node -e 0',
      },
      { runs: 40, warmup: 5, rounds: 4 },
    );
    return {
      suite: 'cni-startup',
      lines: [
        `ptp VERSION (Go):          median ${ms(ptp!.medianMs)}`,
        `cello-cni VERSION (Bun):   median ${ms(version!.medianMs)} (${ratio(version!.medianMs, ptp!.medianMs)} of ptp)`,
        `bare node -e 0:            median ${ms(bare!.medianMs)} (what a Node plugin starts at; cello-cni ${ratio(version!.medianMs, bare!.medianMs)} of it)`,
      ],
      data: { ptp, version, bare },
    };
  },
};
