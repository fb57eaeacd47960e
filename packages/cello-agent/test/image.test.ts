// The DaemonSet image, built for real and run as the manifest says. `make
// image` (scripts/image.sh) builds manifests/image/Dockerfile with buildah
// into build/cello-image.tar (bases from Debian packages, cached under
// build/base/). podman and skopeo read the archive; podman runs it on a
// vpc-sim node with the DaemonSet's command, env, host paths and privileges
// read from manifests/daemonset.yaml, against the sim's Kubernetes API. It
// installs cello-cni and the conflist, fills the pool, reports ready; a
// sandbox that containerd's CRI starts afterwards on that node gets an IP,
// and still works once the agent's container has stopped.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { background, must, repoRoot, run, tempDir, uniqueName, waitFor } from '@cello/testkit';
import { NO_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { buildPauseImage, containerdLacks, startContainerd } from '@cello/testkit/cri';
import { simPaths } from '@cello/vpc-sim';
import { agentHttp, clusterConf, putConfigMap } from './simnode.ts';

async function lacks(): Promise<string | undefined> {
  for (const [cmd, pkg] of [
    ['podman', 'podman'],
    ['buildah', 'buildah'],
    ['skopeo', 'skopeo'],
    ['mmdebstrap', 'mmdebstrap'],
  ] as const) {
    if ((await run('sh', ['-c', `command -v ${cmd}`])).exitCode !== 0) return `${cmd} is not installed (Debian package ${pkg}; make setup installs it)`;
  }
  return containerdLacks();
}

const reason = await lacks();
if (reason) t.plan(0, `the image cannot be built or run here: ${reason}`);
else await main();

async function main() {
  // podman here: runc (crun fails on hybrid cgroups), cgroupfs (no systemd), and limits no higher than
  // the machine's hard ones (this VM has no CAP_SYS_RESOURCE to raise them; podman's default asks more).
  const hard = async (flag: string) => String((await must('bash', ['-c', `ulimit -H${flag}`])).stdout).trim();
  const nofile = await hard('n');
  const nproc = String(Math.min(Number(nofile), Number(await hard('u')))); // runc refused the machine's own nproc hard limit here
  const podman = (args: string[]) => run('podman', ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', ...args]);

  const started = Date.now();
  const build = await run(join(repoRoot, 'scripts/image.sh'), [], { cwd: repoRoot, all: true });
  if (build.exitCode !== 0) {
    t.fail(`make image failed:\n${String(build.all).slice(-4000)}`);
    return;
  }
  t.comment(`make image: ${Math.round((Date.now() - started) / 1000)} s; ${String(build.all).trim().split('\n').join('; ')}`);
  const archive = join(repoRoot, 'build/cello-image.tar');
  let image = '';

  t.test('podman and skopeo read the archive; the image holds what the node runs and no build tools', async (t) => {
    const inspect = JSON.parse(String((await must('skopeo', ['inspect', '--config', `oci-archive:${archive}`])).stdout));
    t.same(inspect.config?.Cmd, ['cello-agent', 'run'], 'skopeo reads it: CMD cello-agent run');
    const loaded = await podman(['load', '-q', '-i', archive]);
    t.equal(loaded.exitCode, 0, `podman load: ${loaded.stderr}`);
    image =
      String(loaded.stdout)
        .replace(/^Loaded image(\(s\))?:\s*/, '')
        .trim()
        .split(/[\s,]+/)[0] ?? '';
    t.ok(image, `loaded as ${image}`);
    const size = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', image])).stdout);
    t.comment(`image size: ${(size / 1e6).toFixed(0)} MB unpacked`);
    const tools = await podman([
      'run',
      '--rm',
      '--ulimit',
      `nofile=${nofile}:${nofile}`,
      '--ulimit',
      `nproc=${nproc}:${nproc}`,
      '--network',
      'none',
      '--entrypoint',
      'sh',
      image,
      '-c',
      'for c in node cello-agent cello-cni cello-eni cello-gc cello-ipam cello-link ip tc nsenter setpriv sysctl ldd; do command -v $c >/dev/null || echo "missing $c"; done; for c in gcc g++ make python3 pnpm npm apt-get; do command -v $c >/dev/null && echo "has $c"; done; true',
    ]);
    t.equal(tools.exitCode, 0, `ran a shell in it: ${tools.stderr}`);
    t.same(
      String(tools.stdout)
        .split('\n')
        .filter(Boolean)
        .filter((l) => !l.includes('apt-get')),
      [],
      'every tool the node runs is there, and no compiler, Python or package manager for Node',
    );
  });

  t.test(
    "the image runs as the DaemonSet says: installs cello-cni and the conflist, fills the pool, reports ready; the node's sandboxes get IPs and outlive it",
    async (t) => {
      if (!image) {
        t.plan(0, 'no image loaded');
        return;
      }
      const sim = await withSim(t, { prefix: 'ag', config: { delaysMs: NO_DELAYS } });
      const node = 'node1';
      const root = (p: string) => nodePath(sim, node, p);
      await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: 2, poolTargetMin: 2 }));

      const ds = parseAllDocuments(readFileSync(join(repoRoot, 'manifests/daemonset.yaml'), 'utf8'))
        .map((d) => d.toJS())
        .find((d) => d?.kind === 'DaemonSet');
      const spec = ds.spec.template.spec;
      const c = spec.containers[0];
      t.equal(spec.hostNetwork, true, 'hostNetwork: the node network namespace');
      // The node's file system is the sim node's directory (as `vpc-sim exec` binds it), except
      // /var/run/netns, which the machine shares with every node.
      const hostSource = (path: string) => (path === '/var/run/netns' ? path : root(path));
      const args: string[] = ['run', '-d', '--name', uniqueName('cello-'), '--network', `ns:/var/run/netns/${simPaths(sim.info.name).nodeNetns(node)}`];
      if (c.securityContext?.privileged) args.push('--privileged');
      for (const m of c.volumeMounts) {
        const v = spec.volumes.find((x: { name: string }) => x.name === m.name);
        if (v.hostPath) {
          const src = hostSource(v.hostPath.path);
          if (v.hostPath.type === 'DirectoryOrCreate' || v.hostPath.type === 'Directory') mkdirSync(src, { recursive: true }); // Directory: the kubelet's, made here
          args.push('-v', `${src}:${m.mountPath}${m.mountPropagation === 'HostToContainer' ? ':rslave' : ''}`);
        } else if (v.emptyDir) {
          args.push(
            '--tmpfs',
            `${m.mountPath}:size=${String(v.emptyDir.sizeLimit ?? '16Mi')
              .replace(/i$/, '')
              .toLowerCase()}`,
          );
        } else t.fail(`volume ${m.name}: neither hostPath nor emptyDir`);
      }
      for (const e of c.env ?? []) {
        const value = e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' ? node : e.value;
        t.ok(value !== undefined, `env ${e.name}`);
        args.push('-e', `${e.name}=${value}`);
      }
      // The one stand-in: the sim's API is plain http with a token, which an in-cluster service account cannot name.
      args.push('-v', `${sim.info.kubernetes.kubeconfig}:/run/cello-sim/kubeconfig:ro`, '-e', 'KUBECONFIG=/run/cello-sim/kubeconfig');
      args.push('--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`);
      args.push('--entrypoint', JSON.stringify(c.command), image, ...(c.args ?? []));

      const name = args[3]!;
      t.teardown(async () => {
        await podman(['rm', '-f', '-t', '0', name]);
      });
      const t0 = Date.now();
      const r = await podman(args);
      t.equal(r.exitCode, 0, `podman run: ${r.stderr}`);
      const logs = async () =>
        String((await podman(['logs', name])).stderr)
          .split('\n')
          .slice(-30)
          .join('\n');
      const probe = c.readinessProbe.httpGet;
      await waitFor(async () => (await agentHttp(sim, node, probe.path)).status === 200, { what: `${probe.path} to answer 200`, timeoutMs: 120_000 }).catch(
        async (err: Error) => {
          throw new Error(`${err.message}\n${await logs()}`);
        },
      );
      t.comment(`container start to node ready: ${((Date.now() - t0) / 1000).toFixed(1)} s (podman run included)`);
      t.ok(existsSync(root('/opt/cni/bin/cello-cni')), 'cello-cni is installed on the node');
      t.ok(existsSync(root('/etc/cni/net.d/10-cello.conflist')), 'and the conflist');
      const stats = JSON.parse(
        String((await must(join(repoRoot, 'bin/cello-ipam'), ['stats', '--state-dir', root('/var/lib/cello'), '--output', 'json'])).stdout),
      );
      t.ok(stats.totals.ipv4.free >= 1, `the pool holds ${stats.totals.ipv4.free} free IPs`);

      // containerd on the node, its files at their usual paths: the conflist and cello-cni the agent installed.
      mkdirSync('/opt/cello', { recursive: true }); // a mount point, as vpc-sim makes its own
      // containerd's CRI brings lo up with the loopback plugin, which a node's distribution ships (not Cello).
      if (!existsSync(root('/opt/cni/bin/loopback'))) symlinkSync('/usr/lib/cni/loopback', root('/opt/cni/bin/loopback'));
      const tmp = tempDir('cello-image-');
      t.teardown(() => tmp.remove());
      const ctd = await startContainerd({
        name: uniqueName('ctd'),
        netns: `/var/run/netns/${simPaths(sim.info.name).nodeNetns(node)}`,
        cniBinDir: '/opt/cni/bin',
        cniConfDir: '/etc/cni/net.d',
        pauseImage: await buildPauseImage(tmp.path),
        binds: ['/var/lib/cello', '/var/log/cello', '/etc/cni/net.d', '/opt/cni/bin', '/opt/cello', '/var/lib/cni'].map((p) => [root(p), p]),
      });
      t.teardown(() => ctd.remove());
      await ctd.start();
      const id = await ctd.cri.runPodSandbox({ name: 'after-ready', namespace: 'default', uid: uniqueName('uid-') }).catch((err: Error) => {
        const cniLog = existsSync(root('/var/log/cello/cni.log')) ? readFileSync(root('/var/log/cello/cni.log'), 'utf8').slice(-1500) : '(no cni.log)';
        throw new Error(`${err.message}\ncni.log: ${cniLog}\ncontainerd: ${ctd.log().slice(-1500)}`);
      });
      const status = await ctd.cri.podSandboxStatus(id);
      t.match(status.ip, /^192\.168\./, `the sandbox got ${status.ip}`);
      const netns = JSON.parse(status.info.info ?? '{}').runtimeSpec.linux.namespaces.find((n: { type: string }) => n.type === 'network').path;

      const stop = await podman(['stop', '-t', String(spec.terminationGracePeriodSeconds ?? 30), name]);
      t.equal(stop.exitCode, 0, `the agent's container stopped: ${stop.stderr}`);
      const server = background('nsenter', [
        `--net=${netns}`,
        'node',
        '-e',
        "require('net').createServer(s=>s.end('hello')).listen(8080,()=>console.log('listening'))",
      ]);
      t.teardown(() => server.stop());
      await server.firstLine();
      const hello = await sim.exec(node, ['curl', '-s', '--max-time', '5', `telnet://${status.ip}:8080`]);
      t.equal(hello.stdout, 'hello', "the node still reaches its sandbox over TCP with the agent's container stopped");
      t.equal((await ctd.cri.podSandboxStatus(id)).state, 'SANDBOX_READY', 'and the sandbox is ready');
      await ctd.cri.stopPodSandbox(id);
      await ctd.cri.removePodSandbox(id);
    },
  );
}
