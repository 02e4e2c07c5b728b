// console.test.mjs - the HR console in a real browser: Debian's chromium driven by playwright-core.
// console_browser.sh sets up the store (two admins bootstrapped on the host), the signer and the
// console, and passes their details in the environment. Each person works in a browser context of
// their own: admin1 adds a clerk, an approver, a custodian and an auditor, admin2 confirms their
// roles; each enrols with the code admin1 was shown and sets up TOTP from the seed the page shows
// (codes computed here, RFC 6238, checked once against tests/totp.py). The four take the committee's
// results from upload through the 公示 (the store's clock at -14 days), an objection recorded by the
// clerk and upheld by the approver, approval (the clock at 0) with re-authentication, the signer
// unlocked by the custodian, signing and publication; the public page then verifies one of the
// certificates. Also: a CSRF attempt from another origin, the session cookie's attributes, a
// revocation, certificate search, the calendar, the audit view and its CSV, a 401 back to
// sign-in. Both languages have every text (the same keys). Every screen is checked with axe-core
// and photographed at 1366 and 390 px in Chinese (the main ones in English too, with no Chinese
// left but the data).
import assert from 'node:assert/strict';
import { test as nodeTest, before, after } from 'node:test';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ARGS, languageGaps } from './lib.mjs';

const U = process.env.TC_CONSOLE_URL;
const SHOTS = process.env.SHOTS;
const WORK = process.env.TC_WORK;
const PASSPHRASE = process.env.TC_KEYS_PASSPHRASE;
// another origin of the same site (127.0.0.1, another port)
const EVIL = process.env.TC_OTHER_ORIGIN;
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

// the people: admin1 and admin2 are bootstrapped on the host, the others added through the console
const people = {
  admin1: { password: 'password-of-admin1-1' },
  admin2: { password: 'password-of-admin2-1' },
  wangmin: { display: '王敏', role: 'clerk', password: 'clerk-password-wangmin' },
  liqiang: { display: '李强', role: 'approver', password: 'approver-password-liqiang' },
  zhanglei: { display: '张蕾', role: 'custodian', password: 'custodian-password-zhanglei' },
  zhaojing: { display: '赵静', role: 'auditor', password: 'auditor-password-zhaojing' },
};
const clerk = 'wangmin', approver = 'liqiang', custodian = 'zhanglei', auditor = 'zhaojing';
let browser, shotNo = 0, batchId = 0, issueBatch = 0, publicUrl = '';
const pages = {};

// ---- TOTP (RFC 6238: HMAC-SHA-1, 30 s, 6 digits) ------------------------------------------------

function totpAt(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[19] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const sleep = ms => new Promise(r => setTimeout(r, ms));
// A code the console has not seen for this account: each is good once, and one step either side
// of the server's is accepted, so the next step is taken at once and the one after waits.
async function nextCode(name) {
  const p = people[name];
  for (;;) {
    const now = Math.floor(Date.now() / 30000);
    const step = Math.max((p.step ?? now - 1) + 1, now);
    if (step <= now + 1) { p.step = step; return totpAt(p.secret, step); }
    await sleep((step - 1) * 30000 - Date.now() + 300);
  }
}

// ---- steps, screens, photographs ---------------------------------------------------------------------

let current = null; // the page a failing step describes
let broken = '';     // the walk is one story: after a failed step the rest says so at once
function test(name, fn) {
  nodeTest(name, async () => {
    if (broken) throw new Error(`not run: the step "${broken}" failed`);
    try {
      await fn();
    } catch (err) {
      broken = name;
      let showed = '(no page)';
      if (current) {
        try {
          showed = `${current.url()}: ` + (await current.evaluate(() => {
            const v = document.getElementById('view'), d = document.getElementById('reauth');
            return (d && d.open ? `[dialog: ${d.innerText}] ` : '') + (v ? v.innerText : document.body.innerText);
          })).replace(/\s+/g, ' ').slice(0, 900);
        } catch (e) { showed = `(could not read the page: ${e.message})`; }
      }
      err.message = `step "${name}" failed: ${err.message}\n  the page showed: ${showed}`;
      throw err;
    }
  });
}

async function open(name, { width = 1366 } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('request', req => {
    const u = req.url();
    if (!u.startsWith(U) && !u.startsWith('data:') && !(publicUrl && u.startsWith(publicUrl)) && !u.startsWith(`${EVIL}/`))
      throw new Error(`request to another host: ${u}`);
  });
  page.on('pageerror', e => { console.log(`# page error (${name}): ${e.message}`); });
  pages[name] = page;
  current = page;
  return page;
}

async function idle(page) {
  await page.waitForSelector('#main:not([aria-busy])');
  await page.waitForSelector('#view-title');
}

async function lang(page, l) {
  const now = await page.evaluate(() => document.documentElement.lang);
  if (now.startsWith(l)) return;
  // (under an open dialog the button is out of the pointer's reach: clicked by the page itself)
  if (await page.$('dialog[open]')) await page.evaluate(() => document.getElementById('lang').click());
  else await page.click('#lang');
  await page.waitForFunction(want => document.documentElement.lang.startsWith(want), l);
  await idle(page);
}

async function axe(page, where) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
  const v = res.violations.map(x => `${x.id} (${x.impact}): ${x.nodes.map(n => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(v, [], `axe-core on ${where}`);
}

async function chineseLeft(page) {
  return page.evaluate(() => {
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll('[lang^="zh"], [hidden], script, noscript, dialog:not([open])').forEach(e => e.remove());
    document.body.append(clone);
    const text = clone.innerText;
    clone.remove();
    return text.match(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/g);
  });
}

// photographs the screen at 1366 and 390 px (in English too when en), checks it with axe-core at
// both widths and that nothing runs off the side of the phone
async function screen(page, name, { en = false, widths = [1366, 390], full = true } = {}) {
  const n = String(++shotNo).padStart(2, '0');
  for (const l of en ? ['zh', 'en'] : ['zh']) {
    await lang(page, l);
    if (l === 'en') assert.equal(await chineseLeft(page), null, `Chinese left on the English page of ${name}`);
    for (const w of widths) {
      await page.setViewportSize({ width: w, height: w > 800 ? 900 : 844 });
      await page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (w < 800) {
        const [sw, cw, wide] = await page.evaluate(() => {
          const cw = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > cw + 0.5)
            .slice(-3).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}: "${e.textContent.slice(0, 40)}"`);
          return [document.documentElement.scrollWidth, cw, wide];
        });
        assert.ok(sw <= cw, `${name} at ${w} px, ${l}: ${sw} px of content in ${cw}: ${wide.join('; ')}`);
      }
      await page.screenshot({ path: `${SHOTS}/${n}-${name}-${w}-${l}.png`, fullPage: full });
      await axe(page, `${name} at ${w} px, ${l}`);
    }
  }
  await lang(page, 'zh');
  await page.setViewportSize({ width: 1366, height: 900 });
}

