// issue20.test.mjs - the employer's findings of issue 20, each on a phone (390 and 320 px) in
// Chinese and English (states.test.mjs shows every state at every size, with axe-core). An HR
// officer opens a QR link, types a number, a cut-off link or a unit; each finding is a test that
// failed on the page before this one. browser.sh revokes the third certificate and signs one
// outside the store.
import assert from 'node:assert/strict';
import { U, ctx, test, setup, newPage, settled, shot, link, payload, pickUnit, noSideways, chineseLeft,
         privateEmployer, provincial } from './lib.mjs';
import { W, ids, paste, readOutside } from './states.mjs';

setup();
const { superseded, basic, revoked, province, successor } = ids;
const PHONES = [[390, 'zh'], [390, 'en'], [320, 'zh'], [320, 'en']];
// for every phone and language: a fresh page (no unit kept), the step, its screenshots
function onPhones(name, fn) {
  test(name, async () => {
    for (const [width, lang] of PHONES) {
      await newPage({ width, lang });
      try {
        await fn(W[lang], lang, width);
        await noSideways();
      } catch (err) {
        err.message = `${width} px, ${lang}: ${err.message}`;
        throw err;
      }
    }
  });
}

async function printShown() { return ctx.page.isVisible('#print'); }
async function background() {
  return ctx.page.evaluate(() => getComputedStyle(document.getElementById('verdict')).backgroundColor);
}
const WHITE = 'rgb(255, 255, 255)';

// 1. Anything that is not a certificate gets a neutral "not checked", never a red 无效 to print.
onPhones('1. a bare certificate number, "hello" and a cut-off link are not verdicts: neutral, no print, what to do', async (w, lang) => {
  let v = await paste(basic);
  assert.equal(v.text, w.number);
  assert.equal(await printShown(), false, 'no print button for a number');
  assert.equal(await background(), WHITE, 'not a red block');
  assert.match(await ctx.page.innerText('#explain'), w.scanHow, 'says how to scan or upload the QR code');
  await shot('1a-number');
  v = await paste('hello');
  assert.equal(v.text, w.unrecognised);
  assert.equal(await printShown(), false);
  assert.equal(await background(), WHITE);
  await shot('1b-hello');
  const full = U + link(basic);
  v = await paste(full.slice(0, full.indexOf('TC1:') + 60));
  assert.equal(v.text, w.incomplete);
  assert.equal(await printShown(), false);
  assert.equal(await background(), WHITE);
  await shot('1c-cut-off');
  // the same for a cut-off QR link opened directly
  await ctx.page.goto(U + link(basic).slice(0, 40));
  assert.equal((await settled()).text, w.incomplete);
  // and a link that lost its certificate part altogether
  v = await paste(U + '/v');
  assert.equal(v.text, w.incomplete);
});

// 2. Every verdict names its unit, with 更换单位 beside it, on screen after a QR link is opened.
onPhones('2. the verdict names the unit it is for, with 更换单位 beside it, all on screen after opening the link', async (w, lang, width) => {
  const page = ctx.page;
  await page.goto(U + link(basic));
  await settled();
  assert.ok(await page.evaluate(() => document.getElementById('result').contains(document.getElementById('unit'))),
    'the unit picker is part of the result card');
  await pickUnit('甘肃省人民', w.provincial);
  const v = await settled('choose_unit');
  assert.equal(v.cls, 'not_valid_here');
  assert.ok(v.text.includes(w.provincial) && v.text.includes(w.notValid), `the verdict "${v.text}" names the unit`);
  assert.ok(await page.isVisible('#change-unit'));
  assert.equal((await page.textContent('#change-unit')).trim(), w.change);
  // opened again from the QR link, with the unit kept: verdict, unit and its button in view
  await page.goto(U + '/');
  await page.goto(U + link(basic));
  await settled();
  const inView = await page.evaluate(() => ['verdict', 'unit-shown', 'change-unit'].map(id => {
    const r = document.getElementById(id).getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  }));
  assert.deepEqual(inView, [true, true, true], 'verdict, unit and 更换单位 are on screen');
  // the unit's whole name shows, at 320 px too (no "（示例） 1262…" in a scrolled field)
  assert.ok((await page.innerText('#unit-shown')).includes(w.provincial));
  assert.ok(await page.evaluate(() => { const e = document.getElementById('unit-shown'); return e.scrollWidth <= e.clientWidth + 1; }),
    `${width} px: the unit's name is not cut off`);
  await shot('2-not-valid-here');
});

