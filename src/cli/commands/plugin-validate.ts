// `plugway plugin validate <dir>`: check a plugin folder (or a manifest file) without starting it —
// plugin.yaml, the entry file, what its kind needs, and that `engine` admits this plugway.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { discover, readCandidate } from '../../host/loader.js';
import { DEFAULT_MANIFEST_FILES, checkEntry, formatIssue, loadManifestFile, loadManifestFromDir, nativeEntryOf, nativeHint } from '../../manifest/index.js';
import { PlugwayError } from '../../errors.js';
import type { ManifestIssue, ManifestLoadResult } from '../../manifest/types.js';
import { PLUGWAY_VERSION } from '../../version.js';

export interface ValidateReport {
  valid: boolean;
  file?: string;
  dir: string;
  id?: string;
  version?: string;
  kind?: string;
  runtime?: string;
  endpoints?: number;
  entry?: string;
  plugway: string;
  errors: ManifestIssue[];
  warnings: ManifestIssue[];
}

/**
 * A manifest file as the host reads it: `<name>.yaml` beside `<name>.js|.mjs|.ts` has that file as its
 * entry unless `runtime.entry` names another (docs/host.md), so validate checks the entry the host loads.
 */
async function loadManifestFileAsHost(file: string): Promise<ManifestLoadResult> {
  const abs = resolve(file);
  const candidate = (await discover(dirname(abs))).find((c) => 'manifestFile' in c && c.manifestFile === abs);
  if (!candidate) return loadManifestFile(abs);
  const { result, entryPath } = await readCandidate(candidate);
  if (!entryPath || entryPath === result.entryPath) return result;
  // the folder's default entries were looked for and missed; the sibling file is the entry
  return { ...result, entryPath, warnings: result.warnings.filter((w) => w.code !== 'PLW_ERR_ENTRY_NOT_FOUND') };
}

/**
 * A folder without plugin.yaml: the one `<name>.yaml` (or .yml) in it, as discovery reads the
 * KubeStack layout (`my-plugin.yaml` beside `my-plugin.js`). Several: those with an entry beside
 * them, as discovery would load them; still several (or none of several): an error naming them.
 */
async function manifestOfFolder(dir: string): Promise<ManifestLoadResult> {
  const abs = resolve(dir);
  let names: string[] = [];
  try {
    if (DEFAULT_MANIFEST_FILES.some((f) => existsSync(join(abs, f)))) return loadManifestFromDir(abs);
    names = readdirSync(abs, { withFileTypes: true })
      .filter((e) => e.isFile() && (extname(e.name) === '.yaml' || extname(e.name) === '.yml'))
      .map((e) => e.name)
      .sort();
  } catch {
    // not a folder we can read: the directory loader says so
  }
  if (names.length === 1) return loadManifestFileAsHost(join(abs, names[0]!));
  if (names.length === 0) return loadManifestFromDir(abs);
  const beside = (await discover(abs)).flatMap((c) => ('manifestFile' in c ? [c.manifestFile] : []));
  if (beside.length === 1) return loadManifestFileAsHost(beside[0]!);
  const listed = beside.length ? beside.map((f) => basename(f)) : names;
  const shown = relative(process.cwd(), abs) || '.';
  const file = join(abs, DEFAULT_MANIFEST_FILES[0]!);
  const message =
    `No plugin.yaml in ${abs}, and ${listed.length} manifests could be the plugin (${listed.join(', ')})` +
    `${beside.length ? ', each with an entry beside it: the folder holds several plugins' : ''}; ` +
    `validate one file, e.g. plugway plugin validate ${join(shown, listed[0]!)}`;
  return { source: { dir: abs }, errors: [{ code: 'PLW_ERR_MANIFEST_NOT_FOUND', message, file, line: 1, col: 1, severity: 'error' }], warnings: [] };
}

