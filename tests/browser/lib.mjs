// lib.mjs - what the browser tests share: Debian's chromium (never a downloaded one) driven by
// playwright-core, steps that say what the page showed when they fail, axe-core, screenshots.
// browser.sh sets up the server and passes its details in the environment.
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const U = process.env.TC_URL;
export const SHOTS = process.env.SHOTS;
export const CERTS = process.env.TC_CERTS;          // the fixture's certs/ directory
export const provincial = '12620000438000456W';      // 甘肃省人民医院（示例）: not basic-level
export const county = '12620102438000123H';          // 兰州市城关区社区卫生服务中心（示例）: basic-level
export const linxia = '12622901438000777Q';          // 临夏州人民医院（示例）: basic-level (GS §3(一))
export const privateEmployer = '91620100MA7123456X'; // well formed, check character right, in no directory
export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                     '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const ctx = { browser: null, page: null };

export function payload(id) { return readFileSync(`${CERTS}/${id}.txt`, 'utf8').trim(); }
export function link(id) { return `/v#${payload(id)}`; }

// what the page showed, for a failing step: the verdict area's text and the address
export async function pageShowed() {
  const page = ctx.page;
  if (!page) return '(no page: the browser did not start)';
  try {
    const text = await page.evaluate(() => {
      const r = document.getElementById('result');
      const b = document.getElementById('batch');
      const e = document.getElementById('error');
      const u = document.getElementById('unit');
      return [u ? `[unit field: "${u.value}"]` : '', r && r.offsetParent ? r.innerText : '',
              b && !b.hidden ? b.innerText : '',
              e && e.innerText.trim() ? 'error: ' + e.innerText : ''].filter(Boolean).join(' | ');
    });
    const url = page.url().replace(/(#TC1:\d{12})\d+/i, '$1…');
    return `${url}: ${text.replace(/\s+/g, ' ').slice(0, 700)}`;
  } catch (err) {
    return `(could not read the page: ${err.message})`;
  }
}

// every step names itself and, when it fails, says what the page showed at that moment
export function test(name, fn) {
  nodeTest(name, async () => {
    try {
      await fn();
    } catch (err) {
      err.message = `step "${name}" failed: ${err.message}\n  the page showed: ${await pageShowed()}`;
      throw err;
    }
  });
}

// what a test file does once the browser and its first page are there
const ready = [];
export function onReady(fn) { ready.push(fn); }

export function setup(hosts = [U]) {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    try {
      ctx.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
    } catch (err) {
      throw new Error(`launch error: /usr/bin/chromium did not start under playwright-core: ${err.message}`);
    }
    await newPage({ width: 390, lang: 'zh' }, hosts);
    for (const fn of ready) await fn();
  });
  after(async () => { await ctx.browser?.close(); });
}

// a fresh context: its own storage (unit, language), viewport and language
export async function newPage({ width = 390, height = 800, lang = 'zh', unit = null } = {}, hosts = [U]) {
  if (ctx.context) await ctx.context.close();
  ctx.context = await ctx.browser.newContext({ viewport: { width, height }, locale: 'zh-CN', acceptDownloads: true });
  await ctx.context.addInitScript(([l, u]) => {
    if (!sessionStorage.getItem('tc-test-init')) {
      sessionStorage.setItem('tc-test-init', '1');
      localStorage.setItem('tc-lang', l);
      if (u) localStorage.setItem('tc-unit', JSON.stringify(u)); else localStorage.removeItem('tc-unit');
    }
  }, [lang, unit]);
  const page = await ctx.context.newPage();
  page.setDefaultTimeout(10000); // every answer here takes well under a second
  // the page must ask nothing of any other host
  page.on('request', req => {
    if (!hosts.some(h => req.url().startsWith(h)) && !req.url().startsWith('blob:') && !req.url().startsWith('data:'))
      throw new Error(`request to another host: ${req.url()}`);
  });
  ctx.page = page;
  ctx.lang = lang;
  ctx.width = width;
  return page;
}

