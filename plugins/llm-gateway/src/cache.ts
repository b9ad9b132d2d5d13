// The optional exact-match cache: non-streamed requests at temperature 0, keyed by a hash of the
// body (stream and user fields aside), kept for a TTL in memory (bounded LRU) or Redis.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface CachedAnswer {
  provider: string;
  body: Record<string, unknown>;
}

export interface AnswerCache {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, value: CachedAnswer): Promise<void>;
  close(): Promise<void>;
}

/** The key of a cacheable request, or undefined when it is not (streamed, temperature not 0). */
export function cacheKeyOf(body: Record<string, unknown>): string | undefined {
  if (body.stream === true || body.temperature !== 0) return undefined;
  const { stream: _s, stream_options: _o, user: _u, ...rest } = body;
  return createHash('sha256').update(stableJson(rest)).digest('base64url');
}

function stableJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(stableJson).join(',')}]`;
  if (x && typeof x === 'object')
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x) ?? 'null';
}

export class MemoryCache implements AnswerCache {
  private readonly map = new Map<string, { value: CachedAnswer; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  async get(key: string): Promise<CachedAnswer | undefined> {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (Date.now() >= e.until) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key); // re-inserted: the Map's order is the recency order
    this.map.set(key, e);
    return e.value;
  }

  async set(key: string, value: CachedAnswer): Promise<void> {
    this.map.delete(key);
    this.map.set(key, { value, until: Date.now() + this.ttlMs });
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  async close(): Promise<void> {}
}

export class RedisCache implements AnswerCache {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  static async connect(url: string, prefix: string, ttlMs: number): Promise<RedisCache> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    return new RedisCache(redis, prefix, ttlMs);
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    const v = await this.redis.get(`${this.prefix}cache:${key}`);
    return v ? (JSON.parse(v) as CachedAnswer) : undefined;
  }

  async set(key: string, value: CachedAnswer): Promise<void> {
    await this.redis.set(`${this.prefix}cache:${key}`, JSON.stringify(value), 'PX', this.ttlMs);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
