// states.mjs - the page's states as an HR officer meets them, for the issue 20 tests and the
// screenshots of every state: the words each language shows, the fixture's certificates, and how
// to bring the page to each state.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { U, ctx, test, newPage, settled, shot, link, pickUnit, privateEmployer, axeViolations, noSideways } from './lib.mjs';

const [superseded, basic, revoked, province] = process.env.TC_IDS.split(' ');
// the conversion's certificate: issued last, after the four of the results file
export const ids = { superseded, basic, revoked, province, successor: String(Number(province) + 1) };
export function readOutside() { return readFileSync(`${process.env.TC_OUTSIDE}/260001234.txt`, 'utf8').trim(); }

export const W = {
  zh: { number: '仅凭证书编号无法核验', unrecognised: '无法识别，未核验', incomplete: '链接不完整，未核验',
        notValid: '不适用', valid: '有效', unknown: '无法确认该单位是否为基层单位', change: '更换单位', choose: '选择单位',
        provincial: '甘肃省人民医院（示例）', county: '兰州市城关区社区卫生服务中心（示例）', notFound: '未找到',
        code18: '18位统一社会信用代码', bureau: '人力资源和社会保障局', network: '无法连接核验服务',
        wait: /请求过于频繁，请 \d+ 秒后重试/, idCheck: '请核对持证人身份证件', operator: '甘肃省人力资源和社会保障厅',
        lifelong: '长期有效', scope: '适用范围', retry: '重试', scanHow: /扫描证书上的二维码/, byCode: '按统一社会信用代码',
        pinyin: '拼音首字母', contact: '联系方式：（示例）咨询电话 0931-0000000' },
  en: { number: 'A number alone cannot be checked', unrecognised: 'Not recognised; not checked', incomplete: 'Incomplete link; not checked',
        notValid: 'Not valid', valid: 'Valid', unknown: 'Cannot confirm it is a basic-level unit', change: 'Change unit', choose: 'Choose unit',
        provincial: '甘肃省人民医院（示例）', county: '兰州市城关区社区卫生服务中心（示例）', notFound: 'Nothing found',
        code18: '18-character unified social credit code', bureau: 'human resources and social security bureau', network: 'could not be reached',
        wait: /Too many requests at once: try again in \d+ seconds/, idCheck: 'Compare with the holder\'s ID card',
        operator: 'Department of Human Resources and Social Security of Gansu Province',
        lifelong: 'Does not expire', scope: 'Valid at', retry: 'Try again', scanHow: /scan its QR code/, byCode: 'Check for the unit with code',
        pinyin: 'pinyin initials', contact: 'Contact: (example) Enquiries: +86 931 0000000' },
};

const PHONES = [[390, 'zh'], [390, 'en'], [320, 'zh'], [320, 'en']];
// for every phone and language: a fresh page (no unit kept), the step, its screenshots
export function onPhones(name, fn) {
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

export async function printShown() { return ctx.page.isVisible('#print'); }
export async function background() {
  return ctx.page.evaluate(() => getComputedStyle(document.getElementById('verdict')).backgroundColor);
}
export const WHITE = 'rgb(255, 255, 255)';


export async function paste(text) {
  await ctx.page.goto(U + '/');
  await ctx.page.fill('#paste', text);
  await ctx.page.click('#check');
  return settled();
}

// each state, reached as an officer would
export const STATES = {
  start: async () => { await ctx.page.goto(U + '/'); },
  'choose-unit': async () => { await ctx.page.goto(U + link(basic)); await settled(); },
  'not-valid-here': async w => { await ctx.page.goto(U + link(basic)); await settled(); await pickUnit('甘肃省人民', w.provincial); await settled('choose_unit'); },
  'valid-at-unit': async w => { await ctx.page.goto(U + link(basic)); await settled(); await pickUnit('城关区', w.county); await settled('choose_unit'); },
  'unknown-unit': async () => { await ctx.page.goto(U + link(basic)); await settled(); await ctx.page.fill('#unit', privateEmployer); await settled('choose_unit'); },
  'unit-list': async () => { await ctx.page.goto(U + link(basic)); await settled(); await ctx.page.fill('#unit', '医院'); await ctx.page.locator('#unit-options [role=option]').first().waitFor(); },
  'province-wide': async () => { await ctx.page.goto(U + link(province)); await settled(); },
  revoked: async () => { await ctx.page.goto(U + link(revoked)); await settled(); },
  superseded: async () => { await ctx.page.goto(U + link(superseded)); await settled(); },
  number: async () => { await paste(basic); },
  unrecognised: async () => { await paste('hello'); },
  'not-registered': async () => { await ctx.page.goto(U + '/v#' + readOutside()); await settled(); },
  incomplete: async () => { await ctx.page.goto(U + link(basic).slice(0, 60)); await settled(); },
  editing: async w => {
    await STATES['valid-at-unit'](w);
    await ctx.page.click('#change-unit');
    await ctx.page.fill('#unit', '省医院');
    await ctx.page.locator('#unit-options [role=option]').first().waitFor();
  },
  'not-found': async w => {
    await ctx.page.goto(U + link(basic)); await settled();
    await ctx.page.fill('#unit', '不存在的单位名称');
    await ctx.page.waitForFunction(nf => document.getElementById('unit-status').textContent.includes(nf), w.notFound);
  },
  'superseded-at-unit': async w => {
    await ctx.page.goto(U + '/'); await pickUnit('甘肃省人民', w.provincial);
    await ctx.page.goto(U + link(superseded)); await settled();
  },
  'network-error': async () => {
    await ctx.page.route('**/api/v1/verify', r => r.abort('failed'));
    await ctx.page.goto(U + link(basic)); await settled();
  },
  'too-many-requests': async () => {
    await ctx.page.route('**/api/v1/verify', r => r.fulfill({ status: 429, contentType: 'application/json',
      body: JSON.stringify({ error: 'too_many_requests', message: 'too many requests in progress from this address' }) }));
    await ctx.page.goto(U + link(basic)); await settled();
  },
};


// every state in one language: 1366 px with axe-core ('desk'), or the two phones ('phones');
// apart, so that each meson test stays well inside browser.sh's time limit on a busy machine
export function runStates(l, part) {
  if (part === 'desk') test(`every state at 1366 px in ${l}: screenshots, and axe-core finds no violation`, async () => {
    const found = [];
    for (const [name, go] of Object.entries(STATES)) {
      await newPage({ width: 1366, height: 900, lang: l });
      await go(W[l]);
      await shot(`state-${name}`);
      for (const v of await axeViolations()) found.push(`${name}: ${v}`);
    }
    assert.deepEqual(found, []);
  });
  if (part === 'phones') test(`every state at 390 and 320 px in ${l}: screenshots, no sideways scrolling`, async () => {
    for (const width of [390, 320]) {
      for (const [name, go] of Object.entries(STATES)) {
        await newPage({ width, lang: l });
        await go(W[l]);
        await noSideways();
        await shot(`state-${name}`);
      }
    }
  });
}
