import { UsageError } from '@cello/cli-kit';

/** Bad input: names the field. The CLI exits 2 on it. */
export class InputError extends UsageError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

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
