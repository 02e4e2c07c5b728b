// titlecert public verification page. No framework, no third-party code, no request to any host
// but this one. Chinese first, English on request; the employer is remembered on this device.
'use strict';

const T = {
  zh: {
    verdict: { valid: '有效', not_valid_here: '在本单位不适用', superseded: '已换发', revoked: '已撤销', invalid: '无效' },
    notYet: '当日尚未取得',
    chooseUnit: '请选择用人单位', chooseWhy: scope => `证书真实有效，但这是基层职称，${scope}。请在上方输入您的单位，核验在本单位是否适用。`,
    pending: '核验中…', notChecked: '未能核验', emptyInput: '请粘贴证书链接或代码，或上传二维码图片。',
    pickUnit: '请从列表中选择单位，或输入18位统一社会信用代码。', keyTerm: '签发密钥核准期限',
    lifelong: '长期有效（职称证书不设有效期）', validity: '证书有效期', rule: '规则', code: '代码',
    checkedAt: '核验时间', operator: '核验服务', statusAt: '状态信息更新于', statusVersion: '状态信息版本',
    holder: '持证人', title: '职称', specialty: '专业', track: '类别', method: '取得方式', obtained: '取得日期',
    tenure: '任职起始', id: '证书编号', issuer: '签发机构', term: '核准期限', scope: '适用范围', unit: '核验单位',
    register: '公共登记册', registered: (n, size) => `已登记（登记册第 ${n} 条，共 ${size} 条）`,
    employer: '签发时用人单位', anywhere: '全省范围有效（任何单位）', scopeOf: (where, tier) => `限${where}${tier}基层单位`,
    tiers: { province: '省级及以下', prefecture: '市（州）级及以下', county: '县级及以下', township: '乡镇', basic: '' },
    onlyUnit: u => `，仅限本单位（${u}）使用`,
    tl: { start: '任职起始', earliest: '最早可申请换发全省统一职称', need: (m, h) => `基层单位累计聘满${m}个月，每年继续教育${h}学时`,
          converted: (id, since, st) => `${since} 已换发为全省统一职称，新证书编号 ${id}（${{ in_force: '新证书有效，全省范围适用', revoked: '新证书已被撤销', superseded: '新证书已再次换发' }[st] || '请核验新证书'}）`, from: id => `由基层职称证书 ${id} 换发，任职年限连续计算` },
    validAt: name => `在「${name}」适用。`, validNoUnit: '证书真实有效。', unknownUnit: '（该单位不在基层单位目录中）',
    searching: '查询中…', noQr: '图片中没有找到二维码。', failed: '核验失败：', camera: '无法打开摄像头。',
    errors: {
      too_large: '内容过长，请只粘贴证书链接或代码。', bad_unit: '单位代码应为18位统一社会信用代码。',
      unit_code_invalid: '单位代码校验位不正确，请核对统一社会信用代码。', bad_date: '日期格式应为 YYYY-MM-DD。',
      bad_json: '请求格式错误。', bad_request: '请求格式错误。', unsupported_image: '请上传 PNG 或 JPEG 图片。',
      no_qr_code: '图片中没有找到二维码。', status_stale: '本服务的证书状态信息已过期，暂时无法核验。',
      staleAt: d => `本服务的证书状态信息已过期（最后更新于 ${d}），暂时无法核验，请稍后再试。`,
      busy: '服务繁忙，请稍后再试。', internal: '服务内部错误，请稍后再试。',
    },
    revokedAs: '撤销', reasons: { fraud: '弄虚作假', error: '差错', other: '其他原因' }, since: d => `（${d}起）`,
  },
  en: {
    verdict: { valid: 'Valid', not_valid_here: 'Not valid at this unit', superseded: 'Superseded', revoked: 'Revoked', invalid: 'Invalid' },
    notYet: 'Not yet obtained on that day',
    chooseUnit: 'Choose your unit', chooseWhy: scope => `The certificate is authentic, but this is a basic-level title: ${scope}. Enter your unit above to check whether it is valid there.`,
    pending: 'Checking…', notChecked: 'Not checked', emptyInput: 'Paste the certificate link or code, or upload a QR image.',
    pickUnit: 'Pick a unit from the list, or enter its 18-character unified social credit code.', keyTerm: 'Signing key approved for',
    lifelong: 'Does not expire (title certificates have no expiry date)', validity: 'Validity', rule: 'rule', code: 'code',
    checkedAt: 'Checked at (time)', operator: 'Service run by', statusAt: 'Status information of', statusVersion: 'Status version',
    holder: 'Holder', title: 'Title', specialty: 'Specialty', track: 'Track', method: 'Obtained by', obtained: 'Obtained',
    tenure: 'Tenure from', id: 'Certificate no.', issuer: 'Issuer', term: 'Approved term', scope: 'Valid at', unit: 'Checked at',
    register: 'Public register', registered: (n, size) => `registered (entry ${n} of ${size})`,
    employer: 'Employer at issue', anywhere: 'any unit in the province', scopeOf: (where, tier) => `basic-level units of ${where}, ${tier}`,
    tiers: { province: 'province level and below', prefecture: 'prefecture level and below', county: 'county level and below', township: 'township units only', basic: 'as the province defines them' },
    onlyUnit: u => `, only at unit ${u}`,
    tl: { start: 'Tenure starts', earliest: 'Earliest exchange for a province-wide title', need: (m, h) => `${m} months at basic-level units, ${h} h/year continuing education`,
          converted: (id, since, st) => `${since}: exchanged for province-wide certificate ${id} (${{ in_force: 'the new certificate is in force, valid at any unit', revoked: 'the new certificate has been revoked', superseded: 'the new certificate was exchanged again' }[st] || 'check the new certificate'})`, from: id => `Exchanged from basic-level certificate ${id}; tenure carried over` },
    validAt: name => `Valid at ${name}.`, validNoUnit: 'The certificate is authentic and in force.', unknownUnit: ' (not in the basic-level unit directory)',
    searching: 'Searching…', noQr: 'No QR code found in the image.', failed: 'Check failed: ', camera: 'The camera could not be opened.',
    errors: {
      too_large: 'Too long: paste only the certificate link or code.', bad_unit: 'A unit code has 18 characters (unified social credit code).',
      unit_code_invalid: 'The unit code\'s check character is wrong: check the unit code.', bad_date: 'Dates are written YYYY-MM-DD.',
      bad_json: 'The request was malformed.', bad_request: 'The request was malformed.', unsupported_image: 'Upload a PNG or JPEG image.',
      no_qr_code: 'No QR code found in the image.', status_stale: 'This service\'s status information is out of date; it cannot verify now.',
      staleAt: d => `This service's status information is out of date (last updated ${d}); it cannot verify now. Try again later.`,
      busy: 'The service is busy; try again shortly.', internal: 'Internal error; try again shortly.',
    },
    revokedAs: 'Revoked', reasons: { fraud: 'fraud', error: 'error', other: 'other' }, since: d => ` (from ${d})`,
  },
};

