// WebSocket endpoints on the gateway's HTTP server ('upgrade' event, Fastify or the fast path):
// the upgrade runs the route's steps (auth, rate limit) and the connection stays on the plugin
// version that accepted it; a swap drains it (1012). Hooks: onOpen/onMessage/onClose (or on_*).

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import querystring from 'fast-querystring';
import { Counter, Gauge } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { describeError, isPlugwayError, reasonOf } from '../../errors.js';
import type { PluginInstance, StateChange } from '../../host/types.js';
import type { PluginRequest } from '../../sdk/types.js';
import type { WebSocketConnectionSnapshot } from '../../sdk/websocket.js';
import type { GatewayCore } from '../core.js';
import { refuse } from '../http-errors.js';
import { dispatch } from '../pipeline.js';
import { requestIdOf } from '../request-id.js';
import { RequestContext, type Exchange, type Outcome, type Step } from '../steps/context.js';
import { applyAnswer } from './actions.js';
import { CLOSE, Connection, closeCodeOfError, deliverToRoom, frameOf } from './connection.js';
import { WsRouteTable, type WsRoute } from './routes.js';

/** Bytes a connection may have waiting to be written before it is closed as a slow reader (1008). */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

const HOOKS = { open: ['onOpen', 'on_open'], message: ['onMessage', 'on_message'], close: ['onClose', 'on_close'] } as const;

/** A refusal written on the raw socket of an upgrade request (no HTTP server response object there). */
class SocketExchange implements Exchange {
  constructor(private readonly socket: Duplex) {}
  remoteAddress(): string {
    return (this.socket as { remoteAddress?: string }).remoteAddress ?? 'unknown';
  }
  send(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | undefined): void {
    const body = payload === undefined ? Buffer.alloc(0) : Buffer.from(payload);
    const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'connection: close', `content-length: ${body.length}`];
    if (contentType) lines.push(`content-type: ${contentType}`);
    for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) if (!/[\r\n]/.test(String(one))) lines.push(`${k}: ${one}`);
    if (!this.socket.writable) return void this.socket.destroy();
    this.socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
  }
}

interface Pending {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
}

export interface WebSocketGatewayOptions {
  /** Mount prefix to strip ('' standalone). */
  prefix: string;
  maxBufferedBytes?: number;
  /** Answer 404 to upgrades that match no WebSocket endpoint (false when the embedder has its own upgrade handlers). */
  ownsUpgrades: () => boolean;
  /**
   * An upgrade for no WebSocket endpoint, when the gateway owns upgrades: served through the HTTP
   * routes instead (a remote plugin proxying a WebSocket, upgrade.ts), which answer 404 themselves.
   */
  otherRoutes?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Room broadcasts across nodes (the cluster's NATS, cluster/room-relay.ts); rooms are local without it. */
  rooms?: RoomTransport;
}

/** Carries room broadcasts between nodes. */
export interface RoomTransport {
  publish(pluginId: string, room: string, frame: string | Buffer): void;
  /** Broadcasts from the other nodes; returns the unsubscribe. */
  onBroadcast(deliver: (pluginId: string, room: string, frame: string | Buffer) => void): () => void;
}

export class WebSocketGateway {
  private readonly routes: WsRouteTable;
  private readonly servers = new Map<number, WebSocketServer>();
  private readonly pending = new WeakMap<RequestContext, Pending>();
  /** Open connections by `plugin@version` (a swap closes the old version's). */
  private readonly byVersion = new Map<string, Set<Connection>>();
  private readonly openByRoute = new Map<string, number>();
  /** Rooms per plugin id (all its versions share them). */
  private readonly rooms = new Map<string, Map<string, Set<Connection>>>();
  private readonly gauge: Gauge<'plugin'>;
  private readonly messages: Counter<'plugin' | 'direction'>;
  private readonly closes: Counter<'plugin' | 'code'>;
  private readonly off: () => void;
  private closed = false;

  constructor(
    private readonly core: GatewayCore,
    private readonly opts: WebSocketGatewayOptions,
  ) {
    this.routes = new WsRouteTable(core, (route) => this.acceptStep(route));
    const registers = [core.metrics.registry];
    this.gauge = new Gauge({ name: 'plugway_websocket_connections', help: "Open WebSocket connections (the seed's active_connections)", labelNames: ['plugin'], registers });
    this.messages = new Counter({ name: 'plugway_websocket_messages_total', help: 'WebSocket messages, in (from clients) and out (to clients)', labelNames: ['plugin', 'direction'], registers });
    this.closes = new Counter({ name: 'plugway_websocket_closes_total', help: 'Closed WebSocket connections by close code', labelNames: ['plugin', 'code'], registers });
    // A version leaving service (swapped out and drained, disabled, failed) takes its connections with it: 1012.
    const offState = core.host.events.on<StateChange>('plugin.state_changed', (e) => {
      const d = e.data;
      if (d.to === 'stopping' || d.to === 'stopped' || d.to === 'failed') this.closeVersion(d.id, d.version, CLOSE.restart, 'service restart');
    });
    // Another node's broadcast: to this node's members of the room.
    const offRelay = opts.rooms?.onBroadcast((pluginId, room, frame) => deliverToRoom(this.rooms.get(pluginId)?.get(room), frame));
    this.off = () => (offState(), offRelay?.());
  }

