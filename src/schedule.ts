/**
 * Reading cron expressions the way the daemon's node-cron will run them, in TIMEZONE: the next
 * fire times and the period between them (used for catch-up and `status`). node-cron's runner
 * sleeps until the same "next match" computed here, which fixes the behaviour across DST:
 * - spring forward: a wall-clock time that doesn't exist that day (02:30 in Asia/Jerusalem) has no
 *   run that day;
 * - fall back: a wall-clock time that occurs twice runs once, at its second (standard-time)
 *   occurrence — an hourly job has one run fewer in UTC that night.
 * Jobs are idempotent anyway (a digest covers each event once, a report goes once per month and
 * recipient, a repeated pull finds nothing new).
 */
import cron from 'node-cron';

/** The next `count` fire times after now (node-cron reads the clock itself). */
export function nextRuns(expression: string, timezone: string, count: number): Date[] {
  const task = cron.createTask(expression, () => undefined, { timezone });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

/** Time between the next two fire times: how stale a job's last run may be before catch-up. */
export function periodMs(expression: string, timezone: string): number {
  const [first, second] = nextRuns(expression, timezone, 2);
  return second!.getTime() - first!.getTime();
}
