// What a scaffolded plugin ships to build itself: plugway-tools.mjs finds the compilers and plugway's
// SDK types when the build runs (the plugin's own node_modules first, then the plugway that runs it:
// $PLUGWAY_ROOT, which `plugway plugin test|pack` set, else the `plugway` on PATH); build.mjs
// type-checks and emits TypeScript, or compiles AssemblyScript. No path is fixed at create time.

/** plugway-tools.mjs: run-time resolution shared by build.mjs and the wasm unit test. */
export function toolsScript(): string {
  return `// Where this plugin's build finds its compilers and plugway's SDK types, decided when it runs:
// this folder's node_modules first (\`npm install\`: package.json lists them), then the plugway that
// runs the build: $PLUGWAY_ROOT (\`plugway plugin test|pack\` set it), a plugway installed here,
// else the \`plugway\` command on PATH.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));

function isPlugway(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'plugway';
  } catch {
    return false;
  }
}

/** The package behind the \`plugway\` on PATH: a symlink to bin/plugway.js, or a wrapper script naming it. */
function plugwayOnPath() {
  const names = process.platform === 'win32' ? ['plugway.cmd', 'plugway'] : ['plugway'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of dir ? names : []) {
      const p = join(dir, name);
      if (!existsSync(p)) continue;
      try {
        const real = realpathSync(p);
        if (isPlugway(dirname(dirname(real)))) return dirname(dirname(real));
        const m = /((?:[A-Za-z]:)?[^\\s"'=]*[\\\\/]bin[\\\\/]plugway\\.js)/.exec(readFileSync(real, 'utf8').slice(0, 8192));
        if (!m) continue;
        const named = m[1].replace(/^(\\$basedir|%~?dp0%?)/, dirname(p));
        const root = resolve(dirname(named), '..');
        if (isPlugway(root)) return root;
      } catch {
        // not readable: try the next one
      }
    }
  }
  return undefined;
}

/** plugway packages to fall back on, in order. */
export function plugwayRoots() {
  const roots = [];
  if (process.env.PLUGWAY_ROOT) roots.push(resolve(process.env.PLUGWAY_ROOT));
  if (isPlugway(join(here, 'node_modules', 'plugway'))) roots.push(join(here, 'node_modules', 'plugway'));
  const onPath = plugwayOnPath();
  if (onPath) roots.push(onPath);
  return [...new Set(roots)];
}

/** A package file from this folder's node_modules, else from plugway's; undefined when neither has it. */
export function locate(spec) {
  for (const base of [here, ...plugwayRoots()]) {
    try {
      return createRequire(join(base, 'package.json')).resolve(spec);
    } catch {
      // try the next place
    }
  }
  return undefined;
}

/** locate(), or exit with what to do. */
export function need(spec) {
  const found = locate(spec);
  if (found) return found;
  const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  console.error(\`build: cannot find \${pkg}. Run npm install here (package.json lists it), build through plugway (plugway plugin test .), or set PLUGWAY_ROOT=/path/to/plugway.\`);
  process.exit(1);
}

/** plugway's SDK types when 'plugway/sdk' does not resolve from here. */
export function sdkTypes() {
  try {
    createRequire(join(here, 'package.json')).resolve('plugway/sdk');
    return undefined;
  } catch {
    for (const root of plugwayRoots()) {
      for (const rel of ['src/sdk/index.ts', 'dist/sdk/index.d.ts']) if (existsSync(join(root, rel))) return join(root, rel);
    }
    return undefined;
  }
}

/** Writes .plugway/tsconfig.json (git-ignored), which tsconfig.json extends: this machine's paths, for editors. */
export function writeEditorConfig(config) {
  mkdirSync(join(here, '.plugway'), { recursive: true });
  writeFileSync(join(here, '.plugway', 'tsconfig.json'), JSON.stringify(config, null, 2) + '\\n');
}
`;
}

export function nodeBuildScript(): string {
  return `// Builds this plugin: node build.mjs (npm run build). Compilers and plugway's SDK types are found
// when it runs (plugway-tools.mjs): this folder's node_modules first, then the plugway that runs it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { here, need, plugwayRoots, sdkTypes, writeEditorConfig } from './plugway-tools.mjs';

const ts = createRequire(import.meta.url)(need('typescript'));

// 'plugway/sdk' is imported with \`import type\` only, so the emitted JS needs no plugway at run
// time; for type checking it maps to the SDK of the plugway found when it is not installed here.
const sdk = sdkTypes();
const typeRoots = [join(here, 'node_modules', '@types'), dirname(dirname(need('@types/node/package.json')))];
writeEditorConfig({ compilerOptions: { typeRoots, ...(sdk ? { paths: { 'plugway/sdk': [sdk] } } : {}) } });
const entry = join(here, 'src', 'index.ts');
const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  verbatimModuleSyntax: true,
  lib: ['lib.es2023.d.ts'],
  typeRoots,
  types: ['node'],
  ...(sdk ? { paths: { 'plugway/sdk': [sdk] } } : {}),
};
const program = ts.createProgram([entry], options);
const roots = plugwayRoots();
const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || !roots.some((r) => d.file.fileName.startsWith(r)));
if (diagnostics.length) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => here, getNewLine: () => '\\n' };
  const format = process.stderr.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  console.error(format(diagnostics, host));
  process.exit(1);
}

// Emit file by file: type imports vanish, so dist/ has no dependency on plugway.
const { readdirSync, readFileSync, writeFileSync, mkdirSync } = await import('node:fs');
function emit(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) emit(p, join(out, e.name));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) {
      const js = ts.transpileModule(readFileSync(p, 'utf8'), {
        fileName: p,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
      }).outputText;
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, e.name.replace(/\\.ts$/, '.js')), js);
    }
  }
}
emit(join(here, 'src'), join(here, 'dist'));
console.log('build: dist/index.js');
`;
}

export function wasmBuildScript(maximumMemoryPages: number): string {
  return `// Builds this plugin: node build.mjs (npm run build) → plugin.wasm. AssemblyScript and the Extism
// PDK are found when it runs (plugway-tools.mjs): this folder's node_modules first, then the plugway that runs it.
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { here, need, writeEditorConfig } from './plugway-tools.mjs';

const ascPkg = need('assemblyscript/package.json');
const asc = await import(pathToFileURL(join(dirname(ascPkg), 'dist', 'asc.js')).href);
const pdkModules = dirname(dirname(dirname(need('@extism/as-pdk/package.json'))));
writeEditorConfig({ extends: join(dirname(ascPkg), 'std', 'assembly.json') });

// --use abort=… names a function by file path relative to the working directory
process.chdir(here);
const { error, stderr } = await asc.main([
  join(here, 'src', 'index.ts'),
  '--outFile', join(here, 'plugin.wasm'),
  '--path', pdkModules,
  '--use', 'abort=src/index/myAbort',
  '--optimize',
  // a declared maximum makes the memory limit hold (resources.memory in plugin.yaml)
  '--maximumMemory', '${maximumMemoryPages}',
]);
if (error) {
  console.error(stderr.toString());
  console.error('build: ' + error.message);
  process.exit(1);
}
console.log('build: plugin.wasm');
`;
}