const $ = id => document.getElementById(id);
let lang = localStorage.getItem('tc-lang') === 'en' ? 'en' : 'zh';
let last = null;       // the last payload checked
let lastResult = null;
let gen = 0;           // the newest check: an older answer arriving late is dropped

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-zh]').forEach(el => { el.textContent = el.dataset[lang]; });
  $('lang').textContent = lang === 'zh' ? 'EN' : '中文';
  $('lang').setAttribute('aria-label', lang === 'zh' ? 'EN (English)' : '中文 (Chinese)');
  document.title = $('title').textContent;
  $('timeline').setAttribute('aria-label', lang === 'zh' ? '转换路径' : 'Conversion path');
  if (lastResult) render(lastResult);
}

function unitUscc() {
  const v = $('unit').value.trim().toUpperCase();
  const m = v.match(/[0-9A-HJ-NP-RTUWXY]{18}/);
  return m ? m[0] : '';
}

function add(dl, label, value) {
  if (!value) return;
  const dt = document.createElement('dt');
  const dd = document.createElement('dd');
  dt.textContent = label;
  dd.textContent = value;
  dl.append(dt, dd);
}

function scopeText(c, province) {
  const t = T[lang];
  if (!c.scope) return t.anywhere;
  const where = c.scope.region.length === 2 ? (province || c.scope.region) : `${province || ''} ${c.scope.region}`;
  let s = t.scopeOf(where, t.tiers[c.scope.tier] || c.scope.tier);
  if (c.scope.unit) s += t.onlyUnit(c.scope.unit);
  return s;
}

// server reasons as sentences: an English one gets its capital and full stop
function sentence(r) {
  const text = r[lang] || '';
  if (lang === 'zh') return /[。！？]$/.test(text) ? text : text + '。';
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}

function reasonText(res) {
  const t = T[lang];
  const shown = (res.reasons || []).filter(r => !(res.verdict !== 'valid' && r.code === 'scope_not_checked'));
  if (res.verdict === 'valid') {
    const notes = shown.filter(r => ['scope_not_checked', 'status_stale', 'revoked_later', 'superseded_later'].includes(r.code));
    const base = res.unit && res.unit.name ? t.validAt(res.unit.name) : t.validNoUnit;
    // Chinese sentences end in 。 and need no space between them; English ones do
    return [base, ...notes.map(sentence)].join(lang === 'zh' ? '' : ' ');
  }
  const main = shown.find(r => r.code !== 'status_stale') || shown[0];
  let s = main ? sentence(main) : '';
  if (res.unit && !res.unit.known && !(main && main.code === 'unit_unknown')) s += t.unknownUnit;
  return s;
}

