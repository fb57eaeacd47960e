/**
 * The document `vpc-sim up` prints and `vpc-sim info` repeats: how tests,
 * benchmarks and the demo find everything in a sim. Its fields are a contract
 * (docs/vpc-sim.md describes each); add fields, never rename them.
 */
import type { SimConfig } from './config.ts';
import type { World } from './cloud/types.ts';
import { KUBERNETES_PORT, SIM_ADDRESSES, type SimPaths } from './naming.ts';

export interface SimNodeInfo {
  name: string;
  netns: string;
  instanceId: string;
  instanceType: string;
  zone: string;
  subnetId: string;
  primaryIp: string;
  mac: string;
  primaryEniId: string;
}

export interface SimInfo {
  name: string;
  stateDir: string;
  region: string;
  zone: string;
  accountId: string;
  vpc: { id: string; cidr: string; cidrV6: string };
  subnets: Array<{ id: string; name: string; zone: string; cidr: string; gateway: string; cidrV6?: string; gatewayV6?: string }>;
  securityGroups: Array<{ id: string; name: string }>;
  instanceTypes: Array<{ id: string; maximumNetworkInterfaces: number; maximumPrivateIpv4AddressesPerNetworkInterface: number }>;
  nodes: SimNodeInfo[];
  openapi: { endpoint: string; host: string; protocol: 'http:'; accessKeyId: string; secretAccessKey: string; region: string; version: string };
  metadata: { address: string; url: string; ramRole: string };
  kubernetes: { server: string; kubeconfig: string; token: string };
  control: { socket: string };
  routerNetns: string;
  server: { pid: number; log: string };
}

export function buildInfo(world: World, config: SimConfig, paths: SimPaths, serverPid: number): SimInfo {
  return {
    name: world.name,
    stateDir: paths.stateDir,
    region: world.region,
    zone: world.zoneId,
    accountId: world.accountId,
    vpc: { id: world.vpc.id, cidr: world.vpc.cidr, cidrV6: world.vpc.cidrV6 },
    subnets: world.subnets.map((s) => ({
      id: s.id,
      name: s.name,
      zone: s.zoneId,
      cidr: s.cidr,
      gateway: s.gateway,
      ...(s.cidrV6 ? { cidrV6: s.cidrV6, gatewayV6: s.gatewayV6 } : {}),
    })),
    securityGroups: world.securityGroups.map((g) => ({ id: g.id, name: g.name })),
    instanceTypes: world.instanceTypes.map((t) => ({
      id: t.id,
      maximumNetworkInterfaces: t.maximumNetworkInterfaces,
      maximumPrivateIpv4AddressesPerNetworkInterface: t.maximumPrivateIpv4AddressesPerNetworkInterface,
    })),
    nodes: world.instances.map((i) => {
      const eni = world.enis.find((e) => e.id === i.primaryEniId)!;
      return {
        name: i.node,
        netns: i.netns,
        instanceId: i.id,
        instanceType: i.typeId,
        zone: i.zoneId,
        subnetId: eni.subnetId,
        primaryIp: eni.primaryIp,
        mac: eni.mac,
        primaryEniId: eni.id,
      };
    }),
    openapi: {
      endpoint: `http://${SIM_ADDRESSES.openapi}`,
      host: SIM_ADDRESSES.openapi,
      protocol: 'http:',
      accessKeyId: world.owner.accessKeyId,
      secretAccessKey: world.owner.secretAccessKey,
      region: world.region,
      version: '2020-04-01',
    },
    metadata: { address: SIM_ADDRESSES.metadata, url: `http://${SIM_ADDRESSES.metadata}`, ramRole: config.ramRole },
    kubernetes: { server: `http://${SIM_ADDRESSES.kubernetes}:${KUBERNETES_PORT}`, kubeconfig: paths.kubeconfig, token: world.kubeToken },
    control: { socket: paths.controlSocket },
    routerNetns: paths.routerNetns,
    server: { pid: serverPid, log: paths.serverLog },
  };
}

export function kubeconfigYaml(info: SimInfo): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${info.name}
  cluster:
    server: ${info.kubernetes.server}
    # Plain http inside the simulated VPC; @kubernetes/client-node refuses http without this.
    insecure-skip-tls-verify: true
contexts:
- name: ${info.name}
  context:
    cluster: ${info.name}
    user: ${info.name}-admin
current-context: ${info.name}
users:
- name: ${info.name}-admin
  user:
    token: ${info.kubernetes.token}
`;
}
