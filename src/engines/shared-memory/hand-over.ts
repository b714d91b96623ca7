import { BroadcastChannel, getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';

/**
 * How every thread of the process finds the one shared arena that holds all memory stashes, synchronously.
 *
 * - The main thread creates the arena when hashstash is imported and puts it in the worker environment data
 *   (`setEnvironmentData`), which Node clones into every worker created afterwards, by anyone (stash.map, piscina,
 *   a user's `new Worker`), and on into their nested workers. A SharedArrayBuffer is shared, not copied, by that
 *   clone, so those workers hold the arena from their first line of code, with no message to wait for.
 * - The arena is one growable SharedArrayBuffer: growing it is seen by every thread holding it, so new tables, index
 *   blocks and segments never need handing over again.
 * - A worker created before the main thread imported hashstash did not inherit it: when it imports hashstash it asks
 *   on a BroadcastChannel and any thread holding the arena answers. The answer arrives with the worker's next event
 *   loop turn (a BroadcastChannel cannot be read synchronously), so such a worker shares the arena from its first use
 *   after that turn (any `await` of I/O or a timer will do). Used before an answer came, it starts the arena itself
 *   and announces it to the threads that have none yet. Threads holding different arenas do not share memory stashes,
 *   so a thread that holds one and hears of another emits a warning (code HASHSTASH_MEMORY_ARENA_SPLIT).
 * The names carry the layout's version, so copies of hashstash with other layouts in one process keep apart.
 */
const ENV_KEY = 'hashstash:memory-arena:v3';
const CHANNEL_NAME = 'hashstash:memory-arena:v3';

/** The arena's byte-length limit: V8 caps a SharedArrayBuffer at 4 GB; a 64 KB margin keeps offsets in uint32 range. */
export const ARENA_MAX_BYTES = 2 ** 32 - 65_536;

type Message = { type: 'ask' } | { type: 'arena'; buffer: SharedArrayBuffer };

interface Growable {
  grow(bytes: number): void;
  readonly maxByteLength: number;
}

let arena: SharedArrayBuffer | undefined;

function adopt(buffer: SharedArrayBuffer): void {
  arena = buffer;
  setEnvironmentData(ENV_KEY, buffer);
}

function isArena(value: unknown): value is SharedArrayBuffer {
  return value instanceof SharedArrayBuffer && (value as unknown as Growable).maxByteLength === ARENA_MAX_BYTES;
}

const channel = new BroadcastChannel(CHANNEL_NAME);
channel.onmessage = (event: unknown) => {
  const data = (event as { data: Message }).data;
  if (data?.type === 'ask' && arena) channel.postMessage({ type: 'arena', buffer: arena } satisfies Message);
  else if (data?.type === 'arena' && isArena(data.buffer)) {
    if (!arena) adopt(data.buffer);
    else if (identity(data.buffer) !== identity(arena)) warnSplit();
  }
};

let warned = false;

function warnSplit(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    'another thread of this process started its own memory arena: memory stashes are not shared between this thread and ' +
    'that one (a worker created before the main thread imported hashstash used a memory stash before it heard of the ' +
    "main thread's arena; import hashstash in the main thread before creating workers)",
    { code: 'HASHSTASH_MEMORY_ARENA_SPLIT' });
}
// The channel must never keep a thread alive: it only serves while the thread runs anyway.
channel.unref();

/** `initialBytes` of a new arena are zero and the rest grows on demand, up to ARENA_MAX_BYTES. */
export function createArenaBuffer(initialBytes: number): SharedArrayBuffer {
  const Shared = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return new Shared(initialBytes, { maxByteLength: ARENA_MAX_BYTES });
}

export function growBuffer(buffer: SharedArrayBuffer, bytes: number): void {
  (buffer as unknown as Growable).grow(bytes);
}

let initialBytes = 0;
let initialize: (buffer: SharedArrayBuffer) => void = () => {};
/** Int32 index of two header words holding a random identity (buffers handed over are new objects on the same memory). */
let identityAt = 0;

const identity = (buffer: SharedArrayBuffer): string => {
  const ints = new Int32Array(buffer, identityAt * 4, 2);
  return `${Atomics.load(ints, 0)}:${Atomics.load(ints, 1)}`;
};

/** Called once by the arena module: how to size and lay out a new arena, and two header ints it leaves to this module. */
export function configureArena(bytes: number, layout: (buffer: SharedArrayBuffer) => void, identityIndex: number): void {
  initialBytes = bytes;
  initialize = layout;
  identityAt = identityIndex;
  const inherited = getEnvironmentData(ENV_KEY);
  if (isArena(inherited)) arena = inherited;
  else if (isMainThread) start();
  else channel.postMessage({ type: 'ask' } satisfies Message);
}

function start(): SharedArrayBuffer {
  const buffer = createArenaBuffer(initialBytes);
  initialize(buffer);
  const ints = new Int32Array(buffer, identityAt * 4, 2);
  ints[0] = (Math.random() * 2 ** 32) | 0;
  ints[1] = (Math.random() * 2 ** 32) | 0;
  adopt(buffer);
  channel.postMessage({ type: 'arena', buffer } satisfies Message);
  return buffer;
}

/** The process's arena, started here when no thread has handed one over yet. */
export function arenaBuffer(): SharedArrayBuffer {
  return arena ?? start();
}