// what the last action said, once the screen is drawn again
async function flash(page, re) {
  await page.waitForFunction(src => {
    const f = document.getElementById('flash');
    return f && new RegExp(src).test(f.textContent) && !document.getElementById('main').hasAttribute('aria-busy');
  }, re.source);
}

// clicks, the last action's message taken away first so that the next one is this click's
async function press(page, selector) {
  await page.evaluate(() => document.getElementById('flash')?.remove());
  await page.click(selector);
}

// Submits (click), answering the re-authentication dialog when the console asks; resolves once
// `outcome` shows. Returns whether the dialog was asked.
async function withReauth(page, name, click, outcome) {
  await page.evaluate(() => document.getElementById('flash')?.remove());
  await click();
  const asked = await Promise.race([
    page.waitForSelector('#reauth[open]', { timeout: 8000 }).then(() => true),
    page.waitForSelector(outcome, { timeout: 8000 }).then(() => false),
  ]);
  if (asked) {
    await page.fill('#reauth-code', await nextCode(name));
    await page.click('#reauth-ok');
    await page.waitForSelector('#reauth:not([open])', { state: 'attached' });
    await page.waitForSelector(outcome);
  }
  await idle(page);
  return asked;
}

// until the session's re-authentication window has run out (the console runs with --reauth 20)
async function reauthLapsed(page) {
  const left = await page.evaluate(async () => (await (await fetch('/api/me')).json()).reauth_seconds_left);
  if (left > 0) await sleep(left * 1000 + 1200);
}

async function tabTo(page, id, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(want => document.activeElement && document.activeElement.id === want, id)) return;
  }
  throw new Error(`#${id} is not reached with the Tab key`);
}

// the secret the page shows, and a code from it; admin1's is checked against tests/totp.py
async function setUpTotp(page, name, keyboard = false) {
  await page.waitForSelector('#totp-secret');
  people[name].secret = (await page.textContent('#totp-secret')).replace(/\s+/g, '');
  assert.match(people[name].secret, /^[A-Z2-7]{16,}$/);
  const code = await nextCode(name);
  if (keyboard) {
    await tabTo(page, 'offer-totp');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
  } else {
    await page.fill('#offer-totp', code);
    await page.click('#offer-form-submit');
  }
  await page.waitForSelector('#nav');
  await idle(page);
}

// a person added by admin1 enrols in a context of their own: the code, a password, the TOTP seed
async function enrol(name, { keyboard = false } = {}) {
  const p = people[name];
  const page = await open(name);
  await page.goto(U + '/');
  await page.waitForSelector('#signin-form');
  if (keyboard) {
    await tabTo(page, 'to-enrol');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#enrol-form');
    for (const [id, text] of [['enrol-account', name], ['enrol-code', p.code], ['enrol-password', p.password], ['enrol-password2', p.password]]) {
      await tabTo(page, id);
      await page.keyboard.type(text);
    }
    await page.keyboard.press('Enter');
  } else {
    await page.click('#to-enrol');
    await page.fill('#enrol-account', name);
    await page.fill('#enrol-code', p.code);
    await page.fill('#enrol-password', p.password);
    await page.fill('#enrol-password2', p.password);
    await page.click('#enrol-form-submit');
  }
  await setUpTotp(page, name, keyboard);
  return page;
}

