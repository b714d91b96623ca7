// Type tests: HashStash<K, V> and its sync view. Compiled by `npx tsc -p tsconfig.json --noEmit`, never run (see
// README.md here). Each `@ts-expect-error` line must fail to compile, or the directive itself is an error.
import { expectTypeOf } from 'expect-type';
import {
  HashStash,
  type SyncHashStash,
  type TemporaryHashStash,
  type VersionRecord,
  type StashChange,
  type StashWatch,
  type Lease,
  type StashStats,
  type ResolvedOptions,
  type Engine,
  type FlatRecord,
  type Table,
} from 'hashstash';

interface User {
  readonly name: string;
  readonly age: number;
}
type Key = { readonly id: number };

declare const stash: HashStash<Key, User>;
declare const key: Key;
declare const user: User;

// ---- construction: the generics are the caller's; nothing is inferred from the options ----
expectTypeOf(new HashStash<Key, User>({ root: 'types' })).toEqualTypeOf<HashStash<Key, User>>();
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default type arguments are any
expectTypeOf(new HashStash()).toEqualTypeOf<HashStash<any, any>>();
expectTypeOf(stash.engine).toEqualTypeOf<Engine>();
expectTypeOf(stash.options).toEqualTypeOf<ResolvedOptions>();
expectTypeOf(stash.path).toBeString();
expectTypeOf(stash.name).toBeString();
expectTypeOf(stash.root).toBeString();

// ---- get: V | undefined, or V | F with a fallback ----
expectTypeOf(stash.get(key)).toEqualTypeOf<Promise<User | undefined>>();
expectTypeOf(stash.get(key, null)).toEqualTypeOf<Promise<User | null>>();
expectTypeOf(stash.get(key, 0 as const)).toEqualTypeOf<Promise<User | 0>>();
expectTypeOf(stash.get(key, user)).toEqualTypeOf<Promise<User>>();
// @ts-expect-error a key of another type
await stash.get('id-1');
// @ts-expect-error a key missing its field
await stash.get({});

// ---- set: both key and value are checked; the options are WriteOptions ----
expectTypeOf(stash.set(key, user)).toEqualTypeOf<Promise<void>>();
expectTypeOf(stash.set(key, user, { ttl: '15m' })).toEqualTypeOf<Promise<void>>();
// @ts-expect-error a value of another type
await stash.set(key, 'not a user');
// @ts-expect-error a value missing a field
await stash.set(key, { name: 'ada' });
// @ts-expect-error a key of another type
await stash.set('id-1', user);
// @ts-expect-error set needs a value
await stash.set(key);

// ---- has, delete, pop, setDefault, setIfAbsent, expiresAt ----
expectTypeOf(stash.has(key)).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(stash.delete(key)).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(stash.pop(key)).toEqualTypeOf<Promise<User>>();
expectTypeOf(stash.pop(key, undefined)).toEqualTypeOf<Promise<User | undefined>>();
expectTypeOf(stash.pop(key, 'gone' as const)).toEqualTypeOf<Promise<User | 'gone'>>();
expectTypeOf(stash.setDefault(key, user)).toEqualTypeOf<Promise<User>>();
expectTypeOf(stash.setIfAbsent(key, user)).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(stash.expiresAt(key)).toEqualTypeOf<Promise<number | null | undefined>>();
// @ts-expect-error has takes a K
await stash.has(42);
// @ts-expect-error pop takes a K
await stash.pop('id-1');
// @ts-expect-error setDefault's value is a V
await stash.setDefault(key, 42);
// @ts-expect-error setIfAbsent's value is a V
await stash.setIfAbsent(key, { age: 3 });

