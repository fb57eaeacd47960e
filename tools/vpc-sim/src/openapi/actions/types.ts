/** What an API action is given and what it returns. */
import type { Cloud } from '../../cloud/cloud.ts';
import type { Principal } from '../../cloud/tokens.ts';
import type { Params } from '../params.ts';

export interface ActionContext {
  cloud: Cloud;
  params: Params;
  principal: Principal;
}

export interface ActionDef {
  service: 'vpc' | 'ecs';
  /** Whether a `ClientToken` makes retries of this action idempotent. */
  clientToken?: boolean;
  /** Returns the `Result` object (RequestId is added by the server). */
  run(ctx: ActionContext): Promise<Record<string, unknown>> | Record<string, unknown>;
}
