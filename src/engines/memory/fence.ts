/**
 * A full memory barrier for the seqlocks of table.ts: a reader's copy must be complete before it re-checks the
 * version, and a writer's odd version must be visible before the data it guards changes. The JS memory model has no
 * fence, and Atomics.load / Atomics.store do not give this on arm64, where V8 compiles them to load-acquire and
 * store-release: an earlier plain read may still be satisfied after a later acquire load, and a later plain write
 * may be seen before an earlier release store. A read-modify-write is a full barrier as V8 compiles it (x86: a locked
 * instruction; arm64: an acquire-release exclusive pair or LDADDAL, whose release orders what came before it, whose
 * acquire orders what comes after, and a release store is never reordered with a later acquire load).
 * The word is this thread's own (every thread runs its own instance of this module), so the barrier never contends
 * for a cache line with another thread.
 */
const word = new Int32Array(new SharedArrayBuffer(4));

export function fence(): void {
  Atomics.add(word, 0, 0);
}