// ---- many at once ----
expectTypeOf(stash.getMany([key, key])).toEqualTypeOf<Promise<(User | undefined)[]>>();
expectTypeOf(stash.setMany([[key, user]])).toEqualTypeOf<Promise<void>>();
declare const asyncPairs: AsyncIterable<readonly [Key, User]>;
expectTypeOf(stash.setMany(asyncPairs, { ttl: 1000 })).toEqualTypeOf<Promise<void>>();
expectTypeOf(stash.update(new Map([[key, user]]))).toEqualTypeOf<Promise<void>>();
expectTypeOf(stash.update(stash)).toEqualTypeOf<Promise<void>>();
// @ts-expect-error getMany takes K's
await stash.getMany(['id-1']);
// @ts-expect-error setMany's pairs are [K, V]
await stash.setMany([[key, 'not a user']]);
// @ts-expect-error setMany's pairs are [K, V], not [V, K]
await stash.setMany([[user, key]]);
// @ts-expect-error update's Map is Map<K, V>
await stash.update(new Map([[key, 1]]));

// ---- iteration: [K, V] pairs, keys K, values V ----
for await (const entry of stash) expectTypeOf(entry).toEqualTypeOf<[Key, User]>();
for await (const [k, v] of stash) {
  expectTypeOf(k).toEqualTypeOf<Key>();
  expectTypeOf(v).toEqualTypeOf<User>();
}
expectTypeOf(stash.entries()).toEqualTypeOf<AsyncGenerator<[Key, User]>>();
expectTypeOf(stash.keys()).toEqualTypeOf<AsyncGenerator<Key>>();
expectTypeOf(stash.values()).toEqualTypeOf<AsyncGenerator<User>>();
expectTypeOf(stash.rawKeys()).toEqualTypeOf<AsyncGenerator<Uint8Array>>();
expectTypeOf(stash).toExtend<AsyncIterable<[Key, User]>>();
expectTypeOf(stash.decodeKey(new Uint8Array())).toEqualTypeOf<Key>();
expectTypeOf(stash.decodeValue(new Uint8Array())).toEqualTypeOf<User>();
for await (const value of stash.values()) {
  // @ts-expect-error a value is a User, which has no `email`
  void value.email;
}

// ---- the rest of the dictionary ----
expectTypeOf(stash.size()).toEqualTypeOf<Promise<number>>();
expectTypeOf(stash.clear()).toEqualTypeOf<Promise<void>>();
expectTypeOf(stash.stats()).toEqualTypeOf<Promise<StashStats>>();
expectTypeOf(stash.purgeExpired()).toEqualTypeOf<Promise<number>>();
expectTypeOf(stash.getAll(key)).toEqualTypeOf<Promise<User[]>>();
expectTypeOf(stash.getAll(key, { withMetadata: true })).toEqualTypeOf<Promise<VersionRecord<User>[]>>();
expectTypeOf(stash.records()).toEqualTypeOf<Promise<FlatRecord[]>>();
expectTypeOf(stash.table()).toEqualTypeOf<Promise<Table>>();
expectTypeOf(stash.close()).toEqualTypeOf<Promise<void>>();
expectTypeOf(stash).toExtend<AsyncDisposable>();

// ---- watch: changes carry K ----
expectTypeOf(stash.watch()).toEqualTypeOf<StashWatch<Key>>();
for await (const change of stash.watch({ signal: AbortSignal.timeout(10) })) {
  expectTypeOf(change).toEqualTypeOf<StashChange<Key>>();
  if (change.type === 'set' || change.type === 'delete') expectTypeOf(change.key).toEqualTypeOf<Key>();
  if (change.type === 'missed') expectTypeOf(change.count).toEqualTypeOf<number | undefined>();
  // @ts-expect-error a 'clear' or 'missed' change has no key: narrow by `type` first
  void change.key;
}

// ---- lease: held unless `wait: false` says it may be null ----
expectTypeOf(stash.lease('nightly')).toEqualTypeOf<Promise<Lease>>();
expectTypeOf(stash.lease('nightly', { ttl: '30s', wait: true })).toEqualTypeOf<Promise<Lease>>();
expectTypeOf(stash.lease('nightly', { wait: false })).toEqualTypeOf<Promise<Lease | null>>();
expectTypeOf<Lease>().toExtend<AsyncDisposable>();

