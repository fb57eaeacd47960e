// Two networks on one node, end to end (docs/podnetworks.md): a PodNetwork "blue" in the sim's
// Kubernetes API selects namespace shop; cello-agent decides the node's pods, the pool keeper makes
// blue's ENI in blue's subnet and security group, libcni ADDs give shop's pods blue addresses and
// the other pod a default one. The sim's security groups then hold between pods of the one node:
// blue admits only blue, so the default pod cannot reach a blue pod while blue pods reach each
// other, the default pod and the VPC; the node itself still reaches every pod (probes).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, createNetns, echoFrom, echoServer, type Netns, repoRoot, run } from '@cello/testkit';
import { execOk, FAST_DELAYS, k8sOk, libcniInNode, withSim } from '@cello/testkit/sim';

const sim = await withSim(t, {
  nodes: 1,
  config: {
    delaysMs: FAST_DELAYS,
    securityGroups: ['default', { name: 'blue', ingress: [{ sourceGroup: 'blue' }] }, { name: 'vault', ingress: [{ sourceGroup: 'vault' }] }],
  },
});
const NODE = 'node1';
const [defaultSubnet, blueSubnet] = sim.info.subnets;
const group = (name: string) => sim.info.securityGroups.find((g) => g.name === name)!.id;
const pods = new Map<string, Netns>();
const servers: Array<{ stop(): Promise<void> }> = [];
t.teardown(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([...pods.values()].map((p) => p.remove()));
});

const k8s = (method: string, path: string, body?: unknown) => k8sOk(sim, method, path, body);
const must = (cmd: string[], input?: string) => execOk(sim, NODE, cmd, input);
/** A TCP connect from the node to port 8080 of the given address: prints ok, or the error. */
const probe =
  "const s=require('net').connect(8080,process.argv[1]);s.on('data',()=>{console.log('ok');process.exit(0)});s.on('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>{console.error('timeout');process.exit(1)},3000)";
const inSubnet = (ip: string, cidr: string) => ip.startsWith(cidr.split('.').slice(0, 3).join('.'));

const ips = new Map<string, string>();
t.test('the agent decides, the keeper makes blue its ENI, ADD gives each pod its network', async (t) => {
  await k8s('POST', '/api/v1/namespaces', { metadata: { name: 'shop', labels: { team: 'blue' } } });
  await k8s('POST', '/api/v1/namespaces', { metadata: { name: 'plain' } });
  await k8s('POST', '/api/v1/namespaces', { metadata: { name: 'vault', labels: { team: 'vault' } } });
  // An exclusive network: each of its pods gets an ENI of its own, in the vault group.
  await k8s('POST', '/apis/cello.volcengine.com/v1alpha1/podnetworks', {
    apiVersion: 'cello.volcengine.com/v1alpha1',
    kind: 'PodNetwork',
    metadata: { name: 'vault' },
    spec: {
      namespaceSelector: { matchLabels: { team: 'vault' } },
      subnets: { ids: [blueSubnet!.id] },
      securityGroupIds: [group('vault')],
      mode: 'exclusive',
    },
  });
  await k8s('POST', '/apis/cello.volcengine.com/v1alpha1/podnetworks', {
    apiVersion: 'cello.volcengine.com/v1alpha1',
    kind: 'PodNetwork',
    metadata: { name: 'blue' },
    spec: { namespaceSelector: { matchLabels: { team: 'blue' } }, subnets: { ids: [blueSubnet!.id] }, securityGroupIds: [group('blue')] },
  });
  const placed: Array<[string, string]> = [
    ['shop', 'web-0'],
    ['shop', 'web-1'],
    ['plain', 'api-0'],
    ['vault', 'db-0'],
  ];
  for (const [ns, name] of placed) {
    await k8s('POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name, namespace: ns },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] },
    });
  }

  await must(
    ['sh', '-c', 'mkdir -p /etc/cello && cat > /etc/cello/conf'],
    JSON.stringify({
      subnets: [defaultSubnet!.id],
      securityGroups: [group('default')],
      ramRole: sim.info.metadata.ramRole,
      openApiAddress: sim.info.openapi.endpoint,
      poolTarget: 2,
      ipCooldownSec: 0,
    }),
  );
  await must(['sh', '-c', 'cat > /etc/cni/net.d/10-cello.conflist'], readFileSync(join(repoRoot, 'manifests/cni/10-cello.conflist'), 'utf8'));
  const decided = JSON.parse(await must([process.execPath, bin('cello-agent'), 'pod-networks', '--once', '--output', 'json']));
  t.same(decided.networks, ['blue', 'vault'], 'the agent records both networks on the node');
  await must([bin('cello-eni'), 'pool', '--once']);
  const list = JSON.parse(await must([bin('cello-eni'), 'list', '--output', 'json'])) as Array<{
    podNetwork?: string;
    subnetId: string;
    securityGroupIds: string[];
  }>;
  t.match(
    list.filter((e) => e.podNetwork === 'blue'),
    [{ subnetId: blueSubnet!.id, securityGroupIds: [group('blue')] }],
    "cello-eni list shows blue's ENI, in its subnet and group",
  );

  for (const [ns, name] of placed) {
    const pod = await createNetns('pn');
    pods.set(name, pod);
    const r = await libcniInNode(sim, NODE, 'add', { netns: pod.path, id: name, podNamespace: ns, pod: name });
    t.equal(r.code, 0, `ADD ${ns}/${name}: ${r.stdout}${r.stderr}`);
    ips.set(name, (JSON.parse(r.stdout).ips[0].address as string).split('/')[0]!);
    servers.push(await echoServer(pod.name));
  }
  t.ok(inSubnet(ips.get('web-0')!, blueSubnet!.cidr) && inSubnet(ips.get('web-1')!, blueSubnet!.cidr), "shop's pods have blue addresses");
  t.ok(inSubnet(ips.get('api-0')!, defaultSubnet!.cidr), 'the plain pod has a default-network address');
  const vault = (
    JSON.parse(await must([bin('cello-eni'), 'list', '--output', 'json'])) as Array<{ podNetwork?: string; primaryIp: string; securityGroupIds: string[] }>
  ).filter((e) => e.podNetwork === 'vault');
  t.equal(vault.length, 1, 'one ENI for vault');
  t.equal(ips.get('db-0'), vault[0]?.primaryIp, "vault's pod has the whole ENI: its primary address");
});

