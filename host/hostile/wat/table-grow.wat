;; A solution core module whose `run` grows its function table without end. Rust never emits
;; `table.grow`, so this one is written by hand; host/artifacts/build.rs wraps it as a
;; smelt:solution/plugin component. `describe` traps: only `run` is exercised.
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  ;; Every allocation the host asks for lands at 1 KiB: the input is never read.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    i32.const 1024)
  (func (export "smelt:solution/solution@0.1.0#describe") (result i32)
    unreachable)
  (func (export "smelt:solution/solution@0.1.0#run") (param i32 i32 i32 i32) (result i32)
    (loop $grow
      (drop (table.grow $t (ref.null func) (i32.const 65536)))
      (br $grow))
    unreachable))
