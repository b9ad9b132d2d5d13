// A diagnostics plugin's HTTP endpoint (POST /diagnostics/<system>): the body
// { target, categories?, window?, samples? } checked the same way for every plugin, and one
// connect → diagnose → close per request, so that concurrent requests never share a connection.
import { parseDuration, type DiagnoseOptions, type DiagnosticResult, type DiagnosticTarget } from './diagnostics.js';
import { DiagnosticsError, errorReason, errorResponse } from './diagnostics-errors.js';
import type { PluginRequest, PluginResponse } from './types.js';
import { acceptsCategory, SEED_CATEGORIES } from './diagnostics-categories.js';

/** The longest window a request may ask for, and the range of `samples`. */
export const MAX_REQUEST_WINDOW_MS = 60_000;
export const REQUEST_SAMPLES = { min: 2, max: 20 } as const;

export interface DiagnoseBodySpec {
  /** The categories diagnose() knows; a request naming another is refused. */
  categories: readonly string[];
  /** An example target for the messages, e.g. redis://127.0.0.1:6379. */
  example: string;
}

/**
 * The target and diagnose options of a request body (JSON text or already parsed). Throws a
 * DiagnosticsError PLW_ERR_DIAG_BAD_REQUEST (400) saying what is wrong.
 */
export function parseDiagnoseBody(body: unknown, spec: DiagnoseBodySpec): { target: DiagnosticTarget; options: DiagnoseOptions } {
  const bad = (reason: string) => new DiagnosticsError('PLW_ERR_DIAG_BAD_REQUEST', `Bad diagnostics request: ${reason}`);
  const shape = `{ "target": "${spec.example}", "categories"?: [...], "window"?: "5s", "samples"?: 3 }`;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw bad(`the body is not JSON; send ${shape}`);
    }
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad(`send a JSON object ${shape}`);
  const b = body as Record<string, unknown>;
  let target: DiagnosticTarget;
  if (typeof b.target === 'string' && b.target.trim()) target = { url: b.target };
  else if (b.target && typeof b.target === 'object' && typeof (b.target as { url?: unknown }).url === 'string') target = b.target as DiagnosticTarget;
  else throw bad(`"target" is required: a URL string (${spec.example}) or an object { url, username?, password?, tls?, options? }`);
  const options: DiagnoseOptions = {};
  if (b.categories !== undefined) {
    if (!Array.isArray(b.categories) || !b.categories.every((c) => typeof c === 'string')) throw bad('"categories" must be an array of strings');
    const unknown = b.categories.filter((c) => !acceptsCategory(c, spec.categories));
    if (unknown.length) throw bad(`unknown categories ${unknown.join(', ')}; known: ${spec.categories.join(', ')} (or the seed's ${SEED_CATEGORIES.join(', ')})`);
    options.categories = b.categories;
  }
  if (b.window !== undefined) {
    try {
      options.windowMs = parseDuration(b.window as string | number);
    } catch (err) {
      throw bad(`"window": ${errorReason(err)}`);
    }
    if (options.windowMs > MAX_REQUEST_WINDOW_MS) throw bad(`"window" must be at most ${MAX_REQUEST_WINDOW_MS / 1000}s`);
  }
  if (b.samples !== undefined) {
    const samples = Number(b.samples);
    if (!Number.isInteger(samples) || samples < REQUEST_SAMPLES.min || samples > REQUEST_SAMPLES.max) {
      throw bad(`"samples" must be an integer from ${REQUEST_SAMPLES.min} to ${REQUEST_SAMPLES.max}`);
    }
    options.samples = samples;
  }
  return { target, options };
}

/** What serveDiagnoseRequest needs of a session: run one diagnosis, then close. */
export interface DiagnoseRequestSession {
  diagnose(options: DiagnoseOptions, signal?: AbortSignal): Promise<DiagnosticResult>;
  close(): Promise<void>;
}

export interface DiagnoseRequestSpec extends DiagnoseBodySpec {
  /** Connects to the target; throws a coded error (PLW_ERR_DIAG_BAD_TARGET, PLW_ERR_DIAG_CONNECT) when it cannot. */
  open(target: DiagnosticTarget): Promise<DiagnoseRequestSession>;
  /** ctx.signal, so that a stopping plugin ends the request's sampling. */
  signal?: AbortSignal;
}

/**
 * Answers a diagnose request: 200 with the DiagnosticResult; 400 PLW_ERR_DIAG_BAD_REQUEST for a bad
 * body; a coded error's own status (400 PLW_ERR_DIAG_BAD_TARGET …); 502 PLW_ERR_DIAG_CONNECT otherwise.
 */
export async function serveDiagnoseRequest(req: PluginRequest, spec: DiagnoseRequestSpec): Promise<PluginResponse> {
  let session: DiagnoseRequestSession | undefined;
  try {
    const { target, options } = parseDiagnoseBody(req.body, spec);
    session = await spec.open(target);
    const result = await session.diagnose(options, spec.signal);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result };
  } catch (err) {
    return errorResponse(err);
  } finally {
    await session?.close();
  }
}
