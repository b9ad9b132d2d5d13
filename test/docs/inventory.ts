// The inventory of the docs' code blocks: which shell blocks the walk-throughs run, which lines are
// shown but not run (with the reason and a static check), and which blocks other tests cover.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_MAPPING, loadHostConfig } from '../../src/host/config.js';
import { adminOpenApi } from '../../src/gateway/index.js';
import { parseManifest } from '../../src/manifest/index.js';
import { allBlocks, commandLines, isShell, ROOT, type Block, type CommandLine } from './blocks.js';
import { shellWords } from './cli-parse.js';
import { PRODUCTION_SHOWN_NOT_RUN } from './production-lines.js';

export const BLOCKS = allBlocks();
export const LINES = BLOCKS.filter(isShell).flatMap(commandLines);
export const key = (file: string, command: string) => `${file} » ${command}`;
export const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** The shell block of `file` whose first command is `first`. */
export function shellBlock(file: string, first: string): CommandLine[] {
  const found = BLOCKS.filter((b) => b.file === file && isShell(b))
    .map(commandLines)
    .find((ls) => ls[0]?.command === first);
  assert.ok(found, `${file} has a shell block starting with: ${first}`);
  return found;
}

export function block(file: string, lang: string, starts: string | RegExp): Block {
  const b = BLOCKS.find((x) => x.file === file && x.lang === lang && (typeof starts === 'string' ? x.body.startsWith(starts) : starts.test(x.body)));
  assert.ok(b, `${file} has a \`\`\`${lang} block starting with ${starts}`);
  return b;
}

/** The full text of a (long) documented command, found by its start. */
export function commandStarting(file: string, start: string): string {
  const l = LINES.find((x) => x.block.file === file && x.command.startsWith(start));
  return l?.command ?? `(no command of ${file} starts with ${start})`;
}

// ---------------------------------------------------------------------------------------------
// What is run, what is covered elsewhere, and what is only shown (with the reason).

/** Shell blocks run line by line by code-blocks.test.ts's walk-throughs: [file, first command]. */
export const RUN: Array<[string, string]> = [
  ['docs/dashboard.md', 'node bin/plugway.js serve'],
  ['README.md', 'curl http://127.0.0.1:8080/hello'],
  ['README.md', 'export PLUGWAY_ADMIN_TOKEN=…'],
  ['docs/gateway.md', 'npm start'],
  ['docs/admin-api.md', 'TOKEN=$(cat .plugway/admin-token)'],
  ['README.md', 'node bin/plugway.js plugin create greeter --dir /tmp/my-plugins'],
  ['docs/authoring.md', 'plugway plugin create hello'],
  ['docs/cli.md', 'plugway plugin create hello'],
  ['docs/cli.md', '(cd hello && npm run build)'],
  ['docs/cli.md', 'plugway plugin test ./hello'],
  ['docs/packaging.md', 'plugway plugin pack ./hello'],
  ['docs/cli.md', 'export PLUGWAY_ADMIN_TOKEN=…'],
  ['docs/cli.md', 'plugway plugin versions hello'],
  ['docs/hot-reload.md', 'plugway plugin versions hello'],
  ['docs/diagnostics.md', commandStarting('docs/diagnostics.md', 'curl -s -X POST http://127.0.0.1:8080/diagnostics/postgres ')],
  ['README.md', 'node bin/plugway.js diagnose redis localhost:6379'],
  ['docs/diagnostics.md', 'plugway diagnose redis localhost:6379'],
  ['docs/diagnostics.md', 'node bin/plugway.js diagnose postgres 127.0.0.1:5432/test --json | jq .duration_ms'],
  ['docs/manifest.md', 'plugway plugin validate ./plugins/hello'],
];

/** Blocks whose commands are exactly commands of a run block, in the same walk-through (checked). */
export const SAME_AS_RUN: Array<{ block: [string, string]; runIn: [string, string] }> = [
  { block: ['docs/cli.md', 'plugway plugin pack ./hello'], runIn: ['docs/packaging.md', 'plugway plugin pack ./hello'] },
  { block: ['docs/cli.md', 'plugway plugin keygen --out ./keys'], runIn: ['docs/packaging.md', 'plugway plugin pack ./hello'] },
  { block: ['docs/cli.md', 'plugway plugin sign hello/hello-0.1.0.tgz --key keys/plugway-signing.key'], runIn: ['docs/packaging.md', 'plugway plugin pack ./hello'] },
  { block: ['docs/cli.md', 'plugway plugin verify hello/hello-0.1.0.tgz --key keys/plugway-signing.pub'], runIn: ['docs/packaging.md', 'plugway plugin pack ./hello'] },
  { block: ['docs/cli.md', 'plugway plugin install hello/hello-0.1.0.tgz --plugins ./plugins --trusted-key keys/plugway-signing.pub'], runIn: ['docs/packaging.md', 'plugway plugin pack ./hello'] },
];

