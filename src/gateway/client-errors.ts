// Errors Node's HTTP parser raises before any route runs (a malformed request line or header, headers
// over the size limit, a request not received in time): answered in the gateway's JSON error shape
// with a code and a request id, written straight to the socket as Node's own handler would.

import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { refuse, errorBody, type HttpFailure } from './http-errors.js';
import { requestIdOf } from './request-id.js';

export interface ClientErrorLimits {
  maxHeaderSize: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

export function clientErrorFailure(err: NodeJS.ErrnoException & { reason?: string }, limits: ClientErrorLimits): HttpFailure {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return refuse('PLW_ERR_HEADERS_TOO_LARGE', { limit: limits.maxHeaderSize });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return refuse('PLW_ERR_REQUEST_TIMEOUT', { timeoutMs: Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs), what: 'headers or body arrived too slowly' });
    default:
      return refuse('PLW_ERR_BAD_REQUEST', { reason: `the HTTP parser refused it (${err.code ?? 'error'}${err.reason ? `: ${err.reason}` : ''})` });
  }
}

/** Fastify's clientErrorHandler: the JSON error, then the connection is closed. */
export function writeClientError(err: NodeJS.ErrnoException & { reason?: string }, socket: Socket, limits: ClientErrorLimits): void {
  // A reset or an already answered socket has no one to read an answer.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const f = clientErrorFailure(err, limits);
  const rid = requestIdOf(undefined);
  const body = errorBody(f, rid);
  socket.end(
    `HTTP/1.1 ${f.status} ${STATUS_CODES[f.status] ?? 'Error'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${rid}\r\nconnection: close\r\n\r\n${body}`,
  );
}
