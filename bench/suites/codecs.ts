import { collectGarbage, rotate, timeLoop } from '../measure.js';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, Subject, Suite } from '../suite.js';

const COMPRESSIONS = ['lz4', 'zlib', 'gzip', 'brotli', 'raw'] as const;

interface CodecSubject extends Subject {
  readonly compress: (typeof COMPRESSIONS)[number];
  readonly b64: boolean;
}

const SUBJECTS: readonly CodecSubject[] = [false, true].flatMap((b64) =>
  COMPRESSIONS.map((compress) => ({ name: b64 ? `${compress}+b64` : compress, compress, b64, yardstick: false })),
);

interface Input {
  readonly group: string;
  readonly bytes: Uint8Array;
}

type CodecApi = typeof import('../../src/codecs/index.js');

const OPS = ['encode', 'decode'] as const;

function measureCase(
  api: CodecApi,
  subject: CodecSubject,
  input: Input,
  op: (typeof OPS)[number],
  encoded: Uint8Array,
  minMs: number,
) {
  const options = { compress: subject.compress, b64: subject.b64 };
  return op === 'encode'
    ? timeLoop(() => api.encode(input.bytes, options), minMs)
    : timeLoop(() => api.decode(encoded, options), minMs);
}

/**
 * Codecs alone, through the public `encode`/`decode`. MB/s counts the uncompressed bytes on both sides;
 * `size ratio` is encoded bytes / original bytes (below 1 means smaller).
 */
export const codecsSuite: Suite = {
  name: 'codecs',
  title: 'Codecs alone: bytes → stored bytes → bytes',
  subjects: SUBJECTS,
  figures: [],

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const subjects = SUBJECTS.filter((subject) => selected.has(subject.name));
    let api: CodecApi;
    try {
      api = await import('../../src/codecs/index.js');
    } catch (error) {
      for (const subject of subjects)
        recorder.missing(subject.name, `src/codecs/index.js did not load: ${(error as Error).message}`);
      return;
    }
    const inputs: Input[] = [
      { group: 'small-json', bytes: Buffer.from(JSON.stringify(config.small().values[0])) },
      { group: 'text-100k', bytes: Buffer.from(config.large().values[0].text) },
    ];

    const encodedOf = new Map<string, Uint8Array>();
    const cases: { subject: CodecSubject; input: Input; op: (typeof OPS)[number] }[] = [];
    for (const subject of subjects) {
      for (const input of inputs) {
        try {
          const options = { compress: subject.compress, b64: subject.b64 };
          const encoded = api.encode(input.bytes, options);
          if (!Buffer.from(api.decode(encoded, options)).equals(input.bytes))
            throw new Error('decode(encode(x)) differs from x');
          encodedOf.set(`${input.group}/${subject.name}`, encoded);
          const key = { group: input.group, subject: subject.name, op: 'encode' };
          recorder.note(key, 'input B', input.bytes.byteLength);
          recorder.note(key, 'encoded B', encoded.byteLength);
          recorder.note(key, 'size ratio', encoded.byteLength / input.bytes.byteLength);
          for (const op of OPS) cases.push({ subject, input, op });
        } catch (error) {
          recorder.missing(subject.name, `${input.group}: ${(error as Error).message}`);
        }
      }
    }

    for (const { subject, input, op } of cases) {
      measureCase(api, subject, input, op, encodedOf.get(`${input.group}/${subject.name}`)!, config.minMs / 4);
    }
    for (let round = 0; round < config.rounds; round++) {
      for (const { subject, input, op } of rotate(cases, round)) {
        collectGarbage();
        const timing = measureCase(
          api,
          subject,
          input,
          op,
          encodedOf.get(`${input.group}/${subject.name}`)!,
          config.minMs,
        );
        recorder.sample({ group: input.group, subject: subject.name, op }, round, timing, input.bytes.byteLength);
      }
      config.log(`  codecs: round ${round + 1}/${config.rounds} done`);
    }
  },
};
