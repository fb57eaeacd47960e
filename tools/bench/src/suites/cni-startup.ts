// How much start-up does cello-cni cost over Node itself? VERSION is the
// cheapest verb: what is left is loading the bundle.
import { bin } from '@cello/testkit';
import { hyperfine } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

export default {
  name: 'cni-startup',
  async run(): Promise<BenchReport> {
    const [bare, version] = await hyperfine(
      {
        'node -e 0': 'node -e 0',
        'cello-cni VERSION': `env CNI_COMMAND=VERSION node ${bin('cello-cni')}`,
      },
      { runs: 40, warmup: 5 },
    );
    return {
      suite: 'cni-startup',
      lines: [
        `bare node -e 0:       median ${ms(bare!.medianMs)}`,
        `cello-cni VERSION:    median ${ms(version!.medianMs)} (${ratio(version!.medianMs, bare!.medianMs)} of bare node)`,
      ],
      data: { bare, version },
    };
  },
};
