// issue20-units.test.mjs - the employer's findings of issue 20 about the unit (2-5), each on a
// phone (390 and 320 px) in Chinese and English: the verdict names its unit, an unknown unit is
// its own answer, the verdict stays while the unit is changed, the unit list, the prompt for a
// unit that is no button. Each failed on the page before this one.
import assert from 'node:assert/strict';
import { U, ctx, test, setup, newPage, settled, shot, link, pickUnit, privateEmployer } from './lib.mjs';
import { ids, onPhones, printShown, background, WHITE } from './states.mjs';

setup();
const { basic, province } = ids;

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
onPhones('4. editing the unit keeps the verdict dimmed; province-wide never waits; an in-page list by name parts and pinyin initials, with 未找到 and the code', async (w) => {
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
  // pinyin initials: the server matches them, and the label offers them
  assert.ok((await page.textContent('#unit-label')).includes(w.pinyin), 'the label offers pinyin initials');
  await page.fill('#unit', 'gsrmyy');
  await page.locator('#unit-options [role=option]', { hasText: w.provincial }).waitFor();
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
