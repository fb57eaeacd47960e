/**
 * Which keeper troubles become Kubernetes events on the node, with upstream
 * Cello's reason names (upstream Cello's pkg/tracing/event.go; upstream declared them but never
 * emitted any). Sources: every OpenAPI call's error code (the client's call
 * hook), the round's `blocked` reason, and an error that stops the keeper.
 */
import { CredentialError, isThrottle, OpenApiError, type RoundReport } from '@cello/cello-eni';

export interface NodeEvent {
  reason: string;
  message: string;
}

const AUTH_CODES = new Set(['InvalidAccessKey', 'MissingAuthenticationToken', 'SignatureDoesNotMatch', 'InvalidAuthorization', 'AccessDenied', 'Forbidden']);

/** An OpenAPI error code as an event, or undefined for codes that are not one of ours. */
export function eventForCode(action: string, code: string): NodeEvent | undefined {
  if (/^QuotaExceeded\./.test(code)) {
    return {
      reason: 'VpcResourceQuotaExceeded',
      message: `${action}: ${code}: an account quota is used up; raise the quota or lower poolTarget/poolTargetMin`,
    };
  }
  if (code === 'InsufficientIpInSubnet') {
    return { reason: 'InsufficientIpInSubnet', message: `${action}: ${code}: a configured subnet has no free address; add subnets to cello-config` };
  }
  if (isThrottle(code)) {
    return { reason: 'OpenApiFlowLimit', message: `${action}: ${code}: the OpenAPI is throttling this account; calls are retried with backoff` };
  }
  if (AUTH_CODES.has(code)) {
    return {
      reason: 'CredentialServiceAbnormal',
      message: `${action}: ${code}: the OpenAPI refused the credentials; check ramRole or the access key in cello-config`,
    };
  }
  return undefined;
}

/**
 * What stopped a round, as an event: only "no subnet can take a new ENI" is
 * one of its own (quotas and full subnets already come from the call hook).
 */
export function eventForBlocked(r: Pick<RoundReport, 'blocked' | 'blockedBy'>): NodeEvent | undefined {
  if (r.blockedBy === 'no-subnet' && r.blocked) return { reason: 'NoAvailableSubnet', message: r.blocked };
  return undefined;
}

/** Each pod network whose pool could not grow (docs/podnetworks.md), as an event naming it. */
export function eventsForNetworks(r: Pick<RoundReport, 'podNetworks'>): NodeEvent[] {
  return r.podNetworks.filter((n) => n.blocked).map((n) => ({ reason: 'PodNetworkPoolBlocked', message: `podnetwork ${n.network}: ${n.blocked}` }));
}

/** An error thrown out of a call or out of the keeper. */
export function eventForError(err: unknown): NodeEvent | undefined {
  if (err instanceof CredentialError || (err as Error)?.name === 'CredentialError') {
    return { reason: 'CredentialServiceAbnormal', message: `cannot get cloud credentials: ${(err as Error).message}` };
  }
  if (err instanceof OpenApiError) return eventForCode(err.action, err.code);
  return undefined;
}
