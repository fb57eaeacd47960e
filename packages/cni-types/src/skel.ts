import { readFileSync, writeSync } from 'node:fs';
import { type ParsedConf, parseNetConf } from './config.ts';
import { CniError, ErrorCode, asCniError } from './errors.ts';
import { type CniEnv, parseEnv } from './env.ts';
import { toVersion } from './result.ts';
import type { Result, Verb, VersionResult } from './types.ts';
import { LATEST_VERSION, SUPPORTED_VERSIONS, hasCheck, hasGcAndStatus, isSupportedVersion } from './versions.ts';

/** What a verb handler gets: the validated environment and configuration. */
export interface Call {
  env: CniEnv;
  conf: ParsedConf;
}

/**
 * A plugin's verbs, one handler each, keyed as CNI_COMMAND names them (ptp.go's
 * skel.CNIFuncs). VERSION gets the raw stdin: it must answer even a config
 * that does not parse (`versionResult` is the spec's answer).
 */
export interface PluginHandlers {
  ADD(call: Call): Promise<Result>;
  DEL(call: Call): Promise<void>;
  CHECK(call: Call): Promise<void>;
  GC(call: Call): Promise<void>;
  STATUS(call: Call): Promise<void>;
  VERSION(stdin: string): VersionResult;
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

/** The verbs a config's version allows (code 1 otherwise): CHECK from 0.4.0, GC and STATUS from 1.1.0. */
function requireVerbInVersion(verb: Verb, version: string): void {
  const allowed = verb === 'CHECK' ? hasCheck(version) : verb === 'GC' || verb === 'STATUS' ? hasGcAndStatus(version) : true;
  if (!allowed) throw new CniError(ErrorCode.IncompatibleVersion, `config version ${version} does not allow ${verb}`);
}

/**
 * Run one CNI invocation: validate env and stdin, run the verb's handler,
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
      writeOut(`${JSON.stringify(handlers.VERSION(readStdin()))}\n`);
      return 0;
    }
    stdin = readStdin();
    const cniEnv = parseEnv(env);
    if (stdin.trim() === '') throw new CniError(ErrorCode.DecodingFailure, 'no network config on stdin');
    const conf = parseNetConf(stdin, cniEnv.command);
    version = conf.cniVersion;
    const verb = cniEnv.command;
    requireVerbInVersion(verb, version);
    const call: Call = { env: cniEnv, conf };
    if (verb === 'ADD') {
      writeOut(`${JSON.stringify(toVersion(await handlers.ADD(call), version), null, 2)}\n`);
    } else if (verb === 'CHECK') {
      if (!conf.disableCheck) await handlers.CHECK(call);
    } else if (verb !== 'VERSION') {
      await handlers[verb](call);
    }
    return 0;
  } catch (err) {
    const cniErr = asCniError(err);
    writeOut(`${JSON.stringify(cniErr.toJSON(version ?? rawVersion(stdin)), null, 2)}\n`);
    return 1;
  }
}
