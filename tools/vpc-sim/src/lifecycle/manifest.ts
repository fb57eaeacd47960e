/**
 * The manifest: every namespace, process and file a sim made, written
 * *before* each is made, so `down` can undo a half-finished `up`.
 */
import type { SimPaths } from '../naming.ts';
import { readJsonFile, writeJsonFile } from '@cello/cli-kit';

export interface Manifest {
  name: string;
  stateDir: string;
  createdAt: string;
  status: 'creating' | 'up';
  namespaces: string[];
  pids: number[];
}

export function readManifest(paths: SimPaths): Manifest | undefined {
  return readJsonFile<Manifest>(paths.manifest);
}

export function writeManifest(paths: SimPaths, m: Manifest): void {
  writeJsonFile(paths.manifest, m);
}
