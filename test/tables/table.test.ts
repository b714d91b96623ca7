import t from 'tap';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { ColumnTable } from 'arquero';
import { ConfigError, KeyNotFoundError, Table, type ArqueroTable } from '../../src/index.js';

const sparse = () =>
  Table.fromRecords([
    { _key: 'a', x: 1 },
    { _key: 'b', y: 'why' },
    { _key: 'c', x: 3, 'z.deep': true },
  ]);

t.test('columns are the union of the records, in first-seen order, with later columns filled back', async (t) => {
  const table = sparse();
  t.same(table.columns, ['_key', 'x', 'y', 'z.deep']);
  t.equal(table.numRows, 3);
  t.equal(table.numColumns, 4);
  t.same(table.column('x'), [1, undefined, 3]);
  t.same(table.column('y'), [undefined, 'why', undefined]);
  t.same(table.column('z.deep'), [undefined, undefined, true], 'a column that first appears in the last record');
  for (const name of table.columns) t.equal(table.column(name).length, 3, `${name} has a cell per row`);
});

t.test('a missing column is a KeyNotFoundError naming it', async (t) => {
  t.throws(() => sparse().column('nope'), KeyNotFoundError);
  t.throws(() => sparse().column('nope'), /no column 'nope'.*_key, x, y, z\.deep/);
  t.equal(sparse().hasColumn('y'), true);
  t.equal(sparse().hasColumn('nope'), false);
});

t.test('rows give back the records, without the fields they lacked', async (t) => {
  const table = sparse();
  t.strictSame(table.row(1), { _key: 'b', y: 'why' });
  t.strictSame(table.row(-1), { _key: 'c', x: 3, 'z.deep': true });
  t.strictSame(table.rows, [...table]);
  t.strictSame(table.toJSON(), table.rows);
  t.throws(() => table.row(3), KeyNotFoundError);
  t.throws(() => table.row(1.5), KeyNotFoundError);
});

t.test('an empty table', async (t) => {
  const table = Table.fromRecords([]);
  t.same(table.columns, []);
  t.equal(table.numRows, 0);
  t.equal(String(table), 'Empty table\n[0 rows × 0 columns]');
  t.equal(table.toCSV(), '\r\n');
});

t.test('the printout shows the head and tail rows, the column names and the shape', async (t) => {
  const table = Table.fromRecords(
    Array.from({ length: 200 }, (_, i) => ({ _key: `k${i}`, n: i, ...(i === 150 ? { late: 'yes' } : {}) })),
  );
  const text = inspect(table);
  t.equal(text, String(table), 'console.log shows the same printout');
  const lines = text.split('\n');
  t.match(lines[0], /^\s+_key\s+n\s+late$/);
  t.match(lines[1], /^0\s+k0\s+0$/);
  t.match(lines[5], /^4\s+k4\s+4$/);
  t.match(lines[6], /^…\s+…\s+…\s+…$/);
  t.match(lines[7], /^195\s+k195\s+195$/);
  t.match(lines[11], /^199\s+k199\s+199$/);
  t.equal(lines[12], '[200 rows × 3 columns]');
  t.equal(lines.length, 13);
  t.equal(lines[1].length, lines[11].length, 'numbers are right-aligned: 0 ends where 199 does');
});

t.test('printout options: all rows, few columns, short cells; control characters escaped', async (t) => {
  const table = Table.fromRecords([{ a: 'x'.repeat(50), b: 'two\nlines', c: 1, d: [1, 2, 3] }]);
  const text = table.toString({ maxColumns: 2, maxWidth: 10 });
  t.match(text, /xxxxxxxxx…/);
  t.notMatch(text, /two/, 'b is elided with the middle columns');
  t.match(text.split('\n')[0], /a\s+…\s+d/);
  t.match(table.toString(), /two\\nlines/);
  t.throws(() => table.toString({ maxRows: 0 }), ConfigError);
});

