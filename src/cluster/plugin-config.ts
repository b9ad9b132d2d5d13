// A plugin's config changed at run time (PUT /admin/plugins/:id/config on any node, or the shared
// desired state bringing another node's change): checked against the plugin's config_schema, then the
// same code is brought up with the new config beside the running version and switched to when
// healthy, as a reload is. A config that fails validation changes nothing.

import { PlugwayError } from '../errors.js';
import type { Releases } from '../host/releases/types.js';
import type { Host } from '../host/types.js';
import { validatePluginConfig } from '../manifest/index.js';

/** JSON equality of two configs (key order ignored). */
export function sameConfig(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    v && typeof v === 'object'
      ? Array.isArray(v)
        ? v.map(norm)
        : Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
          )
      : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Validates `config` for `id`; throws PLW_ERR_PLUGIN_CONFIG_INVALID (400) naming every offending field. */
export function checkPluginConfig(host: Host, id: string, config: unknown): Record<string, unknown> {
  const p = host.get(id);
  if (!p) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
  validatePluginConfig(p.manifest, config);
  return config as Record<string, unknown>;
}

/**
 * Serves `id` with `config` (as written, before defaults: plugway.yaml's `plugins.configs.<id>.config`
 * is replaced). On failure the previous config and version stay.
 */
export async function applyPluginConfig(host: Host, releases: Releases | undefined, id: string, config: Record<string, unknown>, trigger: 'api' | 'cluster'): Promise<void> {
  checkPluginConfig(host, id, config);
  if (!releases) throw new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step: 'config', reason: 'this host has no release manager' });
  const overrides = host.config.plugins.configs;
  const before = overrides[id];
  overrides[id] = { ...(before ?? { enabled: true, dependencies: [], roles: [], required: true, flags: {} }), config };
  try {
    await releases.reload(id, trigger, { force: true });
  } catch (err) {
    if (before) overrides[id] = before;
    else delete overrides[id];
    throw err;
  }
}
