// A protocol plugin (`kind: protocol`): plugway listens on a TCP port for it, cuts the byte stream
// into frames (its parse(), or lines by default) and calls handle(frame) for each; docs/protocol-plugins.md.

import type { PluginContext } from './context.js';
import type { PluginBase } from './plugin.js';

type Awaitable<T> = T | Promise<T>;

/** One TCP connection as the plugin sees it: plain data, so every runtime gets the same. */
export interface ProtocolConnection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** parse()'s answer: the complete frames found, and how many bytes of the input they used. */
export interface ParsedFrames<F = unknown> {
  frames: F[];
  consumed: number;
}

/** What handle() may return: bytes to write (string as UTF-8), nothing, or bytes and then close. */
export type ProtocolReply = string | Uint8Array | undefined | null | { reply?: string | Uint8Array; close?: boolean };

export interface ProtocolPlugin<C = Record<string, unknown>, F = string> extends PluginBase<C> {
  /**
   * Cuts bytes received (and not consumed yet) into frames. Absent: one frame per line, as a
   * string without its \n or \r\n.
   */
  parse?(bytes: Uint8Array, conn: ProtocolConnection, ctx: PluginContext<C>): Awaitable<ParsedFrames<F>>;
  /** Answers one frame; frames of a connection are handled one at a time, in order. */
  handle(frame: F, conn: ProtocolConnection, ctx: PluginContext<C>): Awaitable<ProtocolReply>;
  /** A connection opened: a returned value is written first (a greeting). */
  onConnect?(conn: ProtocolConnection, ctx: PluginContext<C>): Awaitable<ProtocolReply>;
  onDisconnect?(conn: ProtocolConnection, reason: string, ctx: PluginContext<C>): Awaitable<void>;
}
