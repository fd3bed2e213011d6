/** Small formatting shared by the renderers: local times, durations, signed changes. */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';

/** "2026-10-31 23:50" in `timezone`. */
export function localTime(iso: string | Date, timezone: string): string {
  return format(new TZDate(new Date(iso).getTime(), timezone), 'yyyy-MM-dd HH:mm');
}

/** "1 d 4 h", "3 h 20 min", "12 min" */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
  return `${mins} min`;
}

/** 1234 → "1,234" */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** +12, −3, 0 */
export function signed(n: number): string {
  if (n > 0) return `+${num(n)}`;
  if (n < 0) return `−${num(-n)}`;
  return '0';
}

/** "+12 (+4.5%)", or "+12" when the base is 0. */
export function change(current: number, previous: number): string {
  const delta = current - previous;
  if (previous === 0) return signed(delta);
  const pct = (delta / previous) * 100;
  return `${signed(delta)} (${pct > 0 ? '+' : pct < 0 ? '−' : ''}${Math.abs(pct).toFixed(1)}%)`;
}
