// Issue 13 item 6: the codes that mean "your credentials (or the request's
// signature) expired" — ExpiredToken, ExpiredTokenException, RequestExpired,
// InvalidAccessKey, as the Go SDK's credsExpiredCodes — make the client fetch
// fresh role credentials and try once more. On vpc-sim, whose fault
// injection answers a call with ExpiredToken: an attach (which is never
// retried on an unknown code) goes through after one refresh; a second
// ExpiredToken in a row is final; with static keys there is nothing to
// refresh, so it fails at once.
import t from 'tap';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { treatment } from '../src/openapi/errors.ts';
import { baseConf, eni, writeConf } from './helpers.ts';

const EXPIRED = ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'InvalidAccessKey'];

t.test('treatment: refresh with role credentials, final with static keys', async (t) => {
  for (const code of EXPIRED) {
    for (const action of ['DescribeSubnets', 'AttachNetworkInterface', 'CreateNetworkInterface']) {
      t.equal(treatment(action, code, { roleCredentials: true }), 'refresh-credentials', `${action} ${code}, role credentials: refresh`);
      t.equal(treatment(action, code), 'fail', `${action} ${code}, static keys: final`);
    }
  }
});

t.test('on vpc-sim: ExpiredToken on an attach', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: NO_DELAYS } });
  writeConf(sim, 'node1', baseConf(sim));
  const debug = { CELLO_LOG_LEVEL: 'debug' };
  const fetched = (stderr: string) => stderr.split('\n').filter((l) => l.includes('"role credentials fetched"')).length;

  const created = await eni(sim, 'node1', ['create', '--ips', '2']);
  t.equal(created.code, 0, `an ENI to attach: ${created.stderr}`);
  const id: string = created.json.id ?? created.json.eni?.id ?? created.json.enis?.[0]?.id;
  t.match(id, /^eni-/);

  await sim.control.addFault({ kind: 'nth', action: 'AttachNetworkInterface', n: 1, code: 'ExpiredToken', status: 401 });
  const since = (await sim.control.calls()).at(-1)?.seq ?? 0;
  const attached = await eni(sim, 'node1', ['attach', id], undefined, debug);
  t.equal(attached.code, 0, `attached after one refresh: ${attached.stderr.slice(-400)}`);
  const attaches = (await sim.control.calls({ since, action: 'AttachNetworkInterface' })).map((c) => `${c.auth} ${c.code}`);
  t.same(attaches, ['role ExpiredToken', 'role OK'], 'the cloud saw ExpiredToken, then the same call with role credentials');
  t.equal(fetched(attached.stderr), 2, 'the role credentials were fetched again from the metadata service');
  t.match(attached.stderr, /"msg":"openapi call failed".*"code":"ExpiredToken","willRetry":true/, 'the failure is logged as retried');

  const detached = await eni(sim, 'node1', ['detach', id]);
  t.equal(detached.code, 0, 'detached again');
  for (const n of [1, 2]) await sim.control.addFault({ kind: 'nth', action: 'AttachNetworkInterface', n, code: 'ExpiredToken', status: 401 });
  const twice = await eni(sim, 'node1', ['attach', id], undefined, debug);
  t.equal(twice.code, 1, 'ExpiredToken twice in a row: one refresh only, then it fails');
  t.match(twice.stderr, /AttachNetworkInterface: ExpiredToken/, 'naming the code');

  // Static keys (the account owner's test key): nothing to refresh, so a read fails at once too.
  const { accessKeyId, secretAccessKey } = sim.info.openapi;
  writeConf(sim, 'node1', { ...baseConf(sim), ramRole: undefined, credentialAccessKeyId: accessKeyId, credentialAccessKeySecret: secretAccessKey });
  await sim.control.addFault({ kind: 'nth', action: 'DescribeSubnets', n: 1, code: 'ExpiredToken', status: 401 });
  const since2 = (await sim.control.calls()).at(-1)?.seq ?? 0;
  const subnets = await eni(sim, 'node1', ['subnets']);
  t.equal(subnets.code, 1, 'static keys: ExpiredToken is final');
  t.same(
    (await sim.control.calls({ since: since2, action: 'DescribeSubnets' })).map((c) => c.code),
    ['ExpiredToken'],
    'and not retried',
  );
});
