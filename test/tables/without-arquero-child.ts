/**
 * A child process for without-arquero.test.ts: with `arquero` made unresolvable, it loads hashstash, builds and prints
 * a table from a stash, and prints one line of JSON saying what worked and what `toArquero()` threw.
 */
import { register } from 'node:module';

register(new URL('./no-arquero-hooks.js', import.meta.url));
const { HashStash, UnsupportedError } = await import('../../src/index.js');
const stash = new HashStash({ root: process.argv[2]!, engine: 'memory' });
await stash.set('k', { a: { b: 1 } });
const table = await stash.table();
const report: Record<string, unknown> = { printout: String(table), csv: table.toCSV() };
try {
  await table.toArquero();
  report.toArquero = 'no error';
} catch (error) {
  report.toArquero = { unsupported: error instanceof UnsupportedError, message: (error as Error).message };
}
process.stdout.write(`${JSON.stringify(report)}\n`);