// ---- the sync view: the same generics, without promises ----
const sync = stash.sync;
expectTypeOf(sync).toEqualTypeOf<SyncHashStash<Key, User>>();
expectTypeOf(sync.get(key)).toEqualTypeOf<User | undefined>();
expectTypeOf(sync.get(key, null)).toEqualTypeOf<User | null>();
expectTypeOf(sync.set(key, user)).toEqualTypeOf<void>();
expectTypeOf(sync.has(key)).toEqualTypeOf<boolean>();
expectTypeOf(sync.pop(key)).toEqualTypeOf<User>();
expectTypeOf(sync.setDefault(key, user)).toEqualTypeOf<User>();
expectTypeOf(sync.getMany([key])).toEqualTypeOf<(User | undefined)[]>();
expectTypeOf(sync.getAll(key)).toEqualTypeOf<User[]>();
expectTypeOf(sync.size()).toEqualTypeOf<number>();
expectTypeOf(sync.keys()).toEqualTypeOf<Generator<Key>>();
expectTypeOf(sync.values()).toEqualTypeOf<Generator<User>>();
for (const entry of sync) expectTypeOf(entry).toEqualTypeOf<[Key, User]>();
// @ts-expect-error the sync view checks the value too
sync.set(key, 'not a user');
// @ts-expect-error and the key
sync.get('id-1');
// @ts-expect-error setMany of the sync view takes no async iterable
sync.setMany(asyncPairs);

// ---- sub-stashes and temporary stashes ----
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default type arguments are any
expectTypeOf(stash.sub('users')).toEqualTypeOf<HashStash<any, any>>();
const scores = stash.sub<string, number>('scores', { compress: 'zlib' });
expectTypeOf(scores).toEqualTypeOf<HashStash<string, number>>();
expectTypeOf(scores.get('ada')).toEqualTypeOf<Promise<number | undefined>>();
// @ts-expect-error the sub-stash has its own generics
await scores.set('ada', user);
// @ts-expect-error sub's overrides are options
stash.sub('scores', { compress: 'snappy' });
expectTypeOf(stash.tmp()).toEqualTypeOf<TemporaryHashStash<Key, User>>();
expectTypeOf(stash.tmp<string, string>()).toEqualTypeOf<TemporaryHashStash<string, string>>();
expectTypeOf(stash.tmp()).toExtend<HashStash<Key, User>>();
expectTypeOf(stash.tmp().tmpId).toBeString();
expectTypeOf(stash.tmp().remove()).toEqualTypeOf<Promise<void>>();
expectTypeOf(
  stash.withTmp(async (tmp) => {
    expectTypeOf(tmp).toEqualTypeOf<TemporaryHashStash<Key, User>>();
    return 42;
  }),
).toEqualTypeOf<Promise<number>>();
{
  await using tmp = stash.tmp();
  // @ts-expect-error a temporary stash keeps its parent's generics
  await tmp.set(key, 42);
}

// ---- the default HashStash (no type arguments) accepts any key and value ----
declare const anything: HashStash;
await anything.set('k', 1);
await anything.set({ a: [1, 2n] }, new Map([['x', new Date()]]));
await anything.set(Symbol.iterator, () => 1);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- what the default stash reads
expectTypeOf(anything.get('k')).toEqualTypeOf<Promise<any>>();
expectTypeOf(anything.sync.get('k')).toBeAny();
for await (const [k, v] of anything) {
  expectTypeOf(k).toBeAny();
  expectTypeOf(v).toBeAny();
}
// `unknown` is the strict alternative: reads must be narrowed before use.
declare const unknowns: HashStash<unknown, unknown>;
expectTypeOf(unknowns.get('k')).toEqualTypeOf<Promise<unknown>>();
const read = await unknowns.get('k');
// @ts-expect-error an unknown value must be narrowed before use
void read.length;
