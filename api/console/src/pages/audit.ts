import { type AuditAction, AuditAction as Actions, type AuditEntry } from '../api';
import { people } from '../directory';
import { h, replace } from '../dom';
import { actionName, t, when } from '../i18n';
import { adminApi, call, problemOf } from '../session';
import { loadInto, pagedList, problemBanner, table } from '../ui';

/** How many more pages "verify" reads to bring the first broken entry into view. */
const SEEK_PAGES = 50;

export async function auditPage(main: HTMLElement): Promise<void> {
  const users = await loadInto(main, h('h1', {}, t('audit')), people);
  if (!users) return;
  const names = new Map(users.map((u) => [u.id, u.fullName]));
  const person = h('select', { name: 'actor', 'data-testid': 'filter-person' }, h('option', { value: '' }, t('all')), ...users.map((u) => h('option', { value: u.id }, `${u.fullName} (${u.username})`)));
  const documentId = h('input', { name: 'document', placeholder: '00000000-0000-0000-0000-000000000000', pattern: '[0-9a-fA-F-]{36}', 'data-testid': 'filter-document' });
  const action = h('select', { name: 'action', 'data-testid': 'filter-action' }, h('option', { value: '' }, t('all')), ...Object.values(Actions).map((a) => h('option', { value: a }, actionName(a))));
  const from = h('input', { type: 'date', name: 'from', 'data-testid': 'filter-from' });
  const to = h('input', { type: 'date', name: 'to', 'data-testid': 'filter-to' });
  let broken: number | undefined;

  const rows = (entries: AuditEntry[]) =>
    entries.length
      ? table(
          ['#', t('at'), t('person'), t('action'), t('document'), t('subject'), t('address'), t('details')],
          entries.map((e) =>
            h(
              'tr',
              { 'data-testid': 'audit-row', 'data-seq': e.seq, 'data-action': e.action, class: e.seq === broken ? 'broken' : undefined },
              h('td', {}, e.seq),
              h('td', {}, when(e.at)),
              h('td', {}, e.actorId ? (names.get(e.actorId) ?? e.actorId.slice(-12)) : '—'),
              h('td', {}, actionName(e.action)),
              h('td', {}, e.documentId ? h('code', { title: e.documentId }, e.documentId.slice(-12)) : '—'),
              h('td', {}, e.subjectId ? (names.get(e.subjectId) ?? h('code', { title: e.subjectId }, e.subjectId.slice(-12))) : '—'),
              h('td', {}, e.ip ?? '—'),
              h('td', { class: 'details' }, Object.keys(e.details ?? {}).length ? JSON.stringify(e.details) : ''),
            ),
          ),
        )
      : document.createTextNode(t('nothing'));

  const list = pagedList(
    (cursor) =>
      adminApi.listAuditEntries({
        cursor,
        limit: 50,
        actorId: person.value || undefined,
        documentId: documentId.value.trim() || undefined,
        action: (action.value || undefined) as AuditAction | undefined,
        from: from.value || undefined,
        to: to.value || undefined,
      }),
    rows,
  );
  const filters = h(
    'form',
    { class: 'filters', 'data-testid': 'audit-filters' },
    h('label', {}, t('person'), person),
    h('label', {}, t('document'), documentId),
    h('label', {}, t('action'), action),
    h('label', {}, t('from'), from),
    h('label', {}, t('to'), to),
    h('button', { type: 'submit', 'data-testid': 'apply-filters' }, t('filter')),
  );
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void list.reload();
  });

  const verdict = h('div', { class: 'slot', 'data-testid': 'verdict' });
  const verify = h('button', {
    type: 'button',
    'data-testid': 'verify',
    onclick: async () => {
      replace(verdict, t('loading'));
      try {
        const result = await call(() => adminApi.verifyAuditTrail({ full: true }));
        if (result.intact || !result.firstBreak) {
          broken = undefined;
          replace(verdict, h('div', { class: 'notice ok', role: 'status', 'data-testid': 'intact' }, t('intact', result.checked)));
          return;
        }
        broken = result.firstBreak.seq;
        replace(
          verdict,
          h('div', { class: 'problem', role: 'alert', 'data-testid': 'broken' }, t('broken', broken, t(`reason_${result.firstBreak.reason}`))),
        );
        // Bring the broken entry into view: the list is oldest first.
        let pages = 0;
        const shown = () => list.items().some((e) => e.seq >= (broken ?? 0));
        await list.reload();
        while (!shown() && pages++ < SEEK_PAGES && (await list.more()));
        list.element.querySelector('tr.broken')?.scrollIntoView({ block: 'center' });
      } catch (e) {
        replace(verdict, problemBanner(await problemOf(e)));
      }
    },
  }, t('verify'));

  replace(main, h('h1', {}, t('audit')), filters, h('div', { class: 'toolbar' }, verify), verdict, list.element);
  await list.reload();
}
