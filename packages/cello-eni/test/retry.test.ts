// Unit level: how each error code is treated per action, the backoff
// schedule per class (with its jitter bounds), the token bucket on a fake
// clock, parameter flattening, and secret scrubbing in errors.
import t from 'tap';
import { DEFAULT_BACKOFF } from '../src/config/resolve.ts';
import { registerSecret, scrubSecrets } from '../src/credentials/secrets.ts';
import { backoffDelay } from '../src/openapi/backoff.ts';
import { classOf } from '../src/openapi/client.ts';
import { OpenApiError, treatment } from '../src/openapi/errors.ts';
import { flatten } from '../src/openapi/params.ts';
import { type Clock, TokenBucket } from '../src/openapi/token-bucket.ts';

t.test('treatment of error codes', async (t) => {
  const table: Array<[string, string, ReturnType<typeof treatment>]> = [
    ['CreateNetworkInterface', 'FlowLimitExceeded', 'retry'],
    ['DescribeSubnets', 'AccountFlowLimitExceeded', 'retry'],
    ['AssignPrivateIpAddresses', 'RequestLimitExceeded', 'retry'],
    ['AttachNetworkInterface', 'Throttling', 'retry'],
    ['AttachNetworkInterface', 'InvalidEni.InvalidStatus', 'retry'],
    ['DeleteNetworkInterface', 'InvalidEni.InvalidStatus', 'retry'],
    ['DescribeNetworkInterfaces', 'InternalError', 'retry'],
    ['DescribeNetworkInterfaces', 'ServiceUnavailableTemp', 'retry'],
    ['DescribeNetworkInterfaces', 'InternalServiceTimeout', 'retry'],
    ['DescribeNetworkInterfaces', 'NetworkError', 'retry'],
    ['DescribeNetworkInterfaces', 'BadResponse', 'retry'],
    ['CreateNetworkInterface', 'InvalidParameter', 'fail'],
    ['CreateNetworkInterface', 'MissingParameter', 'fail'],
    ['CreateNetworkInterface', 'InsufficientIpInSubnet', 'fail'],
    ['CreateNetworkInterface', 'QuotaExceeded.Eni', 'fail'],
    ['CreateNetworkInterface', 'QuotaExceeded.EniSecurityGroup', 'fail'],
    ['AttachNetworkInterface', 'LimitExceeded.EnisPerInstance', 'fail'],
    ['AssignPrivateIpAddresses', 'LimitExceeded.PrivateIpsPerEni', 'fail'],
    ['AssignIpv6Addresses', 'InvalidSubnet.DisableIpv6', 'fail'],
    ['CreateNetworkInterface', 'InvalidVpc.InvalidStatus', 'fail'],
    ['CreateNetworkInterface', 'IdempotentParameterMismatch', 'fail'],
    ['DescribeSubnets', 'InvalidTimestamp', 'fail'],
    ['DeleteNetworkInterface', 'InvalidEniId.NotFound', 'success'],
    ['DeleteNetworkInterface', 'InvalidEni.InstanceMismatch', 'success'],
    ['DetachNetworkInterface', 'InvalidEniId.NotFound', 'success'],
    ['DetachNetworkInterface', 'InvalidEni.InstanceMismatch', 'success'],
    ['UnassignPrivateIpAddresses', 'InvalidPrivateIp.Malformed', 'success'],
    ['UnassignIpv6Addresses', 'InvalidIpv6.Malformed', 'success'],
    ['AttachNetworkInterface', 'InvalidEniId.NotFound', 'fail'],
    ['AssignPrivateIpAddresses', 'InvalidPrivateIp.Malformed', 'fail'],
    ['UnassignPrivateIpAddresses', 'InvalidEip.InUse', 'retry'],
    ['UnassignIpv6Addresses', 'InvalidAnycastEip.InUse', 'retry'],
    ['CreateNetworkInterface', 'InvalidTagKey.Malformed', 'fail'],
    ['TagResources', 'InvalidTagKey.Malformed', 'fail'],
    ['AttachNetworkInterface', 'InvalidEni.ZoneMismatch', 'fail'],
    ['AttachNetworkInterface', 'InvalidEni.AccountMismatch', 'fail'],
    ['CreateNetworkInterface', 'InvalidSecurityGroup.NotFound', 'fail'],
    ['AssignPrivateIpAddresses', 'InvalidPrivateIp.InUse', 'fail'],
    ['CreateNetworkInterface', 'AccessDenied', 'fail'],
    // Codes no table lists: retried when a repeat is harmless, not otherwise.
    ['DescribeNetworkInterfaces', 'SomethingNew.Unknown', 'retry'],
    ['ListTagsForResources', 'SomethingNew.Unknown', 'retry'],
    ['DeleteNetworkInterface', 'SomethingNew.Unknown', 'retry'],
    ['DetachNetworkInterface', 'SomethingNew.Unknown', 'retry'],
    ['AttachNetworkInterface', 'SomethingNew.Unknown', 'fail'],
    ['CreateNetworkInterface', 'SomethingNew.Unknown', 'fail'],
    ['DescribeSubnets', 'ClientError', 'fail'],
  ];
  for (const [action, code, want] of table) t.equal(treatment(action, code), want, `${action} ${code} → ${want}`);
  t.equal(
    treatment('CreateNetworkInterface', 'SomethingNew.Unknown', { idempotent: true }),
    'retry',
    'an unknown code on a create with a ClientToken is retried',
  );
  t.equal(treatment('AssignPrivateIpAddresses', 'SomethingNew.Unknown', { idempotent: true }), 'retry', 'and on an assign with one');
  t.equal(treatment('AttachNetworkInterface', 'SomethingNew.Unknown', { idempotent: false }), 'fail', 'not on an attach');
  t.equal(treatment('DescribeSubnets', 'InvalidAccessKey'), 'fail', 'a refused static key is final');
  t.equal(treatment('DescribeSubnets', 'InvalidAccessKey', { roleCredentials: true }), 'refresh-credentials', 'refused role credentials are fetched again');
  t.equal(classOf('CreateNetworkInterface'), 'write');
  t.equal(classOf('UnassignIpv6Addresses'), 'write');
  t.equal(classOf('DescribeNetworkInterfaces'), 'describe');
});

