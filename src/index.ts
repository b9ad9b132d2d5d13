// plugway's public API: the SDK, the error catalogue and the parts an application embeds.
export * from './sdk/index.js';
export * from './errors.js';
export { PLUGWAY_VERSION } from './version.js';
export type * from './manifest/types.js';
export type * from './runtimes/types.js';
export type * from './host/types.js';
export type * from './host/config-types.js';
export * from './host/index.js';
export { createGateway, type GatewayOptions, type GatewayHandle } from './gateway/index.js';
