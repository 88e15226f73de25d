// The console end to end, in Debian's Chromium driven by playwright-core, against the real
// server: an admin signs in, creates a leader, sees the phone session the test opened through
// the API, signs it out, and the phone's next request is 401 session_revoked; the audit view
// shows the revocation and verifies the chain; the report draws its charts; the pages hold at
// tablet width and in English; a session the server ends sends the admin back to sign-in.
// An audit entry altered in the database behind the server's back is the one "verify"
// highlights. Any console error in the browser fails the test. Screenshots go to OUT_DIR.
//
// Usage: node e2e/console.e2e.mjs BASE_URL DEMO_LOGINS_FILE OUT_DIR SQLITE_DB

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, loginsFile, outDir, database] = process.argv.slice(2);
if (!base || !loginsFile || !outDir || !database) {
  console.error('usage: console.e2e.mjs BASE_URL DEMO_LOGINS_FILE OUT_DIR SQLITE_DB');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// The first account of each role: role, username, password a line.
const logins = {};
for (const line of readFileSync(loginsFile, 'utf8').split('\n').filter((l) => l.trim())) {
  const [role, username, password] = line.trim().split(/\s+/);
  logins[role] ??= { username, password };
}
const admin = logins.admin;
assert.ok(admin, 'the demo logins name an admin');

async function api(method, path, token, body) {
  const resp = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await resp.text();
  return { status: resp.status, body: text ? JSON.parse(text) : null };
}

async function phoneLogin(username, password, deviceId) {
  const login = await api('POST', '/api/v1/auth/login', null, {
    username,
    password,
    device: { device_id: deviceId, platform: 'android', name: 'Pixel 8 của lãnh đạo', app_version: '2.3.1', push_token: 'e2e-push-token' },
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const errors = [];
let step = 'start';
let shots = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'vi-VN' });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${step}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${step}: ${err.message}`));
  page.setDefaultTimeout(15000);
  const shot = async (name) => {
    shots += 1;
    await page.screenshot({ path: join(outDir, `${String(shots).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const noErrors = () => assert.deepEqual(errors, [], 'the browser logged errors');

  step = 'security headers';
  const index = await fetch(`${base}/console/`);
  assert.equal(index.status, 200);
  const csp = index.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.doesNotMatch(await index.text(), /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');

  step = 'sign in';
  await page.goto(`${base}/console/`);
  await page.getByTestId('username').waitFor();
  await shot('sign-in');
  await page.getByTestId('username').fill(admin.username);
  await page.getByTestId('password').fill(admin.password);
  await page.getByTestId('sign-in').click();

  step = 'organisation tree';
  await page.getByTestId('org-row').first().waitFor();
  assert.ok((await page.getByTestId('org-row').count()) >= 4, 'the committee and its units');
  assert.match(await page.getByTestId('org-row').first().textContent(), /000\.00\.00\.A99.*Đã có chứng thư/);
  assert.equal(await page.getByRole('link', { name: 'Cơ quan, đơn vị' }).count(), 1, 'Vietnamese by default');
  await shot('organisations');
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  assert.deepEqual(stored, [0, 0, ''], 'no token is kept in storage');

  step = 'create a leader';
  await page.getByTestId('nav-people').click();
  await page.getByTestId('person-row').first().waitFor();
  const username = `lanhdao.e2e${Date.now() % 100000}`;
  await page.getByTestId('new-username').fill(username);
  await page.getByTestId('new-full-name').fill('Hoàng Thị Thử Nghiệm');
  await page.getByTestId('new-title').fill('Phó Chủ tịch');
  await page.getByTestId('role-leader').check();
  await page.getByTestId('create-user').click();
  const password = (await page.getByTestId('default-password').textContent())?.trim();
  assert.ok(password && password.length >= 12, 'the default password is shown once');
  await page.getByTestId(`open-${username}`).waitFor();
  await page.getByTestId('find').fill('thu nghiem');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=person-row]').length === 1);
  assert.match(await page.getByTestId('person-row').textContent(), /Hoàng Thị Thử Nghiệm/, 'find ignores diacritics');
  await shot('people');

  step = 'the phone signs in';
  const phone = await phoneLogin(username, password, 'e2e-pixel-8');
  assert.equal((await api('GET', '/api/v1/me', phone.access_token)).status, 200);

  step = 'devices';
  await page.getByTestId(`open-${username}`).click();
  const row = page.getByTestId('device-row');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const rowText = await row.first().textContent();
  for (const expected of ['android', 'Pixel 8 của lãnh đạo', '2.3.1', '127.0.0.1', 'Bật']) {
    assert.ok(rowText.includes(expected), `the device row shows ${expected}: ${rowText}`);
  }
  await shot('devices');

  step = 'sign the phone out';
  await page.getByTestId('sign-out-device').click();
  await page.getByTestId('confirm-dialog').waitFor();
  await shot('confirm-sign-out');
  await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Xác nhận' }).click();
  await page.getByTestId('no-devices').waitFor();
  const revoked = await api('GET', '/api/v1/me', phone.access_token);
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.code, 'session_revoked');

  step = 'audit trail';
  await page.getByTestId('nav-audit').click();
  await page.getByTestId('audit-row').first().waitFor();
  await page.getByTestId('filter-action').selectOption('session_revoked');
  await page.getByTestId('apply-filters').click();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid=audit-row]')];
    return rows.length > 0 && rows.every((r) => r.getAttribute('data-action') === 'session_revoked');
  });
  const revocation = await page.locator('[data-testid=audit-row]').last().textContent();
  assert.ok(revocation.includes('Hoàng Thị Thử Nghiệm'), `the revocation names the leader: ${revocation}`);
  await page.getByTestId('verify').click();
  await page.getByTestId('intact').waitFor();
  await shot('audit');

  step = 'report';
  await page.getByTestId('nav-report').click();
  await page.getByTestId('chart-months').waitFor();
  assert.ok((await page.locator('[data-testid=chart-months] rect.bar').count()) >= 6 * 3);
  assert.ok((await page.locator('[data-testid=chart-leaders] rect.bar').count()) >= 2);
  // This month's group: the demo's issued, received and signed documents all show.
  const heights = await page.$$eval('[data-testid=chart-months] rect.bar', (rects) =>
    rects.slice(-3).map((r) => Number(r.getAttribute('height'))),
  );
  assert.ok(heights.every((h) => h > 1), `this month's bars: ${heights}`);
  await shot('report');
  noErrors();

  step = 'tablet width';
  await page.setViewportSize({ width: 820, height: 1180 });
  for (const screen of ['orgs', 'people', 'audit', 'report']) {
    await page.getByTestId(`nav-${screen}`).click();
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${screen} fits a tablet's width (overflows by ${overflow}px)`);
    await shot(`tablet-${screen}`);
  }

  step = 'English';
  await page.getByTestId('language').click();
  await page.getByRole('link', { name: 'People' }).waitFor();
  await page.getByTestId('nav-people').click();
  await page.getByRole('heading', { name: 'People' }).waitFor();
  await shot('english-people');
  noErrors();

  step = 'a tampered entry';
  execFileSync('sqlite3', [database, "UPDATE audit_log SET ip = '10.66.0.1' WHERE seq = 5"]);
  await page.getByTestId('nav-audit').click();
  await page.getByTestId('verify').click();
  await page.getByTestId('broken').waitFor();
  assert.match(await page.getByTestId('broken').textContent(), /#5 \(altered\)/);
  await page.locator('tr.broken[data-seq="5"]').waitFor();
  assert.equal(await page.locator('tr.broken').count(), 1, 'only the first broken entry is highlighted');
  await shot('audit-broken');
  noErrors();

  step = 'the session ends';
  const other = await api('POST', '/api/v1/auth/login', null, {
    username: admin.username,
    password: admin.password,
    device: { device_id: 'e2e-admin-laptop', platform: 'web', name: 'e2e', app_version: '1' },
  });
  assert.equal(other.status, 200);
  const me = await api('GET', '/api/v1/me', other.body.access_token);
  const everywhere = await api('DELETE', `/api/v1/admin/users/${me.body.id}/sessions`, other.body.access_token);
  assert.equal(everywhere.status, 200, JSON.stringify(everywhere.body));
  await page.getByTestId('nav-people').click();
  await page.getByTestId('sign-in').waitFor();
  await page.getByTestId('problem').waitFor();
  await shot('session-ended');
  // The one expected error: Chromium logs the 401 that told the console the session ended.
  const expected = /status of 401/;
  assert.ok(errors.length >= 1 && errors.every((e) => e.startsWith('the session ends') && expected.test(e)), errors.join('\n'));
  errors.length = 0;
  step = 'done';
  console.log(`console e2e: every step passed; ${shots} screenshots in ${outDir}`);
} catch (e) {
  if (errors.length) console.error(`browser errors:\n${errors.join('\n')}`);
  console.error(`console e2e failed at step "${step}"`);
  throw e;
} finally {
  await browser.close();
}
