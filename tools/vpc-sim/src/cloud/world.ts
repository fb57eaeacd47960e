/**
 * Plan a new simulated world: ids for the VPC, subnets, security groups (with
 * their ingress rules from the config), and one instance (with its primary
 * ENI and address) per node. Pure: nothing is created on the machine here.
 */
import { UsageError } from '@cello/cli-kit';
import type { SimConfig } from '../config.ts';
import { groupConfig } from '../security-group-config.ts';
import { nodeName } from '../naming.ts';
import { randomId, randomMac, randomSecret } from '../util/ids.ts';
import { IpPool } from './ip-pool.ts';
import { ruleOf } from './security-groups.ts';
import type { Eni, Instance, SecurityGroup, Subnet, World } from './types.ts';

/** The config's groups with ids, their rules' source groups resolved from names to ids. */
function planGroups(config: SimConfig, now: number): SecurityGroup[] {
  const entries = config.securityGroups.map(groupConfig);
  const ids = new Map(entries.map((g) => [g.name, randomId('sg')]));
  return entries.map((g) => ({
    id: ids.get(g.name)!,
    name: g.name,
    description: g.description,
    ingress: g.ingress.map((r) => ruleOf(r.cidr !== undefined ? { cidrIp: r.cidr } : { sourceGroupId: ids.get(r.sourceGroup!)! }, now)),
    createdAt: now,
    updatedAt: now,
  }));
}

export function planWorld(name: string, config: SimConfig, nodes: number, instanceType = config.instanceType): World {
  if (!config.instanceTypes.some((t) => t.id === instanceType)) {
    throw new UsageError(`unknown instance type ${instanceType} (known: ${config.instanceTypes.map((t) => t.id).join(', ')})`);
  }
  const now = Date.now();
  const subnets: Subnet[] = config.subnets.map((s) => {
    const v4 = new IpPool(s.cidr);
    const v6 = s.cidrV6 ? new IpPool(s.cidrV6) : undefined;
    return {
      id: randomId('subnet'),
      name: s.name,
      zoneId: s.zone,
      cidr: v4.cidr.text,
      gateway: v4.gateway,
      ...(v6 ? { cidrV6: v6.cidr.text, gatewayV6: v6.gateway } : {}),
      createdAt: now,
      tags: Object.entries(s.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    };
  });
  const nodeSubnet = subnets.find((s) => s.name === (config.nodeSubnet ?? config.subnets[0]!.name))!;
  const pool = new IpPool(nodeSubnet.cidr);
  const primaryIps = pool.allocate(nodes);
  if (!primaryIps) throw new UsageError(`subnet ${nodeSubnet.cidr} cannot hold ${nodes} nodes`);
  const securityGroups = planGroups(config, now);

  const instances: Instance[] = [];
  const enis: Eni[] = [];
  const macs = new Set<string>();
  for (let i = 1; i <= nodes; i++) {
    const node = nodeName(i);
    const instanceId = randomId('i', 20);
    let mac = randomMac();
    while (macs.has(mac)) mac = randomMac();
    macs.add(mac);
    const eni: Eni = {
      id: randomId('eni'),
      seq: i,
      name: `${node}-primary`,
      description: '',
      type: 'primary',
      status: 'InUse',
      subnetId: nodeSubnet.id,
      mac,
      primaryIp: primaryIps[i - 1]!,
      secondaryIps: [],
      ipv6s: [],
      securityGroupIds: [securityGroups[0]!.id],
      instanceId,
      deleteOnTermination: true,
      portSecurityEnabled: true,
      projectName: 'default',
      tags: [],
      createdAt: now,
      updatedAt: now,
      port: `e${i}`,
      device: 'eth0',
    };
    enis.push(eni);
    instances.push({ id: instanceId, node, netns: `${name}-${node}`, typeId: instanceType, zoneId: nodeSubnet.zoneId, primaryEniId: eni.id, createdAt: now });
  }

  return {
    name,
    accountId: config.accountId,
    region: config.region,
    zoneId: config.zone,
    vpc: { id: randomId('vpc'), name: `${name}-vpc`, cidr: config.vpcCidr, cidrV6: config.vpcCidrV6 },
    subnets,
    securityGroups,
    instanceTypes: config.instanceTypes.map((t) => ({ ...t })),
    instances,
    enis,
    nextSeq: nodes + 1,
    owner: { accessKeyId: `AKLT${randomSecret(24)}`, secretAccessKey: randomSecret(40) },
    kubeToken: randomSecret(32),
  };
}
