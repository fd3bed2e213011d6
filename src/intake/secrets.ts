/** Comparing a secret a request brings with ours, in time that says nothing about either. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMACs of both (fixed length, whatever the inputs' lengths), compared in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHmac('sha256', 'waba-sync').update(given).digest();
  const b = createHmac('sha256', 'waba-sync').update(expected).digest();
  return timingSafeEqual(a, b);
}