// the verdict area once a check is over: its class and text
// (not: a class the verdict has now, to wait until a newer answer replaced it)
export async function settled(not = null) {
  const page = ctx.page;
  // (#result stands for #outcome on a page before issue 20, so that these tests fail there on
  // what they check rather than on a missing element)
  await page.waitForFunction(n => {
    const o = document.getElementById('outcome') || document.getElementById('result');
    const v = document.getElementById('verdict');
    const cls = v.className.replace(/^verdict /, '');
    return o && !o.hidden && cls && !cls.includes('pending') && !o.classList.contains('dimmed') && cls !== n;
  }, not);
  return page.evaluate(() => ({ cls: document.getElementById('verdict').className.replace(/^verdict /, ''),
                               text: document.getElementById('verdict').textContent.trim() }));
}

export async function shot(name) {
  await ctx.page.screenshot({ path: `${SHOTS}/${name}-${ctx.width}-${ctx.lang}.png`, fullPage: true });
}

// Chinese text outside what may stay Chinese (names, units, specialty, issuer, the language
// button): for the English page
export async function chineseLeft(allowed) {
  let text = await ctx.page.evaluate(() => {
    // what is marked as Chinese is allowed to be; the rest must be English
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll('[lang^="zh"], [hidden], script').forEach(e => e.remove());
    document.body.append(clone);
    clone.style.position = 'absolute';
    const s = clone.innerText;
    clone.remove();
    return s;
  });
  for (const a of allowed) text = text.split(a).join('');
  return text.match(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/g);
}

// axe-core (pinned in package-lock.json) runs in the page through the DevTools protocol, which
// the page's CSP does not govern; the page itself loads nothing new
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
// Where the page's two text tables (the global T: T.zh and T.en) differ in shape: a key one has
// and the other lacks, a text in one that is a function of arguments (or a list, or a table) in
// the other, a list of steps of another length. [] when every text the page can show is there in both.
export async function languageGaps(page) {
  return page.evaluate(() => {
    const gaps = [];
    // a text may be a function of no argument in one language (to mark data within it) and a
    // string in the other; a function of arguments must take as many in both
    const kind = v => Array.isArray(v) ? 'list' : v === null ? 'null'
      : typeof v === 'function' ? (v.length ? `function of ${v.length}` : 'text')
      : typeof v === 'string' ? 'text' : typeof v;
    const walk = (a, b, path) => {
      for (const k of Object.keys(a)) {
        if (!(k in b)) { gaps.push(`${path}.${k}: only in one language`); continue; }
        const ka = kind(a[k]), kb = kind(b[k]);
        if (ka !== kb) gaps.push(`${path}.${k}: ${ka} in one, ${kb} in the other`);
        else if (ka === 'list' && a[k].length !== b[k].length) gaps.push(`${path}.${k}: ${a[k].length} and ${b[k].length} items`);
        else if (ka === 'object' || ka === 'list') walk(a[k], b[k], `${path}.${k}`);
      }
    };
    // eslint-disable-next-line no-undef
    const table = typeof T === 'object' ? T : null;
    if (!table || !table.zh || !table.en) return ['no text table T with zh and en on this page'];
    walk(table.zh, table.en, 'zh→en');
    walk(table.en, table.zh, 'en→zh');
    return gaps;
  });
}

export async function axeViolations(all = true) {
  await ctx.page.evaluate(axeSource);
  const res = await ctx.page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter(v => all || v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}

export async function noSideways() {
  const [sw, cw] = await ctx.page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw <= cw, `${ctx.width} px, ${ctx.lang}: ${sw} px of content in ${cw}`);
}

// chooses a unit through the picker: types q, waits for the option naming `name`, picks it
export async function pickUnit(q, name) {
  const page = ctx.page;
  if (await page.isHidden('#unit')) await page.click('#change-unit');
  // (before issue 20 the field was always shown: typing in it is what there was)
  if (/^[0-9A-Z]{18}$/.test(q)) { // a whole code that names a unit is taken as typed
    await page.fill('#unit', q);
    await page.waitForFunction(() => document.getElementById('unit-picker').hidden);
    return;
  }
  await page.fill('#unit', q);
  const opt = page.locator('#unit-options [role=option]', { hasText: name });
  await opt.first().waitFor();
  await opt.first().click();
}
