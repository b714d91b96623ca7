import type { StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';
import { storedText } from '../stored-text.js';

/** `hashstash keys [stash]`: every key, one a line, in the export encoding. */
export function run(path: string | undefined, options: StashFlags): Promise<void> {
  return withOpenStash(path, options, async (stash) => {
    const out = new Output();
    const text = storedText(stash);
    for await (const key of stash.rawKeys()) {
      text.writeKey(out, key);
      out.text('\n');
      const wait = out.ready();
      if (wait) await wait;
    }
    await out.close();
  });
}
