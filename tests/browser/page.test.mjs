// page.test.mjs - the public verification page in a real browser: Debian's chromium (never a
// downloaded one) driven by playwright-core (lib.mjs). The server, store and certificates are set
// up by browser.sh, which passes their details in the environment. Screenshots go to SHOTS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { U, SHOTS, ctx, test, setup, onReady, settled, pickUnit, axeViolations, languageGaps, provincial, county } from './lib.mjs';

const basic = process.env.TC_BASIC_LINK_PATH;   // "/v#TC1:..." of a basic-level title (临夏)
const png = process.env.TC_BASIC_PNG;
const STALE = process.env.TC_STALE_URL;
const PROVINCIAL = '甘肃省人民医院（示例）', COUNTY = '兰州市城关区社区卫生服务中心（示例）';
setup([U, STALE]);
let page;
onReady(async () => { page = ctx.page; await page.setViewportSize({ width: 360, height: 780 }); });

// the verdict's class and text once the check is over (not: the class it must no longer have)
async function verdict(not = null) { return settled(not); }
async function head() { return (await page.textContent('#verdict .head')).trim(); }
async function details() { return page.innerText('#details'); }

test('opening a basic-level QR link with no unit asks for the unit, not 有效 (S1)', async () => {
  await page.goto(U + basic);
  const v = await verdict();
  assert.equal(v.cls, 'choose_unit');
  assert.equal(await head(), '请在下方选择用人单位');
  assert.match(await page.textContent('#why'), /证书真实，但这是基层职称（限甘肃省基层单位使用），是否适用取决于用人单位。请在下方输入或选择您的单位/);
  // the unit field follows the verdict, in the same card
  assert.ok(await page.evaluate(() => document.getElementById('verdict').compareDocumentPosition(
    document.getElementById('unit')) & Node.DOCUMENT_POSITION_FOLLOWING));
  await page.screenshot({ path: `${SHOTS}/0-basic-no-unit.png`, fullPage: true });
});

test('opening the QR link verifies at once', async () => {
  await page.goto(U + basic);
  await verdict();
  assert.match(await details(), /主治医师/);
  assert.match(await details(), /限甘肃省基层单位使用/);
  assert.match(await page.textContent('#timeline'), /最早可申请换发全省统一职称 2031-11/);
  assert.match(await details(), /公共登记册\s*已登记/, 'A3: registered');
  assert.match(await page.textContent('#tech'), /登记册条目第 \d+ 条（共 \d+ 条）/, 'the entry, among the technical facts');
  await page.screenshot({ path: `${SHOTS}/1-link-valid.png`, fullPage: true });
});

test('a non-basic-level unit in the employer field: 不适用 at that unit (S1)', async () => {
  await pickUnit('甘肃省人民', PROVINCIAL);
  const v = await verdict('choose_unit');
  assert.equal(v.text, `在 ${PROVINCIAL} 不适用`);
  assert.match(await page.textContent('#why'), /该单位不是基层单位。基层职称仅限在基层单位聘用，在该单位不适用/);
  assert.doesNotMatch(await page.textContent('#why'), /。 /, 'no half-width space after 。');
  assert.doesNotMatch(await page.textContent('#why'), /\((S|A|C)\d\)/, 'no rule codes in the people\'s text');
  assert.match(await page.textContent('#codes'), /unit_not_basic_level.*S1/, 'they are in the technical details');
  await page.screenshot({ path: `${SHOTS}/2-not-valid-here.png`, fullPage: true });
});

test('every text of the page is there in Chinese and in English (the same keys, lists and functions)', async () => {
  // on the page as it is: the next test reloads the certificate's link it shows
  assert.deepEqual(await languageGaps(page), []);
});

test('the employer is remembered on the device', async () => {
  await page.reload();
  assert.equal((await verdict()).text, `在 ${PROVINCIAL} 不适用`);
  assert.ok((await page.textContent('#unit-shown')).includes(provincial));
});

test('searching a unit by name and choosing a basic-level one: 有效', async () => {
  await pickUnit('城关区', COUNTY);
  const v = await verdict('not_valid_here');
  assert.equal(v.cls, 'valid');
  assert.match(v.text, /城关区社区卫生服务中心/);
});

