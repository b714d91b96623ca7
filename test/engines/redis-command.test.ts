import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Command, Redis } from 'ioredis';
import { HashStash } from '../../src/index.js';
import { encodeCommand } from '../../src/engines/redis/command.js';
import { stashKeyName } from '../../src/engines/redis/store.js';
import { requireServer } from '../helpers/servers.js';

/** What ioredis itself would write for the command, as bytes. */
function ioredisBytes(name: string, args: (Buffer | string)[]): Buffer {
  const written = new Command(name, args).toWritable({});
  return typeof written === 'string' ? Buffer.from(written) : written;
}

t.test('the one-pass encoding is byte for byte what ioredis writes', async (t) => {
  // Lengths at every change in the number of digits, and empty arguments.
  const lengths = [0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10_000, 99_999, 100_000, 1_048_577];
  for (const length of lengths) {
    const bytes = randomBytes(length);
    t.same(
      encodeCommand('hset', [Buffer.from('h'), bytes, bytes]),
      ioredisBytes('hset', [Buffer.from('h'), bytes, bytes]),
      `a ${length}-byte buffer`,
    );
  }
  const text = ['', 'ascii', 'naïve café', '日本語のキー', '😀 emoji', 'a'.repeat(10_000)];
  for (const value of text)
    t.same(
      encodeCommand('hget', [value, Buffer.from(value)]),
      ioredisBytes('hget', [value, Buffer.from(value)]),
      `string ${JSON.stringify(value.slice(0, 12))}`,
    );
  for (const count of [1, 8, 9, 10, 99, 100, 1000]) {
    const args = Array.from({ length: count }, (_, i) => (i % 2 ? Buffer.from(`field-${i}`) : `v${i}`));
    t.same(encodeCommand('hmget', args), ioredisBytes('hmget', args), `${count} arguments`);
  }
});

const url = requireServer(t, 'redis');

if (url) {
  t.test(
    'every engine command goes out in the one-pass encoding and honours a keyPrefix given in the URL',
    async (t) => {
      const raw = new Redis(url);
      t.teardown(() => {
        raw.disconnect();
      });
      const root = `${t.testdirName}-${process.pid}`;
      const separator = url.includes('?') ? '&' : '?';
      const stash = new HashStash({ engine: 'redis', url: `${url}${separator}keyPrefix=prefixed:`, root });
      t.teardown(() => stash.close());
      const binary = randomBytes(70_000);
      await stash.set('a', { n: 1 });
      await stash.set(binary, binary);
      await Promise.all([stash.set('b', 2), stash.set('c', 3)]);
      t.same(await stash.get('a'), { n: 1 });
      t.same(await stash.get(binary), binary);
      t.same(await Promise.all([stash.get('b'), stash.get('c'), stash.get('missing')]), [2, 3, undefined]);
      t.equal(await stash.has('c'), true);
      t.equal(await stash.delete('c'), true);
      t.equal(await stash.has('c'), false);
      const [hash] = await raw.keys(`prefixed:hashstash:*${root}*`);
      t.ok(hash, 'the stash lives under the prefix');
      t.equal(hash, `prefixed:${stashKeyName(`${root}/main/redis.hashstash.lz4`)}`);
      t.equal(await raw.hlen(hash), 3, 'a, the binary key and b; c was deleted');
      await stash.clear();
      t.equal(await raw.exists(hash), 0);
    },
  );
}
