// Append mode: every set of a key adds a version instead of replacing the value. get reads the latest, getAll every
// version (with its number and time on request), and a stash opened without append mode sees the latest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-append-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

await using log = new HashStash({ root, name: 'readings', appendMode: true });
const sensor = { building: 'B', room: 12 };
await log.set(sensor, { celsius: 19.5 });
await log.set(sensor, { celsius: 21 });
await log.set(sensor, { celsius: 22.5 });
await log.set('another sensor', { celsius: 18 });

console.log('get(sensor), the latest:', await log.get(sensor));
console.log('getAll(sensor), oldest first:', await log.getAll(sensor));
for (const { version, timestamp, value } of await log.getAll(sensor, { withMetadata: true })) {
  console.log(`  version ${version} at ${new Date(timestamp).toISOString()}: ${JSON.stringify(value)}`);
}
console.log('size() counts keys:', await log.size());

await using latest = new HashStash({ root, name: 'readings' });
console.log('opened without append mode, get(sensor):', await latest.get(sensor));

await log.delete(sensor);
console.log('after delete(sensor), getAll(sensor):', await log.getAll(sensor));
