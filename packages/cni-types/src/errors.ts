/** Error codes of the CNI spec (0–99 reserved; 100+ plugin specific). */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  /** cello-specific: an unexpected failure inside the plugin. */
  Internal: 999,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | number;

/** The error a CNI plugin reports: printed as JSON on stdout, exit non-zero. */
export class CniError extends Error {
  override readonly name = 'CniError';
  constructor(
    readonly code: ErrorCodeValue,
    msg: string,
    readonly details = '',
  ) {
    super(msg);
  }

  /** The spec's error object; `cniVersion` included as the spec asks (Go omits it). */
  toJSON(cniVersion?: string): { cniVersion?: string; code: number; msg: string; details?: string } {
    return {
      ...(cniVersion ? { cniVersion } : {}),
      code: this.code,
      msg: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Turn anything thrown into a CniError; plain errors become code 999 with their message. */
export function asCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof Error) return new CniError(ErrorCode.Internal, err.message);
  return new CniError(ErrorCode.Internal, String(err));
}
