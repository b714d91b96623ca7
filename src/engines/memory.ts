import type { EngineContext, RawEntry, SyncStore } from './engine.js';
import { LocalEngine } from './local-engine.js';

/**
 * In-process memory: every stash of this thread opened on the same path shares one table.
 * Keys are held as latin1 strings of their bytes (a lossless one-byte-per-char mapping) so Map lookups hash natively.
 */
const tables = new Map<string, Map<string, Uint8Array>>();

const toId = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
const fromId = (id: string) => Buffer.from(id, 'latin1');

class MemoryStore implements SyncStore {
  readonly #path: string;
  constructor(path: string) { this.#path = path; }

  get #table(): Map<string, Uint8Array> {
    let table = tables.get(this.#path);
    if (!table) tables.set(this.#path, (table = new Map()));
    return table;
  }

  get(key: Uint8Array) { return this.#table.get(toId(key)); }
  // Copy: the caller may reuse its buffer, and stored bytes must never change under a reader.
  set(key: Uint8Array, value: Uint8Array) { this.#table.set(toId(key), Uint8Array.prototype.slice.call(value)); }
  has(key: Uint8Array) { return this.#table.has(toId(key)); }
  delete(key: Uint8Array) { return this.#table.delete(toId(key)); }
  size() { return this.#table.size; }
  clear() { this.#table.clear(); }
  *keys() { for (const id of this.#table.keys()) yield fromId(id); }
  *entries(): Iterable<RawEntry> { for (const [id, value] of this.#table) yield [fromId(id), value]; }
  getMany(keys: readonly Uint8Array[]) { return keys.map((key) => this.get(key)); }
  setMany(entries: Iterable<RawEntry>) { for (const [key, value] of entries) this.set(key, value); }
}

export function createMemoryEngine(context: EngineContext): LocalEngine {
  return new LocalEngine(
    'memory',
    { persistent: false, sync: true, sharedAcrossProcesses: false, sharedAcrossThreads: false, nativeAppend: false },
    new MemoryStore(context.path),
  );
}
