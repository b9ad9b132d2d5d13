;; plugway's input kernel for wasm plugins (src/runtimes/wasm/kernel.ts; built into kernel-bytes.ts by
;; `node scripts/build-wasm-kernel.mjs`). It holds a call's input in its own memory and serves the
;; Extism input imports a module reads it with (input_length, input_load_u64, input_load_u8) as
;; WebAssembly functions: a PDK reading 64 KiB 8 bytes at a time makes 8,192 calls, which cost
;; ~2 ns each here against ~60 ns each as Extism's JavaScript host functions (BigInt in and out).
;; It also checks, 16 bytes at a time, whether a string needs JSON escaping.
(module
  (memory (export "memory") 1)
  (global $len (mut i64) (i64.const 0))

  ;; the host wrote the call's input at offset 0: its length
  (func (export "set_input_length") (param $n i64)
    (global.set $len (local.get $n)))

  (func (export "input_length") (result i64)
    (global.get $len))

  ;; Extism input addresses carry a block index in the top 16 bits (0 for the input): masked off.
  ;; Reading past the input traps, as Extism's DataView read throws.
  (func (export "input_load_u64") (param $addr i64) (result i64) (local $off i64)
    (local.set $off (i64.and (local.get $addr) (i64.const 0xffffffffffff)))
    (if (i64.gt_u (i64.add (local.get $off) (i64.const 8)) (global.get $len)) (then unreachable))
    (i64.load (i32.wrap_i64 (local.get $off))))

  (func (export "input_load_u8") (param $addr i64) (result i32) (local $off i64)
    (local.set $off (i64.and (local.get $addr) (i64.const 0xffffffffffff)))
    (if (i64.ge_u (local.get $off) (global.get $len)) (then unreachable))
    (i32.load8_u (i32.wrap_i64 (local.get $off))))

  ;; 1 when no byte in [start, end) needs escaping inside a JSON string (< 0x20, '"', '\'), else 0.
  ;; 64 bytes a step (four vectors or'ed together), then 16, then one. `0x20 -sat c` is nonzero exactly
  ;; when c < 0x20 (one instruction, where an unsigned byte compare takes several on x64).
  (func (export "json_clean") (param $p i32) (param $end i32) (result i32)
      (local $c i32) (local $v v128) (local $ctl v128) (local $quote v128) (local $bslash v128)
    (local.set $ctl (i8x16.splat (i32.const 0x20)))
    (local.set $quote (i8x16.splat (i32.const 0x22)))
    (local.set $bslash (i8x16.splat (i32.const 0x5c)))
    (block $by16
      (loop $by64
        (br_if $by16 (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (v128.or
                    (v128.or (i8x16.sub_sat_u (local.get $ctl) (local.tee $v (v128.load (local.get $p)))) (i8x16.eq (local.get $v) (local.get $quote)))
                    (i8x16.eq (local.get $v) (local.get $bslash)))
                  (v128.or
                    (v128.or (i8x16.sub_sat_u (local.get $ctl) (local.tee $v (v128.load offset=16 (local.get $p)))) (i8x16.eq (local.get $v) (local.get $quote)))
                    (i8x16.eq (local.get $v) (local.get $bslash))))
                (v128.or
                  (v128.or
                    (v128.or (i8x16.sub_sat_u (local.get $ctl) (local.tee $v (v128.load offset=32 (local.get $p)))) (i8x16.eq (local.get $v) (local.get $quote)))
                    (i8x16.eq (local.get $v) (local.get $bslash)))
                  (v128.or
                    (v128.or (i8x16.sub_sat_u (local.get $ctl) (local.tee $v (v128.load offset=48 (local.get $p)))) (i8x16.eq (local.get $v) (local.get $quote)))
                    (i8x16.eq (local.get $v) (local.get $bslash))))))
          (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $by64)))
    (block $by1
      (loop $by16
        (br_if $by1 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (if (v128.any_true
              (v128.or
                (v128.or (i8x16.sub_sat_u (local.get $ctl) (local.tee $v (v128.load (local.get $p)))) (i8x16.eq (local.get $v) (local.get $quote)))
                (i8x16.eq (local.get $v) (local.get $bslash))))
          (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $by16)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.or (i32.lt_u (local.get $c) (i32.const 0x20))
              (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c))))
          (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (i32.const 1)))
