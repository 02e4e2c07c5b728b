// issue20.test.mjs - the employer's findings of issue 20 that are not about the unit (1, 6, 7, 8),
// each on a phone (390 and 320 px) in Chinese and English; issue20-units.test.mjs has the unit's
// (2-5) and states-*.test.mjs every state at every size. An HR officer opens a QR link, types a
// number or a cut-off link; each finding is a test that failed on the page before this one.
// browser.sh revokes the third certificate and signs one outside the store.
import assert from 'node:assert/strict';
import { U, ctx, test, setup, newPage, settled, shot, link, payload, pickUnit, chineseLeft } from './lib.mjs';
import { W, ids, paste, readOutside, onPhones, printShown, background, WHITE } from './states.mjs';

setup();
const { superseded, basic, revoked, successor } = ids;

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
  // switching language says it again in the other
  await page.click('#lang');
  assert.ok((await page.innerText('#why')).includes(W[l === 'zh' ? 'en' : 'zh'].network), 'the message follows the language');
  await page.click('#lang');
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
