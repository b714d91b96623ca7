/**
 * Every error hashstash throws on purpose is a HashStashError with a stable `code`.
 * Callers branch on `instanceof` or on `code`; messages are for people.
 *
 * @example
 * ```ts
 * try {
 *   await stash.pop(key);
 * } catch (error) {
 *   if (error instanceof KeyNotFoundError) { … }        // or: error.code === 'HASHSTASH_KEY_NOT_FOUND'
 *   else throw error;
 * }
 * ```
 */
export class HashStashError extends Error {
  /** Stable across versions: `HASHSTASH_` and the kind, e.g. `HASHSTASH_CONFIG`; `HASHSTASH_ERROR` on this class. */
  readonly code: string = 'HASHSTASH_ERROR';
  /**
   * For engines and serializers of your own that fail in hashstash's terms; `name` is the class's name.
   *
   * @param message - For people: what failed and why.
   * @param options - `cause`: the error underneath, if any.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad options: an unknown option, engine, serializer or codec, a value of the wrong type, or a root or name no file system can hold. */
export class ConfigError extends HashStashError {
  /** `HASHSTASH_CONFIG` (also on its subclass ClosureError). */
  override readonly code = 'HASHSTASH_CONFIG';
}

/** A value (or key) the serializer cannot carry. `path` says where inside the value, e.g. `$.a.b[3]`. */
export class SerializationError extends HashStashError {
  /** `HASHSTASH_SERIALIZATION`. */
  override readonly code = 'HASHSTASH_SERIALIZATION';
  /** Where inside the value: `$` is the value itself, `$.a.b[3]` a part of it. */
  readonly path: string;
  /**
   * A SerializationError whose message ends ` at <path>`.
   *
   * @param message - What could not be carried; ` at <path>` is appended.
   * @param path - Where inside the value, as in {@link SerializationError.path}.
   * @param options - `cause`: the error underneath, if any.
   */
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(`${message} at ${path}`, options);
    this.path = path;
  }
}

/** A stored blob that is corrupt, truncated, written with other settings, or from a newer format. */
export class DecodeError extends HashStashError {
  /** `HASHSTASH_DECODE`. */
  override readonly code = 'HASHSTASH_DECODE';
}

/** `pop` of an absent key without a fallback. */
export class KeyNotFoundError extends HashStashError {
  /** `HASHSTASH_KEY_NOT_FOUND`. */
  override readonly code = 'HASHSTASH_KEY_NOT_FOUND';
}

/** A server or storage location that cannot be reached or opened; `location` names it (a URL or a path). */
export class EngineUnavailableError extends HashStashError {
  /** `HASHSTASH_ENGINE_UNAVAILABLE`. */
  override readonly code = 'HASHSTASH_ENGINE_UNAVAILABLE';
  /** The server's URL or the storage's path. */
  readonly location: string;
  /**
   * An EngineUnavailableError naming the location.
   *
   * @param message - What could not be reached or opened, and why.
   * @param location - The server's URL or the storage's path.
   * @param options - `cause`: the driver's or the file system's error, if any.
   */
  constructor(message: string, location: string, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
  }
}

/** A write to a stash opened with `readonly: true`, or to storage the process may not write. */
export class ReadOnlyError extends HashStashError {
  /** `HASHSTASH_READONLY`. */
  override readonly code = 'HASHSTASH_READONLY';
}

/** An operation this engine or configuration cannot do (for example `stash.sync` on a server engine). */
export class UnsupportedError extends HashStashError {
  /** `HASHSTASH_UNSUPPORTED`. */
  override readonly code = 'HASHSTASH_UNSUPPORTED';
}

/**
 * A library an engine or feature needs (better-sqlite3 for the sqlite engine, ioredis for redis, mongodb for mongo…)
 * that is not installed, not in a version hashstash is tested with, or installed but failing to load. `install` is
 * the command that fixes it; `found` is the installed version, undefined when there is none.
 */
export class DriverMissingError extends HashStashError {
  /** `HASHSTASH_DRIVER_MISSING`. */
  override readonly code = 'HASHSTASH_DRIVER_MISSING';
  /** The package, e.g. `better-sqlite3`. */
  readonly driver: string;
  /** What needs it, e.g. `the sqlite engine`. */
  readonly neededBy: string;
  /** The version installed when it is out of the tested range or would not load; undefined when it is not installed. */
  readonly found: string | undefined;
  /** e.g. `npm i better-sqlite3@12`. */
  readonly install: string;
  /**
   * A DriverMissingError naming the package and the command that installs it.
   *
   * @param message - What is missing and the command that installs it.
   * @param details - The package, what needs it, the version found (if any) and the install command.
   * @param options - `cause`: the error from loading the package, when it is installed but would not load.
   */
  constructor(
    message: string,
    details: { driver: string; neededBy: string; found: string | undefined; install: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.driver = details.driver;
    this.neededBy = details.neededBy;
    this.found = details.found;
    this.install = details.install;
  }
}

/**
 * A sequence index that is not one: past the end (or before the start, counting from the end), a float, NaN or not a
 * number at all. `index` is what was asked; `length` the sequence's length when it is known.
 */
export class IndexOutOfRangeError extends HashStashError {
  /** `HASHSTASH_INDEX_OUT_OF_RANGE`. */
  override readonly code = 'HASHSTASH_INDEX_OUT_OF_RANGE';
  /** The index asked for, as given. */
  readonly index: unknown;
  /** The sequence's length, when known; undefined otherwise. */
  readonly length: number | undefined;
  /**
   * An IndexOutOfRangeError for `index`.
   *
   * @param message - For people: what was asked and what the valid range is.
   * @param index - The index asked for.
   * @param length - The length, when known.
   */
  constructor(message: string, index: unknown, length: number | undefined) {
    super(message);
    this.index = index;
    this.length = length;
  }
}

/**
 * A sequence's iterable yielded, when a shard was generated again (after its eviction from disk, or by a generator
 * taking over), other items than the first time: the iterable is not deterministic, so stored shards cannot be trusted
 * to agree. `shard` names the shard (its number; it holds items `shard * shardLength` onwards).
 */
export class NondeterministicIterableError extends HashStashError {
  /** `HASHSTASH_NONDETERMINISTIC_ITERABLE`. */
  override readonly code = 'HASHSTASH_NONDETERMINISTIC_ITERABLE';
  /** The shard whose rebuild differed. */
  readonly shard: number;
  /**
   * A NondeterministicIterableError naming `shard`.
   *
   * @param message - What differed.
   * @param shard - The shard's number.
   */
  constructor(message: string, shard: number) {
    super(message);
    this.shard = shard;
  }
}

/**
 * A sequence opened without its iterable (`stash.sequence(null, { name })`) was asked for an item whose shard is not
 * stored (never generated, or evicted from disk), and the length is not known to end before it. `index` and `shard`
 * name what was asked.
 */
export class SequenceIncompleteError extends HashStashError {
  /** `HASHSTASH_SEQUENCE_INCOMPLETE`. */
  override readonly code = 'HASHSTASH_SEQUENCE_INCOMPLETE';
  /** The item asked for. */
  readonly index: number;
  /** Its shard. */
  readonly shard: number;
  /**
   * A SequenceIncompleteError for item `index` in `shard`.
   *
   * @param message - What is missing and how to get it.
   * @param index - The item asked for.
   * @param shard - Its shard.
   */
  constructor(message: string, index: number, shard: number) {
    super(message);
    this.index = index;
    this.shard = shard;
  }
}
