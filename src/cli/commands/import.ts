import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { HashStash } from '../../stash.js';
import { DecodeError } from '../../errors.js';
import { checkHeader, parseEntry } from '../export-lines.js';
import { stashAndThing, type StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';
import { progressBar, type Progress } from '../progress.js';

/** Entries written in one setMany. */
const BATCH = 10_000;

/**
 * `hashstash import <stash> <file>` (or `import <file>` with the stash options): the entries of a file export wrote,
 * in batches; an entry that has expired by now is skipped, one that expires later keeps its expiry exactly. The
 * stash is created if need be.
 */
export function run(
  first: string,
  second: string | undefined,
  options: StashFlags & { readonly json?: boolean },
): Promise<void> {
  const [path, file] = stashAndThing(first, second);
  // A write's expiry is the stash's clock plus its ttl: a clock that stands still while a batch is made makes
  // `ttl = expiresAt - now` give back the exported expiry to the millisecond.
  const clock = new BatchClock();
  return withOpenStash(
    path,
    options,
    async (stash) => {
      const progress = await progressBar('import', () => countLines(file));
      const { imported, expired } = await importLines(stash, file, progress, clock);
      progress.stop();
      const out = new Output();
      await out.write(
        options.json
          ? `${JSON.stringify({ imported, expired })}\n`
          : `imported ${imported} entries into ${String(stash)}${expired ? ` (${expired} had expired)` : ''}\n`,
      );
      await out.close();
    },
    { write: true, create: true, clock: clock.now },
  );
}

/** Reads Date.now() when told to, and says that time until told again. */
class BatchClock {
  #at = Date.now();
  readonly now = (): number => this.#at;
  tick(): number {
    return (this.#at = Date.now());
  }
}

async function importLines(
  stash: HashStash<unknown, unknown>,
  file: string,
  progress: Progress,
  clock: BatchClock,
): Promise<{ imported: number; expired: number }> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let batch: [unknown, unknown][] = [];
  let expiring: Promise<void>[] = [];
  let number = 0;
  let imported = 0;
  let expired = 0;
  const flush = async () => {
    await Promise.all([stash.setMany(batch), ...expiring]);
    imported += batch.length + expiring.length;
    batch = [];
    expiring = [];
    clock.tick();
  };
  for await (const line of lines) {
    number++;
    if (number === 1) {
      checkHeader(line, `${file}:1`);
      continue;
    }
    if (line.trim() === '') continue;
    const entry = parseEntry(line, `${file}:${number}`);
    progress.tick();
    if (entry.expiresAt === null) batch.push([entry.key, entry.value]);
    else {
      const ttl = entry.expiresAt - clock.now();
      if (ttl <= 0) expired++;
      else expiring.push(stash.set(entry.key, entry.value, { ttl }));
    }
    if (batch.length + expiring.length >= BATCH) await flush();
  }
  if (number === 0) throw new DecodeError(`${file} is empty: an export starts with a header line`);
  await flush();
  return { imported, expired };
}

/** Lines in `file`, for the progress bar's total (less the header). */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return Math.max(0, lines - 1);
}
