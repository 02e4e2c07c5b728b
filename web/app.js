// titlecert public verification page. No framework, no third-party code, no request to any host
// but this one. Chinese first, English complete; the employer is remembered on this device.
//
// What the page shows is one of three things, never confused:
//   a verdict       the server checked a certificate (valid, not valid at the unit, superseded,
//                   revoked, invalid); only a verdict can be printed;
//   an open answer  the certificate is genuine but the unit decides and is missing or unknown;
//   no check        what was entered is not a certificate (a bare number, a cut-off link, other
//                   text), or the check could not be made (network, busy): neutral, never red.
'use strict';

const T = {
  zh: {
    head: { valid: '有效', not_valid_here: '不适用', superseded: '已换发', revoked: '已撤销', invalid: '无效',
            not_yet: '当日尚未取得', choose_unit: '请在下方选择用人单位', unit_unknown: '无法确认该单位是否为基层单位',
            unrecognised: '无法识别，未核验', number: '仅凭证书编号无法核验', incomplete: '链接不完整，未核验',
            error: '未能核验', pending: '核验中…' },
    where: {
      at: u => `在 ${u}`, anyUnit: '在全省任何单位', anywhere: '在任何单位均不适用', replaced: '本证书已由新证书取代',
      notGenuine: '不是真实有效的证书', basic: '基层职称：是否适用取决于用人单位',
    },
    unitCode: c => `代码为 ${c} 的单位`,
    chooseWhy: scope => `证书真实，但这是基层职称（${scope}），是否适用取决于用人单位。请在下方输入或选择您的单位。`,
    validAt: u => `证书真实有效，在${u}适用。`, validAny: '证书真实有效；全省统一职称在任何单位适用，无需选择单位。',
    validNoUnit: '证书真实有效。',
    unknownWhy: u => `证书真实，但这是基层职称，只在基层单位适用；${u}不在基层单位目录中，本服务无法确认它是否为基层单位，因此不作“适用”或“不适用”的结论。`,
    unknownNext: ['核对统一社会信用代码是否输入正确（见营业执照或事业单位法人证书）；',
                  '向单位所在县（区）人力资源和社会保障局询问该单位是否列入基层单位目录；',
                  '如单位名称在目录中，请从单位列表中选择。'],
    revokedWhy: (reason, d) => `证书已于 ${d} 因${reason}被撤销，撤销后的证书在任何单位均不再有效。`,
    supersededWhy: (d, id) => `该基层职称已于 ${d} 换发为全省统一职称证书（新证书编号 ${id}），本证书不再使用，以新证书为准。`,
    successor: {
      head: id => `新证书 ${id}`, valid: u => u ? `在 ${u} 有效` : '有效，在全省任何单位适用',
      note: '新证书为全省统一职称，在任何单位适用。',
      revoked: '新证书已被撤销', superseded: '新证书已再次换发，请核验最新的证书', unknown: '请核验新证书',
    },
    notices: {
      unrecognised: ['输入的内容不是职称电子证书的链接或代码，未作核验。',
                     ['请扫描证书上的二维码（手机相机或本页“扫一扫”）；', '或上传二维码图片；', '或粘贴证书二维码下方的完整链接。']],
      number: n => [`「${n}」是证书编号。编号本身不能证明证书真实，本站不按编号核验。`,
                    ['请持证人出示电子证书，用手机相机或本页“扫一扫”扫描证书上的二维码；',
                     '或上传二维码的截图或照片（“上传二维码图片”）；', '或粘贴二维码下方的完整链接。']],
      incomplete: ['链接或代码不完整（可能在复制或转发时被截断），未作核验。',
                   ['请重新扫描证书上的二维码；', '或请持证人重新发送完整的证书链接；', '或上传二维码图片。']],
    },
    pickUnit: '请从列表中选择单位，或输入18位统一社会信用代码。',
    editing: '正在更换单位：上方结果仍针对原单位，选择新单位后更新。',
    editingProvince: '全省统一职称在任何单位有效，结论不随单位改变。',
    searching: '查询中…', found: n => `找到 ${n} 个单位，用上下方向键选择，回车确认。`,
    more: '结果较多，请输入更完整的名称。',
    notFound: q => `未找到“${q}”。目录外的单位（如民营企业）请直接输入其18位统一社会信用代码（见营业执照）。`,
    useCode: c => `按统一社会信用代码 ${c} 核验`, codeBad: '统一社会信用代码的校验位不正确，请核对。',
    codeShort: '统一社会信用代码为18位。', basicYes: '基层单位', basicNo: '非基层单位', optional: '（可选）',
    noUnit: '未选择', changeUnit: '更换单位', chooseUnit: '选择单位', tiers: { '省级': '省级', '市级': '市级', '县级': '县级', '乡镇': '乡镇', '基层': '基层' },
    lifelong: '长期有效（职称证书不设有效期）', validity: '证书有效期', rule: '规则', code: '代码',
    checkedAt: '核验时间', operator: '核验服务', statusAt: '状态信息更新于', statusVersion: '状态信息版本',
    contact: '联系方式', runBy: op => `核验服务：${op}`,
    holder: '持证人', idCheck: m => `请核对持证人身份证件：姓名一致，证件号码末四位为 ${m}。`,
    title: '职称', specialty: '专业', track: '类别', method: '取得方式', obtained: '取得日期',
    id: '证书编号', issuer: '签发机构', keyId: '签发密钥', keyTerm: '签发密钥核准期限', scope: '适用范围',
    register: '公共登记册', registered: '已登记', entry: '登记册条目', entryOf: (n, size) => `第 ${n} 条（共 ${size} 条）`,
    anywhere: '全省范围有效（任何单位）',
    tl: { label: '换发路径', start: '任职起始', earliest: '最早可申请换发全省统一职称', need: (m, h) => `基层单位累计聘满${m}个月，每年继续教育${h}学时`,
          converted: (id, since, st) => `${since} 已换发为全省统一职称，新证书编号 ${id}（${{ in_force: '新证书有效，全省范围适用', revoked: '新证书已被撤销', superseded: '新证书已再次换发' }[st] || '请核验新证书'}）`,
          from: id => `由基层职称证书 ${id} 换发，任职年限连续计算` },
    revokedAs: '撤销', reasons: { fraud: '弄虚作假', error: '差错', other: '其他原因' }, since: d => `（${d}起）`,
    beijing: '（北京时间）',
    emptyInput: '请粘贴证书链接或代码，或上传二维码图片。', camera: '无法打开摄像头。', noQr: '图片中没有找到二维码。',
    waitFor: s => `请 ${s} 秒后重试。`, retryNow: '现在可以重试。',
    errors: {
      network: '无法连接核验服务，请检查网络后重试。',
      too_many_requests: s => `请求过于频繁，请 ${s} 秒后重试。`,
      busy: '服务繁忙，请稍后重试。', internal: '核验服务内部出错，请稍后重试。',
      http: s => `核验服务暂时不可用（HTTP ${s}），请稍后重试。`,
      too_large: '内容过长，请只粘贴证书链接或代码。', image_too_large: '图片过大（最多 1600 万像素、8 MB），请截取二维码部分后上传。',
      bad_unit: '单位代码应为18位统一社会信用代码。',
      unit_code_invalid: '单位代码校验位不正确，请核对统一社会信用代码。', bad_date: '日期格式应为 YYYY-MM-DD。',
      bad_json: '请求格式错误，请刷新页面后重试。', bad_request: '请求格式错误，请刷新页面后重试。',
      unsupported_image: '请上传 PNG 或 JPEG 图片。', no_qr_code: '图片中没有找到二维码，请上传清晰、完整的二维码图片。',
      image_too_slow: '图片识别超时，请上传更小或更清晰的二维码图片。',
      status_stale: '本服务的证书状态信息已过期，暂时无法核验。',
      staleAt: d => `本服务的证书状态信息已过期（最后更新于 ${d}），暂时无法核验，请稍后再试。`,
      method_not_allowed: '请求方式错误，请刷新页面后重试。', not_found: '核验服务地址错误，请刷新页面后重试。',
      bad_query: '请输入至少两个字符。', other: '核验服务返回了错误，请稍后重试。',
    },
    errorCode: '错误代码',
    batch: {
      needUnit: '请先选择用人单位：全部证书按同一单位核验。', nothing: '请选择二维码图片或粘贴证书链接。',
      tooMany: n => `一次最多核验 50 份，现有 ${n} 份，请分批核验。`,
      files: n => `已选择 ${n} 张图片。`, progress: (d, n) => `已核验 ${d} / ${n}`, done: n => `已完成，共 ${n} 份。`,
      summary: c => `共 ${c.total} 份：` + [['有效', c.valid], ['不适用', c.not_valid_here], ['无法确认单位', c.unit_unknown],
        ['已换发', c.superseded], ['已撤销', c.revoked], ['无效', c.invalid], ['未核验', c.none]]
        .filter(([k, n], i) => i === 0 || n).map(([k, n]) => `${k} ${n}`).join('，') + '。',
      meta: (u, when, op) => `核验单位：${u}；核验时间：${when}${op ? `；核验服务：${op}` : ''}。结果不在本站保存。`,
      caption: u => `在 ${u} 的核验结果`, verdictHead: u => `在 ${u} 的核验结果`,
      line: n => `第 ${n} 行`, image: name => `图片 ${name}`,
      csvHead: ['序号', '来源', '持证人', '证件号码（部分）', '职称', '证书编号', '核验单位', '核验结果', '原因', '核验时间'],
      csvName: d => `职称核验结果-${d}.csv`,
    },
  },
  en: {
    head: { valid: 'Valid', not_valid_here: 'Not valid', superseded: 'Superseded', revoked: 'Revoked', invalid: 'Invalid',
            not_yet: 'Not yet obtained on that day', choose_unit: 'Choose the unit below', unit_unknown: 'Cannot confirm it is a basic-level unit',
            unrecognised: 'Not recognised; not checked', number: 'A number alone cannot be checked', incomplete: 'Incomplete link; not checked',
            error: 'Not checked', pending: 'Checking…' },
    where: {
      at: u => `at ${u}`, anyUnit: 'at any unit in the province', anywhere: 'not valid at any unit', replaced: 'replaced by a new certificate',
      notGenuine: 'not an authentic certificate', basic: 'basic-level title: the unit decides',
    },
    unitCode: c => `the unit with code ${c}`,
    chooseWhy: scope => `The certificate is authentic, but this is a basic-level title (${scope}): whether it is valid depends on the unit. Type or choose your unit below.`,
    validAt: u => `The certificate is authentic and valid at ${u}.`, validAny: 'The certificate is authentic and in force; a province-wide title is valid at any unit, no unit needed.',
    validNoUnit: 'The certificate is authentic and in force.',
    unknownWhy: u => `The certificate is authentic, but this basic-level title is valid only at basic-level units, and ${u} is not in the basic-level unit directory: this service cannot confirm whether it is a basic-level unit, so it says neither "valid" nor "not valid".`,
    unknownNext: ['Check the unified social credit code (on the business licence or the public institution certificate);',
                  'ask the county (district) human resources and social security bureau whether the unit is on the basic-level unit directory;',
                  'if the unit is in the directory, choose it from the list.'],
    revokedWhy: (reason, d) => `The certificate was revoked on ${d} (${reason}); a revoked certificate is not valid at any unit.`,
    supersededWhy: (d, id) => `This basic-level title was exchanged on ${d} for a province-wide certificate (no. ${id}); this one is no longer used, the new one counts.`,
    successor: {
      head: id => `New certificate ${id}`, valid: u => u ? `valid at ${u}` : 'valid at any unit in the province',
      note: 'The new certificate is a province-wide title, valid at any unit.',
      revoked: 'the new certificate has been revoked', superseded: 'the new certificate was exchanged again: check the newest one', unknown: 'check the new certificate',
    },
    notices: {
      unrecognised: ['What was entered is not a title certificate link or code; nothing was checked.',
                     ['Scan the QR code on the certificate (phone camera or "Scan" on this page);', 'or upload an image of the QR code;', 'or paste the whole link printed under the QR code.']],
      number: n => [`"${n}" is a certificate number. A number alone does not show that a certificate is genuine; this site does not check by number.`,
                    ['Ask the holder for the e-certificate and scan its QR code with the phone camera or "Scan" on this page;',
                     'or upload a screenshot or photo of the QR code ("Upload a QR image");', 'or paste the whole link printed under the QR code.']],
      incomplete: ['The link or code is incomplete (perhaps cut off when copied or forwarded); nothing was checked.',
                   ['Scan the QR code on the certificate again;', 'or ask the holder to send the whole certificate link again;', 'or upload an image of the QR code.']],
    },
    pickUnit: 'Pick a unit from the list, or enter its 18-character unified social credit code.',
    editing: 'Changing the unit: the result above is still for the previous unit until you choose one.',
    editingProvince: 'A province-wide title is valid at any unit: the result does not change with the unit.',
    searching: 'Searching…', found: n => `${n} unit(s) found: use the arrow keys and Enter to choose.`,
    more: 'Many results: type more of the name.',
    notFound: q => `Nothing found for "${q}". A unit outside the directory (a private employer, say) can be entered by its 18-character unified social credit code (on its business licence).`,
    useCode: c => `Check for the unit with code ${c}`, codeBad: 'The check character of this unified social credit code is wrong: check the code.',
    codeShort: 'A unified social credit code has 18 characters.', basicYes: 'basic-level unit', basicNo: 'not a basic-level unit', optional: ' (optional)',
    noUnit: 'none chosen', changeUnit: 'Change unit', chooseUnit: 'Choose unit', tiers: { '省级': 'province level', '市级': 'prefecture level', '县级': 'county level', '乡镇': 'township', '基层': 'basic level' },
    lifelong: 'Does not expire (title certificates have no expiry date)', validity: 'Validity', rule: 'rule', code: 'code',
    checkedAt: 'Checked at (time)', operator: 'Service run by', statusAt: 'Status information of', statusVersion: 'Status version',
    contact: 'Contact', runBy: op => `Service run by ${op}`,
    holder: 'Holder', idCheck: m => `Compare with the holder's ID card: the same name, ID number ending in ${m}.`,
    title: 'Title', specialty: 'Specialty', track: 'Track', method: 'Obtained by', obtained: 'Obtained',
    id: 'Certificate no.', issuer: 'Issuer', keyId: 'Signing key', keyTerm: 'Signing key approved for', scope: 'Valid at',
    register: 'Public register', registered: 'registered', entry: 'Register entry', entryOf: (n, size) => `entry ${n} of ${size}`,
    anywhere: 'any unit in the province',
    tl: { label: 'Conversion path', start: 'Tenure starts', earliest: 'Earliest exchange for a province-wide title', need: (m, h) => `${m} months at basic-level units, ${h} h/year continuing education`,
          converted: (id, since, st) => `${since}: exchanged for province-wide certificate ${id} (${{ in_force: 'the new certificate is in force, valid at any unit', revoked: 'the new certificate has been revoked', superseded: 'the new certificate was exchanged again' }[st] || 'check the new certificate'})`,
          from: id => `Exchanged from basic-level certificate ${id}; tenure carried over` },
    revokedAs: 'Revoked', reasons: { fraud: 'fraud', error: 'error', other: 'other reasons' }, since: d => ` (from ${d})`,
    beijing: ' (Beijing time)',
    emptyInput: 'Paste the certificate link or code, or upload a QR image.', camera: 'The camera could not be opened.', noQr: 'No QR code found in the image.',
    waitFor: s => `Try again in ${s} s.`, retryNow: 'You can try again now.',
    errors: {
      network: 'The verification service could not be reached. Check the network and try again.',
      too_many_requests: s => `Too many requests at once: try again in ${s} seconds.`,
      busy: 'The service is busy; try again shortly.', internal: 'The verification service had an internal error; try again shortly.',
      http: s => `The verification service is not available just now (HTTP ${s}); try again shortly.`,
      too_large: 'Too long: paste only the certificate link or code.', image_too_large: 'The image is too large (at most 16 megapixels and 8 MB): crop it to the QR code.',
      bad_unit: 'A unit code has 18 characters (unified social credit code).',
      unit_code_invalid: 'The unit code\'s check character is wrong: check the unit code.', bad_date: 'Dates are written YYYY-MM-DD.',
      bad_json: 'The request was malformed: reload the page and try again.', bad_request: 'The request was malformed: reload the page and try again.',
      unsupported_image: 'Upload a PNG or JPEG image.', no_qr_code: 'No QR code found in the image: upload a sharp image of the whole QR code.',
      image_too_slow: 'Reading the image took too long: upload a smaller or sharper image of the QR code.',
      status_stale: 'This service\'s status information is out of date; it cannot verify now.',
      staleAt: d => `This service's status information is out of date (last updated ${d}); it cannot verify now. Try again later.`,
      method_not_allowed: 'Wrong kind of request: reload the page and try again.', not_found: 'Wrong service address: reload the page and try again.',
      bad_query: 'Type at least two characters.', other: 'The verification service answered with an error; try again shortly.',
    },
    errorCode: 'Error code',
    batch: {
      needUnit: 'Choose the employer first: all certificates are checked for the same unit.', nothing: 'Choose QR images or paste certificate links.',
      tooMany: n => `At most 50 at a time; there are ${n}. Check them in parts.`,
      files: n => `${n} image(s) chosen.`, progress: (d, n) => `Checked ${d} of ${n}`, done: n => `Done: ${n} checked.`,
      summary: c => `${c.total} in all: ` + [['valid', c.valid], ['not valid', c.not_valid_here], ['unit not confirmed', c.unit_unknown],
        ['superseded', c.superseded], ['revoked', c.revoked], ['invalid', c.invalid], ['not checked', c.none]]
        .filter(([k, n], i) => i === 0 || n).map(([k, n]) => `${n} ${k}`).join(', ') + '.',
      meta: (u, when, op) => `Checked for ${u} at ${when}${op ? `; service run by ${op}` : ''}. The results are not kept on this site.`,
      caption: u => `Results at ${u}`, verdictHead: u => `Result at ${u}`,
      line: n => `line ${n}`, image: name => `image ${name}`,
      csvHead: ['No.', 'Source', 'Holder', 'ID number (part)', 'Title', 'Certificate no.', 'Unit', 'Result', 'Reason', 'Checked at'],
      csvName: d => `title-check-${d}.csv`,
    },
  },
};

