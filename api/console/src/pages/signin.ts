import { h, replace } from '../dom';
import { t } from '../i18n';
import { type Problem, problemOf, signIn } from '../session';
import { notice, problemBanner } from '../ui';

export function signInPage(languageButton: HTMLElement, ended: Problem | null, done: () => void): HTMLElement {
  const slot = h('div', { class: 'slot' });
  if (ended) replace(slot, notice(t('sessionEnded')), problemBanner(ended));
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, 'data-testid': 'username' });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'password',
  });
  const button = h('button', { type: 'submit', 'data-testid': 'sign-in' }, t('signIn'));
  const form = h(
    'form',
    { class: 'card signin' },
    h('h1', {}, t('appName')),
    h('label', {}, t('username'), username),
    h('label', {}, t('password'), password),
    button,
    slot,
    languageButton,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    replace(slot);
    try {
      await signIn(username.value.trim(), password.value);
      done();
    } catch (e) {
      replace(slot, problemBanner(await problemOf(e)));
      button.disabled = false;
    }
  });
  return h('div', { class: 'signin-wrap' }, form);
}
