// The wasm runtime's input kernel (src/runtimes/wasm/kernel.ts) end to end: what a module reads
// through input_length / input_load_u64 / input_load_u8 is exactly the request JSON (or the raw
// body), whatever the body holds, and a read past the input traps as Extism's own does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { createWasmRuntime } from '../../src/runtimes/wasm/index.js';
import type { PluginRequest } from '../../src/sdk/types.js';
import { harness, manifest } from './helpers.js';

// handle_request answers {"statusCode":200,"body":<its input>}; echo_raw answers its input; overread reads 8 bytes at input_length.
const ECHO = `(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/user" "plugway_kv_get" (func $kv_get (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\\"statusCode\\":200,\\"body\\":")
  ;; writes [prefix of $pre bytes from memory 0][input][one byte $post unless 0] to a block and sets it as output
  (func $echo (param $pre i64) (param $post i32) (result i32) (local $len i64) (local $off i64) (local $i i64) (local $n i64)
    (local.set $len (call $input_length))
    (local.set $n (i64.add (i64.add (local.get $pre) (local.get $len)) (i64.extend_i32_u (i32.ne (local.get $post) (i32.const 0)))))
    (local.set $off (call $alloc (local.get $n)))
    (block $d (loop $l (br_if $d (i64.ge_u (local.get $i) (local.get $pre)))
      (call $store_u8 (i64.add (local.get $off) (local.get $i)) (i32.load8_u (i32.wrap_i64 (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 1))) (br $l)))
    (local.set $i (i64.const 0))
    (block $d (loop $l (br_if $d (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $len)))
      (call $store_u64 (i64.add (i64.add (local.get $off) (local.get $pre)) (local.get $i)) (call $input_load_u64 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 8))) (br $l)))
    (block $d (loop $l (br_if $d (i64.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (i64.add (local.get $off) (local.get $pre)) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1))) (br $l)))
    (if (local.get $post) (then (call $store_u8 (i64.sub (i64.add (local.get $off) (local.get $n)) (i64.const 1)) (local.get $post))))
    (call $output_set (local.get $off) (local.get $n))
    (i32.const 0))
  (func (export "handle_request") (result i32) (call $echo (i64.const 25) (i32.const 125)))
  (func (export "echo_raw") (result i32) (call $echo (i64.const 0) (i32.const 0)))
  ;; answers the host storage's value for the key in its input (a host call whose long answer crosses the ring)
  (func (export "kv") (result i32) (local $len i64) (local $key i64) (local $i i64) (local $v i64)
    (local.set $len (call $input_length))
    (local.set $key (call $alloc (local.get $len)))
    (block $d (loop $l (br_if $d (i64.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $key) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1))) (br $l)))
    (local.set $v (call $kv_get (local.get $key)))
    (call $output_set (local.get $v) (call $length (local.get $v)))
    (i32.const 0))
  (func (export "overread") (result i32) (drop (call $input_load_u64 (call $input_length))) (i32.const 0)))`;

async function echoRuntime() {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('echo.wat', ECHO);
  const file = join(mkdtempSync(join(tmpdir(), 'plugway-kernel-')), 'echo.wasm');
  writeFileSync(file, mod.toBinary({}).buffer);
  mod.destroy();
  const m = manifest({
    id: 'kernel-echo',
    runtime: { type: 'wasm', instances: 1 },
    endpoints: [
      { path: '/echo', method: 'GET' },
      { path: '/raw', method: 'POST', function: 'echo_raw' },
      { path: '/over', method: 'POST', function: 'overread' },
      { path: '/kv', method: 'POST', function: 'kv' },
    ] as never,
  });
  const h = harness(m, file);
  const rt = createWasmRuntime(h.init);
  await rt.load();
  return Object.assign(rt, { storage: h.storage });
}

const request = (body: unknown, path = '/echo', method = 'GET'): PluginRequest =>
  ({ id: 'r1', method, path, params: {}, query: { q: 'x' }, headers: { 'content-type': 'text/plain' }, context: {}, body }) as PluginRequest;

test('a module reading through the kernel sees exactly the request JSON, whatever the body holds', async () => {
  const rt = await echoRuntime();
  try {
    const bodies: Array<[string, unknown]> = [
      ['64 KiB of ASCII', 'x'.repeat(64 * 1024)],
      ['a short body', 'hi'],
      ['no body', undefined],
      ['quotes, backslashes and control characters (JSON.stringify escapes them)', `${'a'.repeat(4096)}"\\\n\t\u0001${'b'.repeat(4096)}`],
      ['multi-byte UTF-8 (written without escaping)', `${'é'.repeat(3000)}😀${'日本'.repeat(2000)}`],
      ['a lone surrogate (JSON.stringify escapes it as \\ud800)', `${'y'.repeat(4096)}\ud800`],
      ['a JSON object', { a: [1, 2, { b: 'c'.repeat(5000) }] }],
      ['bytes (sent as bodyBase64)', new Uint8Array([0, 1, 2, 250, 255])],
    ];
    for (const [what, body] of bodies) {
      const req = request(body);
      const res = (await rt.call('handleRequest', [req])) as { statusCode: number; body: Record<string, unknown> };
      assert.equal(res.statusCode, 200, what);
      const expected = JSON.parse(JSON.stringify(body instanceof Uint8Array ? { ...req, body: undefined, bodyBase64: Buffer.from(body).toString('base64') } : req));
      assert.deepEqual(res.body, expected, what);
    }
  } finally {
    await rt.dispose();
  }
});

test('a raw function endpoint reads the raw body through the kernel; a read past the input traps; long host-call answers arrive whole', async () => {
  const rt = await echoRuntime();
  try {
    for (const body of ['z'.repeat(70_000), 'é€', '', new Uint8Array([9, 8, 7, 0, 255])]) {
      const res = (await rt.call('handleRequest', [request(body, '/raw', 'POST')])) as { body: string };
      assert.equal(res.body, typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    }
    await assert.rejects(rt.call('handleRequest', [request('abc', '/over', 'POST')]), (e: Error & { code?: string }) => e.code === 'PLW_ERR_WASM_TRAP');
    // the trap left a fresh instance (and kernel) behind that still serves
    const res = (await rt.call('handleRequest', [request('after', '/raw', 'POST')])) as { body: string };
    assert.equal(res.body, 'after');
    // a host call's long answer (a raw segment in the ring) reaches the module as the string it is
    rt.storage.set('long', 'v'.repeat(10_000));
    const kv = (await rt.call('handleRequest', [request('long', '/kv', 'POST')])) as { body: string };
    assert.equal(kv.body, 'v'.repeat(10_000));
  } finally {
    await rt.dispose();
  }
});
