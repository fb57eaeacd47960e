/**
 * What a netns path names. A CNI_NETNS or a recorded netns is only a path:
 * the namespace may be gone (a missing file, or a plain file that containerd
 * left when it crashed between unmounting the namespace and unlinking the
 * file), it may be some other file, or it may be this process's own network
 * namespace — the node's — reached through `/proc/self/ns/net` or `..`.
 * Only a `netns` verdict may be entered; the node's own is never a pod's.
 *
 * How: every namespace is an inode of the nsfs filesystem, so a path on any
 * other device is not one (one stat). Our own netns has a known inode. The
 * kind of another nsfs inode shows in `readlink` for /proc/PID/ns/* links
 * (`net:[INODE]`) and, for a bind mount such as /var/run/netns/NAME, in the
 * root field of its /proc/self/mountinfo line. Nothing is opened or entered.
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';

export type NetnsVerdict =
  /** A network namespace other than this process's. */
  | { kind: 'netns' }
  /** This process's own network namespace (the node's, for the plugin). */
  | { kind: 'own' }
  | { kind: 'absent' }
  /** Something that is not a network namespace: a plain file, a directory, another kind of namespace. */
  | { kind: 'not-netns'; what: string };

let own: { dev: number; ino: number } | undefined;
const ownNetns = () => (own ??= statSync('/proc/self/ns/net'));

/**
 * The kinds found so far, by path and inode: an ADD checks its netns twice
 * (cello-cni, then cello-link's setup), and /proc/self/mountinfo grows with
 * the node's pods. Only what was found is kept; an inode is only reused once
 * its namespace is gone, and then its path normally is too.
 */
const kinds = new Map<string, string>();

/** `net`, `mnt`, … for an nsfs inode, from its magic link or its bind mount; undefined when neither says. */
function nsKind(path: string, ino: number): string | undefined {
  const key = `${ino} ${path}`;
  const known = kinds.get(key);
  if (known) return known;
  if (kinds.size > 256) kinds.clear();
  const kind = readNsKind(path, ino);
  if (kind) kinds.set(key, kind);
  return kind;
}

function readNsKind(path: string, ino: number): string | undefined {
  try {
    const m = /^(\w+):\[(\d+)\]$/.exec(readlinkSync(path));
    if (m && Number(m[2]) === ino) return m[1];
  } catch {
    // not a link: a bind mount
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!line.includes(' - nsfs ')) continue;
    const m = /^(\w+):\[(\d+)\]$/.exec(line.split(' ')[3] ?? '');
    if (m && Number(m[2]) === ino) return m[1];
  }
  return undefined;
}

export function inspectNetns(path: string): NetnsVerdict {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'absent' } : { kind: 'not-netns', what: `cannot be read: ${code}` };
  }
  const self = ownNetns();
  if (st.dev !== self.dev) return { kind: 'not-netns', what: st.isDirectory() ? 'a directory' : st.isFile() ? 'a plain file' : 'not a namespace' };
  if (st.ino === self.ino) return { kind: 'own' };
  const kind = nsKind(path, st.ino);
  if (kind === 'net') return { kind: 'netns' };
  return { kind: 'not-netns', what: kind ? `a ${kind} namespace` : 'a namespace of unknown kind' };
}

/** Is `path` a pod's network namespace that can be entered? */
export const isPodNetns = (path: string | undefined): path is string => path !== undefined && path !== '' && inspectNetns(path).kind === 'netns';

/** How a verdict reads in an error: `/var/run/netns/x is a plain file`. */
export function netnsProblem(path: string, v: NetnsVerdict): string | undefined {
  switch (v.kind) {
    case 'netns':
      return undefined;
    case 'own':
      return `${path} is this node's own network namespace, not a pod's`;
    case 'absent':
      return `${path} does not exist`;
    case 'not-netns':
      return `${path} is not a network namespace (${v.what})`;
  }
}