test('uploading the QR PNG verifies it', async () => {
  await page.goto(U + '/');
  await page.setInputFiles('#file', png);
  assert.equal((await verdict()).cls, 'valid');
  await page.screenshot({ path: `${SHOTS}/3-upload.png`, fullPage: true });
});

test('pasting the link and pressing Enter verifies it', async () => {
  await page.goto(U + '/');
  await page.fill('#paste', U + basic);
  await page.press('#paste', 'Enter');
  assert.equal((await verdict()).cls, 'valid');
});

test('English on request: no Chinese but the names, units and specialty from the certificate', async () => {
  await page.click('#lang');
  await page.waitForFunction(() => document.getElementById('verdict').textContent.startsWith('Valid'));
  const d = await details();
  assert.match(d, /Attending Physician, Health \(medicine\) \(intermediate\)/);
  assert.match(d, /basic-level/);
  assert.match(d, /committee review/);
  // the same verdict from the API names what may stay Chinese: the holder, specialty, units, issuer
  const res = await (await fetch(U + '/api/v1/verify', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ payload: decodeURIComponent(basic.split('#')[1]), unit: county }),
  })).json();
  let text = await page.evaluate(() => document.body.innerText);
  // and the language button, which names the other language in its own script
  for (const allowed of [res.certificate.name, res.certificate.specialty, res.unit.name, res.issuer.name, '中文'])
    text = text.split(allowed).join('');
  const cjk = text.match(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/g);
  assert.equal(cjk, null, `Chinese left on the English page: ${cjk}`);
  await page.screenshot({ path: `${SHOTS}/4-english.png`, fullPage: true });
  await page.click('#lang');
});

test('the signing key\'s term is labelled as such, and the title does not expire', async () => {
  await page.goto(U + '/');
  await page.fill('#paste', U + basic);
  await page.click('#check');
  await verdict();
  const tech = await page.textContent('#tech');
  assert.match(tech, /签发密钥核准期限/, 'among the technical facts');
  const record = await page.textContent('#record');
  assert.match(record, /核验时间\d{4}年\d+月\d+日.*（北京时间）/, 'the record says when');
  assert.match(record, /核验服务甘肃省人力资源和社会保障厅/, 'who runs the service');
  assert.match(record, /状态信息更新于/, 'and how current the status was');
  assert.match(tech, /状态信息版本\d+/);
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: `${SHOTS}/8-print.png`, fullPage: true });
  const printed = await page.evaluate(() => [getComputedStyle(document.getElementById('input-card')).display,
                                               getComputedStyle(document.getElementById('record')).display]);
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(printed, ['none', 'grid'], 'the print view keeps the record and drops the controls');
  assert.match(await details(), /证书有效期\s*长期有效（职称证书不设有效期）/);
  assert.doesNotMatch(await details(), /核准期限/);
});

test('a failed upload replaces the verdict with why, and takes the focus', async () => {
  await page.goto(U + '/');
  await page.fill('#paste', U + basic);
  await page.click('#check');
  await verdict();
  const txt = join(mkdtempSync(join(tmpdir(), 'tc-')), 'not-an-image.txt');
  writeFileSync(txt, 'this is not an image');
  await page.setInputFiles('#file', txt);
  await page.waitForFunction(() => document.getElementById('verdict').textContent === '未能核验');
  assert.match(await page.textContent('#why'), /请上传 PNG 或 JPEG 图片/);
  assert.equal(await page.textContent('#details'), '', 'nothing of the earlier verdict stays');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'verdict');
  await page.screenshot({ path: `${SHOTS}/7-upload-error.png`, fullPage: true });
});

test('核验 with an empty box says what to enter', async () => {
  await page.goto(U + '/');
  await page.fill('#paste', '');
  await page.click('#check');
  await page.waitForFunction(() => document.getElementById('verdict').textContent === '未能核验');
  assert.match(await page.textContent('#why'), /请粘贴证书链接或代码/);
});

