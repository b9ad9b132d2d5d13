// Running a plugin's checks: only the wanted categories, and a check that throws (a missing
// privilege, a feature turned off, an old version) becomes an info finding — never a crash or a skip.
import { finding, type Finding } from './diagnostics.js';

/** One concern of a checklist; `name` is what the findings say when the check itself fails. */
export interface Check<Input> {
  name: string;
  category: string;
  run(input: Input): Promise<Finding[]>;
}

export interface RunChecksOptions<Input> {
  /** Only checks of these categories (all when absent or empty). */
  categories?: readonly string[];
  /** The info finding for a check that threw, e.g. with code MYSQL_CHECK_UNAVAILABLE. */
  unavailable(check: Check<Input>, err: unknown): Finding;
}

/**
 * Runs the selected checks one after the other, in order. `noneRan` is true when checks were
 * selected and every one of them threw: the result's status is then `unknown`.
 */
export async function runChecks<Input>(checks: readonly Check<Input>[], input: Input, options: RunChecksOptions<Input>): Promise<{ findings: Finding[]; noneRan: boolean }> {
  const wanted = options.categories ?? [];
  const selected = checks.filter((c) => wanted.length === 0 || wanted.includes(c.category));
  const findings: Finding[] = [];
  let ran = 0;
  for (const check of selected) {
    try {
      findings.push(...(await check.run(input)));
      ran++;
    } catch (err) {
      findings.push(options.unavailable(check, err));
    }
  }
  return { findings, noneRan: selected.length > 0 && ran === 0 };
}

/** The info finding (category `server`) for asked-for categories the plugin does not know; undefined when all are known. */
export function unknownCategoriesFinding(code: string, wanted: readonly string[], known: readonly string[]): Finding | undefined {
  const unknown = wanted.filter((c) => !known.includes(c));
  if (unknown.length === 0) return undefined;
  const many = unknown.length > 1;
  return finding(
    'server',
    'info',
    code,
    `Unknown categor${many ? 'ies' : 'y'} ${unknown.join(', ')}: nothing checked for ${many ? 'them' : 'it'}.`,
    { unknown, categories: known },
    `Use one of: ${known.join(', ')}.`,
  );
}
