import { randomBytes } from 'node:crypto';
import { type Logger, createLogger } from '@cello/cli-kit';
import type { Call } from '@cello/cni-types';
import type { CelloNetConf } from './netconf.ts';

/** The JSON-lines logger of one CNI call: every line carries a trace id, the verb and the pod. */
export function callLogger(call: Call, cfg: CelloNetConf): Logger {
  const { env } = call;
  return createLogger({
    component: 'cello-cni',
    file: cfg.logFile || undefined,
    level: cfg.logLevel,
    fields: {
      traceId: randomBytes(4).toString('hex'),
      verb: env.command,
      network: call.conf.conf.name,
      containerId: env.containerId || undefined,
      ifname: env.ifname || undefined,
      pod: env.args.podName ? `${env.args.podNamespace ?? ''}/${env.args.podName}` : undefined,
    },
  });
}
