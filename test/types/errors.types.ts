// Type tests: errors narrow by class, every exported error is a HashStashError, and `code` is a literal where the
// source gives one. Compiled, never run: see README.md here.
import { expectTypeOf } from 'expect-type';
import {
  type HashStash,
  HashStashError,
  ConfigError,
  SerializationError,
  DecodeError,
  KeyNotFoundError,
  EngineUnavailableError,
  ReadOnlyError,
  UnsupportedError,
  DriverMissingError,
  MemoryBudgetError,
  LeaseLostError,
  MapItemError,
  WorkerCrashError,
  type UntrustedCodeError,
  ClosureError,
  type WorkerCrashReason,
} from 'hashstash';

declare const stash: HashStash<string, number>;

// ---- every exported error class is a HashStashError (and an Error) ----
// Checked on the exported values (the classes), so each is a runtime export and not only a type.
expectTypeOf(HashStashError).instance.toExtend<Error>();
expectTypeOf(ConfigError).instance.toExtend<HashStashError>();
expectTypeOf(SerializationError).instance.toExtend<HashStashError>();
expectTypeOf(DecodeError).instance.toExtend<HashStashError>();
expectTypeOf(KeyNotFoundError).instance.toExtend<HashStashError>();
expectTypeOf(EngineUnavailableError).instance.toExtend<HashStashError>();
expectTypeOf(ReadOnlyError).instance.toExtend<HashStashError>();
expectTypeOf(UnsupportedError).instance.toExtend<HashStashError>();
expectTypeOf(DriverMissingError).instance.toExtend<HashStashError>();
expectTypeOf(MemoryBudgetError).instance.toExtend<HashStashError>();
expectTypeOf(LeaseLostError).instance.toExtend<HashStashError>();
expectTypeOf(MapItemError).instance.toExtend<HashStashError>();
expectTypeOf(WorkerCrashError).instance.toExtend<MapItemError>();
expectTypeOf(ClosureError).instance.toExtend<ConfigError>();
expectTypeOf(ClosureError).instance.not.toExtend<MapItemError>();

// ---- codes: literals on each class, a plain string on the base class (subclasses of your own may set theirs) ----
expectTypeOf<HashStashError['code']>().toEqualTypeOf<string>();
expectTypeOf<ConfigError['code']>().toEqualTypeOf<'HASHSTASH_CONFIG'>();
expectTypeOf<ClosureError['code']>().toEqualTypeOf<'HASHSTASH_CONFIG'>();
expectTypeOf<SerializationError['code']>().toEqualTypeOf<'HASHSTASH_SERIALIZATION'>();
expectTypeOf<DecodeError['code']>().toEqualTypeOf<'HASHSTASH_DECODE'>();
expectTypeOf<KeyNotFoundError['code']>().toEqualTypeOf<'HASHSTASH_KEY_NOT_FOUND'>();
expectTypeOf<EngineUnavailableError['code']>().toEqualTypeOf<'HASHSTASH_ENGINE_UNAVAILABLE'>();
expectTypeOf<ReadOnlyError['code']>().toEqualTypeOf<'HASHSTASH_READONLY'>();
expectTypeOf<UnsupportedError['code']>().toEqualTypeOf<'HASHSTASH_UNSUPPORTED'>();
expectTypeOf<DriverMissingError['code']>().toEqualTypeOf<'HASHSTASH_DRIVER_MISSING'>();
expectTypeOf<MemoryBudgetError['code']>().toEqualTypeOf<'HASHSTASH_MEMORY_BUDGET'>();
expectTypeOf<LeaseLostError['code']>().toEqualTypeOf<'HASHSTASH_LEASE_LOST'>();
expectTypeOf<MapItemError['code']>().toEqualTypeOf<
  'HASHSTASH_MAP_ITEM' | 'HASHSTASH_WORKER_CRASHED' | 'HASHSTASH_UNTRUSTED_CODE'
>();
expectTypeOf<WorkerCrashError['code']>().toEqualTypeOf<'HASHSTASH_WORKER_CRASHED'>();
expectTypeOf<UntrustedCodeError['code']>().toEqualTypeOf<'HASHSTASH_UNTRUSTED_CODE'>();
// Codes are read-only.
declare const config: ConfigError;
// @ts-expect-error code is read-only
config.code = 'HASHSTASH_CONFIG';

