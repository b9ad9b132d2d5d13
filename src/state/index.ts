// Desired state, audit log and admin token, kept in the state dir.
export type * from './types.js';
export * from './atomic-write.js';
export * from './file-store.js';
export * from './audit-log.js';
export * from './admin-token.js';
