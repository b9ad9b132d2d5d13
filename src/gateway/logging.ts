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
  const destination = opts.destination ?? new BatchedDestination(opts.dest);
  const logger = pino(
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
    destination,
  );
  // Extra redact paths that reach a request line's own fields need pino's redaction on every line.
  if (!(opts.redact ?? []).some((p) => p.startsWith('*') || LINE_FIELDS.has(p.split(/[.[]/)[0]!))) {
    sinks.set(logger, { stream: destination, timestamp: opts.timestamp ?? false });
  }
  return logger;
}

/** The fields of a request line (the seed's nine) and pino's `time`. */
const LINE_FIELDS = new Set(['level', 'time', 'plugin_id', 'version', 'request_id', 'method', 'path', 'user_id', 'response_time_ms', 'status_code', 'msg']);
const sinks = new WeakMap<Logger, { stream: DestinationStream; timestamp: boolean }>();
const INFO = 30;

/** Where the request lines of one plugin version (or of requests that matched no route) go. */
export interface RequestLine {
  write(requestId: string, method: string, path: string, userId: string | null, responseTimeMs: number, statusCode: number): void;
}

/**
 * The request lines of `logger`, per plugin version. For a logger made by createRequestLogger they
 * are written straight to its destination, byte for byte what `logger.child({ plugin_id, version })
 * .info({ request_id, method, path, user_id, response_time_ms, status_code })` writes, at a
 * quarter of its cost (pino's generic serializer and its redaction pass over every line); any
 * other logger (an embedder's keeps its own format) gets them through that pino child.
 */
export function requestLines(logger: Logger): (pluginId: string | null, version: string | null) => RequestLine {
  const sink = sinks.get(logger);
  if (sink) return (pluginId, version) => new DirectLine(logger, sink.stream, sink.timestamp, pluginId, version);
  return (pluginId, version) => {
    const child = logger.child({ plugin_id: pluginId, version });
    return {
      write: (requestId, method, path, userId, responseTimeMs, statusCode) =>
        child.info({ request_id: requestId, method, path, user_id: userId, response_time_ms: responseTimeMs, status_code: statusCode }),
    };
  };
}

class DirectLine implements RequestLine {
  /** The part after the level (and time) that the version's lines share. */
  private readonly bindings: string;

  constructor(
    private readonly logger: Logger,
    private readonly stream: DestinationStream,
    private readonly timestamp: boolean,
    pluginId: string | null,
    version: string | null,
  ) {
    this.bindings = `,"plugin_id":${JSON.stringify(pluginId)},"version":${JSON.stringify(version)}`;
  }

  /** `requestId` and `method` are header-safe tokens (requestIdOf, Node's parser): written unescaped. */
  write(requestId: string, method: string, path: string, userId: string | null, responseTimeMs: number, statusCode: number): void {
    // The level can change at run time (logger.level = 'warn').
    if (this.logger.levelVal > INFO) return;
    const time = this.timestamp ? `,"time":${Date.now()}` : '';
    this.stream.write(
      `{"level":"info"${time}${this.bindings},"request_id":"${requestId}","method":"${method}","path":${JSON.stringify(path)},"user_id":${userId === null ? 'null' : JSON.stringify(userId)},"response_time_ms":${responseTimeMs},"status_code":${statusCode}}\n`,
    );
  }
}

/** Whether request lines of `logger` skip pino (for tests). */
export function writesLinesDirectly(logger: Logger): boolean {
  return sinks.has(logger);
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
