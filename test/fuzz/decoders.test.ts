import t from 'tap';
import { makeCase, TARGETS } from '../../scripts/fuzz/cases.js';
import { buildCorpus } from '../../scripts/fuzz/corpus.js';
import { formatFailures, formatTally } from '../../scripts/fuzz/report.js';
import { classify, runFuzz } from '../../scripts/fuzz/runner.js';
import { DecodeError, SerializationError } from '../../src/errors.js';

// Fixed, so that a failure here is input SEED/index, replayable with `npm run fuzz -- --seed 20251202 --replay <index>`.
const SEED = 20251202;
const INPUTS = 10_000;

t.test(
  `${INPUTS} corrupt inputs through every entry point that decodes: DecodeError or a value it may give, nothing else`,
  async (t) => {
    const tally = await runFuzz({ seed: SEED, count: INPUTS });
    t.comment(formatTally(tally));
    if (tally.failures.length > 0) t.comment(`first failing inputs:\n${formatFailures(tally.failures)}`);
    t.equal(tally.inputs, INPUTS);
    t.equal(tally.outcomes.untyped, 0, 'no error but DecodeError');
    t.equal(tally.outcomes.wrong, 0, 'no other value from a blob whose crc32 is as written');
    t.equal(tally.outcomes.hang, 0, 'no input takes a second of CPU');
    for (const target of TARGETS) {
      const counts = tally.byTarget[target];
      t.ok(
        counts['decode-error'] > 0 && counts.same + counts.unchecked > 0,
        `${target}: reached, both refusing and reading`,
      );
    }
  },
);

t.test('the harness tells each outcome apart', async (t) => {
  const made = { original: { value: { a: 1 } }, crcChecked: true };
  t.equal(classify(made, { error: new DecodeError('corrupt') }), 'decode-error');
  t.equal(classify(made, { error: new TypeError('x is undefined') }), 'untyped');
  t.equal(
    classify(made, { error: new SerializationError('not while reading', '$') }),
    'untyped',
    'another HashStashError is not the right one',
  );
  t.equal(classify(made, { value: { a: 1 } }), 'same');
  t.equal(classify(made, { value: { a: 2 } }), 'wrong', 'another value past an intact crc32');
  t.equal(classify({ crcChecked: true }, { value: null }), 'wrong', 'any value from random bytes past an intact crc32');
  t.equal(
    classify({ ...made, crcChecked: false }, { value: { a: 2 } }),
    'unchecked',
    'another value where nothing checks',
  );
  t.equal(
    classify({ ...made, otherOriginal: { value: { b: 2 } } }, { value: { b: 2 } }),
    'same',
    'a splice that is the other sample whole',
  );
});

t.test('an input depends on the seed and its index only, so it can be replayed alone', async (t) => {
  const corpus = buildCorpus();
  const first = makeCase(corpus, SEED, 4321);
  const again = makeCase(buildCorpus(), SEED, 4321);
  t.equal(Buffer.from(again.bytes).toString('hex'), Buffer.from(first.bytes).toString('hex'));
  t.strictSame(
    [again.target, again.settings, again.mutation, again.source],
    [first.target, first.settings, first.mutation, first.source],
  );
  const others = [makeCase(corpus, SEED + 1, 4321), makeCase(corpus, SEED, 4322)];
  t.ok(
    others.every((other) => Buffer.compare(other.bytes, first.bytes) !== 0),
    'another seed or index gives another input',
  );
});
