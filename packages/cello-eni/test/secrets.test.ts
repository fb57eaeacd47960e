// Credentials appear nowhere: every command's stdout and stderr, with debug
// logging on and the SDK's own debug switches set (DEBUG, NODE_DEBUG=signer),
// for static keys, for a RAM role's STS credentials, and for keys the cloud
// refuses; and every file the tools leave on the node. The config dump shows
// the credential fields as ***.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Sim } from '@cello/vpc-sim';
import { FAST_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { baseConf, eni, writeConf } from './helpers.ts';

const NOISY = { CELLO_LOG_LEVEL: 'debug', DEBUG: '*', NODE_DEBUG: 'signer' };

/** Every file under the node's cello directories (logs, state, runtime). */
function nodeFiles(sim: Sim, node: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  for (const d of ['/var/log/cello', '/var/lib/cello', '/run/cello']) walk(nodePath(sim, node, d));
  return out;
}

async function roleCredentials(sim: Sim, node: string): Promise<string[]> {
  const url = `http://100.96.0.96/volcstack/latest/iam/security_credentials/${sim.info.metadata.ramRole}`;
  const r = await sim.exec(node, [
    'node',
    '-e',
    `require('http').get(${JSON.stringify(url)},r=>{let d='';r.on('data',c=>d+=c);r.on('end',()=>process.stdout.write(d))})`,
  ]);
  const c = JSON.parse(r.stdout);
  return [c.AccessKeyId, c.SecretAccessKey, c.SessionToken];
}

t.test('no credential in any output or file', async (t) => {
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: FAST_DELAYS } });
  const owner = [sim.info.openapi.accessKeyId, sim.info.openapi.secretAccessKey];
  const outputs: Array<{ what: string; text: string }> = [];
  const run = async (node: string, args: string[], input?: string) => {
    const r = await eni(sim, node, args, input, NOISY);
    outputs.push({ what: `${node}: cello-eni ${args.join(' ')}`, text: `${r.stdout}\n${r.stderr}` });
    return r;
  };
  const session = async (node: string) => {
    t.equal((await run(node, ['pool', '--once'])).code, 0, `${node}: pool --once works`);
    const list = await run(node, ['list']);
    t.equal(list.code, 0, `${node}: list works`);
    for (const args of [['list', '--all'], ['show', list.json.at(-1).id], ['limits'], ['subnets'], ['metadata'], ['create', '--dry-run'], ['config']]) {
      t.equal((await run(node, args)).code, 0, `${node}: ${args.join(' ')} works`);
    }
    t.equal(
      (await run(node, ['unassign', '--dry-run'], JSON.stringify({ enis: [{ id: list.json.at(-1).id, ips: [], ipv6s: [], whole: false }] }))).code,
      0,
      `${node}: unassign --dry-run works`,
    );
  };

  // node1: the owner's static keys.
  writeConf(sim, 'node1', { ...baseConf(sim, { poolTarget: 3 }), ramRole: undefined, credentialAccessKeyId: owner[0], credentialAccessKeySecret: owner[1] });
  await session('node1');
  const dump = (await run('node1', ['config'])).json;
  t.equal(dump.config.credentialAccessKeyId, '***', 'the config dump hides the key id');
  t.equal(dump.config.credentialAccessKeySecret, '***', 'and the secret');

  // node2: the RAM role's STS credentials from the metadata service.
  writeConf(sim, 'node2', baseConf(sim, { poolTarget: 3 }));
  await session('node2');
  const sts = await roleCredentials(sim, 'node2');

  // Keys the cloud refuses: the error is printed, the keys are not.
  writeConf(sim, 'node1', { ...baseConf(sim), ramRole: undefined, credentialAccessKeyId: owner[0], credentialAccessKeySecret: 'wrong-secret-0123456789' });
  const wrongSecret = await run('node1', ['subnets']);
  t.equal(wrongSecret.code, 1, 'a wrong secret fails');
  t.match(wrongSecret.stderr, /SignatureDoesNotMatch/, "with the cloud's code");
  writeConf(sim, 'node1', {
    ...baseConf(sim),
    ramRole: undefined,
    credentialAccessKeyId: 'AKLTnosuchkey000000000',
    credentialAccessKeySecret: 'wrong-secret-0123456789',
  });
  const unknownKey = await run('node1', ['subnets']);
  t.match(unknownKey.stderr, /InvalidAccessKey: The access key \*\*\* does not exist/, "an unknown key id is scrubbed from the cloud's message");

  const secrets = [...owner, ...sts, 'wrong-secret-0123456789', 'AKLTnosuchkey000000000'];
  t.ok(
    sts.every((s) => typeof s === 'string' && s.length > 10),
    'the STS credentials were read for the comparison',
  );
  for (const { what, text } of outputs) {
    const leaked = secrets.filter((s) => text.includes(s));
    t.same(
      leaked.map((s) => `${s.slice(0, 4)}…`),
      [],
      `no credential in the output of ${what}`,
    );
  }
  const files = [...nodeFiles(sim, 'node1'), ...nodeFiles(sim, 'node2')];
  t.ok(
    files.some((f) => f.endsWith('ipam.db')),
    `the node files include the store (${files.length} files)`,
  );
  for (const f of files) {
    const bytes = readFileSync(f).toString('latin1');
    t.same(
      secrets.filter((s) => bytes.includes(s)).map((s) => `${s.slice(0, 4)}…`),
      [],
      `no credential in ${f.split('/root')[1]}`,
    );
  }
});
