// What a plugin of kind K is, decided once for every runtime: after any runtime loaded the code,
// what it implements is checked against the kind's requirements (sdk KIND_REQUIREMENTS). A
// `kind: auth` plugin without authenticate fails with PLW_ERR_KIND_CONTRACT in-process, in a
// worker and as wasm alike; `plugway plugin validate` asks the same question before any load.

import { PlugwayError } from '../errors.js';
import type { PluginManifest } from './types.js';
import { missingFor } from '../sdk/plugin.js';

/** PLW_ERR_KIND_CONTRACT when a plugin that implements what `implemented` says lacks what its kind needs. */
export function kindContractError(manifest: Pick<PluginManifest, 'id' | 'kind'> & { endpoints?: PluginManifest['endpoints'] }, implemented: (method: string) => boolean): PlugwayError | undefined {
  const missing = missingFor(manifest.kind, implemented, manifest.endpoints);
  return missing.length ? new PlugwayError('PLW_ERR_KIND_CONTRACT', { id: manifest.id, kind: manifest.kind, missing: missing.join(', ') }) : undefined;
}