/** Validates like the command does; `entryImported` says whether plugin code was run. */
export async function validatePluginDir(target: string): Promise<{ report: ValidateReport; result: ManifestLoadResult; entryImported: boolean }> {
  let isFile = false;
  try {
    isFile = statSync(target).isFile();
  } catch {
    // a missing path is reported by the directory loader as PLW_ERR_MANIFEST_NOT_FOUND
  }
  const result = isFile ? await loadManifestFileAsHost(target) : await manifestOfFolder(target);
  const errors = [...result.errors];
  let entryImported = false;
  // The same verdict as the loader's: a native entry (plugin.so, a .py) cannot be loaded.
  const native = result.manifest && errors.length === 0 ? nativeEntryOf(result) : undefined;
  if (native) {
    const e = new PlugwayError('PLW_ERR_PLUGIN_NOT_LOADABLE', { file: native, reason: `the entry of ${result.manifest!.id} (${result.source.file ?? result.source.dir}); ${nativeHint(native)}` });
    errors.push({ code: e.code, message: e.message, file: result.source.file ?? native, line: 1, col: 1, severity: 'error' });
    result.warnings = result.warnings.filter((w) => w.code !== 'PLW_ERR_ENTRY_NOT_FOUND');
  } else if (result.manifest && errors.length === 0) {
    entryImported = result.entryPath !== undefined && result.manifest.runtime.type !== 'wasm' && result.manifest.runtime.type !== 'remote';
    errors.push(...(await checkEntry(result)));
  }
  const m = result.manifest;
  const report: ValidateReport = {
    valid: errors.length === 0,
    dir: result.source.dir,
    plugway: PLUGWAY_VERSION,
    errors,
    warnings: result.warnings,
    ...(result.source.file ? { file: result.source.file } : {}),
    ...(m ? { id: m.id, version: m.version, kind: m.kind, runtime: m.runtime.type, endpoints: m.endpoints.length } : {}),
    ...(result.entryPath ? { entry: result.entryPath } : {}),
  };
  return { report, result, entryImported };
}

export function register(plugin: Command): void {
  plugin
    .command('validate')
    .argument('<dir>', "the plugin's folder (with plugin.yaml, or a single <name>.yaml), or a manifest file")
    .description("check a plugin's manifest, entry, kind contract and engine range; exit 1 listing every error")
    .option('--json', 'print a machine-readable result')
    .addHelpText(
      'after',
      '\nExamples:\n  $ plugway plugin validate ./plugins/hello\n  $ plugway plugin validate ./my-plugin.yaml --json\n\nOn success: one line "✓ <id>@<version> (<kind>, <runtime>): valid — N endpoints" and exit 0 (warnings on stderr).\nOn failure: one line per error, "file:line:col CODE message", and exit 1.',
    )
    .action(async (dir: string, opts: { json?: boolean }) => {
      const { report, entryImported } = await validatePluginDir(dir);
      const out: string[] = [];
      // Warnings go to stderr when valid: stdout stays the one summary line a script reads.
      const warn: string[] = [];
      if (opts.json) {
        out.push(JSON.stringify(report, null, 2));
      } else if (report.valid) {
        const n = report.endpoints ?? 0;
        out.push(`✓ ${report.id}@${report.version} (${report.kind}, ${report.runtime}): valid — ${n} endpoint${n === 1 ? '' : 's'}`);
        for (const w of report.warnings) warn.push(`warning: ${formatIssue(w)}`);
      } else {
        const where = report.file ?? report.dir;
        out.push(`✗ ${basename(where)}: ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}`);
        for (const e of report.errors) out.push(formatIssue(e));
        for (const w of report.warnings) out.push(`warning: ${formatIssue(w)}`);
      }
      if (warn.length) process.stderr.write(`${warn.join('\n')}\n`);
      process.stdout.write(`${out.join('\n')}\n`);
      process.exitCode = report.valid ? 0 : 1;
      // plugin code we imported may hold timers or sockets open; a CLI run must still end
      if (entryImported && /(?:plugway(?:\.js)?|cli[\\/]index\.[jt]s)$/.test(process.argv[1] ?? '')) {
        setTimeout(() => process.exit(), 200).unref();
      }
    });
}
