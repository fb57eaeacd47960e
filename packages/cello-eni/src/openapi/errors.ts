/**
 * What a failed OpenAPI call looks like to callers: one error type with the
 * API's code (or our own for transport failures), and how to treat it.
 *
 * The SDK resolves with the body whatever the HTTP status, so the code in
 * `ResponseMetadata.Error` is all there is to go on (reference §2).
 */
import { scrubSecrets } from '../credentials/secrets.ts';

/** Codes we make up for failures that never produced an API error. */
export const NETWORK_ERROR = 'NetworkError';
export const BAD_RESPONSE = 'BadResponse';

export class OpenApiError extends Error {
  override readonly name = 'OpenApiError';
  readonly exitCode = 1;
  constructor(
    readonly action: string,
    readonly code: string,
    message: string,
    readonly codeN?: number,
    readonly requestId?: string,
  ) {
    // Gateways echo access key ids in messages: never let one through.
    super(scrubSecrets(`${action}: ${code}: ${message}${requestId ? ` (request ${requestId})` : ''}`));
  }
}

/** Throttling: retried with backoff (reference §4). */
export const THROTTLE_CODES = new Set([
  'FlowLimitExceeded',
  'AccountFlowLimitExceeded',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
]);

/**
 * Server-side trouble: retried. Upstream Cello treats InternalError as
 * terminal; we cannot see the HTTP status (the SDK hides it) and a 500 is
 * never the caller's fault, so it is retried like the gateway's 5xx codes.
 */
export const TRANSIENT_CODES = new Set([
  'InternalError',
  'InternalServiceError',
  'InternalServiceTimeout',
  'ServiceUnavailable',
  'ServiceUnavailableTemp',
  NETWORK_ERROR,
  BAD_RESPONSE,
]);

/** The ENI is between states: retried on every write since upstream commit 10cea4f. */
export const STATUS_CODES = new Set(['InvalidEni.InvalidStatus']);

/** Signature or key refused: with role credentials, fetch fresh ones and try once more. */
export const AUTH_CODES = new Set(['InvalidAccessKey', 'MissingAuthenticationToken', 'SignatureDoesNotMatch']);

/** Per action, the codes that mean "already done" (reference §4, Cello's table). */
export const IDEMPOTENT_SUCCESS: Record<string, readonly string[]> = {
  DeleteNetworkInterface: ['InvalidEniId.NotFound', 'InvalidEni.InstanceMismatch'],
  DetachNetworkInterface: ['InvalidEniId.NotFound', 'InvalidEni.InstanceMismatch'],
  UnassignPrivateIpAddresses: ['InvalidEniId.NotFound', 'InvalidPrivateIp.Malformed'],
  UnassignIpv6Addresses: ['InvalidEniId.NotFound', 'InvalidIpv6.Malformed'],
};

export type Treatment = 'success' | 'retry' | 'refresh-credentials' | 'fail';

/** How the client treats an error code for an action. */
export function treatment(action: string, code: string, opts: { roleCredentials?: boolean } = {}): Treatment {
  if (IDEMPOTENT_SUCCESS[action]?.includes(code)) return 'success';
  if (THROTTLE_CODES.has(code) || TRANSIENT_CODES.has(code) || STATUS_CODES.has(code)) return 'retry';
  if (opts.roleCredentials && AUTH_CODES.has(code)) return 'refresh-credentials';
  return 'fail';
}

export const isThrottle = (code: string) => THROTTLE_CODES.has(code);

/** The subnet has no free address: the keeper holds it off for a while. */
export const isSubnetFull = (e: unknown) => e instanceof OpenApiError && e.code === 'InsufficientIpInSubnet';

/** Quota or per-instance limit: more calls will not help until something changes. */
export const isLimit = (e: unknown) => e instanceof OpenApiError && /^(QuotaExceeded|LimitExceeded)\./.test(e.code);