async function go(page, hash) {
  current = page;
  // the same address again draws the screen again (as the app's own links to it do)
  await page.evaluate(h => {
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash);
  await page.waitForFunction(h => location.hash === h, hash);
  await idle(page);
}

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
});
after(async () => { await browser?.close(); });

// ---- accounts ---------------------------------------------------------------------------------------

test('the sign-in page, and admin1 enrols with the code the host printed: password, then the TOTP seed as text and as a QR code', async () => {
  const page = await open('admin1');
  await page.goto(U + '/');
  await page.waitForSelector('#signin-form');
  await screen(page, 'signin', { en: true });
  await page.click('#to-enrol');
  await page.waitForSelector('#enrol-form');
  await screen(page, 'enrol-empty', { en: true }); // (the code's hint: two halves from two admins)
  await page.fill('#enrol-account', 'admin1');
  await page.fill('#enrol-code', process.env.TC_ADMIN1_CODE);
  await page.fill('#enrol-password', 'too-short');
  await page.fill('#enrol-password2', 'too-short');
  await page.click('#enrol-form-submit');
  assert.match(await page.textContent('#enrol-form .error'), /至少 12 个字符/);
  await page.fill('#enrol-password', people.admin1.password);
  await page.fill('#enrol-password2', people.admin1.password);
  await screen(page, 'enrol');
  await page.click('#enrol-form-submit');
  await page.waitForSelector('#totp-qr');
  await screen(page, 'totp-offer', { en: true });
  const secret = (await page.textContent('#totp-secret')).replace(/\s+/g, '');
  // the QR code drawn from the server's rows reads as the otpauth link holding the same secret
  const png = `${WORK}/totp-qr.png`;
  await page.locator('#totp-qr').screenshot({ path: png });
  if (existsSync('/usr/bin/zbarimg')) {
    const read = execFileSync('/usr/bin/zbarimg', ['--raw', '-q', png], { encoding: 'utf8' }).trim();
    assert.match(read, new RegExp(`^otpauth://totp/titlecert:admin1\\?secret=${secret}&`));
  }
  // this file's RFC 6238 agrees with tests/totp.py
  const t0 = Math.floor(Date.now() / 1000);
  const py = execFileSync('python3', [process.env.TC_TOTP_PY, secret, String(t0)], { encoding: 'utf8' }).trim();
  assert.equal(totpAt(secret, Math.floor(t0 / 30)), py);
  await setUpTotp(page, 'admin1');
  assert.equal((await page.textContent('#view-title')).trim(), '待办事项');
  assert.match(await page.textContent('#demo'), /演示库 DEMO/, 'a demo store says so on every screen');
  assert.match(await page.textContent('#who'), /系统管理员/);
});

test('every text of the console is there in Chinese and in English (the same keys, lists and functions)', async () => {
  const page = await open('nobody');
  await page.goto(U + '/');
  await page.waitForSelector('#signin-form');
  assert.deepEqual(await languageGaps(page), []);
  await page.context().close();
  delete pages.nobody;
  current = pages.admin1;
});

test('the session cookie: __Host-, Secure, HttpOnly, SameSite=Strict, Path=/, out of reach of scripts', async () => {
  const page = pages.admin1;
  // (not cookies(U): Playwright leaves Secure cookies out for an http: address, Chromium does not)
  const cookies = await page.context().cookies();
  const c = cookies.find(x => x.name === '__Host-tc_console');
  assert.ok(c, `cookies: ${cookies.map(x => x.name)}`);
  assert.equal(c.secure, true);
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  assert.equal(c.path, '/');
  assert.equal(c.domain, '127.0.0.1', 'host-only: no Domain attribute');
  assert.match(c.value, /^[0-9a-f]{64}$/);
  assert.equal(await page.evaluate(() => document.cookie), '');
});

test('admin1 adds a clerk, an approver, a custodian and an auditor: the first half of each enrolment code is shown once, the roles wait for a second admin', async () => {
  const page = pages.admin1;
  await go(page, '#/users');
  await screen(page, 'users-empty');
  for (const name of [clerk, approver, custodian, auditor]) {
    const p = people[name];
    await page.fill('#user-name', name);
    await page.fill('#user-display', p.display);
    await page.check(`#user-role-${p.role}`);
    await withReauth(page, 'admin1', () => page.click('#add-user-form-submit'), `#enrolment:has-text("${name}")`);
    assert.match(await page.textContent('#enrolment'), new RegExp(`账号 ${name} 的登记码前半部分`));
    p.code = (await page.textContent('#enrolment-code')).trim();
    assert.match(p.code, /^[A-Z2-9]{10}$/, 'admin1 is shown half a code: no admin alone enrols anyone');
    if (name === clerk) await screen(page, 'user-added', { en: true });
  }
  // shown once: drawn again, the page has no code
  await page.reload();
  await idle(page);
  assert.equal(await page.$('#enrolment-code'), null);
  assert.equal(await page.locator('#pending-table tbody tr').count(), 4);
  assert.match(await page.textContent('#pending-table'), /须另一位系统管理员确认/, 'admin1 cannot confirm their own proposals');
  await screen(page, 'users-pending');
});

