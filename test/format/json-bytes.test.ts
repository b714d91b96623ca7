import t from 'tap';
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { DecodeError } from '../../src/errors.js';
import { MIN_BYTES, NOT_PARSED, parseJsonBytes } from '../../src/format/json-bytes.js';
import { hashstashSerializer } from '../../src/serializers/hashstash.js';

const long = (chars: number, unit = 'abc def ') => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
const bytesOf = (text: string) => Buffer.from(text, 'utf8');

/** What JSON.parse makes of the text, or 'throws'. */
function reference(text: string): unknown {
  try {
    return { value: JSON.parse(text) };
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
  return isDeepStrictEqual(got, (want as { value: unknown }).value) && Object.getPrototypeOf(got) === Object.getPrototypeOf((want as { value: unknown }).value);
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

t.test('invalid text is never a value: raw control characters, bad UTF-8, bad numbers and words, trailing bytes', async (t) => {
  const pad = long(MIN_BYTES);
  const bad = [
    `["${pad}\u0001"]`, `["${pad}\n"]`, `["${pad}`, `["${pad}"`, `["${pad}"]x`, `["${pad}",]`, `{"a":"${pad}",}`,
    `["${pad}", 01]`, `["${pad}", 1.]`, `["${pad}", -]`, `["${pad}", 1e]`, `["${pad}", +1]`, `["${pad}", .5]`,
    `["${pad}", tru]`, `["${pad}", nul]`, `["${pad}", True]`, `{"${pad}" 1}`, `{1:"${pad}"}`, `\uFEFF["${pad}"]`,
    `["${pad}"]\u00a0`, `['${pad}']`,
  ];
  for (const text of bad) t.equal(parseJsonBytes(bytesOf(text), 0, Buffer.byteLength(text)), NOT_PARSED, JSON.stringify(text.slice(0, 12) + '…' + text.slice(-6)));
  // Invalid UTF-8 inside a long string.
  const invalid = Buffer.concat([Buffer.from(`["${pad}`), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"]')]);
  t.equal(parseJsonBytes(invalid, 0, invalid.length), NOT_PARSED);
  t.throws(() => hashstashSerializer.deserialize(invalid), DecodeError);
});

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
