// Hostile WebAssembly modules, written as WAT and compiled with wabt during the tests (nothing
// binary is committed). Each speaks just enough of the Extism ABI to be called.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';

const EXTISM_IMPORTS = `
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
`;

/** Copies the call's input into an Extism block and returns its offset. */
const COPY_INPUT = `
  (func $copy_input (result i64) (local $len i64) (local $off i64) (local $i i64)
    (local.set $len (call $input_length))
    (local.set $off (call $alloc (local.get $len)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $off))
`;

export const WAT = {
  /** handle_request never returns (a tight loop). */
  spin: `(module (memory (export "memory") 1)
    (func (export "handle_request") (result i32) (loop $l (br $l)) (i32.const 0)))`,
  /** Grows its own linear memory 1 MiB at a time until refused, then traps. No declared maximum. */
  memoryBomb: `(module (memory (export "memory") 1)
    (func (export "handle_request") (result i32)
      (block $full (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
      unreachable))`,
  /** Declares a 4 GiB minimum of linear memory. */
  fourGiB: `(module (memory (export "memory") 65536)
    (func (export "handle_request") (result i32) (i32.const 0)))`,
  /** fetch: the input is Extism's HTTP request JSON ({"url": …}); the output is the response body. */
  fetcher: `(module ${EXTISM_IMPORTS} (memory (export "memory") 1) ${COPY_INPUT}
    (func (export "fetch") (result i32) (local $res i64)
      (local.set $res (call $http_request (call $copy_input) (i64.const 0)))
      (call $output_set (local.get $res) (call $length (local.get $res)))
      (i32.const 0)))`,
  /** Answers every call with 50 MB. */
  huge: `(module ${EXTISM_IMPORTS} (memory (export "memory") 1)
    (func (export "handle_request") (result i32) (local $off i64)
      (local.set $off (call $alloc (i64.const 52428800)))
      (call $output_set (local.get $off) (i64.const 52428800))
      (i32.const 0)))`,
  /**
   * Extism host memory (blocks from extism:host/env alloc live outside linear memory and V8's heap):
   * handle_request keeps 1 MiB blocks, up to 1 GiB; huge_block asks for 1 GiB at once; churn
   * allocates and frees 1 MiB blocks 64 times (never more than one live) and answers "churned".
   */
  hostAlloc: `(module ${EXTISM_IMPORTS} (memory (export "memory") 1)
    (func (export "handle_request") (result i32) (local $i i32)
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 1024)))
        (drop (call $alloc (i64.const 1048576)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (i32.const 0))
    (func (export "huge_block") (result i32)
      (drop (call $alloc (i64.const 1073741824)))
      (i32.const 0))
    (func (export "churn") (result i32) (local $i i32) (local $off i64)
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 64)))
        (call $free (call $alloc (i64.const 1048576)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.set $off (call $alloc (i64.const 7)))
      (call $store_u8 (local.get $off) (i32.const 99))
      (call $store_u8 (i64.add (local.get $off) (i64.const 1)) (i32.const 104))
      (call $store_u8 (i64.add (local.get $off) (i64.const 2)) (i32.const 117))
      (call $store_u8 (i64.add (local.get $off) (i64.const 3)) (i32.const 114))
      (call $store_u8 (i64.add (local.get $off) (i64.const 4)) (i32.const 110))
      (call $store_u8 (i64.add (local.get $off) (i64.const 5)) (i32.const 101))
      (call $store_u8 (i64.add (local.get $off) (i64.const 6)) (i32.const 100))
      (call $output_set (local.get $off) (i64.const 7))
      (i32.const 0)))`,
  /** A start function that never returns: instantiation itself loops. */
  startLoop: `(module (memory (export "memory") 1)
    (func $spin (loop $l (br $l)))
    (start $spin)
    (func (export "handle_request") (result i32) (i32.const 0)))`,
  /** A well-behaved raw export: echoes its input. */
  echo: `(module ${EXTISM_IMPORTS} (memory (export "memory") 1) ${COPY_INPUT}
    (func (export "echo") (result i32) (local $off i64)
      (local.set $off (call $copy_input))
      (call $output_set (local.get $off) (call $length (local.get $off)))
      (i32.const 0)))`,
} as const;

let dir: string | undefined;

/** Compiles a fixture to a .wasm file in a temporary folder and returns its path. */
export async function buildWasm(name: keyof typeof WAT): Promise<string> {
  const wabt = await wabtInit();
  dir ??= mkdtempSync(join(tmpdir(), 'plugway-wasm-'));
  const mod = wabt.parseWat(`${name}.wat`, WAT[name]);
  const file = join(dir, `${name}.wasm`);
  writeFileSync(file, mod.toBinary({}).buffer);
  mod.destroy();
  return file;
}
