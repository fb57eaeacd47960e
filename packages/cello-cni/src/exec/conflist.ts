import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetConfList } from '@cello/cni-types';

export interface LoadedConfList {
  list: NetConfList;
  /** The file's bytes, as libcni keeps them in its result cache. */
  bytes: Buffer;
  file: string;
}

function readJson(file: string): { bytes: Buffer; value: Record<string, unknown> } | undefined {
  const bytes = readFileSync(file);
  try {
    return { bytes, value: JSON.parse(bytes.toString('utf8')) as Record<string, unknown> };
  } catch {
    return undefined; // libcni skips files it cannot parse while searching
  }
}

/**
 * Find a network by name the way libcni's LoadConfList does: `*.conflist`
 * sorted by file name, first match wins; otherwise a single-plugin `*.conf` or
 * `*.json` wrapped into a list.
 */
export function loadConfList(dir: string, name: string): LoadedConfList {
  if (!existsSync(dir)) throw new Error(`no net configurations found in ${dir}`);
  const files = readdirSync(dir).sort();
  for (const f of files.filter((f) => f.endsWith('.conflist'))) {
    const file = join(dir, f);
    const parsed = readJson(file);
    if (parsed?.value.name === name) return { list: parsed.value as unknown as NetConfList, bytes: parsed.bytes, file };
  }
  for (const f of files.filter((f) => f.endsWith('.conf') || f.endsWith('.json'))) {
    const file = join(dir, f);
    const parsed = readJson(file);
    if (parsed?.value.name !== name) continue;
    const { cniVersion, name: n, ...plugin } = parsed.value;
    const list = { cniVersion, name: n, plugins: [plugin] } as unknown as NetConfList;
    return { list, bytes: Buffer.from(JSON.stringify(list)), file };
  }
  if (!files.some((f) => /\.(conflist|conf|json)$/.test(f))) throw new Error(`no net configurations found in ${dir}`);
  throw new Error(`no net configuration with name "${name}" in ${dir}`);
}
