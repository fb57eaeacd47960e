// SIGKILL the keeper at each step of create → attach → assign (and of a
// release), then start it again: the node converges with no leaked ENI or IP
// in the sim's state, and cello-ipam agrees with the cloud. Each case runs on
// its own node of one sim. The keeper is killed when it logs the step (or,
// for a request in flight, while the sim holds the answer).
import t from 'tap';
import { bin } from '@cello/testkit';
import { withSim } from '@cello/testkit/sim';
import type { Sim } from '@cello/vpc-sim';
import { assertConsistent, baseConf, cloudEnis, eni, poolStats, writeConf } from './helpers.ts';

interface Case {
  name: string;
  /** Target before the killed run (undefined: a fresh node). */
  before?: number;
  target: number;
  /** Kill when a log line matches. */
  killOn?: (line: Record<string, unknown>) => boolean;
  /** Or: hold this action's answer and kill while it is held. */
  holdAction?: string;
}

const msg = (m: string) => (l: Record<string, unknown>) => l.msg === m;
const call = (action: string) => (l: Record<string, unknown>) => l.msg === 'openapi call' && l.action === action;

const CASES: Case[] = [
  { name: 'CreateNetworkInterface answered, before waiting for Available', target: 6, killOn: msg('created ENI') },
  { name: 'while waiting for Available', target: 6, killOn: call('DescribeNetworkInterfaceAttributes') },
  { name: 'CreateNetworkInterface in flight (the cloud makes the ENI after the keeper died)', target: 6, holdAction: 'CreateNetworkInterface' },
  { name: 'AttachNetworkInterface answered, before InUse', target: 6, killOn: msg('attaching ENI') },
  { name: 'attached and on the host, before eni-up and import', target: 6, killOn: msg('ENI attached') },
  { name: 'AssignPrivateIpAddresses answered, before metadata and import', before: 4, target: 8, killOn: msg('assigned IPs') },
  { name: 'AssignPrivateIpAddresses in flight', before: 4, target: 8, holdAction: 'AssignPrivateIpAddresses' },
  { name: 'IPs unassigned, before forget', before: 8, target: 2, killOn: msg('unassigned IPs') },
  { name: 'a whole ENI detaching, before delete', before: 16, target: 3, killOn: msg('detaching ENI') },
];

/** Run `pool --once` on the node and SIGKILL it at the step; resolves with what it logged. */
async function killedRun(sim: Sim, node: string, c: Case): Promise<{ killed: boolean; log: string }> {
  if (c.holdAction) await sim.control.addFault({ kind: 'latency', action: c.holdAction, ms: 1500, times: 1 });
  const child = sim.spawn(node, [bin('cello-eni'), 'pool', '--once'], { env: { CELLO_LOG_LEVEL: 'debug' } });
  let log = '';
  let killed = false;
  const kill = () => {
    if (!killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  child.stderr!.on('data', (d: Buffer) => {
    log += d;
    for (const line of log.split('\n')) {
      try {
        const l = JSON.parse(line);
        if (c.killOn?.(l)) kill();
        // The held call is on its way once the keeper starts filling or releasing.
        if (c.holdAction && (l.msg === 'filling the pool' || l.msg === 'releasing surplus')) setTimeout(kill, 400);
      } catch {
        // a partial line
      }
    }
  });
  await new Promise((resolve) => child.on('close', resolve));
  if (c.holdAction) await new Promise((r) => setTimeout(r, 1500)); // let the held call finish in the cloud
  return { killed, log };
}

t.test('SIGKILL at every step, then a restart converges without leaks', async (t) => {
  const sim = await withSim(t, { nodes: CASES.length, config: { delaysMs: { create: 300, attach: 300, detach: 300, delete: 300 } } });
  // One after another: a held answer (latency fault) applies to the whole sim.
  for (const [i, c] of CASES.entries()) {
    const node = `node${i + 1}`;
    await t.test(c.name, async (t) => {
      if (c.before !== undefined) {
        writeConf(sim, node, baseConf(sim, { poolTarget: c.before }));
        t.equal((await eni(sim, node, ['pool', '--once'])).code, 0, `the node first holds ${c.before} free IPs`);
      }
      writeConf(sim, node, baseConf(sim, { poolTarget: c.target }));
      const run = await killedRun(sim, node, c);
      t.ok(run.killed, 'the keeper was killed at the step');
      const leftBehind = (await cloudEnis(sim, node)).map((e) => `${e.id}:${e.status}`);
      t.comment(`left behind in the cloud: ${leftBehind.join(' ') || 'nothing'}`);

      const again = await eni(sim, node, ['pool', '--once']);
      t.equal(again.code, 0, `the restarted keeper meets its targets ${again.code ? again.stderr.slice(-400) : ''}`);
      t.equal((await poolStats(sim, node)).available, c.target, `exactly ${c.target} free IPs, none leaked or missing`);
      await assertConsistent(t, sim, node, 'after the restart');
    });
  }
});
