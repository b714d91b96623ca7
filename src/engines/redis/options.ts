import { checkServerUrl, warnOnPlaintextPassword } from '../../server-url.js';

/**
 * What the redis engine checks of a stash's options when the stash is built: a `redis://` or `rediss://` URL (or a
 * unix socket path), a ConfigError showing it redacted otherwise, and a one-time warning when it sends a password
 * in clear to another machine.
 */
export function checkRedisOptions({ url }: { readonly url: string | undefined }): void {
  if (url === undefined || url.startsWith('/')) return;
  checkServerUrl(url, 'redis', ['redis', 'rediss']);
  warnOnPlaintextPassword(url);
}
