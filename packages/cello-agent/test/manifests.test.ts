// manifests/: every document parses and validates against the Kubernetes
// schema of its kind (kubernetes-models) with no unknown field; the
// DaemonSet mounts exactly what the agent reads and writes, at the same
// paths on the host; the shipped config is valid for cello-eni; the image
// build is checked statically, and its layout step is run for real.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '@cello/cello-eni';
import { must, repoRoot, run, tempDir } from '@cello/testkit';
import { DEFAULT_PATHS } from '../src/paths.ts';
import { hasModel, modelName, unknownFields } from './strict-fields.ts';

const manifests = join(repoRoot, 'manifests');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

interface Doc {
  file: string;
  obj: any;
}

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${relative(repoRoot, file)}: ${d.errors[0]!.message}`);
    return { file, obj: d.toJS() };
  });
}

/** kubernetes-models' class for a kind: `apps/v1` DaemonSet → kubernetes-models/apps/v1/DaemonSet. */
async function modelClass(apiVersion: string, kind: string): Promise<(new (o: unknown) => { validate(): void }) | undefined> {
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return mod[kind] ?? mod.default?.[kind];
  } catch {
    return undefined;
  }
}

const isHelmValues = (file: string) => file.endsWith('/values.yaml');
const allDocs = yamlFiles(manifests)
  .filter((f) => !isHelmValues(f))
  .flatMap(load);
/** Copies of the documents of a kind in a file (tests may change them). */
const find = (file: string, kind: string) => allDocs.filter((d) => d.file === join(manifests, file) && d.obj?.kind === kind).map((d) => structuredClone(d.obj));

t.test('every manifest parses and validates against its kind’s schema, with no unknown field', async (t) => {
  t.ok(allDocs.length >= 9, `${allDocs.length} documents`);
  for (const { file, obj } of allDocs) {
    const name = `${relative(manifests, file)}: ${obj?.kind} ${obj?.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj?.metadata?.name}`;
    t.ok(obj?.apiVersion && obj?.kind, `${name}: has apiVersion and kind`);
    const Model = await modelClass(obj.apiVersion, obj.kind);
    if (!Model) {
      t.fail(`${name}: no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    t.doesNotThrow(() => new Model(obj).validate(), `${name}: valid`);
    const type = modelName(obj.apiVersion, obj.kind);
    t.ok(hasModel(type), `${name}: a field list for ${type}`);
    t.same(unknownFields(obj, type), [], `${name}: no unknown field`);
  }
  // The checks can fail: a misspelt field and a wrong type are caught.
  const ds = find('daemonset.yaml', 'DaemonSet')[0];
  ds.spec.template.spec.containers[0].volumeMounts[0].mountPropagtion = 'HostToContainer';
  t.same(unknownFields(ds, 'V1DaemonSet'), ['spec.template.spec.containers[0].volumeMounts[0].mountPropagtion']);
  ds.spec.template.spec.containers[0].ports[0].containerPort = 'metrics';
  const Model = (await modelClass('apps/v1', 'DaemonSet'))!;
  t.throws(() => new Model(ds).validate(), /containerPort/);
});

