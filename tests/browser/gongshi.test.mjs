// gongshi.test.mjs - the 公示 page titlecert-issuer writes (gongshi-<batch>.html, issue 20 finding
// 9): a static, self-contained page read on a phone (390 px: a card per person) and on a desk
// (1366 px: a table per group), naming who publishes it and how to reach them, the day of
// publication, the period in working days, the committee and its decision references, with the
// landmarks axe-core asks for and no violation. browser.sh publishes the fixture's batch and
// passes the file in TC_GONGSHI.
import assert from 'node:assert/strict';
import { U, ctx, test, setup, newPage, shot, axeViolations, noSideways } from './lib.mjs';

const FILE = 'file://' + process.env.TC_GONGSHI;
const hosts = [U, 'file://'];
setup(hosts);

for (const width of [390, 1366]) {
  test(`the 公示 at ${width} px: ${width < 768 ? 'cards' : 'a table'}, publisher, contact, period, committee, decisions; axe-core finds no violation`, async () => {
    await newPage({ width, height: 900, lang: 'zh' }, hosts);
    const page = ctx.page;
    await page.goto(FILE);
    const shown = await page.evaluate(() => ({
      cards: getComputedStyle(document.querySelector('.cards')).display !== 'none',
      table: getComputedStyle(document.querySelector('.table-wrap')).display !== 'none',
    }));
    if (width < 768) assert.deepEqual(shown, { cards: true, table: false }, 'a phone shows cards, not the table');
    else assert.deepEqual(shown, { cards: false, table: true }, 'a desk shows the table, not the cards');
    const meta = await page.innerText('.meta');
    assert.match(meta, /发布单位\s+甘肃省人力资源和社会保障厅/, meta);
    assert.match(meta, /发布日期\s+\d{4}-\d{2}-\d{2}/);
    assert.match(meta, /公示期\s+\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}（\d+ 个工作日）/);
    assert.match(meta, /评审委员会\s+备案号 \d+/);
    assert.match(meta, /评审决定文号\s+甘卫高评〔\d{4}〕\d+号/, 'the decisions named (the rows\' approval)');
    assert.match(meta, /联系方式\s+（示例）咨询电话 0931-0000000/);
    const decisions = (await page.innerText('.meta dd:nth-of-type(5)')).split('；');
    assert.equal(new Set(decisions).size, decisions.length, `each decision once: ${decisions}`);
    assert.ok((await page.innerText('footer')).includes('（示例）咨询电话 0931-0000000'), 'the contact in the footer');
    assert.ok((await page.innerText('main')).includes('联系方式：（示例）咨询电话'), 'and where objections are explained');
    // every person of the batch, in the form shown
    const persons = await page.locator(width < 768 ? '.card:visible' : 'tbody tr:visible').count();
    assert.ok(persons >= 4, `${persons} persons shown`);
    for (const landmark of ['header', 'main', 'footer'])
      assert.equal(await page.locator(landmark).count(), 1, `one <${landmark}>`);
    await noSideways();
    await shot('gongshi');
    assert.deepEqual(await axeViolations(), []);
  });
}
