/**
 * `rediss://` end to end: a redis-server of the test's own, TLS only, with a throw-away self-signed certificate made
 * here by openssl and a password; a child process trusts the certificate the way a user would (NODE_EXTRA_CA_CERTS)
 * and takes its URL from REDIS_URL, so the password appears in neither code nor options.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findOnPath } from '../../scripts/test-servers/executables.js';
import { privateServerSkip, startRedis } from '../helpers/servers.js';

t.setTimeout(120_000);

const PASSWORD = 'tls-Canary-31ad';
const openssl = findOnPath('openssl', ['/usr/bin', '/usr/local/bin']);
const skip = privateServerSkip('redis') || (!openssl && 'no openssl to make a throw-away certificate');
const indexUrl = new URL('../../src/index.js', import.meta.url).href;

const child = `
  const { HashStash } = await import(${JSON.stringify(indexUrl)});
  const stash = new HashStash({ root: process.argv[1], name: 'tls', engine: 'redis' });
  try {
    await stash.set({ over: 'tls' }, [1, 2, 3]);
    const back = await stash.get({ over: 'tls' });
    console.log(JSON.stringify({ back, shown: stash.toJSON().url }));
  } catch (error) {
    console.log(JSON.stringify({ error: error.name, message: error.message }));
  } finally {
    await stash.close();
  }
`;

function runChild(
  env: Record<string, string>,
  root: string,
): { back?: unknown; shown?: string; error?: string; message?: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', child, root], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ReturnType<typeof runChild>;
  } catch {
    throw new Error(`child printed no result (status ${run.status}): ${run.stdout}\n${run.stderr}`);
  }
}

t.test('rediss:// with a password, from REDIS_URL, against a TLS-only server', { skip }, async (t) => {
  const dir = t.testdir();
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const made = spawnSync(
    openssl!,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  t.equal(made.status, 0, made.status === 0 ? 'openssl made a certificate' : `openssl failed: ${made.stderr}`);
  const server = await startRedis({ tls: { certFile, keyFile }, password: PASSWORD });
  t.teardown(() => server.dispose());
  t.match(server.url, /^rediss:\/\/127\.0\.0\.1:\d+$/);
  const url = server.url.replace('rediss://', `rediss://:${PASSWORD}@`);
  const root = join(dir, 'root');

  const ok = runChild({ REDIS_URL: `${url}/0`, NODE_EXTRA_CA_CERTS: certFile }, root);
  t.same(ok.back, [1, 2, 3], 'a value goes over TLS and comes back');
  t.equal(
    ok.shown,
    `${server.url.replace('rediss://', 'rediss://:***@')}/0`,
    'the URL from the environment is shown redacted',
  );

  const untrusted = runChild({ REDIS_URL: `${url}/0`, NODE_EXTRA_CA_CERTS: '' }, root);
  t.equal(
    untrusted.error,
    'EngineUnavailableError',
    'a certificate the process does not trust: EngineUnavailableError',
  );
  t.notMatch(untrusted.message ?? '', PASSWORD);

  const plain = runChild(
    { REDIS_URL: `${url.replace('rediss://', 'redis://')}/0`, NODE_EXTRA_CA_CERTS: certFile },
    root,
  );
  t.equal(plain.error, 'EngineUnavailableError', 'redis:// to a TLS-only port: EngineUnavailableError, not a hang');
  t.notMatch(plain.message ?? '', PASSWORD);
});
