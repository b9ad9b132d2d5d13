import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
import { Wasm } from './wasm-api.js';
import { readMemories, rewriteMemoryMaximum, WasmFormatError } from './memory-limit.js';

async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('t.wat', text, { threads: true });
  const out = m.toBinary({}).buffer;
  m.destroy();
  return out;
}

test('a memory without a maximum gets the cap as maximum, and the module still compiles', async () => {
  const bytes = await wat('(module (memory (export "memory") 2) (func (export "f") (result i32) (memory.grow (i32.const 100))))');
  assert.deepEqual(readMemories(bytes), [{ min: 2, shared: false, memory64: false, imported: false }]);
  const { bytes: out } = rewriteMemoryMaximum(bytes, 10);
  assert.deepEqual(readMemories(out), [{ min: 2, max: 10, shared: false, memory64: false, imported: false }]);
  const inst = await Wasm.instantiate(out);
  const f = inst.instance.exports.f as () => number;
  assert.equal(f(), -1, 'growing past the cap is refused');
});

test('a smaller declared maximum is kept; a larger one is lowered', async () => {
  const small = await wat('(module (memory 1 4))');
  assert.equal(readMemories(rewriteMemoryMaximum(small, 10).bytes)[0]!.max, 4);
  const large = await wat('(module (memory 1 1000))');
  assert.equal(readMemories(rewriteMemoryMaximum(large, 10).bytes)[0]!.max, 10);
});

test('other sections are copied unchanged and imported memories are reported', async () => {
  const bytes = await wat('(module (import "env" "mem" (memory 1 2)) (func (export "g") (result i32) (i32.const 42)))');
  const r = rewriteMemoryMaximum(bytes, 10);
  assert.deepEqual(r.bytes, bytes);
  assert.deepEqual(r.memories, [{ min: 1, max: 2, shared: false, memory64: false, imported: true }]);
});

test('garbage is a WasmFormatError', () => {
  assert.throws(() => rewriteMemoryMaximum(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 1), WasmFormatError);
  assert.throws(() => rewriteMemoryMaximum(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 0x7f), 1), WasmFormatError);
});
