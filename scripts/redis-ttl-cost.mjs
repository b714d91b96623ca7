// Where a redis write with a ttl spends its time: the stash's set with and without a ttl, the engine's set of a
// blob with and without an expiry, keyv + @keyv/redis with a ttl, and the raw commands underneath (HSET, the
// expiring write's script shape HSET+ZADD by EVALSHA, SET PX). Sequential awaited ops, median µs of 5 rounds.
// usage: npm run build && REDIS_URL=redis://127.0.0.1:6379 node scripts/redis-ttl-cost.mjs
import { HashStash } from '../dist/src/index.js';
import { encodeKey } from '../dist/src/keys/encode.js';
const { Redis } = await import('ioredis');
const { createKeyv } = await import('@keyv/redis');

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const stash = new HashStash({ engine: 'redis', url, root: 'ttl-cost', name: `run-${Date.now()}` });
const value = { name: 'cat', goodness: 'good', random: 0.4217, tags: ['a', 'b'] };
const client = new Redis(url);
const keyv = createKeyv(url, { namespace: `ttl-cost-${Date.now()}`, throwOnErrors: true });
const sha = await client.script(
  'LOAD',
  "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) return 0",
);
await stash.set('expiring', value, { ttl: '1h' });
await stash.set('plain', value);
const expiring = Buffer.from(await stash.engine.get(encodeKey('expiring')));
const plain = Buffer.from(await stash.engine.get(encodeKey('plain')));
const text = JSON.stringify(value);

const cases = {
  'stash.set, no ttl': (i) => stash.set(`k${i}`, value),
  'stash.set, ttl 1h': (i) => stash.set(`k${i}`, value, { ttl: 3_600_000 }),
  'engine.set, blob without expiry': (i) => stash.engine.set(Buffer.from(`k${i}`), plain),
  'engine.set, blob with expiry': (i) => stash.engine.set(Buffer.from(`k${i}`), expiring),
  'keyv.set, ttl 1h': (i) => keyv.set(`k${i}`, value, 3_600_000),
  'raw HSET': (i) => client.hset('ttl-cost:h', `k${i}`, text),
  'raw EVALSHA HSET+ZADD': (i) => client.evalsha(sha, 2, 'ttl-cost:h', 'ttl-cost:z', `k${i}`, text, 5),
  'raw SET PX': (i) => client.set(`ttl-cost:k${i}`, text, 'PX', 3_600_000),
};
const results = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
let n = 0;
for (let round = 0; round < 5; round++) {
  for (const [name, op] of Object.entries(cases)) {
    for (let i = 0; i < 300; i++) await op(n++);
    const start = performance.now();
    for (let i = 0; i < 4_000; i++) await op(n++);
    results[name].push(((performance.now() - start) / 4_000) * 1_000);
  }
}
for (const [name, times] of Object.entries(results))
  console.log(`${name.padEnd(34)} ${times.sort((a, b) => a - b)[2].toFixed(1)} µs`);
await client.del('ttl-cost:h', 'ttl-cost:z');
await stash.clear();
await keyv.clear();
client.disconnect();
await keyv.disconnect();
await stash.close();
