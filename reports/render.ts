/** All renderings of one report, and writing them to a folder (`report --out DIR`). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChartImage, renderCharts } from './chart.js';
import type { MonthlyReport } from './model.js';
import { renderCsv } from './render-csv.js';
import { renderHtml } from './render-html.js';
import { renderText } from './render-text.js';
import { renderOnboardingCsv } from './render-onboarding.js';

export interface RenderedReport {
  readonly report: MonthlyReport;
  readonly text: string;
  readonly csv: string;
  /** The onboarding section's figures (onboarding.csv; report.csv keeps one row per number). */
  readonly onboardingCsv: string;
  readonly charts: readonly ChartImage[];
  /** The HTML with images found through `imageSrc` (cid: in an email, a file name on disk). */
  html(imageSrc: (chart: ChartImage) => string): string;
}

export async function renderReport(report: MonthlyReport): Promise<RenderedReport> {
  const charts = await renderCharts(report);
  return {
    report,
    text: renderText(report),
    csv: renderCsv(report),
    onboardingCsv: renderOnboardingCsv(report),
    charts,
    html: (imageSrc) =>
      renderHtml(report, {
        images: charts.map((c) => ({ name: c.name, alt: c.alt })),
        imageSrc: (name) => imageSrc(charts.find((c) => c.name === name)!),
      }),
  };
}

/** Creates `dir` and writes report.html, report.txt, report.csv and the PNGs; returns the paths. */
export async function writeReportFiles(rendered: RenderedReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string | Buffer][] = [
    ['report.html', rendered.html((chart) => chart.filename)],
    ['report.txt', rendered.text],
    ['report.csv', rendered.csv],
    ['onboarding.csv', rendered.onboardingCsv],
    ...rendered.charts.map((chart): [string, Buffer] => [chart.filename, chart.png]),
  ];
  const paths: string[] = [];
  for (const [name, content] of files) {
    const path = join(dir, name);
    await writeFile(path, content);
    paths.push(path);
  }
  return paths;
}
