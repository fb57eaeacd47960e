import { readFileSync, writeSync } from 'node:fs';
import { type ParsedConf, parseNetConf } from './config.ts';
import { CniError, ErrorCode, asCniError } from './errors.ts';
import { type CniEnv, parseEnv } from './env.ts';
import { toVersion } from './result.ts';
import type { Result, VersionResult } from './types.ts';
import { LATEST_VERSION, SUPPORTED_VERSIONS, hasCheck, hasGcAndStatus, isSupportedVersion } from './versions.ts';

/** What a verb handler gets: the validated environment and configuration. */
export interface Call {
  env: CniEnv;
  conf: ParsedConf;
}

export interface PluginHandlers {
  add(call: Call): Promise<Result>;
  del(call: Call): Promise<void>;
  check(call: Call): Promise<void>;
  gc(call: Call): Promise<void>;
  status(call: Call): Promise<void>;
}

export interface PluginIo {
  env?: NodeJS.ProcessEnv;
  readStdin?: () => string;
  /** Writes to stdout; the process exit code is returned, not set. */
  writeStdout?: (text: string) => void;
  writeStderr?: (text: string) => void;
}

function readAllStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** The answer to VERSION: echo a supported input version (as the spec says), else the newest. */
export function versionResult(stdin: string): VersionResult {
  let asked: unknown;
  try {
    asked = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
  } catch {
    asked = undefined;
  }
  return {
    cniVersion: isSupportedVersion(asked) ? asked : LATEST_VERSION,
    supportedVersions: [...SUPPORTED_VERSIONS],
  };
}

/** Best effort: the version an error should be reported in, even if the config was bad. */
function rawVersion(stdin: string): string | undefined {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && v !== '' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run one CNI invocation: validate env and stdin, dispatch to the verb handler,
 * print the result (in the config's version) or the error JSON on stdout.
 * Returns the process exit code: 0 on success, 1 on any error.
 */
export async function pluginMain(handlers: PluginHandlers, about: string, io: PluginIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const writeOut = io.writeStdout ?? ((t: string) => void writeSync(1, t));
  const writeErr = io.writeStderr ?? ((t: string) => void writeSync(2, t));
  const readStdin = io.readStdin ?? readAllStdin;

  if (!env.CNI_COMMAND) {
    writeErr(`${about}\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}\n`);
    return 0;
  }

  let stdin = '';
  let version: string | undefined;
  try {
    if (env.CNI_COMMAND === 'VERSION') {
      writeOut(`${JSON.stringify(versionResult(readStdin()))}\n`);
      return 0;
    }
    stdin = readStdin();
    const cniEnv = parseEnv(env);
    if (stdin.trim() === '') throw new CniError(ErrorCode.DecodingFailure, 'no network config on stdin');
    const conf = parseNetConf(stdin, cniEnv.command);
    version = conf.cniVersion;
    const call: Call = { env: cniEnv, conf };
    switch (cniEnv.command) {
      case 'ADD': {
        const result = await handlers.add(call);
        writeOut(`${JSON.stringify(toVersion(result, version), null, 2)}\n`);
        return 0;
      }
      case 'DEL':
        await handlers.del(call);
        return 0;
      case 'CHECK':
        if (!hasCheck(version)) {
          throw new CniError(ErrorCode.IncompatibleVersion, `config version ${version} does not allow CHECK`);
        }
        if (!conf.disableCheck) await handlers.check(call);
        return 0;
      case 'GC':
      case 'STATUS':
        if (!hasGcAndStatus(version)) {
          throw new CniError(ErrorCode.IncompatibleVersion, `config version ${version} does not allow ${cniEnv.command}`);
        }
        await (cniEnv.command === 'GC' ? handlers.gc(call) : handlers.status(call));
        return 0;
      default:
        throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${String(cniEnv.command)}`);
    }
  } catch (err) {
    const cniErr = asCniError(err);
    writeOut(`${JSON.stringify(cniErr.toJSON(version ?? rawVersion(stdin)), null, 2)}\n`);
    return 1;
  }
}
