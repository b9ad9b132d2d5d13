// POST /diagnostics/postgres: { target, categories?, window?, samples? } → a DiagnosticResult.
// Each request gets its own connection, so that concurrent requests never share one.
import { parseDuration, type DiagnosticTarget, type PluginRequest, type PluginResponse } from 'plugway/sdk';
import type { PostgresDiagnosticsConfig } from './config.js';
import { CATEGORIES } from './checks/index.js';
import { DiagnosticsError, reasonOf } from './errors.js';
import { PostgresSession } from './session.js';

function bad(message: string): PluginResponse {
  return { statusCode: 400, body: { error: { code: 'PLW_ERR_DIAG_BAD_REQUEST', message: `Bad diagnostics request: ${message}` } } };
}

export async function handleDiagnoseRequest(req: PluginRequest, config: PostgresDiagnosticsConfig): Promise<PluginResponse> {
  let body = req.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return bad('the body is not JSON');
    }
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad('send a JSON object { "target": "postgres://user@host:5432/db", "categories"?: [...], "window"?: "5s" }');
  const b = body as Record<string, unknown>;
  let target: DiagnosticTarget;
  if (typeof b.target === 'string' && b.target.trim()) target = { url: b.target };
  else if (b.target && typeof b.target === 'object' && typeof (b.target as { url?: unknown }).url === 'string') target = b.target as DiagnosticTarget;
  else return bad('"target" is required: a URL string or { url, username?, password?, tls? }');
  if (b.categories !== undefined && (!Array.isArray(b.categories) || !b.categories.every((c) => typeof c === 'string'))) {
    return bad('"categories" must be an array of strings');
  }
  const unknown = ((b.categories as string[] | undefined) ?? []).filter((c) => !CATEGORIES.includes(c));
  if (unknown.length) return bad(`unknown categories ${unknown.join(', ')}; known: ${CATEGORIES.join(', ')}`);
  let windowMs: number | undefined;
  if (b.window !== undefined) {
    try {
      windowMs = parseDuration(b.window as string | number);
    } catch (err) {
      return bad(`"window": ${reasonOf(err)}`);
    }
    if (windowMs > 60_000) return bad('"window" may be at most 60s');
  }
  const samples = b.samples === undefined ? undefined : Number(b.samples);
  if (samples !== undefined && (!Number.isInteger(samples) || samples < 2 || samples > 20)) return bad('"samples" must be an integer from 2 to 20');
  const session = new PostgresSession(config);
  try {
    await session.connect(target);
    const result = await session.diagnose({ categories: b.categories as string[] | undefined, windowMs, samples });
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result };
  } catch (err) {
    const e = err instanceof DiagnosticsError ? err : new DiagnosticsError('PLW_ERR_DIAG_CONNECT', reasonOf(err));
    return { statusCode: e.status, body: { error: { code: e.code, message: e.message } } };
  } finally {
    await session.disconnect();
  }
}
