// The agent's small rules: the device plugin's count, which cloud errors
// become node events, the node label's format, metric label folding, and
// when the node counts as ready.
import t from 'tap';
import type { V1Pod } from '@kubernetes/client-node';
import { OpenApiError } from '@cello/cello-eni';
import { deviceCount, RESOURCE_EXCLUSIVE, RESOURCE_SHARED, resourceFor, stockPods } from '../src/capacity/count.ts';
import { parseNodeLabel } from '../src/config/source.ts';
import { eventForBlocked, eventForCode, eventForError, eventsForNetworks } from '../src/keeper/events.ts';
import { metadataLabel } from '../src/keeper/metrics.ts';
import { poolReady, type KeeperState } from '../src/keeper/state.ts';

const pod = (name: string, spec: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { namespace: 'default', name },
  spec: { containers: [{ name: 'c' }], ...spec },
});

t.test('the device plugin count: capacity less the pods that hold an IP without asking for it', async (t) => {
  const allocated = new Set(['default/plain', 'default/asks', 'default/asks-limit', 'default/host', 'default/init-asks']);
  const pods = [
    pod('plain'),
    pod('asks', { containers: [{ name: 'c', resources: { requests: { [RESOURCE_SHARED]: '1' } } }] }),
    pod('asks-limit', { containers: [{ name: 'c', resources: { limits: { [RESOURCE_EXCLUSIVE]: '1' } } }] }),
    pod('init-asks', { initContainers: [{ name: 'i', resources: { requests: { [RESOURCE_SHARED]: '1' } } }] }),
    pod('host', { hostNetwork: true }),
    pod('no-ip'),
  ];
  t.same(
    stockPods(pods, allocated).map((p) => p.metadata!.name),
    ['plain'],
    'only the pod holding an IP without any request or limit',
  );
  t.equal(deviceCount(30, 1), 29);
  t.equal(deviceCount(2, 5), 0, 'never negative');
  t.equal(resourceFor('shared'), 'vke.volcengine.com/eni-ip');
  t.equal(resourceFor('exclusive'), 'vke.volcengine.com/eni');
});

t.test('cloud troubles that become events on the node, with upstream’s reasons', async (t) => {
  t.match(eventForCode('CreateNetworkInterface', 'QuotaExceeded.Eni'), { reason: 'VpcResourceQuotaExceeded' });
  t.match(eventForCode('AssignPrivateIpAddresses', 'InsufficientIpInSubnet'), { reason: 'InsufficientIpInSubnet' });
  t.match(eventForCode('DescribeSubnets', 'FlowLimitExceeded'), { reason: 'OpenApiFlowLimit' });
  t.match(eventForCode('DescribeSubnets', 'SignatureDoesNotMatch'), { reason: 'CredentialServiceAbnormal' });
  t.equal(eventForCode('DeleteNetworkInterface', 'InvalidEniId.NotFound'), undefined, 'other codes are not events');
  t.equal(eventForCode('AttachNetworkInterface', 'LimitExceeded.EnisPerInstance'), undefined, 'a full node is not an account problem');
  const noSubnet = 'no configured subnet can take a new ENI: subnet-a has no free IP';
  t.same(eventForBlocked({ blockedBy: 'no-subnet', blocked: noSubnet }), { reason: 'NoAvailableSubnet', message: noSubnet });
  t.equal(eventForBlocked({ blockedBy: 'capacity', blocked: 'the node holds at most 30 IPs' }), undefined);
  t.equal(eventForBlocked({}), undefined, 'a round nothing blocked');
  const round = (blocked?: string) => ({
    network: 'blue',
    waiting: 1,
    available: 0,
    target: 2,
    added: 0,
    created: [],
    released: [],
    ...(blocked ? { blocked } : {}),
  });
  t.same(
    eventsForNetworks({ podNetworks: [round('no ENI slot left on this node (3 for Cello) for podnetwork blue'), { ...round(), network: 'green' }] }),
    [{ reason: 'PodNetworkPoolBlocked', message: 'podnetwork blue: no ENI slot left on this node (3 for Cello) for podnetwork blue' }],
    'a pod network that could not grow is an event naming it; one that grew is not',
  );
  const cred = new Error('metadata iam/security_credentials/role: HTTP 500');
  cred.name = 'CredentialError';
  t.match(eventForError(cred), { reason: 'CredentialServiceAbnormal', message: /cannot get cloud credentials/ });
  t.match(eventForError(new OpenApiError('CreateNetworkInterface', 'QuotaExceeded.Eni', 'quota')), { reason: 'VpcResourceQuotaExceeded' });
  t.equal(eventForError(new Error('something else')), undefined);
});

t.test('the node label names <namespace>.<name>', async (t) => {
  t.same(parseNodeLabel('kube-system.cello-node-a'), { namespace: 'kube-system', name: 'cello-node-a' });
  t.same(parseNodeLabel('ops.cello.big'), { namespace: 'ops', name: 'cello.big' }, 'split at the first dot, as upstream');
  for (const bad of ['nodot', '.name', 'ns.']) t.throws(() => parseNodeLabel(bad), /expected <namespace>\.<name>/, bad);
});

t.test('metadata paths fold their per-node parts', async (t) => {
  t.equal(metadataLabel('network/interfaces/macs/02:c3:00:00:01:0a/primary_ip_address'), 'network/interfaces/macs/MAC/primary_ip_address');
  t.equal(metadataLabel('iam/security_credentials/KubernetesNodeRoleForECS'), 'iam/security_credentials/ROLE');
  t.equal(metadataLabel('/instance_id'), 'instance_id');
});

t.test('ready: a free IP, or targets of zero that are met', async (t) => {
  const state = (free: number, target: number, targetMin: number, met: boolean) => ({ met, pool: { free, target, targetMin } }) as unknown as KeeperState;
  t.equal(poolReady(undefined), false, 'no round yet');
  t.equal(poolReady(state(0, 2, 2, false)), false, 'nothing free');
  t.equal(poolReady(state(1, 2, 2, false)), true, 'the first IP is enough');
  t.equal(poolReady(state(0, 0, 0, true)), true, 'targets of zero: IPs come on demand');
  t.equal(poolReady(state(0, 0, 0, false)), false, 'targets of zero not met (the keeper failed)');
});