test('admin2 (password set on the host) signs in: the first sign-in offers the TOTP seed; admin2 confirms the four role changes from the work list and is shown the second half of each code', async () => {
  const page = await open('admin2');
  await page.goto(U + '/');
  await page.fill('#signin-account', 'admin2');
  await page.fill('#signin-password', people.admin2.password);
  await page.click('#signin-form-submit');
  await setUpTotp(page, 'admin2');
  assert.equal(await page.locator('#work-list [data-action=confirm]').count(), 4);
  await screen(page, 'work-admin2');
  for (let i = 0; i < 4; i++) {
    const b = page.locator('#work-list [data-action=confirm] button').first();
    await withReauth(page, 'admin2', () => b.click(), '#flash');
    assert.match(await page.textContent('#flash'), /已确认角色变更/);
    const label = await page.textContent('#enrolment .label');
    const name = [clerk, approver, custodian, auditor].find(n => label.includes(`账号 ${n} 的登记码后半部分`));
    assert.ok(name, `the second half names its account: ${label}`);
    const half = (await page.textContent('#enrolment-code')).trim();
    assert.match(half, /^[A-Z2-9]{10}$/);
    assert.notEqual(half, people[name].code);
    if (i === 0) await screen(page, 'second-half', { en: true });
    // the person types the halves one after the other (the approver with a hyphen between)
    people[name].code += (name === approver ? '-' : ' ') + half;
  }
  for (const n of [clerk, approver, custodian, auditor]) assert.match(people[n].code, /^[A-Z2-9]{10}[ -][A-Z2-9]{10}$/, n);
  assert.match(await page.textContent('#work-empty'), /没有等待您处理的事项/);
});

test('the clerk, the approver, the custodian and the auditor enrol in their own browsers (the approver with the keyboard alone)', async () => {
  await enrol(clerk);
  await screen(pages[clerk], 'work-clerk-empty');
  await enrol(approver, { keyboard: true });
  await enrol(custodian);
  await enrol(auditor);
  assert.match(await pages[auditor].textContent('#who'), /审计员/);
  assert.match(await pages[custodian].textContent('#nav'), /签名服务/);
  assert.doesNotMatch(await pages[custodian].textContent('#nav'), /审计日志/, 'the nav offers each role its own');
});

// ---- a batch's life ----------------------------------------------------------------------------------

test('the clerk uploads a file with errors: the refusals by line and field, nothing stored', async () => {
  const page = pages[clerk];
  await go(page, '#/batches');
  const lines = readFileSync(process.env.TC_RESULTS, 'utf8').trim().split('\n');
  const bad = [lines[0], lines[1].replace('2020-06-15', '2020-13-45'), lines[2].replace('12622901438000777Q', '12622901438000777X'), lines[3]];
  writeFileSync(`${WORK}/bad.csv`, bad.join('\n') + '\n');
  await page.fill('#upload-title', '有错误的文件');
  await page.setInputFiles('#upload-file', `${WORK}/bad.csv`);
  await page.click('#upload-submit');
  await page.waitForSelector('#refusals');
  const text = await page.textContent('#refusals');
  assert.match(text, /obtained/, 'the field');
  assert.match(text, /employer/);
  const rows = await page.$$eval('#refusals tbody tr', trs => trs.map(tr => tr.querySelector('td').innerText.trim()));
  assert.ok(rows.includes('2') && rows.includes('3'), `the lines: ${rows}`);
  assert.match(await page.textContent('#upload-refused'), /未存入任何数据/);
  await screen(page, 'upload-refused', { en: true });
});

