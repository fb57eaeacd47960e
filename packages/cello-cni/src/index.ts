export { handlers } from './plugin.ts';
export { celloNetConf, CAPABILITIES, DEFAULTS, type CelloNetConf, type Datapath } from './netconf.ts';
