/**
 * SHA-1 in hex, for names derived from other names (lock files, a pod's link
 * names), never for security. Under Bun (the compiled cello-cni) it is Bun's
 * own hasher; under Node, node:crypto, loaded on the first call. Why not
 * node:crypto everywhere: importing it costs the Bun-compiled cello-cni
 * 5–8 ms of CPU at start-up, on every CNI call (docs/cello-cni.md, Start-up).
 */
interface Hasher {
  update(data: string): Hasher;
  digest(encoding: 'hex'): string;
}
const bun = (globalThis as { Bun?: { CryptoHasher: new (algorithm: 'sha1') => Hasher } }).Bun;

export function sha1Hex(text: string): string {
  if (bun) return new bun.CryptoHasher('sha1').update(text).digest('hex');
  return process.getBuiltinModule('node:crypto').createHash('sha1').update(text).digest('hex');
}
