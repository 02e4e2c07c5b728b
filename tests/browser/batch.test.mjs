// batch.test.mjs - checking a whole intake: 50 QR images (one unreadable, one revoked, one not
// registered) for one unit, the table, its print view and CSV, a batch of pasted links, the limit
// of 50, and that nothing is kept. browser.sh revokes the third certificate and signs one outside
// the store.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { U, ctx, test, setup, newPage, shot, pickUnit, payload, axeViolations, noSideways, linxia } from './lib.mjs';
import { ids } from './states.mjs';

setup();
const CERTS = process.env.TC_CERTS;
const LINXIA = '临夏州人民医院（示例）';

// 50 images: 47 valid at 临夏州人民医院 (the basic-level title of a 临夏 doctor and a
// province-wide one), one revoked, one signed outside the store, one PNG without a QR code
const dir = mkdtempSync(join(tmpdir(), 'tc-batch-'));
const images = [];
for (let i = 0; i < 47; i++) {
  const f = join(dir, `intake-${String(i + 1).padStart(2, '0')}.png`);
  copyFileSync(`${CERTS}/${i % 2 ? ids.province : ids.basic}.png`, f);
  images.push(f);
}
const REVOKED_AT = 10, OUTSIDE_AT = 25, BLANK_AT = 40; // where they stand in the upload (from 1)
const blank = join(dir, 'blank.png');
writeFileSync(blank, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAADklEQVR4nGP4DwUMlDEA98A/wbI0QbsAAAAASUVORK5CYII=', 'base64'));
const revokedPng = join(dir, 'revoked.png');
copyFileSync(`${CERTS}/${ids.revoked}.png`, revokedPng);
const outsidePng = join(dir, 'outside.png');
copyFileSync(`${process.env.TC_OUTSIDE}/260001234.png`, outsidePng);
images.splice(REVOKED_AT - 1, 0, revokedPng);
images.splice(OUTSIDE_AT - 1, 0, outsidePng);
images.splice(BLANK_AT - 1, 0, blank);

const WORDS = {
  zh: { valid: '有效', revoked: '已撤销', invalid: '无效', unreadable: '无法识别，未核验', noQr: '图片中没有找到二维码',
        notRegistered: '未在省级公共登记册中登记', summary: /共 50 份：有效 47，.*已撤销 1，无效 1，未核验 1/, head: `在 ${LINXIA} 的核验结果` },
  en: { valid: 'Valid', revoked: 'Revoked', invalid: 'Invalid', unreadable: 'Not recognised; not checked', noQr: 'No QR code found',
        notRegistered: 'not in the province\'s public register', summary: /50 in all: 47 valid,.* 1 revoked, 1 invalid, 1 not checked/, head: `Result at ${LINXIA}` },
};

async function runBatch(files, links = '') {
  const page = ctx.page;
  if (files) await page.setInputFiles('#batch-files', files);
  if (links) await page.fill('#batch-links', links);
  await page.click('#batch-run');
  await page.waitForFunction(() => !document.getElementById('batch-out').hidden);
  return page.$$eval('#batch-rows tr', trs => trs.map(tr => [...tr.children].map(td => td.innerText.replace(/\s+/g, ' ').trim())));
}

for (const l of ['zh', 'en']) {
  test(`${l}: 50 QR images for one unit: a row each, the unreadable, revoked and unregistered ones said so; print, CSV, axe`, async () => {
    const w = WORDS[l];
    const page = await newPage({ width: 1366, height: 900, lang: l });
    await page.goto(U + '/#batch');
    await page.waitForFunction(() => !document.getElementById('batch').hidden);
    // a unit first: all rows are checked for it
    await page.setInputFiles('#batch-files', images);
    await page.click('#batch-run');
    assert.match(await page.textContent('#batch-msg'), l === 'zh' ? /请先选择用人单位/ : /Choose the employer first/);
    await pickUnit('临夏', LINXIA);
    const requests = [];
    page.on('request', r => { if (r.url().includes('/api/v1/verify-image')) requests.push(r.url()); });
    const started = Date.now();
    const rows = await runBatch(null);
    const took = Date.now() - started;
    assert.equal(rows.length, 50);
    assert.equal(requests.length, 50, 'one request per image');
    assert.ok(requests.every(u => u.includes(`unit=${linxia}`)), 'each for the unit chosen');
    rows.forEach((r, i) => assert.equal(r[0].split(' ')[0], String(i + 1), `rows are numbered from 1 (${r[0]})`));
    const verdicts = rows.map(r => r[3]);
    assert.equal(verdicts.filter(v => v === w.valid).length, 47, `47 valid: ${verdicts}`);
    assert.equal(verdicts[REVOKED_AT - 1], w.revoked);
    assert.equal(verdicts[OUTSIDE_AT - 1], w.invalid);
    assert.match(rows[OUTSIDE_AT - 1][4], new RegExp(w.notRegistered));
    assert.equal(verdicts[BLANK_AT - 1], w.unreadable);
    assert.match(rows[BLANK_AT - 1][4], new RegExp(w.noQr));
    assert.ok(rows[BLANK_AT - 1][0].includes('blank.png'), 'the row names the image');
    assert.ok(rows[0][1].includes('马明') && rows[1][1].includes('李四'), 'holders');
    assert.match(await page.textContent('#batch-summary'), w.summary);
    assert.equal((await page.textContent('#batch-verdict-head')).trim(), w.head);
    // Chinese names are marked as such in the English table
    if (l === 'en') {
      const marked = await page.$$eval('#batch-rows td:nth-child(2) [lang="zh-CN"]', e => e.length);
      assert.equal(marked, 48, 'every holder but the unregistered and the unreadable one');
    }
    console.log(`# ${l}: 50 images checked in ${took} ms`);
    await shot('batch-table');
    const found = await axeViolations();
    assert.deepEqual(found, [], found.join('; '));
    for (const width of [390, 320]) {
      await page.setViewportSize({ width, height: 800 });
      ctx.width = width;
      await noSideways();
      await shot('batch-table');
    }
    ctx.width = 1366;
    await page.setViewportSize({ width: 1366, height: 900 });
    // the print view: the table and who checked what, when; no controls
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => ['batch-files', 'batch-run', 'batch-table', 'batch-meta'].map(id => {
      const e = document.getElementById(id);
      return (id === 'batch-files' ? e.nextElementSibling : e).getClientRects().length > 0;
    }));
    await shot('batch-print');
    await page.emulateMedia({ media: 'screen' });
    assert.deepEqual(printed, [false, false, true, true],
      'on paper: no file or run button; the table, and unit, time and operator');
    // CSV: a header and 50 rows, UTF-8 with a byte-order mark, no formula cells
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-csv')]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.ok(csv.startsWith('\ufeff'), 'a byte-order mark for spreadsheet programs');
    const lines = csv.slice(1).trim().split('\r\n');
    assert.equal(lines.length, 51);
    assert.match(lines[0], l === 'zh' ? /^序号,来源,持证人/ : /^No\.,Source,Holder/);
    assert.ok(lines[BLANK_AT].includes(w.unreadable) && lines[REVOKED_AT].includes(w.revoked));
    assert.ok(lines.slice(1).every(x => x.includes(LINXIA)), 'every row names the unit');
    assert.match(download.suggestedFilename(), /\.csv$/);
    // nothing kept: no results in the page's storage
    const kept = await page.evaluate(() => Object.keys(localStorage).sort());
    assert.deepEqual(kept.filter(k => !['tc-lang', 'tc-unit'].includes(k)), [], `kept: ${kept}`);
  });
}

test('pasted links: certificates, a bare number and other text, each answered; more than 50 refused', async () => {
  const page = await newPage({ width: 390, lang: 'zh' });
  await page.goto(U + '/#batch');
  await pickUnit('临夏', LINXIA);
  const link = U + '/v#' + payload(ids.basic);
  const rows = await runBatch(null, [link, ids.basic, 'hello', payload(ids.revoked), link.slice(0, 80)].join('\n'));
  assert.deepEqual(rows.map(r => r[3]), ['有效', '仅凭证书编号无法核验', '无法识别，未核验', '已撤销', '链接不完整，未核验']);
  assert.ok(rows[1][0].includes('第 2 行'), 'a row names its line');
  await shot('batch-links');
  await page.fill('#batch-links', Array.from({ length: 51 }, () => link).join('\n'));
  await page.click('#batch-run');
  assert.match(await page.textContent('#batch-msg'), /一次最多核验 50 份，现有 51 份/);
  const found = await axeViolations();
  assert.deepEqual(found, [], found.join('; '));
});
