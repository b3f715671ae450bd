import { usageError } from './exit.js';

export type Dialect = 'postgres' | 'mysql' | 'sqlite';

export interface StoreUrl {
  readonly dialect: Dialect;
  /** For postgres and mysql: the URL the driver takes. */
  readonly url: string;
  /** For sqlite: the database file. */
  readonly path: string;
  /** The URL with its password hidden, for messages. */
  readonly display: string;
}

/**
 * postgres:// or postgresql://, mysql:// or mariadb://, sqlite://<path> (sqlite:///abs/file.db)
 * or a plain file path (anything without a scheme).
 */
export function parseStoreUrl(text: string, field = 'store'): StoreUrl {
  if (typeof text !== 'string' || text.trim() === '') throw usageError(`${field}: a store URL is required (postgres://, mysql://, sqlite://<file> or a file path)`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || /^[a-z]$/i.test(scheme)) return { dialect: 'sqlite', url: text, path: text, display: text };
  if (scheme === 'sqlite') {
    const path = text.replace(/^sqlite:(\/\/)?/i, '');
    if (path === '') throw usageError(`${field}: ${text} names no file (sqlite:///path/to/file.db)`);
    return { dialect: 'sqlite', url: text, path, display: text };
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw usageError(`${field}: ${JSON.stringify(text)} is not a URL`);
  }
  const display = hidePassword(parsed);
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', url: text, path: '', display };
  if (scheme === 'mysql' || scheme === 'mariadb') return { dialect: 'mysql', url: text.replace(/^mariadb:/i, 'mysql:'), path: '', display };
  throw usageError(`${field}: unknown store scheme ${scheme}: (postgres://, mysql://, mariadb://, sqlite://<file> or a file path)`);
}

function hidePassword(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}
