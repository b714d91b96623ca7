import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../../src/codecs/index.js';
import { encodeKey } from '../../src/keys/encode.js';
import { deserialize } from '../../src/serializers/index.js';
import { HashStash } from '../../src/stash.js';
import type { FuzzCase } from './cases.js';
import { configName, type Config } from './corpus.js';

const KEY = 'fuzzed';
const KEY_BYTES = encodeKey(KEY);

/**
 * Runs an input through its entry point. The stashes are memory stashes, one per settings, opened on first use in a
 * folder of their own; `get` replaces the stored blob through the engine, below the stash, as a damaged store would.
 */
export class Targets {
  readonly #root = join(tmpdir(), `hashstash-fuzz-${process.pid}`);
  readonly #stashes = new Map<string, HashStash>();

  run(input: FuzzCase): unknown {
    switch (input.target) {
      case 'deserialize':
        return deserialize(input.bytes, input.serializer);
      case 'decode':
        // A Buffer, as the originals are, so that equal bytes compare equal.
        return Buffer.from(decode(input.bytes, input.codec));
      case 'decodeKey':
        return this.#stash({ serializer: 'hashstash', compress: 'raw', b64: false }).decodeKey(input.bytes);
      case 'decodeValue':
        return this.#stash(input.config!).decodeValue(input.bytes);
      case 'get': {
        const stash = this.#stash(input.config!);
        stash.engine.sync!.set(KEY_BYTES, input.bytes);
        return stash.get(KEY);
      }
    }
  }

  async close(): Promise<void> {
    for (const stash of this.#stashes.values()) await stash.close();
    this.#stashes.clear();
    rmSync(this.#root, { recursive: true, force: true });
  }

  #stash(config: Config): HashStash {
    const name = configName(config);
    let stash = this.#stashes.get(name);
    if (stash === undefined) {
      stash = new HashStash({ root: this.#root, name: 'fuzz', engine: 'memory', maxBytes: '64mb', ...config });
      this.#stashes.set(name, stash);
    }
    return stash;
  }
}
