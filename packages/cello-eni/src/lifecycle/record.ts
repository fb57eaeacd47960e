/**
 * An ENI as cello-ipam and cello-link want it (architecture.md "EniRecord"
 * and the Import document), from the cloud's view, the subnet, and what the
 * metadata service and the host say. The gateway comes from metadata, else
 * the subnet's first address; the IPv6 gateway is the v6 subnet's first
 * address (as upstream computes it; metadata has none).
 */
import type { EniMode, ImportEni } from '@cello/cello-ipam';
import { firstHost } from '@cello/records';
import { type CelloConfig, ipamMode } from '../config/resolve.ts';
import type { EniContext } from '../context.ts';
import type { CloudEni, CloudSubnet } from '../openapi/api.ts';
import type { MetadataEni } from '../metadata/instance.ts';
import { podNetworkOf } from './tags.ts';

export interface RecordFacts {
  mode: EniMode;
  /** Whether the node uses IPv6 (ipv6 or dual): then the v6 subnet goes into the record. */
  ipv6: boolean;
  subnet?: CloudSubnet;
  metadata?: MetadataEni;
  device?: string;
}

export function importEni(eni: CloudEni, f: RecordFacts): ImportEni {
  const subnetCidr = f.metadata?.subnetCidr || f.subnet?.cidr || '';
  const cidrV6 = f.ipv6 ? f.subnet?.cidrV6 : undefined;
  // The network an ENI serves is its tag's, whoever imports it (keeper, reconcile, gc): never guessed.
  const podNetwork = podNetworkOf(eni);
  return {
    ...(podNetwork ? { podNetwork } : {}),
    id: eni.id,
    mac: eni.mac.toLowerCase(), // as ip prints it, the records' rule
    ...(f.device ? { device: f.device } : {}),
    mode: f.mode,
    subnetId: eni.subnetId,
    subnetCidr,
    gateway: f.metadata?.gateway || firstHost(subnetCidr),
    ...(cidrV6 ? { subnetCidrV6: cidrV6, gatewayV6: firstHost(cidrV6) } : {}),
    primaryIp: eni.primaryIp,
    ips: [eni.primaryIp, ...eni.ips],
    ipv6s: f.ipv6 ? [...eni.ipv6s] : [],
  };
}

/**
 * The Import entry for a cloud ENI on this node under the config's mode and
 * family; `subnet` looks the subnet up (default: one DescribeSubnets), only
 * when the record needs it: for IPv6, or when metadata gives no IPv4 CIDR.
 */
export async function importDocFor(
  ctx: Pick<EniContext, 'api' | 'identity'> & { config: Pick<CelloConfig, 'networkMode' | 'ipFamily'> },
  eni: CloudEni,
  facts: { metadata?: MetadataEni; device?: string; mode?: EniMode } = {},
  subnet: (id: string) => Promise<CloudSubnet | undefined> = async (id) => (await ctx.api.describeSubnets([id], ctx.identity.vpcId)).find((s) => s.id === id),
): Promise<ImportEni> {
  const ipv6 = ctx.config.ipFamily !== 'ipv4';
  // The subnet gives the IPv4 CIDR when metadata does not, and the IPv6 CIDR (metadata has none): asked only then.
  const needSubnet = ipv6 || !facts.metadata?.subnetCidr;
  return importEni(eni, {
    mode: facts.mode ?? ipamMode(ctx.config),
    ipv6,
    subnet: needSubnet ? await subnet(eni.subnetId) : undefined,
    metadata: facts.metadata,
    device: facts.device,
  });
}
