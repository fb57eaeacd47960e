/**
 * `@volcengine/openapi`'s Service, loaded alone (not the package index, which
 * loads every service of the SDK). Its debug switches are defused first.
 */
import './sdk-env.ts';
import * as serviceModule from '@volcengine/openapi/lib/base/service.js';

/**
 * The CommonJS module's `exports.default`. Node's ESM loader (tsx), the
 * esbuild bundle and TypeScript (NodeNext) all put the whole `module.exports`
 * under the namespace's `default`, so the class is one level further down.
 */
export const Service = serviceModule.default.default;
type ServiceClass = typeof Service;
export type SdkService = InstanceType<ServiceClass>;
