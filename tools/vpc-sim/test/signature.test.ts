// Signatures are checked with @volcengine/openapi's own Signer: every way a
// request can be signed right is accepted, every way it can be wrong gets its
// gateway error code and HTTP status.
import t from 'tap';
import { type Envelope, inProcessCloud, rawRequest } from './inproc.ts';

t.test('signature accept and reject', async (t) => {
  const sim = await inProcessCloud({ stsLifetimeSec: 60 });
  t.teardown(sim.close);
  const owner = sim.owner;
  const instanceId = sim.world.instances[0]!.id;

  t.test('accepted: the real client over GET, POST form and POST JSON', async (t) => {
    const get = (await sim.service('vpc').createAPI('DescribeSubnets')({ PageSize: 10 })) as Envelope;
    t.notOk(get.ResponseMetadata.Error, 'GET');
    t.equal(get.Result.Subnets.length, 2);
    const form = (await sim.service('vpc').createAPI('DescribeSubnets', { method: 'POST' })({ PageSize: 1 })) as Envelope;
    t.notOk(form.ResponseMetadata.Error, 'POST form (Action/Version in the query, the rest in the body)');
    t.equal(form.Result.Subnets.length, 1, 'the form body parameters were read');
    const json = await sim.service('vpc').createAPI('DescribeSubnets', { method: 'POST', contentType: 'json' })({ PageSize: 1 });
    t.notOk(json.ResponseMetadata.Error, 'POST JSON: the signature (with X-Content-Sha256) verifies');
  });

  t.test('accepted: values the wire and the canonical string encode differently', async (t) => {
    // A description takes any text (tag keys and values are restricted to a few characters).
    const text = "k:(x)*!'~ é/+=&";
    const created = await sim.ok('CreateNetworkInterface', {
      SubnetId: sim.subnetId,
      'SecurityGroupIds.1': sim.sgId,
      Description: text,
      'Tags.1.Key': 'k:x/+=@',
      'Tags.1.Value': 'a b',
    });
    const eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: created.NetworkInterfaceId });
    t.equal(eni.Description, text, 'the description arrived intact');
    t.same(eni.Tags, [{ Key: 'k:x/+=@', Value: 'a b' }], 'and the tag');
  });

  t.test('accepted: a Go-SDK-style signature over host, content-type and user-agent', async (t) => {
    const r = await rawRequest(sim.host, {
      query: { Action: 'DescribeSubnets', Version: '2020-04-01' },
      headers: { Host: sim.host, 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'volcengine-go-sdk/1.0.61' },
      creds: owner,
      signAll: true,
    });
    t.equal(r.json?.ResponseMetadata.Error?.Code, undefined, 'verified');
    t.match(r.headersSigned, /content-type;host;user-agent;x-date/);
  });

  t.test('accepted: role (STS) credentials from the metadata service with X-Security-Token', async (t) => {
    const c = sim.cloud.credentials.roleCredentials(instanceId);
    const creds = { accessKeyId: c.accessKeyId, secretKey: c.secretAccessKey, sessionToken: c.sessionToken };
    t.equal(await sim.code('DescribeSubnets', {}, creds), 'OK');
    const last = sim.calls.list().at(-1)!;
    t.equal(last.auth, 'role');
  });

  const cases: Array<[string, () => Promise<{ status: number; json?: { ResponseMetadata: { Error?: { Code: string; CodeN?: number } } } }>, string, number]> = [
    [
      'wrong secret',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: { ...owner, secretKey: 'not-the-secret' } }),
      'SignatureDoesNotMatch',
      401,
    ],
    [
      'unknown access key',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: { ...owner, accessKeyId: 'AKLTunknown' } }),
      'InvalidAccessKey',
      401,
    ],
    [
      'no Authorization header',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner, after: (r) => delete r.headers.Authorization }),
      'MissingAuthenticationToken',
      401,
    ],
    [
      'malformed Authorization header',
      () =>
        rawRequest(sim.host, {
          query: { Action: 'DescribeSubnets', Version: '2020-04-01' },
          creds: owner,
          after: (r) => (r.headers.Authorization = 'HMAC-SHA256 Credential=x'),
        }),
      'MissingSignature',
      401,
    ],
    [
      'no X-Date',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner, after: (r) => delete r.headers['X-Date'] }),
      'MissingRequestInfo',
      400,
    ],
    [
      'X-Date an hour old',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner, date: new Date(Date.now() - 3600_000) }),
      'InvalidTimestamp',
      400,
    ],
    [
      'a query parameter changed after signing',
      () =>
        rawRequest(sim.host, {
          query: { Action: 'DescribeSubnets', Version: '2020-04-01', PageSize: '10' },
          creds: owner,
          after: (r) => (r.path = r.path.replace('PageSize=10', 'PageSize=11')),
        }),
      'SignatureDoesNotMatch',
      401,
    ],
    [
      'the body changed after signing',
      () =>
        rawRequest(sim.host, {
          method: 'POST',
          query: { Action: 'DescribeSubnets', Version: '2020-04-01' },
          body: 'PageSize=1',
          creds: owner,
          after: (r) => (r.body = 'PageSize=2'),
        }),
      'SignatureDoesNotMatch',
      401,
    ],
    [
      'a body the signature does not cover',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner, after: (r) => (r.body = 'PageSize=2') }),
      'SignatureDoesNotMatch',
      401,
    ],
    [
      'a service the gateway does not know',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner, service: 'nosuch' }),
      'ServiceNotFound',
      404,
    ],
    [
      'another region',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner, region: 'cn-shanghai' }),
      'ServiceNotFound',
      404,
    ],
    [
      'an unknown action',
      () => rawRequest(sim.host, { query: { Action: 'DescribeNothing', Version: '2020-04-01' }, creds: owner }),
      'InvalidActionOrVersion',
      404,
    ],
    [
      'a wrong version',
      () => rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2018-01-01' }, creds: owner }),
      'InvalidActionOrVersion',
      404,
    ],
    [
      'an ecs action signed for vpc',
      () => rawRequest(sim.host, { query: { Action: 'DescribeInstances', Version: '2020-04-01' }, creds: owner, service: 'vpc' }),
      'InvalidActionOrVersion',
      404,
    ],
    ['PUT', () => rawRequest(sim.host, { method: 'PUT', query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: owner }), 'MethodNotAllowed', 405],
  ];
  for (const [name, pending, code, status] of cases) {
    t.test(`rejected: ${name}`, async (t) => {
      const r = await pending();
      t.equal(r.json?.ResponseMetadata.Error?.Code, code, 'error code');
      t.equal(r.status, status, 'HTTP status');
    });
  }

  t.test('rejected: role credentials used wrongly', async (t) => {
    const c = sim.cloud.credentials.roleCredentials(sim.world.instances[1]!.id);
    const creds = { accessKeyId: c.accessKeyId, secretKey: c.secretAccessKey };
    t.equal(await sim.code('DescribeSubnets', {}, creds), 'MissingAuthenticationToken', 'without the session token');
    t.equal(await sim.code('DescribeSubnets', {}, { ...creds, sessionToken: 'STS2forged' }), 'InvalidAccessKey', 'with a forged session token');
    t.equal(await sim.code('DescribeSubnets', {}, { ...creds, sessionToken: c.sessionToken, secretKey: 'x' }), 'SignatureDoesNotMatch', 'with a wrong secret');
  });

  t.test('the error envelope: CodeN, Action, RequestId, no Result', async (t) => {
    const r = await rawRequest(sim.host, { query: { Action: 'DescribeSubnets', Version: '2020-04-01' }, creds: { ...owner, secretKey: 'wrong' } });
    const md = r.json!.ResponseMetadata as Record<string, unknown>;
    t.match(md, { Action: 'DescribeSubnets', Version: '2020-04-01', Region: 'cn-beijing', Error: { CodeN: 100010, Code: 'SignatureDoesNotMatch' } });
    t.match(md.RequestId, /^\w{20,}$/);
    t.notOk('Result' in r.json!, 'no Result on an error');
    t.notMatch(r.body, owner.secretKey, 'no secret in the answer');
  });

  t.test('the call log names the caller and never holds a secret', async (t) => {
    const calls = sim.calls.list();
    t.ok(calls.length > 10);
    const text = JSON.stringify(calls);
    t.notMatch(text, owner.secretKey);
    t.notMatch(text, /Authorization/);
    t.ok(calls.some((c) => c.code === 'SignatureDoesNotMatch' && c.status === 401));
  });
});

