/** The CNI spec versions cello speaks, oldest first. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

export const LATEST_VERSION: CniVersion = '1.1.0';

export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** Compare dotted versions numerically: <0, 0, >0. Non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `ips[].version` exists only in 0.3.x and 0.4.0 results. */
export const hasIpVersion = (v: string) => compareVersions(v, '0.3.0') >= 0 && compareVersions(v, '1.0.0') < 0;
export const hasCheck = (v: string) => compareVersions(v, '0.4.0') >= 0;
export const hasPrevResultOnDel = hasCheck;
export const hasGcAndStatus = (v: string) => compareVersions(v, '1.1.0') >= 0;
