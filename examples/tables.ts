// Records and tables: each entry as a flat record (nested fields become dotted columns, the key goes under `_key`),
// gathered into a table that prints readably, gives columns and rows, and writes CSV.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-tables-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

await using stash = new HashStash({ root, engine: 'pairtree' });
await stash.set('ann', { age: 34, address: { city: 'Lyon', zip: '69001' }, tags: ['admin'] });
await stash.set('bob', { age: 27, address: { city: 'Porto' } });
await stash.set('cy', { age: 45, address: { city: 'Oslo', zip: '0150' }, tags: [] });

const records = await stash.records();
console.log(
  'one record:',
  records.find((record) => record._key === 'bob'),
);

// Entries come in the engine's order (pairtree: by hash); sort the rows when order matters.
const table = await stash.table();
console.log(table); // the printout: first and last rows, and the shape
console.log('columns:', table.columns);
const byKey = [...table.rows].sort((a, b) => String(a._key).localeCompare(String(b._key)));
console.log('ages, sorted by key:', byKey.map((row) => `${String(row._key)} ${String(row.age)}`).join(', '));
console.log('CSV header:', table.toCSV().split('\r\n')[0]);