test('the clerk uploads the committee\'s results: a progress bar to 100 %, then every row with its scope in words', async () => {
  const page = pages[clerk];
  await go(page, '#/batches');
  await page.fill('#upload-title', '2026年卫生系列高级职称评审结果');
  await page.setInputFiles('#upload-file', process.env.TC_RESULTS);
  await page.evaluate(() => {
    window.tcProgress = [];
    const p = document.getElementById('upload-progress');
    new MutationObserver(() => window.tcProgress.push(p.value)).observe(p, { attributes: true, attributeFilter: ['value'] });
  });
  await page.click('#upload-submit');
  await page.waitForFunction(() => /^#\/batch\/\d+$/.test(location.hash));
  await page.waitForSelector('#rows-table');
  await idle(page);
  assert.ok((await page.evaluate(() => window.tcProgress)).includes(100), 'the upload reported its progress');
  batchId = Number((await page.evaluate(() => location.hash)).split('/')[2]);
  assert.match(await page.textContent('#flash'), /共 4 行/);
  const row = async line => page.textContent(`#rows-table tr[data-line="${line}"]`);
  assert.match(await row(2), /王芳.*卫生\(医疗\) 副主任医师.*限甘肃省基层单位使用/s);
  assert.match(await row(4), /限甘肃省乡镇基层单位使用/, 'a township scope');
  assert.match(await row(5), /李四.*全省范围有效（任何单位）/s, 'a province-wide title');
  assert.match(await row(5), /\*{14}0035/, 'the ID number masked');
  assert.match(await page.textContent('#steps [aria-current=step]'), /草稿/);
  await screen(page, 'batch-draft', { en: true });
});

test('the clerk starts the 公示 (the clock 14 days back): its period on the working-day calendar, 5 working days left', async () => {
  const page = pages[clerk];
  await press(page, '#publicise-form-submit');
  await flash(page, /已开始公示/);
  assert.match(await page.textContent('#batch-period'), /尚余 5 个工作日/);
  assert.match(await page.textContent('#steps [aria-current=step]'), /公示中/);
  await screen(page, 'batch-publicised', { en: true });
});

test('the clerk records an objection against 马明 (line 3), received within the period', async () => {
  const page = pages[clerk];
  await page.selectOption('#obj-line', '3');
  await page.fill('#obj-objector', '张三');
  await page.fill('#obj-contact', '13900000000');
  await page.fill('#obj-text', '马明的业绩材料与事实不符，申请核查。');
  assert.equal(await page.inputValue('#obj-received'), await page.evaluate(async () => (await (await fetch('/api/me')).json()).today));
  await press(page, '#objection-form-submit');
  await flash(page, /已登记异议/);
  assert.match(await page.textContent('#objections'), /待处理/);
  await screen(page, 'objection-recorded');
});

test('a CSRF attempt from another origin fails: the session cookie goes with it, the console refuses it and nothing is stored', async () => {
  const context = pages[clerk].context();
  const evil = await context.newPage();
  current = evil;
  await evil.goto(`${EVIL}/`);
  const outcome = await evil.evaluate(async u => {
    const csv = 'name,id_number\n某,1\n';
    const simple = await fetch(`${u}/api/batches?title=evil`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: csv });
    let preflight = 'sent';
    try {
      await fetch(`${u}/api/batches/1/publicise`, { method: 'POST', credentials: 'include', headers: { 'X-TC-CSRF': '0'.repeat(64) }, body: '{}' });
    } catch { preflight = 'blocked'; }
    return { simple: simple.type, preflight };
  }, U);
  await evil.close();
  assert.equal(outcome.simple, 'opaque');
  assert.equal(outcome.preflight, 'blocked', 'a request with the header is stopped by CORS');
  const page = pages[clerk];
  current = page;
  const list = await page.evaluate(async () => (await (await fetch('/api/batches')).json()).batches);
  assert.deepEqual(list.map(b => b.title), ['2026年卫生系列高级职称评审结果'], 'no batch from the other origin');
});

test('the approver, the clock at today: the period is over but the objection waits; upheld in writing, the row leaves the batch', async () => {
  writeFileSync(`${WORK}/clock`, '0\n');
  const page = pages[approver];
  await go(page, '#/work');
  await page.waitForSelector('#work-list [data-action=resolve]');
  await screen(page, 'work-approver');
  await page.click(`#work-list [data-batch="${batchId}"] a`);
  await page.waitForSelector(`#resolve-1`);
  await idle(page);
  assert.match(await page.textContent('#batch-period'), /公示期已满/);
  assert.match(await page.textContent('#approve'), /公示期满且没有未处理的异议后才能审批/);
  await page.fill('#resolve-outcome-1', '经核查，业绩材料不实，取消其通过资格。');
  await page.check('#resolve-upheld-1');
  await press(page, '#resolve-1-submit');
  await flash(page, /已处理异议/);
  assert.match(await page.textContent('#rows-table tr[data-line="3"]'), /已移出/);
  assert.match(await page.textContent('#objections'), /异议成立/);
  await screen(page, 'objection-upheld');
});

test('approval: the rows hash shown, the decision reference asked, and a TOTP code once the re-authentication window has run out', async () => {
  const page = pages[approver];
  await go(page, `#/batch/${batchId}`);
  const b = await page.evaluate(async id => (await fetch(`/api/batches/${id}`)).json(), batchId);
  assert.equal(b.rows, 3);
  assert.equal((await page.textContent('#approve-hash')).trim(), b.rows_hash, 'the hash the approval binds to');
  await page.fill('#approve-decision', '甘人社〔2026〕12号');
  await reauthLapsed(page);
  await page.click('#approve-form-submit');
  await page.waitForSelector('#reauth[open]');
  await screen(page, 'reauth', { en: true, full: false }); // (a modal dialog: the screen as seen)
  await page.fill('#reauth-code', '000000');
  await page.click('#reauth-ok');
  // a wrong code is refused and asked again (one failure of the five)
  await page.waitForFunction(() => /动态验证码不对/.test(document.getElementById('reauth-error').textContent));
  await page.fill('#reauth-code', await nextCode(approver));
  await page.keyboard.press('Enter');
  await flash(page, /已批准，决定文号 甘人社〔2026〕12号/);
  assert.match(await page.textContent('#steps [aria-current=step]'), /已审批/);
  await screen(page, 'batch-approved');
});

