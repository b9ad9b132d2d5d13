// Reads INFO several times across the sampling window, so rates and trends come from deltas
// rather than one read of a lifetime counter.
import type { Redis } from 'ioredis';
import { sampleOverWindow } from 'plugway/sdk';
import { parseInfo, type Info } from './info.js';

export interface Sample {
  /** ms since epoch when the reply arrived */
  t: number;
  info: Info;
}

export async function readInfo(node: Redis): Promise<Info> {
  return parseInfo(String(await node.call('INFO', 'all')));
}

/** `count` (≥ 2) INFO reads spread evenly over `windowMs`; the first is taken at once. A stopping
 * plugin (signal) cuts the window short: the remaining reads are taken at once. */
export function takeSamples(node: Redis, windowMs: number, count: number, signal?: AbortSignal): Promise<Sample[]> {
  return sampleOverWindow(async () => ({ t: Date.now(), info: await readInfo(node) }), { windowMs, samples: count, signal, onAbort: 'finish' });
}
