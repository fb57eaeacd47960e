// Which network a pod is on (src/pod-networks/choose.ts): the matching
// PodNetworks by name, the first wins, none is the default network; the
// reason says why; an invalid PodNetwork that would win holds the pod back
// instead of letting it go to the default network.
import t from 'tap';
import { parsePodNetwork, type PodNetworkRecord } from '@cello/records';
import { type BrokenPodNetwork, choosePodNetwork, type PodFacts } from '../src/pod-networks/choose.ts';

const net = (name: string, selectors: Record<string, unknown>): PodNetworkRecord =>
  parsePodNetwork({ metadata: { name }, spec: { ...selectors, subnets: { ids: ['subnet-a'] }, securityGroupIds: ['sg-1'] } });

const pod = (labels: Record<string, string> = {}): PodFacts => ({ namespace: 'shop', name: 'web-0', uid: 'u-1', labels });

const blue = net('blue', { namespaceSelector: { matchLabels: { team: 'blue' } } });
const green = net('green', { podSelector: { matchLabels: { app: 'web' } } });
const red = net('red', { podSelector: { matchLabels: { app: 'web' } }, namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } });
const everything = net('zz-all', { podSelector: {} });

t.test('none matches: the default network', async (t) => {
  t.same(choosePodNetwork(pod(), {}, []), { network: '', reason: 'no podnetwork matched' }, 'no PodNetworks at all');
  t.same(choosePodNetwork(pod({ app: 'db' }), { team: 'green' }, [blue, green, red]), { network: '', reason: 'no podnetwork matched' });
});

t.test('one matches: its name, and by which selector', async (t) => {
  t.same(choosePodNetwork(pod(), { team: 'blue' }, [blue]), { network: 'blue', reason: 'matched podnetwork blue by namespaceSelector' });
  t.same(choosePodNetwork(pod({ app: 'web' }), {}, [blue, green]), { network: 'green', reason: 'matched podnetwork green by podSelector' });
  t.same(choosePodNetwork(pod({ app: 'web' }), { team: 'x' }, [red]), {
    network: 'red',
    reason: 'matched podnetwork red by podSelector and namespaceSelector',
  });
  t.same(choosePodNetwork(pod(), {}, [everything]), { network: 'zz-all', reason: 'matched podnetwork zz-all by podSelector' }, '{} matches every pod');
});

t.test('both selectors set: both must match', async (t) => {
  t.equal(choosePodNetwork(pod({ app: 'web' }), {}, [red]).network, '', 'the pod matches, its namespace does not');
  t.equal(choosePodNetwork(pod({ app: 'db' }), { team: 'x' }, [red]).network, '', 'the namespace matches, the pod does not');
});

t.test('several match: the first by name wins, in byte order whatever the order given', async (t) => {
  t.same(choosePodNetwork(pod({ app: 'web' }), { team: 'blue' }, [green, blue]), {
    network: 'blue',
    reason: 'blue and green both matched; blue is first by name',
  });
  t.same(choosePodNetwork(pod({ app: 'web' }), { team: 'blue' }, [everything, red, green, blue]), {
    network: 'blue',
    reason: 'blue, green, red and zz-all all matched; blue is first by name',
  });
  const upper = net('b-2', { podSelector: {} });
  const lower = net('b.1', { podSelector: {} });
  t.equal(choosePodNetwork(pod(), {}, [upper, lower]).network, 'b-2', "'-' sorts before '.' by bytes");
});

t.test('an invalid PodNetwork never sends a pod it would take to the default network', async (t) => {
  const brokenBlue: BrokenPodNetwork = {
    name: 'blue',
    error: 'spec.securityGroupIds: at most 5',
    selectors: { namespaceSelector: { matchLabels: { team: 'blue' } } },
  };
  const held = choosePodNetwork(pod(), { team: 'blue' }, [], [brokenBlue]);
  t.same(held, {
    network: null,
    reason: 'podnetwork blue matches by namespaceSelector but is invalid (spec.securityGroupIds: at most 5); not decided until it is fixed or deleted',
  });
  t.equal(choosePodNetwork(pod({ app: 'web' }), { team: 'blue' }, [green], [brokenBlue]).network, null, 'it would win over a valid one: held');
  const brokenZ = { ...brokenBlue, name: 'zz' };
  t.same(
    choosePodNetwork(pod({ app: 'web' }), { team: 'blue' }, [green], [brokenZ]),
    { network: 'green', reason: 'green and zz both matched; green is first by name' },
    'a valid one that comes first wins anyway',
  );
  t.same(
    choosePodNetwork(pod(), { team: 'green' }, [], [brokenBlue]),
    { network: '', reason: 'no podnetwork matched' },
    'one that does not match changes nothing',
  );
  t.same(
    choosePodNetwork(pod(), {}, [], [{ name: 'grey', error: 'spec: needs podSelector or namespaceSelector' }]),
    { network: '', reason: 'no podnetwork matched (grey is invalid with selectors that cannot be read, so not considered)' },
    'one whose selectors cannot be read is named in the reason',
  );
});