const $ = id => document.getElementById(id);
const ZH_LANG = 'zh-CN';
let lang = localStorage.getItem('tc-lang') === 'en' ? 'en' : 'zh';
const t = () => T[lang];

// ---- state ----------------------------------------------------------------------------------
const S = {
  unit: null,        // the employer: { uscc, name } (name absent for a code outside the directory)
  editing: false,    // the unit picker is open over a result
  payload: null,     // the last certificate payload checked
  res: null,         // the last verdict (server reply)
  view: 'idle',      // idle | pending | verdict | notice
  notice: null,      // { kind, n, code, status, retryAfter, at } for a check that was not made
  retry: null,       // what 重试 runs again
  operator: null,    // { zh, en } from the last reply
  contact: null,     // { zh, en } when the server says it
  gen: 0,            // the newest check: an older answer arriving late is dropped
  mode: 'single',
};

function loadUnit() {
  const raw = localStorage.getItem('tc-unit');
  if (!raw) return null;
  try {
    const u = JSON.parse(raw);
    if (u && /^[0-9A-HJ-NP-RTUWXY]{18}$/.test(u.uscc)) return { uscc: u.uscc, name: typeof u.name === 'string' ? u.name : '' };
  } catch (e) { /* an older page kept the field's text: take the code out of it */ }
  const m = raw.toUpperCase().match(/[0-9A-HJ-NP-RTUWXY]{18}/);
  return m ? { uscc: m[0], name: '' } : null;
}
function saveUnit() {
  if (S.unit) localStorage.setItem('tc-unit', JSON.stringify(S.unit));
  else localStorage.removeItem('tc-unit');
}

