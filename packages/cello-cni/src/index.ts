export { verbs } from './main.ts';
export { validateConfig, CAPABILITIES, DEFAULTS, type CelloNetConf } from './netconf.ts';
