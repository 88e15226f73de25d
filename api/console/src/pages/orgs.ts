import type { Organization } from '../api';
import { organizations } from '../directory';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { loadInto, table } from '../ui';

/** The organisation tree: each organisation under its parent, indented by depth. */
export async function orgsPage(main: HTMLElement): Promise<void> {
  replace(main, h('h1', {}, t('orgs')), t('loading'));
  const all = await loadInto(main, h('h1', {}, t('orgs')), organizations);
  if (!all) return;
  const ids = new Set(all.map((o) => o.id));
  const children = new Map<string | undefined, Organization[]>();
  for (const org of all) {
    // An organisation whose parent the admin does not manage is a root of their tree.
    const parent = org.parentId && ids.has(org.parentId) ? org.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), org]);
  }
  const rows: HTMLElement[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const org of children.get(parent) ?? []) {
      const seal = org.seal === 'certified' ? 'sealCertified' : org.seal === 'pending' ? 'sealPending' : 'sealNone';
      rows.push(
        h(
          'tr',
          { 'data-testid': 'org-row' },
          h('td', {}, h('span', { class: `depth depth-${Math.min(depth, 5)}` }, org.name)),
          h('td', {}, h('code', {}, org.code)),
          h('td', {}, org.abbreviation),
          h('td', {}, t(org.numberingStyle === 'party' ? 'party' : 'state')),
          h('td', {}, h('span', { class: `badge seal-${org.seal}` }, t(seal))),
        ),
      );
      walk(org.id, depth + 1);
    }
  };
  walk(undefined, 0);
  replace(
    main,
    h('h1', {}, t('orgs')),
    rows.length ? table([t('name'), t('code'), t('abbreviation'), t('numbering'), t('seal')], rows) : t('nothing'),
  );
}
