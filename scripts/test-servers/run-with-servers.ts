/**
 * `npm test` runs the tests through this: it gets a Redis and a MongoDB-compatible server (the ones REDIS_URL and
 * MONGODB_URL name, else servers of our own on free loopback ports, installing or building them when missing),
 * runs the command given on its command line with their URLs in the environment, and stops them afterwards.
 * A server that cannot be had is reported and its tests skip; under CI the run then fails, so CI always tests both.
 *
 *   node dist/scripts/test-servers/run-with-servers.js tap "dist/test/**\/*.test.js" [tap options…]
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFerretDb, createFerretDbServer, FERRETDB_VERSION, findFerretDb } from './ferretdb.js';
import { elapsed, log } from './log.js';
import { createRedisServer, findRedisServer, installRedisServer } from './redis.js';
import type { ServerProcess } from './server-process.js';
import { unavailableEnv, type ServerKind } from './server-kinds.js';

type Outcome = { url: string; server?: ServerProcess } | { reason: string };

/** A URL fit for a log line: any password replaced. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function startOwn(
  kind: ServerKind,
  binary: string,
  created: { server: ServerProcess; url: string },
  what: string,
): Promise<Outcome> {
  const started = performance.now();
  try {
    await created.server.start();
  } catch (error) {
    await created.server.dispose();
    return { reason: `${binary} would not start: ${(error as Error).message}` };
  }
  log(`${kind}: started ${what} on ${created.url} (ready in ${elapsed(started)})`);
  return created;
}

async function redis(env: NodeJS.ProcessEnv): Promise<Outcome> {
  let binary = findRedisServer();
  if (binary) env.REDIS_SERVER_BIN = binary;
  if (process.env.REDIS_URL) {
    log(`redis: using REDIS_URL=${shown(process.env.REDIS_URL)}`);
    return { url: process.env.REDIS_URL };
  }
  if (!binary) {
    const installed = installRedisServer();
    if ('reason' in installed) return installed;
    binary = env.REDIS_SERVER_BIN = installed.binary;
  }
  return startOwn('redis', binary, await createRedisServer({ binary }), binary);
}

async function mongo(env: NodeJS.ProcessEnv): Promise<Outcome> {
  let binary = findFerretDb();
  if (binary) env.FERRETDB_BIN = binary;
  if (process.env.MONGODB_URL) {
    log(`mongo: using MONGODB_URL=${shown(process.env.MONGODB_URL)}`);
    return { url: process.env.MONGODB_URL };
  }
  if (!binary) {
    const built = buildFerretDb();
    if ('reason' in built) return built;
    binary = env.FERRETDB_BIN = built.binary;
  }
  return startOwn('mongo', binary, await createFerretDbServer(binary), `FerretDB ${FERRETDB_VERSION} (${binary})`);
}

const LABEL: Record<ServerKind, string> = { redis: 'Redis', mongo: 'MongoDB' };
const URL_ENV: Record<ServerKind, string> = { redis: 'REDIS_URL', mongo: 'MONGODB_URL' };

function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    log('usage: run-with-servers <command> [args…]');
    process.exit(2);
  }

  const setupStarted = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The project's own tools (tap) also when run outside npm, which puts them on PATH itself.
  const projectBin = fileURLToPath(new URL('../../../node_modules/.bin', import.meta.url));
  env.PATH = [projectBin, env.PATH].filter(Boolean).join(delimiter);
  const ours: ServerProcess[] = [];
  const missing: string[] = [];
  for (const [kind, get] of [
    ['redis', redis],
    ['mongo', mongo],
  ] as const) {
    const outcome = await get(env);
    if ('reason' in outcome) {
      log(
        `no ${LABEL[kind]} server: ${outcome.reason}; the ${kind} tests will be skipped (set ${URL_ENV[kind]} to use one you have)`,
      );
      env[unavailableEnv(kind)] = outcome.reason;
      delete env[URL_ENV[kind]];
      missing.push(`${LABEL[kind]} (${outcome.reason})`);
    } else {
      env[URL_ENV[kind]] = outcome.url;
      delete env[unavailableEnv(kind)];
      if (outcome.server) ours.push(outcome.server);
    }
  }
  log(`set-up took ${elapsed(setupStarted)}`);

  let stopping: Promise<void> | undefined;
  const stopServers = () =>
    (stopping ??= (async () => {
      if (!ours.length) return;
      const started = performance.now();
      await Promise.all(ours.map((server) => server.dispose()));
      log(`stopped ${ours.map((server) => server.spec.name).join(' and ')} in ${elapsed(started)}`);
    })());

  const child = spawn(command, args, { stdio: 'inherit', env });
  // The terminal sends Ctrl-C to the whole process group; a kill aimed at this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }

  const status = await new Promise<number>((resolve) => {
    child.once('error', (error) => {
      log(`could not run ${command}: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 1)));
  });
  await stopServers();

  if (missing.length && inCi()) {
    log(`FAIL: CI must test every engine against a real server, and these could not be had: ${missing.join('; ')}`);
    process.exit(status === 0 ? 1 : status);
  }
  process.exit(status);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
