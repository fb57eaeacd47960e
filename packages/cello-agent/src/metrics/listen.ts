/**
 * The metrics server's address when `--listen` is not given: the config's
 * `metricsListen` (cello-eni's schema checks it), read once at start. A
 * config that cannot be read falls back to the default with a warning: the
 * health endpoint must come up for the probes to say why the node is not ready.
 */
import type { Logger } from '@cello/cli-kit';
import { DEFAULT_METRICS_LISTEN, loadConfig, parseListenAddress } from '@cello/cello-eni';

export function metricsListen(configFile: string, nodeConfigFile: string, log: Logger): { host: string; port: number } {
  let value = DEFAULT_METRICS_LISTEN;
  try {
    value = loadConfig({ config: configFile, nodeConfig: nodeConfigFile }).config.metricsListen;
  } catch (err) {
    log.warn(`cannot read metricsListen from the config; listening on ${DEFAULT_METRICS_LISTEN}`, { error: err });
  }
  return parseListenAddress(value)!;
}
