// reload(id), simple form: re-read manifest and entry from disk (a fresh module URL), stop the old
// version, start the new; if the new one fails, restart the old and throw PLW_ERR_RELOAD_FAILED.

import { PlugwayError, isPlugwayError, reasonOf } from '../errors.js';
import { manifestError } from '../manifest/index.js';
import type { Lifecycle } from './lifecycle.js';
import { candidateOf, readCandidate, type Loader } from './loader.js';
import type { Orchestrator } from './orchestrator.js';
import type { PluginRecord, Registry } from './registry.js';

export interface ReloadDeps {
  registry: Registry;
  lifecycle: Lifecycle;
  loader: Loader;
  orchestrator: Orchestrator;
}

const LIVE = new Set(['loaded', 'initialized', 'running']);

export function reloadPlugin(id: string, deps: ReloadDeps): Promise<PluginRecord> {
  const { registry, lifecycle, loader, orchestrator } = deps;
  return registry.lock(id, async () => {
    const old = registry.get(id);
    if (!old) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
    const candidate = candidateOf(old);
    if (!candidate) throw new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step: 'read', reason: 'it was registered in code, not loaded from disk' });
    const read = await readCandidate(candidate);
    const m = read.result.manifest;
    if (!m || read.result.errors.length) {
      throw new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step: 'manifest', reason: manifestError(read.result).message });
    }
    if (m.id !== id) throw new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step: 'manifest', reason: `the manifest now names the plugin "${m.id}"` });

    const wasRunning = old.state === 'running';
    if (LIVE.has(old.state)) await lifecycle.stop(old).catch(() => undefined);
    registry.remove(old);
    let next: PluginRecord | undefined;
    let step = 'register';
    try {
      next = loader.admitRead(read);
      if (next.state === 'failed') throw next.error;
      const down = orchestrator.downDependency(next);
      if (down) throw new PlugwayError('PLW_ERR_DEPENDENCY_FAILED', { id, dependency: down });
      step = 'start';
      await lifecycle.bringUp(next);
    } catch (err) {
      if (next) {
        registry.remove(next);
        await lifecycle.dispose(next);
      }
      registry.add(old);
      if (wasRunning && old.state === 'stopped' && old.runtime) await lifecycle.start(old).catch(() => undefined);
      const reason = isPlugwayError(err) ? `${err.code}: ${err.message}` : reasonOf(err);
      throw new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step, reason }, { cause: err });
    }
    await lifecycle.dispose(old);
    return next;
  });
}
