// The metadata service answers for the instance whose address asks, under
// /latest/ and /volcstack/latest/, with case-insensitive items, MACs with
// ':' or '-', an optional IMDSv2 token, role credentials, and a lag before
// new ENIs and IPs show.
import t from 'tap';
import { waitFor } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import type { Sim } from '../src/index.ts';
import { metadataTree } from '../src/metadata/items.ts';
import { inProcessCloud } from './inproc.ts';
import { api, fixture } from './simkit.ts';

const MD = 'http://100.96.0.96';

async function get(sim: Sim, node: string, paths: string[], opts: string[] = []): Promise<Array<{ status: number; body: string }>> {
  const r = await sim.exec(node, ['node', fixture('http.mjs'), ...opts, ...paths.map((p) => `${MD}${p}`)]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const body = async (sim: Sim, node: string, path: string) => (await get(sim, node, [path]))[0]!.body;

t.test('metadata per instance, on a real sim', async (t) => {
  // No metadata lag: these cases read the service right after each change (the lag has its own cases).
  const sim = await withSim(t, { nodes: 2, config: { delaysMs: NO_DELAYS, metadataLagMs: 0 } });
  const [n1, n2] = sim.info.nodes;

  t.test('each instance sees itself', async (t) => {
    for (const n of [n1!, n2!]) {
      const [id, type, region, zone, vpc, cidr, mac, macs, host] = await get(sim, n.name, [
        '/latest/instance_id',
        '/latest/instance_type',
        '/volcstack/latest/region_id',
        '/volcstack/latest/availability_zone',
        '/volcstack/latest/vpc_id',
        '/latest/vpc_cidr_block',
        '/volcstack/latest/mac',
        '/volcstack/latest/network/interfaces/macs',
        '/latest/hostname',
      ]);
      t.equal(id!.body, n.instanceId, `${n.name}: instance_id`);
      t.equal(type!.body, n.instanceType);
      t.equal(region!.body, 'cn-beijing');
      t.equal(zone!.body, n.zone);
      t.equal(vpc!.body, sim.info.vpc.id);
      t.equal(cidr!.body, sim.info.vpc.cidr);
      t.equal(mac!.body, n.mac);
      t.equal(macs!.body, n.mac, 'only its primary ENI so far');
      t.equal(host!.body, n.name);
    }
  });

  t.test('per-interface items; names case-insensitive; MAC with - or :', async (t) => {
    const subnet = sim.info.subnets.find((s) => s.id === n1!.subnetId)!;
    const base = `/volcstack/latest/network/interfaces/macs/${n1!.mac}`;
    const [eni, ip, gw, sid, scidr, v4s] = await get(sim, n1!.name, [
      `${base}/network_interface_id`,
      `${base}/primary_ip_address`,
      `${base}/gateway`,
      `${base}/subnet_id`,
      `${base}/subnet_cidr_block`,
      `${base}/private_ipv4s`,
    ]);
    t.same([eni!.body, ip!.body, gw!.body, sid!.body, scidr!.body], [n1!.primaryEniId, n1!.primaryIp, subnet.gateway, subnet.id, subnet.cidr]);
    t.equal(v4s!.body, '', 'private_ipv4s lists secondary addresses only: none here (config metadataPrivateIpv4sIncludesPrimary)');
    const dashed = n1!.mac.replace(/:/g, '-').toUpperCase();
    t.equal(await body(sim, n1!.name, `/LATEST/Network/Interfaces/MACS/${dashed}/Network_Interface_Id`), n1!.primaryEniId);
    t.equal(await body(sim, n1!.name, '/latest/INSTANCE_ID'), n1!.instanceId);
    const [v6gw, nope, other] = await get(sim, n1!.name, [
      `${base}/ipv6-gateway`,
      '/latest/no_such_item',
      `/latest/network/interfaces/macs/${n2!.mac}/primary_ip_address`,
    ]);
    t.equal(v6gw!.status, 404, 'ipv6-gateway: not supported, as on the real service');
    t.equal(nope!.status, 404);
    t.equal(other!.status, 404, "another instance's interface is not visible");
  });

  t.test('an attached ENI and its addresses appear; detached they go', async (t) => {
    const id = (
      await api(sim, 'CreateNetworkInterface', {
        SubnetId: n1!.subnetId,
        'SecurityGroupIds.1': sim.info.securityGroups[0]!.id,
        SecondaryPrivateIpAddressCount: 2,
      })
    ).NetworkInterfaceId;
    const eni = await api(sim, 'DescribeNetworkInterfaceAttributes', { NetworkInterfaceId: id });
    await api(sim, 'AttachNetworkInterface', { NetworkInterfaceId: id, InstanceId: n1!.instanceId });
    t.same((await body(sim, n1!.name, '/latest/network/interfaces/macs')).split('\n'), [n1!.mac, eni.MacAddress]);
    const secondaries = eni.PrivateIpSets.PrivateIpSet.filter((s: { Primary: boolean }) => !s.Primary).map(
      (s: { PrivateIpAddress: string }) => s.PrivateIpAddress,
    );
    t.same(
      (await body(sim, n1!.name, `/latest/network/interfaces/macs/${eni.MacAddress}/private_ipv4s`)).split('\n'),
      secondaries,
      'private_ipv4s: the secondary addresses',
    );
    t.equal(await body(sim, n2!.name, '/latest/network/interfaces/macs'), n2!.mac, 'node2 does not see it');
    const added = (await api(sim, 'AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 })).PrivateIpSet[0];
    t.match(await body(sim, n1!.name, `/latest/network/interfaces/macs/${eni.MacAddress}/private_ipv4s`), added, 'a new address shows');
    await api(sim, 'UnassignPrivateIpAddresses', { NetworkInterfaceId: id, 'PrivateIpAddress.1': added });
    t.notMatch(await body(sim, n1!.name, `/latest/network/interfaces/macs/${eni.MacAddress}/private_ipv4s`), added, 'an unassigned address goes');
    await api(sim, 'DetachNetworkInterface', { NetworkInterfaceId: id, InstanceId: n1!.instanceId });
    t.equal(await body(sim, n1!.name, '/latest/network/interfaces/macs'), n1!.mac, 'a detached ENI goes');
  });

  t.test('metadata lag: a new address shows only after the lag', async (t) => {
    await sim.control.setMetadataLag(3000);
    t.teardown(() => sim.control.clearFaults());
    const path = `/latest/network/interfaces/macs/${n2!.mac}/private_ipv4s`;
    const added = (await api(sim, 'AssignPrivateIpAddresses', { NetworkInterfaceId: n2!.primaryEniId, SecondaryPrivateIpAddressCount: 1 })).PrivateIpSet[0];
    t.notMatch(await body(sim, n2!.name, path), added, 'not at once');
    const seen = await waitFor(async () => (await body(sim, n2!.name, path)).split('\n').includes(added), {
      what: `${added} in the metadata`,
      timeoutMs: 20_000,
    }).catch(() => false);
    t.ok(seen, 'but later');
  });

  t.test('IMDSv2 token; role credentials', async (t) => {
    const [tok] = await get(sim, n1!.name, ['/latest/api/token'], ['-X', 'PUT', '-H', 'X-volc-ecs-metadata-token-ttl-seconds: 60']);
    t.equal(tok!.status, 200);
    const withToken = await get(sim, n1!.name, ['/volcstack/latest/instance_id'], ['-H', `X-volc-ecs-metadata-token: ${tok!.body}`]);
    t.same(withToken[0], { url: `${MD}/volcstack/latest/instance_id`, status: 200, body: n1!.instanceId }, 'a valid token is accepted');
    const bad = await get(sim, n1!.name, ['/volcstack/latest/instance_id'], ['-H', 'X-volc-ecs-metadata-token: forged']);
    t.equal(bad[0]!.status, 401, 'an invalid token is refused');
    const noTtl = await get(sim, n1!.name, ['/latest/api/token'], ['-X', 'PUT']);
    t.equal(noTtl[0]!.status, 400, 'a token needs a TTL');

    const role = sim.info.metadata.ramRole;
    t.equal(await body(sim, n1!.name, '/volcstack/latest/iam/security_credentials/'), role);
    t.same(JSON.parse(await body(sim, n1!.name, '/volcstack/latest/iam/security_credentials?type=user&format=json')), [role]);
    const c1 = JSON.parse(await body(sim, n1!.name, `/volcstack/latest/iam/security_credentials/${role}`));
    const c2 = JSON.parse(await body(sim, n2!.name, `/volcstack/latest/iam/security_credentials/${role}`));
    t.match(c1, {
      AccessKeyId: /^AKTP/,
      SecretAccessKey: /\w{30,}/,
      SessionToken: /\w{50,}/,
      ExpiredTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      CurrentTime: /Z$/,
    });
    t.ok(Date.parse(c1.ExpiredTime) > Date.parse(c1.CurrentTime), 'ExpiredTime after CurrentTime');
    t.not(c1.AccessKeyId, c2.AccessKeyId, 'each instance its own credentials');
    t.equal((await get(sim, n1!.name, ['/volcstack/latest/iam/security_credentials/OtherRole']))[0]!.status, 404);
  });
});

t.test('lag and private_ipv4s, exactly (in process, with a given clock)', async (t) => {
  const sim = await inProcessCloud({ metadataLagMs: 1000, metadataLagJitter: 0 });
  t.teardown(sim.close);
  const inst = sim.world.instances[0]!;
  const primary = sim.cloud.enis.get(inst.primaryEniId)!;
  const [ip] = (await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: primary.id, SecondaryPrivateIpAddressCount: 1 })).PrivateIpSet;
  const added = sim.cloud.metaIps.find((m) => m.ip === ip)!.from;
  const ips = (now: number) => sim.cloud.metadataView(inst.id, now).find((v) => v.eni.id === primary.id)!.secondaryIps;
  t.same(ips(added + 999), [], 'hidden until the lag has passed');
  t.same(ips(added + 1000), [ip]);
  await sim.ok('UnassignPrivateIpAddresses', { NetworkInterfaceId: primary.id, 'PrivateIpAddress.1': ip });
  const removed = sim.cloud.metaIps.find((m) => m.ip === ip)!.until!;
  t.same(ips(removed + 999), [ip], 'still shown until the lag has passed');
  t.same(ips(removed + 1000), []);

  sim.cloud.metadataLagMs = 0;
  t.equal(metadataTree(sim.cloud, inst).macs.get(primary.mac)!.private_ipv4s, '', 'secondaries only by default: none left');
  sim.cloud.config.metadataPrivateIpv4sIncludesPrimary = true;
  t.equal(metadataTree(sim.cloud, inst).macs.get(primary.mac)!.private_ipv4s, primary.primaryIp, 'the primary first when so configured');
});

t.test('the default lag varies per item, between metadataLagMs and twice it', async (t) => {
  const sim = await inProcessCloud();
  t.teardown(sim.close);
  t.equal(sim.config.metadataLagMs, 250, 'default 250 ms');
  t.equal(sim.config.metadataLagJitter, 1, 'stretched by up to 100 %');
  t.equal(sim.config.metadataPrivateIpv4sIncludesPrimary, false, 'private_ipv4s: secondaries only by default');
  const primary = sim.cloud.enis.get(sim.world.instances[0]!.primaryEniId)!;
  await sim.ok('AssignPrivateIpAddresses', { NetworkInterfaceId: primary.id, SecondaryPrivateIpAddressCount: 9 });
  const lags = sim.cloud.metaIps.filter((m) => m.eniId === primary.id).map((m) => sim.cloud.lagOf(m));
  t.ok(
    lags.every((l) => l >= 250 && l <= 500),
    `every lag in [250, 500] ms: ${lags.join(' ')}`,
  );
  t.ok(new Set(lags).size > 1, 'and they differ');
});
