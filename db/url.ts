/**
 * DATABASE_URL: a SQLite file path, or a PostgreSQL URL (`postgres://…` / `postgresql://…`).
 * Whatever prints or logs the setting goes through `maskDatabaseUrl`, so a password never leaves.
 */

export type Backend = 'sqlite' | 'postgres';

const POSTGRES_SCHEME = /^postgres(?:ql)?:\/\//i;

export function backendOf(databaseUrl: string): Backend {
  return POSTGRES_SCHEME.test(databaseUrl) ? 'postgres' : 'sqlite';
}

/**
 * The setting as it may be shown: a URL with its password replaced by `***` (also a `password=`
 * query parameter); a SQLite path as it is. A URL that can't be parsed is cut to its
 * scheme, since where its password is can't be told.
 */
export function maskDatabaseUrl(databaseUrl: string): string {
  if (!databaseUrl.includes('://')) return databaseUrl;
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return `${databaseUrl.slice(0, databaseUrl.indexOf('://') + 3)}…`;
  }
  if (url.password !== '') url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  return url.toString().replace('password=%2A%2A%2A', 'password=***');
}

/** The password in a PostgreSQL URL (decoded), or null: to cut it out of any message that might echo it. */
export function passwordOf(databaseUrl: string): string | null {
  try {
    const url = new URL(databaseUrl);
    const password = url.password !== '' ? decodeURIComponent(url.password) : url.searchParams.get('password');
    return password === null || password === '' ? null : password;
  } catch {
    return null;
  }
}
