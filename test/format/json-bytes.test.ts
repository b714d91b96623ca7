import t from 'tap';
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { DecodeError } from '../../src/errors.js';
import {
  MIN_BYTES,
  NOT_PARSED,
  parseJsonBytes,
  parseSmallJsonBytes,
  SMALL_MAX_BYTES,
} from '../../src/format/json-bytes.js';
import { hashstashSerializer } from '../../src/serializers/hashstash.js';

const long = (chars: number, unit = 'abc def ') => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
const bytesOf = (text: string) => Buffer.from(text, 'utf8');

/** What JSON.parse makes of the text, or 'throws'. */
function reference(text: string): unknown {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return 'throws';
  }
}

/** parseJsonBytes agrees with JSON.parse: the same value, or NOT_PARSED (then JSON.parse decides). */
function agrees(text: string, padTo = 0): boolean {
  const body = bytesOf(text);
  // Inside a larger buffer, as the format layer passes a blob's body.
  const framed = Buffer.concat([Buffer.from('xx'), body, Buffer.from('yy')]);
  const got = parseJsonBytes(framed, 2, 2 + body.length);
  const want = reference(text);
  if (got === NOT_PARSED) return true;
  if (want === 'throws') return false;
  void padTo;
  return (
    isDeepStrictEqual(got, (want as { value: unknown }).value) &&
    Object.getPrototypeOf(got) === Object.getPrototypeOf((want as { value: unknown }).value)
  );
}

t.test('the large record: parsed from the bytes, equal to JSON.parse', async (t) => {
  const record = { name: 'text-1', text: long(100_000) };
  const text = JSON.stringify(record);
  const got = parseJsonBytes(bytesOf(text), 0, Buffer.byteLength(text));
  t.not(got, NOT_PARSED, 'handled without JSON.parse');
  t.same(got, record);
  t.ok(agrees(text));
});

t.test('short text is left to JSON.parse', async (t) => {
  t.equal(parseJsonBytes(bytesOf('{"a":1}'), 0, 7), NOT_PARSED);
});

t.test('strings: every length around the scanner widths, ASCII and not, and where the string ends', async (t) => {
  for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 40_000]) {
    for (const unit of ['ab ', 'é', '日本', '😀', 'a\u0001', 'q"', 'b\\', '\uFFFD']) {
      const value = [long(length, unit), long(MIN_BYTES, 'x')];
      const text = JSON.stringify(value);
      t.ok(agrees(text), `${length} × ${JSON.stringify(unit)}`);
      const got = parseJsonBytes(bytesOf(text), 0, Buffer.byteLength(text));
      // JSON.stringify escapes quotes, backslashes, control characters and lone surrogates (a cut emoji): the rest is ours.
      if (!text.includes('\\')) t.not(got, NOT_PARSED, `no escape: parsed (${length} × ${JSON.stringify(unit)})`);
    }
  }
});

t.test(
  'invalid text is never a value: raw control characters, bad UTF-8, bad numbers and words, trailing bytes',
  async (t) => {
    const pad = long(MIN_BYTES);
    const bad = [
      `["${pad}\u0001"]`,
      `["${pad}\n"]`,
      `["${pad}`,
      `["${pad}"`,
      `["${pad}"]x`,
      `["${pad}",]`,
      `{"a":"${pad}",}`,
      `["${pad}", 01]`,
      `["${pad}", 1.]`,
      `["${pad}", -]`,
      `["${pad}", 1e]`,
      `["${pad}", +1]`,
      `["${pad}", .5]`,
      `["${pad}", tru]`,
      `["${pad}", nul]`,
      `["${pad}", True]`,
      `{"${pad}" 1}`,
      `{1:"${pad}"}`,
      `\uFEFF["${pad}"]`,
      `["${pad}"]\u00a0`,
      `['${pad}']`,
    ];
    for (const text of bad)
      t.equal(
        parseJsonBytes(bytesOf(text), 0, Buffer.byteLength(text)),
        NOT_PARSED,
        JSON.stringify(text.slice(0, 12) + '…' + text.slice(-6)),
      );
    // Invalid UTF-8 inside a long string.
    const invalid = Buffer.concat([
      Buffer.from(`["${pad}`),
      Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]),
      Buffer.from('"]'),
    ]);
    t.equal(parseJsonBytes(invalid, 0, invalid.length), NOT_PARSED);
    t.throws(() => hashstashSerializer.deserialize(invalid), DecodeError);
  },
);

