// Fuzz: interface names, container ids and network names drawn from shell
// and `ip -batch` metacharacters, through the real cello-cni binary under
// strace. Whatever the input, the plugin answers with a result or a CNI error
// naming the input (code 4 or 7), and the only programs it ever starts are its
// own: setpriv, ip, nsenter, sysctl, tc (and a shell only for its own fixed
// scripts). A canary file that every input tries to create never appears.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { bin, createNetns, run, tempDir } from '@cello/testkit';
import { fakeNode } from '@cello/testkit/fake-node';

const node = await fakeNode({ ipCount: 4 });
t.teardown(() => node.remove());
const scratch = tempDir('cello-fuzz-');
t.teardown(() => scratch.remove());
const pod = await createNetns('fz');
t.teardown(() => pod.remove());

const canary = join(scratch.path, 'c');
const META = [...'$()`;|&<>#"\' \\\n\t*?~{}[]!%^=+,:/@-_.aZ09'];
/** Text of metacharacters, often with a payload that would create the canary if anything ran it. */
const hostile = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...META), minLength: 1, maxLength }),
    fc.constantFrom(`$(touch ${canary})`, `\`touch ${canary}\``, `;touch ${canary}`, `#x`, `a b`, `"x"`, `eth0`, `eth0.1`, `x-y_z`),
  );
const names = fc.record({
  ifname: hostile(15),
  containerId: fc.oneof(hostile(40), fc.constant('ctr-1.a_b')),
  network: fc.oneof(hostile(20), fc.constant('net-1')),
});

/** Programs the plugin may start (by path suffix): itself, its runtime, and the tools of docs/datapaths.md. */
const ALLOWED = /\/(cello-cni|env|node|bun|setpriv|ip|nsenter|sysctl|tc|unshare|sh)$/;
const SHELL_SCRIPTS_OURS = /^(for f in "\$@"|ip link add cprobe0)/;

async function traced(command: string, v: { ifname: string; containerId: string; network: string }) {
  const log = join(scratch.path, 'strace.log');
  rmSync(log, { force: true });
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: v.network,
    type: 'cello-cni',
    stateDir: node.stateDir,
    logFile: `${node.stateDir}/cni.log`,
    datapath: 'veth',
  });
  const r = await run('ip', ['netns', 'exec', node.node, 'strace', '-f', '-qq', '-s', '300', '-e', 'trace=execve', '-o', log, bin('cello-cni')], {
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: v.containerId,
      CNI_NETNS: pod.path,
      CNI_IFNAME: v.ifname,
      CNI_PATH: '/usr/lib/cni',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=fuzz',
    },
    input: conf,
  });
  const execs = readFileSync(log, 'utf8')
    .split('\n')
    .map((l) => /execve\("([^"]+)", \[(.*?)\]/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !/= -1 /.test(m.input));
  return { r, execs: execs.map((m) => ({ path: m[1]!, argv: m[2]! })) };
}

t.test('hostile names through the real binary: a result or a named refusal, and nothing but cello-cni’s own programs runs', async (t) => {
  let added = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(names, async (v) => {
      for (const command of ['ADD', 'DEL']) {
        const { r, execs } = await traced(command, v);
        const label = `${command} ${JSON.stringify(v)}`;
        for (const e of execs) {
          if (!ALLOWED.test(e.path)) throw new Error(`${label} started ${e.path} ${e.argv}`);
          if (/\/sh$/.test(e.path)) {
            const script = /"-c", "((?:[^"\\]|\\.)*)"/.exec(e.argv)?.[1] ?? '';
            if (!SHELL_SCRIPTS_OURS.test(script)) throw new Error(`${label} ran a shell script that is not cello's: ${script}`);
          }
        }
        if (existsSync(canary)) throw new Error(`${label} created the canary`);
        if (r.exitCode === 0) {
          if (command === 'ADD') added++;
          continue;
        }
        const err = JSON.parse(String(r.stdout)) as { code: number; msg: string };
        if (![4, 7].includes(err.code)) throw new Error(`${label}: code ${err.code}: ${err.msg}`);
        if (!/CNI_IFNAME|CNI_CONTAINERID|network name/.test(err.msg)) throw new Error(`${label}: the error names no input: ${err.msg}`);
        if (command === 'ADD') refused++;
      }
    }),
    {
      numRuns: 40,
      examples: [[{ ifname: 'eth0', containerId: 'ctr-1.a_b', network: 'net-1' }], [{ ifname: `$(touch ${canary})`, containerId: 'ctr-2', network: 'net-1' }]],
    },
  );
  t.comment(`${added} ADDs succeeded, ${refused} refused`);
  t.ok(added > 0 && refused > 0, 'valid names were added and hostile ones refused');
  t.notOk(existsSync(canary), 'no payload ever ran');
  const left = JSON.parse(String((await node.ipam('list', 'allocations', '-o', 'json')).stdout)) as unknown[];
  t.same(left, [], 'every ADD that succeeded was undone by its DEL');
});