t.test('CSV follows RFC 4180: header, CRLF, quotes only where needed, quotes doubled', async (t) => {
  const table = Table.fromRecords([
    { name: 'plain', note: 'a, b', n: 1 },
    { name: 'say "hi"', note: 'line1\nline2', n: 2.5 },
    { name: 'cr\r', flag: true, big: 12n },
  ]);
  t.equal(
    table.toCSV(),
    ['name,note,n,flag,big', 'plain,"a, b",1,,', '"say ""hi""","line1\nline2",2.5,,', '"cr\r",,,true,12', ''].join(
      '\r\n',
    ),
  );
});

t.test('CSV cells: empty for missing and null, ISO dates, JSON for arrays and objects', async (t) => {
  const table = Table.fromRecords([
    { a: null, d: new Date(0), arr: [1, 'x', 2n], obj: { k: 'v' }, m: new Map([[1, 2]]) },
  ]);
  const [, row] = table.toCSV().split('\r\n');
  t.equal(row, ',1970-01-01T00:00:00.000Z,"[1,""x"",""2""]","{""k"":""v""}",Map(1) { 1 => 2 }');
});

t.test('a column name that needs quoting is quoted in the header', async (t) => {
  t.equal(Table.fromRecords([{ 'a,b': 1 }]).toCSV(), '"a,b"\r\n1\r\n');
});

t.test('writeCSV streams the same text, waiting for drain', async (t) => {
  const table = Table.fromRecords(
    Array.from({ length: 20_000 }, (_, i) => ({ _key: i, text: `row "${i}", with a comma` })),
  );
  const chunks: string[] = [];
  let drains = 0;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      setImmediate(done);
    },
  });
  stream.on('drain', () => drains++);
  await table.writeCSV(stream);
  t.equal(chunks.join(''), table.toCSV());
  t.ok(drains > 0, 'the stream was given time to drain');
  t.ok(chunks.length > 1, 'written in several chunks');
});

t.test('writeCSV rejects when the stream fails', async (t) => {
  const table = Table.fromRecords(Array.from({ length: 20_000 }, (_, i) => ({ i })));
  const stream = new Writable({
    highWaterMark: 16,
    write(_chunk, _encoding, done) {
      setImmediate(() => done(new Error('disk full')));
    },
  });
  await t.rejects(table.writeCSV(stream), /disk full|closed/);
});

t.test('writeCSV rejects at once, naming why, on a stream destroyed or ended beforehand', async (t) => {
  const table = Table.fromRecords(Array.from({ length: 20_000 }, (_, i) => ({ i })));
  const sink = () =>
    new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, done) {
        setImmediate(done);
      },
    });
  const destroyed = sink();
  destroyed.destroy();
  await new Promise((resolve) => destroyed.once('close', resolve)); // its last event is gone: nothing would wake a waiter
  await t.rejects(table.writeCSV(destroyed), /the stream was destroyed/);
  const ended = sink();
  ended.end();
  await t.rejects(table.writeCSV(ended), /the stream was ended/);
});

t.test('toArquero gives an arquero table with the same columns, order and cells', async (t) => {
  const table = sparse();
  const aq = await table.toArquero();
  t.same(aq.columnNames(), ['_key', 'x', 'y', 'z.deep']);
  t.equal(aq.numRows(), 3);
  t.equal(aq.numCols(), 4);
  t.same(aq.array('x'), [1, undefined, 3]);
  t.same(aq.objects()[1], { _key: 'b', x: undefined, y: 'why', 'z.deep': undefined });
  t.equal(aq.toCSV().split('\n')[0], '_key,x,y,z.deep');
});

t.test(
  "toArquero's own type is a part of arquero's: the cast the docs advise compiles, and arquero's methods work",
  async (t) => {
    // Compiles only while arquero's ColumnTable has every method ArqueroTable names, with compatible types.
    const fits: (table: ColumnTable) => ArqueroTable = (table) => table;
    const aq = (await sparse().toArquero()) as ColumnTable;
    t.equal(fits(aq).numRows(), 3);
    t.same(aq.filter((d: { x: unknown }) => d.x === 3).array('_key'), ['c'], 'a verb our type does not name');
  },
);
