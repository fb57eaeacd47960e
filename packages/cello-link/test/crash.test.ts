// A crash at any instruction leaves state the next run repairs. For each
// prefix of the commands setup runs (taken from --dry-run, applied by hand as
// if the process had died right after), the next setup must succeed and pass
// check, or a teardown must leave the node exactly as before.
import t from 'tap';
import { must } from '@cello/testkit';
import { dumpNs } from './helpers/dump.ts';
import { Sim } from './helpers/sim.ts';

for (const mode of ['shared', 'exclusive'] as const) {
  t.test(`${mode === 'shared' ? 'veth' : 'exclusive'}: crash after every instruction`, async (t) => {
    const sim = await Sim.create();
    t.teardown(() => sim.close());
    const eni = await sim.attachEni(mode, '192.168.1.20');
    t.equal((await sim.cello(['eni-up'], eni)).code, 0, 'eni-up');
    const before = await dumpNs(sim.node.name);

    const probePod = await sim.pod();
    const dry = await sim.cello(['setup', '--dry-run'], sim.allocation(probePod, eni, mode === 'exclusive' ? eni.primaryIp : '192.168.1.21'));
    t.equal(dry.code, 0, `dry run: ${dry.stderr}`);
    const steps = dry.json.commands.host.ip.length + dry.json.commands.pod.ip.length;
    t.ok(steps > 5, `${steps} ip instructions to interrupt`);

    for (let k = 1; k < steps; k++) {
      const pod = await sim.pod();
      const alloc = sim.allocation(pod, eni, mode === 'exclusive' ? eni.primaryIp : '192.168.1.21', undefined, 'crashing-container');
      const { commands } = (await sim.cello(['setup', '--dry-run'], alloc)).json;
      const hostPart = commands.host.ip.slice(0, k);
      const podPart = commands.pod.ip.slice(0, Math.max(0, k - commands.host.ip.length));
      await must('ip', ['netns', 'exec', sim.node.name, 'ip', '-batch', '-'], { input: `${hostPart.join('\n')}\n` });
      if (podPart.length) await must('ip', ['netns', 'exec', pod.name, 'ip', '-batch', '-'], { input: `${podPart.join('\n')}\n` });

      if (k % 2) {
        const s = await sim.cello(['setup'], alloc);
        t.equal(s.code, 0, `crash after ${k}, then setup: ${s.stderr.split('\n')[1] ?? ''}`);
        t.equal((await sim.cello(['check'], alloc)).code, 0, `crash after ${k}: check passes`);
      }
      t.equal((await sim.cello(['teardown'], alloc)).code, 0, `crash after ${k}: teardown`);
      t.same(await dumpNs(sim.node.name), before, `crash after ${k}: node as before`);
      await pod.remove();
    }
  });
}
