// The whole user center in a real browser: register, verify the address
// from the mailed link, sign in, register an application, run the
// authorization-code + PKCE flow through the consent page (which names the
// owner and homepage) to a token, see the approval listed with its last use,
// revoke it after confirming, check introspection says inactive, reset the
// password through the mailed link and sign in with the new one. Also:
// redirect URIs one per line with errors in words, and an HTML 404 page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, launch, shot, uniqueEmail, mailedLink, redirectListener, pkce,
  registerAndVerify, login,
} from './lib.mjs';

const PASSWORD = 'violet kettle marching';
const NEW_PASSWORD = 'amber lantern orchard';

async function introspect(clientId, secret, token) {
  const res = await fetch(`${BASE}/oauth/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

test('register, verify, sign in, approve, revoke, reset the password', async () => {
  const email = uniqueEmail('ann');
  const browser = await launch();
  const cb = await redirectListener();
  try {
    const page = await browser.context.newPage();
    await registerAndVerify(page, email, PASSWORD, { shots: true });

    await page.goto(`${BASE}/accounts/login/`);
    await shot(page, '04-login', { doc: true });
    await login(page, email, PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/accounts/');
    await page.waitForSelector('span.ok');
    await shot(page, '05-account', { doc: true });

    // Register a confidential application; its secret is shown once.
    await page.goto(`${BASE}/oauth/applications/register/`);
    await page.fill('input[name=name]', 'Ward Viewer');
    // A typo first: the error is in words, and what was typed stays.
    await page.fill('textarea[name=redirect_uris]', 'ward.example/callback');
    await page.click('main button[type=submit]');
    const refused = await page.textContent('p.error');
    assert.match(refused, /is not a complete address/);
    assert.doesNotMatch(refused, /relative URL|without a base/);
    assert.equal(await page.inputValue('input[name=name]'), 'Ward Viewer');
    await page.fill('textarea[name=redirect_uris]', cb.uri);
    await page.fill('input[name=homepage]', 'https://ward.example/about');
    await shot(page, '06-application-register');
    await page.click('main button[type=submit]');
    const clientId = (await page.textContent('#client-id')).trim();
    const secret = (await page.textContent('#client-secret')).trim();
    assert.ok(clientId.length >= 16 && secret.length >= 40);
    await shot(page, '07-application-created', { doc: true });
    await page.goto(`${BASE}/oauth/applications/${clientId}/`);
    assert.equal(await page.locator('#client-secret').count(), 0, 'the secret is shown only once');
    await page.goto(`${BASE}/oauth/applications/`);
    await page.waitForSelector('text=Ward Viewer');
    await shot(page, '08-applications');

    // Authorization code + PKCE through the consent page.
    const { verifier, challenge } = pkce();
    const authorize = `${BASE}/oauth/authorize?${new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: cb.uri, scope: 'profile',
      state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256',
    })}`;
    await page.goto(authorize);
    await page.waitForSelector('text=Allow Ward Viewer access?');
    assert.equal((await page.textContent('#publisher-owner')).trim(), email);
    const homepage = page.locator('#publisher-homepage');
    assert.equal(await homepage.getAttribute('href'), 'https://ward.example/about');
    assert.equal(await homepage.getAttribute('rel'), 'noopener noreferrer');
    await shot(page, '09-consent', { doc: true });
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(cb.uri)),
      page.click('button[value=allow]'),
    ]);
    const back = new URL(page.url());
    assert.equal(back.searchParams.get('state'), 'st-1');
    const code = back.searchParams.get('code');
    assert.ok(code);
    const res = await fetch(`${BASE}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code, redirect_uri: cb.uri, code_verifier: verifier,
      }),
    });
    assert.equal(res.status, 200);
    const tokens = await res.json();
    assert.ok(tokens.access_token && tokens.refresh_token);
    assert.equal((await introspect(clientId, secret, tokens.access_token)).active, true);

    // The approval is remembered: the next authorization skips the page.
    const again = pkce();
    await page.goto(authorize.replace(challenge, again.challenge).replace('st-1', 'st-2'));
    await page.waitForURL((u) => u.toString().startsWith(cb.uri));
    assert.equal(new URL(page.url()).searchParams.get('state'), 'st-2');

    // Listed under authorized applications with its last use; revoking
    // asks first (cancel keeps it), then ends the tokens.
    await page.goto(`${BASE}/oauth/authorized_tokens/`);
    await page.waitForSelector('text=Ward Viewer');
    assert.match(await page.textContent('.last-used'), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    await shot(page, '10-authorized-tokens', { doc: true });
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Revoke")')]);
    await page.waitForSelector('text=Revoke access of Ward Viewer?');
    await shot(page, '10b-authorized-token-revoke');
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Cancel")')]);
    await page.waitForSelector('text=Ward Viewer');
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Revoke")')]);
    await Promise.all([page.waitForNavigation(), page.click('main button:has-text("Revoke")')]);
    await page.waitForSelector('text=You have not approved any application.');
    assert.equal((await introspect(clientId, secret, tokens.access_token)).active, false);
    assert.equal((await introspect(clientId, secret, tokens.refresh_token)).active, false);
    // Withdrawn: the consent page is shown again.
    await page.goto(authorize);
    await page.waitForSelector('text=Allow Ward Viewer access?');

    // Password reset through the mailed link, then sign in with the new one.
    await page.click('header button:has-text("Sign out")');
    await page.waitForURL(`${BASE}/accounts/login/`);
    await page.goto(`${BASE}/accounts/password_reset/`);
    await shot(page, '11-password-reset');
    await page.fill('input[name=email]', email);
    await page.click('main button[type=submit]');
    await page.waitForSelector('text=Check your inbox');
    const link = await mailedLink(email, 'Reset your password');
    await page.goto(link);
    await shot(page, '12-password-reset-confirm', { doc: true });
    await page.fill('input[name=password]', NEW_PASSWORD);
    await page.click('main button[type=submit]');
    await page.waitForSelector('text=Password changed');
    // The link works once.
    await page.goto(link);
    await page.waitForSelector('text=Link not valid');
    await login(page, email, PASSWORD);
    await page.waitForSelector('text=Wrong e-mail or password.');
    await login(page, email, NEW_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/accounts/');
  } finally {
    await cb.close();
    await browser.close();
  }
});

test('an unknown page is an HTML page with a way back', async () => {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    const res = await page.goto(`${BASE}/accounts/no-such-page/`);
    assert.equal(res.status(), 404);
    assert.match(res.headers()['content-type'], /^text\/html/);
    await page.waitForSelector('h1:has-text("Page not found")');
    await shot(page, '14-not-found');
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Your account")')]);
    assert.equal(new URL(page.url()).pathname, '/accounts/login/');
  } finally {
    await browser.close();
  }
});

test('pages are usable on a phone-sized screen', async () => {
  const browser = await launch({ width: 390, height: 844 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${BASE}/accounts/login/`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling');
    await shot(page, '13-login-phone', { doc: true });
  } finally {
    await browser.close();
  }
});
