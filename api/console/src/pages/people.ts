import { type Organization, type Role, Role as Roles, type User } from '../api';
import { forget, organizations, people } from '../directory';
import { h, replace } from '../dom';
import { t, when } from '../i18n';
import { adminApi, signingApi } from '../session';
import { attempt, confirmDialog, loadInto, notice, pagedList, table } from '../ui';

const allRoles = Object.values(Roles) as Role[];

function roleNames(roles: Role[]): string {
  return roles.map((r) => t(`role_${r}`)).join(', ');
}

function statusOf(u: User): string {
  if (u.disabled) return t('disabled');
  if (u.mustChangePassword) return t('mustChange');
  return t('active');
}

/** A one-time password the admin hands over; the person must change it at first login. */
function defaultPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(14));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function copyButton(text: string): HTMLElement {
  const button = h('button', { type: 'button', class: 'secondary', 'data-testid': 'copy' }, t('copy'));
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(text).then(
      () => (button.textContent = t('copied')),
      () => window.getSelection()?.selectAllChildren(button.previousElementSibling ?? button),
    );
  });
  return button;
}

function roleBoxes(checked: Role[]): { element: HTMLElement; value: () => Role[] } {
  const boxes = allRoles.map((role) => ({
    role,
    input: h('input', { type: 'checkbox', value: role, checked: checked.includes(role), 'data-testid': `role-${role}` }),
  }));
  return {
    element: h('fieldset', { class: 'roles' }, h('legend', {}, t('roles')), ...boxes.map((b) => h('label', { class: 'inline' }, b.input, t(`role_${b.role}`)))),
    value: () => boxes.filter((b) => b.input.checked).map((b) => b.role),
  };
}

function createForm(orgs: Organization[], onCreated: () => void): HTMLElement {
  const username = h('input', { name: 'username', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{2,63}', 'data-testid': 'new-username' });
  const fullName = h('input', { name: 'full_name', required: true, 'data-testid': 'new-full-name' });
  const title = h('input', { name: 'title', 'data-testid': 'new-title' });
  const org = h('select', { name: 'organization', 'data-testid': 'new-org' }, ...orgs.map((o) => h('option', { value: o.id }, `${o.name} (${o.abbreviation})`)));
  const roles = roleBoxes([]);
  const slot = h('div', { class: 'slot' });
  const form = h(
    'form',
    { class: 'card create' },
    h('h2', {}, t('create')),
    h('div', { class: 'grid' }, h('label', {}, t('username'), username), h('label', {}, t('fullName'), fullName), h('label', {}, t('title'), title), h('label', {}, t('organization'), org)),
    roles.element,
    h('button', { type: 'submit', 'data-testid': 'create-user' }, t('create')),
    slot,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const password = defaultPassword();
    const created = await attempt(slot, () =>
      adminApi.createUser({
        createUserRequest: {
          username: username.value.trim(),
          fullName: fullName.value.trim(),
          title: title.value.trim(),
          organizationId: org.value,
          roles: roles.value(),
          defaultPassword: password,
        },
      }),
    );
    if (!created) return;
    const user = created.value;
    form.reset();
    forget();
    replace(
      slot,
      h(
        'div',
        { class: 'notice once', role: 'status' },
        `${user.fullName} (${user.username}). ${t('createDone')} `,
        h('code', { 'data-testid': 'default-password' }, password),
        ' ',
        copyButton(password),
      ),
    );
    onCreated();
  });
  return form;
}

export async function peoplePage(main: HTMLElement): Promise<void> {
  const orgs = await loadInto(main, h('h1', {}, t('people')), organizations);
  if (!orgs) return;
  const orgName = new Map(orgs.map((o) => [o.id, o.abbreviation]));
  const find = h('input', { type: 'search', placeholder: t('find'), 'data-testid': 'find', 'aria-label': t('find') });
  const rows = (shown: User[]) => {
    if (!shown.length) return document.createTextNode(t('nothing'));
    return table(
      [t('fullName'), t('username'), t('title'), t('organization'), t('roles'), t('status'), ''],
      shown.map((u) =>
        h(
          'tr',
          { 'data-testid': 'person-row', class: u.disabled ? 'muted' : undefined },
          h('td', {}, u.fullName),
          h('td', {}, h('code', {}, u.username)),
          h('td', {}, u.title),
          h('td', {}, orgName.get(u.organizationId) ?? '—'),
          h('td', {}, roleNames(u.roles)),
          h('td', {}, statusOf(u)),
          h('td', {}, h('a', { href: `#/people/${u.id}`, 'data-testid': `open-${u.username}` }, t('open'))),
        ),
      ),
    );
  };
  const list = pagedList((cursor) => adminApi.listUsers({ cursor, limit: 50, q: find.value.trim() || undefined }), rows);
  // The server finds with or without accents; ask once typing pauses.
  let typing: number | undefined;
  find.addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(() => void list.reload(), 250);
  });
  replace(main, h('h1', {}, t('people')), createForm(orgs, () => void list.reload()), h('div', { class: 'toolbar' }, find), list.element);
  await list.reload();
}

