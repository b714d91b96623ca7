import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const child = fileURLToPath(new URL('./without-arquero-child.js', import.meta.url));

t.test('without arquero installed, tables work and toArquero() says what to install', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [child, t.testdir()]);
  const report = JSON.parse(stdout);
  t.match(report.printout, /a\.b/);
  t.equal(report.csv, '_key,a.b\r\nk,1\r\n');
  t.same(report.toArquero, { unsupported: true, message: 'table.toArquero() needs the arquero package: install it with `npm install arquero`' });
});
