;; hashstash's WebAssembly kernel (src/serializers/kernel.ts embeds it, assembled by wabt 1.0.39 with SIMD on).
(module
  (memory (export "memory") 1)

  ;; scan(p, end): the first index in [p, end) of a byte below 0x20, a '"' or a '\\' (where a JSON string ends, or is
  ;; not for the fast path), or end when there is none. 64 bytes a turn while they fit, then 16, then one.
  (func (export "scan") (param $p i32) (param $end i32) (result i32)
    (local $v v128) (local $ctl v128) (local $zero v128) (local $quote v128) (local $bs v128) (local $c i32)
    (local.set $ctl (v128.const i8x16 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0)) (local.set $quote (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22)) (local.set $bs (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c))
    (block $sixteen
      (loop $wide
        (br_if $sixteen (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
        (br_if $sixteen (v128.any_true (v128.or (v128.or (v128.or (i8x16.eq (v128.and (local.tee $v (v128.load offset=0 align=1 (local.get $p))) (local.get $ctl)) (local.get $zero))
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $bs)))) (v128.or (i8x16.eq (v128.and (local.tee $v (v128.load offset=16 align=1 (local.get $p))) (local.get $ctl)) (local.get $zero))
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $bs))))) (v128.or (v128.or (i8x16.eq (v128.and (local.tee $v (v128.load offset=32 align=1 (local.get $p))) (local.get $ctl)) (local.get $zero))
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $bs)))) (v128.or (i8x16.eq (v128.and (local.tee $v (v128.load offset=48 align=1 (local.get $p))) (local.get $ctl)) (local.get $zero))
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $bs))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $wide)))
    (block $tail
      (loop $narrow
        (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (br_if $tail (v128.any_true (v128.or (i8x16.eq (v128.and (local.tee $v (v128.load offset=0 align=1 (local.get $p))) (local.get $ctl)) (local.get $zero))
              (v128.or (i8x16.eq (local.get $v) (local.get $quote)) (i8x16.eq (local.get $v) (local.get $bs))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $narrow)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.or (i32.lt_u (local.get $c) (i32.const 0x20))
                             (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.get $p))

  ;; lz4(ip, iend, op, oend): decodes the LZ4 block [ip, iend) into [op, oend); returns where the output ends, or -1
  ;; when the block is malformed (runs past its input, past oend, or refers before op). Copies go 16 bytes at a time
  ;; and may write up to 16 bytes past oend and read up to 16 past iend: the caller leaves that much room after each.
  (func (export "lz4") (param $ip i32) (param $iend i32) (param $op i32) (param $oend i32) (result i32)
    (local $ostart i32) (local $token i32) (local $len i32) (local $b i32) (local $offset i32) (local $m i32) (local $stop i32)
    (local.set $ostart (local.get $op))
    (loop $sequence
      (if (i32.ge_u (local.get $ip) (local.get $iend)) (then (return (i32.const -1))))
      (local.set $token (i32.load8_u (local.get $ip)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
      (local.set $len (i32.shr_u (local.get $token) (i32.const 4)))
      (if (i32.eq (local.get $len) (i32.const 15)) (then
      (loop $literalLength
        (if (i32.ge_u (local.get $ip) (local.get $iend)) (then (return (i32.const -1))))
        (local.set $b (i32.load8_u (local.get $ip)))
        (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
        (local.set $len (i32.add (local.get $len) (local.get $b)))
        (br_if $literalLength (i32.eq (local.get $b) (i32.const 255))))))
      (if (i32.gt_u (local.get $len) (i32.sub (local.get $iend) (local.get $ip))) (then (return (i32.const -1))))
      (if (i32.gt_u (local.get $len) (i32.sub (local.get $oend) (local.get $op))) (then (return (i32.const -1))))
      (if (i32.le_u (local.get $len) (i32.const 16))
        (then (v128.store align=1 (local.get $op) (v128.load align=1 (local.get $ip))))
        (else (if (i32.le_u (local.get $len) (i32.const 32))
          (then
            (v128.store align=1 (local.get $op) (v128.load align=1 (local.get $ip)))
            (v128.store offset=16 align=1 (local.get $op) (v128.load offset=16 align=1 (local.get $ip))))
          (else (memory.copy (local.get $op) (local.get $ip) (local.get $len))))))
      (local.set $ip (i32.add (local.get $ip) (local.get $len)))
      (local.set $op (i32.add (local.get $op) (local.get $len)))
      ;; The last sequence is literals only.
      (if (i32.eq (local.get $ip) (local.get $iend)) (then (return (local.get $op))))
      (if (i32.lt_u (i32.sub (local.get $iend) (local.get $ip)) (i32.const 2)) (then (return (i32.const -1))))
      (local.set $offset (i32.load16_u align=1 (local.get $ip)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 2)))
      (if (i32.or (i32.eqz (local.get $offset)) (i32.gt_u (local.get $offset) (i32.sub (local.get $op) (local.get $ostart))))
        (then (return (i32.const -1))))
      (local.set $len (i32.and (local.get $token) (i32.const 15)))
      (if (i32.eq (local.get $len) (i32.const 15)) (then
      (loop $matchLength
        (if (i32.ge_u (local.get $ip) (local.get $iend)) (then (return (i32.const -1))))
        (local.set $b (i32.load8_u (local.get $ip)))
        (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
        (local.set $len (i32.add (local.get $len) (local.get $b)))
        (br_if $matchLength (i32.eq (local.get $b) (i32.const 255))))))
      (local.set $len (i32.add (local.get $len) (i32.const 4)))
      (if (i32.gt_u (local.get $len) (i32.sub (local.get $oend) (local.get $op))) (then (return (i32.const -1))))
      (local.set $m (i32.sub (local.get $op) (local.get $offset)))
      (local.set $stop (i32.add (local.get $op) (local.get $len)))
      (if (i32.ge_u (local.get $offset) (i32.const 16))
        (then
          ;; Each 16 bytes read were written before (the offset is at least 16): the copy repeats correctly.
          (loop $chunk
            (v128.store align=1 (local.get $op) (v128.load align=1 (local.get $m)))
            (local.set $op (i32.add (local.get $op) (i32.const 16)))
            (local.set $m (i32.add (local.get $m) (i32.const 16)))
            (br_if $chunk (i32.lt_u (local.get $op) (local.get $stop)))))
        (else (if (i32.ge_u (local.get $offset) (i32.const 8))
          (then
            ;; 8 bytes a turn, each written before it is read (the offset is at least 8).
            (loop $word
              (i64.store align=1 (local.get $op) (i64.load align=1 (local.get $m)))
              (local.set $op (i32.add (local.get $op) (i32.const 8)))
              (local.set $m (i32.add (local.get $m) (i32.const 8)))
              (br_if $word (i32.lt_u (local.get $op) (local.get $stop)))))
        (else
          (loop $byte
            (i32.store8 (local.get $op) (i32.load8_u (local.get $m)))
            (local.set $op (i32.add (local.get $op) (i32.const 1)))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (br_if $byte (i32.lt_u (local.get $op) (local.get $stop))))))))
      (local.set $op (local.get $stop))
      (br $sequence))
    (i32.const -1)))
