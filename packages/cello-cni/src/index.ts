export { handlers } from './plugin.ts';
export { celloNetConf, CAPABILITIES, DEFAULTS, type CelloNetConf } from './netconf.ts';
