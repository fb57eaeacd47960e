/** Tags on ENIs (TagResources / UntagResources with ResourceType=eni). */
import type { Cloud } from './cloud.ts';
import { CloudError } from './errors.ts';
import { dedupeTags } from './eni.ts';
import { MAX_TAGS_PER_RESOURCE } from './tag-rules.ts';
import type { Tag } from './types.ts';

export function tagEnis(cloud: Cloud, ids: string[], tags: Tag[]): void {
  const enis = ids.map((id) => cloud.eni(id));
  for (const eni of enis) {
    const merged = dedupeTags([...eni.tags, ...tags]);
    if (merged.length > MAX_TAGS_PER_RESOURCE) {
      throw new CloudError('QuotaExceeded.Tags', `A resource carries at most ${MAX_TAGS_PER_RESOURCE} tags; ${eni.id} would have ${merged.length}.`);
    }
  }
  for (const eni of enis) {
    eni.tags = dedupeTags([...eni.tags, ...tags]);
    cloud.touch(eni);
  }
}

export function untagEnis(cloud: Cloud, ids: string[], keys: string[]): void {
  const enis = ids.map((id) => cloud.eni(id));
  for (const eni of enis) {
    eni.tags = eni.tags.filter((t) => !keys.includes(t.Key));
    cloud.touch(eni);
  }
}
