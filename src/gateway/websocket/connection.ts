// One open WebSocket as a plugin sees it (`conn`): id, user, send, close and rooms. Rooms are a
// plugin's own; a broadcast reaches this node's members and, through the relay when the cluster has
// NATS, the other nodes' (docs/websocket.md). A send past the buffered-bytes limit closes a slow
// reader with 1008 instead of growing memory.

import type { WebSocket } from 'ws';
import type { Principal } from '../../sdk/types.js';
import type { WebSocketConnection } from '../../sdk/websocket.js';

/** Close codes the gateway uses (RFC 6455 §7.4.1 and the IANA registry). */
export const CLOSE = { normal: 1000, goingAway: 1001, policy: 1008, tooBig: 1009, internal: 1011, restart: 1012 } as const;

/** The close code ws sends for a protocol error it raised (its error codes). */
export function closeCodeOfError(err: { code?: string }): number | undefined {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return CLOSE.tooBig;
  if (err.code === 'WS_ERR_INVALID_UTF8') return 1007;
  return err.code?.startsWith('WS_ERR_') ? 1002 : undefined;
}

export interface ConnectionDeps {
  /** A plugin's rooms: room name → connections. */
  rooms: Map<string, Set<Connection>>;
  maxBufferedBytes: number;
  /** A message went out (metrics). */
  sent(): void;
  /** Sends a broadcast on to the other nodes (room-relay.ts), when there are any. */
  relay?(room: string, frame: string | Buffer): void;
}

/** Sends one frame to every connection of a room (but `except`); how many got it. */
export function deliverToRoom(set: ReadonlySet<Connection> | undefined, frame: string | Buffer, except?: Connection): number {
  if (!set) return 0;
  let n = 0;
  for (const c of [...set]) if (c !== except && c.sendFrame(frame)) n++;
  return n;
}

export function frameOf(data: unknown): string | Buffer {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return JSON.stringify(data ?? null);
}

export class Connection implements WebSocketConnection {
  readonly rooms = new Set<string>();
  /** Set when the gateway or the plugin closed it. */
  closing = false;
  /** The close code this side sent (ws reports 1006 when the peer's close frame never came back). */
  sentCode: number | undefined;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly path: string,
    readonly params: Record<string, string>,
    readonly query: Record<string, string | string[]>,
    readonly version: string,
    readonly user: Principal | undefined,
    private readonly deps: ConnectionDeps,
  ) {}

  send(data: unknown): boolean {
    return this.sendFrame(frameOf(data));
  }

  /** Sends an already framed message (a broadcast frames once for all). */
  sendFrame(frame: string | Buffer): boolean {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return false;
    if (this.ws.bufferedAmount > this.deps.maxBufferedBytes) {
      this.closeSlow();
      return false;
    }
    this.ws.send(frame);
    this.deps.sent();
    return true;
  }

  close(code: number = CLOSE.normal, reason = ''): void {
    if (this.closing) return;
    this.closing = true;
    this.sentCode = code;
    this.ws.close(code, reason.slice(0, 120));
    // A peer that never answers the close frame (a stalled reader) is cut after a grace period.
    const t = setTimeout(() => this.ws.terminate(), 2_000);
    t.unref();
    this.ws.once('close', () => clearTimeout(t));
  }

  /** A slow reader: its buffered bytes passed the limit. */
  private closeSlow(): void {
    this.close(CLOSE.policy, 'slow reader: too many bytes buffered');
  }

  join(room: string): void {
    if (this.closing || this.rooms.has(room)) return; // a closed connection's rooms were left already

    this.rooms.add(room);
    let set = this.deps.rooms.get(room);
    if (!set) this.deps.rooms.set(room, (set = new Set()));
    set.add(this);
  }

  leave(room: string): void {
    if (!this.rooms.delete(room)) return;
    const set = this.deps.rooms.get(room);
    set?.delete(this);
    if (set?.size === 0) this.deps.rooms.delete(room);
  }

  /** Sends to the room's members here (how many got it), and to the other nodes' through the relay. */
  broadcast(room: string, data: unknown, options?: { exceptSelf?: boolean }): number {
    const frame = frameOf(data);
    this.deps.relay?.(room, frame);
    return deliverToRoom(this.deps.rooms.get(room), frame, options?.exceptSelf ? this : undefined);
  }

  /** Leaves every room (on close). */
  leaveAll(): void {
    for (const r of [...this.rooms]) this.leave(r);
  }
}