  /** Open connections now, per plugin (tests and the admin API). */
  openConnections(pluginId?: string): number {
    let n = 0;
    for (const [key, set] of this.byVersion) if (!pluginId || key.startsWith(`${pluginId}@`)) n += set.size;
    return n;
  }

  /** The server's 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    const prefix = this.opts.prefix;
    if (prefix) {
      if (!path.startsWith(prefix)) return this.notOurs(req, socket, head, path);
      path = path.slice(prefix.length) || '/';
    }
    let found;
    try {
      found = this.closed ? undefined : this.routes.find(path);
    } catch {
      found = undefined;
    }
    if (!found) return this.notOurs(req, socket, head, path);
    socket.on('error', () => undefined); // a peer gone mid-upgrade must not become an uncaught error
    const query = q < 0 || q === url.length - 1 ? {} : (querystring.parse(url.slice(q + 1)) as Record<string, string | string[]>);
    const headers = req.headers as PluginRequest['headers'];
    const preq: PluginRequest = { id: requestIdOf(headers['x-request-id']), method: 'GET', path, params: found.params, query, headers, context: {} };
    const ctx = new RequestContext(preq, new SocketExchange(socket), performance.now());
    this.pending.set(ctx, { req, socket, head, params: found.params, query });
    const done = dispatch(found.steps, ctx);
    if (done) done.catch(() => undefined);
  }

  private notOurs(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): void {
    if (!this.opts.ownsUpgrades()) return; // the embedder's own upgrade handlers answer it
    if (this.opts.otherRoutes && !this.closed) return this.opts.otherRoutes(req, socket, head);
    const f = refuse('PLW_ERR_ROUTE_NOT_FOUND', { method: 'GET (upgrade)', path });
    const body = JSON.stringify({ error: { code: f.code, message: f.message }, request_id: requestIdOf(req.headers['x-request-id']) });
    new SocketExchange(socket).send(f.status, {}, 'application/json; charset=utf-8', body);
  }

  private serverFor(maxPayload: number): WebSocketServer {
    let s = this.servers.get(maxPayload);
    if (!s) this.servers.set(maxPayload, (s = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: false })));
    return s;
  }

  /** The last step of an upgrade: capacity, then the 101 and the plugin's onOpen on the active version. */
  private acceptStep(route: WsRoute): Step {
    return {
      name: 'websocket-upgrade',
      enter: (ctx: RequestContext): Outcome | Promise<Outcome> => {
        const p = this.pending.get(ctx)!;
        const inst = this.core.host.get(route.pluginId);
        if (!inst || inst.state !== 'running') return refuse('PLW_ERR_PLUGIN_NOT_RUNNING', { id: route.pluginId, state: inst?.state ?? 'unregistered' });
        const open = this.openByRoute.get(route.key) ?? 0;
        if (open >= route.limits.maxConnections) {
          return refuse('PLW_ERR_WS_TOO_MANY_CONNECTIONS', { path: route.path, max: route.limits.maxConnections }, { 'retry-after': '5' });
        }
        this.openByRoute.set(route.key, open + 1); // reserved now: concurrent upgrades cannot pass the limit
        ctx.options = { servedBy: inst.version };
        return new Promise<Outcome>((resolve) => {
          if (p.socket.destroyed) {
            this.openByRoute.set(route.key, (this.openByRoute.get(route.key) ?? 1) - 1);
            return resolve(refuse('PLW_ERR_BAD_REQUEST', { reason: 'the client went away during the upgrade' }));
          }
          this.serverFor(route.limits.maxMessageBytes).handleUpgrade(p.req, p.socket, p.head, (ws) => {
            this.opened(route, inst, ws, ctx, p);
            resolve({ status: 101 });
          });
          // ws answers a malformed upgrade (bad key, version) itself with 400 and never calls back.
          p.socket.once('close', () => resolve({ status: 400 }));
        });
      },
    };
  }

  private opened(route: WsRoute, inst: PluginInstance, ws: WebSocket, ctx: RequestContext, p: Pending): void {
    const { pluginId } = route;
    const version = inst.version;
    let rooms = this.rooms.get(pluginId);
    if (!rooms) this.rooms.set(pluginId, (rooms = new Map()));
    const conn = new Connection(randomUUID(), ws, ctx.preq.path, p.params, p.query, version, ctx.preq.user ?? undefined, {
      rooms,
      maxBufferedBytes: this.opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      sent: () => this.messages.labels(pluginId, 'out').inc(),
      ...(this.opts.rooms ? { relay: (room: string, frame: string | Buffer) => this.opts.rooms!.publish(pluginId, room, frame) } : {}),
    });
    const vkey = `${pluginId}@${version}`;
    let set = this.byVersion.get(vkey);
    if (!set) this.byVersion.set(vkey, (set = new Set()));
    set.add(conn);
    const release = this.core.host.holdVersion?.(pluginId, version);
    this.gauge.labels(pluginId).inc();
    const log = this.core.logger;
    const openedAt = performance.now();
    let messagesIn = 0;
    log.info({ plugin_id: pluginId, version, conn_id: conn.id, path: conn.path, user_id: conn.user?.id ?? null, request_id: ctx.preq.id }, 'websocket opened');

    const limits = route.limits;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      if (limits.idleTimeoutMs <= 0) return;
      if (idle) idle.refresh();
      else idle = setTimeout(() => conn.close(CLOSE.goingAway, 'idle timeout'), limits.idleTimeoutMs);
    };
    armIdle();

