// Issue 18 item 4: a ConfigMap whose access key secret is of the wrong type,
// or has a JSON syntax error next to it, is refused by config-sync — and the
// secret shows neither in its log (the agent's config-sync child), nor in the
// ConfigMapUpdateFailed Event it posts (anyone who can list events reads
// those), nor in `config-sync --once`'s error. Against the sim's Kubernetes
// API, with config-sync run in a sim node as the agent runs it.
import t from 'tap';
import { bin, waitFor } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { clusterConf, k8s, putConfigMap } from './simnode.ts';

const NODE = 'node1';
const SECRET = 'Zm9vYmFyU2VjcmV0S2V5MTIzNDU2';
const NUMERIC = '7391846205718393000';
const leaks = (text: string) => [SECRET, NUMERIC, SECRET.slice(0, 8), NUMERIC.slice(0, 8)].some((s) => text.includes(s));

t.test('config-sync: no secret in its log, its Events or its error', async (t) => {
  const sim = await withSim(t, { prefix: 'ag', config: { delaysMs: NO_DELAYS } });
  const good = clusterConf(sim, { ramRole: undefined, credentialAccessKeyId: 'AKLTcellotest' });
  const head = JSON.stringify(good).slice(0, -1);
  const documents: Array<[string, string, RegExp]> = [
    ['a number', `${head},"credentialAccessKeySecret":${NUMERIC}}`, /credentialAccessKeySecret: expected an access key secret \(a string\), got a number/],
    ['a list', `${head},"credentialAccessKeySecret":["${SECRET}"]}`, /credentialAccessKeySecret: .*got a list/],
    [
      'a bare word',
      `${head},"credentialAccessKeySecret":${SECRET}}`,
      /key conf: \(document\): is not valid JSON: unexpected character.* at line 1, column \d+/,
    ],
    [
      'a missing comma',
      `${head},\n"credentialAccessKeySecret":"${SECRET}"\n"poolTarget":3}`,
      /key conf: \(document\): is not valid JSON: expected ',' or '}' after a property value at line 3, column 1/,
    ],
  ];

  // --once: the command's one-line error.
  for (const [what, text, message] of documents) {
    await putConfigMap(sim, 'kube-system', 'cello-config', text);
    const r = await sim.exec(NODE, [process.execPath, bin('cello-agent'), 'config-sync', '--once']);
    t.equal(r.code, 1, `${what}: --once fails`);
    t.match(r.stderr, message, `${what}: --once names the field or the place`);
    t.notOk(leaks(r.stdout + r.stderr), `${what}: --once does not print the secret`);
  }

  // --watch: what the agent's config-sync child does, each document in turn.
  await putConfigMap(sim, 'kube-system', 'cello-config', documents[0]![1]);
  const child = sim.spawn(NODE, [process.execPath, bin('cello-agent'), 'config-sync', '--watch'], { env: { CELLO_LOG_LEVEL: 'debug' } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise((r) => child.on('exit', r));
  t.teardown(() => void child.kill('SIGKILL'));
  const events = async () =>
    ((await k8s(sim, 'GET', '/api/v1/namespaces/default/events')).items as Array<{ reason: string; message: string }>).filter(
      (e) => e.reason === 'ConfigMapUpdateFailed',
    );
  for (const [i, [what, text, message]] of documents.entries()) {
    if (i > 0) await putConfigMap(sim, 'kube-system', 'cello-config', text);
    const event = await waitFor(async () => (await events()).find((e) => message.test(e.message)), { what: `the event for ${what}` });
    t.notOk(leaks(event.message), `${what}: the Event says "${event.message}"`);
  }
  child.kill('SIGTERM');
  await exited;
  const failures = stderr.split('\n').filter((l) => l.includes('config not applied'));
  t.ok(failures.length >= documents.length, `config-sync logged ${failures.length} refusals`);
  t.notOk(leaks(stderr), 'no secret anywhere in its log');
  t.notOk(leaks(JSON.stringify(await k8s(sim, 'GET', '/api/v1/namespaces/default/events'))), 'nor in any Event');

  // And a good config still goes through.
  await putConfigMap(sim, 'kube-system', 'cello-config', { ...good, credentialAccessKeySecret: SECRET });
  const ok = await sim.exec(NODE, [process.execPath, bin('cello-agent'), 'config-sync', '--once']);
  t.equal(ok.code, 0, 'a valid config is written');
  t.notOk(leaks(ok.stdout + ok.stderr), 'and its secret is not printed');
});
