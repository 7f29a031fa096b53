// Server-side rules seen from a real browser: CSRF rejection, a new session
// id at login (no fixation), logout killing copied cookies, no open
// redirect through login's `next`, an unregistered redirect_uri or an error
// of a user's application, unsafe redirect URIs refused, login throttling,
// unverified accounts refused at registration and consent, security headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, launch, shot, uniqueEmail, registerAndVerify, login, sessionCookie, redirectListener, pkce,
} from './lib.mjs';

const PASSWORD = 'violet kettle marching';

test('a form post without or with a wrong CSRF token is refused', async () => {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${BASE}/accounts/login/`);
    for (const token of [null, 'wrong-token']) {
      await page.$eval('input[name=csrf_token]', (el, t) => {
        if (t === null) el.remove(); else el.value = t;
      }, token);
      await page.fill('input[name=email]', 'nobody@example.org');
      await page.fill('input[name=password]', PASSWORD);
      const [res] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
      assert.equal(res.status(), 403);
      await page.waitForSelector('text=The form expired or was not sent from this site.');
      await shot(page, `sec-csrf-${token === null ? 'missing' : 'wrong'}`);
      await page.goto(`${BASE}/accounts/login/`);
    }
  } finally {
    await browser.close();
  }
});

test('the session id changes at login and logout kills copied cookies', async () => {
  const email = uniqueEmail('fix');
  const browser = await launch();
  const other = await launch();
  try {
    const page = await browser.context.newPage();
    await registerAndVerify(page, email, PASSWORD);
    await page.goto(`${BASE}/accounts/login/`);
    const before = await sessionCookie(browser.context);
    assert.ok(before && before.httpOnly && before.sameSite === 'Lax');
    await login(page, email, PASSWORD);
    const after = await sessionCookie(browser.context);
    assert.notEqual(after.value, before.value);
    const sid = (v) => JSON.parse(Buffer.from(v.split('.')[0], 'base64url')).sid;
    assert.notEqual(sid(after.value), sid(before.value), 'a new session id at login');

    // A copy of the cookie works until logout, then no longer.
    await other.context.addCookies([{ ...after }]);
    const copy = await other.context.newPage();
    await copy.goto(`${BASE}/accounts/`);
    assert.equal(new URL(copy.url()).pathname, '/accounts/');
    await page.goto(`${BASE}/accounts/`);
    await page.click('header button:has-text("Sign out")');
    await page.waitForURL(`${BASE}/accounts/login/`);
    await copy.goto(`${BASE}/accounts/`);
    assert.equal(new URL(copy.url()).pathname, '/accounts/login/');
  } finally {
    await browser.close();
    await other.close();
  }
});

test('login never redirects off-site and authorize refuses unregistered redirect URIs', async () => {
  const email = uniqueEmail('redir');
  const browser = await launch();
  const cb = await redirectListener();
  try {
    const page = await browser.context.newPage();
    await registerAndVerify(page, email, PASSWORD);
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      await page.goto(`${BASE}/accounts/login/?next=${encodeURIComponent(next)}`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
      assert.equal(new URL(page.url()).origin, BASE, `next=${next}`);
      assert.equal(new URL(page.url()).pathname, '/accounts/');
    }
    // Unsafe redirect URIs are refused with a message.
    await page.goto(`${BASE}/oauth/applications/register/`);
    await page.fill('input[name=name]', 'Redirect Probe');
    await page.fill('textarea[name=redirect_uris]', 'javascript:alert(document.domain)');
    await page.check('input[value=public]');
    const [refused] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal(refused.status(), 422);
    await page.waitForSelector('text=must use https');
    await shot(page, 'sec-redirect-uri-refused');

    await page.fill('textarea[name=redirect_uris]', cb.uri);
    await page.click('main button[type=submit]');
    const clientId = (await page.textContent('#client-id')).trim();
    const { challenge } = pkce();
    const res = await page.goto(`${BASE}/oauth/authorize?${new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: 'https://evil.example/cb',
      code_challenge: challenge, code_challenge_method: 'S256',
    })}`);
    assert.equal(res.status(), 400);
    assert.equal(new URL(page.url()).origin, BASE);
    await page.waitForSelector('text=This request cannot be completed');
    await shot(page, 'sec-authorize-bad-redirect');

    // An error of a user's application stays on our page, even signed out.
    const anonymous = await launch();
    const stranger = await anonymous.context.newPage();
    const errorRes = await stranger.goto(`${BASE}/oauth/authorize?${new URLSearchParams({
      response_type: 'nonsense', client_id: clientId, redirect_uri: cb.uri, state: 'x',
    })}`);
    assert.equal(errorRes.status(), 400);
    assert.equal(new URL(stranger.url()).origin, BASE);
    await stranger.waitForSelector('text=unsupported_response_type');
    await shot(stranger, 'sec-authorize-error-page');
    await anonymous.close();
    assert.equal(cb.hits.length, 0);
  } finally {
    await cb.close();
    await browser.close();
  }
});

test('repeated wrong passwords are throttled with a clear page', async () => {
  const email = uniqueEmail('thr');
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await registerAndVerify(page, email, PASSWORD);
    let status = 0;
    for (let i = 0; i < 8 && status !== 429; i++) {
      await page.goto(`${BASE}/accounts/login/`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', `wrong password ${i}`);
      const [res] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
      status = res.status();
    }
    assert.equal(status, 429);
    await page.waitForSelector('text=Too many sign-in attempts');
    await shot(page, 'sec-throttled', { doc: true });
    // The right password is refused too while the block lasts.
    await page.goto(`${BASE}/accounts/login/`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    const [res] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal(res.status(), 429);
  } finally {
    await browser.close();
  }
});

test('an unverified account can neither register nor approve applications; pages carry security headers', async () => {
  const email = uniqueEmail('unv');
  const owner = uniqueEmail('own');
  const browser = await launch();
  const other = await launch();
  const cb = await redirectListener();
  try {
    // Someone else, verified, registers the application.
    const ownerPage = await other.context.newPage();
    await registerAndVerify(ownerPage, owner, PASSWORD);
    await login(ownerPage, owner, PASSWORD);
    await ownerPage.goto(`${BASE}/oauth/applications/register/`);
    await ownerPage.fill('input[name=name]', 'Unverified App');
    await ownerPage.fill('textarea[name=redirect_uris]', cb.uri);
    await ownerPage.check('input[value=public]');
    await ownerPage.click('main button[type=submit]');
    const clientId = (await ownerPage.textContent('#client-id')).trim();

    const page = await browser.context.newPage();
    await page.goto(`${BASE}/accounts/register/`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Check your inbox');
    await login(page, email, PASSWORD);
    await page.waitForSelector('text=not verified yet');
    const form = await page.goto(`${BASE}/oauth/applications/register/`);
    assert.equal(form.status(), 403);
    await page.waitForSelector('text=Confirm your e-mail address before registering applications');
    await shot(page, 'sec-unverified-register');

    const { challenge } = pkce();
    const res = await page.goto(`${BASE}/oauth/authorize?${new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: cb.uri,
      code_challenge: challenge, code_challenge_method: 'S256',
    })}`);
    assert.equal(res.status(), 403);
    await page.waitForSelector('text=Confirm your e-mail address before approving applications');
    await shot(page, 'sec-unverified-consent');
    const h = res.headers();
    assert.match(h['content-security-policy'], /default-src 'none'/);
    assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
  } finally {
    await cb.close();
    await browser.close();
    await other.close();
  }
});
