import type { ChainableCommander, Command as IoredisCommand, Redis, RedisOptions } from 'ioredis';
import { loadDriver } from '../../drivers.js';
import { EngineUnavailableError } from '../../errors.js';
import { SharedResources } from '../shared-resources.js';
import {
  DOING,
  fieldsOf,
  Op,
  pairsOf,
  rejectQueued,
  runEnd,
  settle,
  type Command,
  type Failure,
  type KeyOp,
  type Live,
  type Queued,
} from './batching.js';
import { sendCommand, sendCommands } from './command.js';
import { SCRIPTS, type Script } from './expiry.js';
import { loggedHsetArgs, mustLog } from './changes.js';
import { ReplyWatchdog } from './watchdog.js';

/**
 * The connection the redis engine talks through: one ioredis client per server URL in this process, shared by every
 * stash on that server and counted (the last stash to close quits it), plus the queue that turns single-key
 * operations issued in one tick into as few commands as possible (how runs are cut and settled: batching.ts).
 */

/** One TCP connection attempt gives up after this long (a host that drops packets instead of refusing). */
const CONNECT_TIMEOUT_MS = 3_000;
/** An operation waits this long at most for a connection that is being made, then fails. */
const READY_TIMEOUT_MS = CONNECT_TIMEOUT_MS + 1_000;
/**
 * A connection that owes replies and receives nothing for this long is dropped (a hung or cut-off server), so no
 * operation waits longer. A healthy server answers in milliseconds; a large reply arrives in chunks, each resetting it.
 */
const SOCKET_TIMEOUT_MS = 10_000;
/** Background reconnection after a connection is lost: 100 ms, doubling, at most a second apart, until close(). */
const reconnectDelay = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 1_000);
/** Redis's default `proto-max-bulk-len`, assumed when the server does not let us read its configuration. */
const DEFAULT_MAX_BULK_BYTES = 512 * 1024 * 1024;

const noop = () => {};
const orUndefined = (value: Buffer | null) => value ?? undefined;
const isOne = (reply: number) => reply === 1;

export { Op, type Command, type Failure, type Live };

export const isReplyError = (error: unknown) => (error as Error)?.name === 'ReplyError';

/** ioredis's module: the client class, with its Command class beside it. */
type IoredisModule = (new (url: string, options: RedisOptions) => Redis) & { Command: typeof IoredisCommand };

const EMPTY = Buffer.alloc(0);

/**
 * One shared client and its state. How an operation meets a connection that is not ready: it waits for one being
 * made, or fails at once when the server is known to be down; the client keeps reconnecting in the background, so
 * the operations after the server returns work again.
 */
export class SharedConnection {
  readonly client: Redis;
  readonly url: string;
  readonly location: string;
  /** Why the last connection attempt failed; cleared when a connection is ready. */
  #lastError: Error | undefined;
  #waiting: Promise<Redis> | undefined;
  /** Fails the operations waiting for a connection (on close). */
  #abandon: (() => void) | undefined;
  #maxBulkBytes: Promise<number> | undefined;
  #queue: Queued[] = [];
  #flushScheduled = false;
  #flushWaitsForConnection = false;
  readonly #watchdog: ReplyWatchdog;
  readonly #ioredis: IoredisModule;
  /** HSCAN's NOVALUES (Redis 7.4+): learnt on the first keys() of this connection. */
  scanWithoutValues: boolean | undefined;
  /**
   * The server expires hash fields itself (HPEXPIRE: Redis 7.4+, Valkey 9+): probed with COMMAND INFO as each
   * connection becomes ready; false until the answer is in (expiry.ts: server-side field expiry is cleanup only).
   */
  fieldExpiry = false;

