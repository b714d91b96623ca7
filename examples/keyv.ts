// hashstash as a keyv store: code written for keyv (or for cacheable and cache-manager, which sit on keyv) keeps its
// API and gets lmdb, shared memory, sqlite, files, redis or mongo underneath, with hashstash's serializer and expiry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Cacheable } from 'cacheable';
import { HashStash } from 'hashstash';
import { createKeyv, KeyvHashStash } from 'hashstash/keyv';

const root = mkdtempSync(join(tmpdir(), 'hashstash-keyv-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

// createKeyv: a Keyv on a KeyvHashStash with keyv's JSON serialization off and keyv.iterator() wired.
await using store = new KeyvHashStash({ engine: 'lmdb', root, name: 'sessions' });
const keyv = createKeyv<{ user: string; since: Date; roles: Set<string> }>(store, { namespace: 'web' });
await keyv.set('session:1', { user: 'ann', since: new Date('2024-05-01T00:00:00Z'), roles: new Set(['admin']) });
const session = await keyv.get('session:1');
console.log(
  `get: ${session?.user}, since a ${session?.since.constructor.name}, roles a ${session?.roles.constructor.name}`,
);

// keyv's ttl is the engine's expiry: expired entries are hidden on every read and purgeExpired() removes them.
await keyv.set('session:2', { user: 'bo', since: new Date(), roles: new Set() }, 50);
await new Promise((resolve) => setTimeout(resolve, 80));
console.log(
  `after its ttl: ${inspect(await keyv.get('session:2'))}; purged from storage: ${await store.purgeExpired()}`,
);

for await (const [key, value] of keyv.iterator!('web') as AsyncIterable<[string, { user: string }]>)
  console.log(`iterator: ${key} -> ${value.user}`);

// The entries are an ordinary stash: one sub-stash per keyv namespace.
await using sessions = new HashStash({ engine: 'lmdb', root, name: 'sessions' });
const stash = sessions.sub('web');
console.log(`the 'web' namespace as a HashStash holds ${await stash.size()} entry`);

// cacheable (and cache-manager) take any keyv as their second layer.
const cache = new Cacheable({ secondary: createKeyv(new KeyvHashStash({ engine: 'sqlite', root, name: 'pages' })) });
await cache.set('/home', '<h1>home</h1>', '1h');
console.log(`cacheable over sqlite: ${await cache.get<string>('/home')}`);
await cache.disconnect();
