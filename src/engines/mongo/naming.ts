import { Buffer, isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';

/**
 * Where a mongo stash's documents live and how a key becomes a document `_id`: see the comment at the top of
 * mongo.ts for the reasons.
 */
export const DEFAULT_URL = 'mongodb://127.0.0.1:27017';
const DEFAULT_DATABASE = 'hashstash';
const MAX_TEXT_ID_BYTES = 1000;
const HASHED_ID_MARK = '\u0001';
const MAX_READABLE_NAME = 100 - 17;

/** The parts of a mongodb:// URL this engine needs; the driver parses and checks the rest. */
export interface UrlParts {
  /** The URL without password and query options, for messages and `EngineUnavailableError.location`. */
  readonly location: string;
  /** The database named in the path, or '' when none is. */
  readonly database: string;
  readonly query: string;
}

export function urlParts(url: string): UrlParts {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return { location: url.replace(/:[^:@/]*@/, '@'), database: '', query: '' };
  const rest = url.slice(schemeEnd + 3);
  const queryAt = rest.indexOf('?');
  const query = queryAt < 0 ? '' : rest.slice(queryAt + 1);
  const beforeQuery = queryAt < 0 ? rest : rest.slice(0, queryAt);
  // A password may hold any character but '@' unescaped, and hosts hold no '@': the last '@' ends the credentials.
  const at = beforeQuery.lastIndexOf('@');
  const hostsAndPath = beforeQuery.slice(at + 1);
  const user = at < 0 ? '' : `${beforeQuery.slice(0, at).split(':')[0]}@`;
  const slash = hostsAndPath.indexOf('/');
  let database = slash < 0 ? '' : hostsAndPath.slice(slash + 1);
  try {
    database = decodeURIComponent(database);
  } catch {
    // Left as written: the driver says what is wrong with it.
  }
  return { location: `${url.slice(0, schemeEnd + 3)}${user}${hostsAndPath}`, database, query };
}

/** Where a stash's documents live; see the comment at the top of this file. */
export function mongoNames(url: string | undefined, namespace: string): { database: string; collection: string } {
  const digest = hash('sha256', namespace, 'hex').slice(0, 16);
  const readable = namespace
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/[^A-Za-z0-9_+.-]/g, '_'))
    .join('.')
    .replace(/\.{2,}/g, '.');
  let tail = readable.slice(-MAX_READABLE_NAME).replace(/^\.+/, '');
  // MongoDB reserves `system.` collections and FerretDB `_ferretdb_` ones.
  if (tail === '' || /^(system\.|_ferretdb_)/i.test(tail)) tail = `s_${tail}`.slice(0, MAX_READABLE_NAME);
  return { database: urlParts(url ?? DEFAULT_URL).database || DEFAULT_DATABASE, collection: `${tail}_${digest}` };
}

/** `_id` of a key: its text, or the marked hash of a key that cannot be one (see the top of this file). */
export function documentId(key: Uint8Array): string {
  if (key.length <= MAX_TEXT_ID_BYTES && key[0] !== 1 && key.indexOf(0) < 0 && isUtf8(key)) {
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  }
  return HASHED_ID_MARK + hash('sha256', key, 'base64url');
}

export const isHashedId = (id: string) => id.charCodeAt(0) === 1;

/** The stored document's BSON size: header, `_id` string, optional `k` and `v` binaries, terminator. */
export function documentBytes(id: string, key: Uint8Array, value: Uint8Array): number {
  const idBytes = isHashedId(id) ? id.length : key.length;
  const keyField = isHashedId(id) ? 8 + key.length : 0;
  return 5 + (10 + idBytes) + keyField + (8 + value.length);
}

export interface StoredDocument {
  _id: string;
  k?: Uint8Array;
  v: Uint8Array;
  /** An expiring blob's expiry and the TTL index's field (expiry.ts). */
  expiresAt?: Date;
  purgeAt?: Date;
}

/** Bytes as a Buffer of their own: the driver's are views into a whole reply, which one kept value would pin. */
export const ownCopy = (bytes: Uint8Array): Uint8Array => Buffer.copyBytesFrom(bytes);

export function keyOf(document: StoredDocument): Uint8Array {
  return document.k ? ownCopy(document.k) : Buffer.from(document._id, 'utf8');
}