// 3. A unit outside the directory is its own answer, with what to do; not 在本单位不适用.
onPhones('3. an unknown unit: 无法确认该单位是否为基层单位, with what to do, never a definite 不适用', async (w) => {
  const page = ctx.page;
  await page.goto(U + link(basic));
  await settled();
  await page.fill('#unit', privateEmployer);
  const v = await settled('choose_unit');
  assert.equal(v.cls, 'unit_unknown');
  assert.ok(v.text.includes(w.unknown), v.text);
  assert.ok(!v.text.includes(w.notValid + ' ') && !/不适用$/.test(v.text), 'no definite 不适用');
  const next = await page.innerText('#next');
  assert.ok(next.includes(w.bureau), 'ask the county HR bureau');
  assert.ok(/统一社会信用代码|unified social credit code/.test(next), 'check the code');
  assert.equal(await printShown(), false, 'an open answer is not printed as a verdict');
  await shot('3-unknown-unit');
});

// 4. Editing the unit keeps the verdict (dimmed); province-wide titles never wait; the unit list.
onPhones('4. editing the unit keeps the verdict dimmed; province-wide never waits; an in-page list by name parts (and pinyin initials where the server matches them), with 未找到 and the code', async (w) => {
  const page = ctx.page;
  await page.goto(U + link(basic));
  await settled();
  await pickUnit('城关区', w.county);
  const before = await settled('choose_unit');
  assert.equal(before.cls, 'valid');
  await page.click('#change-unit');
  await page.fill('#unit', '甘肃');
  await page.waitForTimeout(400);
  const during = await page.evaluate(() => ({
    text: document.getElementById('verdict').textContent.trim(),
    filter: getComputedStyle(document.getElementById('verdict')).filter,
  }));
  assert.equal(during.text, before.text, 'the verdict stays while the unit is typed');
  assert.match(during.filter, /grayscale/, 'and is dimmed');
  await shot('4a-editing');
  // the list is the page's own (no datalist), matched by name parts: 省医院 finds 甘肃省人民医院
  assert.equal(await page.$('datalist'), null);
  await page.fill('#unit', '省医院');
  await page.locator('#unit-options [role=option]', { hasText: w.provincial }).waitFor();
  await shot('4b-name-parts');
  // nothing found: says so, and how to give a unit outside the directory
  await page.fill('#unit', '不存在的单位名称');
  await page.waitForFunction(nf => document.getElementById('unit-status').textContent.includes(nf), w.notFound);
  const status = await page.textContent('#unit-status');
  assert.ok(status.includes(w.notFound) && status.includes(w.code18), status);
  await shot('4c-not-found');
  // pinyin initials: today's server does not match them, and the page says so instead of 未找到
  await page.fill('#unit', 'rmyy');
  await page.waitForFunction(t => document.getElementById('unit-status').textContent.includes(t), w.noPinyin);
  assert.ok(!(await page.textContent('#unit-label')).includes(w.pinyin), 'the label promises no pinyin search');
  // a server that matches them answers as docs/notes-server-for-page.md says ("match" per unit):
  // the page lists what it found and its label offers pinyin initials
  await page.route('**/api/v1/units?q=*', r => r.fulfill({ contentType: 'application/json', body: JSON.stringify({
    units: [{ uscc: provincial, name: w.provincial, division: '620102', tier: '省级', basic_level: false,
              valid_from: '2010-01-01', match: 'initials_in_order' }], total: 1, more: false }) }));
  await page.fill('#unit', 'gsrmyy');
  await page.locator('#unit-options [role=option]', { hasText: w.provincial }).waitFor();
  assert.ok((await page.textContent('#unit-label')).includes(w.pinyin), 'the label offers pinyin initials');
  await page.unroute('**/api/v1/units?q=*');
  // a whole code outside the directory is offered as a choice of its own
  await page.fill('#unit', privateEmployer.slice(0, 17));
  await page.waitForTimeout(300);
  await page.press('#unit', 'Escape');
  assert.ok(await page.isHidden('#unit'), 'Escape closes the picker');
  assert.equal((await settled()).text, before.text, 'Escape leaves the verdict as it was');
  // keyboard: arrow down and Enter choose
  await page.click('#change-unit');
  await page.fill('#unit', '甘肃省人民');
  await page.locator('#unit-options [role=option]').first().waitFor();
  await page.press('#unit', 'ArrowDown');
  assert.match(await page.getAttribute('#unit', 'aria-activedescendant'), /^unit-opt-/);
  await page.press('#unit', 'Enter');
  assert.equal((await settled()).cls, 'not_valid_here');
  // a province-wide title: valid with no unit, and the verdict is not dimmed while a unit is typed
  await newPage({ width: ctx.width, lang: ctx.lang });
  await ctx.page.goto(U + link(province));
  const p = await settled();
  assert.equal(p.cls, 'valid', 'no waiting for a unit');
  await ctx.page.click('#change-unit');
  assert.equal((await ctx.page.textContent('#change-unit')).trim(), w.choose);
  await ctx.page.fill('#unit', '甘肃');
  await ctx.page.waitForTimeout(300);
  const pv = await ctx.page.evaluate(() => getComputedStyle(document.getElementById('verdict')).filter);
  assert.equal(pv, 'none', 'a province-wide verdict is not dimmed');
  assert.equal((await settled()).text, p.text);
  await shot('4d-province-editing');
});

