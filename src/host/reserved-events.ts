// Event namespaces that belong to plugway: only the host publishes in them. A plugin that could
// emit `runtime.worker_crashed` or `plugin.state_changed` could fake another plugin's crash, trip
// a release watch, or grow the metrics the host derives from its own events.

export const RESERVED_EVENT_PREFIXES: readonly string[] = ['runtime.', 'plugin.', 'gateway.', 'host.', 'plugway.', 'release.', 'state.', 'admin.', 'cluster.', 'audit.'];

export function isReservedEventType(type: string): boolean {
  for (const p of RESERVED_EVENT_PREFIXES) if (type.startsWith(p)) return true;
  return false;
}
