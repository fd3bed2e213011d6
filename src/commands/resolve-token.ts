/**
 * `resolve-token TOKEN`: which WABAs an Embedded Signup token grants (debug_token, read with the
 * system user token), newest first, and whether each is already known as a client or owned WABA.
 * The token is a secret: it is sent to Meta once and never printed or logged.
 */
import { openDatabase } from '../../db/database.js';
import { loadEnv, parseConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { table } from '../events/format.js';
import { OWNED_WABA, WABA } from '../sources/meta/kinds.js';
import { createMetaClient } from '../sources/meta/source.js';
import { type CliIo, writeLine } from './io.js';

const SCOPE = 'whatsapp_business_management';

/** Exit code: 0 a valid token, 1 an invalid one. */
export async function resolveTokenCommand(io: CliIo, argument: string): Promise<number> {
  const config = parseConfig(loadEnv(io.env, io.cwd));
  // "-": read the token from standard input, so it stays out of `ps` and the shell history.
  const token = argument === '-' ? await readAll(io.stdin) : argument;
  if (!config.meta) throw new UsageError(`resolve-token: the meta source is not enabled: ${config.disabledReasons.meta}`);
  if (token.trim() === '') throw new UsageError('resolve-token: expected the token returned by Embedded Signup');

  const info = await createMetaClient({ config: config.meta, http: config.http }).debugToken(token.trim(), { signal: io.signal });
  const ids = info.granular_scopes.find((scope) => scope.scope === SCOPE)?.target_ids ?? [];

  const expires = info.expires_at === undefined ? 'unknown' : info.expires_at === 0 ? 'never' : new Date(info.expires_at * 1000).toISOString();
  if (!info.is_valid) {
    const why = info.error?.message ? ` (Meta: ${info.error.message.replace(/\s+/g, ' ').slice(0, 200)})` : '';
    writeLine(io.stdout, `Token: NOT valid${why}`);
  } else {
    writeLine(io.stdout, `Token: valid, expires ${expires}`);
  }
  if (ids.length === 0) {
    writeLine(io.stdout, `No WABA is granted ${SCOPE} by this token.`);
    return info.is_valid ? 0 : 1;
  }

  const db = await openDatabase(config.databasePath, { busyTimeoutMs: config.databaseBusyTimeoutMs });
  try {
    const rows = await db
      .selectFrom('entity_version')
      .select(['kind', 'key', 'data'])
      .where('source', '=', 'meta')
      .where('kind', 'in', [WABA, OWNED_WABA])
      .where('valid_to', 'is', null)
      .where('key', 'in', ids)
      .execute();
    const known = new Map<string, string>();
    for (const row of rows) {
      const name = (JSON.parse(row.data) as { name?: unknown }).name;
      const what = row.kind === WABA ? 'client WABA' : 'owned WABA';
      const label = typeof name === 'string' && name ? `${what} ${JSON.stringify(name)}` : what;
      known.set(row.key, known.has(row.key) ? `${known.get(row.key)}, ${label}` : `yes: ${label}`);
    }
    writeLine(io.stdout, `WABAs granted ${SCOPE} (newest first):`);
    writeLine(
      io.stdout,
      table(
        ['WABA ID', 'KNOWN'],
        ids.map((id) => [id, known.get(id) ?? 'no: not in the last pull (a full sync will list it once shared)']),
      ),
    );
    return info.is_valid ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) throw new UsageError('resolve-token -: no standard input to read the token from');
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.trim();
}
