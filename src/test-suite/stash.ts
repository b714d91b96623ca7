/**
 * The facade's contract on one engine: the whole dictionary of API.md (keys compared by structure, values of every
 * kind, fallbacks, pop and setDefault, iteration that streams in bounded memory, bulk writes, stashes side by side,
 * persistence, the clear and readonly options, the synchronous view, paths and lifetime), run through `HashStash` on
 * an engine named by the `engine` option: a built-in one, or one given to `registerEngine`. Like
 * `engineConformance` it takes any runner's `test` function and asserts with `node:assert`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HashStashOptions } from '../options.js';
import { HashStash } from '../stash.js';
import { dictionaryCases } from './stash-dictionary.js';
import { expiryCases } from './stash-expiry.js';
import { storageCases } from './stash-storage.js';
import { statsCases } from './stash-stats.js';
import { MB, type AnyStash, type StashConformanceOptions, type SuiteConfig, type SuiteTest } from './stash-support.js';

export type { StashConformanceOptions };

/**
 * Registers the facade's conformance tests on an engine, through `HashStash`: what a user of any engine relies on.
 * Every test opens its stashes in a fresh temporary root and closes them when it ends, also when it fails. Where
 * `engineConformance` checks the bytes-level `Engine` contract, this checks that every feature of the dictionary
 * works on top of it.
 *
 * @param config - The runner's test function, the engine's name, and what the engine is expected to do.
 */
export function stashConformance(config: StashConformanceOptions): void {
  const prefix = config.name ?? config.engine;

  const test: SuiteTest = (name, body) =>
    void config.test(`${prefix}: ${name}`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'hashstash-stash-conformance-'));
      const opened: AnyStash[] = [];
      try {
        const base: HashStashOptions = { root, ...(await config.options?.(root)), engine: config.engine };
        const open = (extra: Partial<HashStashOptions> = {}) => {
          const stash = new HashStash({ ...base, ...extra });
          opened.push(stash);
          return stash;
        };
        const reopen = async (previous: AnyStash, extra: Partial<HashStashOptions> = {}) => {
          if (config.persistent) await previous.close();
          return open(extra);
        };
        await body({ root, open, reopen });
      } finally {
        await Promise.allSettled(opened.map((stash) => stash.close()));
        try {
          await config.cleanup?.(root);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    });
  const resolved: SuiteConfig = {
    ...config,
    bigCount: config.bigCount ?? 100_000,
    heapGrowthLimit: config.heapGrowthLimit ?? 30 * MB,
  };
  dictionaryCases(test, resolved);
  storageCases(test, resolved);
  expiryCases(test, resolved);
  statsCases(test, resolved);
}
