import './style.css';
import { forget } from './directory';
import { h, replace } from './dom';
import { t, toggleLanguage } from './i18n';
import { auditPage } from './pages/audit';
import { orgsPage } from './pages/orgs';
import { peoplePage, personPage } from './pages/people';
import { reportPage } from './pages/report';
import { signInPage } from './pages/signin';
import { type Problem, signOut, signedIn, whenEnded } from './session';

const root = document.getElementById('app') as HTMLElement;

const screens: { hash: string; label: () => string; show: (main: HTMLElement) => void }[] = [
  { hash: '#/orgs', label: () => t('orgs'), show: orgsPage },
  { hash: '#/people', label: () => t('people'), show: peoplePage },
  { hash: '#/audit', label: () => t('audit'), show: auditPage },
  { hash: '#/report', label: () => t('report'), show: reportPage },
];

function languageButton(): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'secondary lang',
      'data-testid': 'language',
      onclick: () => {
        toggleLanguage();
        render();
      },
    },
    t('language'),
  );
}

function render(ended: Problem | null = null): void {
  document.title = t('appName');
  const me = signedIn();
  if (!me) {
    replace(root, signInPage(languageButton(), ended, () => {
      if (!screens.some((s) => window.location.hash.startsWith(s.hash))) window.location.hash = '#/orgs';
      render();
    }));
    return;
  }
  const hash = window.location.hash || '#/orgs';
  const current = screens.find((s) => hash.startsWith(s.hash)) ?? screens[0];
  const nav = h(
    'nav',
    {},
    ...screens.map((s) =>
      h('a', { href: s.hash, class: s === current ? 'current' : undefined, 'data-testid': `nav-${s.hash.slice(2)}` }, s.label()),
    ),
  );
  const main = h('main');
  replace(
    root,
    h(
      'header',
      {},
      h('span', { class: 'brand' }, t('appName')),
      nav,
      h(
        'span',
        { class: 'who' },
        me.fullName,
        languageButton(),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-testid': 'sign-out',
            onclick: async () => {
              await signOut();
              forget();
              render();
            },
          },
          t('signOut'),
        ),
      ),
    ),
    main,
  );
  const person = /^#\/people\/([0-9a-f-]{36})$/.exec(hash);
  if (person) personPage(main, person[1]);
  else current.show(main);
}

whenEnded((why) => {
  forget();
  render(why);
});
window.addEventListener('hashchange', () => render());
render();