function render(res) {
  lastResult = res;
  const t = T[lang];
  const box = $('verdict');
  box.className = res.verdict;
  const notYet = (res.reasons || []).some(r => r.code === 'not_yet_obtained');
  // a basic-level title checked with no unit is not "valid for you": it asks for the unit
  const chooseUnit = res.verdict === 'valid' && (res.reasons || []).some(r => r.code === 'scope_not_checked');
  box.className = chooseUnit ? 'choose_unit' : res.verdict;
  box.textContent = chooseUnit ? t.chooseUnit : notYet ? t.notYet : (t.verdict[res.verdict] || res.verdict);
  $('why').textContent = chooseUnit ? t.chooseWhy(res.scope_text ? res.scope_text[lang] : '') : reasonText(res);
  const codes = $('codes');
  codes.replaceChildren(...(res.reasons || []).map(r => {
    const li = document.createElement('li');
    li.textContent = `${t.code} ${r.code}${r.rule ? `，${t.rule} ${r.rule}` : ''}`;
    return li;
  }));
  $('expert').hidden = !codes.children.length;
  // the verification record: when, by whom, and how current the status was
  const rec = $('record');
  rec.replaceChildren();
  const when = iso => {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB',
      { timeZone: 'Asia/Shanghai', dateStyle: 'long', timeStyle: 'short' }) + (lang === 'zh' ? '（北京时间）' : ' (Beijing time)');
  };
  if (res.checked_at) add(rec, t.checkedAt, when(res.checked_at));
  if (res.operator) add(rec, t.operator, res.operator[lang]);
  if (res.status_updated_at) add(rec, t.statusAt, when(res.status_updated_at));
  if (res.bundle_version) add(rec, t.statusVersion, String(res.bundle_version));
  $('print').hidden = !rec.children.length;
  const dl = $('details');
  dl.replaceChildren();
  const c = res.certificate;
  const tl = $('timeline');
  tl.replaceChildren();
  if (c) {
    if (res.revoked)
      add(dl, t.revokedAs, (t.reasons[res.revoked.reason] || res.revoked.reason) + t.since(res.revoked.since));
    const zh = lang === 'zh';
    add(dl, t.holder, zh ? `${c.name}（${c.id_number_masked}）` : `${c.name} (${c.id_number_masked})`);
    add(dl, t.title, zh ? `${c.series_name} ${c.title}（${c.level_name}）`
      : `${c.title_en || c.title}, ${c.series_name_en || c.series_name} (${c.level_name_en || c.level_name})`);
    add(dl, t.specialty, c.specialty);
    add(dl, t.track, zh ? c.track_name : (c.track_name_en || c.track));
    add(dl, t.method, zh ? c.method_name : (c.method_name_en || c.method));
    add(dl, t.obtained, c.obtained);
    if (res.verdict !== 'invalid') add(dl, t.validity, t.lifelong);
    add(dl, t.id, String(c.id));
    add(dl, t.scope, res.scope_text ? res.scope_text[lang] : scopeText(c, res.province));
    if (res.unit) add(dl, t.unit, res.unit.name || unitUscc());
    if (res.issuer) {
      add(dl, t.issuer, res.issuer.name || res.issuer.key_id);
      if (res.issuer.term_from) add(dl, t.keyTerm, `${res.issuer.term_from} – ${res.issuer.term_to}`);
    }
    if (res.register) add(dl, t.register, t.registered(res.register.entry, res.register.tree_size));
    const step = (text, done) => {
      const li = document.createElement('li');
      li.textContent = text;
      if (done) li.className = 'done';
      tl.append(li);
    };
    if (c.conversion && c.conversion.earliest && res.verdict === 'revoked') {
      step(`${t.tl.start} ${c.tenure_start}`, true); // a revoked title has no conversion ahead
    } else if (c.conversion && c.conversion.earliest) {
      step(`${t.tl.start} ${c.tenure_start}`, true);
      const need = t.tl.need(c.conversion.months_required, c.conversion.ce_hours_per_year);
      step(lang === 'zh' ? `${t.tl.earliest} ${c.conversion.earliest}（${need}）`
        : `${t.tl.earliest}: ${c.conversion.earliest} (${need})`, !!res.superseded);
      if (res.superseded)
        step(t.tl.converted(res.superseded.successor, res.superseded.since, res.superseded.successor_status), true);
    } else if (c.conversion && c.conversion.predecessor) {
      step(t.tl.from(c.conversion.predecessor), true);
      step(`${t.tl.start} ${c.conversion.carried_tenure_start}`, true);
    }
  }
  tl.hidden = !tl.children.length;
  $('result').hidden = false;
  box.setAttribute('tabindex', '-1');
}

