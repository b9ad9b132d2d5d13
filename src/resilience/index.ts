// Resilience building blocks the gateway composes per plugin: breaker, bulkhead, rate limits.
export * from './circuit-breaker.js';
export * from './bulkhead.js';
export * from './rate-limit.js';
