// Validation of a parsed plugin.yaml: ajv for the structure, then the rules a schema cannot say
// well (ids, dependency strings, config_schema itself); every finding mapped to a code and position.
import type { ErrorObject } from 'ajv';
import type { ErrorCode } from '../errors.js';
import { PLUGIN_KINDS, RUNTIME_TYPES } from '../sdk/types.js';
import { createAjv } from './ajv.js';
import { isPluginId, isSemver, isSemverRange, splitDependencyString } from './dependency.js';
import { isDuration } from './duration.js';
import { IssueCollector } from './issues.js';
import { compileConfigSchema, configAjv, isCompiledSchema } from './plugin-config.js';
import { tryParseRateLimit } from './rate-limit.js';
import { manifestSchema } from './schema.js';
import { didYouMean } from './suggest.js';
import { formatPath, pointerToPath, type PathSegment } from './yaml-source.js';

const FORMAT_CODES: Record<string, ErrorCode> = {
  semver: 'PLW_ERR_MANIFEST_BAD_SEMVER',
  'semver-range': 'PLW_ERR_MANIFEST_BAD_RANGE',
  'rate-limit': 'PLW_ERR_MANIFEST_BAD_RATE_LIMIT',
  duration: 'PLW_ERR_MANIFEST_BAD_DURATION',
};

/** The same checks as the formats, for text: does the value as written pass once quoted? */
const FORMAT_CHECKS: Record<string, (s: string) => boolean> = {
  semver: isSemver,
  'semver-range': isSemverRange,
  'rate-limit': (s) => tryParseRateLimit(s) !== undefined,
  duration: isDuration,
};

let validator: ReturnType<ReturnType<typeof createAjv>['compile']> | undefined;

function structureValidator() {
  if (!validator) {
    const ajv = createAjv({ verbose: true, strict: false });
    ajv.addFormat('semver', { type: 'string', validate: (s: string) => isSemver(s) });
    ajv.addFormat('semver-range', { type: 'string', validate: (s: string) => isSemverRange(s) });
    ajv.addFormat('rate-limit', { type: 'string', validate: (s: string) => tryParseRateLimit(s) !== undefined });
    ajv.addFormat('duration', { type: 'string', validate: (s: string) => isDuration(s) });
    validator = ajv.compile(manifestSchema);
  }
  return validator;
}

