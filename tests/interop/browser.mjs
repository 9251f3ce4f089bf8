// Drives the SatsMotion web page in Debian's Chromium (headless) with playwright-core, as a person would,
// saving a screenshot of each step. One scenario per run: full, invalid, reload, phone.
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import path from 'node:path';
import { readInput, respond } from './lib.mjs';

const input = await readInput();
const shots = [];
const browser = await chromium.launch({
  executablePath: input.chromium ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
const viewport = input.scenario === 'phone' ? { width: 390, height: 844 } : { width: 1100, height: 900 };
const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
// How the page followed its job: the event stream, or polling (the fallback, forced by removing EventSource).
const jobRequests = [];
page.on('request', (r) => { if (r.url().includes('/api/l402/jobs/')) jobRequests.push(new URL(r.url()).pathname); });
if (input.withoutEventSource) await page.addInitScript(() => { delete window.EventSource; });

async function shot(name) {
  const file = path.join(input.screenshotDir, `${input.scenario}-${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

async function fillForm(imagePath, prompt, duration) {
  await page.setInputFiles('#image', imagePath);
  await page.waitForSelector('#preview:not([hidden])');
  await page.fill('#prompt', prompt);
  await page.$eval('#duration', (el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }, String(duration));
}

// The QR shown on the page, decoded by an independent library.
async function decodeQr() {
  const src = await page.getAttribute('#qr', 'src');
  const response = await page.request.get(new URL(src, input.baseUrl).toString());
  const png = PNG.sync.read(await response.body());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

async function waitForVideo() {
  await page.waitForSelector('#result-step:not([hidden])', { timeout: 90000 });
  await page.waitForFunction(() => document.getElementById('video').readyState >= 1, null, { timeout: 30000 });
  return page.$eval('#video', (v) => ({ duration: v.duration, width: v.videoWidth, height: v.videoHeight, src: v.src, poster: v.poster }));
}

const result = { scenario: input.scenario };
try {
  await page.goto(input.baseUrl, { waitUntil: 'networkidle' });
  if (input.scenario === 'full' || input.scenario === 'reload' || input.scenario === 'phone') {
    await fillForm(input.imagePath, 'slow zoom in', input.duration);
    result.price = await page.textContent('#price');
    await shot('form');
    await page.click('#get-invoice');
    await page.waitForSelector('#pay-step:not([hidden])');
    await page.waitForFunction(() => document.getElementById('qr').naturalWidth > 0);
    result.invoice = await page.inputValue('#invoice-text');
    result.qr = await decodeQr();
    result.walletLink = await page.getAttribute('#open-wallet', 'href');
    result.countdown = await page.textContent('#countdown');
    result.weblnButtonVisible = await page.isVisible('#webln-pay');
    await shot('invoice');
    await page.click('#dev-pay');
    if (input.scenario !== 'reload') {
      await page.waitForSelector('#wait-step:not([hidden]), #result-step:not([hidden])');
      await shot('paid');
    } else {
      await page.waitForSelector('#wait-step:not([hidden])');
      await shot('waiting');
      await page.reload({ waitUntil: 'networkidle' });
      result.resumedStep = await page.evaluate(() => ['pay-step', 'wait-step', 'result-step'].find((id) => !document.getElementById(id).hidden));
      await shot('after-reload');
    }
    result.video = await waitForVideo();
    await page.$eval('#video', (v) => { v.currentTime = Math.min(1, v.duration / 2); });
    await page.waitForTimeout(300);
    result.download = await page.getAttribute('#download', 'href');
    await shot('video');
    result.overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    result.progressSource = await page.evaluate(() => document.body.dataset.progressSource ?? null);
    result.eventStreams = jobRequests.filter((p) => p.endsWith('/events')).length;
    result.polls = jobRequests.filter((p) => !p.endsWith('/events')).length;
  } else if (input.scenario === 'invalid') {
    await page.setInputFiles('#image', input.badImagePath);
    await page.fill('#prompt', 'zoom in');
    await page.click('#get-invoice');
    await page.waitForFunction(() => document.getElementById('image-error').textContent.length > 0);
    result.imageError = await page.textContent('#image-error');
    result.payStepHidden = await page.$eval('#pay-step', (e) => e.hidden);
    await shot('image-error');
    await page.setInputFiles('#image', input.imagePath);
    await page.waitForSelector('#preview:not([hidden])');
    await page.fill('#prompt', '   ');
    await page.click('#get-invoice');
    await page.waitForFunction(() => document.getElementById('prompt-error').textContent.length > 0);
    result.promptError = await page.textContent('#prompt-error');
    await shot('prompt-error');
  }
} finally {
  result.screenshots = shots;
  result.pageErrors = pageErrors;
  await browser.close();
}
respond(result);
