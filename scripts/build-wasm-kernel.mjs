// Builds src/runtimes/wasm/kernel-bytes.ts from kernel.wat (wabt, a devDependency): the input
// kernel ships as base64 in the sources, so an installed plugway needs no WAT toolchain.
// Run after editing kernel.wat: node scripts/build-wasm-kernel.mjs (src/runtimes/wasm/kernel.test.ts checks they agree).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const dir = fileURLToPath(new URL('../src/runtimes/wasm/', import.meta.url));

/** kernel.wat as module bytes. */
export async function kernelBytes() {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('kernel.wat', readFileSync(`${dir}kernel.wat`, 'utf8'), { simd: true });
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const b64 = Buffer.from(await kernelBytes()).toString('base64');
  writeFileSync(`${dir}kernel-bytes.ts`, `// Generated from kernel.wat by scripts/build-wasm-kernel.mjs: do not edit.\nexport const KERNEL_WASM_BASE64 =\n  '${b64}';\n`);
  console.log(`kernel-bytes.ts: ${Buffer.from(b64, 'base64').length} bytes`);
}
