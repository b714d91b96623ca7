import t from 'tap';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { DecodeError } from '../../src/errors.js';
import { base64Codec } from '../../src/codecs/base64.js';
import { getCodec } from '../../src/codecs/index.js';
import { BROTLI_SPACES, BROTLI_SPACES_DECODED, readBomb } from '../fixtures/bombs.js';

const MiB = 1 << 20;
const spaces = (n: number) => Buffer.alloc(n, 0x20);

t.test('every codec decodes up to the limit it is given and refuses more with a DecodeError', async (t) => {
  const input = spaces(MiB);
  for (const codec of [...['lz4', 'zlib', 'gzip', 'brotli', 'raw'].map(getCodec), base64Codec]) {
    const encoded = codec.encode(input);
    t.equal(codec.decode(encoded, MiB).length, MiB, `${codec.name}: exactly the limit is fine`);
    const error = t.throws(
      () => codec.decode(encoded, MiB - 1),
      DecodeError,
      `${codec.name}: one byte over`,
    ) as unknown as Error;
    t.match(
      error?.message,
      new RegExp(`^${codec.name}: .*(limit|declares)`),
      `${codec.name}: names itself and the limit`,
    );
  }
});

t.test('a brotli bomb stops at the limit instead of filling memory', async (t) => {
  const bomb = readBomb(BROTLI_SPACES);
  t.ok(bomb.length < 1024 && BROTLI_SPACES_DECODED === 2 ** 30, 'under a kilobyte that decodes to 1 GiB');
  const error = t.throws(() => getCodec('brotli').decode(bomb, 16 * MiB), DecodeError) as unknown as Error;
  t.match(error?.message, /brotli: 809 bytes decode to more than the limit \(16777216 bytes\)/);
});

t.test('gzip decodes no more than the length its stream declares', async (t) => {
  const encoded = gzipSync(spaces(4 * MiB));
  t.equal(encoded.readUInt32LE(encoded.length - 4), 4 * MiB, 'the last four bytes are the decoded length');

  const understated = Buffer.from(encoded);
  understated.writeUInt32LE(MiB, understated.length - 4);
  const short = t.throws(() => getCodec('gzip').decode(understated), DecodeError) as unknown as Error;
  t.match(
    short?.message,
    /more than the length the stream declares \(1048576 bytes\)/,
    'stops at the declared length, not at the end',
  );

  const overstated = Buffer.from(encoded);
  overstated.writeUInt32LE(0xffff_fff0, overstated.length - 4);
  const huge = t.throws(() => getCodec('gzip').decode(overstated, 64 * MiB), DecodeError) as unknown as Error;
  t.match(huge?.message, /declares 4294967280 decoded bytes, more than the limit/, 'refused before decoding');
});

t.test('reading the 809-byte brotli blob of 1 GiB of spaces: a DecodeError, in bounded memory', async (t) => {
  // A fresh process, so that its peak memory is this read's alone.
  const script = `
    import { readFileSync } from 'node:fs';
    import { crc32 } from 'node:zlib';
    import { HashStash } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
    const body = readFileSync(${JSON.stringify(`test/fixtures/bombs/${BROTLI_SPACES}`)});
    const blob = Buffer.alloc(14 + body.length);
    blob.write('HS', 0, 'latin1'); blob[2] = 1; blob[3] = 0x68; blob[4] = 0x62; blob[5] = 0;
    blob.writeUInt32LE(body.length, 6); blob.writeUInt32LE(crc32(body), 10); body.copy(blob, 14);
    const stash = new HashStash({ engine: 'memory', compress: 'brotli', readonly: true });
    let outcome;
    try { stash.decodeValue(blob); outcome = 'a value'; } catch (error) { outcome = error.name + ': ' + error.message; }
    console.log(JSON.stringify({ outcome, maxRSS: process.resourceUsage().maxRSS * 1024 }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(child.status, 0, child.stderr);
  const { outcome, maxRSS } = JSON.parse(child.stdout) as { outcome: string; maxRSS: number };
  t.match(
    outcome,
    /^DecodeError: brotli: .*more than the limit \(536870888 bytes\)/,
    'stops at the most a text serializer can read',
  );
  t.ok(maxRSS < 1024 * MiB, `peak memory ${Math.round(maxRSS / MiB)} MiB, under 1 GiB (about 3 GiB before)`);
});
