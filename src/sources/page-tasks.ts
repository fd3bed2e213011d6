/**
 * What a page reader (page-thread.ts) can do with a page's text: one pure function per kind of
 * page, each from an upstream's own folder. Everything a task needs comes in its parameters, and
 * everything it returns crosses a thread boundary (plain data, typed arrays). A task may tell
 * `early` what the caller needs before the rest (where the next page is): it is handed over at
 * once, while the task goes on.
 */
import { readDialog360Page } from './dialog360/page.js';
import { readMetaPage } from './meta/page.js';

export const PAGE_TASKS = {
  'dialog360.page': readDialog360Page,
  'meta.page': readMetaPage,
} as const;

export type PageTask = keyof typeof PAGE_TASKS;
export type PageParams<N extends PageTask> = Parameters<(typeof PAGE_TASKS)[N]>[1];
export type PageResult<N extends PageTask> = ReturnType<(typeof PAGE_TASKS)[N]>;
/** What a task tells `early`, if it does. */
export type PageEarly<N extends PageTask> = Parameters<NonNullable<Parameters<(typeof PAGE_TASKS)[N]>[2]>>[0];

/** Reads pages: on a thread of its own (PageThread) or on the caller's (inlinePages). */
export interface PageReader {
  read<N extends PageTask>(task: N, text: string, params: PageParams<N>, early?: (value: PageEarly<N>) => void): Promise<PageResult<N>>;
}

/** Reads each page on the calling thread: for a source built without the App's page thread (tests of one source). */
export const inlinePages: PageReader = {
  read: async (task, text, params, early) => PAGE_TASKS[task](text, params as never, early as never) as never,
};
