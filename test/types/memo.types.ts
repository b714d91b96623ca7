// Type tests: memoized functions (stash.run, stash.stashed, the standalone stashed, the decorators, stash.sync's
// forms, stashOf). Compiled, never run: see README.md here.
import { expectTypeOf } from 'expect-type';
import {
  type HashStash,
  stashed,
  stashOf,
  type Memoized,
  type FunctionStash,
  type SyncMemoized,
  type SyncFunctionStash,
  type StashedDecorator,
  type SyncStashedDecorator,
} from 'hashstash';

declare const stash: HashStash;

const area = (width: number, height: number): number => width * height;
const fetchName = async (id: string, options?: { readonly upper?: boolean }): Promise<string> =>
  options?.upper ? id.toUpperCase() : id;
const nested = async (n: number): Promise<Promise<number[]>> => Promise.resolve([n]);

// ---- stash.stashed(fn): the same parameters, the result as a promise of the awaited return ----
const cachedArea = stash.stashed(area);
expectTypeOf(cachedArea).toEqualTypeOf<Memoized<[width: number, height: number], number>>();
expectTypeOf(cachedArea).parameters.toEqualTypeOf<[width: number, height: number]>();
expectTypeOf(cachedArea).returns.toEqualTypeOf<Promise<number>>();
expectTypeOf(cachedArea(2, 3)).toEqualTypeOf<Promise<number>>();
// @ts-expect-error a string where a number is expected
await cachedArea('2', 3);
// @ts-expect-error a missing argument
await cachedArea(2);
// @ts-expect-error an extra argument
await cachedArea(2, 3, 4);
// @ts-expect-error the result is a promise, not a number
const _notAwaited: number = cachedArea(2, 3);

const cachedName = stash.stashed(fetchName, { version: 2, ttl: '1h' });
expectTypeOf(cachedName).parameters.toEqualTypeOf<[id: string, options?: { readonly upper?: boolean }]>();
expectTypeOf(cachedName('ada')).toEqualTypeOf<Promise<string>>();
expectTypeOf(cachedName('ada', { upper: true })).toEqualTypeOf<Promise<string>>();
// @ts-expect-error an option of another type
await cachedName('ada', { upper: 'yes' });
// @ts-expect-error an id of another type
await cachedName(1);

// A promise of a promise is awaited through (Promise<Awaited<R>>).
expectTypeOf(stash.stashed(nested)(1)).toEqualTypeOf<Promise<number[]>>();

// ---- the function's sub-stash: [args, result] pairs, getFunc by call syntax ----
expectTypeOf(cachedArea.stash).toEqualTypeOf<FunctionStash<[width: number, height: number], number>>();
expectTypeOf(cachedArea.stash).toExtend<HashStash<[width: number, height: number], number>>();
expectTypeOf(cachedArea.stash.getFunc(2, 3)).toEqualTypeOf<Promise<number | undefined>>();
expectTypeOf(cachedName.stash.getFunc('ada')).toEqualTypeOf<Promise<string | undefined>>();
for await (const [args, result] of cachedArea.stash) {
  expectTypeOf(args).toEqualTypeOf<[width: number, height: number]>();
  expectTypeOf(result).toEqualTypeOf<number>();
}
// @ts-expect-error getFunc takes the function's arguments
await cachedArea.stash.getFunc('2', 3);
// @ts-expect-error the sub-stash is keyed by the argument list
await cachedArea.stash.get(2);
// @ts-expect-error `stash` is read-only
cachedArea.stash = stash.stashed(area).stash;

// ---- stash.run(fn, ...args): the arguments are checked against fn ----
expectTypeOf(stash.run(area, 2, 3)).toEqualTypeOf<Promise<number>>();
expectTypeOf(stash.run(fetchName, 'ada')).toEqualTypeOf<Promise<string>>();
expectTypeOf(stash.run(() => 'constant')).toEqualTypeOf<Promise<string>>();
// @ts-expect-error an argument of the wrong type
await stash.run(area, 2, '3');
// @ts-expect-error a missing argument
await stash.run(area, 2);
// @ts-expect-error run's first argument is a function
await stash.run('area', 2, 3);