// ---- narrowing in a catch block ----
// `expectTypeOf<typeof error.code>()`, not `expectTypeOf(error.code)`: a `readonly code = 'HASHSTASH_…'` property has
// a *widening* literal type, which TypeScript widens to string when it infers a type argument from the value (as it
// does for `let c = error.code`). Comparisons (`error.code === '…'`) and `typeof` keep the literal.
try {
  await stash.pop('absent');
} catch (error) {
  expectTypeOf(error).toBeUnknown();
  if (error instanceof ConfigError) {
    expectTypeOf(error).toEqualTypeOf<ConfigError>();
    expectTypeOf<typeof error.code>().toEqualTypeOf<'HASHSTASH_CONFIG'>();
  } else if (error instanceof KeyNotFoundError) {
    expectTypeOf<typeof error.code>().toEqualTypeOf<'HASHSTASH_KEY_NOT_FOUND'>();
  } else if (error instanceof SerializationError) {
    expectTypeOf(error.path).toBeString();
  } else if (error instanceof EngineUnavailableError) {
    expectTypeOf(error.location).toBeString();
  } else if (error instanceof DriverMissingError) {
    expectTypeOf(error.driver).toBeString();
    expectTypeOf(error.install).toBeString();
    expectTypeOf(error.found).toEqualTypeOf<string | undefined>();
  } else if (error instanceof MemoryBudgetError) {
    expectTypeOf(error.needed).toBeNumber();
    expectTypeOf(error.budget).toBeNumber();
  } else if (error instanceof WorkerCrashError) {
    // Tested before MapItemError: a WorkerCrashError is one.
    expectTypeOf(error.reason).toEqualTypeOf<WorkerCrashReason>();
    expectTypeOf(error.exitCode).toBeNumber();
    expectTypeOf(error.index).toBeNumber();
  } else if (error instanceof MapItemError) {
    expectTypeOf(error.index).toBeNumber();
    expectTypeOf(error.args).toEqualTypeOf<readonly unknown[]>();
    expectTypeOf(error.cause).toBeUnknown();
    // @ts-expect-error only a WorkerCrashError has a reason
    void error.reason;
  } else if (error instanceof HashStashError) {
    expectTypeOf(error.code).toBeString();
    expectTypeOf(error.message).toBeString();
    // @ts-expect-error a plain HashStashError has no path: narrow to SerializationError first
    void error.path;
  } else {
    // @ts-expect-error not narrowed: unknown has no code
    void error.code;
  }
}

// Narrowing by `code` on a union of classes works too, since each code is a literal.
declare const known: ConfigError | DecodeError | KeyNotFoundError | SerializationError;
if (known.code === 'HASHSTASH_SERIALIZATION') expectTypeOf(known).toEqualTypeOf<SerializationError>();
if (known.code === 'HASHSTASH_DECODE') expectTypeOf(known).toEqualTypeOf<DecodeError>();
// @ts-expect-error a code none of them has
if (known.code === 'HASHSTASH_READONLY') void known;

declare const mapFailure: MapItemError;
if (mapFailure.code === 'HASHSTASH_WORKER_CRASHED')
  expectTypeOf<typeof mapFailure.code>().toEqualTypeOf<'HASHSTASH_WORKER_CRASHED'>();
// @ts-expect-error a map item's code is one of its two
if (mapFailure.code === 'HASHSTASH_CONFIG') void mapFailure;

declare const closure: ClosureError;
expectTypeOf(closure.variables).toEqualTypeOf<readonly string[]>();

expectTypeOf<WorkerCrashReason>().toEqualTypeOf<'exit' | 'uncaught-error' | 'out-of-memory' | 'stalled'>();

// ---- constructors: for engines and serializers of your own that fail in hashstash's terms ----
expectTypeOf(new HashStashError('failed', { cause: new Error('below') })).toEqualTypeOf<HashStashError>();
expectTypeOf(new ConfigError('bad option')).toEqualTypeOf<ConfigError>();
expectTypeOf(new SerializationError('cannot carry', '$.a')).toEqualTypeOf<SerializationError>();
expectTypeOf(new EngineUnavailableError('down', 'redis://127.0.0.1:6379')).toEqualTypeOf<EngineUnavailableError>();
// @ts-expect-error a SerializationError needs the path inside the value
new SerializationError('cannot carry');
// @ts-expect-error an EngineUnavailableError needs its location
new EngineUnavailableError('down');
// @ts-expect-error the options are { cause }
new HashStashError('failed', { reason: 'x' });
