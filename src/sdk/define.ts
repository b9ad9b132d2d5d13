// Typed identity helpers: they add types, never behaviour, so a plain object works the same.

import type { PluginBase, PluginByKind, PluginFactory } from './plugin.js';
import type { PluginKind } from './types.js';

export function definePlugin<C = Record<string, unknown>, P extends PluginBase<C> = PluginBase<C>>(plugin: P): P;
export function definePlugin<C = Record<string, unknown>>(factory: PluginFactory<C>): PluginFactory<C>;
export function definePlugin(pluginOrFactory: unknown): unknown {
  return pluginOrFactory;
}

/** definePlugin narrowed to one kind: `defineKind('handler', { handleRequest … })`. */
export function defineKind<K extends PluginKind, C = Record<string, unknown>>(_kind: K, plugin: PluginByKind<C>[K]): PluginByKind<C>[K] {
  return plugin;
}
