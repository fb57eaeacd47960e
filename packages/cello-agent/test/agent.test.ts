// cello-agent run inside a vpc-sim node, against the sim's cloud and its
// Kubernetes API, with a fake kubelet registration server in the node's
// device-plugin directory. One agent goes through a node's life: not ready
// while the cloud refuses ENIs (and an event says why), ready once the pool
// holds IPs, config changes applied live, the node label's override, the
// device plugin's count and re-registration, every role in one process, and
// SIGTERM.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { bin, waitFor } from '@cello/testkit';
import { NO_DELAYS, nodePath, withSim } from '@cello/testkit/sim';
import { readAgentState } from '../src/supervisor/state.ts';
import { readKeeperState } from '../src/keeper/state.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { agentHttp, clusterConf, k8s, labelNode, putConfigMap, startAgent } from './simnode.ts';

const NODE = 'node1';
const LABEL = 'vke.volcengine.com/vpc-cni-config';
const ENI_IP = 'vke.volcengine.com/eni-ip';

t.test('the agent on a node', async (t) => {
  // An account quota of one ENI, used up by someone else until the test frees it.
  const sim = await withSim(t, { prefix: 'ag', config: { delaysMs: NO_DELAYS, eniQuota: 1 } });
  const at = (p: string) => nodePath(sim, NODE, p);
  const keeper = () => readKeeperState(at('/run/cello/keeper.json'));
  const agentState = () => readAgentState(at('/run/cello/agent.json'));
  const nodeEvents = async () =>
    ((await k8s(sim, 'GET', '/api/v1/namespaces/default/events')).items as any[]).filter(
      (e) => e.involvedObject?.kind === 'Node' && e.involvedObject?.name === NODE,
    );

  mkdirSync(at('/var/lib/kubelet/device-plugins'), { recursive: true });
  const kubelet = new FakeKubelet(at('/var/lib/kubelet/device-plugins'));
  await kubelet.start();
  t.teardown(() => kubelet.stop());

  await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: 2, poolTargetMin: 2 }));
  const other = await sim.api('CreateNetworkInterface', { SubnetId: sim.info.subnets[1]!.id, 'SecurityGroupIds.1': sim.info.securityGroups[0]!.id });
  const otherEni = other.Result.NetworkInterfaceId as string;
  // What an earlier container of the same pod left in /run/cello (an emptyDir) must not count.
  mkdirSync(at('/run/cello'), { recursive: true });
  writeFileSync(
    at('/run/cello/keeper.json'),
    JSON.stringify({
      at: new Date().toISOString(),
      instanceId: 'i-old',
      mode: 'shared',
      rounds: 9,
      met: true,
      errors: [],
      pool: { free: 5, total: 5, target: 5, targetMin: 5, capacity: 30 },
    }),
  );
  writeFileSync(at('/run/cello/ready'), '{}');
  const agent = startAgent(t, sim, NODE, ['--capacity-recount', '1']);

  await t.test('not ready while the pool cannot fill: the binary is there, the conflist is not, an event says why', async (t) => {
    await agent.waitForLog('the install', (l) => /^cello-cni (already )?installed$/.test(l.msg));
    t.notOk(existsSync(at('/run/cello/ready')), 'the previous run’s ready file is gone');
    t.not(keeper()?.instanceId, 'i-old', 'and so is its keeper state');
    const k = await waitFor(() => keeper(), { what: 'a keeper round of this run' });
    t.equal(k.pool.free, 0, 'the pool holds no free IP');
    t.equal(agentState()!.ready, false, 'not ready');
    t.ok(existsSync(at('/opt/cni/bin/cello-cni')), 'cello-cni is installed before the node is ready');
    t.notOk(existsSync(at('/etc/cni/net.d/10-cello.conflist')), 'the conflist is not installed yet');
    const health = await agentHttp(sim, NODE, '/healthz');
    t.equal(health.status, 503, '/healthz is 503 while not ready');
    t.match(health.body, /^not ready: the pool holds 0 free IPs: QuotaExceeded\.Eni: /, 'saying why');
    const ev = await waitFor(async () => (await nodeEvents()).find((e) => e.reason === 'VpcResourceQuotaExceeded'), {
      what: 'a VpcResourceQuotaExceeded event on the node',
    });
    t.equal(ev.type, 'Warning');
    t.match(ev.message, /QuotaExceeded\.Eni/);
    t.equal(ev.source?.component, 'cello-agent');
  });

  await t.test('ready once the pool holds IPs: conflist installed, /healthz ok', async (t) => {
    const r = await sim.api('DeleteNetworkInterface', { NetworkInterfaceId: otherEni });
    t.notOk(r.ResponseMetadata.Error, 'the quota is free again');
    await agent.waitForLog('node ready', (l) => l.msg.startsWith('node ready'), 60_000);
    t.ok(keeper()!.pool.free >= 2, 'the pool holds its target of free IPs');
    const conflist = JSON.parse(readFileSync(at('/etc/cni/net.d/10-cello.conflist'), 'utf8'));
    t.equal(conflist.plugins[0].type, 'cello-cni', 'the conflist is installed');
    const health = await agentHttp(sim, NODE, '/healthz');
    t.same(health, { status: 200, body: 'ok' });
    t.ok(existsSync(at('/run/cello/ready')), 'the ready file exists');
    t.equal(agentState()!.ready, true);
  });

  await t.test('a poolTarget change in the ConfigMap grows the pool without a restart', async (t) => {
    const keeperPid = agentState()!.children.keeper!.pid;
    await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: 5, poolTargetMin: 2 }));
    const k = await waitFor(
      () => {
        const s = keeper();
        return s && s.pool.target === 5 && s.pool.free >= 5 ? s : undefined;
      },
      { what: 'the keeper to hold 5 free IPs' },
    );
    t.equal(k.pool.target, 5);
    t.match(JSON.parse(readFileSync(at('/etc/cello/conf'), 'utf8')), { poolTarget: 5 }, 'config-sync wrote the new conf');
    t.equal(agentState()!.children.keeper!.pid, keeperPid, 'the same keeper process applied it');
    t.equal(agentState()!.children.keeper!.restarts, 0);
  });

  await t.test('the node label’s ConfigMap overrides the cluster one, and its removal reverts', async (t) => {
    await putConfigMap(sim, 'kube-system', 'node1-pool', { poolTarget: 8 });
    await labelNode(sim, NODE, LABEL, 'kube-system.node1-pool');
    await waitFor(
      () => {
        const s = keeper();
        return s && s.pool.target === 8 && s.pool.free >= 8;
      },
      { what: 'the node override (poolTarget 8) in effect' },
    );
    t.same(JSON.parse(readFileSync(at('/etc/cello/node-conf'), 'utf8')), { poolTarget: 8 }, 'the node-conf file holds the override');
    await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: 3, poolTargetMin: 2 }));
    await waitFor(() => JSON.parse(readFileSync(at('/etc/cello/conf'), 'utf8')).poolTarget === 3, { what: 'the cluster change written' });
    // Two full rounds after the file changed: the keeper has re-read it by then (inotify wakes it when the file changes).
    const rounds = keeper()!.rounds;
    await waitFor(() => keeper()!.rounds >= rounds + 2, { what: 'two more keeper rounds' });
    t.equal(keeper()!.pool.target, 8, 'the node override still wins over the changed cluster value');

    const shown = await sim.exec(NODE, [process.execPath, bin('cello-agent'), 'config', '--output', 'json']);
    t.equal(shown.code, 0, shown.stderr);
    t.match(
      JSON.parse(shown.stdout),
      { source: 'files', node: '/etc/cello/node-conf', config: { poolTarget: 8 } },
      '`cello-agent config` shows the merged config',
    );

    await labelNode(sim, NODE, LABEL, null);
    await waitFor(() => keeper()?.pool.target === 3, { what: 'the cluster poolTarget 3 back in effect' });
    t.notOk(existsSync(at('/etc/cello/node-conf')), 'the node-conf file is removed with the label');
  });

  await t.test('throttling, refused credentials and a full subnet become events on the node', async (t) => {
    // The keeper's next AssignPrivateIpAddresses calls: throttled, then refused keys, then a full subnet.
    await sim.control.addFault({ kind: 'nth', action: 'AssignPrivateIpAddresses', n: 1, code: 'FlowLimitExceeded' });
    await sim.control.addFault({ kind: 'nth', action: 'AssignPrivateIpAddresses', n: 2, code: 'InvalidAccessKey' });
    await sim.control.addFault({ kind: 'nth', action: 'AssignPrivateIpAddresses', n: 3, code: 'InsufficientIpInSubnet' });
    const free = keeper()!.pool.free;
    await putConfigMap(sim, 'kube-system', 'cello-config', clusterConf(sim, { poolTarget: free + 1, poolTargetMin: 2 }));
    for (const reason of ['OpenApiFlowLimit', 'CredentialServiceAbnormal', 'InsufficientIpInSubnet']) {
      const ev = await waitFor(async () => (await nodeEvents()).find((e) => e.reason === reason), { what: `a ${reason} event` });
      t.match(ev, { type: 'Warning', message: /AssignPrivateIpAddresses/ }, reason);
    }
    await sim.control.clearFaults();
  });

  await t.test('capacity reaches the kubelet: (ENIs − 1) × IPs per ENI, less pods that hold an IP without asking', async (t) => {
    const type = sim.info.instanceTypes.find((i) => i.id === sim.info.nodes[0]!.instanceType)!;
    const expected = (type.maximumNetworkInterfaces - 1) * type.maximumPrivateIpv4AddressesPerNetworkInterface;
    await waitFor(() => kubelet.count(ENI_IP) === expected, { what: `${expected} devices of ${ENI_IP}` });
    t.equal(kubelet.count(ENI_IP), expected, `${ENI_IP} = ${expected}`);
    t.match(kubelet.registrations[0], { version: 'v1beta1', resource_name: ENI_IP, endpoint: 'cello-eni-ip.sock' });

    // A pod that holds a Cello IP but does not request the resource takes one off the count.
    await k8s(sim, 'POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'stock1', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] },
    });
    const alloc = await sim.exec(NODE, [
      bin('cello-ipam'),
      'alloc',
      '--container',
      'stock1-sandbox',
      '--pod-namespace',
      'default',
      '--pod-name',
      'stock1',
      '--output',
      'json',
    ]);
    t.equal(alloc.code, 0, alloc.stderr);
    await waitFor(() => kubelet.count(ENI_IP) === expected - 1, { what: `${expected - 1} devices after a stock pod` });
    t.equal(kubelet.count(ENI_IP), expected - 1, 'the stock pod is subtracted');

    const before = kubelet.registrations.length;
    await kubelet.restart();
    await waitFor(() => kubelet.registrations.length > before && kubelet.count(ENI_IP) === expected - 1, {
      what: 'a new registration after kubelet.sock was re-created',
    });
    t.equal(kubelet.registrations.length, before + 1, 'registered again once');
    t.equal(kubelet.count(ENI_IP), expected - 1, 'the count is sent again');
  });

  await t.test('every role runs in the agent’s own process', async (t) => {
    const st = agentState()!;
    t.same(Object.keys(st.children).sort(), ['capacity', 'config-sync', 'keeper', 'metrics', 'pod-networks']);
    for (const [name, c] of Object.entries(st.children)) {
      t.equal(c.pid, st.pid, `${name} runs in the supervisor's process`);
      t.ok(c.running, `${name} is running`);
      t.equal(c.restarts, 0, `${name} was never restarted`);
    }
    // (A failing role's restart with backoff is role.test.ts's.)
  });

  await t.test('SIGTERM: exit 0, every role stopped', async (t) => {
    const pids = [agentState()!.pid];
    t.equal(await agent.stop('SIGTERM'), 0, 'exit code 0');
    const st = agentState()!;
    t.same(
      Object.entries(st.children)
        .filter(([, c]) => c.running)
        .map(([n]) => n),
      [],
      'no role left running',
    );
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    t.same(alive, [], 'the agent process is gone');
    t.notOk(existsSync(at('/run/cello/ready')), 'no ready file');
    t.ok(existsSync(at('/etc/cni/net.d/10-cello.conflist')), 'the conflist stays: pods keep starting while the agent is away');
    t.notOk(existsSync(at('/run/cello/metrics/keeper.sock')), 'the keeper removed its metrics socket');
  });
});
