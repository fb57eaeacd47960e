import type { PluginHandlers } from '@cello/cni-types';
import { cmdAdd } from './add.ts';
import { logged } from './call-log.ts';
import { cmdCheck } from './check.ts';
import { cmdDel } from './del.ts';
import { cmdGc } from './gc.ts';
import { cmdStatus } from './status.ts';

/** The verb handlers the CNI protocol dispatches to, one file each; `logged` closes each call with one log line. */
export const handlers: PluginHandlers = {
  add: logged(cmdAdd),
  del: logged(cmdDel),
  check: logged(cmdCheck),
  gc: logged(cmdGc),
  status: logged(cmdStatus),
};