  constructor(url: string, location: string) {
    this.url = url;
    this.location = location;
    this.#ioredis = loadDriver<IoredisModule>('ioredis');
    const client = (this.client = new this.#ioredis(url, {
      lazyConnect: true,
      // Names the connection in the server's CLIENT LIST.
      connectionName: 'hashstash',
      // The queue below coalesces what one tick issues into HMGET/HSET runs: measured 3x faster than ioredis's own
      // auto-pipelining for 1,000 concurrent gets, and it adds no setImmediate wait to every sequential operation.
      enableAutoPipelining: false,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // A command in flight when its connection drops fails at once (it may or may not have been applied). With
      // retries, ioredis keeps such commands for a resend that never comes if the next connection hangs.
      maxRetriesPerRequest: 0,
      retryStrategy: reconnectDelay,
    }));
    // Without a listener ioredis prints every connection error; the operations report them instead.
    client.on('error', (error: Error) => {
      hideCredentials(error);
      this.#lastError = error;
    });
    client.on('ready', () => {
      this.#lastError = undefined;
      this.#maxBulkBytes = undefined;
      this.fieldExpiry = false;
      this.#probeFieldExpiry(client);
      // Before any operation is sent: an EVALSHA that met NOSCRIPT and went again as EVAL would land after the
      // operations sent meanwhile.
      for (const script of SCRIPTS) client.call('SCRIPT', 'LOAD', script.source).catch(noop);
    });
    this.#watchdog = new ReplyWatchdog(client, SOCKET_TIMEOUT_MS);
  }

  /** The client once ready, with everything queued before it sent first (for the engine's multi-command operations). */
  ready(): Redis | Promise<Redis> {
    if (this.client.status === 'ready') {
      this.flush();
      return this.client;
    }
    return this.#whenReady().then((client) => {
      this.flush();
      return client;
    });
  }

  #whenReady(): Promise<Redis> {
    const client = this.client;
    if (client.status === 'ready') return Promise.resolve(client);
    if (client.status === 'wait' || client.status === 'end') {
      this.#lastError = undefined;
      client.connect().catch(noop);
    } else if (this.#lastError) {
      // Known down: fail at once; the reconnection going on in the background brings the stash back.
      return Promise.reject(this.unreachable(this.#lastError));
    }
    this.#waiting ??= new Promise<Redis>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', settle);
        client.off('end', onEnd);
        this.#waiting = undefined;
        this.#abandon = undefined;
        if (error) reject(this.unreachable(error));
        else resolve(client);
      };
      const onReady = () => settle();
      const onEnd = () => settle(this.#lastError ?? new Error('the connection was closed'));
      const timer = setTimeout(() => {
        // A server that accepts connections but never answers: count it as down and start over in the background.
        const error = new Error(`connected, but no answer within ${READY_TIMEOUT_MS / 1000} s`);
        this.#lastError = error;
        settle(error);
        client.disconnect(true);
      }, READY_TIMEOUT_MS);
      client.on('ready', onReady);
      client.on('error', settle);
      client.on('end', onEnd);
      this.#abandon = () => settle(new Error('the stash was closed'));
    });
    return this.#waiting;
  }

  unreachable(error: Error): EngineUnavailableError {
    hideCredentials(error);
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED): is the server running?' : error.message;
    return new EngineUnavailableError(`cannot connect to redis at ${this.location}: ${reason}`, this.location, {
      cause: error,
    });
  }

  /** The last connection error, when ioredis's own words ("Connection is closed") say less. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** The server's `proto-max-bulk-len`, read once per connection. */
  maxBulkBytes(client: Redis): Promise<number> {
    this.#maxBulkBytes ??= client.call('CONFIG', 'GET', 'proto-max-bulk-len').then(
      (reply) => {
        const value = Array.isArray(reply) ? Number(reply[1]) : NaN;
        return Number.isFinite(value) && value > 0 ? value : DEFAULT_MAX_BULK_BYTES;
      },
      (error: unknown) => {
        // CONFIG is often forbidden on managed servers: assume the default then. A lost connection asks again later.
        if (isReplyError(error)) return DEFAULT_MAX_BULK_BYTES;
        this.#maxBulkBytes = undefined;
        throw error;
      },
    );
    return this.#maxBulkBytes;
  }

  /** Asks the server whether it knows HPEXPIRE; a server that forbids COMMAND is taken not to. */
  #probeFieldExpiry(client: Redis): void {
    client.call('COMMAND', 'INFO', 'HPEXPIRE').then((reply) => {
      this.fieldExpiry = Array.isArray(reply) && Array.isArray(reply[0]);
    }, noop);
  }

  // ---- the queue: what one tick issues, sent in order ----

  /**
   * Sends or queues a get, set, has or delete. On a ready connection with nothing queued and no reply owed (a
   * sequential caller), it goes out at once, with no queue and no microtask; otherwise it is queued, and what one
   * tick queues is sent together, in order, at the tick's end (1,000 gets started together: one HGET, then one HMGET).
   */
  enqueue(
    op: typeof Op.Get,
    hash: Buffer,
    field: Buffer,
    value: undefined,
    fail: Failure,
    live?: Live,
  ): Promise<Buffer | undefined>;
  enqueue(op: typeof Op.Set, hash: Buffer, field: Buffer, value: Buffer, fail: Failure): Promise<void>;
  enqueue(
    op: typeof Op.Has | typeof Op.Delete,
    hash: Buffer,
    field: Buffer,
    value: undefined,
    fail: Failure,
  ): Promise<boolean>;
  enqueue(
    op: KeyOp,
    hash: Buffer,
    field: Buffer,
    value: Buffer | undefined,
    fail: Failure,
    live?: Live,
  ): Promise<unknown> {
    const client = this.client;
    if (this.#queue.length === 0 && client.status === 'ready' && client.commandQueue.length === 0) {
      return this.#sendNow(op, hash, field, value, fail, live);
    }
    return new Promise((resolve, reject) => {
      this.#push({ op, hash, field, value, fail, live, command: undefined, resolve, reject });
    });
  }

  /**
   * Runs a whole command in its place among the queued operations: at once when connected (after what is queued),
   * else queued behind them until a connection is ready. Its failures come back as they are.
   */
  run<T>(command: Command<T>): Promise<T> {
    if (this.client.status === 'ready') {
      this.flush();
      return command(this.client);
    }
    return new Promise<T>((resolve, reject) => {
      this.#push({
        op: Op.Command,
        hash: EMPTY,
        field: EMPTY,
        value: undefined,
        fail: undefined,
        live: undefined,
        command,
        resolve: resolve,
        reject,
      });
      this.flush();
    });
  }

  #push(queued: Queued): void {
    this.#queue.push(queued);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  #sendNow(
    op: KeyOp,
    hash: Buffer,
    field: Buffer,
    value: Buffer | undefined,
    fail: Failure,
    live: Live | undefined,
  ): Promise<unknown> {
    const failed = (error: unknown) => {
      throw fail(error, DOING[op]);
    };
    const client = this.client;
    if (op === Op.Get)
      return this.#sendCommand<Buffer | null>(client, 'hget', [hash, field], true).then(live ?? orUndefined, failed);
    if (op === Op.Set) {
      // A stash that may be watched logs the set in the same step (changes.ts).
      const logged = mustLog(client, hash);
      return (
        logged
          ? this.#sendCommand(client, 'eval', loggedHsetArgs(hash, logged, [field, value!]), false)
          : this.#sendCommand(client, 'hset', [hash, field, value!], false)
      ).then(noop, failed);
    }
    return this.#sendCommand<number>(client, op === Op.Has ? 'hexists' : 'hdel', [hash, field], false).then(
      isOne,
      failed,
    );
  }

  /** Commands on the ready client in one write (see sendCommands); replies as strings and numbers. */
  sendTogether(commands: readonly (readonly [string, (Buffer | string)[]])[]): Promise<unknown>[] {
    return sendCommands(this.client, this.#ioredis.Command, commands);
  }

  /**
   * EVALSHA of a script, encoded in one pass like the hot commands (ioredis's own encoding of byte-string arguments
   * costs more than the script's work on the server); a server that does not know the script gets it by EVAL.
   */
  script(script: Script, keys: readonly Buffer[], args: readonly (Buffer | string)[]): Promise<unknown> {
    const argv = [script.sha, String(keys.length), ...keys, ...args];
    return this.#sendCommand(this.client, 'evalsha', argv, false).catch((error: unknown) => {
      if (!/NOSCRIPT/.test((error as Error)?.message ?? '')) throw error;
      argv[0] = script.source;
      return this.#sendCommand(this.client, 'eval', argv, false);
    });
  }

  /** `R`: the reply the caller knows the command gives (a Buffer or null for HGET with `bufferReply`, …). */
  #sendCommand<R = unknown>(
    target: Redis | ChainableCommander,
    name: string,
    args: (Buffer | string)[],
    bufferReply: boolean,
  ): Promise<R> {
    return sendCommand(target, this.#ioredis.Command, name, args, bufferReply) as Promise<R>;
  }

  /**
   * Sends the queue, in order, once a connection is ready. Consecutive gets (or sets) of one hash become one HMGET
   * (or HSET) of up to RUN_KEYS keys and RUN_BYTES bytes; has and delete go one command each; the runs between two
   * whole commands go out in one pipeline (one write).
   */
  readonly flush = (): void => {
    this.#flushScheduled = false;
    const queue = this.#queue;
    if (queue.length === 0) return;
    if (this.client.status !== 'ready') {
      if (this.#flushWaitsForConnection) return;
      this.#flushWaitsForConnection = true;
      this.#whenReady().then(
        () => {
          this.#flushWaitsForConnection = false;
          this.flush();
        },
        (error: unknown) => {
          this.#flushWaitsForConnection = false;
          this.#failQueued(error);
        },
      );
      return;
    }
    this.#queue = [];
    let runs: number[] = [];
    for (let start = 0; start < queue.length;) {
      const end = runEnd(queue, start);
      if (queue[start].op === Op.Command) {
        this.#sendRuns(queue, runs);
        runs = [];
        // eslint-disable-next-line @typescript-eslint/unbound-method -- a Promise executor's resolve and reject need no `this`
        const { command, resolve, reject } = queue[start];
        command!(this.client).then(resolve, reject);
      } else {
        runs.push(start, end);
      }
      start = end;
    }
    this.#sendRuns(queue, runs);
  };

  /** Sends runs (pairs of start, end): one on the client, several in a pipeline. */
  #sendRuns(queue: Queued[], runs: number[]): void {
    if (runs.length === 0) return;
    if (runs.length === 2) {
      this.#send(this.client, queue, runs[0], runs[1]);
      return;
    }
    const pipeline = this.client.pipeline();
    for (let r = 0; r < runs.length; r += 2) this.#send(pipeline, queue, runs[r], runs[r + 1]);
    pipeline.exec().then(
      (results) => {
        for (let r = 0; r < runs.length; r += 2) {
          const [error, reply] = results![r / 2];
          settle(queue, runs[r], runs[r + 1], error, reply);
        }
      },
      (error: unknown) => {
        for (let r = 0; r < runs.length; r += 2) settle(queue, runs[r], runs[r + 1], error, undefined);
      },
    );
  }

  /** Sends one run: on the client (its reply settles the run) or into a pipeline (exec settles it). */
  #send(target: Redis | ChainableCommander, queue: Queued[], start: number, end: number): void {
    const { op, hash, field } = queue[start];
    const one = end - start === 1;
    const reply =
      op === Op.Get
        ? this.#sendCommand(
            target,
            one ? 'hget' : 'hmget',
            one ? [hash, field] : [hash, ...fieldsOf(queue, start, end)],
            true,
          )
        : op === Op.Set
          ? this.#sendSet(target, hash, one ? [field, queue[start].value!] : pairsOf(queue, start, end))
          : this.#sendCommand(target, op === Op.Has ? 'hexists' : 'hdel', [hash, field], false);
    // In a pipeline, exec settles the run (with every command's error or reply).
    if (target !== this.client) {
      reply.catch(noop);
      return;
    }
    reply.then(
      (result) => settle(queue, start, end, null, result),
      (error: unknown) => settle(queue, start, end, error, undefined),
    );
  }

  /** An HSET of a run, or the script that also logs it where the stash may be watched (changes.ts). */
  #sendSet(target: Redis | ChainableCommander, hash: Buffer, pairs: Buffer[]): Promise<unknown> {
    const logged = mustLog(this.client, hash);
    return logged
      ? this.#sendCommand(target, 'eval', loggedHsetArgs(hash, logged, pairs), false)
      : this.#sendCommand(target, 'hset', [hash, ...pairs], false);
  }

  #failQueued(error: unknown): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const queued of queue) rejectQueued(queued, error);
  }

  /** Quits politely when connected; always ends with no socket or timer left. */
  async close(): Promise<void> {
    const client = this.client;
    this.#abandon?.();
    this.#watchdog.stop();
    if (client.status === 'ready') {
      this.flush();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.quit().catch(noop),
        new Promise((resolve) => {
          timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    // A socket still open is ended (and waited for); between reconnection attempts there is none, only a timer to clear.
    const open = client.status === 'connecting' || client.status === 'connect' || client.status === 'ready';
    const ended = open ? new Promise<void>((resolve) => client.once('end', () => resolve())) : undefined;
    client.disconnect();
    await ended;
  }
}

// ---- one connection per URL ----

const connections = new SharedResources<string, SharedConnection>((shared) => shared.close());

/** The shared connection to `url`, made (not yet connected) when there is none; the caller must `release` it. */
/** Commands whose arguments hold a password: `AUTH [user] password`, `HELLO 3 AUTH user password`. */
const COMMANDS_WITH_CREDENTIALS = new Set(['auth', 'hello']);

/**
 * ioredis puts the command that failed on its errors (`error.command.args`), and for a failed AUTH those are the
 * user and password: masked here before the error becomes a `cause` that anyone may log or inspect.
 */
export function hideCredentials(error: unknown): void {
  const command = (error as { command?: { name?: unknown; args?: unknown } } | null)?.command;
  if (command && typeof command.name === 'string' && COMMANDS_WITH_CREDENTIALS.has(command.name.toLowerCase())) {
    (error as { command: unknown }).command = { name: command.name, args: ['***'] };
  }
}

export function acquireConnection(url: string, location: string): SharedConnection {
  return connections.acquire(url, () => new SharedConnection(url, location));
}

/** Gives a connection back; the last user's release quits it. */
export function releaseConnection(shared: SharedConnection): Promise<void> {
  return connections.release(shared.url, shared);
}
