// The one place a response that is not a plain value is written, whatever server it goes out
// through: a streamed body (a Readable or an async iterable, e.g. a proxied download) is piped
// to the client, and a 101 whose body is a socket (a proxied WebSocket upgrade) is spliced with
// the client's socket. A streamed response that will not be sent is destroyed.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex, Readable, pipeline } from 'node:stream';

/** A body that is a stream or an async iterable (strings and bytes are neither). */
export function isStreamBody(body: unknown): body is Readable | AsyncIterable<unknown> {
  if (body === null || typeof body !== 'object') return false;
  if (body instanceof Uint8Array) return false;
  return body instanceof Readable || typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

export function toReadable(body: Readable | AsyncIterable<unknown>): Readable {
  return body instanceof Readable ? body : Readable.from(body);
}

/** Whether a 101 answer carries the upstream's socket to splice with the client's. */
export function isUpgradeBody(status: number, body: unknown): body is Duplex {
  return status === 101 && body instanceof Duplex;
}

/**
 * A response that will not be sent (a middleware replaced it, or it failed its checks): its
 * stream is destroyed, so the connection it reads from is released instead of waiting forever.
 */
export function discardBody(res: unknown, replacement?: unknown): void {
  const body = (res as { body?: unknown } | null | undefined)?.body;
  // a middleware that changes headers hands the same stream on in a new response object
  if (body === (replacement as { body?: unknown } | null | undefined)?.body) return;
  if (body instanceof Readable || body instanceof Duplex) body.destroy();
}

/** Pipes a streamed body to a node:http response (the head already set); an error on either side ends both. */
export function writeStream(res: ServerResponse, status: number, headers: Record<string, string | number | string[]>, body: Readable): void {
  try {
    res.writeHead(status, headers);
  } catch (err) {
    // a header value Node refuses: nothing of the stream goes out, the client gets a 502
    body.destroy();
    const text = JSON.stringify({
      error: { code: 'PLW_ERR_INVALID_RESPONSE', message: `the response head was refused: ${(err as Error).message}` },
      request_id: String(headers['x-request-id'] ?? ''),
    });
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  pipeline(body, res, () => undefined);
}

/**
 * Writes a 101 head to the client's raw socket and pipes both sockets into each other. Either side
 * closing closes the other. `protocol` is what the client asked to upgrade to.
 */
export function spliceUpgrade(client: Socket, protocol: string, headers: Record<string, string | number | string[]>, upstream: Duplex): void {
  // the response checks dropped the hop-by-hop pair: the protocol switched to is the one asked for
  let head = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n`;
  for (const [k, v] of Object.entries(headers)) for (const x of Array.isArray(v) ? v : [v]) head += `${k}: ${x}\r\n`;
  client.write(`${head}\r\n`);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.once('close', end).once('error', end);
  client.once('close', end).once('error', end);
  upstream.pipe(client);
  client.pipe(upstream);
}
