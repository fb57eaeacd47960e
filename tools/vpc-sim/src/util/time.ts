/** Timestamps as the Volcengine API writes them: RFC 3339 with the region's +08:00 offset. */
const OFFSET_MIN = 8 * 60;

export function rfc3339(ms: number = Date.now()): string {
  const local = new Date(ms + OFFSET_MIN * 60_000).toISOString().replace(/\.\d{3}Z$/, '');
  return `${local}+08:00`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
