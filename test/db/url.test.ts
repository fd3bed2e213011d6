/** DATABASE_URL as it may be shown: never with its password. */
import { describe, expect, it } from 'vitest';
import { backendOf, maskDatabaseUrl } from '../../db/url.js';
import { parseConfig } from '../../src/config.js';

describe('DATABASE_URL', () => {
  it('postgres:// and postgresql:// select PostgreSQL; anything else is a SQLite path', () => {
    expect(backendOf('postgres://u:p@db:5432/waba')).toBe('postgres');
    expect(backendOf('PostgreSQL://u@db/waba')).toBe('postgres');
    expect(backendOf('./data/waba-sync.sqlite')).toBe('sqlite');
    expect(backendOf('/var/lib/postgres://odd.sqlite')).toBe('sqlite');
  });

  it('masks the password, in the user part or as a parameter, and nothing else', () => {
    expect(maskDatabaseUrl('postgres://waba:s3cret@db.internal:6432/fleet?sslmode=require')).toBe('postgres://waba:***@db.internal:6432/fleet?sslmode=require');
    expect(maskDatabaseUrl('postgresql://waba:p%40ss%2Fword@db/fleet')).toBe('postgresql://waba:***@db/fleet');
    expect(maskDatabaseUrl('postgres://db/fleet?user=waba&password=s3cret')).toBe('postgres://db/fleet?user=waba&password=***');
    expect(maskDatabaseUrl('postgres://waba@db/fleet')).toBe('postgres://waba@db/fleet');
    expect(maskDatabaseUrl('./data/waba-sync.sqlite')).toBe('./data/waba-sync.sqlite');
    // Unparseable: where the password would be can't be told, so only the scheme is shown.
    expect(maskDatabaseUrl('postgres://waba:s3cret@[db/fleet')).toBe('postgres://…');
  });

  it('a malformed or foreign URL is a configuration error that does not show the password', () => {
    for (const value of ['postgres://waba:s3cret@[db/fleet', 'mysql://waba:s3cret@db/fleet', 'postgres:///fleet?password=s3cret']) {
      expect(() => parseConfig({ DATABASE_URL: value })).toThrow(/DATABASE_URL/);
      try {
        parseConfig({ DATABASE_URL: value });
      } catch (error) {
        expect((error as Error).message).not.toContain('s3cret');
      }
    }
    expect(parseConfig({ DATABASE_URL: 'postgres://waba:s3cret@db/fleet' }).databasePath).toBe('postgres://waba:s3cret@db/fleet');
  });
});
