/**
 * Where the OpenAPI keys come from: the config's static pair, or a RAM role's
 * STS credentials from the metadata service
 * (`iam/security_credentials/<role>`), refreshed at half their lifetime as
 * upstream does, and kept while still valid if a refresh fails. Every value
 * is registered as a secret so no log line or error can carry it.
 */
import type { Logger } from '@cello/cli-kit';
import type { CelloConfig } from '../config/resolve.ts';
import type { MetadataClient } from '../metadata/client.ts';
import { registerSecret } from './secrets.ts';

export interface Credentials {
  accessKeyId: string;
  secretKey: string;
  sessionToken?: string;
}

export interface CredentialProvider {
  readonly kind: 'static' | 'role';
  get(signal?: AbortSignal): Promise<Credentials>;
  /** The keys were refused: fetch fresh ones on the next get (role credentials only). */
  invalidate(): void;
}

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

export function staticCredentials(accessKeyId: string, secretKey: string): CredentialProvider {
  registerSecret(accessKeyId);
  registerSecret(secretKey);
  const creds = { accessKeyId, secretKey };
  return { kind: 'static', get: async () => creds, invalidate() {} };
}

interface StsDocument {
  AccessKeyId?: string;
  SecretAccessKey?: string;
  SessionToken?: string;
  ExpiredTime?: string;
  CurrentTime?: string;
}

/** After a failed refresh, try again this soon (upstream: 10 s). */
const RETRY_MS = 10_000;

export function roleCredentials(md: MetadataClient, role: string, log: Logger, now: () => number = Date.now): CredentialProvider {
  let cached: { creds: Credentials; refreshAt: number; expiresAt: number } | undefined;
  let inflight: Promise<Credentials> | undefined;

  async function fetchFresh(signal?: AbortSignal): Promise<Credentials> {
    const text = await md.get(`iam/security_credentials/${encodeURIComponent(role)}`, signal);
    let doc: StsDocument;
    try {
      doc = JSON.parse(text) as StsDocument;
    } catch {
      throw new CredentialError(`the metadata service's credentials for RAM role ${role} are not JSON`);
    }
    if (!doc.AccessKeyId || !doc.SecretAccessKey || !doc.SessionToken) {
      throw new CredentialError(`the metadata service's credentials for RAM role ${role} lack AccessKeyId, SecretAccessKey or SessionToken`);
    }
    for (const s of [doc.AccessKeyId, doc.SecretAccessKey, doc.SessionToken]) registerSecret(s);
    const t = now();
    const expiresAt = Date.parse(doc.ExpiredTime ?? '') || t + 15 * 60_000;
    const current = Date.parse(doc.CurrentTime ?? '') || t;
    const creds = { accessKeyId: doc.AccessKeyId, secretKey: doc.SecretAccessKey, sessionToken: doc.SessionToken };
    const first = !cached;
    cached = { creds, expiresAt, refreshAt: t + Math.max(1000, (expiresAt - current) / 2) };
    (first ? log.debug : log.info)('role credentials fetched', {
      role,
      expiresAt: new Date(expiresAt).toISOString(),
      refreshAt: new Date(cached.refreshAt).toISOString(),
    });
    return creds;
  }

  async function refresh(signal?: AbortSignal): Promise<Credentials> {
    try {
      return await fetchFresh(signal);
    } catch (err) {
      if (cached && now() < cached.expiresAt) {
        log.warn('refreshing role credentials failed; using the current ones until they expire', { role, error: err });
        cached.refreshAt = now() + RETRY_MS;
        return cached.creds;
      }
      throw err instanceof CredentialError ? err : new CredentialError(`cannot get credentials for RAM role ${role}: ${(err as Error).message}`);
    }
  }

  return {
    kind: 'role',
    get(signal) {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.creds);
      inflight ??= refresh(signal).finally(() => (inflight = undefined));
      return inflight;
    },
    invalidate() {
      if (cached) cached.refreshAt = 0;
    },
  };
}

/** The provider the config asks for. */
export function credentialsFor(cfg: CelloConfig, md: MetadataClient, log: Logger): CredentialProvider {
  if (cfg.ramRole) return roleCredentials(md, cfg.ramRole, log);
  return staticCredentials(cfg.credentialAccessKeyId!, cfg.credentialAccessKeySecret!);
}
