import t from 'tap';
import { base64Codec } from '../../src/codecs/base64.js';

const MiB = 1 << 20;

t.test("base64 slices its text, so a blob past V8's string limit still encodes and decodes", async (t) => {
  // 4 characters per 3 bytes: the text of this many bytes is longer than the longest string V8 makes.
  const size = 402_653_169;
  const input = Buffer.alloc(size);
  input[0] = 1;
  input[size - 1] = 0xfe;
  let encoded: Uint8Array | undefined = base64Codec.encode(input);
  t.equal(encoded.length, (size / 3) * 4);
  const decoded = base64Codec.decode(encoded);
  // eslint-disable-next-line no-useless-assignment -- drops the reference, so the encoded copy can be collected
  encoded = undefined;
  t.equal(decoded.length, size);
  t.equal(Buffer.compare(decoded, input), 0, 'the same bytes back');
});

t.test('base64 checks every slice, not only the first', async (t) => {
  const input = Buffer.alloc(40 * MiB, 0xab);
  const encoded = Buffer.from(base64Codec.encode(input));
  t.equal(Buffer.compare(base64Codec.decode(encoded), input), 0, 'round trip over several slices');
  const invalid = Buffer.from(encoded);
  invalid[encoded.length - 100] = 0x2d; // '-', URL-safe alphabet, in the last slice
  t.throws(() => base64Codec.decode(invalid), { name: 'DecodeError', message: /base64: byte 0x2d at offset/ });
  const padded = Buffer.from(encoded);
  padded.write('AA==', 16 * MiB - 4, 'latin1'); // the end of the first slice
  t.throws(
    () => base64Codec.decode(padded),
    { name: 'DecodeError', message: /base64/ },
    'padding at the end of a slice that is not the last',
  );
});