// ---- the standalone stashed(fn, options): stash options and memo options in one object ----
const standalone = stashed(area, { root: 'functions_stash', engine: 'sqlite', name: 'area', version: '2' });
expectTypeOf(standalone).toEqualTypeOf<Memoized<[width: number, height: number], number>>();
expectTypeOf(standalone(1, 2)).toEqualTypeOf<Promise<number>>();
expectTypeOf(stashed(fetchName)('ada')).toEqualTypeOf<Promise<string>>();
// @ts-expect-error the standalone wrapper checks arguments too
await standalone(1, '2');
// @ts-expect-error an unknown option
stashed(area, { root: 'functions_stash', verison: 2 });
// @ts-expect-error a memo option of the wrong type
stashed(area, { force: 'yes' });
// @ts-expect-error a stash option of the wrong type
stashed(area, { compress: 'snappy' });

// ---- decorators: standard (TC39) method decorators ----
expectTypeOf(stashed({ engine: 'lmdb' })).toEqualTypeOf<StashedDecorator>();
expectTypeOf(stash.stashed({ force: false })).toEqualTypeOf<StashedDecorator>();
expectTypeOf(stash.sync.stashed()).toEqualTypeOf<SyncStashedDecorator>();

class Model {
  constructor(readonly id: string) {}

  @stashed({ engine: 'lmdb' })
  async fit(x: number[]): Promise<{ readonly loss: number }> {
    return { loss: x.length };
  }

  @stashed
  async bare(x: number): Promise<number> {
    return x;
  }

  @stash.stashed({ keyThis: (self: Model) => self.id })
  async score(x: number): Promise<number> {
    return x;
  }

  @stash.sync.stashed()
  words(text: string): string[] {
    return text.split(' ');
  }
}
declare const model: Model;
// A decorator cannot change a method's type: the methods keep their own.
expectTypeOf(model.fit([1])).toEqualTypeOf<Promise<{ readonly loss: number }>>();
expectTypeOf(model.score(1)).toEqualTypeOf<Promise<number>>();
expectTypeOf(model.words('a b')).toEqualTypeOf<string[]>();
// @ts-expect-error a decorated method checks its arguments as before
await model.fit('1');

// stashOf gives the sub-stash: async methods a FunctionStash, sync ones a SyncFunctionStash.
/* eslint-disable @typescript-eslint/unbound-method -- `stashOf(Model.prototype.fit)` is the documented use */
expectTypeOf(stashOf(Model.prototype.fit)).toEqualTypeOf<FunctionStash<[x: number[]], { readonly loss: number }>>();
expectTypeOf(stashOf(Model.prototype.fit).getFunc([1, 2])).toEqualTypeOf<
  Promise<{ readonly loss: number } | undefined>
>();
expectTypeOf(stashOf(Model.prototype.words)).toEqualTypeOf<SyncFunctionStash<[text: string], string[]>>();
/* eslint-enable @typescript-eslint/unbound-method */
expectTypeOf(stashOf(cachedArea)).toEqualTypeOf<FunctionStash<[width: number, height: number], number>>();
// @ts-expect-error stashOf takes a function
stashOf({ stash });

class Wrong {
  // @ts-expect-error @stash.stashed decorates async methods only: a synchronous method is refused
  @stash.stashed() sync(x: number): number {
    return x;
  }
  // @ts-expect-error @stashed (bare) likewise
  @stashed plain(x: number): number {
    return x;
  }
  // @ts-expect-error @stash.sync.stashed refuses an async method: its result would be a stored promise
  @stash.sync.stashed() async later(x: number): Promise<number> {
    return x;
  }
  // @ts-expect-error a decorator of methods, not fields
  @stash.stashed() field = 1;
  // @ts-expect-error an unknown memo option in the decorator factory
  @stash.stashed({ forced: true }) async typo(x: number): Promise<number> {
    return x;
  }
}
void Wrong;

// ---- stash.sync.run / stash.sync.stashed keep a synchronous function synchronous ----
expectTypeOf(stash.sync.run(area, 2, 3)).toEqualTypeOf<number>();
const syncArea = stash.sync.stashed(area);
expectTypeOf(syncArea).toEqualTypeOf<SyncMemoized<[width: number, height: number], number>>();
expectTypeOf(syncArea(2, 3)).toEqualTypeOf<number>();
expectTypeOf(syncArea.stash.getFunc(2, 3)).toEqualTypeOf<number | undefined>();
expectTypeOf(syncArea.stash).toEqualTypeOf<SyncFunctionStash<[width: number, height: number], number>>();
// @ts-expect-error sync.run checks the arguments
stash.sync.run(area, '2', 3);
// @ts-expect-error the sync wrapper checks the arguments
syncArea(2, '3');
// @ts-expect-error an unknown memo option
stash.sync.stashed(area, { versoin: 1 });
