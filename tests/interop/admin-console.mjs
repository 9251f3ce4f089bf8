// Drives the operator console in Debian's Chromium (headless) with playwright-core, as an operator would: signs in
// with the admin key, reads every page's numbers, opens a job, revokes its token through the form (accepting the
// confirmation), and takes screenshots at desktop and phone widths.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { readInput, respond } from './lib.mjs';

const input = await readInput();
const browser = await chromium.launch({
  executablePath: input.chromium ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const shots = [];
const pageErrors = [];
const result = {};

async function shot(page, name) {
  const file = path.join(input.screenshotDir, `console-${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

const value = (page, selector) => page.$eval(selector, (e) => Number(e.dataset.value));
const overflow = (page) => page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (dialog) => { result.confirmation = dialog.message(); dialog.accept(); });

  // Not signed in: the console sends the browser to its sign-in form. A wrong key first, then the right one.
  await page.goto(new URL('/admin/jobs', input.baseUrl).toString());
  result.redirectedTo = new URL(page.url()).pathname;
  await page.fill('#key', 'certainly-not-the-admin-key');
  await page.click('button[type=submit]');
  result.wrongKeyMessage = (await page.textContent('.problem'))?.trim();
  await page.fill('#key', input.adminKey);
  await page.click('button[type=submit]');
  await page.waitForSelector('#funnel');
  result.cookie = (await context.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path }));

  result.earnings = {
    received: await value(page, '#received'), refunded: await value(page, '#refunded'), net: await value(page, '#net'),
    challenges: await value(page, '#challenges'), paid: await value(page, '#paid'), completed: await value(page, '#completed'),
    failed: await value(page, '#failed'), refundsClaimed: await value(page, '#refunds-claimed'), refundsAvailable: await value(page, '#refunds-available'),
    today: await page.$eval('#day-chart rect.bar:last-of-type', (e) => ({ day: e.dataset.day, sats: Number(e.dataset.value) })),
    bars: await page.$$eval('#day-chart rect.bar', (bars) => bars.length),
    models: await page.$$eval('#models tbody tr', (rows) => rows.map((r) => ({ model: r.dataset.model, jobs: Number(r.children[1].dataset.value), sats: Number(r.children[2].dataset.value) }))),
  };
  await shot(page, 'earnings');

  await page.goto(new URL('/admin/jobs', input.baseUrl).toString());
  result.jobs = await page.$$eval('#jobs tbody tr', (rows) => rows.map((r) => ({ id: r.dataset.job, status: r.querySelector('.status').textContent, reason: r.children[6].textContent })));
  await page.selectOption('#status', 'FAILED');
  await page.waitForURL(/status=FAILED/);
  result.failedFilter = await page.$$eval('#jobs tbody tr', (rows) => rows.map((r) => r.dataset.job));
  await shot(page, 'jobs-failed');

  await page.goto(new URL(`/admin/jobs/${input.jobToRevoke}`, input.baseUrl).toString());
  await page.waitForFunction(() => document.getElementById('poster')?.complete);
  result.job = {
    status: await page.textContent('#job-status'),
    timeline: await page.$$eval('#timeline li', (items) => items.map((i) => i.textContent.trim())),
    posterWidth: await page.$eval('#poster', (img) => img.naturalWidth),
  };
  await shot(page, 'job');
  await page.click('button.danger');
  await page.waitForSelector('.notice');
  result.afterRevoke = { path: new URL(page.url()).pathname, notice: (await page.textContent('.notice')).trim() };

  await page.goto(new URL('/admin/money', input.baseUrl).toString());
  result.refunds = await page.$$eval('#refunds tbody tr', (rows) => rows.map((r) => ({ job: r.dataset.refund, state: r.dataset.state, sats: Number(r.children[3].dataset.value) })));
  result.revoked = await page.$$eval('#revoked tbody tr', (rows) => rows.map((r) => r.dataset.token));
  await shot(page, 'money');

  await page.goto(new URL('/admin/health', input.baseUrl).toString());
  result.health = {
    models: await page.$$eval('#health-models tbody tr', (rows) => rows.map((r) => ({ model: r.dataset.model, available: r.dataset.available === 'true' }))),
    readiness: await page.$$eval('#readiness tbody tr', (rows) => rows.map((r) => r.dataset.check)),
    queue: await value(page, '#queue-depth'),
    webhooks: await value(page, '#webhook-backlog'),
    lightning: await page.textContent('#lightning-backend'),
  };
  await page.click('form[action="/admin/models/check"] button');
  await page.waitForSelector('.notice');
  await shot(page, 'health');

  await page.goto(new URL('/admin/actions', input.baseUrl).toString());
  result.actions = await page.$$eval('#actions tbody tr', (rows) => rows.map((r) => ({ who: r.children[1].textContent, action: r.children[2].textContent, target: r.children[3].textContent })));
  await shot(page, 'actions');

  // A phone: every page fits its width (wide tables scroll inside their card).
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.addCookies(await context.cookies());
  const small = await phone.newPage();
  small.on('pageerror', (e) => pageErrors.push(String(e)));
  result.phoneOverflow = {};
  for (const [name, where] of [['earnings', '/admin'], ['jobs', '/admin/jobs'], ['money', '/admin/money'], ['health', '/admin/health']]) {
    await small.goto(new URL(where, input.baseUrl).toString());
    result.phoneOverflow[name] = await overflow(small);
    await shot(small, `phone-${name}`);
  }

  // Signing out ends the session: the console sends the browser back to the form.
  await page.goto(new URL('/admin', input.baseUrl).toString());
  await page.click('header form button');
  await page.waitForURL(/sign-in/);
  await page.goto(new URL('/admin/money', input.baseUrl).toString());
  result.afterSignOut = new URL(page.url()).pathname;
} finally {
  result.screenshots = shots;
  result.pageErrors = pageErrors;
  await browser.close();
}
respond(result);
