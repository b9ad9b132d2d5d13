// ctx.storage in Redis: values as JSON under `<key_prefix><plugin id>/<key>`, TTL with PX. It
// connects on first use, so a gateway that loads it without naming it as `storage.plugin` (the
// embedded quickstart) never needs a Redis.

import { Redis } from 'ioredis';
import { definePlugin, type PluginContext, type StoragePlugin } from 'plugway/sdk';

interface RedisStorageConfig {
  url?: string;
  key_prefix?: string;
  timeout?: number;
}

export default definePlugin<RedisStorageConfig>(() => {
  let redis: Redis | undefined;
  let prefix = 'plugway:storage:';

  const client = (ctx: PluginContext<RedisStorageConfig>): Redis => {
    if (redis) return redis;
    const timeout = ctx.config.timeout ?? 2000;
    redis = new Redis(ctx.config.url ?? 'redis://127.0.0.1:6379', {
      lazyConnect: false,
      // Fail calls while Redis is away instead of queueing them without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: timeout,
      connectTimeout: timeout,
    });
    // One line per outage, not one per reconnect attempt.
    let down = false;
    redis.on('error', (err: Error) => {
      if (down) return;
      down = true;
      ctx.logger.warn({ err: { message: err.message } }, 'redis-storage: redis unreachable; storage calls fail until it answers');
    });
    redis.on('ready', () => {
      if (down) ctx.logger.info('redis-storage: redis answers again');
      down = false;
    });
    return redis;
  };
  /** ioredis rejects commands while it is still connecting when the offline queue is off. */
  const ready = async (ctx: PluginContext<RedisStorageConfig>): Promise<Redis> => {
    const r = client(ctx);
    if (r.status === 'ready') return r;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`redis at ${ctx.config.url ?? 'redis://127.0.0.1:6379'} did not answer within ${ctx.config.timeout ?? 2000} ms`)), ctx.config.timeout ?? 2000);
      const onReady = () => done();
      const done = (err?: Error) => {
        clearTimeout(timer);
        r.off('ready', onReady);
        if (err) reject(err);
        else resolve();
      };
      r.once('ready', onReady);
    });
    return r;
  };

  const plugin: StoragePlugin<RedisStorageConfig> = {
    async init(ctx) {
      prefix = ctx.config.key_prefix ?? prefix;
    },
    async get(key, ctx) {
      const raw = await (await ready(ctx)).get(prefix + key);
      return raw === null ? undefined : JSON.parse(raw);
    },
    async set(key, value, ttlMs, ctx) {
      const r = await ready(ctx);
      const json = JSON.stringify(value ?? null);
      if (ttlMs && ttlMs > 0) await r.set(prefix + key, json, 'PX', Math.ceil(ttlMs));
      else await r.set(prefix + key, json);
    },
    async delete(key, ctx) {
      return (await (await ready(ctx)).del(prefix + key)) > 0;
    },
    async exists(key, ctx) {
      return (await (await ready(ctx)).exists(prefix + key)) > 0;
    },
    async healthCheck(ctx) {
      // Unused (never connected): healthy and idle; in use: Redis must answer a PING.
      if (!redis) return { status: 'healthy', message: 'idle: not used yet (name it as storage.plugin to keep ctx.storage in Redis)' };
      try {
        await (await ready(ctx)).ping();
        return { status: 'healthy' };
      } catch (err) {
        return { status: 'unhealthy', message: (err as Error).message };
      }
    },
    async stop() {
      redis?.disconnect();
      redis = undefined;
    },
  };
  return plugin;
});
