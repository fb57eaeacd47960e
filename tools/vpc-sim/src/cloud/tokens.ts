/**
 * Who may call the API: the account owner's long-term key, and the
 * short-lived role credentials (STS) the metadata service hands to each
 * instance. Role credentials rotate at half their lifetime and stay valid
 * until their own expiry, like the real service's.
 */
import { randomSecret } from '../util/ids.ts';
import { CloudError } from './errors.ts';
import type { Credentials } from './types.ts';

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: number;
  expiresAt: number;
  instanceId: string;
}

/** Who signed a request. */
export type Principal = { kind: 'owner' } | { kind: 'role'; instanceId: string };

const KEEP_EXPIRED_MS = 3600_000;

export class CredentialStore {
  private readonly byKey = new Map<string, RoleCredentials>();
  private readonly current = new Map<string, RoleCredentials>();

  constructor(
    private readonly owner: Credentials,
    public lifetimeSec: number,
  ) {}

  /** The instance's current role credentials, issuing new ones once half the old lifetime has passed. */
  roleCredentials(instanceId: string, now = Date.now()): RoleCredentials {
    const cur = this.current.get(instanceId);
    if (cur && now < cur.issuedAt + (cur.expiresAt - cur.issuedAt) / 2) return cur;
    const fresh: RoleCredentials = {
      accessKeyId: `AKTP${randomSecret(28)}`,
      secretAccessKey: randomSecret(40),
      sessionToken: `STS2${randomSecret(120)}`,
      issuedAt: now,
      expiresAt: now + this.lifetimeSec * 1000,
      instanceId,
    };
    this.current.set(instanceId, fresh);
    this.byKey.set(fresh.accessKeyId, fresh);
    this.prune(now);
    return fresh;
  }

  /** Forget an instance's credentials (the instance is gone). */
  revoke(instanceId: string): void {
    this.current.delete(instanceId);
    for (const [k, c] of this.byKey) if (c.instanceId === instanceId) this.byKey.delete(k);
  }

  /**
   * The secret for `accessKeyId` and who it belongs to, after checking the
   * session token for role keys. Throws the gateway's auth errors.
   */
  resolve(accessKeyId: string, sessionToken: string | undefined, now = Date.now()): { secret: string; principal: Principal } {
    if (accessKeyId === this.owner.accessKeyId) {
      return { secret: this.owner.secretAccessKey, principal: { kind: 'owner' } };
    }
    const role = this.byKey.get(accessKeyId);
    if (!role) throw new CloudError('InvalidAccessKey', `The access key ${accessKeyId} does not exist.`);
    if (!sessionToken) {
      throw new CloudError('MissingAuthenticationToken', 'A temporary access key needs its session token in X-Security-Token.');
    }
    if (sessionToken !== role.sessionToken) {
      throw new CloudError('InvalidAccessKey', 'The security token does not belong to this access key.');
    }
    if (now >= role.expiresAt) {
      throw new CloudError(
        'InvalidAccessKey',
        `The temporary credentials expired at ${new Date(role.expiresAt).toISOString()}; fetch new ones from the metadata service.`,
      );
    }
    return { secret: role.secretAccessKey, principal: { kind: 'role', instanceId: role.instanceId } };
  }

  private prune(now: number) {
    for (const [k, c] of this.byKey) if (c.expiresAt + KEEP_EXPIRED_MS < now) this.byKey.delete(k);
  }
}