// 5. The open answer "choose your unit" is no button; tapping it leads to the unit field.
onPhones('5. 请选择用人单位 is not a button-like block, and tapping it goes to the unit field', async () => {
  const page = ctx.page;
  await page.goto(U + link(basic));
  const v = await settled();
  assert.equal(v.cls, 'choose_unit');
  assert.equal(await background(), WHITE, 'no filled block');
  assert.ok(await page.isVisible('#unit'), 'the unit field is right there');
  await page.click('#verdict');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'unit', 'tapping it focuses the unit field');
  await shot('5-choose-unit');
});

// 6. Revoked and superseded certificates show only what is true; the successor's verdict.
onPhones('6. revoked and superseded: no validity or scope rows; the successor\'s own verdict at the unit', async (w, l) => {
  const page = ctx.page;
  await page.goto(U + link(revoked));
  assert.equal((await settled()).cls, 'revoked');
  let details = await page.innerText('#details');
  assert.ok(!details.includes(w.lifelong), 'a revoked certificate does not "not expire"');
  assert.ok(!details.includes(w.scope), 'nor has a scope as if in force');
  assert.ok(!(await page.innerText('#result')).includes(l === 'zh' ? '适用。' : 'Valid at'), 'nor is "valid at" anything');
  await shot('6a-revoked');
  await page.goto(U + '/');
  await pickUnit('甘肃省人民', w.provincial);
  await page.goto(U + link(superseded));
  assert.equal((await settled()).cls, 'superseded');
  details = await page.innerText('#details');
  assert.ok(!details.includes(w.lifelong) && !details.includes(w.scope), 'no validity or scope rows');
  const succ = await page.innerText('#successor');
  assert.ok(succ.includes(successor), `the successor ${successor} is named in the verdict area: ${succ}`);
  assert.ok(succ.includes(w.provincial), 'with its verdict at the unit asked');
  assert.equal(await page.evaluate(() => document.getElementById('successor').className), 'successor valid');
  assert.ok(!(await page.innerText('#result')).includes('请查验新证书'), 'no "check the new certificate" when it is known');
  await shot('6b-superseded');
});

