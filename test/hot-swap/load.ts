// Bounded continuous load on loopback (undici Pool, N concurrent loops): counts answers per version
// and status, and connection errors, until stopped or the request budget is spent.

import { Pool } from 'undici';

export interface LoadCounts {
  total: number;
  byVersion: Map<string, number>;
  /** Non-2xx answers per version ('?' when the body named none). */
  failedByVersion: Map<string, number>;
  connectionErrors: number;
  errors: string[];
}

export interface Load {
  counts: LoadCounts;
  /** Resolves once `n` more answers came from `version`. */
  waitFor(version: string, n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<LoadCounts>;
}

export function startLoad(url: string, path: string, opts: { concurrency?: number; maxRequests?: number; maxMs?: number; userOf?: (i: number) => string } = {}): Load {
  const concurrency = opts.concurrency ?? 6;
  const maxRequests = opts.maxRequests ?? 20_000;
  const until = Date.now() + (opts.maxMs ?? 60_000);
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const counts: LoadCounts = { total: 0, byVersion: new Map(), failedByVersion: new Map(), connectionErrors: 0, errors: [] };
  const waiters = new Set<{ version: string; target: number; resolve: () => void }>();
  let stopped = false;
  let i = 0;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  const loop = async (): Promise<void> => {
    while (!stopped && counts.total < maxRequests && Date.now() < until) {
      const n = i++;
      try {
        const headers: Record<string, string> = {};
        if (opts.userOf) headers['x-test-user'] = opts.userOf(n);
        const r = await pool.request({ path, method: 'GET', headers });
        const text = await r.body.text();
        let version = '?';
        try {
          version = (JSON.parse(text) as { version?: string }).version ?? '?';
        } catch {
          /* not JSON */
        }
        counts.total++;
        bump(counts.byVersion, version);
        if (r.statusCode >= 300) {
          bump(counts.failedByVersion, version);
          if (counts.errors.length < 20) counts.errors.push(`${r.statusCode} ${text.slice(0, 300)}`);
        }
        for (const w of waiters) if ((counts.byVersion.get(w.version) ?? 0) >= w.target) waiters.delete(w), w.resolve();
      } catch (err) {
        counts.connectionErrors++;
        if (counts.errors.length < 20) counts.errors.push(`connection: ${(err as Error).message}`);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    counts,
    waitFor(version, n, timeoutMs = 15_000) {
      const target = (counts.byVersion.get(version) ?? 0) + n;
      if ((counts.byVersion.get(version) ?? 0) >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { version, target, resolve: () => (clearTimeout(t), resolve()) };
        const t = setTimeout(() => (waiters.delete(w), reject(new Error(`${n} answers from ${version} did not come within ${timeoutMs} ms (${JSON.stringify([...counts.byVersion])})`))), timeoutMs);
        waiters.add(w);
      });
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await pool.close();
      return counts;
    },
  };
}