    // Messages are handed to the plugin one at a time, in order (an async onMessage does not reorder them).
    let queue: Promise<void> = this.hook(inst, 'open', [conn], conn);
    const limiterKey = conn.user ? `u:${conn.user.id}` : `ip:${this.core.clientIp(ctx)}`;
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      armIdle();
      messagesIn++;
      this.messages.labels(pluginId, 'in').inc();
      const data = isBinary ? toBuffer(raw) : toBuffer(raw).toString('utf8');
      queue = queue.then(async () => {
        if (route.limiter) {
          const d = await Promise.resolve(route.limiter.consume(limiterKey)).catch(() => undefined);
          if (d && !d.allowed) {
            route.metrics.rateLimited();
            const m = describeError('PLW_ERR_RATE_LIMITED', { limit: route.limiter.spec.raw, retryAfter: d.retryAfterSec });
            conn.send({ error: { code: 'PLW_ERR_RATE_LIMITED', message: m.message } });
            return;
          }
        }
        await this.hook(inst, 'message', [conn, data], conn);
      });
    });
    ws.on('error', (err) => {
      conn.sentCode ??= closeCodeOfError(err as { code?: string });
      log.warn({ plugin_id: pluginId, conn_id: conn.id, err: { message: err.message } }, 'websocket error');
    });
    ws.on('close', (received: number) => {
      const code = received === 1006 && conn.sentCode !== undefined ? conn.sentCode : received;
      if (idle) clearTimeout(idle);
      conn.closing = true;
      conn.leaveAll();
      set.delete(conn);
      if (set.size === 0) this.byVersion.delete(vkey);
      this.openByRoute.set(route.key, Math.max(0, (this.openByRoute.get(route.key) ?? 1) - 1));
      this.gauge.labels(pluginId).dec();
      this.closes.labels(pluginId, String(code)).inc();
      log.info(
        { plugin_id: pluginId, version, conn_id: conn.id, path: conn.path, user_id: conn.user?.id ?? null, code, messages_in: messagesIn, duration_ms: Math.round(performance.now() - openedAt) },
        'websocket closed',
      );
      queue = queue.then(() => this.hook(inst, 'close', [conn, code], conn)).finally(() => release?.());
    });
  }

  /** Calls one of the plugin's hooks on the version the connection is on; a returned value is sent to the connection. */
  private async hook(inst: PluginInstance, which: keyof typeof HOOKS, args: unknown[], conn: Connection): Promise<void> {
    const runtime = inst.runtime;
    if (!runtime) return;
    const name = HOOKS[which].find((n) => runtime.implements(n));
    if (!name) return;
    if (inst.state !== 'running' && which !== 'close') return;
    // Isolated runtimes cannot receive a live object: they get the connection's data, and answer
    // with actions (actions.ts) or a value to send.
    const inprocess = runtime.type === 'inprocess';
    const payload = inprocess ? args : [snapshot(conn), ...args.slice(1)];
    try {
      const out = await runtime.call(name, payload);
      if (inprocess) {
        if (out !== undefined && which !== 'close') conn.send(out);
      } else applyAnswer(conn, out, { pluginId: inst.id, hook: name, closing: which === 'close' });
    } catch (err) {
      this.core.logger.warn(
        { plugin_id: inst.id, version: inst.version, conn_id: conn.id, hook: name, err: { code: isPlugwayError(err) ? err.code : undefined, message: reasonOf(err) } },
        `websocket ${name} failed`,
      );
      if (which === 'open') conn.close(CLOSE.internal, 'the plugin failed to open the connection');
    }
  }

  /** Closes every connection on one plugin version (swapped out, stopped, failed). */
  private closeVersion(id: string, version: string, code: number, reason: string): void {
    const set = this.byVersion.get(`${id}@${version}`);
    if (set) for (const c of [...set]) c.close(code, reason);
  }

  /** Closes every connection (1001) and refuses new upgrades: the gateway is closing. */
  close(): void {
    this.closed = true;
    this.off();
    for (const set of this.byVersion.values()) for (const c of [...set]) c.close(CLOSE.goingAway, 'server closing');
    for (const s of this.servers.values()) s.close();
  }
}

function toBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}

/** What an isolated plugin gets as `conn`: plain data (WebSocketConnectionSnapshot). */
function snapshot(c: Connection): WebSocketConnectionSnapshot {
  return { id: c.id, user: c.user, path: c.path, params: c.params, query: c.query, version: c.version, rooms: [...c.rooms] };
}

export { frameOf };