// Every check replaces the verdict area: a pending state while it runs, or why it could not be
// made, brought into view with focus; nothing of an earlier verdict stays on screen.
function showState(kind, message, focus = true) {
  const t = T[lang];
  lastResult = null;
  const box = $('verdict');
  box.className = kind;
  box.textContent = kind === 'pending' ? t.pending : t.notChecked;
  $('why').textContent = message || '';
  $('details').replaceChildren();
  $('timeline').replaceChildren();
  $('timeline').hidden = true;
  $('codes').replaceChildren();
  $('expert').hidden = true;
  $('record').replaceChildren();
  $('print').hidden = true;
  $('error').textContent = '';
  $('result').hidden = false;
  box.setAttribute('tabindex', '-1');
  if (kind !== 'pending' && focus) {
    $('result').scrollIntoView({ block: 'start' });
    box.focus();
  }
}

// what people paste: a link or code broken over lines, with spaces, or a lower-case "tc1:"
function normalisePayload(text) {
  return (text || '').replace(/\s+/g, '').replace(/tc1:/i, 'TC1:');
}

async function call(url, init) {
  const r = await fetch(url, init);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(body.message || String(r.status));
    err.code = body.error;
    err.body = body;
    throw err;
  }
  return body;
}

// focus: false when the check follows the unit field, so that typing there is not interrupted
async function verify(payload, focus = true) {
  const p = normalisePayload(payload);
  if (!p) {
    showState('error', T[lang].emptyInput, focus);
    return;
  }
  last = p;
  const my = ++gen;
  showState('pending');
  try {
    const res = await call('/api/v1/verify', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ payload: last, unit: unitUscc() || undefined }),
    });
    if (my !== gen) return;
    render(res);
    if (focus) {
      $('result').scrollIntoView({ block: 'start' });
      $('verdict').focus();
    }
  } catch (e) {
    if (my === gen) showState('error', errorText(e), focus);
  }
}

// a server error in the page's language, by its stable code; never the server's English text
function errorText(e) {
  const t = T[lang];
  if (e.code === 'status_stale' && e.body && e.body.status_updated_at) {
    const d = new Date(e.body.status_updated_at);
    const when = isNaN(d) ? e.body.status_updated_at
      : d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'long', timeStyle: 'short' });
    return t.errors.staleAt(when);
  }
  return t.errors[e.code] || t.failed + (lang === 'en' ? e.message : String(e.code || e.message));
}

async function verifyImage(file) {
  const my = ++gen;
  showState('pending');
  if (!/^image\/(png|jpeg)$/.test(file.type || '')) {
    showState('error', T[lang].errors.unsupported_image);
    return;
  }
  try {
    const q = unitUscc() ? `?unit=${encodeURIComponent(unitUscc())}` : '';
    const res = await call(`/api/v1/verify-image${q}`, { method: 'POST', body: file });
    if (my !== gen) return;
    if (res.payload) last = res.payload;
    render(res);
    $('result').scrollIntoView({ block: 'start' });
    $('verdict').focus();
  } catch (e) {
    if (my === gen) showState('error', errorText(e));
  }
}

let searchTimer = 0;
function unitInput() {
  const v = $('unit').value.trim();
  if (unitUscc()) {
    localStorage.setItem('tc-unit', $('unit').value.trim());
    if (last) verify(last, false);
    return;
  }
  clearTimeout(searchTimer);
  if (!v) { // the unit cleared: the verdict is no longer for a unit
    localStorage.removeItem('tc-unit');
    if (last) verify(last, false);
    return;
  }
  if (last) { // no verdict for a half-typed unit
    gen++;
    showState('error', T[lang].pickUnit, false);
  }
  if (v.length < 2) return;
  searchTimer = setTimeout(async () => {
    try {
      const res = await call(`/api/v1/units?q=${encodeURIComponent(v)}`);
      const list = $('unit-list');
      list.replaceChildren(...res.units.map(u => {
        const o = document.createElement('option');
        o.value = `${u.name} ${u.uscc}`;
        return o;
      }));
    } catch (e) { /* a search that finds nothing is not an error */ }
  }, 250);
}

async function scan() {
  const video = $('camera');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (e) {
    $('error').textContent = T[lang].camera;
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
  $('unit').value = localStorage.getItem('tc-unit') || '';
  applyLang();
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('tc-lang', lang);
    applyLang();
  });
  $('unit').addEventListener('change', unitInput);
  $('unit').addEventListener('input', unitInput);
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
  window.addEventListener('hashchange', () => verify(decodeURIComponent(location.hash.slice(1))));
  if (location.hash.length > 5) verify(decodeURIComponent(location.hash.slice(1)));
});
