import { type Call, CniError, ErrorCode, type PluginHandlers, type Result } from '@cello/cni-types';
import { celloNetConf } from './netconf.ts';

/** The verb handlers the CNI protocol dispatches to. */
export const handlers: PluginHandlers = {
  async add(call: Call): Promise<Result> {
    celloNetConf(call.conf);
    throw notYet('ADD');
  },
  async del(call: Call) {
    celloNetConf(call.conf);
    throw notYet('DEL');
  },
  async check(call: Call) {
    celloNetConf(call.conf);
    throw notYet('CHECK');
  },
  async gc(call: Call) {
    celloNetConf(call.conf);
    throw notYet('GC');
  },
  async status(call: Call) {
    celloNetConf(call.conf);
    throw notYet('STATUS');
  },
};

function notYet(verb: string) {
  return new CniError(ErrorCode.Internal, `${verb} is not available in this build of cello-cni`);
}
