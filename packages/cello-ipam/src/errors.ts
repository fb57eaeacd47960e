/**
 * Typed errors. Bad input is cli-kit's UsageError (the CLI exits 2, cello-cni
 * answers code 7); everything else exits 1.
 */

/** A well-formed request that contradicts what the store holds (e.g. an ENI id re-imported with another MAC). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** The database is newer than this code or otherwise unusable. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/**
 * Why an allocation found nothing:
 * - `no-eni`: no active ENI of the node's mode is known (the keeper has imported none);
 * - `cooling`: every candidate is cooling down; one becomes free at `freeAt`;
 * - `exhausted`: everything is used or being released;
 * - `moving`: the pod's fixed address (fixed-ips.ts) is still being moved to this node.
 */
export type NoFreeIpReason = 'no-eni' | 'cooling' | 'exhausted' | 'moving';

export class NoFreeIpError extends Error {
  override readonly name = 'NoFreeIpError';
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