for (const file of ['daemonset.yaml', 'cilium/daemonset.yaml']) {
  t.test(`${file}: mounts what the agent uses, at the same path on the host`, async (t) => {
    const [ds] = find(file, 'DaemonSet');
    const spec = ds.spec.template.spec;
    const agent = spec.containers.find((c: any) => c.name === 'cello-agent');
    const mountOf = (path: string) => agent.volumeMounts.find((m: any) => m.mountPath === path);
    const volumeOf = (name: string) => spec.volumes.find((v: any) => v.name === name);

    // cello-cni runs on the host with the paths the agent wrote: the wrapper names the runtime
    // directory, the conflist names the state and log directories. Each must be the same host path.
    const hostPaths = [
      DEFAULT_PATHS.cniBinDir,
      DEFAULT_PATHS.cniConfDir,
      DEFAULT_PATHS.runtimeDir,
      DEFAULT_PATHS.stateDir,
      dirname(DEFAULT_PATHS.cniLog),
      DEFAULT_PATHS.devicePluginDir,
    ];
    for (const path of hostPaths) {
      const m = mountOf(path);
      t.ok(m, `${path} is mounted`);
      t.equal(volumeOf(m?.name)?.hostPath?.path, path, `${path} is the host's ${path}`);
      t.notOk(m?.readOnly, `${path} is writable`);
    }
    const netns = mountOf('/var/run/netns');
    t.equal(netns?.mountPropagation, 'HostToContainer', 'pod namespaces made after the start are visible (cello-gc)');
    for (const path of [dirname(DEFAULT_PATHS.configFile), DEFAULT_PATHS.runDir]) {
      const v = volumeOf(mountOf(path)?.name);
      t.ok(v?.emptyDir, `${path}: the pod's own (emptyDir), not the host's`);
    }
    t.equal(dirname(DEFAULT_PATHS.nodeConfigFile), dirname(DEFAULT_PATHS.configFile), 'both config files in the one mount');
    const mounted = new Set(agent.volumeMounts.map((m: any) => m.name));
    t.same(
      spec.volumes.map((v: any) => v.name).filter((n: string) => !mounted.has(n)),
      [],
      'no volume mounted for nothing',
    );

    t.equal(spec.hostNetwork, true, 'host network');
    t.equal(spec.priorityClassName, 'system-node-critical');
    t.same(spec.tolerations, [{ operator: 'Exists' }], 'runs on every node');
    t.equal(spec.serviceAccountName, 'cello');
    t.equal(agent.command.join(' '), 'cello-agent run');
    t.match(agent.env, [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    t.equal(agent.readinessProbe.httpGet.path, '/healthz');
    t.equal(agent.readinessProbe.httpGet.port, 11414, 'the agent’s default --listen port');
    t.equal(agent.livenessProbe.httpGet.path, '/livez');
    t.notOk(spec.hostPID, 'no host PID namespace');
    t.notOk(spec.hostIPC, 'no host IPC namespace');
  });
}

t.test('the Cilium variant differs only in the conflist it installs', async (t) => {
  const plain = find('daemonset.yaml', 'DaemonSet')[0];
  const cilium = find('cilium/daemonset.yaml', 'DaemonSet')[0];
  const args = cilium.spec.template.spec.containers[0].args;
  t.same(args, ['--conflist', '/usr/local/lib/cello/manifests/cilium/10-cello-cilium.conflist']);
  delete cilium.spec.template.spec.containers[0].args;
  t.same(cilium, plain, 'otherwise identical');
  const conf = JSON.parse(readFileSync(join(manifests, 'cilium', '10-cello-cilium.conflist'), 'utf8'));
  t.match(
    conf.plugins,
    [
      { type: 'cello-cni', datapath: 'veth' },
      { type: 'cilium-cni', 'chaining-mode': 'generic-veth' },
    ],
    'cello-cni on veth, then cilium-cni',
  );
  t.equal(conf.cniVersion, '1.0.0', 'a version cilium-cni speaks');
  t.equal(conf.plugins[0].stateDir, DEFAULT_PATHS.stateDir);
  t.equal(conf.plugins[0].logFile, DEFAULT_PATHS.cniLog, 'the log the metrics server follows');
  const values = parseAllDocuments(readFileSync(join(manifests, 'cilium', 'values.yaml'), 'utf8'))[0]!.toJS();
  t.match(
    values,
    { cni: { chainingMode: 'generic-veth', customConf: true, exclusive: false }, kubeProxyReplacement: true, routingMode: 'native' },
    'Helm values parse',
  );
});

t.test('the shipped conflists and ConfigMap agree with the agent', async (t) => {
  for (const name of ['10-cello.conflist', '10-cello-chained.conflist']) {
    const conf = JSON.parse(readFileSync(join(manifests, 'cni', name), 'utf8'));
    t.equal(conf.plugins[0].stateDir ?? DEFAULT_PATHS.stateDir, DEFAULT_PATHS.stateDir, `${name}: the state directory the DaemonSet mounts`);
    t.equal(conf.plugins[0].logFile ?? DEFAULT_PATHS.cniLog, DEFAULT_PATHS.cniLog, `${name}: the log the metrics server follows`);
  }
  const [cm] = find('configmap.yaml', 'ConfigMap');
  t.same([cm.metadata.namespace, cm.metadata.name], ['kube-system', 'cello-config']);
  const resolved = resolveConfig(JSON.parse(cm.data.conf));
  t.same(resolved.warnings, [], 'no unknown key');
  t.match(resolved.config, { networkMode: 'eni_shared', ipFamily: 'ipv4', datapath: 'auto', ipCooldownSec: 30 });
});

t.test('the image: every COPY source exists and is in the build context; the layout step works', async (t) => {
  const dockerfile = readFileSync(join(manifests, 'image', 'Dockerfile'), 'utf8');
  const ignore = readFileSync(join(manifests, 'image', 'Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = (path: string) =>
    ignore.some((p) => {
      const glob = p
        .replace(/\./g, '\\.')
        .replace(/\*\*\//g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '(.*/)?');
      const re = new RegExp(`^${glob}(/|$)`);
      return re.test(path);
    });
  const copies = dockerfile.split('\n').filter((l) => /^COPY /.test(l));
  const local = copies.filter((l) => !l.includes('--from='));
  t.ok(local.length >= 5, `${local.length} COPY lines from the context`);
  for (const line of local) {
    const parts = line.replace(/^COPY\s+/, '').split(/\s+/);
    for (const src of parts.slice(0, -1)) {
      t.ok(existsSync(join(repoRoot, src)), `COPY ${src}: exists`);
      t.notOk(ignored(src.replace(/\/$/, '')), `COPY ${src}: not excluded by Dockerfile.dockerignore`);
    }
  }
  t.ok(ignored('packages/cello-agent/node_modules'), 'node_modules stay out of the context');
  t.match(dockerfile, /COPY --from=build \/out \/usr\/local\/lib\/cello\n/, 'the layout lands in /usr/local/lib/cello');
  for (const pkg of ['iproute2', 'util-linux', 'procps']) {
    t.match(dockerfile, new RegExp(`for p in [^\\n]*\\b${pkg}\\b`), `the image installs ${pkg} unless its base has it`);
  }
  t.match(dockerfile, /sh manifests\/image\/assemble\.sh \/src \/out/);

  // The layout step for real, on this tree (built by `make build`), then the agent from that layout alone.
  const out = tempDir('cello-image-');
  t.teardown(() => out.remove());
  await must('sh', [join(manifests, 'image', 'assemble.sh'), repoRoot, out.path]);
  for (const f of [
    'bin/cello-agent',
    'bin/cello-cni',
    'bin/cello-gc',
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    'node_modules/bindings/package.json',
    'manifests/cni/10-cello.conflist',
    'manifests/cilium/10-cello-cilium.conflist',
  ]) {
    t.ok(existsSync(join(out.path, f)), `the image has ${f}`);
  }
  const [cilium] = find('cilium/daemonset.yaml', 'DaemonSet');
  const conflistInImage = cilium.spec.template.spec.containers[0].args[1].replace('/usr/local/lib/cello/', '');
  t.ok(existsSync(join(out.path, conflistInImage)), 'the Cilium DaemonSet’s --conflist is in the image');
  t.ok(existsSync(join(out.path, 'manifests/cni/10-cello.conflist')), 'the default conflist (bin/../manifests/cni) is in the image');

  const host = tempDir('cello-image-host-');
  t.teardown(() => host.remove());
  const r = await run(process.execPath, [
    join(out.path, 'bin', 'cello-agent'),
    'install',
    '--cni-bin-dir',
    join(host.path, 'bin'),
    '--runtime-dir',
    join(host.path, 'opt'),
    '--conflist',
    join(out.path, 'manifests/cni/10-cello.conflist'),
    '--cni-conf-dir',
    join(host.path, 'net.d'),
    '--output',
    'json',
  ]);
  t.equal(r.exitCode, 0, `install from the image layout: ${String(r.stderr)}`);
  const v = await run(join(host.path, 'bin', 'cello-cni'), [], { env: { CNI_COMMAND: 'VERSION' }, extendEnv: false, input: '{"cniVersion":"1.0.0"}' });
  t.equal(v.exitCode, 0, 'the cello-cni it installed runs');
});
