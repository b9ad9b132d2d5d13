// Builds plugin.wasm from src/index.ts with AssemblyScript (from the root node_modules).
// output: plugin.wasm
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
execFileSync(process.execPath, [asc, 'src/index.ts', '--outFile', 'plugin.wasm', '--optimize', '--runtime', 'incremental', '--exportRuntime', '--use', 'abort=src/index/abortHandler'], {
  cwd: here,
  stdio: 'inherit',
});
