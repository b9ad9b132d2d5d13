// A plugin's config checked against its manifest's config_schema (ajv, defaults filled in, scalars
// converted to the schema's type as the host's own settings are: `port: ${PORT:-8080}` is 8080).
// Validators are compiled once per schema content and shared (manifest validation compiles them first).
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PlugwayError } from '../errors.js';
import { createAjv, type AjvInstance } from './ajv.js';
import type { PluginManifest } from './types.js';

let shared: AjvInstance | undefined;

/**
 * Options of every ajv instance that checks plugin config. coerceTypes: `${VAR}` interpolation
 * always yields text, so a scalar is converted to the type its schema names ("8080" → 8080 for
 * `type: integer`, "true" → true for `type: boolean`) — the schema decides, not the look of the
 * value, so `${API_KEY}` = "0123" stays "0123" under `type: string` (docs/configuration.md).
 */
const CONFIG_AJV_OPTIONS = { useDefaults: true, strict: false, coerceTypes: true } as const;

/** The ajv instance for plugins' config schemas: all errors, defaults applied, scalars coerced, unknown keywords tolerated. */
export function configAjv(): AjvInstance {
  shared ??= createAjv(CONFIG_AJV_OPTIONS);
  return shared;
}

const byObject = new WeakMap<object, ValidateFunction>();
/**
 * Validators by schema content: 1,000 plugins declaring the same config_schema (each its own
 * parsed object) compile it once — an ajv compile is ~1 ms, the key ~2 µs. Bounded so that
 * reloading plugins with ever-changing schemas cannot grow it without end.
 */
const byContent = new Map<string, ValidateFunction>();
const MAX_CACHED_SCHEMAS = 2000;

/**
 * A key equal for two schemas only when they are the same JSON value; undefined when the schema
 * holds something JSON would blur (Infinity, NaN, undefined, class instances, …): such a schema
 * is compiled on its own, not shared.
 */
export function schemaKey(schema: object): string | undefined {
  let exact = true;
  let key: string | undefined;
  try {
    key = JSON.stringify(schema, function (this: Record<string, unknown>, k: string, v: unknown) {
      const orig = this[k];
      if (orig === undefined || typeof orig === 'function' || typeof orig === 'symbol') exact = false;
      else if (typeof orig === 'number' && !Number.isFinite(orig)) exact = false;
      else if (orig !== null && typeof orig === 'object' && !Array.isArray(orig)) {
        const proto = Object.getPrototypeOf(orig) as unknown;
        if (proto !== Object.prototype && proto !== null) exact = false;
      }
      return v;
    });
  } catch {
    return undefined; // cycles, BigInt
  }
  return exact ? key : undefined;
}

function remember(key: string | undefined, fn: ValidateFunction): void {
  if (key === undefined) return;
  if (byContent.size >= MAX_CACHED_SCHEMAS) byContent.delete(byContent.keys().next().value!);
  byContent.set(key, fn);
}

/**
 * A compiled validator for a config schema, shared by every schema with the same content (and
 * by manifest validation, which compiles it first). Throws what ajv throws for a bad schema.
 */
export function compileConfigSchema(schema: Record<string, unknown>): ValidateFunction {
  let fn = byObject.get(schema);
  if (fn) return fn;
  const key = schemaKey(schema);
  fn = key === undefined ? undefined : byContent.get(key);
  if (!fn) {
    try {
      fn = configAjv().compile(schema);
    } catch (err) {
      // two plugins may reuse one $id with different content: give such a schema an instance of its own
      if (!/already exists/.test(String(err))) throw err;
      fn = createAjv(CONFIG_AJV_OPTIONS).compile(schema);
    }
    remember(key, fn);
  }
  byObject.set(schema, fn);
  return fn;
}

/** Whether this exact schema content has already compiled (so it needs no meta-schema check). */
export function isCompiledSchema(schema: Record<string, unknown>): boolean {
  if (byObject.has(schema)) return true;
  const key = schemaKey(schema);
  const fn = key === undefined ? undefined : byContent.get(key);
  if (fn) byObject.set(schema, fn);
  return fn !== undefined;
}

function fieldOf(e: ErrorObject): string {
  let p = e.instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  if (e.keyword === 'required') p += `.${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') p += `.${(e.params as { additionalProperty: string }).additionalProperty}`;
  return p;
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'is not a known setting';
  if (e.keyword === 'enum') return `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  return e.message ?? 'is invalid';
}

function clone(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return JSON.parse(JSON.stringify(v)) as unknown;
  }
}

/**
 * The plugin's config, validated against its config_schema with defaults filled in (the input is
 * not modified). Without a config_schema the config is returned as is (`{}` for undefined).
 * Throws PLW_ERR_PLUGIN_CONFIG_INVALID naming the plugin and every offending field.
 */
export function validatePluginConfig(manifest: PluginManifest, config: unknown): Record<string, unknown> {
  const input = config === undefined || config === null ? {} : config;
  if (!manifest.configSchema) {
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new PlugwayError('PLW_ERR_PLUGIN_CONFIG_INVALID', { id: manifest.id, path: '', reason: `must be a mapping, got ${Array.isArray(input) ? 'a list' : typeof input}` });
    }
    return input as Record<string, unknown>;
  }
  const validate = compileConfigSchema(manifest.configSchema);
  const data = clone(input);
  if (!validate(data)) {
    const errs = validate.errors ?? [];
    const [first, ...rest] = errs.map((e) => ({ field: fieldOf(e), text: describe(e) }));
    const reason = [first!.text, ...rest.map((r) => `; config${r.field} ${r.text}`)].join('');
    throw new PlugwayError('PLW_ERR_PLUGIN_CONFIG_INVALID', { id: manifest.id, path: first!.field, reason, fields: errs.map(fieldOf).join(',') });
  }
  return data as Record<string, unknown>;
}

/** The config_schema's defaults, as a factory receives them when no config is given. */
export function configDefaults(manifest: PluginManifest): Record<string, unknown> {
  try {
    return validatePluginConfig(manifest, {});
  } catch {
    return {};
  }
}
