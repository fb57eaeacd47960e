/**
 * What every cloud command does first: load the config files, connect
 * (metadata identity, credentials, client), with logs on stderr, progress on
 * a terminal, and SIGINT/SIGTERM turned into the stop signal (a second one
 * exits at once).
 */
import { type Logger, stopOnSignals } from '@cello/cli-kit';
import { type ConfigPaths, loadConfig, type LoadedConfig } from '../config/load.ts';
import { connect, type EniContext } from '../context.ts';
import { eniLogger } from '../log.ts';
import { ttyProgress } from '../util/progress.ts';

export interface GlobalArgs {
  config?: string;
  nodeConfig?: string;
  stateDir?: string;
  output?: string;
}

export const log: Logger = eniLogger();

export const pathsOf = (a: GlobalArgs): ConfigPaths => ({ config: a.config, nodeConfig: a.nodeConfig });

export function loadFromArgs(a: GlobalArgs): LoadedConfig {
  const loaded = loadConfig(pathsOf(a));
  for (const w of loaded.warnings) log.warn(w);
  return loaded;
}

/** An AbortSignal that SIGINT/SIGTERM fire; a second signal exits with 128+n. */
export function stopSignal(): AbortSignal {
  return stopOnSignals({ log });
}

export async function session(a: GlobalArgs, signal?: AbortSignal): Promise<EniContext> {
  const { config } = loadFromArgs(a);
  return connect(config, { log, signal, progress: ttyProgress() });
}
