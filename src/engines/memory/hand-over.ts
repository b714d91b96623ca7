import {
  BroadcastChannel,
  getEnvironmentData,
  isMainThread,
  receiveMessageOnPort,
  setEnvironmentData,
  type MessagePort,
} from 'node:worker_threads';

/**
 * How the threads of a process agree on the one shared arena that holds all memory stashes, and find it synchronously.
 * Importing hashstash allocates nothing, sets no environment data and opens no channel in the main thread. The rules:
 *
 * 1. Constructing a memory stash reserves the arena if this thread holds none: a growable SharedArrayBuffer of zero
 *    bytes (address space only, nothing committed). Its first open lays it out (grows it to its header and writes
 *    that), in whichever thread opens first; laying out is idempotent, so threads that open at the same moment
 *    all end up with the one arena. A thread that holds no arena at its first open reserves one then.
 * 2. A thread keeps the buffer it holds (reserved or laid out) in its worker environment data (`setEnvironmentData`),
 *    which Node clones into every worker it creates afterwards (stash.map's, piscina's, a user's `new Worker`) and on
 *    into their workers. A SharedArrayBuffer is shared, not copied, by that clone: those workers hold the arena from
 *    their first line of code, `stash.sync` included. The arena grows in place, and growth is seen by every thread.
 * 3. Threads that did not inherit it talk on a BroadcastChannel, opened lazily and unref'd (it never keeps a thread
 *    alive). A thread that lays out an arena, or opens one, announces it; a thread holding a laid-out arena answers
 *    an `ask` with it. A thread that holds no arena, or only a reservation (which holds no data yet), adopts the
 *    laid-out arena it hears of. The channel opens
 *    - in a thread, on its first open of a memory stash;
 *    - in a thread holding no arena, when it starts a worker (process event 'worker'): that worker may lay one out,
 *      and this thread must hear of it before it makes one itself;
 *    - in a worker that inherited no laid-out arena, when it imports hashstash: so it hears of the arena whenever
 *      another thread lays one out. It asks at once, in case one exists already.
 * 4. Before laying out, and when it reserves, a thread reads the messages already waiting on its channel
 *    (`receiveMessageOnPort`, which needs no event loop turn), so an arena announced before is adopted, never split from.
 * What no rule can cover, since such threads share no memory before the arena: threads that inherited no buffer
 * laying out arenas of their own at the same moment, or a worker that imported hashstash after an arena was
 * announced and opens a memory stash before the answer to its ask arrives (on its next event loop turn, once the
 * holder's own loop has run). Those threads hold different arenas and share no memory stash; each thread that hears
 * of an arena other than its own gets a process warning (code HASHSTASH_MEMORY_ARENA_SPLIT). Constructing (or
 * opening) a memory stash in the main thread before starting workers avoids both.
 * The names carry the protocol's version, so copies of hashstash that lay out or hand over otherwise keep apart.
 */
const ENV_KEY = 'hashstash:memory-arena:v4';
const CHANNEL_NAME = 'hashstash:memory-arena:v4';

/** The arena's byte-length limit: V8 caps a SharedArrayBuffer at 4 GB; a 64 KB margin keeps offsets in uint32 range. */
export const ARENA_MAX_BYTES = 2 ** 32 - 65_536;
/** Int32 index of the header word this module sets to a random non-zero identity when the arena is laid out. */
export const IDENTITY_INDEX = 4;

type Message = { type: 'ask' } | { type: 'arena'; buffer: SharedArrayBuffer };

interface Growable {
  grow(bytes: number): void;
  readonly maxByteLength: number;
}

/** The buffer this thread holds, reserved or laid out: inherited (rule 2) from the start, else reserved or adopted later. */
let arena: SharedArrayBuffer | undefined = inherited();
let channel: BroadcastChannel | undefined;
let announced = false;
let warned = false;

function isArena(value: unknown): value is SharedArrayBuffer {
  return value instanceof SharedArrayBuffer && (value as unknown as Growable).maxByteLength === ARENA_MAX_BYTES;
}

function inherited(): SharedArrayBuffer | undefined {
  const value = getEnvironmentData(ENV_KEY);
  return isArena(value) ? value : undefined;
}

