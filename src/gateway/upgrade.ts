// Upgrade requests (WebSocket) through the gateway's routes: node hands an upgrade's raw socket to
// 'upgrade' listeners only, so this one serves it like any request (the fast path, else Fastify),
// with a response bound to that socket. A route whose plugin answers 101 splices the socket
// (stream-response.ts); any other answer is written as usual and the socket closed after it.

import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export function routeUpgrades(app: FastifyInstance, serve: (req: IncomingMessage, res: ServerResponse) => void): () => void {
  const server = app.server;
  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (head.length) socket.unshift(head);
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    // no HTTP parser reads this socket any more: a refusal ends the connection
    res.once('finish', () => socket.end());
    socket.once('error', () => socket.destroy());
    try {
      serve(req, res);
    } catch {
      socket.destroy();
    }
  };
  // Another part that owns upgrades (a WebSocket plugin of its own) keeps them.
  if (server.listenerCount('upgrade') > 0) return () => undefined;
  server.on('upgrade', onUpgrade);
  return () => server.off('upgrade', onUpgrade);
}