// ---- small helpers --------------------------------------------------------------------------

// text that comes from a certificate or the directory (names, units, specialty) is Chinese: it
// is marked so in the English page, for screen readers and fonts
function zh(text) {
  const s = document.createElement('span');
  s.lang = ZH_LANG;
  s.textContent = text;
  return s;
}
function el(tag, cls, ...kids) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const k of kids) if (k !== null && k !== undefined && k !== '') e.append(k);
  return e;
}
// fills a template whose slot is a node: tpl(x => `在 ${x}`, node) -> [text, node, text]
function withNode(fn, node) {
  const mark = '\u0000';
  const parts = fn(mark).split(mark);
  const out = [];
  parts.forEach((p, i) => { if (p) out.push(p); if (i < parts.length - 1) out.push(node.cloneNode(true)); });
  return out;
}
function add(dl, label, ...value) {
  if (!value.length || value.every(v => v === '' || v === null || v === undefined)) return null;
  const dt = el('dt', null, label);
  const dd = el('dd', null, ...value);
  dl.append(dt, dd);
  return dd;
}
function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB',
    { timeZone: 'Asia/Shanghai', dateStyle: 'long', timeStyle: 'short' }) + t().beijing;
}
// server reasons as sentences: an English one gets its capital and full stop
function sentence(r) {
  const text = r[lang] || '';
  if (lang === 'zh') return /[。！？]$/.test(text) ? text : text + '。';
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}
function usccCheck(code) { // GB 32100 check character
  const A = '0123456789ABCDEFGHJKLMNPQRTUWXY', W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let s = 0;
  for (let i = 0; i < 17; i++) s += A.indexOf(code[i]) * W[i];
  return A[(31 - s % 31) % 31] === code[17];
}
function unitName(u) { return u && u.name ? u.name : ''; }
// the unit as a node: its name (Chinese), or the phrase naming its code
function unitNode(u) {
  if (u && u.name) return zh(u.name);
  const s = document.createElement('span');
  s.textContent = t().unitCode(u ? u.uscc : '');
  return s;
}
function unitText(u) { return u && u.name ? u.name : t().unitCode(u ? u.uscc : ''); }
// the same in a sentence: a name quoted (「…」 in Chinese), a code as its phrase
function unitQuoted(u) {
  const f = document.createDocumentFragment();
  if (!(u && u.name)) f.append(unitText(u));
  else if (lang === 'zh') f.append('「', zh(u.name), '」');
  else f.append(zh(u.name));
  return f;
}
// text of parts (strings and nodes), for the table and CSV
function plain(parts) { return parts.map(p => typeof p === 'string' ? p : p.textContent).join(''); }

// ---- talking to the server ------------------------------------------------------------------

class CallError extends Error {
  constructor(code, status, body, retryAfter) {
    super(code);
    this.code = code; this.status = status; this.body = body || {}; this.retryAfter = retryAfter;
  }
}
async function call(url, init) {
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    throw new CallError('network', 0);
  }
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const ra = parseInt(r.headers.get('Retry-After') || '', 10);
    const code = body && typeof body.error === 'string' ? body.error : 'http';
    throw new CallError(code, r.status, body, Number.isFinite(ra) && ra > 0 ? Math.min(ra, 120) : 0);
  }
  if (!body) throw new CallError('http', r.status);
  return body;
}
const DEFAULT_WAIT = 5; // seconds before a retry after 429, when the server does not say