t.test('backoff schedule per class', async (t) => {
  const w = DEFAULT_BACKOFF.write;
  t.same(
    [1, 2, 3].map((n) => backoffDelay(w, n, () => 0)),
    [1000, 1500, 2250],
    'write: 1 s × 1.5^n without jitter',
  );
  t.equal(
    backoffDelay(w, 3, () => 0.999),
    Math.round(2250 * (1 + 0.5 * 0.999)),
    'jitter stretches by up to 50 %',
  );
  t.equal(
    backoffDelay(w, 50, () => 0),
    w.maxMs,
    'capped at maxMs',
  );
  const d = DEFAULT_BACKOFF.describe;
  for (let n = 1; n <= d.steps; n++) {
    const low = backoffDelay(d, n, () => 0);
    const high = backoffDelay(d, n, () => 1);
    t.ok(high >= low && high <= Math.round(low * (1 + d.jitter)), `describe attempt ${n}: ${low}–${high} ms`);
  }
  t.ok(DEFAULT_BACKOFF.wait.maxMs <= 5000, 'status polls never sleep long');
});

/** A clock that only moves when the bucket sleeps. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new Error('aborted');
      slept.push(ms);
      now += ms;
    },
  };
}

t.test('token bucket', async (t) => {
  const clock = fakeClock();
  const b = new TokenBucket(2, 3, clock);
  const times: number[] = [];
  await Promise.all(Array.from({ length: 7 }, () => b.take().then(() => times.push(clock.now()))));
  const start = 1_000_000;
  t.same(
    times.map((x) => x - start),
    [0, 0, 0, 500, 1000, 1500, 2000],
    'a burst of 3 at once, then one every 1/qps, in arrival order',
  );
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) t.ok(j - i + 1 <= 3 + (2 * (times[j]! - times[i]!)) / 1000, `calls ${i}..${j} within burst + qps × Δt`);
  }

  const idle = fakeClock();
  const b2 = new TokenBucket(4, 2, idle);
  await b2.take();
  await b2.take();
  await idle.sleep(10_000);
  t.equal(b2.tryTake(), 0, 'a token after idling');
  t.equal(b2.tryTake(), 0, 'the bucket refilled to its burst');
  t.ok(b2.tryTake() > 0, 'but not beyond it');

  // A clock that never lets time pass: only the stop signal ends the wait.
  const frozen: Clock = {
    now: () => 0,
    sleep: (_ms, signal) =>
      new Promise((_, reject) => {
        if (signal?.aborted) reject(new Error('stopped'));
        signal?.addEventListener('abort', () => reject(new Error('stopped')));
      }),
  };
  const stuck = new TokenBucket(1, 1, frozen);
  await stuck.take();
  const ac = new AbortController();
  const waiting = stuck.take(ac.signal);
  ac.abort();
  await t.rejects(waiting, /stopped/, 'a stop signal ends a wait for a token');
});

t.test('parameters are flattened the way the API reads them', async (t) => {
  t.same(
    flatten({
      SubnetId: 'subnet-a',
      SecurityGroupIds: ['sg-1', 'sg-2'],
      Tags: [{ Key: 'k:cello', Value: 'v' }],
      TagFilters: [{ Key: 'a', Values: ['x', 'y'] }],
      SecondaryPrivateIpAddressCount: 4,
      PortSecurityEnabled: false,
      Description: undefined,
      ProjectName: null,
      NetworkInterfaceIds: [],
    }),
    {
      SubnetId: 'subnet-a',
      'SecurityGroupIds.1': 'sg-1',
      'SecurityGroupIds.2': 'sg-2',
      'Tags.1.Key': 'k:cello',
      'Tags.1.Value': 'v',
      'TagFilters.1.Key': 'a',
      'TagFilters.1.Values.1': 'x',
      'TagFilters.1.Values.2': 'y',
      SecondaryPrivateIpAddressCount: '4',
      PortSecurityEnabled: 'false',
    },
    'lists 1-based, structs dotted, undefined/null/empty left out',
  );
});

t.test('errors never carry a known secret', async (t) => {
  registerSecret('AKLTsecretkeyid0001');
  registerSecret('STS2token-abcdef');
  const e = new OpenApiError(
    'DescribeSubnets',
    'InvalidAccessKey',
    'The access key AKLTsecretkeyid0001 does not exist (token STS2token-abcdef).',
    100009,
    'req-1',
  );
  t.notMatch(e.message, /AKLTsecretkeyid0001|STS2token-abcdef/, 'scrubbed');
  t.equal(e.message, 'DescribeSubnets: InvalidAccessKey: The access key *** does not exist (token ***). (request req-1)');
  t.same([e.code, e.codeN, e.requestId], ['InvalidAccessKey', 100009, 'req-1'], 'typed fields kept');
  t.equal(scrubSecrets('short abc'), 'short abc', 'other text untouched');
});
