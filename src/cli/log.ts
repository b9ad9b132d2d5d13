// The CLI's own log lines on stderr ("plugway debug: …"), at the level of --log-level or
// PLUGWAY_LOG_LEVEL (the gateway's pino logger reads the same setting through the config).

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

function current(): LogLevel {
  const v = process.env.PLUGWAY_LOG_LEVEL?.toLowerCase();
  return v && (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : 'info';
}

function line(level: LogLevel, message: string): void {
  if (rank[level] >= rank[current()]) process.stderr.write(`plugway ${level}: ${message}\n`);
}

/** Informational lines go to stderr too, so that stdout stays the command's answer. */
export const cliLog = {
  trace: (message: string): void => line('trace', message),
  debug: (message: string): void => line('debug', message),
  info: (message: string): void => line('info', message),
  warn: (message: string): void => line('warn', message),
  enabled: (level: LogLevel): boolean => rank[level] >= rank[current()],
};
