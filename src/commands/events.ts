/** `events`: what changed, oldest first, as a table or one JSON object a line. */
import { UsageError } from '../errors.js';
import { eventJsonLine, eventTable } from '../events/format.js';
import { listEvents } from '../events/query.js';
import { commandConfig, withApp } from './context.js';
import { readInstant } from '../instant.js';
import { type CliIo, writeLine } from './io.js';

export interface EventsOptions {
  since?: string;
  type?: string;
  json?: boolean;
}

export async function eventsCommand(io: CliIo, options: EventsOptions): Promise<number> {
  const config = commandConfig(io);
  let since: string | undefined;
  if (options.since !== undefined) {
    // UTC unless the value names an offset, whatever the host's time zone (the table says UTC).
    const parsed = readInstant(options.since);
    if (parsed === null) throw new UsageError(`--since: expected an ISO 8601 date or time (UTC unless it names an offset), got ${JSON.stringify(options.since)}`);
    since = parsed;
  }
  return withApp(io, config, async ({ db }) => {
    const events = await listEvents(db, { since, type: options.type });
    if (options.json) {
      // As they are: a line holds nothing a terminal acts on (eventJsonLine), and stripping would change the JSON.
      for (const event of events) io.stdout.write(`${eventJsonLine(event)}\n`);
    } else {
      writeLine(io.stdout, eventTable(events));
    }
    return 0;
  });
}