// a server error in the page's language, by its stable code; never the server's English text
function errorText(n) {
  const E = t().errors;
  if (n.code === 'status_stale' && n.body && n.body.status_updated_at) {
    const d = new Date(n.body.status_updated_at);
    const w = isNaN(d) ? n.body.status_updated_at
      : d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'long', timeStyle: 'short' });
    return E.staleAt(w);
  }
  if (n.code === 'too_many_requests') return E.too_many_requests(n.wait || DEFAULT_WAIT);
  if (n.code === 'too_large' && n.image) return E.image_too_large;
  if (n.code === 'http') return E.http(n.status || '—');
  if (n.code === 'network') return E.network;
  const m = E[n.code];
  return typeof m === 'string' ? m : E.other;
}
function retryable(code, status) {
  return ['network', 'busy', 'internal', 'too_many_requests', 'status_stale', 'http'].includes(code) ||
         (status >= 500 && code !== 'image_too_slow');
}

// ---- what was entered -----------------------------------------------------------------------

// what people paste: a link or code broken over lines, with spaces, or a lower-case "tc1:"
function normalisePayload(text) {
  return (text || '').replace(/\s+/g, '').replace(/tc1:/i, 'TC1:');
}
// Decides, before anything is sent, whether the text can be a certificate at all.
//   { kind: 'empty' } | { kind: 'number', n } | { kind: 'unrecognised' } | { kind: 'incomplete' }
//   | { kind: 'payload', payload }
function classify(text) {
  const p = normalisePayload(text);
  if (!p) return { kind: 'empty' };
  const num = p.replace(/^(No\.?|编号[:：]?|证书编号[:：]?)/i, '');
  if (/^\d{5,20}$/.test(num)) return { kind: 'number', n: num };
  // a payload, with or without a link around it: the server decides what it is
  if (/TC1:/i.test(p)) return { kind: 'payload', payload: p };
  // a link to a verification page whose certificate part was lost
  if (/^https?:\/\/[^/\s]+\/v(#.*)?$/i.test(p) || /^https?:\/\/[^/\s]+\/V(#.*)?$/.test(p) || /#TC1?$/i.test(p)) return { kind: 'incomplete' };
  return { kind: 'unrecognised' };
}

// A reply for a payload that could not even be decoded is not a verdict on a certificate.
function outcomeOf(res) {
  const codes = (res.reasons || []).map(r => r.code);
  if (res.verdict === 'valid' && codes.includes('scope_not_checked')) return 'choose_unit';
  if (codes.includes('not_yet_obtained')) return 'not_yet';
  if (res.verdict === 'not_valid_here' && codes.includes('unit_unknown')) return 'unit_unknown';
  if (res.verdict === 'invalid' && codes.length && codes.every(c => c === 'malformed' || c === 'status_stale')) return 'incomplete';
  return res.verdict;
}
const PRINTABLE = ['valid', 'not_valid_here', 'superseded', 'revoked', 'invalid', 'not_yet'];
function isProvince(res) { return !!(res && res.certificate && res.certificate.track === 'province'); }
// whether the answer waits on the unit (a basic-level title still in force)
function dependsOnUnit(res) {
  return !!(res && res.certificate && !isProvince(res) &&
            ['valid', 'not_valid_here', 'choose_unit', 'unit_unknown', 'not_yet'].includes(outcomeOf(res)));
}
// the unit the reply speaks of, named as the server knows it
function replyUnit(res, unit = S.unit) {
  if (!unit) return null;
  const name = res && res.unit && res.unit.name ? res.unit.name : unit.name;
  return { uscc: unit.uscc, name };
}

// ---- the verdict area -----------------------------------------------------------------------

// head and "where" of a verdict; zh puts where first ("在 X" / "不适用"), en after
function verdictParts(res) {
  const L = t();
  const o = outcomeOf(res);
  const u = replyUnit(res);
  let where = null;
  switch (o) {
  case 'valid':
    where = u ? withNode(L.where.at, unitNode(u)) : isProvince(res) ? [L.where.anyUnit] : null;
    break;
  case 'not_valid_here':
    where = u ? withNode(L.where.at, unitNode(u)) : null;
    break;
  case 'unit_unknown': where = u ? [unitNode(u)] : null; break; // the unit, then what is open about it
  case 'choose_unit': where = [L.where.basic]; break;
  case 'revoked': where = [L.where.anywhere]; break;
  case 'superseded': where = [L.where.replaced]; break;
  case 'invalid': where = [L.where.notGenuine]; break;
  default: where = null;
  }
  return { cls: o, head: L.head[o] || L.head.invalid, where };
}

function fillVerdict(box, cls, head, where, whereFirst = false) {
  box.className = 'verdict ' + cls;
  const h = el('span', 'head', head);
  const w = where ? el('span', 'where', ...where) : null;
  // (a space between the two, for what reads the text rather than sees the blocks)
  const parts = (lang === 'zh' || whereFirst ? [w, h] : [h, w]).filter(Boolean);
  box.replaceChildren(...parts.flatMap((p, i) => i ? [' ', p] : [p]));
}

// why, as parts (strings and nodes: a unit's name is marked Chinese in the English page)
function reasonLine(res, unit = S.unit) {
  const L = t();
  const o = outcomeOf(res);
  const u = replyUnit(res, unit);
  const shown = (res.reasons || []).filter(r => r.code !== 'scope_not_checked');
  if (o === 'valid') {
    const notes = shown.filter(r => ['status_stale', 'revoked_later', 'superseded_later'].includes(r.code));
    const base = u ? withNode(L.validAt, unitQuoted(u)) : [isProvince(res) ? L.validAny : L.validNoUnit];
    // Chinese sentences end in 。 and need no space between them; English ones do
    return [...base, ...notes.map(r => (lang === 'zh' ? '' : ' ') + sentence(r))];
  }
  if (o === 'choose_unit') return [L.chooseWhy(res.scope_text ? res.scope_text[lang] : '')];
  if (o === 'unit_unknown') return withNode(L.unknownWhy, unitQuoted(u));
  if (o === 'revoked' && res.revoked)
    return [L.revokedWhy(L.reasons[res.revoked.reason] || res.revoked.reason, res.revoked.since)];
  if (o === 'superseded' && res.superseded) return [L.supersededWhy(res.superseded.since, res.superseded.successor)];
  const main = shown.find(r => r.code !== 'status_stale') || shown[0];
  return [main ? sentence(main) : ''];
}

// A superseded certificate's answer is its successor's, as the server gives it
// (superseded.successor_verdict): the successor of a conversion or 转评 is a province-wide title,
// so the server knows from its status alone whether it is valid at any unit, revoked or
// superseded on the day asked.
function successorState(sp) {
  const sv = sp && sp.successor_verdict && sp.successor_verdict.verdict;
  return { valid: 'in_force', revoked: 'revoked', superseded: 'superseded' }[sv] || 'unknown';
}
function renderSuccessor(res) {
  const box = $('successor');
  const sp = res.superseded;
  if (outcomeOf(res) !== 'superseded' || !sp) { box.hidden = true; box.replaceChildren(); return; }
  const L = t().successor;
  const u = replyUnit(res);
  const st = successorState(sp);
  let cls, text;
  if (st === 'in_force') { cls = 'valid'; text = u ? withNode(L.valid, unitNode(u)) : [L.valid('')]; }
  else if (st === 'revoked') { cls = 'revoked'; text = [L.revoked]; }
  else if (st === 'superseded') { cls = 'superseded'; text = [L.superseded]; }
  else { cls = 'unknown'; text = [L.unknown]; }
  box.className = 'successor ' + cls;
  const head = el('span', 'succ-id', L.head(sp.successor));
  const line = el('span', 'succ-verdict', ...text);
  box.replaceChildren(head, line, st === 'in_force' ? el('span', 'succ-note', L.note) : '');
  box.hidden = false;
}

function renderDetails(res) {
  const L = t();
  const o = outcomeOf(res);
  const dl = $('details'), tech = $('tech'), rec = $('record'), tl = $('timeline');
  dl.replaceChildren(); tech.replaceChildren(); rec.replaceChildren(); tl.replaceChildren();
  const c = res.certificate;
  const inForce = ['valid', 'not_valid_here', 'choose_unit', 'unit_unknown', 'not_yet'].includes(o);
  const zhPage = lang === 'zh';
  if (c) {
    if (res.revoked)
      add(dl, L.revokedAs, (L.reasons[res.revoked.reason] || res.revoked.reason) + L.since(res.revoked.since));
    const holder = add(dl, L.holder, zh(c.name), zhPage ? `（${c.id_number_masked}）` : ` (${c.id_number_masked})`);
    if (holder) holder.append(el('span', 'id-check', L.idCheck(c.id_mask || String(c.id_number_masked).slice(-4))));
    if (zhPage) add(dl, L.title, zh(`${c.series_name} ${c.title}（${c.level_name}）`));
    else add(dl, L.title, `${c.title_en || c.title}, ${c.series_name_en || c.series_name} (${c.level_name_en || c.level_name})`);
    add(dl, L.specialty, zh(c.specialty));
    add(dl, L.track, zhPage ? c.track_name : (c.track_name_en || c.track));
    add(dl, L.method, zhPage ? c.method_name : (c.method_name_en || c.method));
    add(dl, L.obtained, c.obtained);
    // a revoked or superseded certificate is not shown as if it were still in force
    if (inForce) add(dl, L.validity, L.lifelong);
    add(dl, L.id, String(c.id));
    if (inForce) add(dl, L.scope, res.scope_text ? res.scope_text[lang] : L.anywhere);
    if (res.issuer && res.issuer.name) add(dl, L.issuer, zh(res.issuer.name));
    if (res.register) add(dl, L.register, L.registered);
    const step = (text, done) => tl.append(el('li', done ? 'done' : null, text));
    if (c.conversion && c.conversion.earliest && o === 'revoked') {
      step(`${L.tl.start} ${c.tenure_start}`, true); // a revoked title has no conversion ahead
    } else if (c.conversion && c.conversion.earliest) {
      step(`${L.tl.start} ${c.tenure_start}`, true);
      const need = L.tl.need(c.conversion.months_required, c.conversion.ce_hours_per_year);
      step(zhPage ? `${L.tl.earliest} ${c.conversion.earliest}（${need}）` : `${L.tl.earliest}: ${c.conversion.earliest} (${need})`, !!res.superseded);
      if (res.superseded) step(L.tl.converted(res.superseded.successor, res.superseded.since, successorState(res.superseded)), true);
    } else if (c.conversion && c.conversion.predecessor) {
      step(L.tl.from(c.conversion.predecessor), true);
      step(`${L.tl.start} ${c.conversion.carried_tenure_start}`, true);
    }
  }
  tl.hidden = !tl.children.length;
  tl.setAttribute('aria-label', L.tl.label);
  // technical facts: for whoever checks the checking, not for the hiring decision
  if (res.issuer) {
    add(tech, L.keyId, res.issuer.key_id);
    if (res.issuer.term_from) add(tech, L.keyTerm, `${res.issuer.term_from} – ${res.issuer.term_to}`);
  }
  if (res.register) add(tech, L.entry, L.entryOf(Number(res.register.entry) + 1, res.register.tree_size));
  if (res.bundle_version) add(tech, L.statusVersion, String(res.bundle_version));
  const codes = $('codes');
  codes.replaceChildren(...(res.reasons || []).map(r =>
    el('li', null, `${L.code} ${r.code}${r.rule ? `${zhPage ? '，' : ', '}${L.rule} ${r.rule}` : ''}`)));
  if (res.detail && res.detail.error) codes.append(el('li', null, `${L.errorCode} ${res.detail.error}`));
  $('expert').hidden = !tech.children.length && !codes.children.length;
  // the verification record: when, by whom, and how current the status was
  if (res.checked_at) add(rec, L.checkedAt, when(res.checked_at));
  if (res.operator) add(rec, L.operator, res.operator[lang]);
  if (res.contact) add(rec, L.contact, res.contact[lang]);
  if (res.status_updated_at) add(rec, L.statusAt, when(res.status_updated_at));
  $('print').hidden = !PRINTABLE.includes(o) || !rec.children.length;
}

function clearDetails() {
  for (const id of ['details', 'tech', 'codes', 'record', 'timeline', 'next']) $(id).replaceChildren();
  $('timeline').hidden = true;
  $('expert').hidden = true;
  $('print').hidden = true;
  $('successor').hidden = true;
}

function renderNotice(n) {
  const L = t();
  const box = $('verdict');
  clearDetails();
  $('outcome').hidden = false;
  $('explain').hidden = false;
  let why = '', steps = [];
  if (n.kind === 'pending') {
    fillVerdict(box, 'pending', L.head.pending, null);
  } else if (n.kind === 'number') {
    [why, steps] = L.notices.number(n.n);
    fillVerdict(box, 'notice', L.head.number, null);
  } else if (n.kind === 'unrecognised' || n.kind === 'incomplete') {
    [why, steps] = L.notices[n.kind];
    fillVerdict(box, 'notice', L.head[n.kind], null);
  } else { // an error, or nothing entered
    why = n.kind === 'empty' ? L.emptyInput : n.kind === 'pick' ? L.pickUnit : errorText(n);
    fillVerdict(box, 'notice error', L.head.error, null);
    if (n.code) $('codes').append(el('li', null, `${L.errorCode} ${n.code}${n.status ? ` (HTTP ${n.status})` : ''}`));
    $('expert').hidden = !n.code;
  }
  $('why').textContent = why;
  $('next').replaceChildren(...steps.map(s => el('li', null, s)));
  const canRetry = n.code && retryable(n.code, n.status) && S.retry;
  $('retry-row').hidden = !canRetry;
  updateWait();
}

// the countdown before 重试 after 429 (or a server that says Retry-After)
let waitTimer = 0;
function updateWait() {
  const n = S.notice;
  const btn = $('retry');
  if (!n || !n.wait || !n.until) { btn.disabled = false; $('wait').textContent = ''; return; }
  const left = Math.ceil((n.until - Date.now()) / 1000);
  if (left > 0) {
    btn.disabled = true;
    $('wait').textContent = t().waitFor(left);
    clearTimeout(waitTimer);
    waitTimer = setTimeout(updateWait, 1000);
  } else {
    btn.disabled = false;
    $('wait').textContent = t().retryNow;
  }
}

function renderResult() {
  const res = S.res;
  const L = t();
  const box = $('verdict');
  $('outcome').hidden = false;
  $('explain').hidden = false;
  const p = verdictParts(res);
  fillVerdict(box, p.cls, p.head, p.where, p.cls === 'unit_unknown');
  $('why').replaceChildren(...reasonLine(res));
  const o = outcomeOf(res);
  $('next').replaceChildren(...(o === 'unit_unknown' ? L.unknownNext : []).map(s => el('li', null, s)));
  $('retry-row').hidden = true;
  renderSuccessor(res);
  renderDetails(res);
}

// the unit line and picker, where they are shown
function renderUnitArea() {
  const L = t();
  const hasResult = S.view === 'verdict' && S.res;
  const o = hasResult ? outcomeOf(S.res) : null;
  const mustChoose = S.mode === 'single' && o === 'choose_unit';
  // open where the unit is asked for; elsewhere a line names it (or says none) with a button
  const open = S.editing || mustChoose || (!S.unit && (S.mode === 'batch' || S.view === 'idle'));
  // a check that was not made needs no unit; one chosen before is still named
  const quiet = S.mode === 'single' && !S.unit && !S.editing &&
    (S.view === 'notice' || (hasResult && ['revoked', 'invalid'].includes(o)));
  $('unit-area').hidden = quiet;
  $('unit-line').hidden = open && !S.unit;
  const shown = $('unit-shown');
  if (S.unit) {
    const u = hasResult ? replyUnit(S.res) : S.unit;
    const bits = [unitNode(u)];
    if (u.name) bits.push(el('span', 'unit-code', u.uscc));
    shown.replaceChildren(...bits);
  } else {
    shown.textContent = L.noUnit;
  }
  $('unit-picker').hidden = !open;
  $('change-unit').hidden = open;
  $('change-unit').textContent = S.unit ? L.changeUnit : L.chooseUnit;
  $('change-unit').setAttribute('aria-expanded', String(open));
  $('unit-cancel').hidden = !(S.editing && S.unit);
  $('unit-clear').hidden = !(S.editing && S.unit);
  $('unit-label').textContent = $('unit-label').dataset[lang] +
    (S.mode === 'single' && !hasResult && !S.unit ? L.optional : '');
  // the verdict stays while the unit is edited, dimmed when it depends on the unit
  const dim = S.editing && hasResult && S.mode === 'single' && dependsOnUnit(S.res);
  $('outcome').classList.toggle('dimmed', !!dim || (S.view === 'pending' && S.keepShown));
  const note = $('editing-note');
  if (S.editing && hasResult && S.mode === 'single' && S.res.certificate) {
    note.textContent = isProvince(S.res) ? L.editingProvince : dependsOnUnit(S.res) ? L.editing : '';
    note.hidden = !note.textContent;
  } else {
    note.hidden = true;
  }
}

function render() {
  if (S.mode === 'single') {
    if (S.view === 'verdict' && S.res) renderResult();
    else if (S.view === 'notice' || S.view === 'pending') {
      if (!(S.view === 'pending' && S.keepShown)) renderNotice(S.view === 'pending' ? { kind: 'pending' } : S.notice);
    } else {
      $('outcome').hidden = true;
      $('explain').hidden = true;
      clearDetails();
    }
  }
  renderTrust();
  renderUnitArea();
  if (S.mode === 'batch') renderBatch();
}

// the operator and its contact, as the server names them: header and footer
function renderTrust() {
  const op = S.operator && S.operator[lang];
  $('operator-line').textContent = op || '';
  $('operator-line').hidden = !op;
  $('footer-operator').textContent = op ? t().runBy(op) : '';
  $('footer-operator').hidden = !op;
  const ct = S.contact && (typeof S.contact === 'string' ? S.contact : S.contact[lang]);
  $('footer-contact').textContent = ct ? `${t().contact}${lang === 'zh' ? '：' : ': '}${ct}` : '';
  $('footer-contact').hidden = !ct;
}

function noteReply(res) {
  if (res && res.operator) S.operator = res.operator;
  if (res && res.contact) S.contact = res.contact;
}

// who runs the service and how to reach it, before any check (GET /api/v1/service); without an
// answer the header and footer wait for the first verdict, which names them too
async function loadService() {
  try {
    noteReply(await call('/api/v1/service'));
    renderTrust();
  } catch (e) { /* shown from the first verdict instead */ }
}

function focusVerdict() {
  $('result').scrollIntoView({ block: 'start' });
  $('verdict').focus();
}

// ---- checking one certificate ---------------------------------------------------------------

function showNotice(n, focus = true) {
  S.view = 'notice';
  S.notice = n;
  S.res = null;
  S.keepShown = false;
  if (n.code === 'too_many_requests' || n.retryAfter) {
    n.wait = n.retryAfter || DEFAULT_WAIT;
    n.until = Date.now() + n.wait * 1000;
  }
  $('error').textContent = '';
  render();
  if (focus) focusVerdict();
}

function noticeFromError(e, extra = {}) {
  return { kind: 'error', code: e.code, status: e.status, body: e.body, retryAfter: e.retryAfter, ...extra };
}

// focus: false when the check follows the unit picker's own focus handling
async function verify(text, { focus = true, keep = false } = {}) {
  const c = classify(text);
  if (c.kind !== 'payload') {
    S.payload = null;
    S.retry = null;
    S.editing = false;
    showNotice({ kind: c.kind, n: c.n }, focus);
    return;
  }
  S.payload = c.payload;
  S.retry = () => verify(c.payload, { focus: true });
  const my = ++S.gen;
  // a new certificate replaces the answer; a new unit for the same one keeps it, dimmed, until
  // the new answer is there
  S.keepShown = keep && S.view === 'verdict';
  S.view = 'pending';
  render();
  try {
    const res = await call('/api/v1/verify', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ payload: c.payload, unit: S.unit ? S.unit.uscc : undefined }),
    });
    if (my !== S.gen) return;
    noteReply(res);
    S.keepShown = false;
    if (outcomeOf(res) === 'incomplete') {
      showNotice({ kind: 'incomplete' }, focus);
      return;
    }
    S.res = res;
    S.view = 'verdict';
    if (S.unit && res.unit && res.unit.name && !S.unit.name) { S.unit.name = res.unit.name; saveUnit(); }
    render();
    if (focus) focusVerdict();
  } catch (e) {
    if (my === S.gen) showNotice(noticeFromError(e), focus);
  }
}

