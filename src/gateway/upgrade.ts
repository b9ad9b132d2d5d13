// Upgrade requests (WebSocket) through the gateway's routes: node hands an upgrade's raw socket to
// 'upgrade' listeners only, and the WebSocket endpoints' listener passes on what it does not serve,
// so this serves it like any request (the fast path, else Fastify), with a response bound to that
// socket. A route whose plugin answers 101 splices the socket (stream-response.ts); any other
// answer is written as usual and the socket closed after it.

import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * The handler for an upgrade no WebSocket endpoint took (websocket/server.ts passes it on): served
 * through `serve`, the same routes as any request.
 */
export function upgradeThroughRoutes(serve: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    if (head.length) socket.unshift(head);
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    // no HTTP parser reads this socket any more: a refusal ends the connection
    res.once('finish', () => socket.end());
    socket.once('error', () => socket.destroy());
    try {
      serve(req, res);
    } catch {
      socket.destroy();
    }
  };
}
