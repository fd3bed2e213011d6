/** The one clock: every timestamp we store comes from here, injected at the edges. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export function iso(date: Date): string {
  return date.toISOString();
}
