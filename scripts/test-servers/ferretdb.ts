import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { executable, findOnPath } from './executables.js';
import { elapsed, log } from './log.js';
import { freePort } from './ports.js';
import { ServerProcess } from './server-process.js';

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const READY_TIMEOUT_MS = 20_000;

/** Where the FerretDB we build is kept between runs: $XDG_CACHE_HOME (or ~/.cache)/hashstash-test-servers/. */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hashstash-test-servers');
}

export function cachedFerretDbPath(): string {
  return join(cacheDir(), `ferretdb-${FERRETDB_VERSION}`);
}

/**
 * A FerretDB binary: $FERRETDB_BIN, else the one built into the cache, else `ferretdb` on PATH when it is the
 * 1.x line (2.x dropped the SQLite handler the tests run it with).
 */
export function findFerretDb(): string | undefined {
  const chosen = executable(process.env.FERRETDB_BIN) ?? executable(cachedFerretDbPath());
  if (chosen) return chosen;
  const onPath = findOnPath('ferretdb');
  if (!onPath) return undefined;
  const version = spawnSync(onPath, ['--version'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  return /version: v1\./.test(version) ? onPath : undefined;
}

function findGo(): string | undefined {
  return findOnPath('go', ['/usr/local/go/bin', '/usr/lib/go/bin']);
}

/**
 * Builds FerretDB from its Go module source into the cache. `go install …@version` cannot be used: the module does
 * not ship build/version/version.txt (a generated file the binary reads at start-up and panics without), so the
 * source is copied out of the module cache, that file written, and the binary built from the copy.
 */
export function buildFerretDb(): { binary: string } | { reason: string } {
  const go = findGo();
  if (!go)
    return { reason: `FerretDB ${FERRETDB_VERSION} is not built yet, and building it needs Go (no \`go\` found)` };
  const started = performance.now();
  log(
    `FerretDB ${FERRETDB_VERSION} not in ${cacheDir()}: building it from source with ${go} (2-3 minutes the first time)`,
  );
  const download = spawnSync(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  let sourceDir: string | undefined;
  try {
    sourceDir = (JSON.parse(download.stdout) as { Dir?: string }).Dir;
  } catch {
    sourceDir = undefined;
  }
  if (download.status !== 0 || !sourceDir) {
    const why = (download.stdout || download.stderr || download.error?.message || '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    return { reason: `go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed: ${why}` };
  }

  mkdirSync(cacheDir(), { recursive: true });
  const buildDir = mkdtempSync(join(cacheDir(), 'build-'));
  const target = cachedFerretDbPath();
  // Built under a name of its own, then renamed: a run that finds the cached path always finds a whole binary.
  const partial = `${target}.${process.pid}.partial`;
  try {
    cpSync(sourceDir, buildDir, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', buildDir]);
    writeFileSync(join(buildDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const build = spawnSync(go, ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], {
      cwd: buildDir,
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') },
    });
    if (build.status !== 0) {
      const why = (build.stderr || build.error?.message || '').trim().split('\n').slice(-3).join(' ');
      return { reason: `go build of FerretDB ${FERRETDB_VERSION} failed: ${why}` };
    }
    renameSync(partial, target);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  log(`built ${target} in ${elapsed(started)}`);
  return { binary: target };
}

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
function accepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => finish(true));
  });
}

/** A throw-away FerretDB of our own: SQLite handler, data and state in its temp dir, a free loopback port. */
export async function createFerretDbServer(binary: string): Promise<{ server: ServerProcess; url: string }> {
  const port = await freePort();
  const server = new ServerProcess({
    name: 'ferretdb',
    binary,
    args: (dir) => {
      const data = join(dir, 'data');
      mkdirSync(data, { recursive: true });
      return [
        '--handler=sqlite',
        `--sqlite-url=file:${data}/`,
        `--listen-addr=127.0.0.1:${port}`,
        `--state-dir=${dir}`,
        '--telemetry=disable',
        '--log-level=warn',
        '--debug-addr=-',
      ];
    },
    ready: () => accepts(port),
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return { server, url: `mongodb://127.0.0.1:${port}` };
}
