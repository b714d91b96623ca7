import { Buffer } from 'node:buffer';
import { ConfigError } from '../../errors.js';
import { lazy } from '../../lazy.js';
import { checkServerUrl, warnOnPlaintextPassword } from '../../server-url.js';

const naming = lazy<typeof import('./naming.js')>(import.meta.url, './naming.js');

/**
 * What the mongo engine checks of a stash's options when the stash is built: a `mongodb://` or `mongodb+srv://` URL
 * (a ConfigError showing it redacted otherwise; a one-time warning when it sends a password in clear to another
 * machine), and the database its `url` names must be one
 * MongoDB takes (under 64 bytes, none of `/ \ . space " $` or NUL), else the first write fails, or the driver throws
 * an untyped error. The collection's name is made to fit (naming.ts).
 */
export function checkMongoOptions({ url }: { readonly url: string | undefined }): void {
  if (url !== undefined) {
    checkServerUrl(url, 'mongo', ['mongodb', 'mongodb+srv']);
    warnOnPlaintextPassword(url);
  }
  const { DEFAULT_URL, urlParts } = naming();
  const { database } = urlParts(url ?? DEFAULT_URL);
  if (Buffer.byteLength(database) > 63 || /[/\\. "$\0]/.test(database)) {
    // eslint-disable-next-line no-control-regex -- control characters are what this shows escaped
    const shown = `'${database.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
    throw new ConfigError(
      `option 'url' names the MongoDB database ${shown}, which MongoDB refuses: a database name is under 64 bytes, ` +
        `without '/', '\\', '.', ' ', '"', '$' or NUL`,
    );
  }
}
