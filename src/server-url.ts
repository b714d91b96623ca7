/**
 * Server URLs hold credentials (`redis://:PASSWORD@host`, `mongodb://user:PASSWORD@host/db`). Everything hashstash
 * shows or writes (toJSON, String(stash), inspect, errors, registry files) shows them through {@link redactUrl}; the
 * URL itself stays in memory, with the engine that connects.
 */
import { isIP } from 'node:net';
import { ConfigError } from './errors.js';

const MASK = '***';
/** Query options that carry a secret, by the names drivers use (ioredis `password`, mongo's `tlsCertificateKeyFilePassword`...). */
const SECRET_PARAMETER = /pass|secret|token|credential|key$/i;

/** The parts of `scheme://[user[:password]@]hosts[/path][?query]`, split without a URL parser (mongo's host lists defeat it). */
interface UrlPieces {
  readonly scheme: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly hosts: string;
  readonly path: string;
  readonly query: string;
}

function splitUrl(url: string): UrlPieces | undefined {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd <= 0) return undefined;
  const scheme = url.slice(0, schemeEnd).toLowerCase();
  const rest = url.slice(schemeEnd + 3);
  const queryAt = rest.indexOf('?');
  const query = queryAt < 0 ? '' : rest.slice(queryAt + 1);
  const beforeQuery = queryAt < 0 ? rest : rest.slice(0, queryAt);
  // A password may hold any character (even an unescaped '@' or '/'): the last '@' before the query ends the credentials.
  const at = beforeQuery.lastIndexOf('@');
  const credentials = at < 0 ? undefined : beforeQuery.slice(0, at);
  const afterCredentials = beforeQuery.slice(at + 1);
  const slash = afterCredentials.indexOf('/');
  const hosts = slash < 0 ? afterCredentials : afterCredentials.slice(0, slash);
  const path = slash < 0 ? '' : afterCredentials.slice(slash);
  if (credentials === undefined) return { scheme, user: undefined, password: undefined, hosts, path, query };
  const colon = credentials.indexOf(':');
  return colon < 0
    ? { scheme, user: credentials, password: undefined, hosts, path, query }
    : { scheme, user: credentials.slice(0, colon), password: credentials.slice(colon + 1), hosts, path, query };
}

function redactQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return equals >= 0 && SECRET_PARAMETER.test(safeDecode(name)) ? `${name}=${MASK}` : pair;
    })
    .join('&');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The URL as it may be shown or written: the password replaced by `***` (`redis://user:***@host:6379/0`), and query
 * options that carry secrets too. Text that is not a URL is shown with anything from a `:` to an `@` masked.
 */
export function redactUrl(url: string): string {
  const pieces = splitUrl(url);
  if (!pieces) return url.replace(/:[^\s@]*@/g, `:${MASK}@`).replace(/(password=)[^&\s]*/gi, `$1${MASK}`);
  const { scheme, user, password, hosts, path, query } = pieces;
  const credentials = user === undefined ? '' : password === undefined ? `${user}@` : `${user}:${MASK}@`;
  const redactedQuery = redactQuery(query);
  return `${scheme}://${credentials}${hosts}${path}${redactedQuery === '' && !url.includes('?') ? '' : `?${redactedQuery}`}`;
}

/** Whether the URL carries a password: in its user part, or as a query option. */
export function hasPassword(url: string): boolean {
  const pieces = splitUrl(url);
  if (!pieces) return false;
  return (
    (pieces.password !== undefined && pieces.password !== '') ||
    pieces.query
      .split('&')
      .some((pair) => pair.includes('=') && SECRET_PARAMETER.test(safeDecode(pair.slice(0, pair.indexOf('=')))))
  );
}

/** The host names of a URL's host list, without ports or brackets. */
function hostNames(hosts: string): string[] {
  return hosts.split(',').map((host) => {
    if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
    const colon = host.lastIndexOf(':');
    return colon < 0 ? host : host.slice(0, colon);
  });
}

const isLoopback = (host: string) =>
  host === 'localhost' ||
  host.endsWith('.localhost') ||
  host === '::1' ||
  (isIP(host) === 4 && host.startsWith('127.'));

function isTls(pieces: UrlPieces): boolean {
  if (pieces.scheme === 'rediss' || pieces.scheme === 'mongodb+srv') {
    return !/(^|&)(tls|ssl)=false(&|$)/i.test(pieces.query);
  }
  return /(^|&)(tls|ssl)=true(&|$)/i.test(pieces.query);
}

const warned = new Set<string>();

/**
 * Warns once per host (process.emitWarning, naming the host, never the password) when a password is sent without TLS
 * to a host that is not this machine: it works, but anyone on the network path can read it.
 */
export function warnOnPlaintextPassword(url: string): void {
  const pieces = splitUrl(url);
  if (!pieces || !hasPassword(url) || isTls(pieces)) return;
  for (const host of hostNames(pieces.hosts)) {
    if (isLoopback(host) || warned.has(host)) continue;
    warned.add(host);
    process.emitWarning(
      `hashstash: the ${pieces.scheme} URL for host '${host}' carries a password without TLS, so it crosses the network in clear; ` +
        `use ${pieces.scheme === 'redis' ? 'rediss://' : 'mongodb+srv:// or ?tls=true'} for a server that is not on this machine`,
      { code: 'HASHSTASH_PLAINTEXT_PASSWORD' },
    );
  }
}

const PORT = /^\d{1,5}$/;

/** ConfigError for a malformed server URL, showing it redacted; `schemes` are the ones the engine takes. */
export function checkServerUrl(url: string, engine: string, schemes: readonly string[]): void {
  const pieces = splitUrl(url);
  const fail = (why: string) =>
    new ConfigError(`option 'url' of the ${engine} engine is not a valid URL (${why}): '${redactUrl(url)}'`);
  if (!pieces) throw fail(`expected ${schemes.map((scheme) => `${scheme}://`).join(' or ')}`);
  if (!schemes.includes(pieces.scheme)) throw fail(`the scheme must be ${schemes.join(' or ')}, not ${pieces.scheme}`);
  if (pieces.hosts === '') throw fail('no host');
  for (const host of pieces.hosts.split(',')) {
    const bracketEnd = host.startsWith('[') ? host.indexOf(']') : -1;
    if (host.startsWith('[') && bracketEnd < 0) throw fail(`host '${host}' has no closing ']'`);
    const name = bracketEnd >= 0 ? host.slice(1, bracketEnd) : host.split(':')[0];
    const port =
      bracketEnd >= 0
        ? host.slice(bracketEnd + 1).replace(/^:/, '')
        : host.includes(':')
          ? host.slice(host.indexOf(':') + 1)
          : '';
    if (name === '' || /[\s/\\@]/.test(name)) throw fail(`host '${name}' is not a host name`);
    if (port !== '' && (!PORT.test(port) || Number(port) > 65_535)) throw fail(`port '${port}' is not a port number`);
    if (pieces.scheme === 'mongodb+srv' && port !== '')
      throw fail('a mongodb+srv:// URL names one host without a port');
  }
  if (pieces.scheme === 'mongodb+srv' && pieces.hosts.includes(',')) throw fail('a mongodb+srv:// URL names one host');
  if (pieces.scheme !== 'mongodb' && pieces.scheme !== 'mongodb+srv' && pieces.hosts.includes(','))
    throw fail('one host only');
}
