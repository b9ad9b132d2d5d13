// Budgets per key or user per period: checked before a call (spent → refused until the period's
// end), charged after it with the real usage. In memory, or in Redis so that nodes share one.
// Between check and charge nothing is reserved: overspend is at most what the calls already in
// flight when the budget ran out cost, never more.
import type { Redis } from 'ioredis';
import type { Budget } from './config.js';

export type BudgetDecision = { allowed: true } | { allowed: false; resource: 'tokens' | 'cost'; limit: number; retryAfterSec: number };

export interface Spent {
  tokens: number;
  cost: number;
}

export interface BudgetStore {
  spent(subject: string, budget: Budget, now: number): Promise<Spent>;
  charge(subject: string, budget: Budget, tokens: number, cost: number, now: number): Promise<void>;
  close(): Promise<void>;
}

const windowOf = (b: Budget, now: number) => {
  const index = Math.floor(now / b.periodMs);
  return { index, endMs: (index + 1) * b.periodMs };
};

export async function decide(store: BudgetStore, subject: string, b: Budget, now: number): Promise<BudgetDecision> {
  const s = await store.spent(subject, b, now);
  const retryAfterSec = Math.max(1, Math.ceil((windowOf(b, now).endMs - now) / 1000));
  if (b.tokens !== undefined && s.tokens >= b.tokens) return { allowed: false, resource: 'tokens', limit: b.tokens, retryAfterSec };
  if (b.cost !== undefined && s.cost >= b.cost) return { allowed: false, resource: 'cost', limit: b.cost, retryAfterSec };
  return { allowed: true };
}

export class MemoryBudgetStore implements BudgetStore {
  private readonly windows = new Map<string, Spent & { index: number }>();

  private cell(subject: string, b: Budget, now: number): Spent & { index: number } {
    const { index } = windowOf(b, now);
    const key = `${subject}\u0000${b.periodMs}`;
    let c = this.windows.get(key);
    if (!c || c.index !== index) {
      if (this.windows.size > 100_000) this.windows.clear();
      this.windows.set(key, (c = { index, tokens: 0, cost: 0 }));
    }
    return c;
  }

  async spent(subject: string, b: Budget, now: number): Promise<Spent> {
    const c = this.cell(subject, b, now);
    return { tokens: c.tokens, cost: c.cost };
  }

  async charge(subject: string, b: Budget, tokens: number, cost: number, now: number): Promise<void> {
    const c = this.cell(subject, b, now);
    c.tokens += tokens;
    c.cost += cost;
  }

  async close(): Promise<void> {}
}

export class RedisBudgetStore implements BudgetStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** ioredis is loaded only when a Redis store is configured (startup of an unconfigured gateway stays light). */
  static async connect(url: string, prefix: string): Promise<RedisBudgetStore> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    redis.on('error', () => undefined); // reported by the calls that fail
    return new RedisBudgetStore(redis, prefix);
  }

  private key(subject: string, b: Budget, now: number): { key: string; endMs: number } {
    const w = windowOf(b, now);
    return { key: `${this.prefix}budget:${subject}:${b.periodMs}:${w.index}`, endMs: w.endMs };
  }

  async spent(subject: string, b: Budget, now: number): Promise<Spent> {
    const [tokens, cost] = await this.redis.hmget(this.key(subject, b, now).key, 'tokens', 'cost');
    return { tokens: Number(tokens ?? 0), cost: Number(cost ?? 0) };
  }

  async charge(subject: string, b: Budget, tokens: number, cost: number, now: number): Promise<void> {
    const { key, endMs } = this.key(subject, b, now);
    const m = this.redis.multi().hincrby(key, 'tokens', Math.round(tokens));
    if (cost > 0) m.hincrbyfloat(key, 'cost', cost);
    await m.pexpireat(key, endMs + 60_000).exec();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