test('the custodian unlocks the signer: the store\'s passphrase, their password and a TOTP code; the window\'s end shown', async () => {
  const page = pages[custodian];
  await go(page, '#/work');
  await page.waitForSelector(`#work-list [data-action=sign][data-batch="${batchId}"]`);
  await screen(page, 'work-custodian');
  await go(page, '#/signer');
  assert.match(await page.textContent('#signer-state'), /已锁定/);
  await screen(page, 'signer-locked', { en: true });
  await page.fill('#unlock-passphrase', PASSPHRASE);
  await page.fill('#unlock-password', people[custodian].password);
  await page.fill('#unlock-minutes', '30');
  await reauthLapsed(page);
  const asked = await withReauth(page, custodian, () => page.click('#unlock-form-submit'), '#flash');
  assert.ok(asked, 'unlocking asked for the TOTP code');
  assert.match(await page.textContent('#flash'), /已解锁，至 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）/);
  assert.match(await page.textContent('#signer-state'), /已解锁.*zhanglei/s);
  await screen(page, 'signer-unlocked', { en: true });
});

test('the custodian has the approved batch signed: three certificates, the upheld objection\'s row not among them', async () => {
  const page = pages[custodian];
  await go(page, `#/batch/${batchId}`);
  assert.match(await page.textContent('#sign-signer'), /已解锁/);
  assert.match(await page.textContent('#rows'), /不查看名单中的个人信息/, 'names stay with the roles that need them');
  await screen(page, 'batch-to-sign');
  await page.fill('#sign-password', people[custodian].password);
  await withReauth(page, custodian, () => page.click('#sign-form-submit'), '#flash');
  assert.match(await page.textContent('#flash'), /已签发 3 项/);
  assert.match(await page.textContent('#steps [aria-current=step]'), /已签发/);
});

test('the custodian publishes: status bundle, register and checkpoint', async () => {
  const page = pages[custodian];
  await page.fill('#batch-publish-password', people[custodian].password);
  await press(page, '#batch-publish-form-submit');
  await flash(page, /已发布：状态包第 1 版/);
  assert.match(await page.textContent('#steps [aria-current=step]'), /已发布/);
  issueBatch = Number((await page.textContent('#batch-facts')).match(/签发批次\s*(\d+)/)[1]);
  await screen(page, 'batch-published', { en: true });
  await go(pages[clerk], '#/batches');
  assert.match(await pages[clerk].textContent('#batches-table'), /已发布/);
  await screen(pages[clerk], 'batches');
});

test('the public page verifies one of the new certificates: 李四\'s province-wide title is valid', async () => {
  publicUrl = execFileSync(process.env.TC_PUBLISHED, [String(issueBatch)], { encoding: 'utf8' }).trim();
  const clerkPage = pages[clerk];
  current = clerkPage;
  const hits = await clerkPage.evaluate(async () => (await (await fetch('/api/certificates?q=' + encodeURIComponent('李四'))).json()).certificates);
  assert.equal(hits.length, 1);
  const payload = readFileSync(`${WORK}/certs/${hits[0].id}.txt`, 'utf8').trim();
  const page = await open('public', { width: 390 });
  await page.goto(`${publicUrl}/v#${payload}`);
  await page.waitForFunction(() => {
    const v = document.getElementById('verdict');
    return v && /\bvalid\b/.test(v.className) && !/pending/.test(v.className);
  });
  assert.match(await page.textContent('#verdict'), /有效/);
  assert.match(await page.textContent('#details'), /李四/);
  const n = String(++shotNo).padStart(2, '0');
  for (const w of [390, 1366]) {
    await page.setViewportSize({ width: w, height: 900 });
    await page.screenshot({ path: `${SHOTS}/${n}-public-valid-${w}-zh.png`, fullPage: true });
  }
});

// ---- the rest of the console -----------------------------------------------------------------------

test('certificate search: by name, with the status', async () => {
  const page = pages[clerk];
  await go(page, '#/certificates');
  await page.fill('#search-q', '王芳');
  await page.click('#search-form-submit');
  await page.waitForSelector('#hits-table');
  assert.match(await page.textContent('#hits-table tbody'), /有效.*王芳/s);
  await screen(page, 'certificates');
});

