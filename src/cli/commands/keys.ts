import { hs1Text } from '../export-lines.js';
import type { StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';

/** `hashstash keys [stash]`: every key, one a line, in the export encoding. */
export function run(path: string | undefined, options: StashFlags): Promise<void> {
  return withOpenStash(path, options, async (stash) => {
    const out = new Output();
    for await (const key of stash.rawKeys()) await out.write(`${hs1Text(stash.decodeKey(key))}\n`);
    await out.close();
  });
}
