// The gateway's request logger (one pino JSON line per request, level as a label, no pid or
// hostname) and the redaction of secrets in anything shown or logged.

import { pino, type DestinationStream, type Logger } from 'pino';
import { BatchedDestination } from './log-destination.js';

/** Paths pino censors in every line the gateway writes. */
// Exact paths only: wildcard paths make pino's redaction cost show up on the per-request line.
// The request line itself carries no headers or config; these guard the gateway's other lines.
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  'password',
  'secret',
  'config.password',
  'config.secret',
  'config.token',
];

/**
 * The request logger (no `time` unless `timestamp`). Without a `destination` it writes to `dest` (default stdout) in batches:
 * a line is written at the latest LOG_FLUSH_MS (100 ms) after it was logged, and at exit.
 */
export function createRequestLogger(opts: { level?: string; destination?: DestinationStream; dest?: number | string; redact?: string[]; timestamp?: boolean } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: null,
      // A request line has exactly the seed's nine fields; `logging.timestamp: true` adds pino's `time`
      // (journald, Docker and Kubernetes stamp each line they collect anyway).
      timestamp: opts.timestamp ?? false,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS, ...(opts.redact ?? [])], censor: '[REDACTED]' },
    },
    opts.destination ?? new BatchedDestination(opts.dest),
  );
}

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential|authorization|cookie/i;

/** A deep copy with the values of secret-looking keys replaced by "[REDACTED]". */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? '[REDACTED]' : redactSecrets(v, depth + 1);
  }
  return out;
}
