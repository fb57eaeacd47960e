// The simulator every other test and benchmark stands on:
//   - `vpc-sim up --nodes 2` + `down` beside bare `node -e 0` (what is left is the sim's own work);
//   - `vpc-sim exec NODE -- true` beside `ip netns exec NS true` (the cost of the node's private mounts);
//   - OpenAPI round trips from a node with the real client (signed DescribeNetworkInterfaceAttributes;
//     Assign + Unassign, which also change the router's routes) beside a metadata GET.
import { join } from 'node:path';
import { bin, must, repoRoot, run } from '@cello/testkit';
import { hyperfine, median } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

export default {
  name: 'sim-vpc',
  async run(): Promise<BenchReport> {
    const vpcSim = bin('vpc-sim');
    const name = `bsim${process.pid}`;
    const [bare, upDown] = await hyperfine(
      {
        'node -e 0': 'node -e 0',
        'vpc-sim up --nodes 2 + down': `sh -c '${vpcSim} up --name ${name}u --nodes 2 >/dev/null && ${vpcSim} down --name ${name}u >/dev/null'`,
      },
      { runs: 15, warmup: 2 },
    );

    await must(vpcSim, ['up', '--name', name, '--nodes', '2']);
    try {
      const [netnsExec, simExec] = await hyperfine(
        {
          'ip netns exec NS true': `ip netns exec ${name}-node1 true`,
          'vpc-sim exec NODE -- true': `${vpcSim} exec --name ${name} node1 -- true`,
        },
        { runs: 30, warmup: 3 },
      );
      const loop = await run(vpcSim, ['exec', '--name', name, 'node1', '--', 'node', join(repoRoot, 'tools/vpc-sim/test/fixtures/api-loop.mjs'), '200']);
      if (loop.exitCode !== 0) throw new Error(`api-loop: ${String(loop.stderr)}`);
      const api = JSON.parse(String(loop.stdout)) as Record<'metadata' | 'describe' | 'assignUnassign', number[]>;
      const m = { metadata: median(api.metadata), describe: median(api.describe), assignUnassign: median(api.assignUnassign) };
      return {
        suite: 'sim-vpc',
        lines: [
          `up --nodes 2 + down:        median ${ms(upDown!.medianMs)} (bare node ${ms(bare!.medianMs)}; ${ratio(upDown!.medianMs, bare!.medianMs)})`,
          `exec NODE -- true:          median ${ms(simExec!.medianMs)} (ip netns exec ${ms(netnsExec!.medianMs)}; ${ratio(simExec!.medianMs, netnsExec!.medianMs)})`,
          `metadata GET:               median ${ms(m.metadata)} (200 sequential, keep-alive)`,
          `DescribeNetworkInterfaceAttributes (signed, real client): median ${ms(m.describe)} (${ratio(m.describe, m.metadata)} of a metadata GET)`,
          `Assign + Unassign 1 IP (routes changed): median ${ms(m.assignUnassign)}`,
        ],
        data: { bare, upDown, netnsExec, simExec, api: m },
      };
    } finally {
      await run(vpcSim, ['down', '--name', name]);
    }
  },
};
