// Reads INFO several times across the sampling window, so rates and trends come from deltas
// rather than one read of a lifetime counter.
import type { Redis } from 'ioredis';
import { parseInfo, type Info } from './info.js';

export interface Sample {
  /** ms since epoch when the reply arrived */
  t: number;
  info: Info;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

export async function readInfo(node: Redis): Promise<Info> {
  return parseInfo(String(await node.call('INFO', 'all')));
}

/** `count` (≥ 2) INFO reads spread evenly over `windowMs`; the first is taken at once. */
export async function takeSamples(node: Redis, windowMs: number, count: number, signal?: AbortSignal): Promise<Sample[]> {
  const n = Math.max(2, Math.floor(count));
  const step = Math.max(0, windowMs) / (n - 1);
  const start = Date.now();
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) await delay(start + step * i - Date.now(), signal);
    out.push({ t: Date.now(), info: await readInfo(node) });
  }
  return out;
}
