// Refuses a request for a plugin that is disabled (503 PLW_ERR_PLUGIN_DISABLED) or not running
// (503 PLW_ERR_PLUGIN_NOT_RUNNING) before any middleware or auth runs for it.

import type { Host } from '../../host/types.js';
import { refuse } from '../http-errors.js';
import type { Outcome, Step } from './context.js';

export function availabilityStep(host: Host, id: string): Step {
  return {
    name: 'availability',
    enter(): Outcome | undefined {
      if (!host.isEnabled(id)) return refuse('PLW_ERR_PLUGIN_DISABLED', { id });
      const inst = host.get(id);
      if (!inst || inst.state !== 'running') return refuse('PLW_ERR_PLUGIN_NOT_RUNNING', { id, state: inst?.state ?? 'unregistered' });
      return undefined;
    },
  };
}
