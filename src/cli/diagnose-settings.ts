// `plugway diagnose --set key=value`: each value read as its key's type in the plugin's
// config_schema (a comma list for an array, a number, a boolean), so `--set groups=a,b` works.

/** `key=value` entries split once at the first `=`; a usage error (thrown) for any other shape. */
export function parseSetEntries(entries: readonly string[]): Array<[string, string]> {
  return entries.map((e) => {
    const i = e.indexOf('=');
    if (i <= 0) throw new Error(`--set ${e}: write key=value, e.g. --set connections_warning_ratio=0.7 (a list: --set groups=a,b)`);
    return [e.slice(0, i).trim(), e.slice(i + 1).trim()];
  });
}

type Schema = Record<string, unknown>;

function typesOf(schema: Schema | undefined): string[] {
  const t = schema?.type;
  return typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
}

const numeric = (raw: string) => raw !== '' && Number.isFinite(Number(raw));

/**
 * One raw value as the schema's type wants it. A value that fits no type is left a string (or a
 * list of strings), so that the host's validation names the setting and the type it expected.
 */
export function coerceSetting(raw: string, schema: Schema | undefined): unknown {
  const types = typesOf(schema);
  if (types.length === 0) return raw === 'true' ? true : raw === 'false' ? false : numeric(raw) ? Number(raw) : raw;
  if (types.includes('array')) {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return items.map((item) => coerceSetting(item, schema?.items as Schema | undefined));
  }
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if ((types.includes('number') || types.includes('integer')) && numeric(raw)) return Number(raw);
  if (types.includes('null') && raw === 'null') return null;
  return raw;
}

/** The entries as a config object, each value coerced by its property's schema (if it has one). */
export function coerceSettings(entries: ReadonlyArray<readonly [string, string]>, configSchema: Schema | undefined): Record<string, unknown> {
  const properties = (configSchema?.properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of entries) out[key] = coerceSetting(raw, Object.hasOwn(properties, key) ? properties[key] : undefined);
  return out;
}