t.test('STS credentials really expire, and the metadata service rotates them', async (t) => {
  const sim = await inProcessCloud({ stsLifetimeSec: 100 });
  t.teardown(sim.close);
  const store = sim.cloud.credentials;
  const instanceId = sim.world.instances[0]!.id;
  const t0 = Date.now();
  const first = store.roleCredentials(instanceId, t0);
  t.equal(first.expiresAt - first.issuedAt, 100_000, 'lifetime from the config');
  t.equal(store.roleCredentials(instanceId, t0 + 49_000).accessKeyId, first.accessKeyId, 'the same keys before half the lifetime');
  const second = store.roleCredentials(instanceId, t0 + 50_000);
  t.not(second.accessKeyId, first.accessKeyId, 'new keys from half the lifetime on');
  t.same(store.resolve(first.accessKeyId, first.sessionToken, t0 + 99_000).principal, { kind: 'role', instanceId }, 'old keys still valid until their expiry');
  t.throws(
    () => store.resolve(first.accessKeyId, first.sessionToken, t0 + 100_000),
    { code: 'InvalidAccessKey', message: /expired/ },
    'expired at ExpiredTime',
  );
  t.ok(store.resolve(second.accessKeyId, second.sessionToken, t0 + 100_000), 'the rotated keys are valid');
});
