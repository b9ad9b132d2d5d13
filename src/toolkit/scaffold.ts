// `plugway plugin create`: writes a plugin folder (manifest, typed source, fixtures, unit test,
// README, build script) that builds, validates and passes its own test straight away.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { PlugwayError } from '../errors.js';
import { PLUGIN_KINDS, RUNTIME_TYPES, type PluginKind, type RuntimeType } from '../sdk/types.js';
import { PLUGWAY_VERSION } from '../version.js';
import { nodeBuildScript, toolsScript, wasmBuildScript } from './templates/build-scripts.js';
import { nodeKindTemplate, type KindTemplate } from './templates/node-kinds.js';
import { nodeTestPreamble } from './templates/node-test-preamble.js';
import { wasmHandlerTemplate } from './templates/wasm-handler.js';
import { PYTHON_KINDS, pythonKindTemplate, pythonReadme } from './templates/python-kinds.js';

export const LANGUAGES = ['typescript', 'python'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface CreateOptions {
  name: string;
  kind?: PluginKind;
  runtime?: RuntimeType;
  /** Parent folder; the plugin goes to <dir>/<name>. Default: the current directory. */
  dir?: string;
  /** typescript (default) or python (runtime process; the default language there). */
  language?: Language;
  /**
   * The plugin's devDependency on plugway, as npm spells it: a range once plugway is on your registry
   * ("^0.1.0"), a packed tarball or a folder (a path, written as file:<absolute path>). Default: the
   * folder of the plugway that scaffolds (file:…), so that `npm install` finds its SDK and types.
   */
  plugwaySpec?: string;
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

/** This plugway's package folder (src/toolkit or dist/toolkit → two levels up). */
export function plugwayRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** What a scaffold's build (and its wasm unit test) needs, per runtime. */
const BUILD_TOOLS: Record<'node' | 'wasm', readonly string[]> = {
  node: ['typescript', '@types/node'],
  wasm: ['assemblyscript', '@extism/as-pdk', '@extism/extism'],
};

/** devDependencies for a scaffold: its build tools at the versions this plugway builds with. */
export function buildDevDependencies(runtime: RuntimeType): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(plugwayRoot(), 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const out: Record<string, string> = {};
  for (const name of BUILD_TOOLS[runtime === 'wasm' ? 'wasm' : 'node']) {
    const range = pkg.devDependencies?.[name] ?? pkg.dependencies?.[name];
    if (range) out[name] = range;
  }
  return out;
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
| plugway-tools.mjs | where the build finds its compilers and plugway's SDK types: \`node_modules\` here (\`npm install\`), else the plugway that runs it (\`PLUGWAY_ROOT\`, or \`plugway\` on PATH) |

\`\`\`sh
npm install                   # plugway (its SDK types) and the build tools package.json lists
npm run build                 # compile to ${runtime === 'wasm' ? 'plugin.wasm' : 'dist/index.js'}
npm test                      # unit test
plugway plugin validate .     # manifest and entry
plugway plugin test .         # through the real host: lifecycle, fixtures, timings
plugway plugin pack .         # ${id}-0.1.0.tgz for plugway plugin install
npm publish                   # or to an npm registry: plugway plugin install npm:${id}
\`\`\`

package.json's \`plugway\` devDependency points at the plugway that created this folder
(\`file:…\`); once plugway comes from your registry, make it a range (\`"^0.1.0"\`). The keyword
\`plugway-plugin\` makes \`plugway plugin search\` find the published package, and \`files\` lists
what it ships: the manifest and the built entry.

See docs/authoring.md in plugway for the lifecycle, the context and the kinds.
`;
}

/** The devDependency on plugway: a range as given, a path as file:<absolute path>; default this plugway's folder. */
export function plugwayDevSpec(spec?: string, cwd = process.cwd()): string {
  if (!spec) return `file:${plugwayRoot()}`;
  if (/^(file|npm|https?|git\+?\w*):/.test(spec) || semver.validRange(spec) !== null || /^[a-z][\w-]*$/.test(spec)) return spec;
  return `file:${resolve(cwd, spec)}`;
}

function packageJson(id: string, kind: PluginKind, runtime: RuntimeType, plugwaySpec: string): string {
  return `${JSON.stringify(
    {
      name: id,
      version: '0.1.0',
      description: `A ${kind} plugin for plugway (${runtime} runtime)`,
      // \`plugway plugin search\` finds packages by this keyword; \`plugway plugin install npm:${id}\` installs them
      keywords: ['plugway-plugin', `plugway-${kind}`],
      type: 'module',
      // what \`npm publish\` ships: what the gateway loads (package.json always goes along)
      files: ['plugin.yaml', runtime === 'wasm' ? 'plugin.wasm' : 'dist/', 'fixtures.json', 'README.md'],
      scripts: {
        build: 'node build.mjs',
        test: 'node --test test/',
        check: 'plugway plugin validate . && plugway plugin test .',
        // npm pack / npm publish ship a fresh build
        prepack: 'node build.mjs',
      },
      // What the build needs; without \`npm install\`, build.mjs borrows them from the plugway that runs it.
      devDependencies: { plugway: plugwaySpec, ...buildDevDependencies(runtime) },
    },
    null,
    2,
  )}\n`;
}

/** Editor settings without machine paths: those are in .plugway/tsconfig.json, which build.mjs writes. */
function tsconfig(runtime: RuntimeType): string {
  if (runtime === 'wasm') {
    return `${JSON.stringify({ extends: './.plugway/tsconfig.json', include: ['src/**/*.ts'] }, null, 2)}\n`;
  }
  // build.mjs type-checks with the same settings.
  return `${JSON.stringify(
    {
      extends: './.plugway/tsconfig.json',
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        verbatimModuleSyntax: true,
        types: ['node'],
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
  if (runtime === 'remote') {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', {
      reason: 'a remote plugin is a service that runs elsewhere: there is no code to scaffold; write its plugin.yaml with runtime.type remote and its upstreams (docs/remote-plugins.md)',
    });
  }
  if (runtime === 'wasm' && !WASM_KINDS.includes(kind)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', {
      reason: `a wasm plugin can be of kind ${WASM_KINDS.join(', ')} (the wasm ABI serves handle_request); use --runtime worker for ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} plugin`,
    });
  }
  const language = options.language ?? (runtime === 'process' ? 'python' : 'typescript');
  if (!LANGUAGES.includes(language)) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `unknown language "${language}"; expected one of ${LANGUAGES.join(', ')}` });
  if ((language === 'python') !== (runtime === 'process')) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', {
      reason:
        language === 'python'
          ? `Python plugins run in the process runtime: use --runtime process --language python`
          : 'process plugins are scaffolded in Python: use --runtime process --language python (any other executable: see docs/process-abi.md)',
    });
  }
  const dir = resolve(options.dir ?? process.cwd(), id);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${dir} already exists and is not empty; pick another name or --dir` });
  }
  if (language === 'python') return writeFiles(dir, id, kind, runtime, pythonFiles(id, kind));

  const memoryMb = runtime === 'wasm' ? 32 : 64;
  let t: KindTemplate;
  let build: string;
  let testFile: string;
  if (runtime === 'wasm') {
    t = wasmHandlerTemplate(id);
    build = wasmBuildScript(memoryMb * 16);
    testFile = t.test;
  } else {
    t = nodeKindTemplate(kind, id);
    build = nodeBuildScript();
    testFile = nodeTestPreamble(id) + t.test;
  }
  const entry = runtime === 'wasm' ? 'plugin.wasm' : 'dist/index.js';
  const files: Record<string, string> = {
    'plugin.yaml': manifestYaml({ id, kind, runtime, entry, extra: t.manifest, memoryMb }),
    'src/index.ts': t.source,
    'fixtures.json': `${JSON.stringify(t.fixtures, null, 2)}\n`,
    'test/plugin.test.mjs': testFile,
    'build.mjs': build,
    'plugway-tools.mjs': toolsScript(),
    'package.json': packageJson(id, kind, runtime, plugwayDevSpec(options.plugwaySpec)),
    'tsconfig.json': tsconfig(runtime),
    'README.md': readme(id, kind, runtime),
    '.gitignore': `${runtime === 'wasm' ? 'plugin.wasm' : 'dist/'}\nnode_modules/\n.plugway/\n*.tgz\n*.tgz.sig\n`,
  };
  return writeFiles(dir, id, kind, runtime, files);
}

function writeFiles(dir: string, id: string, kind: PluginKind, runtime: RuntimeType, files: Record<string, string>): CreateResult {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return { dir, id, kind, runtime, files: Object.keys(files) };
}

function pythonFiles(id: string, kind: PluginKind): Record<string, string> {
  if (!PYTHON_KINDS.includes(kind)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', {
      reason: `the Python scaffold covers kinds ${PYTHON_KINDS.join(', ')}; for ${kind}, start from one and add the methods (docs/process-abi.md lists them)`,
    });
  }
  const t = pythonKindTemplate(kind, id);
  return {
    'plugin.yaml': manifestYaml({ id, kind, runtime: 'process', entry: 'plugin.py', extra: t.manifest, memoryMb: 64 }),
    'plugin.py': t.source,
    'fixtures.json': `${JSON.stringify(t.fixtures, null, 2)}\n`,
    'test_plugin.py': t.test,
    'README.md': pythonReadme(id, kind),
    '.gitignore': '__pycache__/\n.plugway/\n*.tgz\n*.tgz.sig\n',
  };
}
