import { parseEntry, hs1Text } from '../export-lines.js';
import { stashAndThing, type StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';

/**
 * `hashstash get <stash> <key>` (or `get <key>` with the stash options): the value under the key, given in the export
 * encoding, written in it too; exit code 1 and a message when nothing is stored there.
 */
export function run(first: string, second: string | undefined, options: StashFlags): Promise<void> {
  const [path, keyText] = stashAndThing(first, second);
  const { key } = parseEntry(`{"k":${keyText},"v":null}`, 'the key');
  return withOpenStash(path, options, async (stash) => {
    const missing = Symbol('missing');
    const value = await stash.get(key, missing);
    if (value === missing) {
      process.stderr.write(`hashstash: no entry under ${keyText} in ${String(stash)}\n`);
      process.exitCode = 1;
      return;
    }
    const out = new Output();
    await out.write(`${hs1Text(value)}\n`);
    await out.close();
  });
}