test('a pasted link broken over lines, with spaces and a lower-case tc1:, verifies', async () => {
  await page.goto(U + '/');
  const link = (U + basic).replace('TC1:', 'tc1:');
  const broken = link.slice(0, 40) + '\n' + link.slice(40, 120) + '  \n ' + link.slice(120);
  await page.fill('#paste', broken);
  await page.click('#check');
  const v = await verdict();
  assert.ok(!['invalid', 'notice'].includes(v.cls), v.cls);
  assert.match(await details(), /主治医师/);
});

test('a half-typed unit keeps the verdict; no unit asks for the unit again', async () => {
  const before = await verdict();
  await page.click('#change-unit');
  await page.fill('#unit', '甘肃');
  await page.waitForTimeout(300);
  assert.equal(await page.textContent('#verdict'), before.text, 'the verdict stays while the unit is typed');
  await page.click('#unit-clear');
  assert.equal((await verdict(before.cls)).cls, 'choose_unit');
  await pickUnit(county, COUNTY);
  assert.equal((await verdict('choose_unit')).cls, 'valid');
});

test('a unit code with a wrong check character says to check the code (unit_code_invalid)', async () => {
  const before = await verdict();
  await page.click('#change-unit');
  await page.fill('#unit', '12620000438000456X');
  await page.waitForFunction(() => /校验位不正确/.test(document.getElementById('unit-status').textContent));
  assert.equal(await page.textContent('#verdict'), before.text, 'a mistyped code does not wipe the verdict');
  await pickUnit(county, COUNTY);
  assert.equal((await verdict()).cls, 'valid');
});

test('without live scanning the scan button is hidden and a photo button offered', async () => {
  const live = await page.evaluate(() => 'BarcodeDetector' in window);
  const scanShown = await page.evaluate(() => getComputedStyle(document.getElementById('scan')).display !== 'none');
  const photoShown = await page.evaluate(() => getComputedStyle(document.getElementById('photo-label')).display !== 'none');
  assert.equal(scanShown, live, 'the scan button shows exactly where it works');
  assert.equal(photoShown, !live, 'the photo button where it does not');
  assert.equal(await page.getAttribute('#photo', 'capture'), 'environment');
});

test('no horizontal scrolling at 320 px and at 200 % zoom on a 390 px phone, in Chinese and English', async () => {
  // 200 % zoom of a 390 px phone leaves 195 CSS pixels
  for (const width of [320, 195]) {
    await page.setViewportSize({ width, height: 700 });
    await page.goto(U + basic);
    await verdict();
    for (const l of ['zh', 'en']) {
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(sw <= cw, `${width} px, ${l}: ${sw} px of content in ${cw}`);
      if (width === 195) await page.screenshot({ path: `${SHOTS}/9-zoom-200-${l}.png`, fullPage: true });
      await page.click('#lang');
    }
  }
  await page.setViewportSize({ width: 360, height: 780 });
});

test('a superseded certificate shows when it was exchanged and the new certificate\'s standing (C1)', async () => {
  await page.goto(U + process.env.TC_OLD_LINK_PATH);
  assert.equal((await verdict()).cls, 'superseded');
  assert.equal(await head(), '已换发');
  assert.match(await page.textContent('#timeline'),
    /\d{4}-\d{2}-\d{2} 已换发为全省统一职称，新证书编号 \d+（新证书有效，全省范围适用）/);
  assert.match(await page.innerText('#successor'), /新证书 \d+\s*在 .* 有效/);
  await page.screenshot({ path: `${SHOTS}/5a-superseded.png`, fullPage: true });
});

