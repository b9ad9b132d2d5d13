// Errors this plugin throws: plain Errors carrying plugway's stable codes (PLW_ERR_*) and an
// HTTP status, since a plugin imports only plugway/sdk and not the host's catalogue.

export class DiagnosticsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiagnosticsError';
    this.code = code;
    this.status = status;
  }
}

export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
