// Desired state (state dir or etcd), audit log and admin token.
export type * from './types.js';
export * from './atomic-write.js';
export * from './file-store.js';
export * from './audit-log.js';
export * from './admin-token.js';
export * from './etcd-client.js';
export * from './etcd-store.js';
export * from './create-store.js';
