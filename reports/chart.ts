/**
 * The report's charts: Vega-Lite specs (pure, from the model), compiled by vega-lite, drawn to SVG
 * by vega and rasterised to PNG by resvg — mail clients don't render SVG. The font is loaded from
 * the dejavu-fonts-ttf package, never from the system, so the PNG looks the same on every machine
 * (DejaVu Sans also covers Hebrew and Arabic names).
 */
import { createRequire } from 'node:module';
import type { Spec as VegaSpec } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { MonthlyReport } from './model.js';
import { stripControlChars } from '../src/render/plain-text.js';
import { nameOf } from './render-text.js';
import { CATEGORIES } from './types.js';

export interface ChartImage {
  readonly name: 'month' | 'trend';
  readonly filename: string;
  readonly alt: string;
  readonly png: Buffer;
}

/** Bars for the biggest numbers; the rest are drawn as one "all other numbers" bar. */
export const CHART_NUMBERS = 15;
const FONT = 'DejaVu Sans';
const COLORS = { marketing: '#e8833a', service: '#3a7dc9', incoming: '#4caf6a' };

const categoryColor = {
  field: 'category',
  type: 'nominal',
  title: null,
  sort: [...CATEGORIES],
  scale: { domain: [...CATEGORIES], range: CATEGORIES.map((c) => COLORS[c]) },
  legend: { orient: 'top' },
} as const;

const config = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 15, anchor: 'start' } } as const;

/** The month by number and category: stacked horizontal bars. Null when there are no figures. */
export function monthChartSpec(report: MonthlyReport): TopLevelSpec | null {
  const rows = report.rows.filter((row) => row.current);
  if (!report.totals || rows.length === 0) return null;
  const shown = rows.slice(0, CHART_NUMBERS);
  const rest = rows.slice(CHART_NUMBERS);
  const bars = shown.map((row, i) => ({ label: label(`${nameOf(row.info)} · ${row.info.whatsapp}`), order: i, counters: row.current! }));
  if (rest.length > 0) {
    const sum = (c: (typeof CATEGORIES)[number]) => rest.reduce((total, row) => total + row.current![c], 0);
    bars.push({ label: `all ${rest.length} other numbers`, order: bars.length, counters: { conversations: 0, marketing: sum('marketing'), service: sum('service'), incoming: sum('incoming') } });
  }
  const values = bars.flatMap((bar) => CATEGORIES.map((category, rank) => ({ label: bar.label, order: bar.order, category, rank, count: bar.counters[category] })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Conversations by number — ${report.title}`, subtitle: 'marketing, service and incoming, as 99digital counts them' },
    width: 560,
    height: { step: 22 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: { field: 'order', op: 'min', order: 'ascending' }, axis: { labelLimit: 260 } },
      x: { field: 'count', type: 'quantitative', title: 'conversations', stack: 'zero', axis: { tickMinStep: 1, format: 'd' } },
      color: categoryColor,
      order: { field: 'rank', type: 'quantitative', sort: 'ascending' },
    },
    config,
  } as TopLevelSpec;
}

/** The last 12 months where history exists: stacked bars per month. Null when no month has figures. */
export function trendChartSpec(report: MonthlyReport): TopLevelSpec | null {
  const months = report.trend.filter((t) => t.totals);
  if (months.length === 0) return null;
  const values = months.flatMap((t, i) => CATEGORIES.map((category, rank) => ({ month: t.label, order: i, category, rank, count: t.totals![category] })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Conversations per month', subtitle: months.length < report.trend.length ? 'months with stored history' : 'the last 12 months' },
    width: Math.max(240, months.length * 48),
    height: 240,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: null, sort: { field: 'order', op: 'min', order: 'ascending' }, axis: { labelAngle: -40 } },
      y: { field: 'count', type: 'quantitative', title: 'conversations', stack: 'zero', axis: { tickMinStep: 1, format: 'd' } },
      color: categoryColor,
      order: { field: 'rank', type: 'quantitative', sort: 'ascending' },
    },
    config,
  } as TopLevelSpec;
}

/** The charts of a report as PNGs (none when there is nothing to draw). */
export async function renderCharts(report: MonthlyReport): Promise<ChartImage[]> {
  const images: ChartImage[] = [];
  const month = monthChartSpec(report);
  if (month) images.push({ name: 'month', filename: `conversations-${report.month}.png`, alt: `Conversations by number and category, ${report.title}`, png: await specToPng(month) });
  const trend = trendChartSpec(report);
  if (trend) images.push({ name: 'trend', filename: `trend-${report.month}.png`, alt: 'Conversations per month, last 12 months', png: await specToPng(trend) });
  return images;
}

/** Vega-Lite → Vega → SVG → PNG at twice the CSS size (sharp on high-density screens). */
export async function specToPng(spec: TopLevelSpec): Promise<Buffer> {
  const [{ compile }, vega, { Resvg }] = await Promise.all([import('vega-lite'), import('vega'), import('@resvg/resvg-js')]);
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled as VegaSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const resvg = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT, sansSerifFamily: FONT },
    });
    return resvg.render().asPng();
  } finally {
    view.finalize();
  }
}

let fonts: string[] | null = null;
function fontFiles(): string[] {
  if (!fonts) {
    const require = createRequire(import.meta.url);
    fonts = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
  }
  return fonts;
}

function label(text: string): string {
  const clean = stripControlChars(text);
  return clean.length > 48 ? `${clean.slice(0, 47)}…` : clean;
}
