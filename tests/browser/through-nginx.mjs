// The user center in headless Chromium behind the deployment's nginx
// (scripts/compose-e2e.sh): signs in over HTTPS with the development
// certificate pinned by its public key, and checks that the stylesheet
// loads and applies. Prints `ok    NAME` / `FAIL  NAME: why` per check.
//
//   BASE_URL=https://localhost:PORT SPKI=<base64 sha256 of the key> \
//   EMAIL=... PASSWORD=... SCREENSHOT=out.png node through-nginx.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { BASE_URL, SPKI, EMAIL, PASSWORD, SCREENSHOT } = process.env;
let failed = 0;
const check = (name, cond, why = '') => {
  if (cond) console.log(`ok    ${name}`);
  else {
    failed++;
    console.log(`FAIL  ${name}: ${why}`);
  }
};

const profile = mkdtempSync(join(tmpdir(), 'idmap-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--ignore-certificate-errors-spki-list=${SPKI}`,
  ],
});
try {
  const page = await context.newPage();
  const css = [];
  page.on('response', (r) => {
    if (r.url().includes('/static/')) css.push(`${r.status()} ${r.headers()['content-type']}`);
  });
  const res = await page.goto(`${BASE_URL}/accounts/login/`);
  check('the sign-in page loads over HTTPS', res && res.status() === 200, res && res.status());
  check('its stylesheet loads through nginx', css.length > 0 && css.every((c) => c.startsWith('200 text/css')), css.join(', ') || 'not requested');
  const rules = await page.evaluate(() =>
    [...document.styleSheets].reduce((n, s) => n + (s.cssRules ? s.cssRules.length : 0), 0));
  check('the stylesheet applies (CSS rules present)', rules > 0, `${rules} rules`);
  const radius = await page.evaluate(() => getComputedStyle(document.querySelector('form.card')).borderTopLeftRadius);
  check('the sign-in form is styled as a card', radius === '8px', `border radius ${radius}`);
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/accounts/login/"] button[type=submit]')]);
  const heading = await page.textContent('h1');
  check('signed in: the account page shows', page.url().startsWith(`${BASE_URL}/accounts/`) && /account/i.test(heading || ''), `${page.url()} "${heading}"`);
  const cookies = await context.cookies(BASE_URL);
  check('the session cookie is Secure', cookies.length > 0 && cookies.every((c) => c.secure), JSON.stringify(cookies.map((c) => [c.name, c.secure])));
  if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
} catch (e) {
  failed++;
  console.log(`FAIL  browser run: ${e.message.split('\n')[0]}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
