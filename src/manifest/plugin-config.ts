// A plugin's config checked against its manifest's config_schema (ajv, defaults filled in).
// Validators are compiled once per schema object and cached.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PlugwayError } from '../errors.js';
import { createAjv, type AjvInstance } from './ajv.js';
import type { PluginManifest } from './types.js';

let shared: AjvInstance | undefined;

/** The ajv instance for plugins' config schemas: all errors, defaults applied, unknown keywords tolerated. */
export function configAjv(): AjvInstance {
  shared ??= createAjv({ useDefaults: true, strict: false });
  return shared;
}

const cache = new WeakMap<object, ValidateFunction>();

export function compileConfigSchema(schema: Record<string, unknown>): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    try {
      fn = configAjv().compile(schema);
    } catch (err) {
      // two plugins may reuse one $id: give such a schema an instance of its own
      if (!/already exists/.test(String(err))) throw err;
      fn = createAjv({ useDefaults: true, strict: false }).compile(schema);
    }
    cache.set(schema, fn);
  }
  return fn;
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
