/**
 * An error the API returns in `ResponseMetadata.Error`. Gateway codes carry
 * the documented CodeN and HTTP status; business codes answer 400 (404 for
 * `*.NotFound`), as the VPC documentation lists them.
 */
const GATEWAY: Record<string, { codeN: number; status: number }> = {
  MissingParameter: { codeN: 100002, status: 400 },
  MissingAuthenticationToken: { codeN: 100003, status: 401 },
  MissingRequestInfo: { codeN: 100004, status: 400 },
  MissingSignature: { codeN: 100005, status: 401 },
  InvalidTimestamp: { codeN: 100006, status: 400 },
  ServiceNotFound: { codeN: 100007, status: 404 },
  InvalidActionOrVersion: { codeN: 100008, status: 404 },
  InvalidAccessKey: { codeN: 100009, status: 401 },
  SignatureDoesNotMatch: { codeN: 100010, status: 401 },
  AccessDenied: { codeN: 100013, status: 403 },
  InternalServiceError: { codeN: 100014, status: 500 },
  FlowLimitExceeded: { codeN: 100018, status: 429 },
  ServiceUnavailableTemp: { codeN: 100019, status: 503 },
  MethodNotAllowed: { codeN: 100020, status: 405 },
};

export class CloudError extends Error {
  override readonly name = 'CloudError';
  readonly status: number;
  readonly codeN?: number;

  constructor(
    readonly code: string,
    message: string,
    status?: number,
  ) {
    super(message);
    const gw = GATEWAY[code];
    this.codeN = gw?.codeN;
    this.status = status ?? gw?.status ?? (code.endsWith('.NotFound') ? 404 : code === 'InternalError' ? 500 : 400);
  }
}

export const missing = (param: string) => new CloudError('MissingParameter', `The required parameter ${param} is missing.`);
export const invalid = (param: string, why: string) => new CloudError('InvalidParameter', `The parameter ${param} is invalid: ${why}.`);
export const eniNotFound = (id: string) => new CloudError('InvalidEniId.NotFound', `The network interface ${id} does not exist.`);
export const eniStatus = (id: string, status: string, wanted: string) =>
  new CloudError('InvalidEni.InvalidStatus', `The network interface ${id} is ${status}; the request needs it ${wanted}.`);
export const instanceNotFound = (id: string) => new CloudError('InvalidInstanceId.NotFound', `The instance ${id} does not exist.`);
export const subnetNotFound = (id: string) => new CloudError('InvalidSubnet.NotFound', `The subnet ${id} does not exist.`);
