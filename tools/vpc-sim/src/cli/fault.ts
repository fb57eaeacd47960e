/** `vpc-sim fault …`: the fault-injection subcommands. */
import type { Argv } from 'yargs';
import { UsageError } from '@cello/cli-kit';
import { type ControlClient, ControlError } from '../control/client.ts';
import type { FaultSpec } from '../openapi/faults.ts';

type Print = (argv: unknown, data: unknown) => void;

export function faultCommand<T>(y: Argv<T & { name: string }>, control: (name: string) => ControlClient, print: Print) {
  const add = (spec: (a: Record<string, unknown>) => FaultSpec) => async (a: Record<string, unknown>) => {
    try {
      print(a, await control(String(a.name)).addFault(spec(a)));
    } catch (err) {
      // The server checks the rule; a refusal is a usage mistake.
      if (err instanceof ControlError && err.status === 400) throw new UsageError((err.body as { error: string }).error);
      throw err;
    }
  };
  const action = { type: 'string', description: 'only this action (default: every action)' } as const;
  const times = { type: 'number', description: 'hit this many calls, then stop (default: until cleared)' } as const;
  const probability = { type: 'number', description: 'hit only this share of the calls (0-1]' } as const;
  const opt = (a: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(keys.filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));

  return y
    .command(
      'throttle',
      'answer FlowLimitExceeded (HTTP 429) beyond RATE calls per second of each action',
      (c) => c.option('action', action).option('rate', { type: 'number', demandOption: true, description: 'calls per second allowed' }),
      add((a) => ({ kind: 'throttle', rate: a.rate as number, ...opt(a, 'action') })),
    )
    .command(
      'error',
      'answer with an HTTP 5xx and its error envelope',
      (c) =>
        c
          .option('action', action)
          .option('status', { type: 'number', default: 500, description: 'HTTP status (5xx)' })
          .option('code', { type: 'string', description: 'error code (default: by status, e.g. 503 → ServiceUnavailableTemp)' })
          .option('times', times)
          .option('probability', probability),
      add((a) => ({ kind: 'error', ...opt(a, 'action', 'status', 'code', 'times', 'probability') })),
    )
    .command(
      'garbage',
      'answer with a non-JSON (HTML) body',
      (c) => c.option('action', action).option('status', { type: 'number', default: 502 }).option('times', times).option('probability', probability),
      add((a) => ({ kind: 'garbage', ...opt(a, 'action', 'status', 'times', 'probability') })),
    )
    .command(
      'latency',
      'hold each answer MS milliseconds',
      (c) => c.option('action', action).option('ms', { type: 'number', demandOption: true }).option('times', times).option('probability', probability),
      add((a) => ({ kind: 'latency', ms: a.ms as number, ...opt(a, 'action', 'times', 'probability') })),
    )
    .command(
      'nth',
      'fail the CALL-th call (counted from now) of ACTION with CODE',
      (c) =>
        c
          .option('action', { type: 'string', demandOption: true })
          .option('call', { type: 'number', demandOption: true, description: 'which call: 1 = the next one' })
          .option('code', { type: 'string', demandOption: true })
          .option('status', { type: 'number', description: 'HTTP status (default: by code)' }),
      add((a) => ({ kind: 'nth', action: a.action as string, n: a.call as number, code: a.code as string, ...opt(a, 'status') })),
    )
    .command(
      'metadata-lag',
      'delay new (and removed) ENIs and IPs in the metadata service by MS milliseconds',
      (c) => c.option('ms', { type: 'number', demandOption: true }),
      async (a) => print(a, await control(String(a.name)).setMetadataLag(a.ms as number)),
    )
    .command(
      'list',
      'list injected faults and configured flow limits',
      (c) => c,
      async (a) => print(a, await control(String(a.name)).faults()),
    )
    .command(
      'clear',
      'remove injected faults (all, or --id) and reset the metadata lag',
      (c) => c.option('id', { type: 'number', description: 'only this fault' }),
      async (a) => print(a, await control(String(a.name)).clearFaults(a.id as number | undefined)),
    )
    .demandCommand(1, 'name a fault: throttle, error, garbage, latency, nth, metadata-lag, list or clear');
}
