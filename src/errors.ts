/**
 * Every error hashstash throws on purpose is a HashStashError with a stable `code`.
 * Callers branch on `instanceof` or on `code`; messages are for people.
 */
export class HashStashError extends Error {
  readonly code: string = 'HASHSTASH_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad options: an unknown option, engine, serializer or codec, a value of the wrong type, or a root or name no file system can hold. */
export class ConfigError extends HashStashError {
  override readonly code = 'HASHSTASH_CONFIG';
}

/** A value (or key) the serializer cannot carry. `path` says where inside the value, e.g. `$.a.b[3]`. */
export class SerializationError extends HashStashError {
  override readonly code = 'HASHSTASH_SERIALIZATION';
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(`${message} at ${path}`, options);
    this.path = path;
  }
}

/** A stored blob that is corrupt, truncated, written with other settings, or from a newer format. */
export class DecodeError extends HashStashError {
  override readonly code = 'HASHSTASH_DECODE';
}

/** `pop` of an absent key without a fallback. */
export class KeyNotFoundError extends HashStashError {
  override readonly code = 'HASHSTASH_KEY_NOT_FOUND';
}

/** A server or storage location that cannot be reached or opened; `location` names it (a URL or a path). */
export class EngineUnavailableError extends HashStashError {
  override readonly code = 'HASHSTASH_ENGINE_UNAVAILABLE';
  readonly location: string;
  constructor(message: string, location: string, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
  }
}

/** A write to a stash opened with `readonly: true`, or to storage the process may not write. */
export class ReadOnlyError extends HashStashError {
  override readonly code = 'HASHSTASH_READONLY';
}

/** An operation this engine or configuration cannot do (for example `stash.sync` on a server engine). */
export class UnsupportedError extends HashStashError {
  override readonly code = 'HASHSTASH_UNSUPPORTED';
}

/**
 * A library an engine or feature needs (better-sqlite3 for the sqlite engine, ioredis for redis, mongodb for mongo…)
 * that is not installed, not in a version hashstash is tested with, or installed but failing to load. `install` is
 * the command that fixes it; `found` is the installed version, undefined when there is none.
 */
export class DriverMissingError extends HashStashError {
  override readonly code = 'HASHSTASH_DRIVER_MISSING';
  /** The package, e.g. `better-sqlite3`. */
  readonly driver: string;
  /** What needs it, e.g. `the sqlite engine`. */
  readonly neededBy: string;
  readonly found: string | undefined;
  /** e.g. `npm i better-sqlite3@12`. */
  readonly install: string;
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
