// plugin.yaml: load, validate and normalize manifests; check plugins' config and entry files.
export type * from './types.js';
export { DEFAULT_MANIFEST_FILES, loadManifestFile, loadManifestFromDir, manifestError, parseManifest } from './load.js';
export { normalizeManifest, DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_TIMEOUT_MS } from './normalize.js';
export { parseRateLimit, tryParseRateLimit } from './rate-limit.js';
export { parseDependencyString, isPluginId, isSemver, isSemverRange } from './dependency.js';
export { validatePluginConfig, configDefaults } from './plugin-config.js';
export { resolveEntry, DEFAULT_ENTRIES } from './entry.js';
export { toDurationMs } from './duration.js';
export { formatIssue } from './issues.js';
export { closest, didYouMean } from './suggest.js';
export { checkEntry, checkEngine, importEntry, checkKindContract, engineProblem, instantiatePlugin, missingWasmExports, type EntryCheckOptions } from './entry-check.js';
export { isNativeEntry, nativeEntryOf, nativeFilesIn, nativeHint } from './native-entry.js';
