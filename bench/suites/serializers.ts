import { isDeepStrictEqual } from 'node:util';
import v8 from 'node:v8';
import type { SerializerName } from '../../src/options.js';
import { collectGarbage, rotate, timeLoop } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import type { BenchConfig, Suite } from '../suite.js';

/** Something that turns a value into a representation (bytes or a string) and back. */
interface SerializerSubject<R = unknown> {
  readonly name: string;
  readonly yardstick: boolean;
  serialize(value: unknown): R;
  deserialize(representation: R): unknown;
  byteLength(representation: R): number;
}

const LIBRARY_SERIALIZERS: readonly SerializerName[] = ['hashstash', 'devalue', 'v8'];

const json: SerializerSubject<string> = {
  name: 'JSON',
  yardstick: true,
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text) as unknown,
  byteLength: (text) => Buffer.byteLength(text),
};

const nodeV8: SerializerSubject<Uint8Array> = {
  name: 'node:v8',
  yardstick: true,
  serialize: (value) => v8.serialize(value),
  deserialize: (bytes) => v8.deserialize(bytes) as unknown,
  byteLength: (bytes) => bytes.byteLength,
};

/** The library's serializers through its public `serialize`/`deserialize`; missing ones are reported, not dropped. */
async function librarySubjects(recorder: Recorder, wanted: readonly SerializerName[]): Promise<SerializerSubject[]> {
  if (wanted.length === 0) return [];
  let api: typeof import('../../src/serializers/index.js');
  try {
    api = await import('../../src/serializers/index.js');
  } catch (error) {
    for (const name of wanted)
      recorder.missing(name, `src/serializers/index.js did not load: ${(error as Error).message}`);
    return [];
  }
  return wanted.map((name) => ({
    name,
    yardstick: false,
    serialize: (value: unknown) => api.serialize(value, name),
    deserialize: (bytes: unknown) => api.deserialize(bytes as Uint8Array, name),
    byteLength: (bytes: unknown) => (bytes as Uint8Array).byteLength,
  }));
}

interface Input {
  readonly group: string;
  readonly value: unknown;
}

const OPS = ['serialize', 'deserialize', 'roundtrip'] as const;

/** One case: a subject doing one op on one input, measured by a timed loop. */
function measureCase(
  subject: SerializerSubject,
  input: Input,
  op: (typeof OPS)[number],
  serialized: unknown,
  minMs: number,
) {
  switch (op) {
    case 'serialize':
      return timeLoop(() => subject.serialize(input.value), minMs);
    case 'deserialize':
      return timeLoop(() => subject.deserialize(serialized), minMs);
    case 'roundtrip':
      return timeLoop(() => subject.deserialize(subject.serialize(input.value)), minMs);
  }
}

export const serializersSuite: Suite = {
  name: 'serializers',
  title: 'Serializers alone: value → bytes → value',
  subjects: [...LIBRARY_SERIALIZERS.map((name) => ({ name, yardstick: false })), json, nodeV8],
  figures: [
    {
      name: 'hashstash serializer round trip / JSON round trip (small record)',
      numerator: ['small/hashstash/roundtrip'],
      denominator: ['small/JSON/roundtrip'],
      target: 0.5,
    },
    {
      name: 'hashstash serializer round trip / v8 round trip (small record)',
      numerator: ['small/hashstash/roundtrip'],
      denominator: ['small/node:v8/roundtrip'],
      target: 3,
    },
  ],

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const library = await librarySubjects(
      recorder,
      LIBRARY_SERIALIZERS.filter((name) => selected.has(name)),
    );
    const subjects = [...library, json, nodeV8].filter((subject) => selected.has(subject.name));
    const inputs: Input[] = [
      { group: 'small', value: config.small().values[0] },
      { group: 'large', value: config.large().values[0] },
    ];

    // Representations to deserialize, made once; a subject that cannot carry the input exactly is left out.
    const serialized = new Map<string, unknown>();
    const usable: [SerializerSubject, Input][] = [];
    for (const subject of subjects) {
      for (const input of inputs) {
        try {
          const representation = subject.serialize(input.value);
          const back = subject.deserialize(representation);
          if (!isDeepStrictEqual(back, input.value))
            throw new Error('the value read back differs from the one written');
          serialized.set(`${input.group}/${subject.name}`, representation);
          const key: CaseKey = {
            group: input.group,
            subject: subject.name,
            op: 'serialize',
            yardstick: subject.yardstick,
          };
          recorder.note(key, 'bytes', subject.byteLength(representation));
          usable.push([subject, input]);
        } catch (error) {
          recorder.missing(subject.name, `${input.group}: ${(error as Error).message}`);
        }
      }
    }

    const cases = usable.flatMap(([subject, input]) => OPS.map((op) => ({ subject, input, op })));
    for (const { subject, input, op } of cases) {
      measureCase(subject, input, op, serialized.get(`${input.group}/${subject.name}`), config.minMs / 4);
    }
    for (let round = 0; round < config.rounds; round++) {
      for (const { subject, input, op } of rotate(cases, round)) {
        collectGarbage();
        const timing = measureCase(subject, input, op, serialized.get(`${input.group}/${subject.name}`), config.minMs);
        recorder.sample({ group: input.group, subject: subject.name, op, yardstick: subject.yardstick }, round, timing);
      }
      config.log(`  serializers: round ${round + 1}/${config.rounds} done`);
    }
  },
};
