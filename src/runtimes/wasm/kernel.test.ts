import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
// @ts-expect-error plain ESM script without types
import { kernelBytes } from '../../../scripts/build-wasm-kernel.mjs';
import { KERNEL_WASM_BASE64 } from './kernel-bytes.js';
import { KERNEL_NAMESPACE, redirectInputImports } from './kernel.js';
import { Wasm } from './wasm-api.js';
import { WasmFormatError } from './wasm-binary.js';

async function wat(source: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('t.wat', source);
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

const imports = (mod: Uint8Array) => Wasm.Module.imports(new (Wasm as unknown as { Module: new (b: Uint8Array) => never }).Module(mod));

test('kernel-bytes.ts is kernel.wat as built (run node scripts/build-wasm-kernel.mjs after editing the .wat)', async () => {
  assert.equal(Buffer.from(await kernelBytes()).toString('base64'), KERNEL_WASM_BASE64);
});

test("a module's input imports of the right types are renamed to the kernel's namespace; the rest stay", async () => {
  const bytes = await wat(`(module
    (import "extism:host/env" "alloc" (func (param i64) (result i64)))
    (import "extism:host/env" "input_length" (func (result i64)))
    (import "extism:host/env" "input_load_u64" (func (param i64) (result i64)))
    (import "extism:host/env" "input_load_u8" (func (param i64) (result i32)))
    (import "extism:host/user" "plugway_log" (func (param i64)))
    (memory (export "memory") 1))`);
  const r = redirectInputImports(bytes);
  assert.deepEqual(r.redirected, ['input_length', 'input_load_u64', 'input_load_u8']);
  assert.equal(r.extismNeedsInput, false, 'every input read goes through the kernel');
  assert.deepEqual(
    imports(r.bytes).map((i: { module: string; name: string }) => `${i.module}::${i.name}`),
    ['extism:host/env::alloc', `${KERNEL_NAMESPACE}::input_length`, `${KERNEL_NAMESPACE}::input_load_u64`, `${KERNEL_NAMESPACE}::input_load_u8`, 'extism:host/user::plugway_log'],
  );
});

test('an input import of another type, or input_offset, leaves Extism the input too; a module without input imports is unchanged', async () => {
  const odd = redirectInputImports(
    await wat(`(module
      (import "extism:host/env" "input_length" (func (result i64)))
      (import "extism:host/env" "input_load_u8" (func (param i64) (result i64))))`),
  );
  assert.deepEqual(odd.redirected, ['input_length']);
  assert.equal(odd.extismNeedsInput, true);
  const offset = redirectInputImports(
    await wat(`(module
      (import "extism:host/env" "input_offset" (func (result i64)))
      (import "extism:host/env" "input_length" (func (result i64))))`),
  );
  assert.deepEqual(offset.redirected, ['input_length']);
  assert.equal(offset.extismNeedsInput, true);
  const none = await wat('(module (import "extism:host/env" "alloc" (func (param i64) (result i64))))');
  assert.equal(redirectInputImports(none).bytes, none);
});

test("a module that imports the kernel's namespace itself is refused", async () => {
  const bytes = await wat(`(module (import "${KERNEL_NAMESPACE}" "set_input_length" (func (param i64))))`);
  assert.throws(() => redirectInputImports(bytes), WasmFormatError);
});

test('json_clean finds every byte that needs escaping in a JSON string, at any position', async () => {
  const k = new (Wasm as unknown as { Instance: new (m: unknown) => { exports: Record<string, (...a: number[]) => number> & { memory: { buffer: ArrayBuffer } } } }).Instance(
    new (Wasm as unknown as { Module: new (b: Uint8Array) => unknown }).Module(Buffer.from(KERNEL_WASM_BASE64, 'base64')),
  );
  const mem = new Uint8Array(k.exports.memory.buffer);
  for (const len of [0, 1, 15, 16, 17, 63, 64, 65, 200]) {
    mem.fill(0x78, 0, 300);
    assert.equal(k.exports.json_clean(0, len), 1, `${len} clean bytes`);
    for (let at = 0; at < len; at += len > 20 ? 7 : 1) {
      for (let b = 0; b < 256; b++) {
        mem[at] = b;
        const dirty = b < 0x20 || b === 0x22 || b === 0x5c;
        assert.equal(k.exports.json_clean(0, len), dirty ? 0 : 1, `byte ${b} at ${at} of ${len}`);
      }
      mem[at] = 0x78;
    }
    mem[len] = 0x22; // just past the end: not looked at
    assert.equal(k.exports.json_clean(0, len), 1);
  }
});
