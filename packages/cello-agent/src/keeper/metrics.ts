/**
 * The keeper process's own series: every OpenAPI call and every metadata
 * read (from the two clients' call hooks), with upstream Cello's names and labels
 * (upstream Cello's pkg/metrics) — except upstream's `requestId` label, which makes a new
 * series per call and is left out — plus rounds and events.
 */
import type { CallEvent, MetadataCallEvent } from '@cello/cello-eni';
import { Counter, Registry, Summary } from 'prom-client';

const QUANTILES = { percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5 };

export interface KeeperMetrics {
  registry: Registry;
  onCall(e: CallEvent): void;
  onMetadata(e: MetadataCallEvent): void;
  onRound(result: 'met' | 'unmet' | 'error'): void;
  onEvent(reason: string): void;
}

/** A metadata path with the parts that vary per node (MACs, the role name) folded, to keep series few. */
export function metadataLabel(path: string): string {
  return path
    .replace(/^\/+/, '')
    .replace(/macs\/[0-9a-f:-]{11,17}/i, 'macs/MAC')
    .replace(/security_credentials\/.+$/, 'security_credentials/ROLE');
}

export function keeperMetrics(): KeeperMetrics {
  const registry = new Registry();
  const reg = { registers: [registry] };
  const apiLatency = new Summary({
    name: 'openapi_latency_ms',
    help: 'OpenAPI call latency by action, error and code',
    labelNames: ['api', 'error', 'code'],
    ...QUANTILES,
    ...reg,
  });
  const apiErrors = new Counter({
    name: 'openapi_error_count',
    help: 'OpenAPI calls that failed, by action and code',
    labelNames: ['api', 'error', 'code'],
    ...reg,
  });
  const apiRetries = new Counter({
    name: 'cello_openapi_retries_total',
    help: 'OpenAPI calls that were retries of an earlier attempt',
    labelNames: ['api'],
    ...reg,
  });
  const apiWaits = new Counter({
    name: 'cello_openapi_rate_limited_ms_total',
    help: 'Time OpenAPI calls waited for the client-side rate limit',
    labelNames: ['api'],
    ...reg,
  });
  const mdLatency = new Summary({
    name: 'metadata_latency_ms',
    help: 'Metadata service read latency',
    labelNames: ['metadata', 'error', 'status'],
    ...QUANTILES,
    ...reg,
  });
  const mdErrors = new Counter({ name: 'metadata_error_count', help: 'Metadata service reads that failed', labelNames: ['metadata', 'error'], ...reg });
  const rounds = new Counter({ name: 'cello_keeper_rounds_total', help: 'Pool keeper rounds by result (met, unmet, error)', labelNames: ['result'], ...reg });
  const events = new Counter({
    name: 'cello_events_total',
    help: 'Kubernetes events the agent recorded on the node, by reason',
    labelNames: ['reason'],
    ...reg,
  });
  for (const result of ['met', 'unmet', 'error']) rounds.inc({ result }, 0);

  return {
    registry,
    onCall(e) {
      const failed = e.code !== 'OK';
      const labels = { api: e.action, error: String(failed), code: e.code };
      apiLatency.observe(labels, e.latencyMs);
      if (failed) apiErrors.inc(labels);
      if (e.attempt > 1) apiRetries.inc({ api: e.action });
      if (e.rateLimitedMs > 0) apiWaits.inc({ api: e.action }, e.rateLimitedMs);
    },
    onMetadata(e) {
      const metadata = metadataLabel(e.path);
      mdLatency.observe({ metadata, error: String(e.error !== undefined), status: String(e.status) }, e.latencyMs);
      // A 404 is an answer (tryGet turns it into "absent"), not a failure of the service.
      if (e.error !== undefined && e.status !== 404) mdErrors.inc({ metadata, error: e.error });
    },
    onRound: (result) => rounds.inc({ result }),
    onEvent: (reason) => events.inc({ reason }),
  };
}
