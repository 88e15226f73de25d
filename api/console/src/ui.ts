// Pieces every screen uses: the problem banner, the confirmation dialog, cursor paging.

import { h, replace } from './dom';
import { t } from './i18n';
import { type Problem, call, problemOf } from './session';

/** Shows a failure with its title and request id, which support asks for. */
export function problemBanner(p: Problem): HTMLElement {
  return h(
    'div',
    { class: 'problem', role: 'alert', 'data-testid': 'problem' },
    h('strong', {}, p.title),
    p.detail ? h('span', {}, ` — ${p.detail}`) : null,
    p.requestId ? h('div', { class: 'request-id' }, `${t('requestId')}: `, h('code', {}, p.requestId)) : null,
  );
}

export function notice(text: string): HTMLElement {
  return h('div', { class: 'notice', role: 'status' }, text);
}

/**
 * Runs `action` and reports into `slot`: the problem when it fails, `success` (if any) when
 * it works. Returns `{ value }` when it worked (the value may be nothing: a 204), or
 * undefined after a failure.
 */
export async function attempt<T>(
  slot: HTMLElement,
  action: () => Promise<T>,
  success?: (result: T) => string,
): Promise<{ value: T } | undefined> {
  replace(slot);
  try {
    const value = await call(action);
    if (success) replace(slot, notice(success(value)));
    return { value };
  } catch (e) {
    replace(slot, problemBanner(await problemOf(e)));
    return undefined;
  }
}

/**
 * Loads what a screen needs, through `call`; when that fails, `target` shows the problem under
 * `heading` instead, and the result is undefined.
 */
export async function loadInto<T>(target: HTMLElement, heading: HTMLElement | null, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call(load);
  } catch (e) {
    replace(target, heading, problemBanner(await problemOf(e)));
    return undefined;
  }
}

/** A modal question; resolves true when the admin confirms. */
export function confirmDialog(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'data-testid': 'confirm-dialog' });
    const close = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.addEventListener('cancel', () => close(false));
    dialog.append(
      h('p', {}, question),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, t('cancel')),
        h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, t('confirm')),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
  });
}

export interface PageOf<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * A list that follows the API's cursors: `fetchPage` gets one page, `render` shows everything
 * loaded so far; a "load more" button appears while there is a next page.
 */
export function pagedList<T>(
  fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>,
  render: (items: T[]) => Node,
): { element: HTMLElement; reload: () => Promise<void>; items: () => T[]; more: () => Promise<boolean> } {
  const element = h('div', { class: 'paged' });
  const body = h('div');
  const foot = h('div', { class: 'pager' });
  element.append(body, foot);
  let items: T[] = [];
  let next: string | undefined;
  const draw = () => {
    replace(body, render(items));
    replace(
      foot,
      next
        ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'load-more', onclick: () => void more() }, t('loadMore'))
        : null,
    );
  };
  const load = async (cursor: string | undefined): Promise<boolean> => {
    replace(foot, t('loading'));
    try {
      const page = await call(() => fetchPage(cursor));
      items = cursor ? items.concat(page.items) : page.items;
      next = page.nextCursor;
      draw();
      return true;
    } catch (e) {
      replace(foot, problemBanner(await problemOf(e)));
      return false;
    }
  };
  const more = async () => (next ? load(next) : false);
  return { element, reload: async () => void (await load(undefined)), items: () => items, more };
}

export function table(headers: string[], rows: Node[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))), h('tbody', {}, ...rows)),
  );
}

/** Every page of a list, for the small ones (organisations, people in filters). */
export async function everything<T>(fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>): Promise<T[]> {
  let all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(() => fetchPage(cursor));
    all = all.concat(page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
