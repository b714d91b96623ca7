import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { executable, findOnPath } from './executables.js';
import { elapsed, log } from './log.js';
import { freePort } from './ports.js';
import { ServerProcess } from './server-process.js';

const SYSTEM_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];
const READY_TIMEOUT_MS = 10_000;

/** `redis-server`: $REDIS_SERVER_BIN, else PATH, else the usual system folders. */
export function findRedisServer(): string | undefined {
  return executable(process.env.REDIS_SERVER_BIN) ?? findOnPath('redis-server', SYSTEM_DIRS);
}

/**
 * Installs Debian's redis-server with apt-get (root only), refreshing the package lists first if the install fails
 * without them. Returns the binary, or the reason it could not be had.
 */
export function installRedisServer(): { binary: string } | { reason: string } {
  if (process.getuid?.() !== 0)
    return { reason: 'redis-server is not installed, and installing it with apt-get needs root' };
  const aptGet = findOnPath('apt-get', SYSTEM_DIRS);
  if (!aptGet) return { reason: 'redis-server is not installed, and there is no apt-get to install it' };
  const started = performance.now();
  log('redis-server not found: apt-get install -y redis-server');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync(aptGet, ['install', '-y', '--no-install-recommends', 'redis-server'], { env, encoding: 'utf8' });
  let result = install();
  if (result.status !== 0) {
    log('apt-get install failed; apt-get update, then again');
    spawnSync(aptGet, ['update'], { env, encoding: 'utf8' });
    result = install();
  }
  if (result.status !== 0) {
    const why = (result.stderr || result.error?.message || '').trim().split('\n').pop();
    return { reason: `apt-get install redis-server failed${why ? `: ${why}` : ''}` };
  }
  const binary = findRedisServer();
  if (!binary)
    return { reason: `apt-get installed redis-server, but no redis-server is on PATH or in ${SYSTEM_DIRS.join(', ')}` };
  log(`installed ${binary} in ${elapsed(started)}`);
  return { binary };
}

/** True when a Redis server on 127.0.0.1:`port` answers PING with PONG. */
export function redisAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

export interface RedisServerOptions {
  binary: string;
  /** `proto-max-bulk-len`: the largest string the server accepts ("1mb" is Redis's smallest). */
  maxBulkLen?: string;
  /** TLS only (no plain port), with this certificate and key (PEM files); clients are not asked for certificates. */
  tls?: { readonly certFile: string; readonly keyFile: string };
  /** `requirepass`: the default user's password. */
  password?: string;
}

/** True when a TLS Redis server on 127.0.0.1:`port` takes a TLS handshake with `ca` (PEM) trusted. */
function tlsRedisAnswers(port: number, ca: Buffer, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('secureConnect', () => finish(true));
  });
}

/** A throw-away redis-server of our own on a free loopback port: nothing saved, temp dir for everything. */
export async function createRedisServer(options: RedisServerOptions): Promise<{ server: ServerProcess; url: string }> {
  const port = await freePort();
  const { tls, password } = options;
  const server = new ServerProcess({
    name: 'redis',
    binary: options.binary,
    args: (dir) => [
      ...(tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--tls-cert-file',
            tls.certFile,
            '--tls-key-file',
            tls.keyFile,
            '--tls-ca-cert-file',
            tls.certFile,
            '--tls-auth-clients',
            'no',
          ]
        : ['--port', String(port)]),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--logfile',
      '',
      ...(options.maxBulkLen ? ['--proto-max-bulk-len', options.maxBulkLen] : []),
      ...(password ? ['--requirepass', password] : []),
    ],
    ready: () => (tls ? tlsRedisAnswers(port, readFileSync(tls.certFile)) : redisAnswers(port)),
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return { server, url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}` };
}
