/** The vpc-sim arguments that need more than yargs checks: `api`'s Key=Value pairs. */
import { UsageError } from '@cello/cli-kit';

/** `Key=Value` arguments of `vpc-sim api`. */
export function parseApiParams(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new UsageError(`parameter "${a}" must be Key=Value (e.g. SubnetId=subnet-…)`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}
