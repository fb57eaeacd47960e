import { interfaceNameProblem, netnsPathProblem } from '@cello/records';
import { CniError, ErrorCode } from './errors.ts';
import type { Verb } from './types.ts';

export const VERBS: readonly Verb[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];

/** Variables each verb requires, as the spec states them (libcni always sends all six). */
const REQUIRED: Record<Verb, readonly string[]> = {
  ADD: ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: ['CNI_COMMAND', 'CNI_PATH'],
  STATUS: ['CNI_COMMAND'],
  VERSION: ['CNI_COMMAND'],
};

/** Keys cello understands in CNI_ARGS; anything else needs IgnoreUnknown. */
const KNOWN_ARGS = ['IgnoreUnknown', 'K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID'];

export interface CniArgs {
  ignoreUnknown: boolean;
  podNamespace?: string;
  podName?: string;
  podInfraContainerId?: string;
  podUid?: string;
  /** Every pair as given (unknown keys included when IgnoreUnknown allows them). */
  raw: Record<string, string>;
}

export interface CniEnv {
  command: Verb;
  containerId: string;
  netns: string;
  ifname: string;
  path: string[];
  args: CniArgs;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Interface names and netns paths follow @cello/records' input rules, which
 * are stricter than Go's `utils.ValidateInterfaceName`: they reach `ip -batch`
 * and /proc/sys, where `#`, quotes and whitespace would be syntax.
 */
export { interfaceNameProblem, netnsPathProblem };

export function containerIdProblem(id: string): string | undefined {
  if (id === '') return 'empty containerID';
  if (!CONTAINER_ID.test(id)) return 'invalid characters in containerID';
  return undefined;
}

const invalidEnv = (msg: string) => new CniError(ErrorCode.InvalidEnvironment, msg);

/** Parse `K=V;K2=V2`. Unknown keys are an error unless IgnoreUnknown is 1/true. */
export function parseCniArgs(text: string | undefined): CniArgs {
  const raw: Record<string, string> = {};
  for (const pair of (text ?? '').split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalidEnv(`CNI_ARGS: invalid pair "${pair}" (want KEY=VALUE)`);
    raw[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const ignore = raw.IgnoreUnknown ?? '';
  const ignoreUnknown = ignore === '1' || ignore.toLowerCase() === 'true';
  if (!ignoreUnknown) {
    const unknown = Object.keys(raw).filter((k) => !KNOWN_ARGS.includes(k));
    if (unknown.length) {
      throw invalidEnv(`CNI_ARGS: unknown args [${unknown.join(',')}] (set IgnoreUnknown=1 to allow them)`);
    }
  }
  return {
    ignoreUnknown,
    podNamespace: raw.K8S_POD_NAMESPACE || undefined,
    podName: raw.K8S_POD_NAME || undefined,
    podInfraContainerId: raw.K8S_POD_INFRA_CONTAINER_ID || undefined,
    podUid: raw.K8S_POD_UID || undefined,
    raw,
  };
}

/**
 * Read and validate the CNI_* variables for the verb in CNI_COMMAND.
 * Throws CniError code 4 naming the variable that is missing or invalid.
 */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (command === '') throw invalidEnv('required env variables [CNI_COMMAND] missing');
  if (!(VERBS as readonly string[]).includes(command)) throw invalidEnv(`unknown CNI_COMMAND: ${command}`);
  const verb = command as Verb;

  const missing = REQUIRED[verb].filter((k) => !env[k]);
  if (missing.length) throw invalidEnv(`required env variables [${missing.join(',')}] missing`);

  const containerId = env.CNI_CONTAINERID ?? '';
  const ifname = env.CNI_IFNAME ?? '';
  const netns = env.CNI_NETNS ?? '';
  if (verb === 'ADD' || verb === 'DEL' || verb === 'CHECK') {
    const idProblem = containerIdProblem(containerId);
    if (idProblem) throw invalidEnv(`CNI_CONTAINERID: ${idProblem}`);
    const ifProblem = interfaceNameProblem(ifname);
    if (ifProblem) throw invalidEnv(`CNI_IFNAME: ${ifProblem}`);
    const netnsProblem = netns === '' ? undefined : netnsPathProblem(netns);
    if (netnsProblem) throw invalidEnv(`CNI_NETNS: ${netnsProblem}`);
  }
  return {
    command: verb,
    containerId,
    netns,
    ifname,
    path: (env.CNI_PATH ?? '').split(':').filter(Boolean),
    args: verb === 'VERSION' ? parseCniArgs('') : parseCniArgs(env.CNI_ARGS),
  };
}
