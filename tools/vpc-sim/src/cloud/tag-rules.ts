/**
 * The rules Volcengine applies to user tags (docs/volcengine-api.md, "Tags"):
 * a key is 1–128 characters of letters, digits, space and `_ . : / = + - @`,
 * neither starting nor ending with a space, and never beginning with `volc:`
 * or `sys:` in any case (those are the platform's own) — InvalidTagKey.Malformed;
 * a value is 0–255 of the same characters; at most 20 tags (or keys) and 50
 * resource ids per TagResources / UntagResources call; at most 50 tags on one
 * resource. CreateNetworkInterface takes its `Tags.N` under the same rules.
 *
 * `allowReservedTagKeys` (sim config) lets `volc:`/`sys:` keys through, for
 * testing the VKE tag scheme as a VKE-managed account would use it.
 */
import type { Cloud } from './cloud.ts';
import { CloudError } from './errors.ts';
import type { Tag } from './types.ts';

export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAGS_PER_CALL = 20;
export const MAX_RESOURCES_PER_CALL = 50;

const KEY_CHARS = /^[A-Za-z0-9 _.:/=+\-@]{1,128}$/;
const VALUE_CHARS = /^[A-Za-z0-9 _.:/=+\-@]{0,255}$/;
const RESERVED = /^(volc|sys):/i;

export const isReservedTagKey = (key: string) => RESERVED.test(key);

export function checkTagKey(cloud: Cloud, key: string): void {
  if (!KEY_CHARS.test(key) || key.startsWith(' ') || key.endsWith(' ')) {
    throw new CloudError(
      'InvalidTagKey.Malformed',
      `The tag key ${JSON.stringify(key)} is malformed: 1-128 letters, digits, spaces or _.:/=+-@, not starting or ending with a space.`,
    );
  }
  if (isReservedTagKey(key) && !cloud.config.allowReservedTagKeys) {
    throw new CloudError(
      'InvalidTagKey.Malformed',
      `The tag key ${JSON.stringify(key)} is malformed: keys beginning with volc: or sys: (any case) are reserved for the system.`,
    );
  }
}

export function checkTagValue(value: string): void {
  if (!VALUE_CHARS.test(value)) {
    throw new CloudError('InvalidTagValue.Malformed', `The tag value ${JSON.stringify(value)} is malformed: 0-255 letters, digits, spaces or _.:/=+-@.`);
  }
}

/** The tags of one call (CreateNetworkInterface or TagResources). */
export function checkTags(cloud: Cloud, tags: Tag[]): void {
  if (tags.length > MAX_TAGS_PER_CALL) {
    throw new CloudError('InvalidParameter', `The parameter Tags is invalid: at most ${MAX_TAGS_PER_CALL} tags per call, got ${tags.length}.`);
  }
  for (const t of tags) {
    checkTagKey(cloud, t.Key);
    checkTagValue(t.Value);
  }
}

/** The keys of one UntagResources call. */
export function checkTagKeys(cloud: Cloud, keys: string[]): void {
  if (keys.length > MAX_TAGS_PER_CALL) {
    throw new CloudError('InvalidParameter', `The parameter TagKeys is invalid: at most ${MAX_TAGS_PER_CALL} keys per call, got ${keys.length}.`);
  }
  for (const k of keys) checkTagKey(cloud, k);
}

export function checkResourceCount(ids: string[]): void {
  if (ids.length > MAX_RESOURCES_PER_CALL) {
    throw new CloudError('InvalidParameter', `The parameter ResourceIds is invalid: at most ${MAX_RESOURCES_PER_CALL} resources per call, got ${ids.length}.`);
  }
}
