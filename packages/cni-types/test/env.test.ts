import t from 'tap';
import { CniError, parseCniArgs, parseEnv } from '@cello/cni-types';

const full = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'abc123',
  CNI_NETNS: '/var/run/netns/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
  CNI_ARGS: '',
};

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CniError) return err.code;
    throw err;
  }
  return undefined;
}

t.test('each verb requires its own variables', async (t) => {
  const cases: Array<[string, Record<string, string>, string | undefined]> = [
    ['ADD without CNI_NETNS', { ...full, CNI_NETNS: '' }, 'CNI_NETNS'],
    ['ADD without CNI_CONTAINERID', { ...full, CNI_CONTAINERID: '' }, 'CNI_CONTAINERID'],
    ['ADD without CNI_IFNAME', { ...full, CNI_IFNAME: '' }, 'CNI_IFNAME'],
    ['CHECK without CNI_NETNS', { ...full, CNI_COMMAND: 'CHECK', CNI_NETNS: '' }, 'CNI_NETNS'],
    ['DEL without CNI_NETNS is fine', { ...full, CNI_COMMAND: 'DEL', CNI_NETNS: '' }, undefined],
    ['DEL without CNI_CONTAINERID', { ...full, CNI_COMMAND: 'DEL', CNI_CONTAINERID: '' }, 'CNI_CONTAINERID'],
    ['GC needs CNI_PATH', { CNI_COMMAND: 'GC' }, 'CNI_PATH'],
    ['GC with CNI_PATH only', { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, undefined],
    ['STATUS needs nothing else', { CNI_COMMAND: 'STATUS' }, undefined],
    ['VERSION needs nothing else', { CNI_COMMAND: 'VERSION' }, undefined],
    ['no CNI_COMMAND', {}, 'CNI_COMMAND'],
  ];
  for (const [name, env, missing] of cases) {
    if (missing === undefined) {
      t.doesNotThrow(() => parseEnv(env), name);
      continue;
    }
    t.throws(() => parseEnv(env), { code: 4, message: new RegExp(missing) }, name);
  }
});

t.test('unknown verb is code 4', async (t) => {
  t.throws(() => parseEnv({ ...full, CNI_COMMAND: 'FROB' }), { code: 4, message: /unknown CNI_COMMAND: FROB/ });
});

t.test('container id and ifname rules', async (t) => {
  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['id with slash', { CNI_CONTAINERID: 'a/b' }, /CNI_CONTAINERID.*invalid characters/],
    ['id starting with dash', { CNI_CONTAINERID: '-abc' }, /CNI_CONTAINERID/],
    ['ifname of 16 chars', { CNI_IFNAME: 'a123456789012345' }, /CNI_IFNAME.*too long/],
    ['ifname "."', { CNI_IFNAME: '.' }, /CNI_IFNAME/],
    ['ifname ".."', { CNI_IFNAME: '..' }, /CNI_IFNAME/],
    ['ifname with colon', { CNI_IFNAME: 'eth:0' }, /CNI_IFNAME/],
    ['ifname with space', { CNI_IFNAME: 'eth 0' }, /CNI_IFNAME/],
    ['ifname with slash', { CNI_IFNAME: 'eth/0' }, /CNI_IFNAME/],
    ['relative netns', { CNI_NETNS: 'netns/x' }, /CNI_NETNS/],
    // ip -batch and shell syntax is refused, not passed on (docs/cello-cni.md, Inputs).
    ['ifname with a command substitution', { CNI_IFNAME: '$(id>rtpwn)' }, /CNI_IFNAME.*not 1 to 15 letters/],
    ['ifname with #', { CNI_IFNAME: 'eth#0' }, /CNI_IFNAME/],
    ['ifname with a quote', { CNI_IFNAME: '"eth0' }, /CNI_IFNAME/],
    ['ifname starting with -', { CNI_IFNAME: '-eth0' }, /CNI_IFNAME/],
    ['ifname with a backtick', { CNI_IFNAME: 'e`id`' }, /CNI_IFNAME/],
    ['netns with a space', { CNI_NETNS: '/var/run/netns/a b' }, /CNI_NETNS.*characters/],
    ['netns with #', { CNI_NETNS: '/var/run/netns/a#b' }, /CNI_NETNS/],
    ['netns with a newline', { CNI_NETNS: '/var/run/netns/a\nlink del eth0' }, /CNI_NETNS/],
  ];
  for (const [name, over, msg] of bad) {
    t.throws(() => parseEnv({ ...full, ...over }), { code: 4, message: msg }, name);
  }
  t.equal(parseEnv({ ...full, CNI_IFNAME: 'a12345678901234' }).ifname, 'a12345678901234', '15 chars is fine');
  t.equal(parseEnv({ ...full, CNI_CONTAINERID: 'A_b.c-1' }).containerId, 'A_b.c-1');
  for (const ok of ['eth0', 'net1', 'eth0.100', 'veth_a-b', '_x']) t.equal(parseEnv({ ...full, CNI_IFNAME: ok }).ifname, ok, `ifname ${ok}`);
  for (const ok of ['/var/run/netns/cni-1f2e', '/proc/4242/ns/net', '/run/netns/netns-a:b@c+d=e,f']) {
    t.equal(parseEnv({ ...full, CNI_NETNS: ok }).netns, ok, `netns ${ok}`);
  }
});

t.test('CNI_ARGS', async (t) => {
  const k8s = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1';
  const a = parseCniArgs(k8s);
  t.same(
    { ns: a.podNamespace, name: a.podName, infra: a.podInfraContainerId, uid: a.podUid, ignore: a.ignoreUnknown },
    { ns: 'default', name: 'web-0', infra: 'abc', uid: 'u-1', ignore: true },
  );
  t.equal(parseCniArgs('K8S_POD_NAME=x;FOO=bar;IgnoreUnknown=true').raw.FOO, 'bar', 'unknown keys kept with IgnoreUnknown=true');
  t.equal(
    codeOf(() => parseCniArgs('K8S_POD_NAME=x;FOO=bar')),
    4,
  );
  t.throws(() => parseCniArgs('K8S_POD_NAME=x;FOO=bar'), { message: /unknown args \[FOO\]/ }, 'names the unknown key');
  t.throws(() => parseCniArgs('IgnoreUnknown=0;FOO=1'), { message: /FOO/ }, 'IgnoreUnknown=0 does not ignore');
  t.throws(() => parseCniArgs('novalue'), { code: 4, message: /invalid pair "novalue"/ });
  t.throws(() => parseCniArgs('=x'), { code: 4 });
  t.same(parseCniArgs('').raw, {});
  t.same(parseCniArgs(';;K8S_POD_NAME=a=b;').podName, 'a=b', 'value may contain =');
  t.same(parseEnv({ ...full, CNI_ARGS: k8s }).args.podName, 'web-0');
  t.throws(() => parseEnv({ ...full, CNI_ARGS: 'BAD=1' }), { code: 4, message: /CNI_ARGS.*BAD/ });
});
