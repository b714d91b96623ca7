import { ConfigError } from '../errors.js';
import { parseTtl, type Ttl } from '../ttl.js';

/** Options of `stash.lease(name, options)`. */
export interface LeaseOptions {
  /**
   * How long the lease lasts unless renewed: ms or a duration like `'30s'`. A holder that dies is taken over this long
   * after its last renewal, never earlier. Default 30 s.
   */
  readonly ttl?: Ttl | undefined;
  /**
   * When the lease is held by another: true (the default) waits, polling with backoff, until it is free or `signal`
   * aborts; false resolves to null at once.
   */
  readonly wait?: boolean | undefined;
  /** Stops waiting: the call rejects with the signal's `reason` (an `AbortError` DOMException unless given one). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Renews the lease every third of its ttl while it is held (default true), with a timer that keeps no process alive
   * and stops at release, or when the stash is closed (the lease is then left to expire). With false, call
   * {@link Lease.renew} yourself within each ttl.
   */
  readonly autoRenew?: boolean | undefined;
}

/** {@link LeaseOptions} checked, with defaults. */
export interface ResolvedLeaseOptions {
  readonly ttl: number;
  readonly wait: boolean;
  readonly signal: AbortSignal | undefined;
  readonly autoRenew: boolean;
}

export const DEFAULT_LEASE_TTL_MS = 30_000;

const KNOWN = new Set(['ttl', 'wait', 'signal', 'autoRenew']);

/** The options with defaults; ConfigError naming a bad one. */
export function resolveLeaseOptions(name: unknown, options: LeaseOptions | undefined): ResolvedLeaseOptions {
  if (typeof name !== 'string' || name === '')
    throw new ConfigError(
      `a lease's name must be a non-empty string, got ${typeof name === 'string' ? "''" : typeof name}`,
    );
  const given = options ?? {};
  if (typeof given !== 'object') throw new ConfigError(`lease options must be an object, got ${typeof given}`);
  for (const option of Object.keys(given)) {
    if (!KNOWN.has(option)) throw new ConfigError(`unknown lease option '${option}' (known: ${[...KNOWN].join(', ')})`);
  }
  const ttl = given.ttl === undefined ? DEFAULT_LEASE_TTL_MS : parseTtl(given.ttl, 'ttl');
  for (const flag of ['wait', 'autoRenew'] as const) {
    if (given[flag] !== undefined && typeof given[flag] !== 'boolean')
      throw new ConfigError(`lease option '${flag}' must be a boolean, got ${typeof given[flag]}`);
  }
  const { signal } = given;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new ConfigError(`lease option 'signal' must be an AbortSignal`);
  return { ttl, wait: given.wait ?? true, signal, autoRenew: given.autoRenew ?? true };
}