t.test('values: numbers, words, nesting, whitespace, keys as JSON.parse reads them', async (t) => {
  const pad = long(MIN_BYTES);
  const texts = [
    `{"n":-0,"z":0,"i":123456789012345678901234567890,"f":-1.5e-7,"e":1E+400,"t":true,"f2":false,"u":null,"s":"${pad}"}`,
    ` \t\r\n{ "a" : [ 1 , 2 , { } , [ ] ] , "s" : "${pad}" } \n`,
    `{"2":1,"1":2,"b":3,"a":4,"s":"${pad}","a":5}`,
    `{"__proto__":{"polluted":1},"s":"${pad}"}`,
    `"${pad}"`,
    `[${Array.from({ length: 100 }, (_, i) => i).join(',')},"${pad}"]`,
    `${'['.repeat(40)}"${pad}"${']'.repeat(40)}`,
  ];
  for (const text of texts) t.ok(agrees(text), JSON.stringify(text.slice(0, 30)));
  const proto = `{"__proto__":{"polluted":1},"s":"${pad}"}`;
  t.equal(parseJsonBytes(bytesOf(proto), 0, Buffer.byteLength(proto)), NOT_PARSED, '"__proto__" goes to JSON.parse');
  t.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

t.test('property: any JSON value with a long string in it reads as JSON.parse reads it', async (t) => {
  const pad = long(MIN_BYTES);
  fc.assert(
    fc.property(fc.jsonValue(), fc.string(), (value, extra) => {
      const text = JSON.stringify([value, extra, pad]);
      return agrees(text);
    }),
    { numRuns: 300 },
  );
  t.pass('300 values');
});

t.test('deserialize of a large value reads the same through either path', async (t) => {
  const value = { name: 'text-1', text: long(100_000, 'wörds and words '), list: [1, 2, 3], nested: { a: null } };
  t.same(hashstashSerializer.deserialize(hashstashSerializer.serialize(value)), value);
});

/** parseSmallJsonBytes agrees with JSON.parse: the same value (-0 included), or NOT_PARSED where JSON.parse throws. */
function smallAgrees(text: string): boolean {
  const body = bytesOf(text);
  const framed = Buffer.concat([Buffer.from('head'), body, Buffer.from('"tail')]);
  const got = parseSmallJsonBytes(framed, 4, 4 + body.length);
  const want = reference(text);
  if (got === NOT_PARSED)
    return (
      want === 'throws' || text.includes('__proto__') || body.length > SMALL_MAX_BYTES || /^\s*(\[|\{){33}/.test(text)
    );
  if (want === 'throws') return false;
  return isDeepStrictEqual(got, (want as { value: unknown }).value);
}

t.test('small text: the small record and its relatives read as JSON.parse reads them', async (t) => {
  const texts = [
    '{"name":"cat","goodness":"good","random":0.29782469314310034,"tags":["a","b"]}',
    '{"name":"cat","goodness":"good","random":0.5,"tags":["a","b"]}',
    '{"a":"line\\none\\ttab \\"quoted\\" \\\\ \\u00e9 \\ud83d\\ude00 \\/","b":"é日本😀","c":""}',
    '[0,-0,1,-1,0.1,-0.1,1e3,1E-3,-1.5e+10,123456789012345678,9007199254740993,0.1234567890123456789,5e-324,1.7976931348623157e308,1e400]',
    '[true,false,null,[],{},[[]],{"a":{}}]',
    ' \t\n\r{ "a" : 1 , "b" : [ 1 , 2 ] } \n',
    '{"2":1,"1":2,"b":3,"a":4,"a":5}',
    '"just a string"',
    '"é"',
    '12',
    '-0',
    'true',
    'null',
    '""',
    '{"\\u0041":1,"A":2,"é":3}',
  ];
  for (const text of texts) t.ok(smallAgrees(text), text);
  const record = parseSmallJsonBytes(bytesOf(texts[0]), 0, Buffer.byteLength(texts[0]));
  t.not(record, NOT_PARSED, 'the small record is read here');
  const zero = parseSmallJsonBytes(bytesOf('-0'), 0, 2);
  t.ok(Object.is(zero, -0), '-0 stays -0');
});

t.test('small text: invalid text is never a value', async (t) => {
  const bad = [
    '',
    ' ',
    '{',
    '[',
    '"',
    '"abc',
    '{"a"}',
    '{"a":}',
    '{"a":1,}',
    '[1,]',
    '[,1]',
    '01',
    '1.',
    '.5',
    '+1',
    '-',
    '1e',
    '1e+',
    'tru',
    'nul',
    'True',
    'NaN',
    'Infinity',
    "'a'",
    '{a:1}',
    '"\u0001"'.replace('\\u0001', '\u0001'),
    '"a\nb"'.replace('\\n', '\n'),
    '"\\x41"',
    '"\\u00"',
    '"\\"',
    '[1]]',
    '{}{}',
    '\uFEFF{}',
    '{"a":1}x',
    '"\\ud800"x',
  ];
  for (const text of bad) t.ok(smallAgrees(text), JSON.stringify(text));
  const invalid = Buffer.from([0x22, 0xc3, 0x28, 0x22]);
  t.equal(parseSmallJsonBytes(invalid, 0, 4), NOT_PARSED, 'invalid UTF-8');
  t.equal(
    parseSmallJsonBytes(Buffer.from([0x22, 0x5c, 0x6e, 0xff, 0x22]), 0, 5),
    NOT_PARSED,
    'invalid UTF-8 beside an escape',
  );
});

t.test('small text: keys that share a cache slot, and many keys, come back right', async (t) => {
  const object: Record<string, number> = {};
  for (let i = 0; i < 60; i++) object[`k${i}`] = i;
  const text = JSON.stringify(object);
  for (let round = 0; round < 3; round++) t.ok(smallAgrees(text), `round ${round}`);
  // Same length, same hash slot candidates: every two-letter key.
  const pairs: Record<string, number> = {};
  for (let a = 97; a < 123; a++) for (let b = 97; b < 100; b++) pairs[String.fromCharCode(a, b)] = a * b;
  t.ok(smallAgrees(JSON.stringify(pairs)));
});

t.test('property: small JSON values, and every double, read as JSON.parse reads them', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => smallAgrees(JSON.stringify(value))),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) =>
      smallAgrees(JSON.stringify([value, -value])),
    ),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (value) => smallAgrees(JSON.stringify({ value }))),
    { numRuns: 2000 },
  );
  t.pass('9,000 values');
});

t.test(
  'small text: objects of a repeated shape (made by a generated function) equal JSON.parse, key order and all',
  async (t) => {
    const texts = [
      '{"name":"cat","goodness":"good","random":0.25,"tags":["a","b"]}',
      '{"b":1,"a":2,"2":3,"1":4}',
      '{"a":1,"a":2}',
      '{"x":{"y":{"z":1}},"w":[{"p":1,"q":2},{"p":3,"q":4}]}',
      '{"constructor":1,"toString":2,"hasOwnProperty":3,"valueOf":4}',
      '{"\\u2028":1,"\'":2,"`${x}`":3,"a b":4,"\\\\":5}',
    ];
    for (const text of texts) {
      for (let round = 0; round < 4; round++) {
        const got = parseSmallJsonBytes(bytesOf(text), 0, Buffer.byteLength(text));
        const want = JSON.parse(text) as object;
        t.ok(
          isDeepStrictEqual(got, want) &&
            JSON.stringify(Object.keys(got as object)) === JSON.stringify(Object.keys(want)),
          `${text}, round ${round}`,
        );
      }
    }
  },
);
