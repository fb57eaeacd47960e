/**
 * Imported before the SDK (module order matters): the SDK's debug output
 * (`DEBUG=@volcengine/openapi:*`) prints request headers with the signature
 * and STS token, and `NODE_DEBUG=signer` prints the canonical request with
 * the token. Both are switched off for this process, whatever the caller set.
 */
const debug = process.env.DEBUG;
if (debug) {
  const kept = debug.split(/[\s,]+/).filter((ns) => ns && !/volcengine|^\*$/.test(ns));
  if (kept.length) process.env.DEBUG = kept.join(',');
  else delete process.env.DEBUG;
}
const nodeDebug = process.env.NODE_DEBUG;
if (nodeDebug && /signer/i.test(nodeDebug)) {
  process.env.NODE_DEBUG = nodeDebug
    .split(',')
    .filter((m) => m.trim().toLowerCase() !== 'signer')
    .join(',');
}
