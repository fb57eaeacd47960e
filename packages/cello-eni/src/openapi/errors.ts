/**
 * What a failed OpenAPI call looks like to callers: one error type with the
 * API's code (or our own for transport failures), and how to treat it.
 *
 * The SDK resolves with the body whatever the HTTP status, so the code in
 * `ResponseMetadata.Error` is all there is to go on (docs/volcengine-api.md,
 * "Answers"). Which codes are retried, and where each comes from, is the
 * table in docs/volcengine-api.md, "Error codes and what Cello does".
 */
import { scrubSecrets } from '../credentials/secrets.ts';

/** Codes we make up for failures that never produced an API error. */
export const NETWORK_ERROR = 'NetworkError';
export const BAD_RESPONSE = 'BadResponse';
/** The SDK threw before sending (e.g. empty keys): a local fault no retry mends. */
export const CLIENT_ERROR = 'ClientError';

export class OpenApiError extends Error {
  override readonly name = 'OpenApiError';
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

/** Throttling: retried with backoff (upstream's and the Go SDK's lists). */
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

/**
 * Busy: the resource is between states or another request holds it; the same
 * call works later. InvalidEni.InvalidStatus is retried on every write since
 * upstream commit 10cea4f; the `*.InUse` pair is documented on the unassign
 * actions as "being operated by another request, try later".
 */
export const STATUS_CODES = new Set(['InvalidEni.InvalidStatus', 'InvalidEip.InUse', 'InvalidAnycastEip.InUse']);

/**
 * Terminal: the request is wrong, or a quota, limit or missing resource that
 * retrying cannot change. Exact codes first, then the families every
 * documented code of that shape belongs to.
 */
export const TERMINAL_CODES = new Set([
  CLIENT_ERROR,
  'InvalidParameter',
  'MissingParameter',
  'UnsupportedParameter',
  'IdempotentParameterMismatch',
  'InsufficientIpInSubnet',
  'InvalidVpc.InvalidStatus',
  'InvalidSubnet.DisableIpv6',
  'InvalidPrivateIp.InUse',
  'InvalidIpv6.InUse',
  'InvalidActionOrVersion',
  'ServiceNotFound',
  'MethodNotAllowed',
  'InvalidTimestamp',
  'MissingRequestInfo',
  'MissingSignature',
  'MissingAuthenticationToken',
  'InvalidAccessKey',
  'SignatureDoesNotMatch',
  // With static keys nothing fetches new ones: as final as a refused key.
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'AccessDenied',
  'LackPolicy',
]);
const TERMINAL_FAMILIES = [
  /^(QuotaExceeded|LimitExceeded)\./,
  /\.(NotFound|Malformed|Mismatch|AccountMismatch|ZoneMismatch|IPv4ToIPv6OnlyInstance|NotInSubnet)$/,
  /^InvalidParameter\./,
  /^(Missing|Unsupported)/,
  /^(AccessDenied|Forbidden|Unauthorized|OperationDenied)/,
];

export const isTerminal = (code: string) => TERMINAL_CODES.has(code) || TERMINAL_FAMILIES.some((re) => re.test(code));

/** Actions that change nothing (or change it once, whatever the number of tries). */
const READ_RE = /^(Describe|List|Get)/;
/** Writes that are safe to repeat without a ClientToken: a second try finds the work done. */
const IDEMPOTENT_WRITES = new Set(['DetachNetworkInterface', 'DeleteNetworkInterface', 'TagResources', 'UntagResources']);

/**
 * Whether a call may be sent again after an answer we do not know: reads,
 * the writes above, and any call carrying a ClientToken (the cloud answers a
 * repeat with the first result). AttachNetworkInterface is the one that is
 * not: a repeat of an attach that happened is refused.
 */
export const isIdempotent = (action: string, hasClientToken = false) => hasClientToken || READ_RE.test(action) || IDEMPOTENT_WRITES.has(action);

/**
 * Signature, key or token refused or expired: with role credentials, fetch
 * fresh ones and try once more (signed anew). The Go SDK refreshes on
 * ExpiredToken, ExpiredTokenException, RequestExpired and InvalidAccessKey
 * (volcengine/request/retryer.go `credsExpiredCodes`); the gateway also
 * answers MissingAuthenticationToken to a role key sent without its token and
 * SignatureDoesNotMatch to a secret that does not match the key.
 */
export const AUTH_CODES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidAccessKey',
  'MissingAuthenticationToken',
  'SignatureDoesNotMatch',
]);

/** Per action, the codes that mean "already done" (upstream's treatment). */
export const IDEMPOTENT_SUCCESS: Record<string, readonly string[]> = {
  DeleteNetworkInterface: ['InvalidEniId.NotFound', 'InvalidEni.InstanceMismatch'],
  DetachNetworkInterface: ['InvalidEniId.NotFound', 'InvalidEni.InstanceMismatch'],
  UnassignPrivateIpAddresses: ['InvalidEniId.NotFound', 'InvalidPrivateIp.Malformed'],
  UnassignIpv6Addresses: ['InvalidEniId.NotFound', 'InvalidIpv6.Malformed'],
};

export type Treatment = 'success' | 'retry' | 'refresh-credentials' | 'fail';

/**
 * How the client treats an error code for an action: "already done" codes
 * are success; throttling, server trouble and busy resources are retried;
 * refused role credentials are fetched again; known terminal codes fail at
 * once; any other code is retried (within the class's steps) when the call
 * is idempotent, as upstream retries every code outside its terminal list,
 * and fails at once when it is not.
 */
export function treatment(action: string, code: string, opts: { roleCredentials?: boolean; idempotent?: boolean } = {}): Treatment {
  if (IDEMPOTENT_SUCCESS[action]?.includes(code)) return 'success';
  if (THROTTLE_CODES.has(code) || TRANSIENT_CODES.has(code) || STATUS_CODES.has(code)) return 'retry';
  if (opts.roleCredentials && AUTH_CODES.has(code)) return 'refresh-credentials';
  if (isTerminal(code)) return 'fail';
  return (opts.idempotent ?? isIdempotent(action)) ? 'retry' : 'fail';
}

export const isThrottle = (code: string) => THROTTLE_CODES.has(code);

/** The subnet has no free address: the keeper holds it off for a while. */
export const isSubnetFull = (e: unknown) => e instanceof OpenApiError && e.code === 'InsufficientIpInSubnet';

/** Quota or per-instance limit: more calls will not help until something changes. */
export const isLimit = (e: unknown) => e instanceof OpenApiError && /^(QuotaExceeded|LimitExceeded)\./.test(e.code);
