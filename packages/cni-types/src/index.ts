export { SUPPORTED_VERSIONS, hasIpVersion, hasCheck, hasPrevResultOnDel, hasGcAndStatus } from './versions.ts';
export { asCniError, ErrorCode, CniError } from './errors.ts';
export type { Interface, IpConfig, Route, Result, Attachment, NetConf, NetConfList } from './types.ts';
export { type CniArgs, parseCniArgs, parseEnv } from './env.ts';
export { parseNetConf, type ParsedConf } from './config.ts';
export { fromVersioned, toVersion } from './result.ts';
export { versionResult, pluginMain, type Call, type PluginHandlers } from './skel.ts';
