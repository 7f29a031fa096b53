// Shared helpers of the browser suite: the server under test (BASE_URL),
// the file mailer's directory (MAIL_DIR), headless Debian Chromium through
// playwright-core (never a downloaded browser), screenshots, mail links,
// and a tiny local HTTP listener that plays the OAuth client's redirect URI.
import { chromium } from 'playwright-core';
import { mkdtempSync, readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

export const BASE = process.env.BASE_URL;
export const MAIL_DIR = process.env.MAIL_DIR;
const SHOTS = process.env.SCREENSHOT_DIR || 'target/browser-screenshots';
const DOC_IMAGES = process.env.DOC_IMAGES_DIR || '';
if (!BASE || !MAIL_DIR) throw new Error('BASE_URL and MAIL_DIR must be set (run scripts/browser-test.sh)');

export const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A fresh browser with its own empty profile; returns { context, close }. */
export async function launch({ width = 800, height = 900 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'idmap-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width, height },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under the test output (and, when asked, into docs/images). */
export async function shot(page, name, { doc = false } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (doc && DOC_IMAGES) {
    mkdirSync(DOC_IMAGES, { recursive: true });
    await page.screenshot({ path: join(DOC_IMAGES, `${name}.png`) });
  }
}

/** A unique address for one test. */
export function uniqueEmail(tag) {
  return `${tag}-${randomBytes(4).toString('hex')}@example.org`;
}

/** Waits for the newest message to `to` whose subject contains `subject`; returns its first link. */
export async function mailedLink(to, subject, { after = 0 } = {}) {
  for (let i = 0; i < 100; i++) {
    const found = readdirSync(MAIL_DIR)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFileSync(join(MAIL_DIR, f), 'utf8'))
      .filter((m) => m.includes(`To: ${to}`) && m.includes(subject))
      .map((m) => m.match(/https?:\/\/\S+/g) || [])
      .flat()
      .filter((l) => l.includes('token='));
    if (found.length > after) return found[found.length - 1];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

/** Counts the messages to `to` with `subject`. */
export function mailCount(to, subject) {
  return readdirSync(MAIL_DIR)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => readFileSync(join(MAIL_DIR, f), 'utf8'))
    .filter((m) => m.includes(`To: ${to}`) && m.includes(subject)).length;
}

/** A local HTTP listener standing in for the client's redirect URI. */
export async function redirectListener() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url, 'http://127.0.0.1'));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('client received the redirect');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${server.address().port}/cb`;
  return { uri, hits, close: () => new Promise((r) => server.close(r)) };
}

/** An RFC 7636 S256 pair. */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** Registers an account and follows the mailed verification link. */
export async function registerAndVerify(page, email, password, { shots = false } = {}) {
  await page.goto(`${BASE}/accounts/register/`);
  if (shots) await shot(page, '01-register', { doc: true });
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Check your inbox');
  if (shots) await shot(page, '02-register-done');
  const link = await mailedLink(email, 'Confirm your e-mail address');
  await page.goto(link);
  await page.waitForSelector('text=Address confirmed');
  if (shots) await shot(page, '03-verified');
}

/** Signs in through the login form. */
export async function login(page, email, password) {
  await page.goto(`${BASE}/accounts/login/`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
}

/** The session cookie of the context. */
export async function sessionCookie(context) {
  const cookies = await context.cookies(BASE);
  return cookies.find((c) => c.name === 'idmap_session');
}
