// Issue 18 item 10: the metrics server's address is the config key
// `metricsListen` (default `:11414`, every IPv4 address of the node, which the
// kubelet's probes and Prometheus need); `--listen` wins over it. In a sim
// node: bound to 127.0.0.1 it answers there and refuses the node's own IP.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import t, { type Test } from 'tap';
import { resolveConfig } from '@cello/cello-eni';
import { bin } from '@cello/testkit';
import { NO_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import type { Sim } from '@cello/vpc-sim';
import { clusterConf } from './simnode.ts';

const NODE = 'node1';
const base = { subnets: ['subnet-a'], securityGroups: ['sg-a'], ramRole: 'r' };

t.test('metricsListen: default, accepted and refused values', async (t) => {
  t.equal(resolveConfig(base).config.metricsListen, ':11414', 'the default: every IPv4 address, port 11414');
  for (const v of [':9100', '9100', '127.0.0.1:9100', '192.168.1.10:11414', '[::1]:9100', '[::]:11414']) {
    t.equal(resolveConfig({ ...base, metricsListen: v }).config.metricsListen, v, `${v} is accepted`);
  }
  for (const v of ['localhost:9100', ':0', ':65536', '1.2.3.4', '[1.2.3.4]:9100', '::1:9100', '1.2.3.4:', 11414]) {
    t.throws(() => resolveConfig({ ...base, metricsListen: v }), /^metricsListen: expected \[host\]:port/, `${JSON.stringify(v)} is refused, naming the key`);
  }
});

/** Start `cello-agent metrics` in the node; resolves with the address it says it serves on. */
async function startMetrics(t: Test, sim: Sim, args: string[]): Promise<string> {
  const child = sim.spawn(NODE, [process.execPath, bin('cello-agent'), 'metrics', ...args]);
  t.teardown(() => void child.kill('SIGKILL'));
  child.stdout!.resume();
  let stderr = '';
  return await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /"msg":"serving metrics and health","address":"([^"]+)"/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`cello-agent metrics exited ${code}: ${stderr}`)));
  });
}

const curl = async (sim: Sim, url: string) => (await sim.exec(NODE, ['curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url])).stdout;

t.test('the metrics child listens where the config says', async (t) => {
  const sim = await withSim(t, { prefix: 'ag', config: { delaysMs: NO_DELAYS } });
  const ip = sim.info.nodes[0]!.primaryIp;
  const conf = nodePath(sim, NODE, '/etc/cello/conf');
  mkdirSync(dirname(conf), { recursive: true });

  writeFileSync(conf, JSON.stringify(clusterConf(sim, { metricsListen: '127.0.0.1:11515' })));
  t.equal(await startMetrics(t, sim, []), '127.0.0.1:11515', 'it says where it listens');
  t.equal(await curl(sim, 'http://127.0.0.1:11515/livez'), '200', 'it answers on 127.0.0.1');
  t.equal(await curl(sim, `http://${ip}:11515/livez`), '000', "and not on the node's IP");

  t.equal(await startMetrics(t, sim, ['--listen', '127.0.0.1:11516']), '127.0.0.1:11516', '--listen wins over the config');

  writeFileSync(conf, JSON.stringify(clusterConf(sim)));
  t.equal(await startMetrics(t, sim, []), '0.0.0.0:11414', 'without the key: the default');
  t.equal(await curl(sim, `http://${ip}:11414/livez`), '200', "which the node's IP reaches (the kubelet's probes, Prometheus)");
});
