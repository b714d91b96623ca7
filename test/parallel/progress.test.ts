import { PassThrough } from 'node:stream';
import t from 'tap';
import { describeProgress, ProgressDisplay, type MapProgress } from '../../src/parallel/progress.js';

const at = (finished: number, extra: Partial<MapProgress> = {}): MapProgress => ({
  total: 100,
  done: finished,
  cached: 0,
  failed: 0,
  pending: 100 - finished,
  elapsedMs: finished * 100,
  rate: 10,
  etaMs: (100 - finished) * 100,
  ...extra,
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

t.test('the counts read as done, cached, failed, total, rate and ETA', async (t) => {
  t.equal(
    describeProgress(at(40, { done: 30, cached: 8, failed: 2, etaMs: 125_000 })),
    '40/100 (done 30, cached 8, failed 2) 10.0/s ETA 2m05s',
  );
  t.equal(
    describeProgress(at(100, { rate: 0, etaMs: undefined })),
    '100/100 (done 100, cached 0, failed 0) 0.00/s ETA 0s',
  );
  t.equal(describeProgress(at(0, { rate: 0, etaMs: undefined })), '0/100 (done 0, cached 0, failed 0) 0.00/s ETA ?');
});

t.test('without a terminal: a line now and then, not one per item, and a last line', async (t) => {
  const { stream, text } = capture();
  const display = new ProgressDisplay('Mapping work', 100, { stream, tty: false, lineIntervalMs: 50 });
  for (let i = 1; i <= 99; i++) display.update(at(i));
  t.equal(text(), '', 'nothing within the first interval');
  await new Promise((resolve) => setTimeout(resolve, 60));
  display.update(at(99));
  display.update(at(99));
  display.stop(at(100));
  display.update(at(100));
  const lines = text().trim().split('\n');
  t.equal(lines.length, 2);
  t.match(lines[0], /^Mapping work: 99\/100 \(done 99/);
  t.match(lines[1], /^Mapping work: 100\/100 .* in 10s$/);
});

t.test('on a terminal: a cli-progress bar with the counts', async (t) => {
  const { stream, text } = capture();
  Object.assign(stream, { isTTY: true, columns: 200 });
  const display = new ProgressDisplay('Mapping work', 100, { stream });
  display.update(at(50, { done: 40, cached: 10 }));
  display.stop(at(100));
  const drawn = text();
  t.match(drawn, /Mapping work \|[█░]+\| 100\/100 \(done 100, cached 0, failed 0\)/);
});
