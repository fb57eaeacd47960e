// Least privilege, checked against what the agent really does: the agent
// (with its gc child) runs in a sim node behind a recording proxy in front of
// the Kubernetes API; every request it makes must be allowed by
// manifests/rbac.yaml for its service account, and every rule there must be
// used by some request.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { repoRoot, tempDir, waitFor } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { clusterConf, k8s, labelNode, putConfigMap, startAgent } from './simnode.ts';

const NODE = 'node1';
const PORT = 16443;

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Grant {
  namespace?: string; // undefined: cluster-wide
  rule: Rule;
}

/** The rules bound to kube-system/cello, each with where it applies. */
function grants(): Grant[] {
  const docs = parseAllDocuments(readFileSync(join(repoRoot, 'manifests', 'rbac.yaml'), 'utf8')).map((d) => d.toJS());
  const roles = new Map(
    docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role').map((d) => [`${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`, d]),
  );
  return docs
    .filter(
      (d) =>
        (d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding') &&
        d.subjects.some((s: any) => s.kind === 'ServiceAccount' && s.name === 'cello' && s.namespace === 'kube-system'),
    )
    .flatMap((b) => {
      const role = roles.get(`${b.roleRef.kind}/${b.roleRef.kind === 'Role' ? b.metadata.namespace : ''}/${b.roleRef.name}`);
      return (role?.rules ?? []).map((rule: Rule) => ({ namespace: b.kind === 'RoleBinding' ? b.metadata.namespace : undefined, rule }));
    });
}

interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  request: string;
}

/** A request as RBAC sees it. */
function access(method: string, url: string): Access {
  const u = new URL(url, 'http://k8s');
  const segs = u.pathname.split('/').filter(Boolean);
  const [group, rest] = segs[0] === 'api' ? ['', segs.slice(2)] : [segs[1]!, segs.slice(3)];
  let namespace: string | undefined;
  let r = rest;
  if (r[0] === 'namespaces' && r.length > 2) {
    namespace = r[1];
    r = r.slice(2);
  }
  const named = r.length > 1;
  const watch = u.searchParams.get('watch') === 'true' || u.searchParams.get('watch') === '1';
  const verb = { GET: watch ? 'watch' : named ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method;
  return { verb, group, resource: r[2] ? `${r[0]}/${r[2]}` : r[0]!, namespace, request: `${method} ${u.pathname}${u.search}` };
}

const allows = (g: Grant, a: Access) =>
  (g.namespace === undefined || g.namespace === a.namespace) &&
  g.rule.apiGroups.includes(a.group) &&
  g.rule.resources.includes(a.resource) &&
  g.rule.verbs.includes(a.verb);

t.test('every API request of the agent is allowed by manifests/rbac.yaml, and every rule is used', async (t) => {
  const sim = await withSim(t, { prefix: 'ag', config: { delaysMs: NO_DELAYS } });
  const dir = tempDir('cello-agent-rbac-');
  t.teardown(() => dir.remove());
  const log = join(dir.path, 'requests.jsonl');
  writeFileSync(log, '');
  const kubeconfig = join(dir.path, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: rec, cluster: {server: "http://127.0.0.1:${PORT}", insecure-skip-tls-verify: true}}]`,
      `users: [{name: rec, user: {token: "${sim.info.kubernetes.token}"}}]`,
      'contexts: [{name: rec, context: {cluster: rec, user: rec}}]',
      'current-context: rec',
      '',
    ].join('\n'),
  );
  const [, upstreamHost, upstreamPort] = /^http:\/\/([^:]+):(\d+)/.exec(sim.info.kubernetes.server)!;
  const proxy = sim.spawn(NODE, [process.execPath, join(import.meta.dirname, 'fixtures', 'k8s-recorder.mjs'), String(PORT), upstreamHost!, upstreamPort!, log]);
  t.teardown(() => void proxy.kill());
  await new Promise<void>((resolve, reject) => {
    proxy.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
    proxy.on('exit', (c) => reject(new Error(`the recording proxy exited ${c}`)));
  });

  await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim));
  const agent = startAgent(t, sim, NODE, ['--gc-interval', '2', '--capacity-recount', '1'], { KUBECONFIG: kubeconfig });
  await agent.waitForLog('node ready', (l) => l.msg.startsWith('node ready'), 60_000);
  // A node label naming a ConfigMap that does not exist: config-sync follows it, fails, and records an event.
  await labelNode(sim, NODE, 'vke.volcengine.com/vpc-cni-config', 'kube-system.missing');
  await waitFor(async () => ((await k8s(sim, 'GET', '/api/v1/namespaces/default/events')).items as any[]).find((e) => e.reason === 'ConfigMapUpdateFailed'), {
    what: 'a ConfigMapUpdateFailed event',
  });
  const report = await waitFor(() => agent.out.find((o) => (o as { sweep?: string })?.sweep === 'node'), {
    what: 'a cello-gc sweep report',
    timeoutMs: 60_000,
  });
  t.match(report, { sweep: 'node', scope: NODE }, 'the gc child swept this node');
  await waitFor(() => readFileSync(log, 'utf8').includes('/api/v1/pods?'), { what: 'the stock pod count from the API' });
  // A pod on the node: pod-networks reads its namespace's labels to decide its network, and (a Fixed
  // PodNetwork exists) its PodAddress.
  await k8s(sim, 'POST', '/apis/cello.volcengine.com/v1alpha1/podnetworks', {
    metadata: { name: 'fixed' },
    spec: {
      podSelector: { matchLabels: { app: 'rbac' } },
      subnets: { ids: [sim.info.subnets[0]!.id] },
      securityGroupIds: [sim.info.securityGroups[0]!.id],
      allocation: { type: 'Fixed' },
    },
  });
  await k8s(sim, 'POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'rbac-pod', namespace: 'default', labels: { app: 'rbac' } },
    spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] },
  });
  await waitFor(() => readFileSync(log, 'utf8').includes('"GET","url":"/api/v1/namespaces/default"'), { what: 'pod-networks reading the pod’s namespace' });
  await waitFor(() => readFileSync(log, 'utf8').includes('/namespaces/default/podaddresses/rbac-pod'), { what: 'pod-networks reading the pod’s PodAddress' });
  t.equal(await agent.stop(), 0);

  const requests = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { method: string; url: string });
  const accesses = requests.map((r) => access(r.method, r.url));
  const rules = grants();
  t.ok(rules.length >= 3, `${rules.length} rules bound to kube-system/cello`);
  const denied = [
    ...new Set(
      accesses.filter((a) => !rules.some((g) => allows(g, a))).map((a) => `${a.verb} ${a.resource}${a.namespace ? ` in ${a.namespace}` : ''} (${a.request})`),
    ),
  ];
  t.same(denied, [], `all ${requests.length} requests are allowed`);
  for (const g of rules) {
    for (const resource of g.rule.resources) {
      const used = accesses.some((a) => a.resource === resource && g.rule.verbs.includes(a.verb) && (g.namespace === undefined || a.namespace === g.namespace));
      t.ok(used, `${resource}${g.namespace ? ` in ${g.namespace}` : ''} (${g.rule.verbs.join(', ')}) is used`);
    }
  }
});
