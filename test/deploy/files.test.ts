/**
 * The deployment files in deploy/ can't be run here (no Docker engine; no root to install a
 * service): every script, path, port and variable they name is checked against the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config.js';
import { NODE_MEMORY_FLAGS } from '../../src/node-flags.js';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** Every variable the code reads or .env.example documents. */
function knownVariables(): Set<string> {
  const names = new Set<string>();
  for (const match of read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)) names.add(match[1]!);
  const configFiles = ['src/config.ts', ...readdirSync(join(ROOT, 'src/sources'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `src/sources/${d.name}/config.ts`)];
  for (const file of configFiles.filter((f) => existsSync(join(ROOT, f)))) for (const match of read(file).matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) names.add(match[1]!);
  return names;
}

/** `npm start`'s node arguments: what a supervisor must run instead of npm. */
const START = scripts.start!.replace(/^exec /, '').split(' ');
const DEFAULTS = parseConfig({});

/** A compiled path (dist/src/x.js) exists as the source tsc builds it from (src/x.ts). */
function compiledFromSource(path: string): boolean {
  return path.startsWith('dist/') && existsSync(join(ROOT, path.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
}

/** systemd's unit file: [Section] then Key=Value lines (a key may repeat). */
function parseUnit(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    entries.set(key, [...(entries.get(key) ?? []), line.slice(eq + 1)]);
  }
  return entries;
}

describe('deploy/waba-sync.service', () => {
  const unit = parseUnit(read('deploy/waba-sync.service'));
  const one = (key: string) => {
    const values = unit.get(key) ?? [];
    expect(values, key).toHaveLength(1);
    return values[0]!;
  };

  it('runs node on the compiled daemon directly, with npm start\'s flags', () => {
    const [node, ...args] = one('Service.ExecStart').split(' ');
    expect(node).toMatch(/^\/.*\/node$/);
    expect(args).toEqual(START.slice(1));
    for (const flag of NODE_MEMORY_FLAGS) expect(args).toContain(flag);
    expect(compiledFromSource(args.at(-1)!)).toBe(true);
  });

  it('restarts on failure (not on a configuration error), outwaits the 10 s shutdown, runs as its own user, hardened', () => {
    expect(one('Service.Restart')).toBe('on-failure');
    expect(one('Service.RestartPreventExitStatus')).toBe('2');
    expect(Number(one('Service.TimeoutStopSec'))).toBeGreaterThan(10);
    expect(one('Service.User')).not.toBe('root');
    expect(one('Service.NoNewPrivileges')).toBe('yes');
    expect(one('Service.ProtectSystem')).toBe('strict');
    expect(one('Service.PrivateTmp')).toBe('yes');
    // The working directory holds .env; the default database lives in its data folder, the one writable path.
    const workingDirectory = one('Service.WorkingDirectory');
    expect(one('Service.ReadWritePaths')).toBe(posix.join(workingDirectory, posix.dirname(DEFAULTS.databasePath)));
  });

  it.runIf(spawnSync('systemd-analyze', ['--version']).status === 0)('passes systemd-analyze verify', () => {
    const verify = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy/waba-sync.service')], { encoding: 'utf8', cwd: ROOT });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  });
});

/** Dockerfile instructions (continuation lines joined), by stage. */
function parseDockerfile(text: string): { instruction: string; args: string; stage: number }[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  let stage = -1;
  return lines.map((line) => {
    const [instruction, ...rest] = line.split(/\s+/);
    if (instruction!.toUpperCase() === 'FROM') stage += 1;
    return { instruction: instruction!.toUpperCase(), args: rest.join(' '), stage };
  });
}

describe('deploy/Dockerfile', () => {
  const text = read('deploy/Dockerfile');
  const steps = parseDockerfile(text);
  const final = steps.filter((step) => step.stage === Math.max(...steps.map((s) => s.stage)));
  const env = new Map<string, string>();
  for (const step of final.filter((s) => s.instruction === 'ENV')) for (const match of step.args.matchAll(/([A-Z][A-Z0-9_]*)=(\S+)/g)) env.set(match[1]!, match[2]!);

  it('is multi-stage and copies only files the repository has', () => {
    expect(steps.filter((step) => step.instruction === 'FROM').length).toBeGreaterThanOrEqual(2);
    for (const step of steps.filter((s) => s.instruction === 'COPY' && !s.args.startsWith('--from'))) {
      const sources = step.args.split(' ').slice(0, -1);
      for (const source of sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
  });

  it('runs the npm commands and scripts package.json has', () => {
    for (const step of steps.filter((s) => s.instruction === 'RUN')) {
      for (const match of step.args.matchAll(/npm run (\S+)/g)) expect(scripts[match[1]!], match[1]).toBeDefined();
    }
    expect(text).toContain('npm ci');
    expect(scripts.prepare).toBe('npm run build');
  });

  it('runs as a non-root user, the daemon with npm start\'s flags, data on a volume', () => {
    const user = final.filter((s) => s.instruction === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const command = JSON.parse(final.find((s) => s.instruction === 'CMD')!.args) as string[];
    expect(command).toEqual(START);
    expect(compiledFromSource(command.at(-1)!)).toBe(true);
    const volumes = JSON.parse(final.find((s) => s.instruction === 'VOLUME')!.args) as string[];
    expect(volumes).toContain(posix.dirname(env.get('DATABASE_URL')!));
  });

  it('exposes HTTP_PORT and the webhook port, and checks health on /healthz', () => {
    const exposed = final.filter((s) => s.instruction === 'EXPOSE').flatMap((s) => s.args.split(' '));
    expect(exposed).toContain(env.get('HTTP_PORT'));
    expect(env.get('HTTP_PORT')).toBe(String(DEFAULTS.httpPort));
    // Every other port is one the file tells how to enable (WEBHOOK_PORT=…).
    for (const port of exposed.filter((p) => p !== env.get('HTTP_PORT'))) expect(text).toContain(`WEBHOOK_PORT=${port}`);
    const health = final.find((s) => s.instruction === 'HEALTHCHECK')!.args;
    expect(health).toContain('/healthz');
    expect(health).toContain('process.env.HTTP_PORT');
  });

  it('sets only variables waba-sync knows (and NODE_ENV)', () => {
    const known = knownVariables();
    for (const name of env.keys()) if (name !== 'NODE_ENV') expect(known.has(name), name).toBe(true);
    expect(parseConfig(Object.fromEntries(env)).databasePath).toBe('/data/waba-sync.sqlite');
  });
});

describe('deploy/compose.yaml', () => {
  interface Service {
    image?: string;
    build?: { context: string; dockerfile: string };
    env_file?: string;
    environment?: Record<string, string>;
    ports?: string[];
    stop_grace_period?: string;
    depends_on?: Record<string, unknown>;
  }
  const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Service> };
  const services = Object.entries(compose.services);
  const wabaSync = services.filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

  it('runs PostgreSQL and two waba-sync instances built from deploy/Dockerfile', () => {
    expect(services.some(([, s]) => s.image?.startsWith('postgres:'))).toBe(true);
    expect(wabaSync).toHaveLength(2);
    for (const [, s] of wabaSync) expect(existsSync(join(ROOT, 'deploy', s.build!.context, s.build!.dockerfile))).toBe(true);
  });

  it('gives them variables waba-sync knows, a PostgreSQL DATABASE_URL on the postgres service, HTTP_PORT published, time to stop', () => {
    const known = knownVariables();
    const postgres = services.find(([, s]) => s.image?.startsWith('postgres:'))![0];
    for (const [name, s] of wabaSync) {
      for (const variable of Object.keys(s.environment ?? {})) expect(known.has(variable), `${name} ${variable}`).toBe(true);
      const url = new URL(s.environment!.DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'x'));
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe(postgres);
      expect(Object.keys(s.depends_on ?? {})).toContain(postgres);
      // Each published port is the daemon's HTTP_PORT or its webhook intake's WEBHOOK_PORT; HTTP_PORT is among them.
      const published = (s.ports ?? []).map((port) => port.split(':').at(-1));
      for (const port of published) expect([s.environment!.HTTP_PORT, s.environment!.WEBHOOK_PORT]).toContain(port);
      expect(published).toContain(s.environment!.HTTP_PORT);
      expect(Number.parseInt(s.stop_grace_period!, 10)).toBeGreaterThan(10);
      // ../.env beside the compose file: the repository root's, made from .env.example.
      expect(s.env_file).toBe('../.env');
      expect(existsSync(join(ROOT, '.env.example'))).toBe(true);
      expect(() => parseConfig({ ...s.environment, DATABASE_URL: url.toString() })).not.toThrow();
    }
  });
});