async function verifyImage(file) {
  const my = ++S.gen;
  S.retry = () => verifyImage(file);
  S.editing = false;
  if (!/^image\/(png|jpeg)$/.test(file.type || '')) {
    showNotice({ kind: 'error', code: 'unsupported_image' });
    return;
  }
  S.keepShown = false;
  S.view = 'pending';
  render();
  try {
    const q = S.unit ? `?unit=${encodeURIComponent(S.unit.uscc)}` : '';
    const res = await call(`/api/v1/verify-image${q}`, { method: 'POST', body: file });
    if (my !== S.gen) return;
    noteReply(res);
    if (res.payload) { S.payload = res.payload; S.retry = () => verify(res.payload); }
    if (outcomeOf(res) === 'incomplete') { showNotice({ kind: 'incomplete' }); return; }
    S.res = res;
    S.view = 'verdict';
    render();
    focusVerdict();
  } catch (e) {
    if (my === S.gen) showNotice(noticeFromError(e, { image: true }));
  }
}

// ---- the unit picker ------------------------------------------------------------------------
// An in-page list (ARIA combobox + listbox), filled from GET /api/v1/units?q=, which matches as
// HR staff type: a piece of the name, its characters in order, pinyin initials, a code prefix.

let searchTimer = 0, searchGen = 0, options = [], active = -1;

