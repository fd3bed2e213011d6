/**
 * The README stays a page a user reads (≤ 250 lines, the two commands at its very top), and no
 * relative link in README.md or docs/*.md leads nowhere: the file must exist and, for a link to a
 * Markdown heading, the anchor must be one GitHub would generate.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README_MAX_LINES = 250;

/** Lines outside fenced code blocks, so a `#` comment or a `[x](y)` in a shell sample is ignored. */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's heading anchor (github-slugger): lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a file's headings produce; a repeated heading gets -1, -2, … as on GitHub. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Relative link targets (`[text](target)`), without external URLs. */
function relativeLinks(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      targets.push(target);
    }
  }
  return targets;
}

/** Broken relative links of one Markdown file, as "file: target (why)". */
function brokenLinks(file: string, base: string): string[] {
  const markdown = readFileSync(file, 'utf8');
  const problems: string[] = [];
  for (const target of relativeLinks(markdown)) {
    const [pathPart = '', anchor] = target.split('#', 2);
    const linked = pathPart === '' ? file : resolve(dirname(file), decodeURI(pathPart));
    const name = `${relative(base, file)}: ${target}`;
    if (!existsSync(linked)) {
      problems.push(`${name} (no such file)`);
      continue;
    }
    if (anchor !== undefined && linked.endsWith('.md') && !anchors(readFileSync(linked, 'utf8')).has(anchor)) {
      problems.push(`${name} (no heading with that anchor)`);
    }
  }
  return problems;
}

function docFiles(base: string): string[] {
  const docs = join(base, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => join(docs, name))
    : [];
  return [join(base, 'README.md'), ...inDocs];
}

describe('README.md', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it(`stays within ${README_MAX_LINES} lines`, () => {
    const lines = readme.replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('opens with the demo and test commands', () => {
    const top = readme.split('\n').slice(0, 6).join('\n');
    expect(top).toMatch(/^npm ci && npm run demo\b/m);
    expect(top).toMatch(/^npm ci && npm test\b/m);
  });
});

describe('relative links in README.md and docs/*.md', () => {
  it('lead to files and headings that exist', () => {
    const problems = docFiles(root).flatMap((file) => brokenLinks(file, root));
    expect(problems).toEqual([]);
  });

  it('are checked: a missing file, a missing anchor and a wrong section are each reported', () => {
    const base = mkdtempSync(join(tmpdir(), 'waba-docs-'));
    mkdirSync(join(base, 'docs'));
    writeFileSync(join(base, 'docs', 'a.md'), '# Memory: where the peak RSS goes\n\n## `npm start` flags\n\n## Memory: where the peak RSS goes\n');
    writeFileSync(
      join(base, 'README.md'),
      [
        '# Top',
        '[ok](docs/a.md#memory-where-the-peak-rss-goes) [ok](docs/a.md#npm-start-flags)',
        '[ok](docs/a.md#memory-where-the-peak-rss-goes-1) [ok](#top) [ok](https://example.com/x.md)',
        '[gone](docs/missing.md) [no anchor](docs/a.md#nope) [no section](#bottom)',
        '```',
        '[inside a fence](nowhere.md)',
        '```',
      ].join('\n'),
    );
    expect(docFiles(base).flatMap((file) => brokenLinks(file, base))).toEqual([
      'README.md: docs/missing.md (no such file)',
      'README.md: docs/a.md#nope (no heading with that anchor)',
      'README.md: #bottom (no heading with that anchor)',
    ]);
  });
});
