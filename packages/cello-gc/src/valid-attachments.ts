/**
 * The runtime's list of attachments it still considers valid, in CNI GC's
 * shape: `{"cni.dev/valid-attachments": [{"containerID": …, "ifname": …}]}`
 * or the bare list. containerd and CRI-O hand it to plugins on GC; an
 * operator can save it to a file for `cello-gc node --valid-attachments`.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '@cello/cli-kit';

export interface Attachment {
  containerId: string;
  ifname: string;
}

export function parseValidAttachments(doc: unknown, where = 'valid attachments'): Attachment[] {
  const list = Array.isArray(doc) ? doc : (doc as Record<string, unknown> | null)?.['cni.dev/valid-attachments'];
  if (!Array.isArray(list)) throw new UsageError(`${where}: expected a list of {"containerID", "ifname"} or {"cni.dev/valid-attachments": [...]}`);
  return list.map((item, i) => {
    const o = (item ?? {}) as Record<string, unknown>;
    const containerId = o.containerID ?? o.containerId;
    if (typeof containerId !== 'string' || !containerId) throw new UsageError(`${where}[${i}].containerID: expected a container id (a non-empty string)`);
    if (typeof o.ifname !== 'string' || !o.ifname) throw new UsageError(`${where}[${i}].ifname: expected an interface name (a non-empty string)`);
    return { containerId, ifname: o.ifname };
  });
}

export function readValidAttachments(file: string): Attachment[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--valid-attachments: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parseValidAttachments(JSON.parse(text), file);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--valid-attachments: ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