function openPicker() {
  S.editing = true;
  const input = $('unit');
  input.value = '';
  setOptions([], '');
  render();
  input.focus();
}
function closePicker() {
  S.editing = false;
  setOptions([], '');
  render();
}

async function searchUnits(raw) {
  const L = t();
  const q = raw.replace(/[\s\u3000]+/g, '');
  const my = ++searchGen;
  const code = q.toUpperCase();
  if (!q) { setOptions([], ''); return; }
  if (/^[0-9A-Za-z]{18}$/.test(q) && !/^[0-9A-HJ-NP-RTUWXY]{18}$/.test(code)) { setOptions([], () => t().errors.bad_unit); return; }
  if ([...q].length < 2 && !/[\u3400-\u9fff]/.test(q)) { setOptions([], ''); return; }
  setStatus(() => t().searching);
  let units = [], more = false;
  try {
    // the server matches a piece of the name, its characters in order (省医院), pinyin initials
    // (srmyy) and the start of the code, best first
    const res = await call(`/api/v1/units?q=${encodeURIComponent(q)}`);
    units = Array.isArray(res.units) ? res.units : [];
    more = !!res.more;
  } catch (e) {
    if (my !== searchGen) return;
    if (e.code !== 'bad_query') { const n = noticeFromError(e); setOptions([], () => errorText(n)); return; }
  }
  if (my !== searchGen) return;
  const list = units.slice(0, 20).map(u => ({ uscc: u.uscc, name: u.name, tier: u.tier, basic: u.basic_level }));
  // a whole, well-formed code is a choice of its own (a unit outside the directory)
  if (/^[0-9A-HJ-NP-RTUWXY]{18}$/.test(code) && !list.some(u => u.uscc === code)) {
    if (usccCheck(code)) list.unshift({ uscc: code, byCode: true });
    else if (!list.length) { setOptions([], () => t().codeBad); return; }
  }
  setOptions(list, () => list.length ? t().found(list.length) + (more ? ' ' + t().more : '')
    : t().notFound(q));
  // a whole code that names one unit is taken at once, as typed
  if (/^[0-9A-HJ-NP-RTUWXY]{18}$/.test(code) && list.length && list[0].uscc === code &&
      document.activeElement === $('unit')) choose(list[0]);
}

