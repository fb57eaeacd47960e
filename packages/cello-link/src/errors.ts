import { UsageError } from '@cello/cli-kit';

/** Bad input naming the field (`allocation.eni.mac: …`): cli-kit's UsageError, so the CLI exits 2 and cello-cni answers code 7. */
export const inputError = (field: string, problem: string) => new UsageError(`${field}: ${problem}`);

/** A kernel operation failed: says on which side, which command, and what the kernel said. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    message: string,
    readonly side: 'host' | 'pod',
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The asked datapath needs a kernel feature this machine lacks. */
export class KernelLacksError extends Error {
  override readonly name = 'KernelLacksError';
}
