// An engine of your own: a plain JS Map per stash, saved to a JSON snapshot file after every write. Register it under
// a name and every HashStash feature works on it; test/engines/custom-engine.test.ts proves it with the conformance
// suite, `hashstash/test-suite`, that every built-in engine passes.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HashStash, registerEngine, type Engine, type EngineContext, type RawEntry } from 'hashstash';

/** One Map per snapshot file in this process, shared by the engines open on it and dropped when the last one closes. */
const open = new Map<string, { entries: Map<string, Uint8Array>; users: number }>();

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export class JsonFileEngine implements Engine {
  readonly name = 'json-file';
  readonly capabilities = {
    persistent: true,
    sync: false,
    sharedAcrossProcesses: false,
    sharedAcrossThreads: false,
    nativeAppend: false,
  };
  readonly sync = undefined;
  readonly #file: string;
  #entries: Map<string, Uint8Array> | undefined;

  // Touches nothing: the file is read on first use.
  constructor(readonly folder: string) {
    this.#file = join(folder, 'snapshot.json');
  }

  #map(): Map<string, Uint8Array> {
    if (this.#entries) return this.#entries;
    let shared = open.get(this.#file);
    if (!shared) {
      const entries = new Map<string, Uint8Array>();
      try {
        const saved = JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, string>;
        for (const [key, value] of Object.entries(saved)) entries.set(key, Buffer.from(value, 'base64'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      open.set(this.#file, (shared = { entries, users: 0 }));
    }
    shared.users++;
    return (this.#entries = shared.entries);
  }

  /** Writes the whole Map to a temporary file, then renames it over the snapshot: a crash leaves the old one whole. */
  #save(): void {
    const saved = Object.fromEntries(
      [...this.#map()].map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    mkdirSync(this.folder, { recursive: true });
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(saved));
    renameSync(`${this.#file}.tmp`, this.#file);
  }

  async get(key: Uint8Array) {
    return this.#map().get(hex(key));
  }
  async has(key: Uint8Array) {
    return this.#map().has(hex(key));
  }
  async size() {
    return this.#map().size;
  }
  async getMany(keys: readonly Uint8Array[]) {
    return keys.map((key) => this.#map().get(hex(key)));
  }

  async set(key: Uint8Array, value: Uint8Array) {
    this.#map().set(hex(key), value.slice()); // a copy: the caller may reuse its buffer
    this.#save();
  }

  async setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>) {
    for await (const [key, value] of entries) this.#map().set(hex(key), value.slice());
    this.#save();
  }

  async delete(key: Uint8Array) {
    const deleted = this.#map().delete(hex(key));
    if (deleted) this.#save();
    return deleted;
  }

  async clear() {
    this.#map().clear();
    this.#save();
  }

  async *keys() {
    for (const key of [...this.#map().keys()]) yield Uint8Array.from(Buffer.from(key, 'hex'));
  }

  async *entries(): AsyncIterableIterator<RawEntry> {
    for (const [key, value] of [...this.#map()]) yield [Uint8Array.from(Buffer.from(key, 'hex')), value];
  }

  async close() {
    if (!this.#entries) return;
    this.#entries = undefined;
    const shared = open.get(this.#file)!;
    if (--shared.users === 0) open.delete(this.#file);
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

/** What registerEngine takes: an engine for one stash's location. */
export const jsonFileEngine = (context: EngineContext) => new JsonFileEngine(context.path);

// Run as a script: register it, and use it through HashStash like any built-in engine.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  registerEngine('json-file', jsonFileEngine);
  const root = mkdtempSync(join(tmpdir(), 'hashstash-custom-engine-'));
  try {
    {
      await using stash = new HashStash({ root, engine: 'json-file' });
      await stash.set({ city: 'Lyon' }, { rivers: new Set(['Rhône', 'Saône']) });
      await stash.set(['any', 'key'], 42n);
      console.log(`${String(stash)} holds ${await stash.size()} entries`);
    }
    await using again = new HashStash({ root, engine: 'json-file' });
    const { rivers } = (await again.get({ city: 'Lyon' })) as { rivers: Set<string> };
    console.log(
      `after reopening: rivers ${[...rivers].join(', ')}; ['any', 'key'] -> ${String(await again.get(['any', 'key']))}`,
    );
    console.log(
      `the snapshot: ${Object.keys(JSON.parse(readFileSync(join(again.path, 'snapshot.json'), 'utf8')) as object).length} entries`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
