import { hashstashSerializer } from '../../serializers/hashstash.js';
import { withOpenStash, print } from '../open.js';
import type { StashAddress } from '../locate.js';
import { importLine } from '../export-lines.js';

const json = (value: unknown) => hashstashSerializer.serializeToText!(value);

/** `hashstash keys`: every key, one a line, as the export format writes it. */
export function keys(address: StashAddress): Promise<void> {
  return withOpenStash(
    address,
    async (stash) => {
      for await (const key of stash.keys()) await print(`${json(key)}\n`);
    },
    { readonly: true },
  );
}

/** `hashstash get`: the value of `keyJson` (the key as the export format writes it); exit 1 when it is not stored. */
export function get(address: StashAddress, keyJson: string): Promise<void> {
  const [key] = importLine(`{"key":${keyJson},"value":null}`, 'the key');
  return withOpenStash(
    address,
    async (stash) => {
      const sentinel = Symbol('missing');
      const value = await stash.get(key, sentinel);
      if (value === sentinel) {
        process.stderr.write(`hashstash: no entry under ${keyJson}\n`);
        process.exitCode = 1;
        return;
      }
      await print(`${json(value)}\n`);
    },
    { readonly: true },
  );
}

/** `hashstash stats`: entries, bytes, and (for tiers) each tier's counters. */
export function stats(address: StashAddress, options: { readonly json?: boolean }): Promise<void> {
  return withOpenStash(
    address,
    async (stash) => {
      const counted = await stash.stats();
      const shown = { stash: String(stash), ...counted };
      if (options.json) await print(`${JSON.stringify(shown)}\n`);
      else
        for (const [name, value] of Object.entries(shown))
          await print(`${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
    },
    { readonly: true },
  );
}