test('a revocation: proposed by the clerk, approved by the approver with its decision, signed and published by the custodian', async () => {
  const page = pages[clerk];
  const id = Number(await page.getAttribute('#hits-table tbody tr', 'data-id'));
  await go(page, '#/revocations');
  await page.fill('#revoke-title', '撤销王芳职称证书（材料造假）');
  await page.fill('#revoke-ids', String(id));
  await page.selectOption('#revoke-reason', 'fraud');
  await screen(page, 'revocation-form');
  await withReauth(page, clerk, () => page.click('#revoke-form-submit'), '#rows-table');
  assert.match(await page.textContent('#flash'), /已提出撤销批次/);
  const rb = Number((await page.evaluate(() => location.hash)).split('/')[2]);
  const ap = pages[approver];
  await go(ap, '#/work');
  await ap.waitForSelector(`#work-list [data-action=approve][data-batch="${rb}"]`);
  await go(ap, `#/batch/${rb}`);
  assert.match(await ap.textContent('#rows-table'), new RegExp(`${id}.*弄虚作假`, 's'));
  await ap.fill('#approve-decision', '甘人社〔2026〕13号');
  await withReauth(ap, approver, () => ap.click('#approve-form-submit'), '#flash');
  assert.match(await ap.textContent('#flash'), /已批准/);
  await screen(ap, 'revocation-approved');
  const cu = pages[custodian];
  await go(cu, `#/batch/${rb}`);
  await cu.fill('#sign-password', people[custodian].password);
  await withReauth(cu, custodian, () => cu.click('#sign-form-submit'), '#flash');
  assert.match(await cu.textContent('#flash'), /已签发 1 项/);
  await cu.fill('#batch-publish-password', people[custodian].password);
  await press(cu, '#batch-publish-form-submit');
  await flash(cu, /状态包第 2 版/);
  await go(page, '#/revocations');
  assert.match(await page.textContent('#revocations-table'), /已发布.*甘人社〔2026〕13号/s);
  await screen(page, 'revocations');
  await go(page, '#/certificates');
  await page.click('#search-form-submit');
  await page.waitForSelector('#hits-table');
  assert.match(await page.textContent('#hits-table'), /已撤销/);
});

test('the custodian locks the signer', async () => {
  const page = pages[custodian];
  await go(page, '#/signer');
  await press(page, '#lock-button');
  await flash(page, /签名服务已锁定/);
  assert.match(await page.textContent('#signer-state'), /已锁定/);
});

test('the admin\'s working-day calendar: the years held, a year\'s file loaded', async () => {
  const page = pages.admin1;
  await go(page, '#/calendar');
  assert.match(await page.textContent('#calendar-years'), /2025.*2026/s);
  await page.setInputFiles('#calendar-file', process.env.TC_CALENDAR_FILE);
  await press(page, '#calendar-form-submit');
  await flash(page, /已载入 2026 年的工作日历/);
  await screen(page, 'calendar', { en: true });
  await go(page, '#/users');
  await screen(page, 'users');
});

test('the auditor\'s view: filtered by action, account and day; the CSRF attempt is there; CSV export', async () => {
  const page = pages[auditor];
  await go(page, '#/audit');
  await page.fill('#audit-action', 'console_csrf_refused');
  await page.click('#audit-form-submit');
  await page.waitForSelector('#audit-table');
  await idle(page);
  assert.match(await page.textContent('#audit-table'), /console_csrf_refused.*wangmin/s);
  const today = await page.evaluate(async () => (await (await fetch('/api/me')).json()).today);
  await page.fill('#audit-action', 'wf_approve');
  await page.fill('#audit-account', approver);
  await page.fill('#audit-day', today);
  await page.click('#audit-form-submit');
  await page.waitForFunction(() => /wf_approve/.test(document.getElementById('audit-table')?.textContent || ''));
  await idle(page);
  assert.equal(await page.locator('#audit-table tbody tr').count(), 2, 'the batch and the revocation');
  const href = await page.getAttribute('#audit-csv', 'href');
  assert.match(href, /^\/api\/audit\.csv\?.*action=wf_approve/);
  const csv = await page.evaluate(async h => (await fetch(h)).text(), href);
  assert.match(csv, /^seq,at,action,certificate,detail\n/);
  assert.match(csv, /wf_approve/);
  await screen(page, 'audit', { en: true });
});

