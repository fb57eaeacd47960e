// Property test: thousands of mutated configs and environments fed to the
// entrypoint always get a well-formed result or CNI error JSON — never a
// crash, never a stack trace. Most run in-process through the same
// pluginMain the binary uses; a few hundred go through the real bin/cello-cni.
import t from 'tap';
import fc from 'fast-check';
import { pluginMain } from '@cello/cni-types';
import { bin, run, tempDir } from '@cello/testkit';
import { verbs } from '../src/main.ts';

const state = tempDir('cello-fuzz-');
t.teardown(() => state.remove());

// Keys that point at files stay fixed so no mutation can aim the plugin at a real path.
const pinned = { stateDir: `${state.path}/state`, logFile: `${state.path}/cni.log` };
const base: Record<string, unknown> = {
  cniVersion: '1.0.0',
  name: 'cello',
  type: 'cello-cni',
  capabilities: { bandwidth: true },
  runtimeConfig: { bandwidth: { ingressRate: 1000000, ingressBurst: 100000 } },
  datapath: 'veth',
  prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [{ address: '10.0.0.2/32', interface: 0 }] },
  ...pinned,
};

const mutableKeys = [
  'cniVersion',
  'name',
  'type',
  'capabilities',
  'runtimeConfig',
  'datapath',
  'prevResult',
  'disableCheck',
  'poolWaitSec',
  'logLevel',
  'cni.dev/valid-attachments',
  'cni.dev/attachments',
  'args',
];

const mutatedConf = fc
  .record({
    version: fc.constantFrom('0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0', '0.2.0', '', '1.0', 'x'),
    drops: fc.subarray(mutableKeys),
    sets: fc.dictionary(fc.constantFrom(...mutableKeys), fc.jsonValue(), { maxKeys: 3 }),
  })
  .map(({ version, drops, sets }) => {
    const c: Record<string, unknown> = { ...base, cniVersion: version, ...sets, ...pinned };
    for (const k of drops) delete c[k];
    return JSON.stringify(c);
  });

const stdinArb = fc.oneof(
  { weight: 6, arbitrary: mutatedConf },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: mutatedConf.chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))) },
);

const maybe = (valid: fc.Arbitrary<string>) => fc.oneof(valid, fc.constant(undefined), fc.constant(''), fc.string({ maxLength: 20 }));

const envArb = fc.record({
  CNI_COMMAND: fc.oneof(fc.constantFrom('ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'), fc.string({ maxLength: 8 })),
  CNI_CONTAINERID: maybe(fc.constantFrom('abc', 'ctr-1.x_y', '../etc')),
  CNI_NETNS: maybe(fc.constantFrom('/var/run/netns/cello-fuzz-missing', 'relative/path')),
  CNI_IFNAME: maybe(fc.constantFrom('eth0', 'a123456789012345', '..', 'e:0')),
  CNI_PATH: maybe(fc.constant('/opt/cni/bin')),
  CNI_ARGS: maybe(fc.constantFrom('IgnoreUnknown=1;K8S_POD_NAME=a', 'FOO=1', 'novalue', 'K8S_POD_NAMESPACE=ns')),
});

function wellFormed(code: number, out: string, err: string): string | undefined {
  if (/\n\s+at /.test(err) || /\n\s+at /.test(out)) return 'stack trace in output';
  if (code !== 0 && code !== 1) return `exit ${code}`;
  if (out.trim() === '') return code === 0 ? undefined : 'error without JSON';
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(out) as Record<string, unknown>;
  } catch {
    return `stdout is not JSON: ${out.slice(0, 80)}`;
  }
  if (code === 1) {
    if (typeof json.code !== 'number' || typeof json.msg !== 'string' || json.msg === '') return 'bad error JSON';
  } else if (typeof json.cniVersion !== 'string') {
    return 'result without cniVersion';
  }
  return undefined;
}

const clean = (e: Record<string, string | undefined>) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<string, string>;

t.test('in-process: 4000 mutated inputs', async (t) => {
  let problems = 0;
  await fc.assert(
    fc.asyncProperty(envArb, stdinArb, async (env, stdin) => {
      let out = '';
      let err = '';
      const code = await pluginMain(verbs, 'about', {
        env: clean(env),
        readStdin: () => stdin,
        writeStdout: (s) => (out += s),
        writeStderr: (s) => (err += s),
      });
      const problem = wellFormed(code, out, err);
      if (problem) problems++;
      return problem === undefined;
    }),
    { numRuns: 4000 },
  );
  t.equal(problems, 0, 'every answer well formed');
});

t.test('real binary: 300 mutated inputs', async (t) => {
  const cni = bin('cello-cni');
  await fc.assert(
    fc.asyncProperty(envArb, stdinArb, async (env, stdin) => {
      const r = await run(cni, [], { env: { PATH: process.env.PATH ?? '', ...clean(env) }, extendEnv: false, input: stdin });
      const problem = wellFormed(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
      if (problem) t.fail(`${problem}\nenv=${JSON.stringify(env)}\nstdin=${stdin}\nout=${String(r.stdout)}\nerr=${String(r.stderr)}`);
      return problem === undefined;
    }),
    { numRuns: 300 },
  );
  t.pass('300 real invocations well formed');
});
