/** TagResources, UntagResources and ListTagsForResources (ResourceType=eni). */
import { CloudError, missing } from '../../cloud/errors.ts';
import { checkResourceCount, checkTagKeys, checkTags } from '../../cloud/tag-rules.ts';
import { tagEnis, untagEnis } from '../../cloud/tags.ts';
import { matchesTagFilters } from '../filters.ts';
import { paginate } from '../paging.ts';
import type { Params } from '../params.ts';
import type { ActionDef } from './types.ts';

const TYPES = ['vpc', 'eni', 'securitygroup', 'eip', 'subnet'];

function resourceType(p: Params): void {
  const t = p.required('ResourceType');
  if (!TYPES.includes(t)) throw new CloudError('InvalidParameter', `The parameter ResourceType is invalid: ${t} is not one of ${TYPES.join(', ')}.`);
  if (t !== 'eni') throw new CloudError('InvalidParameter', `The parameter ResourceType is invalid: the sim tags only ENIs (eni), not ${t}.`);
}

function resourceIds(p: Params): string[] {
  const ids = p.list('ResourceIds');
  if (!ids.length) throw missing('ResourceIds.1');
  checkResourceCount(ids);
  return ids;
}

export const TagResources: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    resourceType(p);
    const ids = resourceIds(p);
    const tags = p.tags();
    if (!tags.length) throw missing('Tags.1.Key');
    checkTags(cloud, tags);
    tagEnis(cloud, ids, tags);
    return {};
  },
};

export const UntagResources: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    resourceType(p);
    const ids = resourceIds(p);
    const keys = p.list('TagKeys');
    if (!keys.length) throw missing('TagKeys.1');
    checkTagKeys(cloud, keys);
    untagEnis(cloud, ids, keys);
    return {};
  },
};

export const ListTagsForResources: ActionDef = {
  service: 'vpc',
  run({ cloud, params: p }) {
    resourceType(p);
    const ids = p.list('ResourceIds');
    const filters = p.tagFilters();
    // A row's place is its ENI's creation order and the tag's index on it
    // (at most 50), so a NextToken stays right while ENIs come and go.
    const rows: Array<{ seq: number; ResourceId: string; ResourceType: string; TagKey: string; TagValue: string }> = [];
    for (const e of cloud.listEnis()) {
      if (ids.length && !ids.includes(e.id)) continue;
      if (!matchesTagFilters(e.tags, filters)) continue;
      for (const [i, t] of e.tags.entries()) rows.push({ seq: e.seq * 64 + i, ResourceId: e.id, ResourceType: 'eni', TagKey: t.Key, TagValue: t.Value });
    }
    const page = paginate(rows, p, { pageNumbers: false, defaultSize: 20, maxSize: 100, seqOf: (r) => r.seq });
    return { ResourceTags: page.items.map(({ seq: _seq, ...r }) => r), NextToken: page.fields.NextToken };
  },
};
