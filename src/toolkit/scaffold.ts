// `plugway plugin create`: writes a plugin folder (manifest, typed source, fixtures, unit test,
// README, build script) that builds, validates and passes its own test straight away.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlugwayError } from '../errors.js';
import { PLUGIN_KINDS, RUNTIME_TYPES, type PluginKind, type RuntimeType } from '../sdk/types.js';
import { PLUGWAY_VERSION } from '../version.js';
import { nodeBuildScript, wasmBuildScript, type ToolPaths } from './templates/build-scripts.js';
import { nodeKindTemplate, nodeTestPreamble, type KindTemplate } from './templates/node-kinds.js';
import { wasmHandlerTemplate } from './templates/wasm-handler.js';

export interface CreateOptions {
  name: string;
  kind?: PluginKind;
  runtime?: RuntimeType;
  /** Parent folder; the plugin goes to <dir>/<name>. Default: the current directory. */
  dir?: string;
}

export interface CreateResult {
  dir: string;
  id: string;
  kind: PluginKind;
  runtime: RuntimeType;
  files: string[];
}

const ID_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Kinds the wasm ABI can serve (handle_request); other kinds need a Node runtime. */
export const WASM_KINDS: readonly PluginKind[] = ['handler'];

const req = createRequire(import.meta.url);

/** Where this plugway and its compilers live (baked into the scaffold's build script as a fallback). */
export function toolPaths(): ToolPaths {
  const ascPkg = req.resolve('assemblyscript/package.json');
  const nodeModules = dirname(dirname(ascPkg));
  const plugwayRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return { plugwayRoot, nodeModules };
}

/** A range that admits this plugway and later minors of its major. */
export function defaultEngineRange(version = PLUGWAY_VERSION): string {
  const major = Number(version.split('.')[0]);
  return `>=${version.replace(/[-+].*$/, '')} <${major + 1}.0.0`;
}

function manifestYaml(o: { id: string; kind: PluginKind; runtime: RuntimeType; entry: string; extra: string; memoryMb: number }): string {
  return `# ${o.id}: plugin manifest (every field: docs/manifest.md)
id: ${o.id}
name: ${o.id}
version: 0.1.0
description: A ${o.kind} plugin created by plugway plugin create
kind: ${o.kind}
engine: "${defaultEngineRange()}"
runtime:
  type: ${o.runtime}
  entry: ${o.entry}
resources:
  memory: ${o.memoryMb}
  timeout: 2s
health_check:
  interval: 30s
  timeout: 2s
${o.extra}`;
}

function readme(id: string, kind: PluginKind, runtime: RuntimeType): string {
  const src = runtime === 'wasm' ? 'src/index.ts (AssemblyScript, Extism PDK)' : 'src/index.ts (TypeScript)';
  return `# ${id}

A \`${kind}\` plugin for plugway, running in the \`${runtime}\` runtime.

| file | what |
| --- | --- |
| plugin.yaml | the manifest: id, kind, runtime, resources${kind === 'handler' ? ', endpoints' : ''} |
| ${src} | the plugin |
| fixtures.json | sample calls and the answers expected (used by \`plugway plugin test\`) |
| test/plugin.test.mjs | a unit test of the built plugin |
| build.mjs | the build (\`npm run build\`) |

\`\`\`sh
npm run build                 # compile to ${runtime === 'wasm' ? 'plugin.wasm' : 'dist/index.js'}
npm test                      # unit test
plugway plugin validate .     # manifest and entry
plugway plugin test .         # through the real host: lifecycle, fixtures, timings
plugway plugin pack .         # ${id}-0.1.0.tgz for plugway plugin install
\`\`\`

See docs/authoring.md in plugway for the lifecycle, the context and the kinds.
`;
}

function packageJson(id: string): string {
  return `${JSON.stringify(
    {
      name: id,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: {
        build: 'node build.mjs',
        test: 'node --test test/',
        check: 'plugway plugin validate . && plugway plugin test .',
      },
    },
    null,
    2,
  )}\n`;
}

function tsconfig(paths: ToolPaths, runtime: RuntimeType): string {
  if (runtime === 'wasm') {
    return `${JSON.stringify({ extends: join(paths.nodeModules, 'assemblyscript/std/assembly.json'), include: ['src/**/*.ts'] }, null, 2)}\n`;
  }
  // For editors; build.mjs type-checks with the same settings.
  const sdk = join(paths.plugwayRoot, 'src/sdk/index.ts');
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        verbatimModuleSyntax: true,
        typeRoots: ['./node_modules/@types', join(paths.nodeModules, '@types')],
        types: ['node'],
        paths: { 'plugway/sdk': [sdk] },
      },
      include: ['src/**/*.ts'],
    },
    null,
    2,
  )}\n`;
}

export function createPlugin(options: CreateOptions): CreateResult {
  const id = options.name;
  const kind = options.kind ?? 'handler';
  const runtime = options.runtime ?? 'inprocess';
  if (!ID_RE.test(id)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `plugin name "${id}" is not kebab-case (e.g. "my-plugin")` });
  }
  if (!PLUGIN_KINDS.includes(kind)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `unknown kind "${kind}"; expected one of ${PLUGIN_KINDS.join(', ')}` });
  }
  if (!RUNTIME_TYPES.includes(runtime)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `unknown runtime "${runtime}"; expected one of ${RUNTIME_TYPES.join(', ')}` });
  }
  if (runtime === 'wasm' && !WASM_KINDS.includes(kind)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', {
      reason: `a wasm plugin can be of kind ${WASM_KINDS.join(', ')} (the wasm ABI serves handle_request); use --runtime worker for a ${kind} plugin`,
    });
  }
  const dir = resolve(options.dir ?? process.cwd(), id);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${dir} already exists and is not empty; pick another name or --dir` });
  }

  const paths = toolPaths();
  const memoryMb = runtime === 'wasm' ? 32 : 64;
  let t: KindTemplate;
  let build: string;
  let testFile: string;
  if (runtime === 'wasm') {
    t = wasmHandlerTemplate(id, req.resolve('@extism/extism'));
    build = wasmBuildScript(paths, memoryMb * 16);
    testFile = t.test;
  } else {
    t = nodeKindTemplate(kind, id);
    build = nodeBuildScript(paths);
    testFile = nodeTestPreamble(id) + t.test;
  }
  const entry = runtime === 'wasm' ? 'plugin.wasm' : 'dist/index.js';
  const files: Record<string, string> = {
    'plugin.yaml': manifestYaml({ id, kind, runtime, entry, extra: t.manifest, memoryMb }),
    'src/index.ts': t.source,
    'fixtures.json': `${JSON.stringify(t.fixtures, null, 2)}\n`,
    'test/plugin.test.mjs': testFile,
    'build.mjs': build,
    'package.json': packageJson(id),
    'tsconfig.json': tsconfig(paths, runtime),
    'README.md': readme(id, kind, runtime),
    '.gitignore': runtime === 'wasm' ? 'plugin.wasm\nnode_modules/\n*.tgz\n*.tgz.sig\n' : 'dist/\nnode_modules/\n*.tgz\n*.tgz.sig\n',
  };
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return { dir, id, kind, runtime, files: Object.keys(files) };
}