/** 0 while the buffer is only reserved. Read from shared memory: another thread may have laid out this thread's reservation. */
function identity(buffer: SharedArrayBuffer): number {
  return buffer.byteLength < (IDENTITY_INDEX + 1) * 4
    ? 0
    : Atomics.load(new Int32Array(buffer, IDENTITY_INDEX * 4, 1), 0);
}

const laidOut = (buffer: SharedArrayBuffer | undefined): boolean => buffer !== undefined && identity(buffer) !== 0;

function adopt(buffer: SharedArrayBuffer): void {
  arena = buffer;
  setEnvironmentData(ENV_KEY, buffer);
}

function heard(message: Message | undefined): void {
  const held = arena;
  if (message?.type === 'ask') {
    if (held && laidOut(held)) channel!.postMessage({ type: 'arena', buffer: held } satisfies Message);
  } else if (message?.type === 'arena' && isArena(message.buffer) && laidOut(message.buffer)) {
    if (!held || !laidOut(held)) adopt(message.buffer);
    else if (identity(message.buffer) !== identity(held)) warnSplit();
  }
}

function listen(): BroadcastChannel {
  if (channel) return channel;
  const opened = new BroadcastChannel(CHANNEL_NAME);
  opened.onmessage = (event: unknown) => heard((event as { data: Message }).data);
  opened.unref();
  channel = opened;
  if (!laidOut(arena)) opened.postMessage({ type: 'ask' } satisfies Message);
  return opened;
}

/** Handles what is already queued on the channel, now, without waiting for an event loop turn. */
function readWaiting(): void {
  if (!channel) return;
  // Node takes a BroadcastChannel here (since 15.12); @types/node 20 types only MessagePort.
  const port = channel as unknown as MessagePort;
  for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
    heard(received.message as Message);
  }
}

function warnSplit(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    'another thread of this process laid out its own memory arena: memory stashes are not shared between this thread ' +
      'and that one (threads started before any memory stash existed opened their first ones at the same moment, or a ' +
      'worker opened one before it heard of the arena; construct a memory stash in the main thread before starting workers)',
    { code: 'HASHSTASH_MEMORY_ARENA_SPLIT' },
  );
}

/** `initialBytes` of a new arena are zero and the rest grows on demand, up to ARENA_MAX_BYTES. */
export function createArenaBuffer(initialBytes: number): SharedArrayBuffer {
  const Shared = SharedArrayBuffer as unknown as new (
    length: number,
    options: { maxByteLength: number },
  ) => SharedArrayBuffer;
  return new Shared(initialBytes, { maxByteLength: ARENA_MAX_BYTES });
}

export function growBuffer(buffer: SharedArrayBuffer, bytes: number): void {
  (buffer as unknown as Growable).grow(bytes);
}

/** Rule 1, on constructing a memory stash: commits no memory, opens nothing. */
export function reserveArena(): void {
  readWaiting();
  if (!arena) adopt(createArenaBuffer(0));
}

/**
 * The process's arena, for a thread opening a memory stash: the one it holds or hears of, laid out here by
 * `layOut` (which must be idempotent: threads may lay out one buffer at the same moment) unless that was done already.
 */
export function arenaBuffer(initialBytes: number, layOut: (buffer: SharedArrayBuffer) => void): SharedArrayBuffer {
  listen();
  readWaiting();
  if (!arena) adopt(createArenaBuffer(0));
  const buffer = arena!;
  if (!laidOut(buffer)) {
    // Grown by one thread, or by several to the same length; one that allocates may have grown it further already.
    if (buffer.byteLength < initialBytes) {
      try {
        growBuffer(buffer, initialBytes);
      } catch (error) {
        if (buffer.byteLength < initialBytes) throw error;
      }
    }
    layOut(buffer);
    Atomics.compareExchange(new Int32Array(buffer, IDENTITY_INDEX * 4, 1), 0, 0, (Math.random() * 0x7fff_fffe + 1) | 0);
  }
  if (!announced) {
    announced = true;
    channel!.postMessage({ type: 'arena', buffer } satisfies Message);
  }
  return buffer;
}

// Rule 3, the two cases that cannot wait for a first open. Neither opens anything in a main thread that starts no worker.
process.on('worker', () => {
  if (!arena) listen();
});
if (!isMainThread && !laidOut(arena)) listen();
