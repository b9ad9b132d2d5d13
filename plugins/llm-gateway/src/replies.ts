// The llm-gateway's error answers: plugway's error body (a stable code, the request id) with the
// `type` OpenAI clients read. The codes are plugway's catalogue's (src/errors.ts, PLW_ERR_LLM_*).
import type { PluginResponse } from 'plugway/sdk';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  503: 'api_error',
  502: 'api_error',
  504: 'timeout_error',
};

export function errorReply(status: number, code: string, message: string, requestId: string, headers: Record<string, string> = {}): PluginResponse {
  return { statusCode: status, headers, body: { error: { code, message, type: TYPES[status] ?? 'api_error' }, request_id: requestId } };
}