// 7. Every message in the page's language; a retry for network errors, a wait time for 429.
onPhones('7. network errors and 429 in the page\'s language, with a retry and a wait time', async (w, l) => {
  const page = ctx.page;
  await page.route('**/api/v1/verify', r => r.abort('failed'));
  await page.goto(U + link(basic));
  let v = await settled();
  const why = await page.innerText('#why');
  assert.ok(why.includes(w.network), why);
  assert.ok(!/Failed to fetch|TypeError/.test(await page.innerText('#result')), 'no browser English');
  assert.ok(await page.isVisible('#retry'));
  await shot('7a-network');
  await page.unroute('**/api/v1/verify');
  await page.click('#retry');
  v = await settled();
  assert.equal(v.cls, 'choose_unit', 'the retry checks again');
  // 429 as the server sends it
  await page.route('**/api/v1/verify', r => r.fulfill({ status: 429, contentType: 'application/json',
    body: JSON.stringify({ error: 'too_many_requests', message: 'too many requests in progress from this address' }) }));
  await page.fill('#paste', payload(basic));
  await page.click('#check');
  await settled();
  const text = await page.innerText('#explain');
  assert.match(text, w.wait);
  assert.ok(!/too_many_requests|too many requests in progress/.test(await page.innerText('#result')), 'no raw code or server English');
  assert.equal(await page.isDisabled('#retry'), true, 'retry waits for the time said');
  if (l === 'en') {
    const cjk = await chineseLeft([]);
    assert.equal(cjk, null, `Chinese on the English page: ${cjk}`);
  }
  await shot('7b-429');
  await page.unroute('**/api/v1/verify');
});

// 8. Trust cues: operator, the ID card, technical rows apart, entries from 1, names marked Chinese.
onPhones('8. operator in header and footer, 请核对持证人身份证件, technical rows apart, entries from 1, lang="zh" names', async (w, l) => {
  const page = ctx.page;
  await page.goto(U + link(basic));
  await settled();
  assert.equal((await page.textContent('#operator-line')).trim(), w.operator);
  assert.ok((await page.textContent('footer')).includes(w.operator));
  assert.ok((await page.innerText('#details')).includes(w.idCheck));
  const details = await page.innerText('#details');
  assert.ok(!/签发密钥|Signing key|登记册第|entry \d/.test(details), 'technical rows are not among the facts');
  const res = await (await fetch(U + '/api/v1/verify', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ payload: payload(basic) }) })).json();
  const tech = await page.textContent('#tech');
  const n = res.register.entry + 1;
  assert.ok(tech.includes(l === 'zh' ? `第 ${n} 条` : `entry ${n} of`), `the register entry counted from 1 (${tech})`);
  if (l === 'en') {
    const marked = await page.evaluate(() => [...document.querySelectorAll('#details [lang="zh-CN"]')].map(e => e.textContent));
    assert.ok(marked.includes(res.certificate.name), `the holder's name is marked lang="zh-CN" (${marked})`);
    assert.ok(marked.includes(res.issuer.name), 'and the issuer');
    const cjk = await chineseLeft([]);
    assert.equal(cjk, null, `Chinese not marked as such on the English page: ${cjk}`);
  }
  await shot('8-trust');
});

test('a certificate signed outside the store is 无效 (not registered), a verdict that can be printed', async () => {
  await newPage({ width: 390, lang: 'zh' });
  await ctx.page.goto(U + '/v#' + readOutside());
  const v = await settled();
  assert.equal(v.cls, 'invalid');
  assert.ok(await ctx.page.isVisible('#print'));
  assert.match(await ctx.page.innerText('#why'), /未在省级公共登记册中登记/);
});