t.test("the blue group's rules hold between pods of one node", async (t) => {
  const from = (pod: string, to: string) => echoFrom(pods.get(pod)!.name, ips.get(to)!);
  t.equal(await from('web-1', 'web-0'), `hello ${ips.get('web-1')}`, 'blue → blue: blue admits blue');
  t.equal(await from('web-0', 'api-0'), `hello ${ips.get('web-0')}`, 'blue → default: the default group admits everyone');
  await t.rejects(from('api-0', 'web-0'), /timeout|ECONNREFUSED|EHOSTUNREACH/, 'default → blue: refused by the VPC, though both pods are on this node');
  const node = await sim.exec(NODE, [process.execPath, '-e', probe, ips.get('web-0')!]);
  t.equal(node.stdout.trim(), 'ok', `the node itself reaches the blue pod (kubelet probes) ${node.stderr}`);
  t.equal(await from('api-0', 'api-0'), `hello ${ips.get('api-0')}`, 'a pod reaches itself');

  // The refusal was the group's: once blue admits the default group, the same connection goes through.
  const allow = await run(bin('vpc-sim'), ['sg', 'allow', 'blue', '--from-group', 'default', '--name', sim.info.name]);
  t.equal(allow.exitCode, 0, String(allow.stderr));
  t.equal(await from('api-0', 'web-0'), `hello ${ips.get('api-0')}`, 'default → blue once blue admits default');

  t.equal(await from('db-0', 'api-0'), `hello ${ips.get('db-0')}`, 'vault (exclusive) → default');
  await t.rejects(from('api-0', 'db-0'), /timeout|ECONNREFUSED|EHOSTUNREACH/, 'default → vault: refused, vault admits only vault');
  await t.rejects(from('web-0', 'db-0'), /timeout|ECONNREFUSED|EHOSTUNREACH/, 'blue → vault: refused too');
});

t.test("CHECK finds a network's pod as ADD made it, and says what drifted", async (t) => {
  const web0 = pods.get('web-0')!;
  const ok = await libcniInNode(sim, NODE, 'check', { netns: web0.path, id: 'web-0', podNamespace: 'shop', pod: 'web-0' });
  t.equal(ok.code, 0, `CHECK web-0: ${ok.stdout}${ok.stderr}`);
  await must(['ip', 'rule', 'del', 'pref', '500', 'from', ips.get('web-0')!]);
  const drift = await libcniInNode(sim, NODE, 'check', { netns: web0.path, id: 'web-0', podNamespace: 'shop', pod: 'web-0' });
  t.not(drift.code, 0, 'the missing rule 500 is drift');
  t.match(drift.stdout, /rule pref 500 from \S+ iif cel\w+ lookup \d+/, drift.stdout);
});

t.test('DEL gives the addresses back and leaves the store consistent', async (t) => {
  for (const [name, pod] of pods) {
    const ns = name === 'api-0' ? 'plain' : name === 'db-0' ? 'vault' : 'shop';
    const r = await libcniInNode(sim, NODE, 'del', { netns: pod.path, id: name, podNamespace: ns, pod: name });
    t.equal(r.code, 0, `DEL ${name}: ${r.stdout}${r.stderr}`);
  }
  const check = await sim.exec(NODE, [bin('cello-ipam'), 'check', '-o', 'json']);
  t.equal(check.code, 0, check.stdout);
  const rules = await must(['ip', 'rule', 'show']);
  t.notMatch(rules, new RegExp(`${ips.get('web-0')!.replaceAll('.', '\\.')}\\b`), 'no rule of a blue pod is left');
});
