import t from 'tap';
import { spawn } from 'node:child_process';
import { withoutMainOnly } from '../../src/parallel/exec-argv.js';

const indexUrl = new URL('../../src/index.js', import.meta.url).href;
const markerUrl = new URL('../fixtures/parallel/import-marker.js', import.meta.url).href;

/**
 * Runs `stash.map` in a child `node <flags> --input-type=module -e <script>`; what each item's worker saw: its
 * result, whether `gc` is there, the marks of --import and Error.stackTraceLimit. Or the error, named.
 */
async function mapInChild(
  root: string,
  flags: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    import { HashStash } from ${JSON.stringify(indexUrl)};
    const stash = new HashStash({ root: ${JSON.stringify(root)}, engine: 'pairtree' });
    const seen = (x) => [x * 2, typeof globalThis.gc, globalThis.hashstashImportMarks ?? 0, Error.stackTraceLimit];
    try {
      console.log(JSON.stringify(await stash.map(seen, [1, 2], { numProc: 2, progress: false }).all()));
    } catch (error) {
      console.log(JSON.stringify({ error: error.name, message: error.message }));
    } finally {
      await stash.close();
    }
  `;
  const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

t.test(
  'stash.map works from `node --input-type=module -e`: workers do not get the flags of the main program',
  async (t) => {
    const { code, stdout, stderr } = await mapInChild(t.testdir(), []);
    t.equal(code, 0, stderr);
    t.strictSame(JSON.parse(stdout), [
      [2, 'undefined', 0, 10],
      [4, 'undefined', 0, 10],
    ]);
  },
);

t.test('workers keep --import, and V8 and process-wide flags hold in them without being passed', async (t) => {
  const flags = [
    '--expose-gc',
    '--title',
    'hashstash-exec-argv-test',
    `--import=${markerUrl}`,
    '--stack-trace-limit=7',
  ];
  const { code, stdout, stderr } = await mapInChild(t.testdir(), flags);
  t.equal(code, 0, stderr);
  t.strictSame(
    JSON.parse(stdout),
    [
      [2, 'function', 1, 7],
      [4, 'function', 1, 7],
    ],
    'gc is exposed, the --import module ran once in each worker, and the stack trace limit is the process’s',
  );
});

t.test('the flags of the main program are taken away with their values, and nothing else', async (t) => {
  const cases: [string[], string[]][] = [
    [['--input-type=module', '-e', 'code'], []],
    [
      ['--input-type', 'module', '--eval', 'x', '--import', 'tsx', '--enable-source-maps'],
      ['--import', 'tsx', '--enable-source-maps'],
    ],
    [['--print', '--eval', 'x'], []],
    [
      ['-pe', 'x', '-C', 'dev'],
      ['-C', 'dev'],
    ],
    [['-p', 'x', '--conditions=dev'], ['--conditions=dev']],
    [
      [
        '--test',
        '--test-reporter',
        'spec',
        '--test-name-pattern=a b',
        '--experimental-test-coverage',
        '--require',
        'r.js',
      ],
      ['--require', 'r.js'],
    ],
    [
      ['--watch', '--watch-path', 'src', '--watch-preserve-output', '--loader', 'ts-node/esm'],
      ['--loader', 'ts-node/esm'],
    ],
    [['-c', '-i', '--check', '--interactive', '--no-experimental-test-coverage'], []],
  ];
  for (const [execArgv, kept] of cases) t.strictSame(withoutMainOnly(execArgv), kept, execArgv.join(' '));
  const others = [
    '--expose-gc',
    '--max-old-space-size=100',
    '--inspect=0',
    '--experimental-vm-modules',
    '--title',
    'x',
    '--testing',
    '--evaluate',
  ];
  t.strictSame(withoutMainOnly(others), others, 'V8 and process-wide flags are left to Node’s own check');
});
