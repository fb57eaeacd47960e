import { hostname } from 'node:os';

/** This node's name: the flag, else $NODE_NAME (the DaemonSet sets it from spec.nodeName), else the hostname. */
export function nodeName(flag?: string): string {
  return flag || process.env.NODE_NAME || hostname();
}
