/**
 * The real servers the redis and mongo tests talk to. `npm test` runs the tests through
 * scripts/test-servers/run-with-servers, which starts a Redis and a FerretDB (or takes REDIS_URL / MONGODB_URL as
 * given) and passes their URLs down in the environment; a test without its server skips and says why.
 * Fault tests start private, throw-away servers of their own, which they may stop and start at will.
 */
import type { Test } from 'tap';
import { createFerretDbServer, findFerretDb } from '../../scripts/test-servers/ferretdb.js';
import { createRedisServer, findRedisServer, type RedisServerOptions } from '../../scripts/test-servers/redis.js';
import { unavailableEnv, type ServerKind } from '../../scripts/test-servers/server-kinds.js';

export type { ServerKind };

const LABEL: Record<ServerKind, string> = { redis: 'Redis', mongo: 'MongoDB' };
const URL_ENV: Record<ServerKind, string> = { redis: 'REDIS_URL', mongo: 'MONGODB_URL' };

/** The Redis the tests share, from $REDIS_URL. */
export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}

/** The MongoDB-compatible server the tests share, from $MONGODB_URL. */
export function mongoUrl(): string | undefined {
  return process.env.MONGODB_URL || undefined;
}

export function serverUrl(kind: ServerKind): string | undefined {
  return kind === 'redis' ? redisUrl() : mongoUrl();
}

/** Why the shared server of `kind` is missing: the runner's reason, else that the variable is not set. */
function missingReason(kind: ServerKind): string {
  return (
    process.env[unavailableEnv(kind)] ||
    `${URL_ENV[kind]} is not set (run the tests with \`npm test\`, which starts one, or set ${URL_ENV[kind]})`
  );
}

/** For tap's `{ skip }` option: false when the shared server of `kind` is there, else why the test skips. */
export function serverSkip(kind: ServerKind): string | false {
  return serverUrl(kind) ? false : `no ${LABEL[kind]} server: ${missingReason(kind)}`;
}

/**
 * The shared server's URL; when there is none, records a skipped test, printed as
 * `ok N - redis tests # SKIP no Redis server: <reason>` (so tap's and CI's counts show the skip), and returns
 * undefined for the caller to skip its tests (`if (!url) return;`, or `t.test(name, { skip: serverSkip('redis') }, …)`).
 */
export function requireServer(t: Test, kind: ServerKind): string | undefined {
  const url = serverUrl(kind);
  if (!url) t.pass(`${kind} tests`, { skip: `no ${LABEL[kind]} server: ${missingReason(kind)}` });
  return url;
}

/** A private server process: stop() and start() again keep its port and data; dispose() ends it for good. */
export interface PrivateServer {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** For tap's `{ skip }` option on fault tests: false when a private server of `kind` can be started, else why not. */
export function privateServerSkip(kind: ServerKind): string | false {
  if (kind === 'redis')
    return findRedisServer() ? false : 'no redis-server binary to start a private Redis (set REDIS_SERVER_BIN)';
  return findFerretDb() ? false : 'no FerretDB binary to start a private MongoDB-compatible server (set FERRETDB_BIN)';
}

/** Starts a throw-away redis-server on a free loopback port; `maxBulkLen` caps the size of one value ("1mb" at least). */
export async function startRedis(opts: Omit<RedisServerOptions, 'binary'> = {}): Promise<PrivateServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error('no redis-server binary: install redis-server or set REDIS_SERVER_BIN');
  const { server, url } = await createRedisServer({ binary, ...opts });
  await server.start();
  return privateServer(url, server);
}

/** Starts a throw-away FerretDB (SQLite handler, data in a temp dir) on a free loopback port. */
export async function startFerretDb(): Promise<PrivateServer> {
  const binary = findFerretDb();
  if (!binary) throw new Error('no FerretDB binary: run `npm test` once to build it, or set FERRETDB_BIN');
  const { server, url } = await createFerretDbServer(binary);
  await server.start();
  return privateServer(url, server);
}

function privateServer(
  url: string,
  server: { start(): Promise<void>; stop(): Promise<void>; dispose(): Promise<void> },
): PrivateServer {
  return {
    url,
    stop: () => server.stop(),
    start: () => server.start(),
    dispose: () => server.dispose(),
  };
}
