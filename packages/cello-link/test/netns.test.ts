// What a netns path names (netns.ts): the verdict DEL, teardown and gc act on.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createNetns, must, tempDir } from '@cello/testkit';
import { inspectNetns, isPodNetns, netnsProblem } from '../src/netns.ts';

t.test('a pod netns, the own one, a missing path, a plain file, a directory, another namespace kind', async (t) => {
  const ns = await createNetns('nv');
  const dir = tempDir('cello-netns-');
  t.teardown(async () => {
    await ns.remove();
    dir.remove();
  });
  const plain = join(dir.path, 'plain');
  writeFileSync(plain, '');
  mkdirSync(join(dir.path, 'sub'));
  const cases: Array<[string, string, RegExp | undefined]> = [
    ['a bind-mounted netns', ns.path, undefined],
    ['the own netns', '/proc/self/ns/net', /this node's own network namespace/],
    ['the own netns through ..', '/var/run/netns/../../proc/self/ns/net', /own network namespace/],
    ['a missing path', join(dir.path, 'nope'), /does not exist/],
    ['a plain file (a netns unmounted but not unlinked)', plain, /not a network namespace \(a plain file\)/],
    ['a directory', join(dir.path, 'sub'), /not a network namespace \(a directory\)/],
    ['a mount namespace', '/proc/self/ns/mnt', /not a network namespace \(a mnt namespace\)/],
  ];
  for (const [name, path, problem] of cases) {
    const v = inspectNetns(path);
    if (problem) t.match(netnsProblem(path, v), problem, `${name}: ${netnsProblem(path, v)}`);
    else t.equal(netnsProblem(path, v), undefined, `${name}: a pod netns`);
    t.equal(isPodNetns(path), problem === undefined, `${name}: isPodNetns`);
  }
  t.equal(isPodNetns(undefined), false, 'no path');
});

t.test('asked again, the verdict follows the path: removed, made a plain file, a netns again', async (t) => {
  const ns = await createNetns('nr');
  t.teardown(() => ns.remove());
  t.equal(inspectNetns(ns.path).kind, 'netns', 'first look');
  t.equal(inspectNetns(ns.path).kind, 'netns', 'second look (the kind remembered)');
  await ns.remove();
  t.equal(inspectNetns(ns.path).kind, 'absent', 'removed');
  writeFileSync(ns.path, '');
  t.match(inspectNetns(ns.path), { kind: 'not-netns', what: 'a plain file' }, 'a plain file left at the path');
  rmSync(ns.path);
  await must('ip', ['netns', 'add', ns.name]);
  t.equal(inspectNetns(ns.path).kind, 'netns', 'a new netns at the same path');
});
