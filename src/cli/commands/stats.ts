import type { StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';

/** `hashstash stats [stash]`: entries, bytes, and the read counters (of this process: zero) and tiers' counters. */
export function run(path: string | undefined, options: StashFlags & { readonly json?: boolean }): Promise<void> {
  return withOpenStash(path, options, async (stash) => {
    const shown = { stash: String(stash), ...(await stash.stats()) };
    const out = new Output();
    if (options.json) await out.write(`${JSON.stringify(shown)}\n`);
    else
      for (const [name, value] of Object.entries(shown))
        await out.write(`${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
    await out.close();
  });
}
