/** The console's Eta templates, loaded by name; Eta escapes every `<%= %>` (autoEscape). */
import { Eta } from 'eta';
import { EVENTS } from './views/events.js';
import { ENTITY, SEARCH } from './views/fleet.js';
import { LAYOUT, LOGIN, NOT_FOUND } from './views/layout.js';
import { ONBOARDING, OUTBOX, REPORT, REPORTS, RUNS } from './views/operations.js';
import { OVERVIEW } from './views/overview.js';

const TEMPLATES = {
  layout: LAYOUT,
  login: LOGIN,
  'not-found': NOT_FOUND,
  overview: OVERVIEW,
  events: EVENTS,
  search: SEARCH,
  entity: ENTITY,
  runs: RUNS,
  outbox: OUTBOX,
  reports: REPORTS,
  report: REPORT,
  onboarding: ONBOARDING,
} as const;

export type TemplateName = Exclude<keyof typeof TEMPLATES, 'layout'>;

export function consoleTemplates(): (name: TemplateName, data: object) => string {
  const eta = new Eta({ autoEscape: true, autoTrim: [false, 'nl'], cache: true });
  for (const [name, source] of Object.entries(TEMPLATES)) eta.loadTemplate(`@${name}`, source);
  return (name, data) => eta.render(`@${name}`, data);
}
