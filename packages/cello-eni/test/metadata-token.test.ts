// Issue 13 item 5: metadata tokens (IMDSv2). The client asks
// `PUT /latest/api/token` (X-volc-ecs-metadata-token-ttl-seconds) once, sends
// X-volc-ecs-metadata-token on every read, fetches a new token at half its
// lifetime or when a read with it is refused, and reads without one only when
// the token endpoint does not exist (404). First against a scripted metadata
// server (every branch, a fake clock), then on vpc-sim with
// metadataTokensRequired: the keeper's whole start-up (identity, role
// credentials, ENI facts) works there.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { MetadataClient, MetadataError, TOKEN_TTL_SEC, TOKENLESS_RECHECK_MS } from '../src/metadata/client.ts';
import { baseConf, eni, writeConf } from './helpers.ts';

interface Script {
  /** What the token endpoint does: issue tokens, 404 (no such endpoint), or 500. */
  tokens: 'issue' | 'absent' | 'broken';
  /** Reads without a token are refused. */
  required: boolean;
}

/** A metadata server that follows `script`, logging each request as `METHOD path token?`. */
async function scripted(t: Test, script: Script) {
  const issued = new Set<string>();
  const log: string[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const token = req.headers['x-volc-ecs-metadata-token'] as string | undefined;
    log.push(`${req.method} ${req.url}${token ? ` ${token}` : ''}`);
    const answer = (status: number, body: string) => res.writeHead(status).end(body);
    if (req.url === '/latest/api/token') {
      if (req.method !== 'PUT') return answer(405, 'PUT');
      if (script.tokens === 'absent') return answer(404, 'Not Found');
      if (script.tokens === 'broken') return answer(500, 'boom');
      if (req.headers['x-volc-ecs-metadata-token-ttl-seconds'] !== String(TOKEN_TTL_SEC)) return answer(400, 'ttl');
      const value = `tok-secret-${++n}-abcdef`;
      issued.add(value);
      return answer(200, value);
    }
    if (token !== undefined && !issued.has(token)) return answer(401, 'bad token');
    if (token === undefined && script.required) return answer(401, 'token required');
    return answer(200, `item ${req.url}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => void server.close());
  let clock = 1_000_000;
  const client = new MetadataClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 2000, () => clock);
  return {
    client,
    log,
    issued,
    advance: (ms: number) => (clock += ms),
    puts: () => log.filter((l) => l.startsWith('PUT')).length,
  };
}

t.test('a dropped connection is tried again, twice; a service that keeps dropping them fails the read', async (t) => {
  let drops = 2;
  const server = createServer((req, res) => {
    if (req.url === '/latest/api/token') return res.writeHead(404).end();
    if (drops-- > 0) return req.socket.destroy(); // a busy service resetting the connection
    res.writeHead(200).end('i-abc');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => void server.close());
  const client = new MetadataClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 2000);
  const statuses: number[] = [];
  client.metrics.on('call', (e) => e.path === 'instance_id' && statuses.push(e.status));
  t.equal(await client.get('instance_id'), 'i-abc', 'answered on the third try');
  t.same(statuses, [0, 0, 200], 'each try is reported');
  drops = 3;
  await t.rejects(client.get('instance_id'), { name: 'MetadataError', status: 0 }, 'three drops in a row fail it');
  drops = 0;
  server.removeAllListeners('request');
  server.on('request', (_req, res) => res.writeHead(500).end('boom'));
  statuses.length = 0;
  await t.rejects(client.get('instance_id'), { name: 'MetadataError', status: 500 }, 'an answer that is an error is not tried again');
  t.same(statuses, [500]);
});

t.test('a service that requires tokens', async (t) => {
  const s = await scripted(t, { tokens: 'issue', required: true });
  const paths: string[] = [];
  s.client.metrics.on('call', (e) => paths.push(`${e.path} ${e.status}`));
  t.equal(await s.client.get('instance_id'), 'item /volcstack/latest/instance_id');
  await Promise.all([s.client.get('mac'), s.client.get('region_id'), s.client.get('vpc_id')]);
  t.equal(s.puts(), 1, 'one token for every read, also for concurrent ones');
  t.ok(
    s.log.filter((l) => l.startsWith('GET')).every((l) => l.endsWith(' tok-secret-1-abcdef')),
    'every read carries it',
  );
  t.equal(s.client.tokenMode, 'token');
  t.ok(paths.includes('api/token 200'), 'the token request is reported like any read');

  s.advance((TOKEN_TTL_SEC * 1000) / 2 - 1000);
  await s.client.get('instance_id');
  t.equal(s.puts(), 1, 'still the same token before half its lifetime');
  s.advance(2000);
  await s.client.get('instance_id');
  t.equal(s.puts(), 2, 'a new one at half its lifetime');
  t.match(s.log.at(-1), / tok-secret-2-abcdef$/, 'and it is used');

  s.issued.clear(); // the service forgot its tokens (a restart, a revocation)
  t.equal(await s.client.get('instance_id'), 'item /volcstack/latest/instance_id', 'a refused token is replaced and the read tried once more');
  t.equal(s.puts(), 3);
});

t.test('a service without tokens: plain reads, asked again later', async (t) => {
  const s = await scripted(t, { tokens: 'absent', required: false });
  t.equal(await s.client.get('instance_id'), 'item /volcstack/latest/instance_id');
  await s.client.get('mac');
  t.equal(s.puts(), 1, 'the token endpoint is asked once');
  t.same(
    s.log.filter((l) => l.startsWith('GET')),
    ['GET /volcstack/latest/instance_id', 'GET /volcstack/latest/mac'],
    'reads go without a token',
  );
  t.equal(s.client.tokenMode, 'tokenless');
  s.advance(TOKENLESS_RECHECK_MS + 1);
  await s.client.get('mac');
  t.equal(s.puts(), 2, `asked again after ${TOKENLESS_RECHECK_MS / 60_000} minutes`);
});

t.test('a refused tokenless read makes the client ask for a token at once', async (t) => {
  const script: Script = { tokens: 'absent', required: false };
  const s = await scripted(t, script);
  await s.client.get('instance_id');
  Object.assign(script, { tokens: 'issue', required: true }); // the instance's HttpTokens became required
  t.equal(await s.client.get('instance_id'), 'item /volcstack/latest/instance_id');
  t.equal(s.client.tokenMode, 'token');
});

t.test('a token endpoint that fails is an error, not a reason to read without a token', async (t) => {
  const s = await scripted(t, { tokens: 'broken', required: false });
  const err = await s.client.get('instance_id').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof MetadataError, 'MetadataError');
  t.match((err as Error).message, /^metadata api\/token: HTTP 500$/, 'naming the token request, without its body');
  t.equal(s.log.filter((l) => l.startsWith('GET')).length, 0, 'no tokenless read was made');
});

t.test('on vpc-sim with metadataTokensRequired', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { metadataTokensRequired: true, delaysMs: NO_DELAYS } });
  const plain = await sim.exec('node1', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://100.96.0.96/volcstack/latest/instance_id']);
  t.equal(plain.stdout, '401', 'the sim refuses a read without a token');
  writeConf(sim, 'node1', baseConf(sim, { poolTarget: 2 }));
  const md = await eni(sim, 'node1', ['metadata']);
  t.equal(md.code, 0, `cello-eni metadata reads the tree: ${md.stderr}`);
  t.equal(md.json?.instance_id, sim.info.nodes[0]!.instanceId);
  const pool = await eni(sim, 'node1', ['pool', '--once']);
  t.equal(pool.code, 0, `the keeper (identity, role credentials, ENIs in metadata) meets its target: ${pool.stderr.slice(-500)}`);
  t.equal(pool.json?.met, true);
});
