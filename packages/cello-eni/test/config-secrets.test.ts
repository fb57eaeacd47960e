// Issue 18 item 4: the access key secret never shows in a config error —
// whatever its type (a number, a list, an object), and when a JSON syntax
// error sits next to it (V8's JSON.parse quotes the text around the error;
// ours says line and column). Checked through bin/cello-eni (its one-line
// error), the library, and a running keeper that reloads a broken file (its
// log line).
// A property test holds the syntax locator to JSON.parse: it finds an error
// exactly when JSON.parse refuses the text.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { bin, run, tempDir } from '@cello/testkit';
import { NO_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { baseConf, writeConf } from './helpers.ts';
import { locateJsonError, parseConfigJson } from '../src/config/json.ts';
import { loadConfig } from '../src/config/load.ts';
import { ConfigError, resolveConfig } from '../src/config/resolve.ts';

const SECRET = 'Zm9vYmFyU2VjcmV0S2V5MTIzNDU2';
const NUMERIC = '7391846205718393000';
const base = `"subnets": ["subnet-a"], "securityGroups": ["sg-a"], "credentialAccessKeyId": "AKLTcellotest"`;

/** Bad documents, each with the secret (or the numeric one) in it. */
const documents: Array<[string, string, RegExp]> = [
  ['a number', `{${base}, "credentialAccessKeySecret": ${NUMERIC}}`, /credentialAccessKeySecret: expected an access key secret \(a string\), got a number/],
  ['a list', `{${base}, "credentialAccessKeySecret": ["${SECRET}"]}`, /credentialAccessKeySecret: .*got a list/],
  ['an object', `{${base}, "credentialAccessKeySecret": {"value": "${SECRET}"}}`, /credentialAccessKeySecret: .*got an object/],
  ['a bare word', `{${base}, "credentialAccessKeySecret": ${SECRET}}`, /\(document\): is not valid JSON: unexpected character.* at line 1, column 126\n?$/],
  [
    'a missing comma after it',
    `{${base},\n  "credentialAccessKeySecret": "${SECRET}"\n  "poolTarget": 3}`,
    /is not valid JSON: expected ',' or '}' after a property value at line 3, column 3\n?$/,
  ],
  ['a missing quote', `{${base},\n"credentialAccessKeySecret": "${SECRET}}`, /is not valid JSON: a string is not closed at line 2, column 30\n?$/],
  [
    'a line break in it',
    `{${base},\n"credentialAccessKeySecret": "${SECRET.slice(0, 10)}\n${SECRET.slice(10)}"}`,
    /is not valid JSON: a control character .* at line 2, column 41\n?$/,
  ],
  ['an unclosed document', `{${base}, "credentialAccessKeySecret": "${SECRET}"`, /is not valid JSON: unexpected end of the document at line 1, column \d+\n?$/],
  [
    'the secret in a URL',
    `{${base}, "credentialAccessKeySecret": "x", "openApiAddress": "http://AKLTcellotest:${SECRET}@example/"}`,
    /openApiAddress: .*got a value with user info \(not shown\)/,
  ],
  [
    'the secret in another field',
    `{${base}, "credentialAccessKeySecret": "${SECRET}", "subnets": "${SECRET}"}`,
    /subnets: expected a list of subnet ids, got a string \(it holds a secret's value, not shown\)/,
  ],
];

const leaks = (text: string) => text.includes(SECRET) || text.includes(NUMERIC) || text.includes(SECRET.slice(0, 8)) || text.includes('73918462');

t.test('cello-eni names the field or the line, never the secret', async (t) => {
  const dir = tempDir('cello-eni-secret-');
  t.teardown(dir.remove);
  for (const [what, text, message] of documents) {
    const conf = join(dir.path, 'conf');
    writeFileSync(conf, text);
    // `config` and a command that would reach the cloud both load the file first.
    for (const args of [['config'], ['list']]) {
      const r = await run(bin('cello-eni'), [...args, '--config', conf, '--node-config', join(dir.path, 'none')], { env: { CELLO_LOG_LEVEL: 'debug' } });
      const out = `${r.stdout}\n${r.stderr}`;
      t.equal(r.exitCode, 2, `${what}: ${args[0]} exits 2 (bad config)`);
      t.match(String(r.stderr), message, `${what}: ${args[0]} says what is wrong`);
      t.notOk(leaks(out), `${what}: ${args[0]} does not print the secret: ${String(r.stderr).trim()}`);
    }
  }
});

t.test('the library: the node file, and the messages the keeper logs on a reload', async (t) => {
  const dir = tempDir('cello-eni-secret-');
  t.teardown(dir.remove);
  const conf = join(dir.path, 'conf');
  const node = join(dir.path, 'node-conf');
  writeFileSync(conf, `{${base}, "credentialAccessKeySecret": "${SECRET}"}`);
  writeFileSync(node, `{"poolTarget": 3, "credentialAccessKeySecret": ${SECRET}}`);
  const err = t.throws(() => loadConfig({ config: conf, nodeConfig: node })) as ConfigError;
  t.match(err.message, /node-conf: \(document\): is not valid JSON: unexpected character.* at line 1, column 48$/);
  t.notOk(leaks(err.message), 'the node file: line and column only');
  for (const [what, text] of documents) {
    let message = '';
    try {
      resolveConfig(parseConfigJson(text, 'conf'));
    } catch (e) {
      t.ok(e instanceof ConfigError, `${what}: a ConfigError`);
      message = (e as Error).message;
    }
    t.ok(message, `${what}: refused`);
    t.notOk(leaks(message), `${what}: ${message}`);
  }
  // Other fields keep quoting what they got: the operator needs it to find the mistake.
  t.throws(
    () => resolveConfig({ subnets: ['subnet-a'], securityGroups: ['sg-a'], ramRole: 'r', poolTarget: '3' }),
    /poolTarget: expected a whole number.*got "3"/,
  );
});

t.test('the syntax locator agrees with JSON.parse', async (t) => {
  const valid = (s: string) => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  };
  // Valid JSON, then one character inserted, deleted or replaced: mostly broken documents near real ones.
  const mutated = fc
    .tuple(
      fc.json(),
      fc.nat(),
      fc.constantFrom('insert', 'delete', 'replace'),
      fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\n', ' ', 'a', '1', '-', '.', 'e', 't', 'n', '\u0001', '\u00e9'),
    )
    .map(([s, n, op, c]) => {
      const at = s.length ? n % (s.length + 1) : 0;
      return op === 'insert' ? s.slice(0, at) + c + s.slice(at) : op === 'delete' ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + c + s.slice(at + 1);
    });
  fc.assert(
    fc.property(fc.oneof(mutated, fc.string(), fc.json()), (s) => {
      const where = locateJsonError(s);
      if (valid(s) !== (where === undefined)) throw new Error(`disagrees on ${JSON.stringify(s)}: ${JSON.stringify(where)}`);
      if (where) {
        const lines = s.split('\n');
        if (where.line < 1 || where.line > lines.length || where.column < 1 || where.column > lines[where.line - 1]!.length + 1)
          throw new Error(`off the text: ${JSON.stringify(where)} in ${JSON.stringify(s)}`);
      }
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 documents: an error exactly when JSON.parse refuses, always inside the text');
});

t.test('a running keeper that reloads a broken config logs no secret', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: NO_DELAYS } });
  writeConf(sim, 'node1', baseConf(sim, { poolTarget: 1 }));
  const keeper = sim.spawn('node1', [bin('cello-eni'), 'pool', '--watch'], { env: { CELLO_LOG_LEVEL: 'debug' } });
  t.teardown(() => void keeper.kill('SIGKILL'));
  let stderr = '';
  keeper.stdout!.resume();
  const closed = new Promise((r) => keeper.on('close', r));
  /** Resolves once the log satisfies `pred`. */
  const seen = (what: string, pred: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (pred() ? resolve() : undefined);
      keeper.stderr!.on('data', check);
      keeper.on('close', () => reject(new Error(`the keeper exited before ${what}: ${stderr.slice(-500)}`)));
      check();
    });
  keeper.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await seen('watching', () => stderr.includes('"msg":"watching'));
  const { ramRole: _, ...noRole } = baseConf(sim, { poolTarget: 1 });
  for (const [i, text] of [
    `{${JSON.stringify(noRole).slice(1, -1)}, "credentialAccessKeyId": "AKLTcellotest", "credentialAccessKeySecret": ["${SECRET}"]}`,
    `{${JSON.stringify(noRole).slice(1, -1)},\n"credentialAccessKeyId": "AKLTcellotest", "credentialAccessKeySecret": ${NUMERIC}0 "x"}`,
  ].entries()) {
    writeFileSync(nodePath(sim, 'node1', '/etc/cello/conf'), text);
    await seen(`refusal ${i + 1}`, () => stderr.split('the changed config is invalid').length > i + 1);
  }
  keeper.kill('SIGTERM');
  await closed;
  t.match(stderr, /credentialAccessKeySecret: expected an access key secret \(a string\), got a list/, 'the keeper names the field');
  t.match(stderr, /is not valid JSON: expected ',' or '}' after a property value at line 2, column \d+/, 'and the place of a syntax error');
  t.notOk(leaks(stderr), 'its log holds neither secret');
});
