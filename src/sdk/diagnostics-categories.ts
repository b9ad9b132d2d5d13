// The KubeStack seed's diagnostic categories (connection, performance, memory, …) as names every
// diagnostics plugin accepts: each plugin maps them to its own; one that does not apply is said so.

import { finding, type DiagnoseOptions, type DiagnosticResult } from './diagnostics.js';

/** The seed's category names, accepted by every diagnostics plugin (`--category`, the HTTP body). */
export const SEED_CATEGORIES = ['connection', 'performance', 'memory', 'replication', 'persistence', 'broker', 'consumer', 'topic', 'innodb'] as const;

/** A plugin's mapping of seed names to its own categories (a name left out does not apply to it). */
export type CategoryAliases = Readonly<Partial<Record<(typeof SEED_CATEGORIES)[number], readonly string[]>>>;

/** Whether `name` is accepted: a plugin's own category or a seed name. */
export function acceptsCategory(name: string, own: readonly string[]): boolean {
  return own.includes(name) || (SEED_CATEGORIES as readonly string[]).includes(name);
}

/** The plugin's own categories for `wanted` (order kept, no repeats) and the seed names that do not apply to it. */
export function mapCategories(wanted: readonly string[], own: readonly string[], aliases: CategoryAliases = {}): { categories: string[]; notApplicable: string[] } {
  const categories: string[] = [];
  const notApplicable: string[] = [];
  const add = (c: string) => void (categories.includes(c) || categories.push(c));
  for (const w of wanted) {
    if (own.includes(w)) add(w);
    else if ((SEED_CATEGORIES as readonly string[]).includes(w)) {
      const to = aliases[w as keyof CategoryAliases];
      if (to?.length) to.forEach(add);
      else notApplicable.push(w);
    } else add(w); // unknown: the plugin's own report says so
  }
  return { categories, notApplicable };
}

/**
 * Runs `diagnose` with the seed's names mapped to the plugin's own. Seed names that do not apply add an
 * info finding; when nothing applies, nothing runs and the status is `unknown` (nothing was checked).
 */
export async function diagnoseWithSeedCategories(
  plugin: { id: string; categories: readonly string[]; aliases?: CategoryAliases; target: string },
  options: DiagnoseOptions,
  diagnose: (options: DiagnoseOptions) => Promise<DiagnosticResult>,
): Promise<DiagnosticResult> {
  const wanted = options.categories ?? [];
  if (wanted.length === 0) return diagnose(options);
  const { categories, notApplicable } = mapCategories(wanted, plugin.categories, plugin.aliases);
  const note = notApplicable.length
    ? finding(
        'server',
        'info',
        'CATEGORY_NOT_APPLICABLE',
        `Categor${notApplicable.length > 1 ? 'ies' : 'y'} ${notApplicable.join(', ')} do${notApplicable.length > 1 ? '' : 'es'} not apply to ${plugin.id}: nothing checked for ${notApplicable.length > 1 ? 'them' : 'it'}.`,
        { not_applicable: notApplicable, categories: plugin.categories, mapped: plugin.aliases ?? {} },
        `Use one of: ${plugin.categories.join(', ')}.`,
      )
    : undefined;
  if (categories.length === 0) {
    return { plugin_id: plugin.id, target: plugin.target, status: 'unknown', findings: note ? [note] : [], metrics: {}, started_at: new Date().toISOString(), duration_ms: 0 };
  }
  const result = await diagnose({ ...options, categories });
  if (note) result.findings.push(note);
  return result;
}
