/**
 * Imported before the SDK (module order matters), to keep credentials out of
 * debug output:
 * - `DEBUG=@volcengine/openapi:*` makes the SDK print request headers (the
 *   signature, the STS token): those namespaces are dropped from DEBUG, which
 *   the `debug` package reads when it loads;
 * - `NODE_DEBUG=signer` makes its signer print the canonical request with
 *   the STS token. Node reads NODE_DEBUG at start-up, so instead the
 *   `signer` section of util.debuglog is muted before the signer asks for it.
 */
import util from 'node:util';

const debug = process.env.DEBUG;
if (debug) {
  const kept = debug.split(/[\s,]+/).filter((ns) => ns && !/volcengine|^\*$/.test(ns));
  if (kept.length) process.env.DEBUG = kept.join(',');
  else delete process.env.DEBUG;
}

const debuglog = util.debuglog;
const muted = Object.assign(() => {}, { enabled: false });
util.debuglog = ((section: string, ...rest: unknown[]) =>
  section.toLowerCase() === 'signer' ? muted : (debuglog as (...a: unknown[]) => unknown)(section, ...rest)) as typeof util.debuglog;
