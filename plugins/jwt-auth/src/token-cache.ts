// Verified tokens, remembered until they expire: a client re-uses its token for many requests,
// and verifying it again each time (WebCrypto, asynchronous) cost ~150 µs a request here. A hit
// is only the exact token string already verified; it stops counting at the token's `exp` (after
// which jose verifies it again, with the clock skew, and refuses it) and after `ttlMs` at most, so
// a key removed from a JWKS stops admitting its tokens within that time.
import type { Principal } from 'plugway/sdk';

interface Entry {
  principal: Principal;
  /** Epoch ms after which the entry is no longer used. */
  until: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The principal of a token verified before and still within its validity, else undefined. */
  get(token: string, now = Date.now()): Principal | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (now < e.until) return e.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a verified token; `expSec` is its `exp` claim (seconds), when it has one. */
  set(token: string, principal: Principal, expSec: unknown, now = Date.now()): void {
    if (this.maxEntries <= 0 || this.ttlMs <= 0) return;
    const until = Math.min(now + this.ttlMs, typeof expSec === 'number' ? expSec * 1000 : Infinity);
    if (until <= now) return;
    if (this.entries.size >= this.maxEntries) {
      // The oldest first: a Map iterates in insertion order.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { principal: deepFreeze(principal), until });
  }

  clear(): void {
    this.entries.clear();
  }
}

/** One principal object serves every request with its token: no plugin may change it for the others. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
