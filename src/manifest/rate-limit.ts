// Endpoint rate limits as written in plugin.yaml: "100/min", "10/s", "5000/hour".
import { PlugwayError } from '../errors.js';
import type { RateLimit } from './types.js';

const WINDOW_SEC: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
};

/** The rate limit, or undefined when `s` is not one. */
export function tryParseRateLimit(s: string): RateLimit | undefined {
  const m = /^\s*(\d+)\s*\/\s*([a-z]+)\s*$/i.exec(s);
  if (!m) return undefined;
  const points = Number(m[1]);
  const durationSec = WINDOW_SEC[m[2]!.toLowerCase()];
  if (!durationSec || !Number.isSafeInteger(points) || points <= 0) return undefined;
  return { points, durationSec, raw: s };
}

/** Parses "N/s", "N/sec", "N/min", "N/m", "N/h", "N/hour"; throws PLW_ERR_MANIFEST_BAD_RATE_LIMIT. */
export function parseRateLimit(s: string): RateLimit {
  const r = typeof s === 'string' ? tryParseRateLimit(s) : undefined;
  if (!r) throw new PlugwayError('PLW_ERR_MANIFEST_BAD_RATE_LIMIT', { file: '(rate_limit)', line: 1, col: 1, path: 'rate_limit', value: String(s) });
  return r;
}
