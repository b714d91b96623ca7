(module
  (memory (export "memory") 1)
  ;; The first index in [p, end) of a byte below 0x20, a '"' or a '\\', or end when there is none.
  ;; 64 bytes a turn while they fit, then 16, then one.
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
    (local.get $p)))
