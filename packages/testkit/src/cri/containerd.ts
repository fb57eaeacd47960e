/**
 * containerd with its CRI plugin as a node's runtime, for tests: one
 * containerd per node, with its own root, state, socket and runc root, run
 * in the node's network namespace only (`nsenter --net`: a runtime needs the
 * machine's /sys and cgroups, which `vpc-sim exec` remounts), its CRI's CNI
 * bin and conf dirs pointing at the node's. The sandbox image is a pause
 * binary built here with gcc and imported with `ctr` (no registry is
 * reachable).
 *
 *   const pause = await buildPauseImage(dir);
 *   const ctd = await startContainerd({ name, netns, cniBinDir, cniConfDir, pause });
 *   const id = await ctd.cri.runPodSandbox({ name: 'p', namespace: 'default', uid: 'u1' });
 *   await ctd.remove();   // stops every sandbox, then containerd, its shims, mounts and files
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient } from './client.ts';
import { must, run } from '../index.ts';

export const PAUSE_IMAGE = 'localhost/cello-pause:test';

const PAUSE_C = `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction a = {0};
  a.sa_handler = stop; sigaction(SIGINT, &a, 0); sigaction(SIGTERM, &a, 0);
  a.sa_handler = reap; a.sa_flags = SA_NOCLDSTOP; sigaction(SIGCHLD, &a, 0);
  for (;;) pause();
}
`;

/** Why containerd's CRI cannot run here, or undefined when it can. */
export async function containerdLacks(): Promise<string | undefined> {
  for (const [cmd, pkg] of [
    ['containerd', 'containerd'],
    ['ctr', 'containerd'],
    ['containerd-shim-runc-v2', 'containerd'],
    ['runc', 'runc'],
    ['gcc', 'gcc'],
  ] as const) {
    const r = await run('sh', ['-c', `command -v ${cmd}`]);
    if (r.exitCode !== 0) return `${cmd} is not installed (Debian package ${pkg}; make setup installs it)`;
  }
  if (!existsSync('/sys/fs/cgroup')) return 'no cgroup file system at /sys/fs/cgroup: runc cannot start containers';
  return undefined;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * The sandbox image: a static pause binary (gcc) in a one-layer OCI image
 * archive, written by hand (index.json, manifest, config, layer). `dir` must
 * exist and be the caller's to remove.
 */
export async function buildPauseImage(dir: string): Promise<string> {
  const root = join(dir, 'pause-rootfs');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(dir, 'pause.c'), PAUSE_C);
  await must('gcc', ['-static', '-Os', '-s', '-o', join(root, 'pause'), join(dir, 'pause.c')]);
  const layout = join(dir, 'pause-oci');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layerTar = join(dir, 'layer.tar');
  await must('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-C', root, '-cf', layerTar, 'pause']);
  const diffId = sha256(readFileSync(layerTar));
  await must('gzip', ['-n', '-f', layerTar]);
  const layer = readFileSync(`${layerTar}.gz`);
  const blob = (b: Buffer) => {
    const d = sha256(b);
    writeFileSync(join(blobs, d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blob(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(layer) }],
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...blob(manifest),
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'io.containerd.image.name': PAUSE_IMAGE, 'org.opencontainers.image.ref.name': 'test' },
        },
      ],
    }),
  );
  const archive = join(dir, 'pause.tar');
  await must('tar', ['-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  return archive;
}

export interface ContainerdOptions {
  /** a unique name (uniqueName) for its directory */
  name: string;
  /** the node's network namespace path: containerd and every CNI call it makes run there */
  netns: string;
  /** CRI's CNI bin dir and conf dir: the node's */
  cniBinDir: string;
  cniConfDir: string;
  /** buildPauseImage's archive, imported on first start */
  pauseImage: string;
  /** where its directory goes (default /var/lib/cello-test-containerd) */
  baseDir?: string;
  /**
   * [source, target] bind mounts for a mount namespace of containerd's own
   * (e.g. a vpc-sim node's /var/lib/cello, /etc/cni/net.d…, so the node's
   * files sit at their usual paths for it and every CNI call). Made with
   * `unshare --mount --propagation unchanged`: the binds stay private, while
   * /run/netns, a shared mount, still shows the sandboxes' namespaces to the
   * machine. Targets must exist.
   */
  binds?: Array<[string, string]>;
}

export interface Containerd {
  dir: string;
  socket: string;
  cri: CriClient;
  /** the cgroup parent its CRI client gives every sandbox (LinuxPodSandboxConfig.cgroup_parent), removed with it */
  cgroupParent: string;
  pid(): number | undefined;
  /** start (or start again) and wait until the CRI answers */
  start(): Promise<void>;
  /** signal containerd itself (not its shims) and wait for it to exit */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** every sandbox stopped and removed through CRI, then containerd, its shims, containers, mounts and files */
  remove(): Promise<void>;
  /** containerd's own log so far */
  log(): string;
}

function config(dir: string, o: ContainerdOptions): string {
  const q = (s: string) => JSON.stringify(s);
  return `version = 2
root = ${q(join(dir, 'root'))}
state = ${q(join(dir, 'state'))}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = ${q(join(dir, 'containerd.sock'))}
[ttrpc]
  address = ${q(join(dir, 'containerd.sock.ttrpc'))}
[debug]
  level = "info"
[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(dir, 'opt'))}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(PAUSE_IMAGE)}
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  disable_cgroup = false
  # no CAP_SYS_RESOURCE here (a VM sandbox): the sandbox may not ask for oom_score_adj below containerd's own
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(join(dir, 'runc'))}
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(o.cniBinDir)}
    conf_dir = ${q(o.cniConfDir)}
    max_conf_num = 1
`;
}

/** pids of the shims this containerd started (their command line names its socket) */
function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(socket)) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startContainerd(o: ContainerdOptions): Promise<Containerd> {
  const dir = join(o.baseDir ?? '/var/lib/cello-test-containerd', o.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.toml'), config(dir, o));
  const socket = join(dir, 'containerd.sock');
  const logPath = join(dir, 'containerd.log');
  const cri = new CriClient(socket);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let imported = false;
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loaders do not belong in the CNI plugin's environment

  const ctr = (args: string[]) => must('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args]);

  const cgroupParent = `/cello-test-${o.name}`;
  cri.defaults.cgroupParent = cgroupParent;
  const self: Containerd = {
    dir,
    socket,
    cri,
    cgroupParent,
    pid: () => child?.pid,
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    async start() {
      const fd = openSync(logPath, 'a');
      const arg = (n: number) => `\${${n}}`; // sh's ${N}
      const containerd = ['containerd', '--config', join(dir, 'config.toml')];
      const argv = o.binds?.length
        ? [
            'unshare',
            '--mount',
            '--propagation',
            'unchanged',
            'sh',
            '-ec',
            `${o.binds.map((_, i) => `mount --bind "${arg(2 * i + 1)}" "${arg(2 * i + 2)}"`).join('; ')}; shift ${2 * o.binds.length}; exec "$@"`,
            'sh',
            ...o.binds.flat(),
            ...containerd,
          ]
        : containerd;
      child = spawn('nsenter', [`--net=${o.netns}`, ...argv], {
        stdio: ['ignore', fd, fd],
        env,
      });
      closeSync(fd);
      const c = child;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      let last = '';
      for (let i = 0; i < 600; i++) {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error(`containerd exited at start: ${self.log().slice(-2000)}`);
        try {
          await cri.version();
          if (!imported) {
            await ctr(['images', 'import', o.pauseImage]);
            imported = true;
          }
          return;
        } catch (err) {
          last = (err as Error).message;
          cri.close();
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`containerd's CRI did not answer: ${last}`);
    },
    async kill(signal = 'SIGKILL') {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      cri.close();
      child.kill(signal);
      await exited;
    },
    async remove() {
      try {
        if (child && child.exitCode === null && child.signalCode === null) {
          for (const s of await cri.listPodSandbox().catch(() => [])) {
            await cri.stopPodSandbox(s.id).catch(() => {});
            await cri.removePodSandbox(s.id).catch(() => {});
          }
        }
      } finally {
        await self.kill('SIGTERM');
        // What containerd left running: its shims, and through runc the containers they ran.
        for (const pid of shimPids(socket)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
          await waitGone(pid);
        }
        const runcRoot = join(dir, 'runc', 'k8s.io');
        if (existsSync(runcRoot)) {
          for (const id of readdirSync(runcRoot)) await run('runc', ['--root', runcRoot, 'delete', '--force', id]);
        }
        // Mounts under its directory (rootfs overlays, shm), deepest first; netns it pinned for sandboxes it lost.
        const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
          .split('\n')
          .map((l) => l.split(' ')[4] ?? '')
          .filter((m) => m.startsWith(`${dir}/`))
          .sort((a, b) => b.length - a.length);
        for (const m of mounts) await run('umount', ['-l', m]);
        rmSync(dir, { recursive: true, force: true });
        // The sandboxes' cgroup parent in each hierarchy (runc removed the sandboxes' own).
        for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
          const cg = join('/sys/fs/cgroup', h, cgroupParent);
          if (existsSync(cg)) await run('find', [cg, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
        }
      }
    },
  };
  return self;
}
