import { hash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchStore, OpenStore } from './store.js';

/**
 * The yardstick for file engines: one JSON file per key at `<root>/aa/bb/<rest>` where `aabb…` is the sha256 hex
 * of the key. Written the quick way a careful user would: `writeFileSync` first, `mkdirSync` only when the folder
 * is missing; no temp file and rename, so it is not crash-safe. It stores values only: iteration yields values,
 * because the key cannot be recovered from its hash.
 */
export const plainFiles: BenchStore = {
  name: 'plain-files',
  yardstick: true,
  fill: 'sequential',
  via: {
    'set-sync': 'writeFileSync(JSON.stringify)',
    get: 'await readFile + JSON.parse',
    'get-sync': 'readFileSync + JSON.parse',
    iterate: 'readdirSync walk, readFileSync + JSON.parse',
  },
  async open(root: string): Promise<OpenStore> {
    const fileOf = (key: string) => {
      const hex = hash('sha256', key, 'hex');
      return join(root, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    };
    return {
      setSync(key, value) {
        const file = fileOf(key);
        const text = JSON.stringify(value);
        try {
          writeFileSync(file, text);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          mkdirSync(join(file, '..'), { recursive: true });
          writeFileSync(file, text);
        }
      },
      get: async (key) => JSON.parse(await readFile(fileOf(key), 'utf8')) as unknown,
      getSync: (key) => JSON.parse(readFileSync(fileOf(key), 'utf8')) as unknown,
      async iterate(visit) {
        let count = 0;
        for (const top of readdirSync(root)) {
          for (const middle of readdirSync(join(root, top))) {
            const folder = join(root, top, middle);
            for (const name of readdirSync(folder)) {
              visit(JSON.parse(readFileSync(join(folder, name), 'utf8')));
              count++;
            }
          }
        }
        return count;
      },
      path: root,
      async close() {},
    };
  },
};
