// Errors this plugin throws, with plugway's catalogue codes (PLW_ERR_*) so that the host and the
// gateway map them to the same status; plugins import only the SDK, so the class lives here.
const STATUS: Record<string, number> = {
  PLW_ERR_DIAG_CONNECT: 502,
  PLW_ERR_DIAG_NOT_CONNECTED: 409,
  PLW_ERR_DIAG_BAD_TARGET: 400,
  PLW_ERR_ACTION_NOT_ALLOWED: 403,
  PLW_ERR_ACTION_DESTRUCTIVE: 403,
  PLW_ERR_BAD_REQUEST: 400,
  PLW_ERR_DIAG_BAD_REQUEST: 400,
};

export class DiagnosticsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiagnosticsError';
    this.code = code;
    this.status = STATUS[code] ?? 500;
  }
}

export function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}
