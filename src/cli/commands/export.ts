import { expiresAtOf } from '../../format/header.js';
import { headerLine } from '../export-lines.js';
import type { StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';
import { progressBar } from '../progress.js';
import { storedText } from '../stored-text.js';

interface ExportOptions extends StashFlags {
  readonly format: 'jsonl' | 'csv';
  readonly output?: string;
  readonly json?: boolean;
}

/**
 * `hashstash export [stash] --format jsonl|csv [-o file]`: every entry, streamed from the stored blobs with the
 * output's backpressure, so memory stays flat whatever the stash's size. jsonl is the format import reads
 * (export-lines.ts); csv has the columns key, value and expires_at (ms, empty when it never expires), the key and
 * value in the same encoding.
 */
export function run(path: string | undefined, options: ExportOptions): Promise<void> {
  return withOpenStash(path, options, async (stash) => {
    const out = new Output(options.output);
    const progress = await progressBar('export', () => stash.size());
    const csv = options.format === 'csv';
    await out.write(csv ? 'key,value,expires_at\n' : headerLine(String(stash)));
    const text = storedText(stash);
    let entries = 0;
    for await (const [rawKey, blob] of stash.rawEntries()) {
      const expiresAt = expiresAtOf(blob);
      if (csv) {
        out.text(`${csvField(text.key(rawKey))},${csvField(text.value(blob))},${expiresAt ?? ''}\n`);
      } else {
        // An entry line of export-lines.ts, its key and value copied from the stored bytes where they can be.
        out.text('{"k":');
        text.writeKey(out, rawKey);
        out.text(',"v":');
        text.writeValue(out, blob);
        out.text(expiresAt === null ? '}\n' : `,"x":${expiresAt}}\n`);
      }
      const wait = out.ready();
      if (wait) await wait;
      entries++;
      progress.tick();
    }
    await out.close();
    progress.stop();
    if (options.output !== undefined)
      process.stderr.write(`exported ${entries} entries of ${String(stash)} to ${options.output}\n`);
  });
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
