/**
 * Both pagination styles of the API:
 * - PageNumber/PageSize: `Result.PageNumber`, `PageSize`, `TotalCount`;
 * - MaxResults/NextToken: used as soon as either is given.
 * `Result.NextToken` is always present: the token of the next page, or "" on
 * the last one. A token names the last item returned, so pages stay correct
 * while items come and go.
 */
import { invalid } from '../cloud/errors.ts';
import type { Params } from './params.ts';

export interface PageOptions<T> {
  /** Whether the action accepts PageNumber/PageSize (DescribeInstances does not). */
  pageNumbers: boolean;
  defaultSize: number;
  maxSize: number;
  /** A number that orders the items and never changes for one item. */
  seqOf: (item: T) => number;
}

const encodeToken = (seq: number) => Buffer.from(`after:${seq}`).toString('base64url');

function decodeToken(token: string): number {
  const m = /^after:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw invalid('NextToken', 'it is not a token this API returned');
  return Number(m[1]);
}

export function paginate<T>(all: T[], p: Params, opts: PageOptions<T>): { items: T[]; fields: Record<string, unknown> } {
  const sorted = [...all].sort((a, b) => opts.seqOf(a) - opts.seqOf(b));
  const token = p.str('NextToken') || undefined;
  const maxResults = p.int('MaxResults', 1, opts.maxSize);
  const tokenStyle = !opts.pageNumbers || token !== undefined || maxResults !== undefined;

  if (tokenStyle) {
    const size = maxResults ?? opts.defaultSize;
    const after = token === undefined ? -Infinity : decodeToken(token);
    const rest = sorted.filter((x) => opts.seqOf(x) > after);
    const items = rest.slice(0, size);
    const more = rest.length > size;
    return { items, fields: { TotalCount: all.length, NextToken: more ? encodeToken(opts.seqOf(items.at(-1)!)) : '' } };
  }
  const pageNumber = p.int('PageNumber', 1) ?? 1;
  const pageSize = p.int('PageSize', 1, opts.maxSize) ?? opts.defaultSize;
  const start = (pageNumber - 1) * pageSize;
  const items = sorted.slice(start, start + pageSize);
  const more = sorted.length > start + pageSize;
  return {
    items,
    fields: {
      TotalCount: all.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      NextToken: more && items.length ? encodeToken(opts.seqOf(items.at(-1)!)) : '',
    },
  };
}
