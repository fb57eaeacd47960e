/** The simulated cloud's resources, as the sim keeps them (not the API's wire shapes). */

export type EniStatus = 'Creating' | 'Available' | 'Attaching' | 'InUse' | 'Detaching' | 'Deleting';
export type EniType = 'primary' | 'secondary' | 'trunk';

export interface Tag {
  Key: string;
  Value: string;
}

export interface Vpc {
  id: string;
  name: string;
  cidr: string;
  cidrV6: string;
}

export interface Subnet {
  id: string;
  name: string;
  zoneId: string;
  cidr: string;
  gateway: string;
  cidrV6?: string;
  gatewayV6?: string;
  createdAt: number;
  tags: Tag[];
}

/**
 * An ingress rule, as the API's Permissions entry: from a CIDR or from a
 * source group (every address of every ENI in it). The sim models Protocol
 * `all` (ports -1/-1) and Policy `accept` only: a group is an allow-list.
 */
export interface IngressRule {
  protocol: 'all';
  portStart: number;
  portEnd: number;
  /** Exactly one of cidrIp and sourceGroupId. */
  cidrIp?: string;
  sourceGroupId?: string;
  policy: 'accept';
  priority: number;
  description: string;
  createdAt: number;
}

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  /** What may reach an ENI in the group (egress is always allowed). */
  ingress: IngressRule[];
  createdAt: number;
  updatedAt: number;
}

export interface InstanceType {
  id: string;
  maximumNetworkInterfaces: number;
  maximumPrivateIpv4AddressesPerNetworkInterface: number;
  cpus: number;
  memoryMb: number;
}

export interface Instance {
  id: string;
  /** The node name: `node1`, … (also the Kubernetes node name and hostname). */
  node: string;
  netns: string;
  typeId: string;
  zoneId: string;
  primaryEniId: string;
  createdAt: number;
}

export interface Eni {
  id: string;
  /** Creation order; used for stable listing and NextToken. */
  seq: number;
  name: string;
  description: string;
  type: EniType;
  status: EniStatus;
  subnetId: string;
  mac: string;
  primaryIp: string;
  secondaryIps: string[];
  ipv6s: string[];
  securityGroupIds: string[];
  /** Instance it is attached (or attaching/detaching) to; '' when none. */
  instanceId: string;
  deleteOnTermination: boolean;
  portSecurityEnabled: boolean;
  projectName: string;
  tags: Tag[];
  createdAt: number;
  updatedAt: number;
  /** Router-side veth name while the ENI has a device. */
  port?: string;
  /** Name the device got in the node when it appeared. */
  device?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Everything `up` decides before the server starts; the server loads it from world.json. */
export interface World {
  name: string;
  accountId: string;
  region: string;
  zoneId: string;
  vpc: Vpc;
  subnets: Subnet[];
  securityGroups: SecurityGroup[];
  instanceTypes: InstanceType[];
  instances: Instance[];
  enis: Eni[];
  nextSeq: number;
  /** The account owner's access key (the test credentials). */
  owner: Credentials;
  /** Bearer token of the Kubernetes API. */
  kubeToken: string;
}
