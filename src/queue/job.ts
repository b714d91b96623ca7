import { createHash } from 'node:crypto';
import type { ResourceLimits } from 'node:worker_threads';
import { DecodeError } from '../errors.js';
import type { FunctionSpec } from '../parallel/function-ref.js';

/** The stash a worker writes results into: what it needs to open it, with the URL's password hidden. */
export interface StashTarget {
  readonly engine: 'redis' | 'mongo';
  /** Redacted; the worker brings the credentials. Undefined: the engine's default server. */
  readonly url: string | undefined;
  /** The root as the producer gave it, so the worker opens the same stash on the server. */
  readonly root: string;
  /** The run sub-stash's full name. */
  readonly name: string;
  readonly serializer: string;
  readonly compress: string;
  readonly b64: boolean;
  /** The stash's default expiry in ms, for results the map gives none. */
  readonly ttl?: number;
}

/** What a job carries: plain JSON, about 300 bytes plus the arguments. */
export interface JobData {
  readonly v: 1;
  /** The function: by module and export, or by source. */
  readonly f: FunctionSpec;
  /** The function's identity (its run sub-stash's folder), which the worker checks against what it loads. */
  readonly id: string;
  /** Where the worker writes the result; null: it returns the result instead. */
  readonly s: StashTarget | null;
  /** The serializer of the arguments and of a returned result. */
  readonly ser: string;
  /** The call's arguments `[item, ...args, option]`, as the serializer's bytes in base64. */
  readonly a: string;
  /** The result's key (encodeKey of the arguments), in base64. */
  readonly k: string;
  /** Whether the producer's stash revives functions in the arguments. */
  readonly trust: boolean;
  /** The result's expiry in ms; absent: the stash's own. */
  readonly ttl?: number;
  /** Compute even when a result is stored. */
  readonly force?: true;
  readonly rl?: ResourceLimits;
}

/** What a finished job returns. */
export type JobReturn =
  /** The worker stored the result; `cached`: it found it already stored and computed nothing. */
  | { readonly stored: 1; readonly cached?: 1 }
  /** The result as the serializer's bytes, in base64. */
  | { readonly result: string };

/**
 * The job's id: the same for the same call wherever it is sent from, so two producers never queue the same work
 * twice. BullMQ refuses ids with `:` or made only of digits; a hex digest behind a prefix has neither.
 */
export function jobIdOf(
  identity: string,
  target: StashTarget | null,
  serializer: string,
  rawKey: Uint8Array,
  nonce?: string,
): string {
  const where = target
    ? `stash\0${target.engine}\0${target.url ?? ''}\0${target.root}\0${target.name}`
    : `return\0${serializer}`;
  const hash = createHash('sha256').update(identity).update('\0').update(where).update('\0').update(rawKey);
  return `hs1.${hash.digest('hex')}${nonce === undefined ? '' : `.f${nonce}`}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A job's data checked enough to act on it: DecodeError for anything else (another program's job, another version). */
export function readJobData(data: unknown): JobData {
  if (!isObject(data) || data.v !== 1)
    throw new DecodeError(
      `a job that is not a hashstash v1 job (data.v = ${isObject(data) ? String(data.v) : typeof data})`,
    );
  const { f, id, s, ser, a, k } = data;
  const spec = isObject(f) && typeof f.name === 'string' ? f : undefined;
  const validSpec =
    spec &&
    ((spec.kind === 'module' && typeof spec.url === 'string') ||
      (spec.kind === 'source' && typeof spec.expression === 'string'));
  if (!validSpec || typeof id !== 'string' || typeof ser !== 'string' || typeof a !== 'string' || typeof k !== 'string')
    throw new DecodeError('a hashstash job without its function, serializer, arguments or key');
  if (s !== null && !(isObject(s) && (s.engine === 'redis' || s.engine === 'mongo') && typeof s.name === 'string'))
    throw new DecodeError('a hashstash job whose stash is neither null nor a redis or mongo stash');
  return data as unknown as JobData;
}

/** A job's return value as bullmq hands it over: parsed already, or its JSON text (events carry text). */
export function readJobReturn(value: unknown): JobReturn {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (isObject(parsed) && (parsed.stored === 1 || typeof parsed.result === 'string')) return parsed as JobReturn;
  throw new DecodeError(`a hashstash job returned something it never returns: ${String(value).slice(0, 80)}`);
}
