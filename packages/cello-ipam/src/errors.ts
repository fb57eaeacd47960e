/**
 * Typed errors. Each carries the exit code cli-kit's runMain uses, so the CLI
 * needs no mapping: bad input exits 2, everything else 1.
 */

/** A document or request that is malformed; the message names the field. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  readonly exitCode = 2;
}

/** A well-formed request that contradicts what the store holds (e.g. an ENI id re-imported with another MAC). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly exitCode = 1;
}

/** The database is newer than this code or otherwise unusable. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly exitCode = 1;
}

/**
 * Why an allocation found nothing:
 * - `no-eni`: no active ENI of the node's mode is known (the keeper has imported none);
 * - `cooling`: every candidate is cooling down; one becomes free at `freeAt`;
 * - `exhausted`: everything is used or being released.
 */
export type NoFreeIpReason = 'no-eni' | 'cooling' | 'exhausted';

export class NoFreeIpError extends Error {
  override readonly name = 'NoFreeIpError';
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly reason: NoFreeIpReason,
    /** When the first cooling IP becomes free (reason `cooling`). */
    readonly freeAt: Date | undefined,
    /** True when the failed attempt was recorded as a demand for the pool keeper. */
    readonly demandRecorded: boolean,
  ) {
    super(message);
  }
}