function show(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** `shown`: the value as the file writes it (IssueCollector.shown), when known. */
function typeName(v: unknown, shown = show(v)): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${shown}`;
}

function mapAjvError(c: IssueCollector, e: ErrorObject): void {
  const path = pointerToPath(e.instancePath);
  const parentSchema = (e.parentSchema ?? {}) as { format?: string; properties?: Record<string, unknown>; type?: unknown };
  const last = path[path.length - 1];
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(parentSchema.properties ?? {});
      c.add('PLW_ERR_MANIFEST_UNKNOWN_FIELD', [...path, field], { field, hint: didYouMean(field, known) || `; known fields: ${known.join(', ')}` }, { which: 'key' });
      return;
    }
    case 'required': {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      c.add('PLW_ERR_MANIFEST_MISSING_FIELD', [...path, field], { field, path: formatPath(path) === '(root)' ? 'manifest' : formatPath(path) }, { at: c.position(path) });
      return;
    }
    case 'format': {
      const code = FORMAT_CODES[(e.params as { format: string }).format] ?? 'PLW_ERR_MANIFEST_INVALID';
      c.add(code, path, { value: c.shown(path, e.data), reason: e.message ?? 'invalid' });
      return;
    }
    case 'type':
    case 'minimum':
      if (parentSchema.format && FORMAT_CODES[parentSchema.format]) {
        const value = c.shown(path, e.data);
        const issue = c.add(FORMAT_CODES[parentSchema.format]!, path, { value });
        // `engine: 2.0` is the number 2 to YAML, though the text "2.0" is a fine range
        if (typeof e.data === 'number' && FORMAT_CHECKS[parentSchema.format]?.(value)) issue.message += `; YAML reads ${value} as a number: quote it ("${value}")`;
        return;
      }
      break;
    case 'enum': {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const value = c.shown(path, e.data);
      const upper = [...new Set(allowed.map((a) => (a === a.toLowerCase() && /^[a-z]+$/.test(a) && allowed.includes(a.toUpperCase()) ? a.toUpperCase() : a)))];
      const expected = upper.join(', ');
      const hint = didYouMean(value, upper);
      if (path.length === 1 && (last === 'kind' || last === 'type')) {
        c.add('PLW_ERR_MANIFEST_UNKNOWN_KIND', path, { value, expected: PLUGIN_KINDS.join(', '), hint });
      } else if (path.length === 2 && path[0] === 'runtime' && last === 'type') {
        c.add('PLW_ERR_MANIFEST_UNKNOWN_RUNTIME', path, { value, expected: RUNTIME_TYPES.join(', '), hint });
      } else {
        c.add('PLW_ERR_MANIFEST_INVALID', path, { reason: `"${value}" is not allowed; expected one of ${expected}${hint}` });
      }
      return;
    }
    case 'pattern': {
      const reason =
        last === 'path' || last === 'endpoint'
          ? `"${c.shown(path, e.data)}" must start with "/" (e.g. /users/{user_id})`
          : path.includes('permissions')
            ? `"${c.shown(path, e.data)}" is not a permission: write resource:action (e.g. tracks:read)`
            : `"${c.shown(path, e.data)}" ${e.message}`;
      c.add('PLW_ERR_MANIFEST_INVALID', path, { reason });
      return;
    }
  }
  const expected =
    e.keyword === 'type'
      ? `expected ${show((e.params as { type: unknown }).type).replace(/,/g, ' or ')}, got ${typeName(e.data, c.shown(path, e.data))}`
      : `${e.message ?? 'is invalid'} (got ${c.shown(path, e.data)})`;
  c.add('PLW_ERR_MANIFEST_INVALID', path, { reason: expected });
}

function checkDependencyString(c: IssueCollector, path: PathSegment[], s: string): void {
  const d = splitDependencyString(s);
  if (d.problem === 'id') c.add('PLW_ERR_MANIFEST_BAD_ID', path, { value: d.id });
  else if (d.problem === 'range') c.add('PLW_ERR_MANIFEST_BAD_RANGE', path, { value: d.range });
}

function checkConfigSchema(c: IssueCollector, schema: Record<string, unknown>): void {
  // a schema with the same content compiled before is valid: skip the meta-schema check and the compile
  if (isCompiledSchema(schema)) return;
  const ajv = configAjv();
  if (!ajv.validateSchema(schema)) {
    // the meta-schema reports one mistake several ways (enum, type, anyOf): keep the first per spot
    const seen = new Set<string>();
    for (const e of ajv.errors ?? []) {
      if (seen.has(e.instancePath)) continue;
      seen.add(e.instancePath);
      const at = ['config_schema', ...pointerToPath(e.instancePath)];
      const allowed = e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
      c.add('PLW_ERR_MANIFEST_BAD_CONFIG_SCHEMA', at, { reason: `${e.message ?? 'is invalid'}${allowed}` });
    }
    return;
  }
  try {
    // compiled once here, then shared with validatePluginConfig (and every plugin with the same schema)
    compileConfigSchema(schema);
  } catch (err) {
    c.add('PLW_ERR_MANIFEST_BAD_CONFIG_SCHEMA', ['config_schema'], { reason: err instanceof Error ? err.message : String(err) });
  }
}

/** Checks a parsed manifest (the plain YAML value); findings go into `c`. */
export function validateRawManifest(c: IssueCollector, raw: unknown): void {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    c.add('PLW_ERR_MANIFEST_INVALID', [], { path: 'manifest', reason: `expected a mapping of fields (id, name, version, …), got ${typeName(raw)}` });
    return;
  }
  const validate = structureValidator();
  if (!validate(raw)) {
    const errs = validate.errors ?? [];
    // a wrong type makes its enum/format findings noise: keep the type error alone
    const typed = new Set(errs.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    for (const e of errs) if (e.keyword === 'type' || !typed.has(e.instancePath)) mapAjvError(c, e);
  }
  const m = raw as Record<string, unknown>;

  if (m.id === undefined && m.name === undefined) {
    c.add('PLW_ERR_MANIFEST_MISSING_FIELD', ['id'], { field: 'id', path: 'manifest (or "name", used as the id when id is absent)' }, { at: c.position([]) });
  } else if (typeof m.id === 'string') {
    if (!isPluginId(m.id)) c.add('PLW_ERR_MANIFEST_BAD_ID', ['id'], { value: m.id });
  } else if (m.id === undefined && typeof m.name === 'string' && !isPluginId(m.name)) {
    c.add('PLW_ERR_MANIFEST_BAD_ID', ['name'], { value: m.name });
  }
  if (typeof m.kind === 'string' && typeof m.type === 'string' && m.kind !== m.type) {
    c.add('PLW_ERR_MANIFEST_INVALID', ['type'], { reason: `"type" is an alias of "kind", and they disagree ("${m.type}" vs "${m.kind}"): keep one` });
  }

  if (Array.isArray(m.dependencies)) {
    m.dependencies.forEach((d, i) => {
      if (typeof d === 'string') return checkDependencyString(c, ['dependencies', i], d);
      if (!d || typeof d !== 'object' || Array.isArray(d)) return;
      const dep = d as Record<string, unknown>;
      if (dep.plugin === undefined && dep.service === undefined) {
        c.add('PLW_ERR_MANIFEST_MISSING_FIELD', ['dependencies', i, 'plugin'], { field: 'plugin', path: `dependencies[${i}] (or "service")` }, { at: c.position(['dependencies', i]) });
      } else if (dep.plugin !== undefined && dep.service !== undefined) {
        c.add('PLW_ERR_MANIFEST_INVALID', ['dependencies', i, 'service'], { reason: '"service" is an alias of "plugin": give only one' }, { which: 'key' });
      }
      for (const k of ['plugin', 'service'] as const) {
        if (typeof dep[k] === 'string' && !isPluginId(dep[k] as string)) c.add('PLW_ERR_MANIFEST_BAD_ID', ['dependencies', i, k], { value: dep[k] as string });
      }
    });
  }
  if (Array.isArray(m.requires)) {
    m.requires.forEach((r, i) => {
      if (typeof r === 'string') checkDependencyString(c, ['requires', i], r);
    });
  }

  if (Array.isArray(m.endpoints)) {
    const seen = new Map<string, number>();
    m.endpoints.forEach((ep, i) => {
      if (!ep || typeof ep !== 'object') return;
      const e = ep as Record<string, unknown>;
      if (typeof e.path !== 'string') return;
      const key = `${String(e.method ?? 'GET').toUpperCase()} ${e.path.replace(/\{[^}]*\}/g, '{}')}`;
      const first = seen.get(key);
      if (first !== undefined) c.add('PLW_ERR_MANIFEST_INVALID', ['endpoints', i, 'path'], { reason: `${key.replace('{}', '{…}')} is declared twice (first at endpoints[${first}])` });
      else seen.set(key, i);
    });
  }
  if (Array.isArray(m.feature_flags)) {
    const names = new Set<string>();
    m.feature_flags.forEach((f, i) => {
      const name = (f as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      if (names.has(name)) c.add('PLW_ERR_MANIFEST_INVALID', ['feature_flags', i, 'name'], { reason: `feature flag "${name}" is declared twice` });
      names.add(name);
    });
  }
  if (m.config_schema && typeof m.config_schema === 'object' && !Array.isArray(m.config_schema)) checkConfigSchema(c, m.config_schema as Record<string, unknown>);
  checkRemoteRuntime(c, m.runtime);
}

/** runtime.type remote needs upstreams; its fields mean nothing to the other runtimes. */
function checkRemoteRuntime(c: IssueCollector, runtime: unknown): void {
  if (!runtime || typeof runtime !== 'object' || Array.isArray(runtime)) return;
  const r = runtime as Record<string, unknown>;
  if (r.type === 'remote') {
    const up = r.upstreams;
    if (up === undefined)
      c.add(
        'PLW_ERR_MANIFEST_MISSING_FIELD',
        ['runtime', 'upstreams'],
        { field: 'upstreams', path: 'runtime (a list of URLs, or { discover: etcd, service: <name> })' },
        { at: c.position(['runtime']) },
      );
    if (r.entry !== undefined) c.add('PLW_ERR_MANIFEST_INVALID', ['runtime', 'entry'], { reason: 'a remote plugin runs elsewhere and has no entry: remove runtime.entry' }, { which: 'key' });
    return;
  }
  for (const k of ['upstreams', 'balance', 'protocol', 'strip_prefix', 'rewrite_prefix', 'plugin_path', 'tls', 'retries', 'outlier_detection', 'hash_key', 'connections', 'websocket']) {
    if (r[k] !== undefined)
      c.add('PLW_ERR_MANIFEST_INVALID', ['runtime', k], { reason: `runtime.${k} applies to runtime.type remote only (this plugin's runtime is ${String(r.type ?? 'inprocess')})` }, { which: 'key' });
  }
}
