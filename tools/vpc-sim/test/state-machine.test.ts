// The ENI state machine: Creating → Available → Attaching → InUse →
// Detaching → Available → Deleting → gone, each transitional state lasting
// its configured delay, wrong-state operations refused with
// InvalidEni.InvalidStatus, and the dataplane changed at the right step.
// Only order is asserted, never durations.
import t from 'tap';
import { NO_DELAYS } from '@cello/testkit/sim';
import type { Dataplane } from '../src/cloud/cloud.ts';
import type { Eni, EniStatus } from '../src/cloud/types.ts';
import { sleep } from '../src/util/time.ts';
import { inProcessCloud } from './inproc.ts';

/** A dataplane that records what it was asked, and the ENI's status at that moment. */
function recordingDataplane() {
  const log: string[] = [];
  const dp: Dataplane = {
    plug: async (eni: Eni) => {
      log.push(`plug ${eni.id} while ${eni.status}`);
      return 'eth1';
    },
    unplug: async (eni) => void log.push(`unplug ${eni.id} while ${eni.status}`),
    route: async (eni, ips) => void log.push(`route ${ips.length} while ${eni.status}`),
    unroute: async (eni, ips) => void log.push(`unroute ${ips.length} while ${eni.status}`),
    removeNode: async () => void log.push('removeNode'),
  };
  return { dp, log };
}

t.test('each transition in order, with its delay', async (t) => {
  const rec = recordingDataplane();
  const delays = { create: 150, attach: 150, detach: 150, delete: 150 };
  const sim = await inProcessCloud({ delaysMs: delays }, { dataplane: rec.dp });
  t.teardown(sim.close);
  const instance = sim.world.instances[0]!.id;
  const other = sim.world.instances[1]!.id;

  /** Poll the ENI's status until it is `until` (or gone), recording every distinct status seen. */
  async function watch(id: string, until: EniStatus | 'gone'): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < 500; i++) {
      const r = await sim.call('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
      const s = r.ResponseMetadata.Error?.Code === 'InvalidEniId.NotFound' ? 'gone' : (r.Result.Status as string);
      if (seen.at(-1) !== s) seen.push(s);
      if (s === until) return seen;
      await sleep(5);
    }
    return seen;
  }
  const refused = async (action: string, params: Record<string, unknown>) => sim.code(action, params);

  const id = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId, SecondaryPrivateIpAddressCount: 1 }))
    .NetworkInterfaceId;
  t.equal((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).Status, 'Creating', 'Creating right after the call');
  t.equal(await refused('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance }), 'InvalidEni.InvalidStatus', 'Creating: attach refused');
  t.equal(await refused('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'InvalidEni.InvalidStatus', 'Creating: delete refused');
  t.equal(
    await refused('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }),
    'InvalidEni.InvalidStatus',
    'Creating: assign refused',
  );
  t.same(await watch(id, 'Available'), ['Creating', 'Available']);
  const created = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });

  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance });
  const attaching = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
  t.equal(attaching.Status, 'Attaching', 'Attaching right after the call');
  t.equal(attaching.DeviceId, instance, 'DeviceId names the instance while attaching');
  t.equal(await refused('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance }), 'InvalidEni.InvalidStatus', 'Attaching: detach refused');
  t.equal(await refused('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: other }), 'InvalidEni.InvalidStatus', 'Attaching: attach refused');
  t.equal(await refused('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'InvalidEni.InvalidStatus', 'Attaching: delete refused');
  t.equal(
    await refused('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }),
    'InvalidEni.InvalidStatus',
    'Attaching: assign refused',
  );
  t.same(await watch(id, 'InUse'), ['Attaching', 'InUse']);
  t.same(rec.log, [`plug ${id} while Attaching`, 'route 2 while Attaching'], 'the device and the routes exist before the ENI is InUse');

  await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 2 });
  t.equal(rec.log.at(-1), 'route 2 while InUse', 'an address assigned while InUse is routed before the call returns');

  await sim.ok('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance });
  t.equal((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).Status, 'Detaching');
  t.equal(await refused('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance }), 'InvalidEni.InvalidStatus', 'Detaching: attach refused');
  t.equal(await refused('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance }), 'InvalidEni.InvalidStatus', 'Detaching: detach refused');
  t.equal(await refused('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'InvalidEni.InvalidStatus', 'Detaching: delete refused');
  t.same(await watch(id, 'Available'), ['Detaching', 'Available']);
  t.equal(rec.log.at(-1), `unplug ${id} while Detaching`, 'the device is gone before the ENI is Available');
  const detached = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
  t.equal(detached.DeviceId, '', 'DeviceId empty once detached');

  await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 });
  t.equal(rec.log.at(-1), `unplug ${id} while Detaching`, 'an address assigned while Available is not routed');

  await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: id });
  t.equal((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).Status, 'Deleting');
  t.equal(await refused('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance }), 'InvalidEni.InvalidStatus', 'Deleting: attach refused');
  t.equal(await refused('DeleteNetworkInterface', { NetworkInterfaceId: id }), 'InvalidEni.InvalidStatus', 'Deleting: delete refused');
  t.equal(
    await refused('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }),
    'InvalidEni.InvalidStatus',
    'Deleting: assign refused',
  );
  t.same(await watch(id, 'gone'), ['Deleting', 'gone']);

  const path = sim.cloud.transitions.filter((x) => x.eniId === id).map((x) => `${x.from}→${x.to}`);
  t.same(
    path,
    [
      'none→Creating',
      'Creating→Available',
      'Available→Attaching',
      'Attaching→InUse',
      'InUse→Detaching',
      'Detaching→Available',
      'Available→Deleting',
      'Deleting→deleted',
    ],
    'the recorded path',
  );
  const times = sim.cloud.transitions.filter((x) => x.eniId === id).map((x) => x.at);
  t.same(times, [...times].sort(), 'in time order');

  t.ok(Date.parse(created.UpdatedAt) >= Date.parse(created.CreatedAt), 'UpdatedAt ≥ CreatedAt');
  t.ok(Date.parse(detached.UpdatedAt) >= Date.parse(created.UpdatedAt), 'UpdatedAt moves with each change');
  t.equal(detached.CreatedAt, created.CreatedAt, 'CreatedAt never changes');
});

t.test('with delays of 0 every step completes within its call', async (t) => {
  const rec = recordingDataplane();
  const sim = await inProcessCloud({ delaysMs: NO_DELAYS }, { dataplane: rec.dp });
  t.teardown(sim.close);
  const instance = sim.world.instances[0]!.id;
  const id = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId })).NetworkInterfaceId;
  const status = async () => (await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id })).Status;
  t.equal(await status(), 'Available');
  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance });
  t.equal(await status(), 'InUse');
  t.equal(rec.log[0], `plug ${id} while Attaching`);
  await sim.ok('DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: instance });
  t.equal(await status(), 'Available');
  await sim.ok('DeleteNetworkInterface', { NetworkInterfaceId: id });
  t.equal(await sim.code('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id }), 'InvalidEniId.NotFound');
});

t.test('delays differ per transition', async (t) => {
  // attach is slow, detach is immediate: an attach is still pending when a detach of another ENI is done.
  const sim = await inProcessCloud({ delaysMs: { create: 0, attach: 400, detach: 0, delete: 0 } });
  t.teardown(sim.close);
  const instance = sim.world.instances[0]!.id;
  const base = { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId };
  const a = (await sim.ok('CreateNetworkInterface', base)).NetworkInterfaceId;
  const b = (await sim.ok('CreateNetworkInterface', base)).NetworkInterfaceId;
  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: a, InstanceId: instance });
  while ((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: a })).Status !== 'InUse') await sleep(10);
  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: b, InstanceId: instance });
  await sim.ok('DetachNetworkInterface', { NetworkInterfaceId: a, InstanceId: instance });
  t.equal((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: a })).Status, 'Available', 'detach (0) done');
  t.equal((await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: b })).Status, 'Attaching', 'attach (400) still pending');
});

