/**
 * A child process for the sqlite open-contention test. Loads the library, says `ready`, then for every line `<round>`
 * on stdin opens the brand-new stash `fresh-<round>` under the root in argv[2], writes KEYS keys of its own (the first
 * through the sync view, so the very first use opens the database for writing), reads them back, closes the stash and
 * answers one JSON line `{ round, ok, problem? }`. Exits when stdin ends.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { HashStash } from '../../src/index.js';

export const KEYS = 10;
export const keyOf = (opener: number, i: number) => `o${opener}-${i}`;
export const valueOf = (opener: number, i: number) => ({ opener, i, pad: `${opener}.${i};`.repeat(20) });
export const stashName = (round: number) => `fresh-${round}`;

async function round(root: string, opener: number, round: number): Promise<string | undefined> {
  const stash = new HashStash({ root, name: stashName(round), engine: 'sqlite' });
  try {
    stash.sync.set(keyOf(opener, 0), valueOf(opener, 0));
    for (let i = 1; i < KEYS; i++) await stash.set(keyOf(opener, i), valueOf(opener, i));
    const keys = Array.from({ length: KEYS }, (_, i) => keyOf(opener, i));
    const values = await stash.getMany(keys);
    const wrong = keys.filter((_, i) => !isDeepStrictEqual(values[i], valueOf(opener, i)));
    return wrong.length ? `read back wrong values for ${wrong.join(', ')}` : undefined;
  } catch (error) {
    return String((error as Error)?.stack ?? error);
  } finally {
    await stash.close();
  }
}

// Run as a script; the test imports the names above from this same file.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [root, opener] = [process.argv[2], Number(process.argv[3])];
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const number = Number(line);
    const problem = await round(root, opener, number);
    process.stdout.write(`${JSON.stringify({ round: number, ok: problem === undefined, problem })}\n`);
  }
}