test('an .svg upload, an image without a QR code and a 100 KB paste replace the verdict with why', async () => {
  await page.goto(U + basic);
  await verdict();
  const svg = join(mkdtempSync(join(tmpdir(), 'tc-')), 'qr.svg');
  writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await page.setInputFiles('#file', svg);
  await page.waitForFunction(() => document.getElementById('verdict').textContent === '未能核验');
  assert.match(await page.textContent('#why'), /请上传 PNG 或 JPEG 图片/);
  // an image with no QR code in it (8x8 white), after a verdict was on screen
  await page.goto(U + '/');
  await page.goto(U + basic);
  await verdict();
  const blank = join(mkdtempSync(join(tmpdir(), 'tc-')), 'blank.png');
  writeFileSync(blank, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAADklEQVR4nGP4DwUMlDEA98A/wbI0QbsAAAAASUVORK5CYII=', 'base64'));
  await page.setInputFiles('#file', blank);
  await page.waitForFunction(() => document.getElementById('verdict').textContent === '未能核验');
  assert.match(await page.textContent('#why'), /图片中没有找到二维码/);
  await page.fill('#paste', 'TC1:' + '1'.repeat(100000));
  await page.click('#check');
  await page.waitForFunction(() => /内容过长/.test(document.getElementById('why').textContent));
  assert.match(await page.textContent('#why'), /内容过长，请只粘贴证书链接或代码/);
  assert.equal(await page.textContent('#details'), '');
});

test('after revocation and a bundle reload the same link shows 已撤销 (A2)', async () => {
  execFileSync(process.env.TC_REVOKE_AND_RELOAD, { stdio: 'inherit' });
  await page.goto(U + '/');
  await page.goto(U + basic);
  assert.equal((await verdict()).cls, 'revoked');
  assert.match(await details(), /撤销\s*弄虚作假（\d{4}-\d{2}-\d{2}起）/);
  assert.doesNotMatch(await page.textContent('#timeline'), /最早可申请/, 'a revoked title has no conversion ahead');
  await page.screenshot({ path: `${SHOTS}/5-revoked.png`, fullPage: true });
});

test('status_stale: a verifier whose status is out of date says so, and when it was updated', async () => {
  await page.goto(STALE + basic);
  await page.waitForFunction(() => document.getElementById('verdict').textContent === '未能核验');
  const text = await page.textContent('#why');
  assert.match(text, /证书状态信息已过期（最后更新于 .*\d{4}.*），暂时无法核验/);
  assert.doesNotMatch(text, /out of date/);
  await page.screenshot({ path: `${SHOTS}/6-status-stale.png`, fullPage: true });
});

test('axe-core finds no accessibility violation, in Chinese and English', async () => {
  await page.goto(U + basic);
  await verdict();
  for (const l of ['zh', 'en']) {
    const found = await axeViolations();
    assert.deepEqual(found, [], `${l}: ${found.join('; ')}`);
    await page.click('#lang');
    await page.waitForFunction(want => document.documentElement.lang.startsWith(want), l === 'zh' ? 'en' : 'zh');
  }
});

test('the layout fits a 360 px phone without sideways scrolling', async () => {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `page is ${width} px wide`);
});

test('focus is visible on every control', async () => {
  await page.goto(U + '/');
  await pickUnit(county, COUNTY);
  await page.goto(U + basic);
  await verdict();
  const controls = ['lang', 'mode-batch', 'change-unit', 'paste', 'check', 'file', 'print'];
  const visible = await page.evaluate(() => ['scan', 'photo'].filter(id => {
    const el = document.getElementById(id === 'photo' ? 'photo-label' : id);
    return getComputedStyle(el).display !== 'none';
  }));
  for (const id of [...controls, ...visible]) {
    await page.focus('#' + id);
    await page.keyboard.press('Shift'); // a keyboard event, so :focus-visible applies
    const style = await page.evaluate(i => {
      const el = document.getElementById(i);
      // a visually hidden file input shows its ring on the label that stands for it
      const shown = el.classList.contains('visually-hidden') ? document.querySelector(`label[for="${i}"]`) : el;
      return getComputedStyle(shown).outlineStyle;
    }, id);
    assert.notEqual(style, 'none', `#${id} shows no focus ring`);
  }
  await page.click('#change-unit');
  await page.keyboard.press('Shift');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none', '#unit');
});

test('the controls are reachable by keyboard and labelled', async () => {
  for (const id of ['unit', 'paste', 'file']) {
    const label = await page.$(`label[for="${id}"]`);
    assert.ok(label, `#${id} has a label`);
  }
  assert.equal(await page.getAttribute('#verdict', 'role'), 'status');
  await page.focus('#unit');
  const reached = [];
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement.id || document.activeElement.tagName));
  }
  assert.ok(reached.includes('paste'), `Tab from the unit field reaches the paste box (${reached})`);
});
