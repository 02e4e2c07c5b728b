// page.test.mjs - the public verification page in a real browser: Debian's chromium (never a
// downloaded one) driven by playwright-core. The server, store and certificates are set up by
// browser.sh, which passes their details in the environment. Screenshots go to SHOTS.
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const U = process.env.TC_URL;
const SHOTS = process.env.SHOTS;
const basic = process.env.TC_BASIC_LINK_PATH;   // "/v#TC1:..." of a basic-level title (临夏)
const png = process.env.TC_BASIC_PNG;
const provincial = '12620000438000456W';         // provincial hospital: not basic-level
const county = '12620102438000123H';             // county health centre: basic-level
let browser, page;

// what the page showed, for a failing step: the verdict area's text and the address
async function pageShowed() {
  if (!page) return '(no page: the browser did not start)';
  try {
    const text = await page.evaluate(() => {
      const r = document.getElementById('result');
      const e = document.getElementById('error');
      return [r && !r.hidden ? r.innerText : '(verdict area hidden)',
              e && !e.hidden && e.innerText.trim() ? 'error: ' + e.innerText : ''].filter(Boolean).join(' | ');
    });
    const url = page.url().replace(/(#TC1:\d{12})\d+/i, '$1…');
    return `${url}: ${text.replace(/\s+/g, ' ').slice(0, 600)}`;
  } catch (err) {
    return `(could not read the page: ${err.message})`;
  }
}

// every step names itself and, when it fails, says what the page showed at that moment
function test(name, fn) {
  nodeTest(name, async () => {
    try {
      await fn();
    } catch (err) {
      err.message = `step "${name}" failed: ${err.message}\n  the page showed: ${await pageShowed()}`;
      throw err;
    }
  });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (err) {
    throw new Error(`launch error: /usr/bin/chromium did not start under playwright-core: ${err.message}`);
  }
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'zh-CN' });
  page = await context.newPage();
  // the page must ask nothing of any other host
  const STALE = process.env.TC_STALE_URL;
  page.on('request', req => assert.ok(req.url().startsWith(U) || (STALE && req.url().startsWith(STALE)),
                                      `request to another host: ${req.url()}`));
});

after(async () => { await browser?.close(); });

async function verdict() {
  await page.waitForFunction(() => !document.getElementById('result').hidden);
  return (await page.textContent('#verdict')).trim();
}

test('opening the QR link verifies at once: 有效', async () => {
  await page.goto(U + basic);
  assert.equal(await verdict(), '有效');
  assert.match(await page.textContent('#details'), /主治医师/);
  assert.match(await page.textContent('#details'), /限甘肃省基层单位使用/);
  assert.match(await page.textContent('#timeline'), /最早可申请换发全省统一职称 2031-11/);
  await page.screenshot({ path: `${SHOTS}/1-link-valid.png`, fullPage: true });
});

test('a non-basic-level unit in the employer field: 在本单位不适用 (S1)', async () => {
  await page.fill('#unit', provincial);
  await page.waitForFunction(() => document.getElementById('verdict').textContent.includes('不适用'));
  assert.equal(await verdict(), '在本单位不适用');
  assert.match(await page.textContent('#why'), /基层职称仅限在基层单位聘用，离开无效/);
  await page.screenshot({ path: `${SHOTS}/2-not-valid-here.png`, fullPage: true });
});

test('the employer is remembered on the device', async () => {
  await page.reload();
  assert.equal(await page.inputValue('#unit'), provincial);
  assert.equal(await verdict(), '在本单位不适用');
});

test('searching a unit by name and choosing a basic-level one: 有效', async () => {
  await page.fill('#unit', county);
  await page.waitForFunction(() => document.getElementById('verdict').textContent === '有效');
  assert.match(await page.textContent('#details'), /城关区社区卫生服务中心/);
});

test('uploading the QR PNG verifies it', async () => {
  await page.goto(U + '/');
  await page.setInputFiles('#file', png);
  assert.equal(await verdict(), '有效');
  await page.screenshot({ path: `${SHOTS}/3-upload.png`, fullPage: true });
});

test('pasting the link and pressing Enter verifies it', async () => {
  await page.goto(U + '/');
  await page.fill('#paste', U + basic);
  await page.press('#paste', 'Enter');
  assert.equal(await verdict(), '有效');
});

test('English on request', async () => {
  await page.click('#lang');
  await page.waitForFunction(() => document.getElementById('verdict').textContent === 'Valid');
  assert.match(await page.textContent('#details'), /Title/);
  await page.screenshot({ path: `${SHOTS}/4-english.png`, fullPage: true });
  await page.click('#lang');
});

test('after revocation and a bundle reload the same link shows 已撤销 (A2)', async () => {
  execFileSync(process.env.TC_REVOKE_AND_RELOAD, { stdio: 'inherit' });
  await page.goto(U + '/');
  await page.goto(U + basic);
  assert.equal(await verdict(), '已撤销');
  assert.match(await page.textContent('#details'), /撤销\s*弄虚作假（\d{4}-\d{2}-\d{2}起）/);
  await page.screenshot({ path: `${SHOTS}/5-revoked.png`, fullPage: true });
});

test('status_stale: a verifier whose status is out of date says so, and when it was updated', async () => {
  await page.goto(process.env.TC_STALE_URL + basic);
  await page.waitForFunction(() => document.getElementById('error').textContent.length > 0);
  const text = await page.textContent('#error');
  assert.match(text, /证书状态信息已过期（最后更新于 .*\d{4}.*），暂时无法核验/);
  assert.doesNotMatch(text, /out of date/);
  await page.screenshot({ path: `${SHOTS}/6-status-stale.png`, fullPage: true });
});

test('the layout fits a 360 px phone without sideways scrolling', async () => {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `page is ${width} px wide`);
});

test('the controls are reachable by keyboard and labelled', async () => {
  for (const id of ['unit', 'paste', 'file']) {
    const label = await page.$(`label[for="${id}"]`);
    assert.ok(label, `#${id} has a label`);
  }
  assert.equal(await page.getAttribute('#result', 'aria-live'), 'polite');
  await page.focus('#unit');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'paste');
});
