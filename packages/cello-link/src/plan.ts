/** A setup plan: the objects of each side and the result setup will report. */
import type { Expect } from './objects.ts';
import type { Datapath, LinkResult } from './types.ts';

export interface Plan {
  datapath: Datapath;
  netns: string;
  host: Expect[];
  pod: Expect[];
  result: LinkResult;
}

/** v4 and v6 of an allocation, each with its host-route prefix. */
export function podIps(a: { ipv4?: string; ipv6?: string }): Array<{ ip: string; v6: boolean }> {
  return [
    ...(a.ipv4 ? [{ ip: a.ipv4, v6: false }] : []),
    ...(a.ipv6 ? [{ ip: a.ipv6, v6: true }] : []),
  ];
}

export const prefixOf = (cidr: string) => cidr.split('/')[1]!;
