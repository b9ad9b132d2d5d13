// POST /diagnostics/kafka: validates { target, categories?, window?, samples? }, runs one
// connect → diagnose → disconnect in its own session, answers the DiagnosticResult as JSON.
import { parseDuration, type DiagnosticTarget, type PluginRequest, type PluginResponse } from 'plugway/sdk';
import type { KafkaDiagConfig } from './config.js';
import { reasonOf } from './errors.js';
import { CATEGORIES, KafkaSession } from './session.js';

const badRequest = (message: string): PluginResponse => ({
  statusCode: 400,
  body: { error: { code: 'PLW_ERR_DIAG_BAD_REQUEST', message } },
});

export async function handleDiagnoseRequest(req: PluginRequest, cfg: KafkaDiagConfig, signal?: AbortSignal): Promise<PluginResponse> {
  let body = req.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return badRequest('The body is not JSON: send {"target": "kafka://host:9092", "categories": [...], "window": "2s"}');
    }
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return badRequest('The body must be a JSON object with a "target"');
  const b = body as Record<string, unknown>;
  let target: DiagnosticTarget;
  if (typeof b.target === 'string' && b.target.trim()) target = { url: b.target };
  else if (b.target && typeof b.target === 'object' && typeof (b.target as DiagnosticTarget).url === 'string') target = b.target as DiagnosticTarget;
  else return badRequest('"target" is required: a URL string (kafka://host:9092) or an object { url, username?, password?, tls?, options? }');
  let categories: string[] | undefined;
  if (b.categories !== undefined) {
    if (!Array.isArray(b.categories) || !b.categories.every((c) => typeof c === 'string')) return badRequest('"categories" must be an array of strings');
    const unknown = b.categories.filter((c) => !CATEGORIES.includes(c));
    if (unknown.length) return badRequest(`Unknown categories ${unknown.join(', ')}; known: ${CATEGORIES.join(', ')}`);
    categories = b.categories;
  }
  let windowMs: number | undefined;
  if (b.window !== undefined) {
    try {
      windowMs = parseDuration(b.window as string | number);
    } catch (err) {
      return badRequest(`"window": ${reasonOf(err)}`);
    }
    if (windowMs > 60_000) return badRequest('"window" must be at most 60s');
  }
  const samples = typeof b.samples === 'number' && b.samples >= 2 && b.samples <= 20 ? Math.floor(b.samples) : undefined;
  let session: KafkaSession;
  try {
    session = await KafkaSession.open(target, cfg);
  } catch (err) {
    const e = err as { code?: string; status?: number };
    return { statusCode: e.status === 400 ? 400 : 502, body: { error: { code: e.code ?? 'PLW_ERR_DIAG_CONNECT', message: reasonOf(err) } } };
  }
  try {
    const result = await session.diagnose({ categories, windowMs, samples }, signal);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result };
  } finally {
    await session.close();
  }
}
