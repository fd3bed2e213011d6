/**
 * A moment a person typed (a console field, `events --since`): a date, or a date and time with
 * `Z`, an offset or neither — neither meaning UTC, as every time waba-sync shows is. Anything
 * else is refused rather than guessed at: a day or time that does not exist (31 February is not
 * read as 3 March), or a form JavaScript would read in the server's own time zone.
 */
export function readInstant(text: string): string | null {
  const match = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?$/.exec(text);
  if (!match) return null;
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = match.map((part) => part ?? undefined) as string[];
  const fields = [Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)] as const;
  const wall = new Date(Date.UTC(...fields));
  wall.setUTCFullYear(fields[0]);
  const exists =
    wall.getUTCFullYear() === fields[0] && wall.getUTCMonth() === fields[1] && wall.getUTCDate() === fields[2] && wall.getUTCHours() === fields[3] && wall.getUTCMinutes() === fields[4] && wall.getUTCSeconds() === fields[5];
  if (!exists) return null;
  const ms = Date.parse(match[4] !== undefined && match[8] === undefined ? `${text}Z` : text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
