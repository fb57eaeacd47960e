// Fault injection and flow limits: exactly which calls each rule hits
// (with a given clock), and what a client then receives on the wire.
import t from 'tap';
import { FaultError, Faults } from '../src/openapi/faults.ts';
import { inProcessCloud } from './inproc.ts';

t.test('which calls each rule hits', async (t) => {
  t.test('throttle: per action, a sliding one-second window', async (t) => {
    const f = new Faults();
    f.add({ kind: 'throttle', action: 'A', rate: 2 });
    const at = (action: string, ms: number) => f.decide(action, 10_000 + ms).error?.code ?? 'OK';
    t.same(
      [at('A', 0), at('A', 1), at('A', 2), at('B', 3), at('A', 999), at('A', 1001), at('A', 1002)],
      ['OK', 'OK', 'FlowLimitExceeded', 'OK', 'FlowLimitExceeded', 'OK', 'OK'],
      'accepted calls at 0, 1, 1001, 1002',
    );
    t.equal(f.decide('A', 10_003).error?.status, 429, 'the third within a second: 429');
  });

  t.test('flow limits from the config: "*" limits each action separately and survives clear', async (t) => {
    const f = new Faults({ '*': 1 });
    t.same([f.decide('A', 0).error, f.decide('B', 1).error, f.decide('A', 2).error?.code], [undefined, undefined, 'FlowLimitExceeded']);
    t.equal(f.clear(), 0, 'clear leaves configured limits');
    t.equal(f.decide('A', 3).error?.code, 'FlowLimitExceeded');
  });

  t.test('error, garbage, latency: times and actions', async (t) => {
    const f = new Faults();
    f.add({ kind: 'error', action: 'A', status: 503, times: 2 });
    t.same(
      [1, 2, 3].map(() => f.decide('A').error?.code ?? 'OK'),
      ['ServiceUnavailableTemp', 'ServiceUnavailableTemp', 'OK'],
      'two 503s then done',
    );
    f.add({ kind: 'garbage', times: 1 });
    const g = f.decide('B');
    t.match(g.garbage, { status: 502, body: /<html>/ });
    t.notOk(f.decide('B').garbage, 'once');
    f.add({ kind: 'latency', ms: 30 });
    f.add({ kind: 'latency', action: 'C', ms: 20 });
    t.equal(f.decide('C').latencyMs, 50, 'latencies add up');
    t.equal(f.decide('D').latencyMs, 30);
    t.equal(f.clear(), 2, 'clear removes what is left');
    f.add({ kind: 'error', action: 'E', status: 502, times: 1 });
    f.add({ kind: 'error', action: 'F', status: 504, times: 1 });
    t.equal(f.decide('E').error?.code, 'InternalServiceError', '502 by default');
    t.equal(f.decide('F').error?.code, 'InternalServiceTimeout', '504 by default');
    t.same(f.decide('C'), { latencyMs: 0, faultIds: [] });
  });

  t.test('nth: the n-th call of that action, counted from now', async (t) => {
    const f = new Faults();
    f.decide('A');
    f.add({ kind: 'nth', action: 'A', n: 3, code: 'InsufficientIpInSubnet' });
    const codes = ['A', 'B', 'A', 'B', 'A', 'A'].map((a) => f.decide(a).error?.code ?? 'OK');
    t.same(codes, ['OK', 'OK', 'OK', 'OK', 'InsufficientIpInSubnet', 'OK']);
    t.same(f.list(), [], 'spent');
  });

  t.test('bad rules are refused by name', async (t) => {
    const f = new Faults();
    t.throws(() => f.add({ kind: 'throttle', rate: 0 }), FaultError);
    t.throws(() => f.add({ kind: 'error', status: 404 }), /status must be 5xx/);
    t.throws(() => f.add({ kind: 'nth', action: 'A', n: 1, code: '' }), /needs a code/);
    t.throws(() => f.add({ kind: 'latency', ms: -1 }), /ms must be/);
    t.throws(() => f.add({ kind: 'error', probability: 2 }), /probability/);
    t.throws(() => f.add({ kind: 'explode' } as never), /unknown fault kind/);
  });
});

t.test('what the real client receives', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  const vpc = sim.service('vpc');

  sim.faults.add({ kind: 'error', action: 'DescribeSubnets', status: 503, times: 1 });
  const e = await sim.call('DescribeSubnets');
  t.match(e.ResponseMetadata, { Action: 'DescribeSubnets', Error: { Code: 'ServiceUnavailableTemp', CodeN: 100019 } }, 'a 5xx with its envelope');
  t.equal(sim.calls.list().at(-1)!.status, 503);

  sim.faults.add({ kind: 'garbage', action: 'DescribeSubnets', times: 1 });
  const g = await vpc.createAPI('DescribeSubnets')({});
  t.equal(typeof g, 'string', 'a non-JSON body reaches the client as a string');
  t.match(g, /<html>/);

  sim.faults.add({ kind: 'nth', action: 'DescribeSubnets', n: 2, code: 'FlowLimitExceeded' });
  t.equal(await sim.code('DescribeSubnets'), 'OK');
  const thr = await sim.call('DescribeSubnets');
  t.match(thr.ResponseMetadata.Error, { Code: 'FlowLimitExceeded', CodeN: 100018 });
  t.equal(sim.calls.list().at(-1)!.status, 429, 'FlowLimitExceeded is HTTP 429');
  t.ok(sim.calls.list().at(-1)!.faults?.length, 'the call log names the fault');
  t.equal(await sim.code('DescribeSubnets'), 'OK', 'then calls succeed again');

  sim.faults.add({ kind: 'error', times: 1 });
  const bad = await rawUnsigned(sim.host);
  t.equal(bad, 'MissingAuthenticationToken', 'faults hit only authenticated calls');
  t.equal(await sim.code('DescribeInstances'), 'InternalError', 'an action-less fault hits any action');
});

async function rawUnsigned(host: string): Promise<string> {
  const r = await fetch(`http://${host}/?Action=DescribeSubnets&Version=2020-04-01`);
  return ((await r.json()) as { ResponseMetadata: { Error: { Code: string } } }).ResponseMetadata.Error.Code;
}
