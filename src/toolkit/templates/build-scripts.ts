// The build.mjs a scaffolded plugin ships: Node plugins are type-checked and emitted with
// TypeScript, wasm plugins compiled with AssemblyScript; compilers come from the plugin's own
// node_modules when it has them, else from the plugway that created it (paths baked in at create time).

export interface ToolPaths {
  /** Absolute folder of the plugway package (holds src/sdk or dist/sdk). */
  plugwayRoot: string;
  /** Absolute node_modules folder of that plugway (typescript, assemblyscript, @extism/as-pdk, @types). */
  nodeModules: string;
}

const header = (paths: ToolPaths) => `// Builds this plugin. Run: node build.mjs
// Compilers come from this folder's node_modules when installed, else from the plugway that
// created it (override with PLUGWAY_ROOT=/path/to/plugway).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const plugwayRoot = process.env.PLUGWAY_ROOT ?? ${JSON.stringify(paths.plugwayRoot)};
const fallbackModules = process.env.PLUGWAY_ROOT ? join(process.env.PLUGWAY_ROOT, 'node_modules') : ${JSON.stringify(paths.nodeModules)};

/** Resolves a package file here first, then in plugway's node_modules. */
function locate(spec) {
  for (const base of [join(here, 'package.json'), join(fallbackModules, '..', 'package.json')]) {
    try {
      return createRequire(base).resolve(spec);
    } catch {
      // try the next place
    }
  }
  console.error(\`build: cannot find \${spec}; install it here (npm install -D \${spec.split('/package.json')[0]}) or set PLUGWAY_ROOT\`);
  process.exit(1);
}
`;

export function nodeBuildScript(paths: ToolPaths): string {
  return `${header(paths)}
const ts = createRequire(import.meta.url)(locate('typescript'));

// 'plugway/sdk' is imported with \`import type\` only, so the emitted JS needs no plugway at run
// time; for type checking it maps to this plugway's SDK when it is not installed here.
function sdkPath() {
  try {
    createRequire(join(here, 'package.json')).resolve('plugway/sdk');
    return undefined;
  } catch {
    for (const rel of ['src/sdk/index.ts', 'dist/sdk/index.d.ts']) {
      const p = join(plugwayRoot, rel);
      if (existsSync(p)) return p;
    }
    return undefined;
  }
}

const sdk = sdkPath();
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
  typeRoots: [join(here, 'node_modules', '@types'), join(fallbackModules, '@types')],
  types: ['node'],
  ...(sdk ? { paths: { 'plugway/sdk': [sdk] } } : {}),
};
const program = ts.createProgram([entry], options);
const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || !d.file.fileName.startsWith(plugwayRoot));
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

export function wasmBuildScript(paths: ToolPaths, maximumMemoryPages: number): string {
  return `${header(paths)}
// output: plugin.wasm
const asc = await import(pathToFileURL(join(dirname(locate('assemblyscript/package.json')), 'dist', 'asc.js')).href);
const pdkModules = dirname(dirname(dirname(locate('@extism/as-pdk/package.json'))));

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
