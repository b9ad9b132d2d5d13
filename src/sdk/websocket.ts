// What a plugin with WebSocket endpoints (`protocol: websocket`) implements and receives: the hooks
// and `conn`. In-process plugins get the live `conn`; isolated ones get WebSocketConnectionData.

import type { PluginContext } from './context.js';
import type { Principal } from './types.js';

type Awaitable<T> = T | Promise<T>;

/** The data of a connection (what worker, wasm and process plugins receive as `conn`). */
export interface WebSocketConnectionData {
  readonly id: string;
  /** The authenticated caller (auth: required/optional), else undefined. */
  readonly user?: Principal;
  /** The served path, its route parameters and query. */
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, string | string[]>;
  /** The plugin version this connection stays on until it closes. */
  readonly version: string;
}

/** `conn` as worker, wasm and process plugins receive it: its data and the rooms it is in now. */
export interface WebSocketConnectionSnapshot extends WebSocketConnectionData {
  readonly rooms: readonly string[];
}

/**
 * What an isolated plugin (worker, wasm, process) does to its connection: it answers a hook with
 * `{ actions: [...] }`, applied in order (docs/websocket.md#actions).
 */
export type WebSocketAction =
  | { op: 'send'; data: unknown }
  | { op: 'close'; code?: number; reason?: string }
  | { op: 'join'; room: string }
  | { op: 'leave'; room: string }
  | { op: 'broadcast'; room: string; data: unknown; exceptSelf?: boolean };

/** A hook's answer from an isolated plugin: actions, or a value sent to the connection. */
export type WebSocketAnswer = { actions: WebSocketAction[] } | unknown;

/** One open WebSocket, as an in-process plugin's hooks receive it. */
export interface WebSocketConnection extends WebSocketConnectionData {
  /** A string goes as a text frame, a Buffer/Uint8Array as binary, anything else as JSON text. False when not sent (closed, or closed now as a slow reader). */
  send(data: unknown): boolean;
  close(code?: number, reason?: string): void;
  /** Rooms are the plugin's own and local to this node. */
  join(room: string): void;
  leave(room: string): void;
  /** Sends to every connection of this plugin in `room` on this node (this one too unless exceptSelf); how many got it. */
  broadcast(room: string, data: unknown, options?: { exceptSelf?: boolean }): number;
  readonly rooms: ReadonlySet<string>;
}

/**
 * The hooks of a WebSocket plugin (camelCase or the snake_case names on_open, on_message, on_close).
 * A value returned by onOpen or onMessage is sent to the connection.
 */
export interface WebSocketHooks<C = Record<string, unknown>> {
  onOpen?(conn: WebSocketConnection, ctx: PluginContext<C>): Awaitable<unknown>;
  /** Text frames arrive as a string, binary ones as a Buffer; one at a time, in order. */
  onMessage?(conn: WebSocketConnection, data: string | Buffer, ctx: PluginContext<C>): Awaitable<unknown>;
  /** `code`: the close code (1000 normal, 1001 idle/going away, 1008 slow reader, 1009 too big, 1012 drained). */
  onClose?(conn: WebSocketConnection, code: number, ctx: PluginContext<C>): Awaitable<void>;
}
