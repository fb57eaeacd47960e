// Bandwidth: the same transfers into and out of a shaped and an unshaped pod,
// over the same path, in the same test. Shaped must be slower, and no faster
// than the token bucket allows (size − burst) / rate: a bound from the
// configuration, not from this machine's speed. The transfers go to a peer in
// the VPC: veth shapes on the host (tbf on the host veth, ifb for egress),
// exclusive inside the pod on the ENI (its node-only veth is not shaped).
import t from 'tap';
import { ifbName } from '../src/index.ts';
import { dumpNs } from './helpers/dump.ts';
import { PEER_IP, Sim } from './helpers/sim.ts';

const RATE = 8_000_000; // bit/s
const BURST = 64_000; // bits
const BYTES = 500_000;
const FLAGS = ['--ingress-rate', '8M', '--ingress-burst', '64k', '--egress-rate', '8M', '--egress-burst', '64k'];
/** The least time a token bucket of RATE/BURST needs for BYTES, in ms. */
const floorMs = ((BYTES - BURST / 8) / (RATE / 8)) * 1000;

for (const mode of ['shared', 'exclusive'] as const) {
  t.test(`${mode === 'shared' ? 'veth' : 'exclusive'} datapath: shaped is slower than unshaped`, async (t) => {
    const sim = await Sim.create();
    t.teardown(() => sim.close());
    const eni1 = await sim.attachEni(mode, '192.168.1.20');
    const eni2 = mode === 'exclusive' ? await sim.attachEni(mode, '192.168.1.21') : eni1;
    t.equal((await sim.cello(['eni-up'], eni1)).code, 0, 'eni-up');
    const before = await dumpNs(sim.node.name);

    const [shapedPod, shaped] = await sim.podWith(eni1, mode === 'exclusive' ? eni1.primaryIp : '192.168.1.31');
    const [plainPod, plain] = await sim.podWith(eni2, mode === 'exclusive' ? eni2.primaryIp : '192.168.1.32');
    const s = await sim.cello(['setup', ...FLAGS], shaped);
    t.equal(s.code, 0, `shaped setup: ${s.stderr}`);
    t.equal(s.json.ifbInterface?.name, ifbName(shaped.containerId, 'eth0'), 'the result names the ifb');
    t.equal((await sim.cello(['setup'], plain)).code, 0, 'unshaped setup');
    const c = await sim.cello(['check', ...FLAGS], shaped);
    t.equal(c.code, 0, `check sees the tbf and ifb with the asked rates: ${c.stdout}`);
    const wrong = await sim.cello(['check', '--ingress-rate', '9M', '--ingress-burst', '64k', '--egress-rate', '8M', '--egress-burst', '64k'], shaped);
    t.equal(wrong.code, 1, 'check notices a different rate');
    t.match(wrong.json.findings, [{ object: /^tbf on /, problem: /rate 1000000 B\/s .* not 1125000/ }]);

    await sim.serve(sim.peer.name, PEER_IP, 7100);
    // warm up: neighbour entries on every hop, so the timed transfers compare only the shaping
    for (const p of [plainPod, shapedPod]) await sim.transfer(p.name, 'get', PEER_IP, 7100, 1000);
    for (const dir of ['get', 'put'] as const) {
      const what = dir === 'get' ? 'into the pod (ingress)' : 'out of the pod (egress)';
      const fast = await sim.transfer(plainPod.name, dir, PEER_IP, 7100, BYTES);
      const slow = await sim.transfer(shapedPod.name, dir, PEER_IP, 7100, BYTES);
      t.equal(slow.bytes, BYTES, `all bytes arrive ${what}`);
      t.ok(slow.ms > fast.ms, `${what}: shaped ${slow.ms.toFixed(0)} ms > unshaped ${fast.ms.toFixed(0)} ms`);
      t.ok(slow.ms >= floorMs, `${what}: shaped took ${slow.ms.toFixed(0)} ms, at least the ${floorMs.toFixed(0)} ms 8 Mbit/s allows`);
    }

    for (const alloc of [shaped, plain]) t.equal((await sim.cello(['teardown'], alloc)).code, 0, 'teardown');
    const after = await dumpNs(sim.node.name);
    t.same(after, before, 'no qdisc, ifb or anything else is left on the node');
    t.same(
      (await dumpNs(shapedPod.name)).links.map((l) => l.name),
      ['lo'],
      'nor in the pod',
    );
  });
}
