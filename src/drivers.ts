import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DriverMissingError } from './errors.js';

/**
 * The libraries hashstash loads on first use, and the one way it loads them: storage drivers, the lz4 codec, the
 * parser stash.map checks closures with, the progress bar, arquero. Each entry says what needs the library and which
 * versions hashstash is tested with: package.json's dependencies and optional peerDependencies declare the same
 * ranges (test/drivers.test.ts holds them equal). Ranges are carets on a major version >= 1, all we need.
 */
export const DRIVERS = {
  lmdb: { neededBy: 'the lmdb engine', range: '^3.5.6' },
  'lz4-napi': { neededBy: 'the lz4 codec', range: '^2.10.0' },
  'better-sqlite3': { neededBy: 'the sqlite engine', range: '^12.0.0' },
  ioredis: { neededBy: 'the redis engine', range: '^5.3.0' },
  mongodb: { neededBy: 'the mongo engine', range: '^6.17.0' },
  acorn: { neededBy: 'stash.map', range: '^8.19.0' },
  'acorn-walk': { neededBy: 'stash.map', range: '^8.3.5' },
  'cli-progress': { neededBy: "stash.map's progress bar", range: '^3.12.0' },
  arquero: { neededBy: 'table.toArquero()', range: '^7.2.1' },
  bullmq: { neededBy: "stash.map's queue option and hashstash worker", range: '^6.7.6' },
} as const satisfies Record<string, { neededBy: string; range: `^${number}.${number}.${number}` }>;

export type DriverName = keyof typeof DRIVERS;

const here = import.meta.url;
const checked = new Set<string>();
const loaded = new Map<DriverName, unknown>();

/**
 * Throws a DriverMissingError unless `name` is installed where `from` (a file URL) would load it from, in a version
 * of its range. Reads only the library's package.json, so an engine calls this when a stash is built, and a missing
 * driver fails there, before any connection or file is opened; the library itself loads on first use.
 */
export function checkDriver(name: DriverName, from: string = here): void {
  const key = `${name}\0${from}`;
  if (checked.has(key)) return;
  const version = installedVersion(name, from);
  const { neededBy, range } = DRIVERS[name];
  if (version === undefined) {
    throw missing(name, `${neededBy} needs ${name}, which is not installed`, undefined);
  }
  if (!satisfies(version, range)) {
    throw missing(name, `${neededBy} needs ${name} ${describeRange(range)}, found ${version}`, version);
  }
  checked.add(key);
}

/** The library, loaded once (synchronously: every one of them can be `require`d), after checkDriver. */
export function loadDriver<T>(name: DriverName): T {
  if (loaded.has(name)) return loaded.get(name) as T;
  checkDriver(name);
  let library: T;
  try {
    library = createRequire(here)(name) as T;
  } catch (error) {
    throw driverDidNotLoad(name, error);
  }
  loaded.set(name, library);
  return library;
}

/** For a library that is installed in a right version but fails as it loads (a native addon built for another Node). */
export function driverDidNotLoad(name: DriverName, cause: unknown): DriverMissingError {
  const version = installedVersion(name, here);
  const reason = (cause as Error)?.message ?? String(cause);
  return missing(
    name,
    `${DRIVERS[name].neededBy} needs ${name}, and ${name} ${version} is installed but did not load (${reason}); ` +
      `reinstall it`,
    version,
    cause,
  );
}

function missing(name: DriverName, message: string, found: string | undefined, cause?: unknown): DriverMissingError {
  const install = `npm i ${name}@${majorOf(DRIVERS[name].range)}`;
  return new DriverMissingError(
    `${message}: ${install}`,
    { driver: name, neededBy: DRIVERS[name].neededBy, found, install },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The version of the `name` package that `require` from `from` finds, or undefined when there is none. Its folder is
 * looked up along the same node_modules folders `require` searches, not through `require.resolve`: some packages'
 * `exports` hide their package.json (lmdb, lz4-napi), and an ES-only one has no entry `require.resolve` accepts.
 */
export function installedVersion(name: string, from: string): string | undefined {
  for (const folder of createRequire(from).resolve.paths(name) ?? []) {
    let text: string;
    try {
      text = readFileSync(join(folder, name, 'package.json'), 'utf8');
    } catch {
      continue;
    }
    let version: unknown;
    try {
      version = (JSON.parse(text) as { version?: unknown }).version;
    } catch {
      return 'an unreadable package.json';
    }
    return typeof version === 'string' ? version : 'a package.json without a version';
  }
  return undefined;
}

const numbers = (version: string): number[] | undefined => {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return match ? match.slice(1).map(Number) : undefined;
};

const majorOf = (range: string): number => numbers(range.slice(1))![0];

/** Whether `version` is in the caret range `^M.m.p`: major M, and at least M.m.p. A prerelease counts as its release. */
export function satisfies(version: string, range: `^${string}`): boolean {
  const found = numbers(version);
  const least = numbers(range.slice(1))!;
  if (!found || found[0] !== least[0]) return false;
  for (let i = 1; i < 3; i++) if (found[i] !== least[i]) return found[i] > least[i];
  return true;
}

/** `^12.0.0` → "12.x", `^3.5.6` → "3.x from 3.5.6". */
function describeRange(range: string): string {
  const [major, minor, patch] = numbers(range.slice(1))!;
  return minor === 0 && patch === 0 ? `${major}.x` : `${major}.x from ${range.slice(1)}`;
}
