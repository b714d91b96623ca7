/**
 * The registry of temporary stashes: one small JSON file per temporary stash, `<root>/.tmp-registry/<id>.json`,
 * written before the stash is first used and removed when it is disposed. A file whose process is gone marks a
 * temporary stash left behind by a crash; the sweep (sweep.ts) removes it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessIdentity } from './process-identity.js';

/** Temporary stashes are named `tmp/<id>` inside their root: `<root>/tmp/<id>/…` on disk, the same in server namespaces. */
export const TMP_NAME = 'tmp';
const REGISTRY_FOLDER = '.tmp-registry';
/** `<pid>-<12 hex digits>`; anything else in a registry file is not trusted as a path part. */
const ID_PATTERN = /^[0-9]+-[0-9a-f]{12}$/;

/** The options a temporary stash (or a sub-stash of one) was opened with, enough to open it again. */
export interface RecordedOptions {
  readonly root: string;
  readonly name: string;
  readonly engine: string;
  readonly serializer: string;
  readonly compress: string;
  readonly b64: boolean;
  readonly appendMode: boolean;
  /** The server's URL redacted (`redis://user:***@host`): a registry file never holds a password. */
  readonly url: string | undefined;
}

export interface RecordedStash {
  readonly options: RecordedOptions;
  /** Its keys live outside the temporary folder (on a server) and must be cleared through the engine. */
  readonly clearThroughEngine: boolean;
}

export interface TmpEntry {
  readonly id: string;
  readonly owner: ProcessIdentity;
  readonly createdAt: string;
  /** The temporary stash first, then its sub-stashes. */
  readonly stashes: readonly RecordedStash[];
}

export function newTmpId(pid: number = process.pid): string {
  return `${pid}-${randomBytes(6).toString('hex')}`;
}

export function isTmpId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

export const registryFolder = (root: string) => join(root, REGISTRY_FOLDER);
export const tmpFolder = (root: string, id: string) => join(root, TMP_NAME, id);
const entryFile = (root: string, id: string) => join(registryFolder(root), `${id}.json`);

/** Writes (or rewrites) the entry atomically: a reader sees the old file or the new one, never half of one. */
export function writeEntry(root: string, entry: TmpEntry): void {
  const file = entryFile(root, entry.id);
  mkdirSync(registryFolder(root), { recursive: true });
  // Readable by the owner only: it names the stashes and servers (URLs redacted, without passwords).
  writeFileSync(`${file}.partial`, JSON.stringify(entry), { mode: 0o600 });
  renameSync(`${file}.partial`, file);
}

/** Removes a temporary stash's folder, and `<root>/tmp` with it once that is empty. */
export async function removeTmpFolder(root: string, id: string): Promise<void> {
  await rm(tmpFolder(root, id), { recursive: true, force: true });
  // Fails, harmlessly, while another temporary stash lives there (an engine creates its folders whole, with mkdir -p).
  await rmdir(join(root, TMP_NAME)).catch(() => {});
}

export async function removeEntry(root: string, id: string): Promise<void> {
  await rm(entryFile(root, id), { force: true });
}

function isRecordedStash(value: unknown, root: string, id: string): value is RecordedStash {
  const options = (value as RecordedStash | null)?.options;
  // A stash outside this temporary stash's name is never touched, whatever the file says.
  return (
    typeof options === 'object' &&
    options !== null &&
    options.root === root &&
    typeof options.engine === 'string' &&
    (options.name === `${TMP_NAME}/${id}` || options.name?.startsWith(`${TMP_NAME}/${id}/`))
  );
}

function parseEntry(text: string, root: string, fileId: string): TmpEntry | undefined {
  try {
    const entry = JSON.parse(text) as TmpEntry;
    const owner = entry?.owner;
    if (
      entry.id !== fileId ||
      !isTmpId(entry.id) ||
      typeof owner?.pid !== 'number' ||
      typeof owner.hostname !== 'string'
    )
      return undefined;
    // The id is named for its process: a file whose owner is another pid is not one this library wrote.
    if (Number(entry.id.slice(0, entry.id.indexOf('-'))) !== owner.pid) return undefined;
    if (!Array.isArray(entry.stashes) || !entry.stashes.every((stash) => isRecordedStash(stash, root, entry.id)))
      return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

/** The well-formed entries of a root's registry (none when it has no registry folder). */
export async function readEntries(root: string): Promise<TmpEntry[]> {
  let files: string[];
  try {
    files = await readdir(registryFolder(root));
  } catch {
    return [];
  }
  const entries: TmpEntry[] = [];
  for (const file of files) {
    const id = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
    if (!isTmpId(id)) continue;
    const text = await readFile(join(registryFolder(root), file), 'utf8').catch(() => undefined);
    const entry = text === undefined ? undefined : parseEntry(text, root, id);
    if (entry) entries.push(entry);
  }
  return entries;
}
