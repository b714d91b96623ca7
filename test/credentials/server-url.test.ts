import t from 'tap';
import { ConfigError, HashStash } from '../../src/index.js';
import { checkServerUrl, hasPassword, redactUrl, warnOnPlaintextPassword } from '../../src/server-url.js';

const CANARY = 'c4n4ry-Pa55';

t.test('a URL is shown with its password as ***, user, hosts, path and query kept', async (t) => {
  t.equal(redactUrl(`redis://:${CANARY}@host:6379/0`), 'redis://:***@host:6379/0');
  t.equal(redactUrl(`redis://user:${CANARY}@host:6379/0`), 'redis://user:***@host:6379/0');
  t.equal(
    redactUrl(`rediss://default:${CANARY}@cache.example.com:6380`),
    'rediss://default:***@cache.example.com:6380',
  );
  t.equal(
    redactUrl(`mongodb://app:${CANARY}@h1:27017,h2:27018/db?replicaSet=rs0&authSource=admin`),
    'mongodb://app:***@h1:27017,h2:27018/db?replicaSet=rs0&authSource=admin',
  );
  t.equal(
    redactUrl(`mongodb+srv://app:${CANARY}@cluster0.abcde.mongodb.net/db?retryWrites=true`),
    'mongodb+srv://app:***@cluster0.abcde.mongodb.net/db?retryWrites=true',
  );
  t.equal(redactUrl(`redis://host:6379/0?password=${CANARY}&db=1`), 'redis://host:6379/0?password=***&db=1');
  t.equal(redactUrl('redis://host:6379'), 'redis://host:6379', 'no credentials: as written');
  t.equal(redactUrl('redis://user@host'), 'redis://user@host', 'a user without a password is shown');
  t.equal(
    redactUrl(`redis://:pa@ss/w${CANARY}@host:1`),
    'redis://:***@host:1',
    "a password holding '@' and '/' is masked whole",
  );
  t.notMatch(redactUrl(`not a url user:${CANARY}@host`), CANARY);
  t.notMatch(redactUrl(`//x:${CANARY}@host`), CANARY);
  t.notMatch(redactUrl(`redis:/u:${CANARY}@h`), CANARY);
});

t.test('hasPassword sees a password in the user part or the query', async (t) => {
  t.equal(hasPassword(`redis://:${CANARY}@h`), true);
  t.equal(hasPassword(`redis://h?password=${CANARY}`), true);
  t.equal(hasPassword('redis://user@h'), false);
  t.equal(hasPassword('redis://h'), false);
});

t.test('a malformed server URL is a ConfigError that shows it redacted', async (t) => {
  const bad = [
    `http://u:${CANARY}@h:6379`,
    `redis://u:${CANARY}@`,
    `redis://u:${CANARY}@h:99999`,
    `redis://u:${CANARY}@h:port`,
    `redis//u:${CANARY}@h`,
    `redis://u:${CANARY}@h1,h2`,
  ];
  for (const url of bad) {
    const error = t.throws(() => checkServerUrl(url, 'redis', ['redis', 'rediss'])) as Error;
    t.ok(error instanceof ConfigError, `${redactUrl(url)}: ConfigError`);
    t.notMatch(error.message, CANARY, 'the message has no password');
    t.match(error.message, /\*\*\*|redis/);
  }
  t.throws(() => checkServerUrl(`mongodb+srv://u:${CANARY}@h:27017/db`, 'mongo', ['mongodb', 'mongodb+srv']), {
    name: 'ConfigError',
    message: /without a port/,
  });
  t.throws(() => checkServerUrl(`mongodb+srv://u:${CANARY}@h1,h2/db`, 'mongo', ['mongodb', 'mongodb+srv']), {
    name: 'ConfigError',
    message: /one host/,
  });
  checkServerUrl(`mongodb+srv://u:${CANARY}@cluster0.example.net/db?retryWrites=true`, 'mongo', [
    'mongodb',
    'mongodb+srv',
  ]);
  checkServerUrl(`mongodb://u:${CANARY}@[::1]:27017,h2/db`, 'mongo', ['mongodb', 'mongodb+srv']);
  for (const [engine, url] of [
    ['redis', `redis:/u:${CANARY}@h`],
    ['mongo', `mongodb://u:${CANARY}@h:0x1/db`],
  ] as const) {
    try {
      new HashStash({ engine, url });
      t.fail('the constructor accepted a malformed URL');
    } catch (error) {
      t.ok(error instanceof ConfigError, `new HashStash({ engine: '${engine}', url: <malformed> }): ConfigError`);
      t.notMatch((error as Error).message, CANARY);
    }
  }
});

t.test(
  'a password sent without TLS to another machine warns once per host, naming the host and not the password',
  async (t) => {
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on('warning', listen);
    t.teardown(() => {
      process.off('warning', listen);
    });
    warnOnPlaintextPassword(`redis://:${CANARY}@db.example.com:6379`);
    warnOnPlaintextPassword(`redis://:${CANARY}@db.example.com:6379/1`);
    warnOnPlaintextPassword(`redis://:${CANARY}@127.0.0.1:6379`);
    warnOnPlaintextPassword(`redis://:${CANARY}@localhost:6379`);
    warnOnPlaintextPassword(`rediss://:${CANARY}@tls.example.com:6380`);
    warnOnPlaintextPassword('redis://nopassword.example.com:6379');
    warnOnPlaintextPassword(`mongodb://u:${CANARY}@m1.example.com,m2.example.com/db`);
    warnOnPlaintextPassword(`mongodb://u:${CANARY}@m3.example.com/db?tls=true`);
    warnOnPlaintextPassword(`mongodb+srv://u:${CANARY}@cluster.example.net/db`);
    await new Promise((resolve) => setImmediate(resolve));
    const hosts = warnings.map((warning) => /host '([^']+)'/.exec(warning.message)?.[1]);
    t.same(
      hosts,
      ['db.example.com', 'm1.example.com', 'm2.example.com'],
      'one warning per plaintext host, none for loopback or TLS',
    );
    for (const warning of warnings) {
      t.notMatch(warning.message, CANARY);
      t.equal((warning as Error & { code?: string }).code, 'HASHSTASH_PLAINTEXT_PASSWORD');
    }
  },
);