// what the unit field says (found, not found, searching): kept as a function of the language, so
// that switching language says it again in the other
let statusOf = null;
function setStatus(fn) {
  statusOf = typeof fn === 'function' ? fn : null;
  $('unit-status').textContent = statusOf ? statusOf() : fn || '';
}

function setOptions(list, status) {
  const L = t();
  options = list;
  active = -1;
  const ul = $('unit-options');
  ul.replaceChildren(...list.map((u, i) => {
    const li = el('li', 'option');
    li.id = `unit-opt-${i}`;
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', 'false');
    if (u.byCode) {
      li.append(el('span', 'opt-name', L.useCode(u.uscc)));
    } else {
      const meta = [u.uscc, L.tiers[u.tier] || u.tier, u.basic === true ? L.basicYes : u.basic === false ? L.basicNo : '']
        .filter(Boolean).join(' · ');
      li.append(el('span', 'opt-name', zh(u.name)), el('span', 'opt-meta', meta));
    }
    li.addEventListener('mousedown', e => e.preventDefault()); // keep the focus in the field
    li.addEventListener('click', () => choose(u));
    return li;
  }));
  ul.hidden = !list.length;
  $('unit').setAttribute('aria-expanded', String(!!list.length));
  $('unit').removeAttribute('aria-activedescendant');
  setStatus(status || '');
}

function moveActive(d) {
  if (!options.length) return;
  active = (active + d + options.length) % options.length;
  [...$('unit-options').children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
  const li = $(`unit-opt-${active}`);
  $('unit').setAttribute('aria-activedescendant', li.id);
  li.scrollIntoView({ block: 'nearest' });
}

function choose(u) {
  S.unit = { uscc: u.uscc, name: u.byCode ? '' : u.name || '' };
  saveUnit();
  $('unit').value = '';
  setOptions([], '');
  S.editing = false;
  if (S.mode === 'single' && S.payload) {
    verify(S.payload, { focus: true, keep: true });
  } else {
    render();
    $('change-unit').focus();
  }
}

function unitKey(e) {
  if (e.key === 'ArrowDown') { e.preventDefault(); moveActive(1); }
  else if (e.key === 'ArrowUp') { e.preventDefault(); moveActive(-1); }
  else if (e.key === 'Enter') {
    e.preventDefault();
    if (active >= 0) choose(options[active]);
    else if (options.length === 1 || (options[0] && options[0].byCode)) choose(options[0]);
    else if (!$('unit').value.trim()) setStatus(() => t().pickUnit);
  } else if (e.key === 'Escape') {
    if (options.length) setOptions([], '');
    else if (S.editing && S.unit) { closePicker(); $('change-unit').focus(); }
  }
}

function unitInput() {
  clearTimeout(searchTimer);
  const v = $('unit').value;
  searchTimer = setTimeout(() => searchUnits(v), 200);
}

// ---- the batch check ------------------------------------------------------------------------
// Up to 50 QR images or links, one unit for all, two at a time (the server's image queue holds
// eight); nothing is kept: the table lives in this page only.

const BATCH_MAX = 50, BATCH_PARALLEL = 2;
// msg and progress are functions of the language, so that a switch says them again
const B = { files: [], rows: [], running: false, at: null, unit: null, msg: null, progress: null };

function batchItems() {
  const lines = $('batch-links').value.split(/\n/).map((s, i) => ({ line: i + 1, text: s.trim() })).filter(l => l.text);
  return [...B.files.map(f => ({ file: f })), ...lines];
}

const UNREADABLE = ['no_qr_code', 'unsupported_image', 'image_too_slow', 'too_large'];
function rowOutcome(r) {
  if (r.res) return outcomeOf(r.res);
  if (!r.notice) return 'pending';
  if (r.notice.kind === 'error') return UNREADABLE.includes(r.notice.code) ? 'unrecognised' : 'error';
  return r.notice.kind;
}

async function batchOne(item, unit) {
  const row = { item };
  let attempt = 0;
  for (;;) {
    try {
      let res;
      if (item.file) {
        if (!/^image\/(png|jpeg)$/.test(item.file.type || '')) throw new CallError('unsupported_image', 415);
        res = await call(`/api/v1/verify-image?unit=${encodeURIComponent(unit.uscc)}`, { method: 'POST', body: item.file });
      } else {
        const c = classify(item.text);
        if (c.kind !== 'payload') { row.notice = { kind: c.kind, n: c.n }; return row; }
        res = await call('/api/v1/verify', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ payload: c.payload, unit: unit.uscc }),
        });
      }
      noteReply(res);
      if (outcomeOf(res) === 'incomplete') row.notice = { kind: 'incomplete' };
      else row.res = res;
      return row;
    } catch (e) {
      // a busy server is waited for, a few times; anything else is the row's answer
      if (['busy', 'too_many_requests', 'network'].includes(e.code) && attempt < 4) {
        attempt++;
        await new Promise(ok => setTimeout(ok, (e.retryAfter || attempt) * 1000));
        continue;
      }
      row.notice = noticeFromError(e, { image: !!item.file });
      return row;
    }
  }
}

async function runBatch() {
  B.msg = null;
  renderBatch();
  if (B.running) return;
  const say = fn => { B.msg = fn; renderBatch(); };
  if (!S.unit) { say(() => t().batch.needUnit); openPicker(); return; }
  const items = batchItems();
  if (!items.length) { say(() => t().batch.nothing); return; }
  if (items.length > BATCH_MAX) { say(() => t().batch.tooMany(items.length)); return; }
  B.running = true;
  B.unit = { ...S.unit };
  B.rows = new Array(items.length);
  B.at = new Date().toISOString();
  $('batch-run').disabled = true;
  let next = 0, done = 0;
  const progress = () => { B.progress = () => t().batch.progress(done, items.length); renderBatch(); };
  progress();
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      B.rows[i] = await batchOne(items[i], B.unit);
      done++;
      progress();
    }
  };
  await Promise.all(Array.from({ length: BATCH_PARALLEL }, worker));
  B.running = false;
  $('batch-run').disabled = false;
  B.progress = () => t().batch.done(items.length);
  render(); // the table, and the operator the replies named in header and footer
  $('batch-summary').focus();
}

function rowText(r) {
  const L = t();
  const o = rowOutcome(r);
  const c = r.res && r.res.certificate;
  const src = r.item.file ? L.batch.image(r.item.file.name) : L.batch.line(r.item.line);
  let verdict, reason;
  if (r.res) {
    verdict = L.head[o] || o;
    if (o === 'superseded' && r.res.superseded) {
      const st = successorState(r.res.superseded);
      verdict += lang === 'zh' ? `（新证书${st === 'in_force' ? '有效' : st === 'revoked' ? '已撤销' : '需核验'}）`
        : ` (new certificate ${st === 'in_force' ? 'valid' : st === 'revoked' ? 'revoked' : 'to be checked'})`;
    }
    reason = plain(reasonLine(r.res, B.unit)); // the row speaks of the batch's unit
  } else {
    const n = r.notice;
    // an image with no readable QR code is, like other text, not a certificate: not checked
    if (n.kind === 'error' && UNREADABLE.includes(n.code)) { verdict = L.head.unrecognised; reason = errorText(n); }
    else if (n.kind === 'error') { verdict = L.head.error; reason = errorText(n); }
    else if (n.kind === 'number') { verdict = L.head.number; reason = L.notices.number(n.n)[0]; }
    else { verdict = L.head[n.kind] || L.head.unrecognised; reason = (L.notices[n.kind] || L.notices.unrecognised)[0]; }
  }
  const title = c ? (lang === 'zh' ? `${c.series_name} ${c.title}（${c.level_name}）`
    : `${c.title_en || c.title}, ${c.series_name_en || c.series_name} (${c.level_name_en || c.level_name})`) : '';
  return { o, src, holder: c ? c.name : '', idm: c ? c.id_number_masked : '', title, id: c ? String(c.id) : '', verdict, reason };
}

