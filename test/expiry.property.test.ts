// A property of expiry on every local engine: whatever the writes (with a ttl or without), deletes, purges and clock
// moves, no read path ever returns an entry whose ttl has run out, and every live entry is found. The model is a Map
// of key → [value, expiresAt]; the clock is the stash's own (`clock` option), moved by the commands. The published
// conformance suite (src/test-suite/stash-expiry.ts) runs a seeded random sequence like this on every engine, servers
// included; this file adds fast-check's search and shrinking on the local ones.
import fc from 'fast-check';
import t from 'tap';
import { HashStash, type EngineName } from '../src/index.js';

type Command =
  | { readonly kind: 'set'; readonly key: number; readonly ttl: number | undefined }
  | { readonly kind: 'setMany'; readonly keys: readonly number[]; readonly ttl: number | undefined }
  | { readonly kind: 'delete'; readonly key: number }
  | { readonly kind: 'purge' }
  | { readonly kind: 'advance'; readonly ms: number };

const KEYS = 6;
const keyName = (key: number) => `k${key}`;
const ttl = fc.option(fc.integer({ min: 1, max: 3_000 }), { nil: undefined });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(KEYS - 1), ttl }), weight: 5 },
  {
    arbitrary: fc.record({
      kind: fc.constant('setMany' as const),
      keys: fc.array(fc.nat(KEYS - 1), { maxLength: 3 }),
      ttl,
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(KEYS - 1) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('purge' as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 })),
    }),
    weight: 3,
  },
);

const RUNS: Record<string, number> = { memory: 40, lmdb: 30, sqlite: 30, pairtree: 12 };

for (const engine of ['memory', 'lmdb', 'sqlite', 'pairtree'] as const satisfies readonly EngineName[]) {
  t.test(`${engine}: no read path returns an expired entry, and every live one is found`, async (t) => {
    let now = 1_800_000_000_000;
    const clock = () => now;
    const stash = new HashStash({ root: t.testdir(), engine, clock });
    t.teardown(() => stash.close());
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        await stash.clear();
        const model = new Map<string, [value: number, expiresAt: number | null]>();
        const live = () =>
          new Map([...model].filter(([, [, at]]) => at === null || at > now).map(([key, [value]]) => [key, value]));
        let step = 0;
        for (const c of commands) {
          step++;
          if (c.kind === 'set') {
            await stash.set(keyName(c.key), step, c.ttl === undefined ? undefined : { ttl: c.ttl });
            model.set(keyName(c.key), [step, c.ttl === undefined ? null : now + c.ttl]);
          } else if (c.kind === 'setMany') {
            stash.sync.setMany(
              c.keys.map((key) => [keyName(key), step]),
              { ttl: c.ttl },
            );
            for (const key of c.keys) model.set(keyName(key), [step, c.ttl === undefined ? null : now + c.ttl]);
          } else if (c.kind === 'delete') {
            const was = live().has(keyName(c.key));
            if ((await stash.delete(keyName(c.key))) !== was) throw new Error(`step ${step}: delete said ${!was}`);
            model.delete(keyName(c.key));
          } else if (c.kind === 'purge') {
            const expired = [...model].filter(([, [, at]]) => at !== null && at <= now).map(([key]) => key);
            const removed = await stash.purgeExpired();
            if (removed !== expired.length)
              throw new Error(`step ${step}: purgeExpired removed ${removed}, ${expired.length} had expired`);
            for (const key of expired) model.delete(key);
          } else {
            now += c.ms;
          }
          const expected = live();
          const names = Array.from({ length: KEYS }, (_, i) => keyName(i));
          const many = await stash.getMany(names);
          const syncMany = stash.sync.getMany(names);
          for (const [i, name] of names.entries()) {
            const want = expected.get(name);
            if ((await stash.get(name)) !== want) throw new Error(`step ${step}: get(${name})`);
            if (stash.sync.get(name) !== want) throw new Error(`step ${step}: sync.get(${name})`);
            if (many[i] !== want || syncMany[i] !== want) throw new Error(`step ${step}: getMany, ${name}`);
            if ((await stash.has(name)) !== expected.has(name)) throw new Error(`step ${step}: has(${name})`);
            if (((await stash.expiresAt(name)) !== undefined) !== expected.has(name))
              throw new Error(`step ${step}: expiresAt(${name})`);
          }
          const entries = new Map<string, number>();
          for await (const [key, value] of stash.entries()) entries.set(key as string, value as number);
          const keys = new Set<string>();
          for await (const key of stash.keys()) keys.add(key as string);
          const same = (seen: Iterable<string>) => [...seen].sort().join() === [...expected.keys()].sort().join();
          if (!same(entries.keys()) || [...entries].some(([key, value]) => expected.get(key) !== value))
            throw new Error(`step ${step}: entries()`);
          if (!same(keys)) throw new Error(`step ${step}: keys()`);
          if (!same(stash.sync.keys())) throw new Error(`step ${step}: sync.keys()`);
          if ((await stash.size()) !== expected.size || stash.sync.size() !== expected.size)
            throw new Error(`step ${step}: size()`);
        }
      }),
      { numRuns: RUNS[engine], seed: 16 },
    );
    t.pass('held on every run');
  });
}
