// server.test.mjs - what the page shows from the server's side of issue 20 (390 px, Chinese and
// English): units found by pinyin initials, the operator and its contact as soon as the page
// opens (GET /api/v1/service, before any check), a superseded certificate's successor verdict as
// the server gives it (superseded.successor_verdict), and the wait a 429 asks for in its
// Retry-After header.
import assert from 'node:assert/strict';
import { U, ctx, test, setup, newPage, settled, shot, link, pickUnit } from './lib.mjs';
import { W, ids } from './states.mjs';

setup();
const { basic, superseded, successor } = ids;

function onBoth(name, fn) {
  test(name, async () => {
    for (const lang of ['zh', 'en']) {
      await newPage({ width: 390, lang });
      try {
        await fn(W[lang], lang);
      } catch (err) {
        err.message = `390 px, ${lang}: ${err.message}`;
        throw err;
      }
    }
  });
}

onBoth('pinyin initials: "srmyy" finds 甘肃省人民医院（示例）, and the label offers pinyin initials', async (w) => {
  const page = ctx.page;
  await page.goto(U + link(basic));
  await settled();
  assert.ok((await page.textContent('#unit-label')).includes(w.pinyin), 'the label offers pinyin initials');
  await page.fill('#unit', 'srmyy');
  const opt = page.locator('#unit-options [role=option]', { hasText: w.provincial });
  await opt.first().waitFor();
  await shot('pinyin-srmyy');
  await opt.first().click();
  assert.equal((await settled('choose_unit')).cls, 'not_valid_here', 'the unit found is the one checked');
});

onBoth('the operator and its contact are shown as the page opens, before any check', async (w) => {
  const page = ctx.page;
  const asked = [];
  page.on('request', r => asked.push(new URL(r.url()).pathname));
  await page.goto(U + '/');
  await page.waitForFunction(c => document.getElementById('footer-contact').textContent.includes(c), w.contact);
  assert.equal((await page.textContent('#operator-line')).trim(), w.operator, 'the operator in the header');
  assert.ok((await page.textContent('#footer-operator')).includes(w.operator), 'and in the footer');
  assert.ok(asked.includes('/api/v1/service'), 'from GET /api/v1/service');
  assert.ok(!asked.some(p => p.startsWith('/api/v1/verify')), 'with no check made');
  await shot('service-on-load');
});

onBoth('a superseded certificate: the successor\'s verdict is the server\'s (superseded.successor_verdict)', async (w, l) => {
  const page = ctx.page;
  await page.goto(U + '/');
  await pickUnit('甘肃省人民', w.provincial);
  await page.goto(U + link(superseded));
  assert.equal((await settled()).cls, 'superseded');
  let succ = await page.innerText('#successor');
  assert.ok(succ.includes(successor) && succ.includes(w.provincial), succ);
  assert.equal(await page.evaluate(() => document.getElementById('successor').className), 'successor valid');
  // the server's verdict decides, not the successor's status: a successor the server calls
  // revoked is shown revoked although its status still reads in force
  await page.route('**/api/v1/verify', async route => {
    const response = await route.fetch();
    const json = await response.json();
    json.superseded.successor_verdict = { verdict: 'revoked', track: 'province', since: json.superseded.since, reason: 'fraud' };
    assert.equal(json.superseded.successor_status, 'in_force');
    await route.fulfill({ response, json });
  });
  await page.goto(U + '/');
  await page.goto(U + link(superseded));
  await settled();
  assert.equal(await page.evaluate(() => document.getElementById('successor').className), 'successor revoked');
  succ = await page.innerText('#successor');
  assert.ok(succ.includes(l === 'zh' ? '新证书已被撤销' : 'revoked'), succ);
  await page.unroute('**/api/v1/verify');
  await shot('successor-verdict');
});

onBoth('429: the page waits as long as Retry-After says', async (w, l) => {
  const page = ctx.page;
  await page.route('**/api/v1/verify', r => r.fulfill({ status: 429, contentType: 'application/json',
    headers: { 'Retry-After': '9' },
    body: JSON.stringify({ error: 'too_many_requests', message: 'too many requests in progress from this address' }) }));
  await page.goto(U + link(basic));
  await settled();
  const why = await page.innerText('#explain');
  assert.ok(why.includes(l === 'zh' ? '请 9 秒后重试' : 'try again in 9 seconds'), why);
  assert.equal(await page.isDisabled('#retry'), true, 'the retry waits');
  assert.match(await page.textContent('#wait'), /[89]/, 'counting down from 9');
  await shot('retry-after');
  await page.unroute('**/api/v1/verify');
});
