// Picking an upstream: round-robin, least-request (fewest in flight, ties rotated) and
// consistent-hash (a ring of virtual nodes, so adding or removing one upstream moves ~1/n keys).

import type { BalanceStrategy } from '../../manifest/remote.js';
import type { Upstream } from './upstream.js';

/** FNV-1a, 32 bit, then a murmur finalizer: vnode hashes of similar strings spread over the ring. */
export function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Balancer {
  /** Called when the set of upstreams changes. */
  reset(upstreams: readonly Upstream[]): void;
  /** An available upstream not in `exclude`, or undefined when there is none. */
  pick(now: number, key: string | undefined, exclude: Upstream | undefined): Upstream | undefined;
}

class RoundRobin implements Balancer {
  private list: readonly Upstream[] = [];
  private next = 0;
  reset(upstreams: readonly Upstream[]): void {
    this.list = upstreams;
  }
  pick(now: number, _key: string | undefined, exclude: Upstream | undefined): Upstream | undefined {
    const list = this.list;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const u = list[this.next++ % n]!;
      if (u !== exclude && u.available(now)) return u;
    }
    return undefined;
  }
}

class LeastRequest implements Balancer {
  private list: readonly Upstream[] = [];
  private start = 0;
  reset(upstreams: readonly Upstream[]): void {
    this.list = upstreams;
  }
  pick(now: number, _key: string | undefined, exclude: Upstream | undefined): Upstream | undefined {
    const list = this.list;
    const n = list.length;
    let best: Upstream | undefined;
    // scanning from a rotating start spreads ties instead of always filling the first
    const s = this.start++;
    for (let i = 0; i < n; i++) {
      const u = list[(s + i) % n]!;
      if (u === exclude || !u.available(now)) continue;
      if (!best || u.inFlight < best.inFlight) best = u;
    }
    return best;
  }
}

const VNODES = 160;

class ConsistentHash implements Balancer {
  private ring: Array<{ hash: number; up: Upstream }> = [];
  private fallback = new RoundRobin();
  reset(upstreams: readonly Upstream[]): void {
    const ring: Array<{ hash: number; up: Upstream }> = [];
    for (const up of upstreams) for (let v = 0; v < VNODES; v++) ring.push({ hash: hashKey(`${up.url}#${v}`), up });
    ring.sort((a, b) => a.hash - b.hash);
    this.ring = ring;
    this.fallback.reset(upstreams);
  }
  pick(now: number, key: string | undefined, exclude: Upstream | undefined): Upstream | undefined {
    const ring = this.ring;
    if (key === undefined || ring.length === 0) return this.fallback.pick(now, key, exclude);
    const h = hashKey(key);
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring[mid]!.hash < h) lo = mid + 1;
      else hi = mid;
    }
    // clockwise to the first available: an ejected upstream's keys go to its neighbours only
    for (let i = 0; i < ring.length; i++) {
      const u = ring[(lo + i) % ring.length]!.up;
      if (u !== exclude && u.available(now)) return u;
    }
    return undefined;
  }
}

export function createBalancer(strategy: BalanceStrategy): Balancer {
  if (strategy === 'least-request') return new LeastRequest();
  if (strategy === 'consistent-hash') return new ConsistentHash();
  return new RoundRobin();
}
