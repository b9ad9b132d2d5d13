// The host's in-memory key-value storage with TTL; each plugin gets its own namespace.

import type { HostStorage } from '../sdk/context.js';

interface Entry {
  value: unknown;
  /** Epoch ms; 0 = never expires. */
  expiresAt: number;
}

/** Sweep expired keys every this many writes, so keys nobody reads again do not pile up. */
const SWEEP_EVERY = 1000;

export class MemoryStorage implements HostStorage {
  private readonly data = new Map<string, Entry>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return this.read(key)?.value as T | undefined;
  }

  async set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.data.set(key, { value, expiresAt: ttlMs && ttlMs > 0 ? this.now() + ttlMs : 0 });
    if (++this.writes % SWEEP_EVERY === 0) this.sweep();
  }

  async delete(key: string): Promise<boolean> {
    const present = this.read(key) !== undefined;
    this.data.delete(key);
    return present;
  }

  async exists(key: string): Promise<boolean> {
    return this.read(key) !== undefined;
  }

  /** A view whose keys live under `ns` (a plugin id); plugins cannot see each other's keys. */
  namespace(ns: string): HostStorage {
    const prefix = `${ns}\u0000`;
    return {
      get: (key) => this.get(prefix + key),
      set: (key, value, ttlMs) => this.set(prefix + key, value, ttlMs),
      delete: (key) => this.delete(prefix + key),
      exists: (key) => this.exists(prefix + key),
    };
  }

  /** Keys currently held (expired ones included until swept). */
  get size(): number {
    return this.data.size;
  }

  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.data) if (e.expiresAt && e.expiresAt <= now) this.data.delete(k);
  }

  private read(key: string): Entry | undefined {
    const e = this.data.get(key);
    if (!e) return undefined;
    if (e.expiresAt && e.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }
}
