/** Filters shared by the Describe actions. */
import type { Tag } from '../cloud/types.ts';

/** Every filter must match: the resource has the key with one of the values (any value when none are given). */
export function matchesTagFilters(tags: Tag[], filters: Array<{ key: string; values: string[] }>): boolean {
  return filters.every((f) => tags.some((t) => t.Key === f.key && (f.values.length === 0 || f.values.includes(t.Value))));
}

/** True when the list filter is empty or contains the value. */
export const inList = (list: string[], value: string | undefined) => list.length === 0 || (value !== undefined && list.includes(value));

/** True when the scalar filter is absent/empty or equals the value. */
export const equalsIf = (filter: string | undefined, value: string | undefined) => !filter || filter === value;