const npmScript = (name: string, pattern: RegExp) => () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts[name] ?? '', pattern, `package.json scripts.${name}`);
};

function testFilesExist(command: string): void {
  const words = shellWords(command).filter((w) => /\.test\.ts$/.test(w));
  assert.ok(words.length, command);
  for (const w of words) {
    const [dir, pattern] = [w.slice(0, w.lastIndexOf('/')), w.slice(w.lastIndexOf('/') + 1)];
    const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
    assert.ok(
      readdirSync(join(ROOT, dir)).some((f) => re.test(f)),
      `${w} names test files that exist`,
    );
  }
}

export const openApiHas = (method: string, path: string) => {
  const paths = adminOpenApi().paths as Record<string, Record<string, unknown>>;
  const p = path.replace(/^\/admin/, '').replace(/:(\w+)/g, '{$1}');
  return Boolean(paths[`/admin${p}`]?.[method.toLowerCase()] ?? paths[p]?.[method.toLowerCase()]);
};

/** Lines shown but not run here, each with the reason and what is checked instead. */
export const SHOWN_NOT_RUN: Record<string, { reason: string; check: (line: CommandLine) => void | Promise<void> }> = {
  ...PRODUCTION_SHOWN_NOT_RUN,
  // installing plugway itself (issue 22): test/cli/installed-package.test.ts does it for real
  ...Object.fromEntries(
    [
      ['README.md', 'npm pack'],
      ['README.md', 'npm install -g ./plugway-0.1.0.tgz'],
      ['README.md', 'plugway --version'],
      ['docs/packaging.md', 'npm pack'],
      ['docs/packaging.md', 'npm install -g ./plugway-0.1.0.tgz'],
      ['docs/packaging.md', 'plugway --version'],
      ['docs/packaging.md', 'npx --yes --package ./plugway-0.1.0.tgz plugway --help'],
    ].map(([file, command]) => [
      key(file!, command!),
      {
        reason: 'installs globally; test/cli/installed-package.test.ts packs this checkout, installs the tarball into a temporary prefix and runs plugway --version, --help and serve from it',
        check: () => {
          const pkg = JSON.parse(read('package.json')) as { version: string; bin: Record<string, string>; files: string[]; scripts: Record<string, string> };
          assert.equal(pkg.bin.plugway, 'bin/plugway.js');
          assert.ok(pkg.files.includes('dist'));
          assert.match(pkg.scripts.prepack ?? '', /ensure-ready/);
          assert.ok(!command!.includes('.tgz') || command!.includes(`plugway-${pkg.version}.tgz`), `${command} names this version's tarball`);
          assert.match(read('test/cli/installed-package.test.ts'), /installGlobally\(tarball/);
        },
      },
    ]),
  ),
  ...Object.fromEntries(
    [
      ['docs/cli.md', 'plugway plugin list --log-level debug', "'--log-level', 'debug'"],
      ['docs/cli.md', 'PLUGWAY_LOG_LEVEL=debug plugway serve', "PLUGWAY_LOG_LEVEL: 'debug'"],
    ].map(([file, command, text]) => [
      key(file!, command!),
      { reason: 'needs a running gateway; test/cli/installed-package.test.ts runs it against one', check: () => assert.ok(read('test/cli/installed-package.test.ts').includes(text!)) },
    ]),
  ),
  ...Object.fromEntries(
    [
      ['docs/cli.md', 'plugway plugin install npm:hello-market@^0.1.0 --plugins ./plugins --registry http://127.0.0.1:4873/', "install('npm:hello-market@^0.1.0'"],
      ['docs/cli.md', 'plugway plugin search greeting --registry http://127.0.0.1:4873/', "'plugin', 'search'"],
      ['docs/packaging.md', 'npm publish --registry http://127.0.0.1:4873/', "npm(['publish'"],
      ['docs/packaging.md', 'plugway plugin search hello --registry http://127.0.0.1:4873/', "'plugin', 'search', 'hello'"],
      ['docs/packaging.md', 'plugway plugin install npm:hello@^0.1.0 --plugins ./plugins --registry http://127.0.0.1:4873/', "install('npm:hello-market@^0.1.0'"],
    ].map(([file, command, text]) => [
      key(file!, command!),
      {
        reason: 'needs an npm registry on port 4873; test/cli/npm-marketplace.test.ts publishes, searches and installs against a Verdaccio it starts on a free port',
        check: () => assert.ok(read('test/cli/npm-marketplace.test.ts').includes(text!)),
      },
    ]),
  ),
  [key('README.md', 'npm start')]: {
    reason: "serves on port 8080 until stopped; it is ensure-ready + `node bin/plugway.js serve`, which docs/dashboard.md's block runs here on a free port",
    check: npmScript('start', /&& node bin\/plugway\.js serve$/),
  },
  [key('docs/gateway.md', 'npm start')]: {
    reason: "the same `npm start` (= `plugway serve`): the gateway of docs/dashboard.md's block answers this block's curl lines",
    check: npmScript('start', /&& node bin\/plugway\.js serve$/),
  },
  [key('README.md', 'npm test')]: { reason: 'runs the whole suite, this file included', check: npmScript('test', /scripts\/run-tests\.mjs$/) },
  [key(
    'docs/cluster.md',
    'PLUGWAY_STATE_STORE=etcd PLUGWAY_ETCD_ENDPOINTS=http://127.0.0.1:2379 PLUGWAY_ADMIN_TOKEN=change-me-to-a-long-random-token plugway serve --port 8081 --state-dir .plugway-node1',
  )]: {
    reason: 'two gateway nodes on an etcd at 127.0.0.1:2379; test/cluster/etcd-store.test.ts runs two real gateways converging through a real etcd',
    async check(line) {
      const env = Object.fromEntries(
        shellWords(line.command)
          .filter((w) => /^PLUGWAY_\w+=/.test(w))
          .map((w) => w.split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      for (const v of Object.keys(env)) assert.ok(v in ENV_MAPPING, `${v} is a documented PLUGWAY_* variable`);
      const c = await loadHostConfig({ env });
      assert.equal(c.state.store, 'etcd');
      assert.deepEqual(c.state.etcd.endpoints, ['http://127.0.0.1:2379']);
    },
  },
  [key('docs/cluster.md', "curl -X POST -H 'authorization: Bearer change-me-to-a-long-random-token' http://127.0.0.1:8081/admin/plugins/hello/disable")]: {
    reason: 'needs the two-node cluster above',
    check: () => assert.ok(openApiHas('POST', '/admin/plugins/:id/disable')),
  },
  [key('docs/cluster.md', 'curl http://127.0.0.1:8082/hello')]: {
    reason: 'needs the two-node cluster above',
    check: () => assert.ok(parseManifest(read('examples/hello/plugin.yaml')).manifest!.endpoints.some((e) => e.path === '/hello')),
  },
  [key('docs/cluster.md', 'node --import tsx --test test/cluster/etcd-store.test.ts')]: { reason: 'runs another test file of this suite', check: (l) => testFilesExist(l.command) },
  [key('docs/remote-plugins.md', 'plugway register --service ai-recommendations --url http://10.0.0.7:9000 --etcd http://127.0.0.1:2379 --ttl 10')]: {
    reason:
      'keeps an instance registered in an etcd at 127.0.0.1:2379 until stopped; test/remote/discovery.test.ts runs this command against a real etcd and watches a gateway add the instance and drop it when its lease expires',
    check: () => assert.match(read('test/remote/discovery.test.ts'), /\[PLUGWAY_BIN, 'register', '--service', service, '--url', b\.url, '--etcd', etcd\.endpoint, '--ttl', '2'/),
  },
  [key('docs/dashboard.md', 'node --import tsx --test test/dashboard/*.test.ts src/gateway/dashboard/*.test.ts')]: {
    reason: 'runs other test files of this suite',
    check: (l) => testFilesExist(l.command),
  },
  [key('docs/wasm-abi.md', 'npx asc src/index.ts --outFile plugin.wasm --optimize --runtime incremental --exportRuntime --use abort=src/index/abortHandler')]: {
    reason: 'npx outside a project that has assemblyscript installed would download it; examples/veza/ai-recommendations/build.mjs runs asc with exactly these arguments (npm run build:examples)',
    check(line) {
      const m = /\[asc, ([^\]]+)\]/.exec(read('examples/veza/ai-recommendations/build.mjs'));
      assert.ok(m, 'build.mjs calls asc');
      const args = [...m[1]!.matchAll(/'([^']*)'/g)].map((x) => x[1]);
      assert.deepEqual(shellWords(line.command).slice(2), args);
    },
  },
};

/** Blocks other test files exercise: the doc, which of its blocks, the test file and the test's title. */
export const COVERED_ELSEWHERE: Array<{ file: string; match: (b: Block) => boolean; by: string; title: string }> = [
  {
    file: 'docs/authoring.md',
    match: (b) => /^(file|fixtures)=/.test(b.attrs),
    by: 'test/toolkit/authoring-docs.test.ts',
    title: 'the ${kind} example builds and passes its fixtures through the host',
  },
  {
    file: 'docs/manifest.md',
    match: (b) => b.lang === 'yaml' && b.body.startsWith('id: track-search'),
    by: 'src/manifest/manifest.test.ts',
    title: 'docs/manifest.md: its complete example validates',
  },
  { file: 'docs/process-abi.md', match: (b) => b.lang === 'python', by: 'test/runtimes/process-docs.test.ts', title: 'docs/process-abi.md: its Python examples load and answer' },
];
export const coveredElsewhere = (b: Block) => COVERED_ELSEWHERE.some((c) => c.file === b.file && c.match(b));
