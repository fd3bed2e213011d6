/**
 * `resolve-token TOKEN`: which WABAs an Embedded Signup token grants (debug_token, read with the
 * system user token), newest first, and whether each is already known as a client or owned WABA.
 * The token is a secret: it is sent to Meta once and never printed or logged.
 */
import { UsageError, WabaSyncError } from '../errors.js';
import { SecretScrubber, configuredSecrets } from '../secrets.js';
import { SOURCE } from '../sources/meta/client.js';
import { textTable } from '../render/text-table.js';
import { OWNED_WABA, WABA } from '../sources/meta/kinds.js';
import { META_PRESENTERS } from '../sources/meta/presentation.js';
import { createMetaClient } from '../sources/meta/source.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, writeLine } from './io.js';

const SCOPE = 'whatsapp_business_management';

/** Exit code: 0 a valid token, 1 an invalid one. */
export async function resolveTokenCommand(io: CliIo, argument: string): Promise<number> {
  const config = commandConfig(io);
  // "-": read the token from standard input, so it stays out of `ps` and the shell history.
  const token = argument === '-' ? await readAll(io.stdin) : argument;
  if (!config.meta) throw new UsageError(`resolve-token: the meta source is not enabled: ${config.disabledReasons.meta}`);
  if (token.trim() === '') throw new UsageError('resolve-token: expected the token returned by Embedded Signup');

  // Meta's answers may quote the token asked about (or ours): cut both out of anything printed.
  const scrubber = new SecretScrubber([...configuredSecrets(config), token.trim()]);
  let info: Awaited<ReturnType<ReturnType<typeof createMetaClient>['debugToken']>>;
  try {
    info = await createMetaClient({ config: config.meta, http: config.http }).debugToken(token.trim(), { signal: io.signal });
  } catch (error) {
    throw error instanceof WabaSyncError ? new WabaSyncError(error.code, scrubber.describe(error), { cause: error }) : error;
  }
  const ids = info.granular_scopes.find((scope) => scope.scope === SCOPE)?.target_ids ?? [];

  const expires = info.expires_at === undefined ? 'unknown' : info.expires_at === 0 ? 'never' : new Date(info.expires_at * 1000).toISOString();
  if (!info.is_valid) {
    const why = info.error?.message ? ` (Meta: ${scrubber.scrub(info.error.message).replace(/\s+/g, ' ').slice(0, 200)})` : '';
    writeLine(io.stdout, `Token: NOT valid${why}`);
  } else {
    writeLine(io.stdout, `Token: valid, expires ${expires}`);
  }
  if (ids.length === 0) {
    writeLine(io.stdout, `No WABA is granted ${SCOPE} by this token.`);
    return info.is_valid ? 0 : 1;
  }

  return withApp(io, config, async ({ db }) => {
    const rows = await db
      .selectFrom('entity_version')
      .select(['kind', 'key', 'data'])
      .where('source', '=', SOURCE)
      .where('kind', 'in', [WABA, OWNED_WABA])
      .where('valid_to', 'is', null)
      .where('key', 'in', ids)
      .execute();
    const known = new Map<string, string>();
    for (const row of rows) {
      const name = META_PRESENTERS[row.kind]?.(JSON.parse(row.data) as Record<string, unknown>).label;
      const what = row.kind === WABA ? 'client WABA' : 'owned WABA';
      const label = name ? `${what} ${JSON.stringify(name)}` : what;
      known.set(row.key, known.has(row.key) ? `${known.get(row.key)}, ${label}` : `yes: ${label}`);
    }
    writeLine(io.stdout, `WABAs granted ${SCOPE} (newest first):`);
    writeLine(
      io.stdout,
      textTable(
        ['WABA ID', 'KNOWN'],
        ids.map((id) => [id, known.get(id) ?? 'no: not in the last pull (a full sync will list it once shared)']),
      ),
    );
    return info.is_valid ? 0 : 1;
  });
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) throw new UsageError('resolve-token -: no standard input to read the token from');
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.trim();
}
