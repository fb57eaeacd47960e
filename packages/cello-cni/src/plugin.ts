import type { PluginHandlers } from '@cello/cni-types';
import { cmdAdd } from './add.ts';
import { cmdCheck } from './check.ts';
import { cmdDel } from './del.ts';
import { cmdGc } from './gc.ts';
import { cmdStatus } from './status.ts';

/** The verb handlers the CNI protocol dispatches to, one file each. */
export const handlers: PluginHandlers = {
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  gc: cmdGc,
  status: cmdStatus,
};