function renderBatch() {
  const L = t();
  $('batch-msg').textContent = B.msg ? B.msg() : '';
  $('batch-progress').textContent = B.progress ? B.progress() : '';
  $('batch-files-note').textContent = B.files.length ? L.batch.files(B.files.length) : '';
  const out = $('batch-out');
  if (!B.rows.length || B.running) { out.hidden = true; return; }
  out.hidden = false;
  const u = unitText(B.unit);
  const count = { total: B.rows.length, valid: 0, not_valid_here: 0, unit_unknown: 0, superseded: 0, revoked: 0, invalid: 0, none: 0 };
  const tbody = $('batch-rows');
  tbody.replaceChildren(...B.rows.map((r, i) => {
    const x = rowText(r);
    if (x.o in count && x.o !== 'total' && x.o !== 'none') count[x.o]++;
    else if (x.o === 'not_yet') count.not_valid_here++;
    else count.none++;
    const tr = el('tr', 'row-' + x.o);
    const cell = (label, ...kids) => { const td = el('td', null, ...kids); td.dataset.label = label; return td; };
    const H = lang === 'zh' ? ['序号', '持证人', '职称', '核验结果', '原因'] : ['No.', 'Holder', 'Title', 'Result', 'Reason'];
    tr.append(
      cell(H[0], String(i + 1), el('span', 'src', x.src)),
      cell(H[1], x.holder ? zh(x.holder) : '—', x.idm ? el('span', 'src', x.idm) : ''),
      cell(H[2], x.title ? (lang === 'zh' ? zh(x.title) : x.title) : '—', x.id ? el('span', 'src', (lang === 'zh' ? '编号 ' : 'no. ') + x.id) : ''),
      cell(H[3], el('span', 'tag ' + x.o, x.verdict)),
      cell(H[4], x.reason));
    return tr;
  }));
  $('batch-summary').textContent = L.batch.summary(count);
  $('batch-summary').setAttribute('tabindex', '-1');
  $('batch-meta').textContent = L.batch.meta(u, when(B.at), S.operator ? S.operator[lang] : '');
  $('batch-caption').textContent = L.batch.caption(u);
  $('batch-verdict-head').textContent = L.batch.verdictHead(u);
}

function csvCell(v) {
  let s = String(v == null ? '' : v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s; // a spreadsheet must not read a cell as a formula
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
function exportCsv() {
  const L = t().batch;
  const u = unitText(B.unit);
  const at = when(B.at);
  const lines = [L.csvHead.map(csvCell).join(',')];
  B.rows.forEach((r, i) => {
    const x = rowText(r);
    lines.push([i + 1, x.src, x.holder, x.idm, x.title, x.id, u, x.verdict, x.reason, at].map(csvCell).join(','));
  });
  // with a byte-order mark, so that spreadsheet programs read the Chinese as UTF-8
  const blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = L.csvName(B.at.slice(0, 10));
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ---- modes, language, start -----------------------------------------------------------------

function setMode(mode) {
  S.mode = mode;
  document.body.classList.toggle('mode-batch', mode === 'batch');
  $('single').hidden = mode !== 'single';
  $('batch').hidden = mode !== 'batch';
  $(mode === 'single' ? 'mode-single' : 'mode-batch').setAttribute('aria-current', 'page');
  $(mode === 'single' ? 'mode-batch' : 'mode-single').removeAttribute('aria-current');
  // one picker: in the card whose answer it decides
  const slot = mode === 'batch' ? $('batch-unit-slot') : $('unit-slot');
  if ($('unit-area').parentNode !== slot) slot.append($('unit-area'));
  S.editing = false;
  render();
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-zh]').forEach(e => { e.textContent = e.dataset[lang]; });
  $('lang').textContent = lang === 'zh' ? 'EN' : '中文';
  $('lang').lang = lang === 'zh' ? 'en' : 'zh-CN';
  $('lang').setAttribute('aria-label', lang === 'zh' ? 'EN (English)' : '中文 (Chinese)');
  $('modes').setAttribute('aria-label', lang === 'zh' ? '核验方式' : 'How to check');
  document.title = $('title').textContent;
  render();
  if (options.length || statusOf) setOptions(options, statusOf); // the list speaks it too
}

function route() {
  const h = decodeURIComponent(location.hash.slice(1));
  if (h === 'batch') { setMode('batch'); return; }
  if (S.mode !== 'single') setMode('single');
  if (h.length > 0) verify(h);
}

async function scan() {
  const video = $('camera');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (e) {
    $('error').textContent = t().camera;
    return;
  }
  const detector = new BarcodeDetector({ formats: ['qr_code'] });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const stop = () => { stream.getTracks().forEach(tr => tr.stop()); video.hidden = true; };
  const tick = async () => {
    const codes = await detector.detect(video).catch(() => []);
    if (codes.length) {
      stop();
      $('paste').value = codes[0].rawValue;
      verify(codes[0].rawValue);
    } else if (!video.hidden) {
      requestAnimationFrame(tick);
    }
  };
  tick();
}

document.addEventListener('DOMContentLoaded', () => {
  S.unit = loadUnit();
  $('unit-slot').append($('unit-area'));
  applyLang();
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('tc-lang', lang);
    applyLang();
  });
  $('unit').addEventListener('input', unitInput);
  $('unit').addEventListener('keydown', unitKey);
  // the list closes when the focus leaves the field (a click on an option keeps it there)
  $('unit').addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== $('unit') && options.length) setOptions([], '');
  }, 150));
  $('change-unit').addEventListener('click', openPicker);
  $('unit-cancel').addEventListener('click', () => { closePicker(); $('change-unit').focus(); });
  $('unit-clear').addEventListener('click', () => {
    S.unit = null;
    saveUnit();
    S.editing = false;
    if (S.mode === 'single' && S.payload) verify(S.payload, { focus: true });
    else render();
  });
  // the open answer "choose the unit" is no button, but tapping it leads to the field
  $('verdict').addEventListener('click', () => {
    if (!$('unit-picker').hidden) $('unit').focus();
  });
  $('retry').addEventListener('click', () => { if (S.retry) S.retry(); });
  $('check').addEventListener('click', () => verify($('paste').value));
  $('print').addEventListener('click', () => window.print());
  $('paste').addEventListener('keydown', e => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); verify($('paste').value); } });
  $('file').addEventListener('change', e => { if (e.target.files[0]) verifyImage(e.target.files[0]); });
  if ('BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    $('scan').hidden = false;
    $('scan').addEventListener('click', scan);
  } else { // no live scanning (iPhone Safari): the camera through a photo that is uploaded
    $('photo-label').hidden = false;
  }
  $('photo').addEventListener('change', e => { if (e.target.files[0]) verifyImage(e.target.files[0]); });
  $('batch-files').addEventListener('change', e => { B.files = [...e.target.files]; B.msg = null; renderBatch(); });
  $('batch-run').addEventListener('click', runBatch);
  $('batch-clear').addEventListener('click', () => {
    B.files = []; B.rows = []; $('batch-files').value = ''; $('batch-links').value = '';
    B.msg = null; B.progress = null;
    renderBatch();
  });
  $('batch-print').addEventListener('click', () => window.print());
  $('batch-csv').addEventListener('click', exportCsv);
  window.addEventListener('hashchange', route);
  route();
  loadService();
});
