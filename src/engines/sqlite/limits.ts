/** The sqlite engine's database file inside `stash.path`; here, so that checking options loads no engine. */
export const DATABASE_FILE = 'data.sqlite';

/** SQLite opens no database whose path is over 504 bytes: its unix VFS's 512, less 8 for the `-journal` it may add. */
export const SQLITE_MAX_STASH_PATH_BYTES = 504 - `/${DATABASE_FILE}`.length;

/** Why a sqlite stash's path has that limit, for the ConfigError of a longer one. */
export const SQLITE_PATH_LIMIT_REASON = `SQLite's limit, with room for ${DATABASE_FILE}`;