t.test('deleting an instance: its secondary ENIs become Available, its primary goes', async (t) => {
  const rec = recordingDataplane();
  const sim = await inProcessCloud({}, { dataplane: rec.dp });
  t.teardown(sim.close);
  const { deleteInstance } = await import('../src/cloud/instances.ts');
  const victim = sim.world.instances[1]!;
  const id = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId, SecondaryPrivateIpAddressCount: 2 }))
    .NetworkInterfaceId;
  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: victim.id });
  const doomed = (await sim.ok('CreateNetworkInterface', { SubnetId: sim.subnetId, 'SecurityGroupIds.1': sim.sgId })).NetworkInterfaceId;
  await sim.ok('AttachNetworkInterface', { NetworkInterfaceId: doomed, InstanceId: victim.id, DeleteOnTermination: true });
  await deleteInstance(sim.cloud, victim.node);
  const eni = await sim.ok('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
  t.match(eni, { Status: 'Available', DeviceId: '' });
  t.equal(eni.PrivateIpSets.PrivateIpSet.length, 3, 'it keeps its addresses');
  t.equal(
    await sim.code('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: victim.primaryEniId }),
    'InvalidEniId.NotFound',
    'the primary ENI is deleted with it',
  );
  t.equal(
    await sim.code('DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: doomed }),
    'InvalidEniId.NotFound',
    'so is an ENI attached with DeleteOnTermination',
  );
  t.equal((await sim.ok('DescribeInstances', {})).Instances.length, 1);
  t.equal(await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: victim.id }), 'InvalidInstanceId.NotFound');
  t.equal(rec.log.at(-1), 'removeNode');
  t.equal(
    await sim.code('AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: sim.world.instances[0]!.id }),
    'OK',
    'the ENI can be attached elsewhere',
  );
  t.equal(rec.log.at(-1), 'route 3 while Attaching', 'with its addresses routed to the new device');
});