export async function personPage(main: HTMLElement, id: string): Promise<void> {
  replace(main, t('loading'));
  const user = await loadInto(main, null, async () => (await people()).find((u) => u.id === id) ?? null);
  if (user === undefined) return;
  if (!user) {
    replace(main, h('a', { href: '#/people' }, t('back')), h('p', {}, t('nothing')));
    return;
  }
  const person = user;
  const slot = h('div', { class: 'slot', 'data-testid': 'person-result' });
  const update = async (patch: Parameters<typeof adminApi.updateUser>[0]['updateUserRequest']) => {
    const updated = await attempt(slot, () => adminApi.updateUser({ id, updateUserRequest: patch }), () => t('done'));
    if (updated) {
      forget();
      Object.assign(person, updated.value);
      header();
    }
  };
  const head = h('div');
  const header = () =>
    replace(
      head,
      h('h1', {}, person.fullName),
      h('p', {}, `${person.title} · `, h('code', {}, person.username), ` · ${roleNames(person.roles)} · ${statusOf(person)}`),
    );
  header();
  const roles = roleBoxes(person.roles);
  const signing = h('div', { class: 'signing' });
  const certificate = h('textarea', { rows: 6, placeholder: '-----BEGIN CERTIFICATE-----', 'data-testid': 'certificate-pem' });
  const actions = h(
    'div',
    { class: 'actions' },
    h('button', {
      type: 'button',
      class: 'danger',
      'data-testid': 'toggle-disabled',
      onclick: async () => {
        if (person.disabled) await update({ disabled: false });
        else if (await confirmDialog(t('confirmDisable', person.fullName))) await update({ disabled: true });
      },
    }, person.disabled ? t('enable') : t('disable')),
    h('button', { type: 'button', class: 'secondary', 'data-testid': 'unlock', onclick: () => update({ unlock: true }) }, t('unlock')),
    h('button', { type: 'button', class: 'secondary', 'data-testid': 'reset-pin', onclick: () => update({ resetSigningPin: true }) }, t('resetPin')),
    h('button', {
      type: 'button',
      class: 'secondary',
      'data-testid': 'provision',
      onclick: async () => {
        const provisioned = await attempt(slot, () => signingApi.createUserSigningCredential({ id, provisionRequest: {} }));
        if (!provisioned) return;
        const credential = provisioned.value;
        replace(
          signing,
          h('h3', {}, t('csr')),
          h('pre', { 'data-testid': 'csr' }, credential.csrPem),
          credential.certificatePem ? h('h3', {}, t('certificate')) : null,
          credential.certificatePem ? h('pre', {}, credential.certificatePem) : null,
        );
      },
    }, t('provision')),
  );
  const install = h('form', { class: 'install' }, h('label', {}, t('certPem'), certificate), h('button', { type: 'submit', class: 'secondary' }, t('installCert')));
  install.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await attempt(slot, () => signingApi.installUserCertificate({ id, certificateRequest: { certificatePem: certificate.value } }), () => t('done'));
  });
  const saveRoles = h('button', { type: 'button', class: 'secondary', 'data-testid': 'save-roles', onclick: () => update({ roles: roles.value() }) }, t('saveRoles'));
  const devices = h('section', { class: 'devices' });
  replace(
    main,
    h('a', { href: '#/people' }, `← ${t('back')}`),
    head,
    slot,
    h('section', { class: 'card' }, roles.element, saveRoles),
    h('section', { class: 'card' }, actions, signing, install),
    devices,
  );
  await devicesOf(devices, person);
}

async function devicesOf(section: HTMLElement, person: User): Promise<void> {
  const slot = h('div', { class: 'slot', 'data-testid': 'devices-result' });
  const list = await loadInto(section, h('h2', {}, t('devices')), () => adminApi.listUserSessions({ id: person.id }));
  if (!list) return;
  const sessions = list.items;
  const reloadWith = async (message: string) => {
    await devicesOf(section, person);
    section.querySelector('.slot')?.replaceChildren(notice(message));
  };
  const rows = sessions.map((s) =>
    h(
      'tr',
      { 'data-testid': 'device-row' },
      h('td', {}, s.platform),
      h('td', {}, s.name),
      h('td', {}, s.appVersion),
      h('td', {}, when(s.lastSeenAt)),
      h('td', {}, s.ip ?? '—'),
      h('td', {}, s.pushEnabled ? t('on') : t('off')),
      h('td', {}, h('button', {
        type: 'button',
        class: 'danger',
        'data-testid': 'sign-out-device',
        onclick: async () => {
          if (!(await confirmDialog(t('confirmSignOutDevice', s.name, person.fullName)))) return;
          const done = await attempt(slot, () => adminApi.revokeUserSession({ id: person.id, sessionId: s.id }));
          if (done) await reloadWith(t('revoked', 1));
        },
      }, t('signOutDevice'))),
    ),
  );
  const everywhere = h('button', {
    type: 'button',
    class: 'danger',
    'data-testid': 'sign-out-everywhere',
    disabled: !sessions.length,
    onclick: async () => {
      if (!(await confirmDialog(t('confirmSignOutAll', person.fullName)))) return;
      const done = await attempt(slot, () => adminApi.revokeUserSessions({ id: person.id }));
      if (done) await reloadWith(t('revoked', done.value.revoked));
    },
  }, t('signOutEverywhere'));
  replace(
    section,
    h('h2', {}, t('devices')),
    slot,
    sessions.length
      ? table([t('platform'), t('device'), t('appVersion'), t('lastSeen'), t('address'), t('push'), ''], rows)
      : h('p', { 'data-testid': 'no-devices' }, t('noDevices')),
    everywhere,
  );
}
