// Creates bench/.venv with the Python hashstash from PyPI, for the peers suite, and loadit and chunk-memo, for the
// sequence and sweep suites. Idempotent: once the venv holds the pinned releases (a marker file written after an
// import check), later runs only read that marker.
//   npm run build && node dist/bench/python/setup.js
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/.venv in the source tree (this file runs from dist/bench/python/); gitignored. */
export const VENV_DIR = fileURLToPath(new URL('../../../bench/.venv/', import.meta.url));
/** peer.py in the source tree: the script is not compiled, so it is run from where it is written. */
export const PEER_SCRIPT = fileURLToPath(new URL('../../../bench/python/peer.py', import.meta.url));

/**
 * The release the figures were made against, with what its engines need: `best` brings lmdb and lz4, `sqlite` brings
 * sqlitedict, `redis` brings redis and redis_dict (pairtree and pickle need nothing).
 */
export const PYTHON_REQUIREMENT = 'hashstash[best,sqlite,redis]==1.2.0';
/**
 * The sequence suite's peer, loadit (the seed of `stash.sequence`), with numpy, which it imports, and a watchdog from
 * before 5.0, whose event handler takes the patterns loadit passes it positionally (newer ones refuse them).
 */
export const LOADIT_REQUIREMENTS = ['loadit==0.0.8', 'numpy==2.4.6', 'watchdog==4.0.2'];
/** The sweep suite's peer, chunk-memo (the seed of `stash.sweep`); it needs nothing beyond the standard library. */
export const CHUNK_MEMO_REQUIREMENT = 'chunk-memo==0.1.5';
/** Everything pip installs, and what the marker records (a new pin changes it, so the next run installs again). */
const REQUIREMENTS = [PYTHON_REQUIREMENT, ...LOADIT_REQUIREMENTS, CHUNK_MEMO_REQUIREMENT];
/** Modules the engines, loadit and chunk-memo import; the import check fails when one is missing. */
const REQUIRED_MODULES = [
  'hashstash',
  'lmdb',
  'lz4',
  'sqlitedict',
  'redis',
  'redis_dict',
  'loadit',
  'numpy',
  'chunk_memo',
];

const MARKER = 'hashstash-peer.json';
const PIP_TIMEOUT_MS = 300_000;

export type PythonPeer = { readonly python: string; readonly versions: string } | { readonly missing: string };

function venvPython(venv: string): string {
  return process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
}

/** The last non-empty line a failed command printed, for the reason. */
function lastLine(text: string | Buffer | null | undefined): string {
  const lines = String(text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '';
}

function run(command: string, args: readonly string[], timeout: number) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  if (result.error) return { ok: false as const, why: result.error.message };
  if (result.status !== 0)
    return {
      ok: false as const,
      why: lastLine(result.stderr) || lastLine(result.stdout) || `exit code ${result.status}`,
    };
  return { ok: true as const, stdout: result.stdout };
}

function readMarker(venv: string): { requirement: string; versions: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(venv, MARKER), 'utf8')) as { requirement: string; versions: string };
  } catch {
    return undefined;
  }
}

/**
 * A venv with the Python hashstash, made if need be: `python3 -m venv`, then `pip install` of PYTHON_REQUIREMENT
 * from PyPI. Returns the interpreter, or why there is none (no python3, no venv module, pip could not install).
 */
export function ensurePythonPeer(log: (line: string) => void = () => {}, venv = VENV_DIR): PythonPeer {
  const python = venvPython(venv);
  const marker = readMarker(venv);
  if (marker?.requirement === REQUIREMENTS.join(' ') && existsSync(python))
    return { python, versions: marker.versions };

  const basePython = process.env.PYTHON ?? 'python3';
  if (!existsSync(python)) {
    log(`  python peer: creating ${venv} with ${basePython} -m venv`);
    const made = run(basePython, ['-m', 'venv', venv], 120_000);
    if (!made.ok) return { missing: `${basePython} -m venv failed: ${made.why}` };
  }
  const shown = REQUIREMENTS.map((requirement) => `'${requirement}'`).join(' ');
  log(`  python peer: pip install ${shown}`);
  const installed = run(
    python,
    ['-m', 'pip', 'install', '--quiet', '--retries', '2', '--timeout', '20', ...REQUIREMENTS],
    PIP_TIMEOUT_MS,
  );
  if (!installed.ok) return { missing: `pip install ${shown} failed: ${installed.why}` };

  const check =
    `import sys, importlib.metadata as m; ${REQUIRED_MODULES.map((name) => `import ${name}`).join('; ')}; ` +
    `print(f"Python {sys.version.split()[0]}, hashstash {m.version('hashstash')}, loadit {m.version('loadit')}, numpy {m.version('numpy')}, chunk-memo {m.version('chunk-memo')}")`;
  const imported = run(python, ['-c', check], 60_000);
  if (!imported.ok) return { missing: `the installed hashstash does not import: ${imported.why}` };
  const versions = imported.stdout.trim();
  writeFileSync(join(venv, MARKER), `${JSON.stringify({ requirement: REQUIREMENTS.join(' '), versions })}\n`);
  return { python, versions };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const peer = ensurePythonPeer((line) => console.log(line.trim()));
  if ('missing' in peer) {
    console.log(`missing: ${peer.missing}`);
    process.exitCode = 1;
  } else {
    console.log(`${peer.versions} at ${peer.python}`);
  }
}
