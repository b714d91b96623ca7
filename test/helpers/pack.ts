// `npm pack` of this repository, unpacked as a user's install would put it: <dir>/node_modules/hashstash.
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Packed {
  /** The unpacked package: <dir>/node_modules/hashstash. */
  readonly packageDir: string;
  /** Every file in the tarball, relative to the package, as npm reports them. */
  readonly files: readonly string[];
}

/** Packs the built repository (dist/ must be current) into `dir` and unpacks it into `dir`/node_modules/hashstash. */
export async function packInto(dir: string): Promise<Packed> {
  // No network and no lifecycle scripts: npm only lists and tars files that are already there.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: repoRoot,
    timeout: 60_000,
    env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' },
  });
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const packageDir = join(dir, 'node_modules', 'hashstash');
  await mkdir(packageDir, { recursive: true });
  await run('tar', ['-xzf', join(dir, report.filename), '-C', packageDir, '--strip-components=1']);
  return { packageDir, files: report.files.map((file) => file.path) };
}

/**
 * A consumer project in `dir` as `npm i hashstash` leaves it: the packed package, and beside it its runtime
 * dependencies (linked to this repository's copies), but none of the optional peers.
 */
export async function installInto(dir: string, name: string): Promise<Packed> {
  const packed = await packInto(dir);
  const { dependencies } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const dependency of Object.keys(dependencies)) {
    await mkdir(join(dir, 'node_modules', dependency, '..'), { recursive: true });
    await symlink(join(repoRoot, 'node_modules', dependency), join(dir, 'node_modules', dependency), 'dir');
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return packed;
}
