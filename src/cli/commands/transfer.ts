import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { withOpenStash, print } from '../open.js';
import type { StashAddress } from '../locate.js';
import { exportLine, importLine } from '../export-lines.js';
import { hashstashSerializer } from '../../serializers/hashstash.js';

const BATCH = 1_000;

/** `hashstash export`: every entry as JSON lines (the export format) or CSV (key and value columns of that JSON). */
export function exportStash(
  address: StashAddress,
  options: { readonly format: 'jsonl' | 'csv'; readonly output?: string; readonly json?: boolean },
): Promise<void> {
  return withOpenStash(
    address,
    async (stash) => {
      const file = options.output === undefined ? undefined : createWriteStream(options.output);
      const write = (text: string): Promise<void> | void => {
        if (!file) return print(text);
        if (!file.write(text)) return once(file, 'drain').then(() => {});
      };
      const text = (value: unknown) => hashstashSerializer.serializeToText!(value);
      if (options.format === 'csv') await write('key,value\n');
      let entries = 0;
      for await (const [key, value] of stash.entries()) {
        const line =
          options.format === 'csv'
            ? `${csvField(text(key))},${csvField(text(value))}\n`
            : `${exportLine(key, value)}\n`;
        await write(line);
        entries++;
      }
      if (file) {
        file.end();
        await once(file, 'close');
        process.stderr.write(`exported ${entries} entries to ${options.output}\n`);
      }
    },
    { readonly: true },
  );
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `hashstash import`: the entries of a JSON lines file written by export, in batches; DecodeError naming a bad line. */
export function importStash(address: StashAddress, file: string, options: { readonly json?: boolean }): Promise<void> {
  return withOpenStash(address, async (stash) => {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let batch: [unknown, unknown][] = [];
    let number = 0;
    let imported = 0;
    for await (const line of lines) {
      number++;
      if (line.trim() === '') continue;
      batch.push(importLine(line, `${file}:${number}`));
      if (batch.length >= BATCH) {
        await stash.setMany(batch);
        imported += batch.length;
        batch = [];
      }
    }
    if (batch.length) await stash.setMany(batch);
    imported += batch.length;
    await print(
      options.json ? `${JSON.stringify({ imported })}\n` : `imported ${imported} entries into ${String(stash)}\n`,
    );
  });
}
