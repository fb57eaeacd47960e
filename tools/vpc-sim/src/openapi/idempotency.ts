/**
 * ClientToken: a retried call with the same token and the same parameters
 * gets the first call's result (no second ENI); the same token with other
 * parameters gets IdempotentParameterMismatch. Failed calls are not
 * remembered, so a retry after an error runs again.
 */
import { CloudError, invalid } from '../cloud/errors.ts';
import type { Params } from './params.ts';

type Result = Record<string, unknown>;

export class Idempotency {
  private readonly seen = new Map<string, { fingerprint: string; result: Promise<Result> }>();

  run(action: string, params: Params, exec: () => Promise<Result>): Promise<Result> {
    const token = params.str('ClientToken');
    if (!token) return exec();
    if (token.length > 64) throw invalid('ClientToken', 'it is longer than 64 characters');
    const key = `${action}\n${token}`;
    const fingerprint = params.fingerprint(['ClientToken']);
    const prior = this.seen.get(key);
    if (prior) {
      if (prior.fingerprint !== fingerprint) {
        return Promise.reject(new CloudError('IdempotentParameterMismatch', `The ClientToken ${token} was used before with different parameters.`));
      }
      return prior.result.then((r) => structuredClone(r));
    }
    const result = exec();
    this.seen.set(key, { fingerprint, result });
    result.catch(() => this.seen.delete(key));
    return result.then((r) => structuredClone(r));
  }
}
