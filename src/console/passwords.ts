/**
 * Console passwords: scrypt (memory-hard, node:crypto), stored as
 * `scrypt.<N>.<r>.<p>.<salt>.<hash>` (base64url; no `:` or `$`, so an entry survives `.env`
 * files, shells and compose files). CONSOLE_USERS is a comma list of `name:hash` entries.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** 2^15 × 8 × 128 B = 32 MiB per check: slow for a guesser, ~0.1 s for a login. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const HASH_SHAPE = /^scrypt\.(\d+)\.(\d+)\.(\d+)\.([A-Za-z0-9_-]{16,})\.([A-Za-z0-9_-]{40,})$/;

export interface ConsoleUser {
  readonly name: string;
  readonly hash: string;
}

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return `scrypt.${COST.N}.${COST.r}.${COST.p}.${salt.toString('base64url')}.${key.toString('base64url')}`;
}

/** True when `password` matches `hash`; false for a malformed hash (never throws on input). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = HASH_SHAPE.exec(hash);
  if (!match) return false;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const expected = Buffer.from(match[5]!, 'base64url');
  try {
    const key = await derive(password, Buffer.from(match[4]!, 'base64url'), { N, r, p });
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** A hash made with the current cost, checked against for unknown names so they take as long. */
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** CONSOLE_USERS → users, or the problems (naming the entry by its position and name, never the hash). */
export function parseConsoleUsers(value: string): { users: ConsoleUser[]; problems: string[] } {
  const users: ConsoleUser[] = [];
  const problems: string[] = [];
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? entry : entry.slice(0, colon);
    const hash = colon < 0 ? '' : entry.slice(colon + 1);
    if (!NAME.test(name)) problems.push(`CONSOLE_USERS: entry ${i + 1}: expected a name of 1-64 letters, digits or . _ @ - before ":"`);
    else if (!HASH_SHAPE.test(hash)) problems.push(`CONSOLE_USERS: entry ${i + 1} (${name}): expected name:scrypt.… as printed by \`npm run --silent cli -- console-user ${name}\``);
    else if (users.some((u) => u.name === name)) problems.push(`CONSOLE_USERS: ${name} is listed twice`);
    else users.push({ name, hash });
  });
  if (entries.length === 0) problems.push('CONSOLE_USERS: expected at least one name:hash entry (unset it to turn the console off)');
  return { users, problems };
}
