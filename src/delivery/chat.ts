/**
 * Chat messages (CHAT_WEBHOOK_URL, a Slack-compatible incoming webhook): which events are
 * important enough, and how they read. Pure: the dispatcher sends what this returns.
 *
 * Important: the digest sections people act on — account updates (violations, bans), newly shared
 * WABAs, finished onboardings and swaps, vanished entities (an unshared WABA) — and, of status and
 * quality changes, only drops (a change away from a healthy value, or to a lower quality).
 *
 * Upstream strings are made inert for Slack's mrkdwn: `&`, `<`, `>` escaped as Slack asks (so no
 * `<!channel>` mention or `<url|forged link>`), an `@` followed by a word joiner (so a plain
 * "@channel" doesn't notify on servers that parse it, e.g. Mattermost), control characters gone.
 * The payload is JSON.stringify'd: valid JSON whatever the names hold.
 */
import type { EventRecord } from '../events/query.js';
import { SECTIONS, sectionOf } from '../notify/digest/sections.js';
import { stripControlChars } from '../render/plain-text.js';
import { displayValue } from '../render/truncate.js';
import { presentEvent } from '../sources/presentation.js';

export const CHAT_LANE = 'chat';

/** Sent one by one up to this many per minute; more within the minute become one summary. */
export const CHAT_MESSAGES_PER_MINUTE = 3;
/** Lines a summary lists before "… and N more". */
const SUMMARY_LINES = 10;

const IMPORTANT_SECTIONS = new Set(['account', 'shared', 'onboarded', 'vanished']);

/** Values a status can drop *from*, and quality ranks (higher is better), upper-cased. */
const HEALTHY = new Set(['CONNECTED', 'READY', 'RUNNING', 'ACTIVE', 'LIVE', 'APPROVED', 'AVAILABLE', 'ONLINE', 'VERIFIED']);
const QUALITY_RANK: Record<string, number> = { GREEN: 3, HIGH: 3, YELLOW: 2, MEDIUM: 2, RED: 1, LOW: 1, FLAGGED: 1 };

export function isChatWorthy(event: EventRecord): boolean {
  const section = sectionOf(event.type);
  if (IMPORTANT_SECTIONS.has(section)) return true;
  if (section !== 'status' || !event.changes) return false;
  return Object.values(event.changes).some(({ from, to }) => isDrop(from, to));
}

function isDrop(from: unknown, to: unknown): boolean {
  const [before, after] = [String(from ?? '').toUpperCase(), String(to ?? '').toUpperCase()];
  const [rankBefore, rankAfter] = [QUALITY_RANK[before], QUALITY_RANK[after]];
  if (rankBefore !== undefined && rankAfter !== undefined) return rankAfter < rankBefore;
  if (rankAfter !== undefined) return rankAfter === 1;
  return HEALTHY.has(before) && !HEALTHY.has(after);
}

/** Upstream text as inert Slack mrkdwn on one line. */
export function escapeMrkdwn(text: string): string {
  return stripControlChars(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/@/g, '@\u2060');
}

function value(v: unknown): string {
  return escapeMrkdwn(displayValue(typeof v === 'string' ? v : JSON.stringify(v) ?? 'null'));
}

/** One event as one line: title, what it is about, what changed. */
export function chatLine(event: EventRecord): string {
  const title = SECTIONS.find((section) => section.id === sectionOf(event.type))?.title ?? 'Change';
  const presentation = presentEvent(event);
  const about = presentation.label ?? presentation.name ?? event.key;
  // What the digest says of it beside the name: an account update's event and reason, a number.
  const facts = [...(presentation.number && presentation.number !== about ? [presentation.number] : []), ...presentation.notes];
  const notes = facts.length > 0 ? ` — ${facts.slice(0, 3).map((fact) => escapeMrkdwn(displayValue(fact))).join('; ')}` : '';
  const changes = event.changes
    ? ` — ${Object.entries(event.changes)
        .slice(0, 3)
        .map(([field, change]) => `${escapeMrkdwn(field)}: ${value(change.from)} → ${value(change.to)}`)
        .join('; ')}`
    : '';
  return `*${escapeMrkdwn(title.split(':')[0]!)}* \`${escapeMrkdwn(event.type)}\` ${escapeMrkdwn(displayValue(about))} (${escapeMrkdwn(event.source)} ${escapeMrkdwn(displayValue(event.key))})${notes}${changes}`;
}

/** The JSON body of one message about one event. */
export function chatMessage(event: EventRecord): string {
  return JSON.stringify({ text: chatLine(event) });
}

/** The JSON body of one summary for many events (oldest first). */
export function chatSummary(events: readonly EventRecord[]): string {
  const byType = new Map<string, number>();
  for (const event of events) byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
  const counts = [...byType.entries()].map(([type, n]) => `${n} × \`${escapeMrkdwn(type)}\``).join(', ');
  const lines = events.slice(0, SUMMARY_LINES).map((event) => `• ${chatLine(event)}`);
  const more = events.length > SUMMARY_LINES ? [`… and ${events.length - SUMMARY_LINES} more (\`events --since ${events[0]!.at}\`)`] : [];
  return JSON.stringify({ text: [`*${events.length} important events*: ${counts}`, ...lines, ...more].join('\n') });
}