test('roles change only when a second admin confirms; a disabled account is signed out at once (401 back to sign-in)', async () => {
  const a1 = pages.admin1, a2 = pages.admin2;
  await go(a1, '#/users');
  const row = a1.locator(`#users-table tr[data-user="${custodian}"]`);
  await row.locator('summary').click();
  await a1.check(`#roles-${custodian}-role-approver`);
  await withReauth(a1, 'admin1', () => a1.click(`#roles-${custodian}-submit`), '#flash');
  assert.match(await a1.textContent('#flash'), /等待另一位系统管理员确认/);
  assert.match(await a1.textContent('#pending-table'), new RegExp(`${custodian}.*审核员、密钥保管员.*须另一位系统管理员确认`, 's'));
  await go(a2, '#/users');
  await withReauth(a2, 'admin2', () => a2.click('#pending-table button'), '#flash');
  assert.match(await a2.textContent('#flash'), /已确认角色变更/);
  assert.match(await a2.textContent(`#users-table tr[data-user="${custodian}"]`), /审核员、密钥保管员/);
  // disabling asks first (a native confirmation), then ends the account's sessions
  a1.once('dialog', d => d.accept());
  await go(a1, '#/users');
  await withReauth(a1, 'admin1', () => a1.click(`#disable-${auditor}`), '#flash');
  assert.match(await a1.textContent('#flash'), new RegExp(`已停用账号 ${auditor}`));
  assert.match(await a1.textContent(`#users-table tr[data-user="${auditor}"]`), /已停用/);
  const au = pages[auditor];
  await au.click('#nav a[href="#/work"]');
  await au.waitForSelector('#signin-form');
  assert.match(await au.textContent('#signin-message'), /请先登录/);
});

test('admin1 resets the approver (a lost phone): asked first, signed out at once, admin1 shown the first half of a new code and admin2 the second', async () => {
  const a1 = pages.admin1, a2 = pages.admin2;
  await go(a1, '#/users');
  let asked = '';
  a1.once('dialog', d => { asked = d.message(); d.accept(); });
  await withReauth(a1, 'admin1', () => a1.click(`#reset-${approver}`), `#enrolment:has-text("${approver}")`);
  assert.match(asked, new RegExp(`确定重置账号 ${approver}`));
  assert.match(await a1.textContent('#flash'), new RegExp(`已重置账号 ${approver}`));
  assert.match(await a1.textContent('#enrolment'), new RegExp(`账号 ${approver} 的登记码前半部分`));
  const first = (await a1.textContent('#enrolment-code')).trim();
  assert.match(first, /^[A-Z2-9]{10}$/);
  assert.match(await a1.textContent(`#users-table tr[data-user="${approver}"]`), /等待登记码后半部分/);
  await screen(a1, 'user-reset', { en: true });
  const ap = pages[approver];
  await ap.click('#nav a[href="#/work"]');
  await ap.waitForSelector('#signin-form');
  await go(a2, '#/users');
  await withReauth(a2, 'admin2', () => a2.click(`#half-${approver}`), `#enrolment:has-text("${approver}")`);
  const second = (await a2.textContent('#enrolment-code')).trim();
  assert.match(second, /^[A-Z2-9]{10}$/);
  assert.notEqual(second, first);
});

test('five wrong codes when an action asks for one again lock the account: the sixth is not tried, and the screen says so', async () => {
  const a2 = pages.admin2;
  await go(a2, '#/users');
  await reauthLapsed(a2);
  a2.on('dialog', d => d.accept());
  await press(a2, `#reset-${clerk}`);
  const said = [];
  for (let i = 0; i < 6; i++) {
    await a2.waitForSelector('#reauth[open]');
    await a2.fill('#reauth-code', String(100000 + i));
    const [res] = await Promise.all([
      a2.waitForResponse(r => r.url().endsWith(`/api/users/${clerk}/reset`) && r.request().method() === 'POST'),
      a2.click('#reauth-ok'),
    ]);
    said.push(`${res.status()} ${(await res.json()).error}`);
  }
  assert.deepEqual(said, [...Array(5).fill('403 reauth_failed'), '403 locked']);
  await flash(a2, /账号已锁定 15 分钟/);
  await screen(a2, 'reauth-locked', { en: true });
});

test('an account record changed in the store\'s file, outside the console: the users list shows it altered, and it no longer signs in', async () => {
  // the disabled auditor's password hash replaced with sqlite: its seal (schema 11) no longer matches
  execFileSync('python3', ['-c', `import sqlite3, sys
d = sqlite3.connect(sys.argv[1], timeout=20)
d.execute("UPDATE accounts SET pw_hash = 'replaced', disabled = 0 WHERE name = ?", (sys.argv[2],))
d.commit()`, `${process.env.TC_WORK}/gs.db`, auditor]);
  const a1 = pages.admin1;
  await go(a1, '#/users');
  const row = a1.locator(`#users-table tr[data-user="${auditor}"]`);
  assert.match(await row.textContent(), /记录被改动，与封印不符：须从备份恢复/);
  assert.equal(await row.locator('button').count(), 0, 'no action is offered on an altered record');
  await screen(a1, 'user-altered', { en: true });
  const said = await a1.evaluate(async name => {
    const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ account: name, password: 'replaced' }) });
    return `${r.status} ${(await r.json()).error}`;
  }, auditor);
  assert.equal(said, '500 altered');
});

test('signing out ends the session', async () => {
  const page = pages[clerk];
  await page.click('#signout');
  await page.waitForSelector('#signin-form');
  assert.equal(await page.evaluate(async () => (await fetch('/api/me')).status), 401);
});
