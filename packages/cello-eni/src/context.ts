/**
 * Everything a cloud operation needs, made once per process: the config, the
 * metadata client and this instance's identity, credentials, the OpenAPI
 * client (its `metrics` are the agent's hook) and the typed actions.
 */
import type { Logger } from '@cello/cli-kit';
import { type CelloConfig, metadataBase, openApiEndpoint } from './config/resolve.ts';
import { type CredentialProvider, credentialsFor } from './credentials/provider.ts';
import { SILENT } from './log.ts';
import { CloudApi } from './openapi/api.ts';
import { OpenApiClient } from './openapi/client.ts';
import { MetadataClient } from './metadata/client.ts';
import { type NodeIdentity, readIdentity } from './metadata/instance.ts';
import type { Progress } from './util/progress.ts';

export interface EniContext {
  config: CelloConfig;
  log: Logger;
  metadata: MetadataClient;
  identity: NodeIdentity;
  credentials: CredentialProvider;
  client: OpenApiClient;
  api: CloudApi;
  signal?: AbortSignal;
  /** Progress lines for long waits (a TTY's stderr), if any. */
  progress?: Progress;
}

export interface ConnectOptions {
  log?: Logger;
  signal?: AbortSignal;
  progress?: Progress;
  /** Skip the metadata lookup (cello-gc on a machine that knows who it is). */
  identity?: NodeIdentity;
}

export function metadataClient(cfg: CelloConfig): MetadataClient {
  return new MetadataClient(metadataBase(cfg), cfg.metadataTimeoutSec * 1000);
}

export async function connect(config: CelloConfig, opts: ConnectOptions = {}): Promise<EniContext> {
  const log = opts.log ?? SILENT;
  const metadata = metadataClient(config);
  const identity = opts.identity ?? (await readIdentity(metadata, opts.signal));
  const credentials = credentialsFor(config, metadata, log);
  const client = new OpenApiClient({
    endpoint: openApiEndpoint(config),
    region: identity.region,
    credentials,
    rateLimits: config.rateLimits,
    backoff: config.backoff,
    timeoutMs: config.openApiTimeoutSec * 1000,
    log,
  });
  return { config, log, metadata, identity, credentials, client, api: new CloudApi(client, opts.signal), signal: opts.signal, progress: opts.progress };
}
