/**
 * An ENI's last change by the cloud's clock: the later of UpdatedAt and
 * CreatedAt (RFC 3339). Cloud-side grace periods count from here, as
 * upstream's leak sweep does. Undefined when neither parses (upstream skips
 * such ENIs; so do we, by never letting their grace run out).
 */
import type { CloudEni } from '@cello/cello-eni';

export function lastChange(e: Pick<CloudEni, 'createdAt' | 'updatedAt'>): Date | undefined {
  const t = Math.max(Date.parse(e.createdAt) || 0, Date.parse(e.updatedAt) || 0);
  return t > 0 ? new Date(t) : undefined;
}

/** A time tag's value, or undefined when absent or not a time. */
export function tagTime(e: Pick<CloudEni, 'tags'>, key: string): Date | undefined {
  const t = Date.parse(e.tags[key] ?? '');
  return Number.isNaN(t) ? undefined : new Date(t);
}
