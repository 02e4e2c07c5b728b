// console.js - the HR console's front end (ISSUANCE.md "The HR console"): sign-in with a password
// and a TOTP code (at the first sign-in the seed is shown as text and as a QR code drawn here from
// the rows the server gives), the work list of each role, batches (upload with progress, refusals
// by line and field, the rows in words, the 公示 with its working days, objections, approval bound
// to the rows' hash with the decision reference, signing and publishing through the signer),
// revocations, certificate search, the signer, accounts and roles, the working-day calendar and the
// audit view.
//
// No framework, no third-party code, nothing from any other host; the server's CSP admits this
// file and console.css only (no inline script, no style attribute: looks are classes). Chinese
// first, English complete. Every state change sends X-TC-CSRF; a 401 leads back to sign-in; a 403
// reauth_required asks for a TOTP code and sends the same request again with it. The server
// decides everything: what the page offers by role is a convenience, never a check.
'use strict';

const T = {
  zh: {
    app: '职称证书业务系统', dept: '人力资源和社会保障部门', skip: '跳到主要内容', nav: '功能',
    langButton: 'EN', langName: 'EN (English)', signout: '退出登录', loading: '正在加载…', bj: '（北京时间）',
    demo: d => `DEMO：仅供演示，签发的证书不具效力。演示日期 ${d}`,
    roles: { clerk: '录入员', approver: '审核员', custodian: '密钥保管员', auditor: '审计员', admin: '系统管理员' },
    noRole: '尚无角色',
    navItems: { work: '待办', batches: '批次', revocations: '撤销', certificates: '证书查询', signer: '签名服务',
                users: '账号与角色', calendar: '工作日历', audit: '审计日志' },
    kinds: { issue: '评审结果', revoke: '撤销', convert: '换发' },
    states: { draft: '草稿', publicised: '公示中', closed: '公示期满', approved: '已审批', signed: '已签发', published: '已发布' },
    yes: '是', no: '否', none: '无', open: '打开', refresh: '刷新', cancel: '取消', lines: n => `${n} 行`,
    err: {
      network: '无法连接服务器，请检查网络后重试。', http: s => `服务器返回错误（HTTP ${s}）。`,
      required: l => `请填写“${l}”。`, format: l => `“${l}”的格式不对。`, signedOut: '请先登录。',
      cancelled: '已取消：没有输入动态验证码，操作未执行。',
    },
    signin: {
      title: '登录', account: '账号', password: '口令', totp: '动态验证码',
      totpHint: '验证器应用显示的 6 位数字。首次登录、尚未设置动态验证码时请留空。', submit: '登录',
      toEnrol: '首次使用：用登记码设置口令', enrolTitle: '首次使用：设置口令', code: '登记码',
      codeHint: '系统管理员交给您的一次性登记码。由两位系统管理员各给出一半时，先输入前半部分，再输入后半部分。', newPw: '新口令', newPwHint: '至少 12 个字符。',
      newPw2: '再次输入新口令', mismatch: '两次输入的口令不一致。', short: '口令至少 12 个字符。',
      enrolSubmit: '设置口令', back: '返回登录', intro: '本系统供人力资源和社会保障部门办理职称评审结果的公示、审批、签发和撤销。每个账号都用口令和动态验证码登录。',
      offerTitle: '设置动态验证码',
      steps: ['在手机上打开支持 TOTP 的验证器应用。', '扫描下方二维码，或手动输入密钥。', '输入应用显示的 6 位动态验证码，完成登录。'],
      secret: '密钥', qr: '动态验证码设置二维码（内容与上方密钥相同）', offerSubmit: '完成登录',
      offerNote: '输入正确的验证码后动态验证码即启用，此后每次登录都需要它。密钥不要告诉任何人。',
    },
    work: {
      title: '待办事项', empty: '目前没有等待您处理的事项。', noRole: '您的账号尚无角色：等待两位系统管理员确认后生效。',
      actions: { publicise: '待公示', resolve: '有异议待处理', approve: '待审批', sign: '待签发', publish: '待发布', confirm: '角色变更待确认' },
      change: (a, r, p) => `${p} 提出：将账号 ${a} 的角色设为 ${r}`, confirm: '确认变更', confirmed: '已确认角色变更。',
      auditor: '审计员可查看全部批次、账号和审计日志。', batch: (id, title) => `批次 ${id}：${title}`,
    },
    batches: {
      title: '批次', upload: '上传评审结果', name: '批次名称', file: '评审结果文件（CSV，UTF-8 编码）',
      fileHint: '每行一人，第一行为表头。GBK 编码的文件请在表格软件中另存为“CSV UTF-8”。', replace: '替换草稿批次',
      replaceNone: '不替换（新建批次）', submit: '上传并检查', progress: '上传进度', pct: p => `已上传 ${p}%`,
      checking: '已上传，正在检查…', stored: (id, n) => `已存为批次 ${id}，共 ${n} 行。`,
      refusals: (n, total) => `${total} 处问题${total > n ? `（显示前 ${n} 处）` : ''}：请修正后重新上传。`,
      line: '行', field: '字段', rule: '规则', message: '说明', problems: '问题清单', list: '全部批次', none: '尚无批次。',
      id: '编号', kind: '类型', state: '状态', rows: '行数', period: '公示期', objections: '未处理异议',
      reupload: '修正后重新上传', reuploadNote: '重新上传的文件替换本批次的全部行；原有的审批和公示随之作废。',
    },
    batch: {
      title: (id, t) => `批次 ${id}：${t}`, back: '返回批次列表', steps: '办理进度', facts: '概况',
      preparedBy: '录入人', rows: '在本批的行数', hash: '内容哈希（SHA-256）', period: '公示期',
      periodText: (a, b) => `${a} 至 ${b}`, left: n => `尚余 ${n} 个工作日（含今日）`, over: '公示期已满',
      notYet: '尚未公示', openObj: '未处理异议', approvedBy: '审批人', decision: '决定文号', issueBatch: '签发批次',
      publicise: '开始公示', publiciseNote: n => `公示期为 ${n} 个工作日，按工作日历从今天起计算。公示名单发布后，可在公示期内以实名提出异议。`,
      publicised: (a, b) => `已开始公示：${a} 至 ${b}。`,
      objections: '异议', objNone: '没有异议。', objForm: '登记异议', objLine: '针对的行', objector: '异议人姓名（实名）',
      contact: '联系方式', received: '收到日期', text: '异议内容', objSubmit: '登记异议', recorded: '已登记异议；该行在处理前暂停。',
      objPrivate: '异议人及其联系方式只保存在本系统内，不公开、不写入日志。',
      objStates: { open: '待处理', upheld: '异议成立', dismissed: '异议不成立' }, recordedBy: '登记人', resolvedBy: '处理人',
      outcome: '处理结果', resolve: n => `处理第 ${n} 号异议`, upheld: '异议成立（该行移出本批）', dismissed: '异议不成立',
      decisionLegend: '处理决定', resolveSubmit: '提交处理结果', resolved: '已处理异议。', objAgainst: (l, n) => `第 ${l} 行 ${n}`,
      objNo: n => `第 ${n} 号异议`,
      approve: '审批', approveWhat: n => `批准即确认本批在册的 ${n} 行按原样签发。批准与下面的内容哈希绑定：此后任何改动都会使批准失效。`,
      approveRevoke: n => `批准即确认撤销下列 ${n} 张证书。批准与下面的内容哈希绑定。`,
      decisionHint: '按决定文件填写，例如：甘人社〔2026〕12号', approveSubmit: '批准', reject: '退回修改',
      approved: d => `已批准，决定文号 ${d}。`, rejected: '已退回，批次回到草稿状态。',
      ownBatch: '本批由您录入或提出，须由另一位审核员审批。', waitPeriod: '公示期满且没有未处理的异议后才能审批。',
      sign: '签发', signerState: '签名服务', signPw: '您的账号口令（由签名服务核对）', signSubmit: '签发本批',
      signed: n => `已签发 ${n} 项。`, needUnlock: '签名服务已锁定：请先解锁。', toSigner: '前往“签名服务”解锁',
      signRevoke: '签发撤销', signNote: '签名服务重新读取本批、核对内容哈希和审批，才会签发。',
      publish: '发布', publishNote: '发布写出状态包、登记簿和检查点；发布后证书即可在公共核验页面核验。',
      publishPw: '您的账号口令（由签名服务核对）', publishSubmit: '发布', published: (v, n) => `已发布：状态包第 ${v} 版，登记簿共 ${n} 条。`,
      rowsTitle: '名单', personal: '名单含个人信息：本次查看已记入审计日志。', caption: (n, d) => `共 ${n} 行${d ? `，其中 ${d} 行已移出` : ''}`,
      line: '行', name: '姓名', idno: '身份证号', titleCol: '职称', track: '类别与取得方式', obtained: '取得日期',
      employer: '用人单位', scope: '适用范围', status: '状态', dropped: '已移出（异议成立）', kept: '在本批',
      certId: '证书编号', reason: '撤销原因', day: '日期', blacklist: '列入失信名单', until: '失信记录至',
      at: '换发日期', committee: '评审委员会', reevaluation: '转评', noRows: '您的角色不查看名单中的个人信息。',
    },
    reasons: { fraud: '弄虚作假', error: '差错', other: '其他原因' },
    revocations: {
      title: '撤销', propose: '提出撤销', name: '名称', ids: '证书编号', idsHint: '每行一个，或用逗号、空格分隔。',
      csv: '或从 CSV 文件读取编号（每行第一列）', fromFile: n => `从文件读取了 ${n} 个编号。`, noIds: '请至少给出一个证书编号。',
      reason: '撤销原因', day: '撤销生效日期', blacklist: '列入失信名单（GS §6）', blReason: '失信原因',
      until: '失信记录截止日期', submit: '提出撤销', proposed: id => `已提出撤销批次 ${id}，等待审核员审批。`,
      list: '撤销批次', none: '尚无撤销批次。', decisionNote: '决定文号由审核员在审批时填写；审批后由密钥保管员签发。',
    },
    certificates: {
      title: '证书查询', search: '查询条件', q: '证书编号、姓名或单位代码', submit: '查询', none: '没有找到证书。',
      more: '结果超过 50 条，只显示前 50 条：请输入更完整的条件。', audited: '每次查询都会记入审计日志。',
      id: '证书编号', status: '状态', name: '姓名', idno: '身份证号', employer: '用人单位', specialty: '专业',
      track: '类别', obtained: '取得日期', statuses: { valid: '有效', revoked: '已撤销', superseded: '已换发' },
      caption: n => `找到 ${n} 张证书`,
    },
    signer: {
      title: '签名服务', about: '签名服务是唯一持有签发密钥和发布密钥的程序；本系统不接触任何密钥。解锁须由密钥保管员输入业务库口令（密钥在硬件令牌上时另加令牌 PIN）、本人口令和动态验证码。',
      state: '状态', locked: '已锁定', unlocked: '已解锁', unreachable: '无法连接签名服务', custodian: '解锁人',
      until: '窗口结束', left: '剩余', mins: s => `${Math.floor(s / 60)} 分 ${s % 60} 秒`, backend: '密钥存放',
      backends: { file: '加密的密钥文件', pkcs11: '硬件令牌（PKCS#11）' },
      unlock: '解锁', passphrase: '业务库口令', passphraseHint: '业务库哈希密钥（HASH.key）的口令；签发密钥和发布密钥的文件未另设口令时，也用它打开。', keyPassphrase: '密钥文件口令（仅当密钥文件另设口令时填写）', pin: '令牌 PIN（仅当密钥在硬件令牌上时填写）', password: '您的账号口令',
      minutes: '解锁时长（分钟）', minutesHint: '最长 8 小时（以签名服务的设定为准）；空闲 15 分钟自动锁定。',
      unlockSubmit: '解锁', unlockedMsg: u => `已解锁，至 ${u}。`, lock: '立即锁定', lockedMsg: '签名服务已锁定。',
      publish: '发布', publishSubmit: '发布',
    },
    users: {
      title: '账号与角色', list: '全部账号', name: '账号', display: '姓名', roles: '角色', enrolled: '已设置口令',
      state: '状态', actions: '操作', disabled: '已停用', active: '正常', altered: '记录被改动，与封印不符：须从备份恢复', changeRoles: '更改角色', disable: '停用',
      disableConfirm: n => `确定停用账号 ${n}？停用后立即退出登录，历史记录保留。`, disabledMsg: n => `已停用账号 ${n}。`,
      reset: '重置', resetConfirm: n => `确定重置账号 ${n}？其口令和动态口令即时作废并退出登录；本人须凭新登记码重新登记，登记码前半部分给您，后半部分由另一位系统管理员给出。`, resetDone: n => `已重置账号 ${n}：请把登记码前半部分交给本人，并请另一位系统管理员给出后半部分。`,
      rolesOf: n => `${n} 的新角色`, rolesSubmit: '提出变更', proposed: '已提出角色变更，等待另一位系统管理员确认。',
      pending: '待确认的角色变更', pendingNone: '没有待确认的变更。', change: '编号', account: '账号', newRoles: '新角色',
      by: '提出人', confirm: '确认', own: '须另一位系统管理员确认', confirmed: '已确认角色变更。',
      add: '添加账号', addName: '账号名', addNameHint: '字母、数字、点或横线，登录时使用。', addDisplay: '姓名',
      addRoles: '角色', addSubmit: '添加', codeFirst: n => `账号 ${n} 的登记码前半部分（只显示这一次）`,
      codeSecond: n => `账号 ${n} 的登记码后半部分（只显示这一次）`,
      codeNoteFirst: '请当面或通过安全渠道交给本人。后半部分由确认其角色的另一位系统管理员给出，本人首次使用时依次输入两部分，设置口令和动态验证码。任何一位系统管理员都不能独自替他人登记。角色在另一位系统管理员确认后生效。',
      codeNoteSecond: '请当面或通过安全渠道交给本人。本人登记时先输入添加或重置账号的系统管理员给出的前半部分，再输入这一部分。',
      codeNoteReset: '请当面或通过安全渠道交给本人。后半部分由另一位系统管理员在本页“全部账号”中给出；本人依次输入两部分，重新设置口令和动态验证码。原有角色不变。',
      awaitingHalf: '等待登记码后半部分', codeWithdrawn: '登记码已作废，须由系统管理员重置', giveHalf: '给出登记码后半部分', halfGiven: n => `已给出账号 ${n} 的登记码后半部分。`,
      rules: '系统管理员和审计员不兼任其他角色；同一人不能既是录入员又是审核员。',
    },
    calendar: {
      title: '工作日历', years: '已载入的年份', none: '尚未载入任何年份。', days: n => `公示期：${n} 个工作日`,
      about: '公示期按工作日历计算：周末为休息日（调休上班日除外），法定节假日以国务院办公厅的通知为准。日历之外的日期无法计算公示期。',
      load: '载入一年的日历', file: '日历文件（JSON，每年一个，注明来源）', submit: '载入', loaded: y => `已载入 ${y} 年的工作日历。`,
    },
    audit: {
      title: '审计日志', about: '审计日志按顺序以 MAC 链接，不能修改或删除；每次查看也记入日志。',
      filter: '筛选', account: '账号', action: '操作', day: '日期', submit: '筛选', csv: '导出 CSV（按当前筛选）',
      seq: '序号', at: '时间（北京时间）', cert: '证书', object: '对象', outcome: '结果', detail: '详情',
      caption: n => `${n} 条记录（最新的在前，最多 500 条）`, none: '没有符合条件的记录。',
    },
    reauth: { title: '再次验证', why: '此操作须再次输入动态验证码。', wrong: '动态验证码不对，请输入应用上新的验证码。', label: '动态验证码', ok: '确认' },
  },
  en: {
    app: 'Title certificates: HR console', dept: 'Human resources and social security', skip: 'Skip to the main content', nav: 'Sections',
    langButton: '中文', langName: '中文 (Chinese)', signout: 'Sign out', loading: 'Loading…', bj: ' (Beijing time)',
    demo: d => `DEMO store: for demonstration only, its certificates are worth nothing. Demo day ${d}`,
    roles: { clerk: 'Clerk', approver: 'Approver', custodian: 'Key custodian', auditor: 'Auditor', admin: 'Administrator' },
    noRole: 'no role yet',
    navItems: { work: 'My work', batches: 'Batches', revocations: 'Revocations', certificates: 'Certificates', signer: 'Signer',
                users: 'Accounts and roles', calendar: 'Calendar', audit: 'Audit log' },
    kinds: { issue: 'Results', revoke: 'Revocation', convert: 'Conversion' },
    states: { draft: 'Draft', publicised: 'Publicised', closed: 'Publicity period over', approved: 'Approved', signed: 'Signed', published: 'Published' },
    yes: 'yes', no: 'no', none: 'none', open: 'Open', refresh: 'Refresh', cancel: 'Cancel', lines: n => `${n} rows`,
    err: {
      network: 'The server cannot be reached: check the network and try again.', http: s => `The server answered with an error (HTTP ${s}).`,
      required: l => `Fill in "${l}".`, format: l => `"${l}" is not in the right form.`, signedOut: 'Sign in first.',
      cancelled: 'Cancelled: no TOTP code was given, nothing was done.',
    },
    signin: {
      title: 'Sign in', account: 'Account', password: 'Password', totp: 'TOTP code',
      totpHint: 'The 6 digits your authenticator app shows. Leave it empty at your first sign-in, before you have set one up.', submit: 'Sign in',
      toEnrol: 'First time here: set your password with your enrolment code', enrolTitle: 'First time here: set your password', code: 'Enrolment code',
      codeHint: 'The one-time code your administrators gave you. When two of them gave you a half each, type the first half, then the second.', newPw: 'New password', newPwHint: 'At least 12 characters.',
      newPw2: 'New password again', mismatch: 'The two passwords differ.', short: 'A password has at least 12 characters.',
      enrolSubmit: 'Set password', back: 'Back to sign-in', intro: 'The HR department publicises, approves, signs and revokes title certificates here. Every account signs in with a password and a TOTP code.',
      offerTitle: 'Set up your TOTP code',
      steps: ['Open an authenticator app (any app that supports TOTP) on your phone.', 'Scan the QR code below, or type in the secret.', 'Enter the 6-digit code the app shows to finish signing in.'],
      secret: 'Secret', qr: 'QR code to set up the TOTP code (the same secret as above)', offerSubmit: 'Finish signing in',
      offerNote: 'Once a right code is entered the TOTP code is on, and every sign-in needs it. Tell nobody the secret.',
    },
    work: {
      title: 'My work', empty: 'Nothing is waiting for you.', noRole: 'Your account has no role yet: it takes effect once two administrators have confirmed it.',
      actions: { publicise: 'To publicise', resolve: 'Objection to resolve', approve: 'To approve', sign: 'To sign', publish: 'To publish', confirm: 'Role change to confirm' },
      change: (a, r, p) => `${p} proposes: account ${a} gets the roles ${r}`, confirm: 'Confirm the change', confirmed: 'The role change is confirmed.',
      auditor: 'An auditor reads every batch, the accounts and the audit log.', batch: (id, title) => `Batch ${id}: ${title}`,
    },
    batches: {
      title: 'Batches', upload: 'Upload results', name: 'Batch title', file: 'Results file (CSV, UTF-8)',
      fileHint: 'One person a row, the header first. Save a GBK file as "CSV UTF-8" in your spreadsheet program.', replace: 'Replace a draft batch',
      replaceNone: 'No (a new batch)', submit: 'Upload and check', progress: 'Upload progress', pct: p => `${p}% uploaded`,
      checking: 'Uploaded; checking…', stored: (id, n) => `Stored as batch ${id}, ${n} rows.`,
      refusals: (n, total) => `${total} problem${total === 1 ? '' : 's'}${total > n ? ` (the first ${n} shown)` : ''}: fix them and upload again.`,
      line: 'Line', field: 'Field', rule: 'Rule', message: 'What is wrong', problems: 'The problems', list: 'All batches', none: 'No batch yet.',
      id: 'No.', kind: 'Kind', state: 'State', rows: 'Rows', period: 'Publicity period', objections: 'Open objections',
      reupload: 'Fix and upload again', reuploadNote: 'The new file replaces every row of this batch; its publicity period and approval are void.',
    },
    batch: {
      title: (id, t) => `Batch ${id}: ${t}`, back: 'Back to the batches', steps: 'Progress', facts: 'Summary',
      preparedBy: 'Prepared by', rows: 'Rows in the batch', hash: 'Rows hash (SHA-256)', period: 'Publicity period',
      periodText: (a, b) => `${a} to ${b}`, left: n => `${n} working day${n === 1 ? '' : 's'} left (today counted)`, over: 'the period is over',
      notYet: 'not publicised yet', openObj: 'Open objections', approvedBy: 'Approved by', decision: 'Decision reference', issueBatch: 'Issue batch',
      publicise: 'Publicise', publiciseNote: n => `The results are publicised for ${n} working days, counted from today on the working-day calendar. Once the list is published, anyone may object under their real name within the period.`,
      publicised: (a, b) => `Publicised: ${a} to ${b}.`,
      objections: 'Objections', objNone: 'No objection.', objForm: 'Record an objection', objLine: 'Row objected to', objector: "Objector's name (real name)",
      contact: 'Contact', received: 'Day received', text: 'What the objection says', objSubmit: 'Record the objection', recorded: 'The objection is recorded; the row is held until it is resolved.',
      objPrivate: 'The objector and their contact stay in this system: never published, never logged.',
      objStates: { open: 'open', upheld: 'upheld', dismissed: 'dismissed' }, recordedBy: 'Recorded by', resolvedBy: 'Resolved by',
      outcome: 'Outcome', resolve: n => `Resolve objection ${n}`, upheld: 'Upheld (the row leaves the batch)', dismissed: 'Dismissed',
      decisionLegend: 'Decision', resolveSubmit: 'Record the outcome', resolved: 'The objection is resolved.', objAgainst: (l, n) => `line ${l}, ${n}`,
      objNo: n => `Objection ${n}`,
      approve: 'Approval', approveWhat: n => `Approving confirms that the ${n} rows in this batch are signed as they are. The approval is bound to the rows hash below: any later change voids it.`,
      approveRevoke: n => `Approving confirms the revocation of the ${n} certificates below. The approval is bound to the rows hash below.`,
      decisionHint: () => ['As written on the decision, for example ', zh('甘人社〔2026〕12号')], approveSubmit: 'Approve', reject: 'Send back',
      approved: d => `Approved, decision ${d}.`, rejected: 'Sent back: the batch is a draft again.',
      ownBatch: 'You prepared or proposed this batch: another approver approves it.', waitPeriod: 'Approval opens once the publicity period is over with no objection open.',
      sign: 'Signing', signerState: 'Signer', signPw: 'Your account password (the signer checks it)', signSubmit: 'Sign this batch',
      signed: n => `Signed: ${n}.`, needUnlock: 'The signer is locked: unlock it first.', toSigner: 'Go to the signer to unlock it',
      signRevoke: 'Sign the revocation', signNote: 'The signer reads the batch again and checks the rows hash and the approval before it signs.',
      publish: 'Publication', publishNote: 'Publishing writes the status bundle, the register and its checkpoint; the certificates then verify on the public page.',
      publishPw: 'Your account password (the signer checks it)', publishSubmit: 'Publish', published: (v, n) => `Published: status bundle version ${v}, register of ${n} entries.`,
      rowsTitle: 'The list', personal: 'The list holds personal data: this view is in the audit log.', caption: (n, d) => `${n} rows${d ? `, ${d} taken out` : ''}`,
      line: 'Line', name: 'Name', idno: 'ID number', titleCol: 'Title', track: 'Track and how obtained', obtained: 'Obtained',
      employer: 'Employer', scope: 'Scope', status: 'Status', dropped: 'taken out (objection upheld)', kept: 'in the batch',
      certId: 'Certificate', reason: 'Reason', day: 'Day', blacklist: 'On the integrity blacklist', until: 'Listed until',
      at: 'Conversion day', committee: 'Committee', reevaluation: 'Re-evaluation', noRows: 'Your role does not see the personal data of the list.',
    },
    reasons: { fraud: 'fraud', error: 'error', other: 'other reason' },
    revocations: {
      title: 'Revocations', propose: 'Propose a revocation', name: 'Title', ids: 'Certificate numbers', idsHint: 'One a line, or separated by commas or spaces.',
      csv: 'Or read the numbers from a CSV file (first column)', fromFile: n => `${n} numbers read from the file.`, noIds: 'Give at least one certificate number.',
      reason: 'Reason', day: 'Day the revocation takes effect', blacklist: 'Put on the integrity blacklist (GS §6)', blReason: 'Blacklist reason',
      until: 'Listed until', submit: 'Propose', proposed: id => `Revocation batch ${id} is proposed; an approver approves it.`,
      list: 'Revocation batches', none: 'No revocation yet.', decisionNote: 'The approver gives the decision reference when approving; a key custodian then signs it.',
    },
    certificates: {
      title: 'Certificates', search: 'Search', q: 'Certificate number, name or unit code', submit: 'Search', none: 'No certificate found.',
      more: 'More than 50 found, the first 50 shown: narrow the search.', audited: 'Every search is in the audit log.',
      id: 'Number', status: 'Status', name: 'Name', idno: 'ID number', employer: 'Employer', specialty: 'Specialty',
      track: 'Track', obtained: 'Obtained', statuses: { valid: 'valid', revoked: 'revoked', superseded: 'superseded' },
      caption: n => `${n} certificate${n === 1 ? '' : 's'} found`,
    },
    signer: {
      title: 'Signer', about: 'The signer is the only program that holds the issuing and publication keys; this console touches no key. A key custodian unlocks it with the store\'s passphrase (and the token\'s PIN when the keys are on a token), their own password and a TOTP code.',
      state: 'State', locked: 'locked', unlocked: 'unlocked', unreachable: 'the signer cannot be reached', custodian: 'Unlocked by',
      until: 'Window ends', left: 'Left', mins: s => `${Math.floor(s / 60)} min ${s % 60} s`, backend: 'Keys held in',
      backends: { file: 'encrypted key files', pkcs11: 'a hardware token (PKCS#11)' },
      unlock: 'Unlock', passphrase: "The store's passphrase", passphraseHint: "The passphrase of the store's hash key (HASH.key); it also opens the issuing and publication key files unless they have their own.", keyPassphrase: "The key files' own passphrase (only if they have one)", pin: "The token's PIN (only if the keys are on a hardware token)", password: 'Your account password',
      minutes: 'Window (minutes)', minutesHint: 'At most 8 hours (or the signer\'s setting); it locks itself after 15 idle minutes.',
      unlockSubmit: 'Unlock', unlockedMsg: u => `Unlocked until ${u}.`, lock: 'Lock now', lockedMsg: 'The signer is locked.',
      publish: 'Publication', publishSubmit: 'Publish',
    },
    users: {
      title: 'Accounts and roles', list: 'All accounts', name: 'Account', display: 'Name', roles: 'Roles', enrolled: 'Password set',
      state: 'State', actions: 'Actions', disabled: 'disabled', active: 'active', altered: 'record altered, does not match its seal: restore a backup', changeRoles: 'Change roles', disable: 'Disable',
      disableConfirm: n => `Disable account ${n}? It is signed out at once; its history stays.`, disabledMsg: n => `Account ${n} is disabled.`,
      reset: 'Reset', resetConfirm: n => `Reset account ${n}? Its password and TOTP stop working and it is signed out at once; the person enrols again with a new code, whose first half you are given and whose second half another admin gives.`, resetDone: n => `Account ${n} is reset: hand the first half of the code to the person, and ask another admin for the second half.`,
      rolesOf: n => `New roles of ${n}`, rolesSubmit: 'Propose the change', proposed: 'The role change is proposed; another administrator confirms it.',
      pending: 'Role changes to confirm', pendingNone: 'No change is waiting.', change: 'No.', account: 'Account', newRoles: 'New roles',
      by: 'Proposed by', confirm: 'Confirm', own: 'another administrator confirms it', confirmed: 'The role change is confirmed.',
      add: 'Add an account', addName: 'Account name', addNameHint: 'Letters, digits, dots or hyphens; used to sign in.', addDisplay: "Person's name",
      addRoles: 'Roles', addSubmit: 'Add', codeFirst: n => `First half of the enrolment code of ${n} (shown this once)`,
      codeSecond: n => `Second half of the enrolment code of ${n} (shown this once)`,
      codeNoteFirst: 'Hand it to the person in person or over a safe channel. The administrator who confirms the roles gives the second half; at first use the person types both, then sets a password and a TOTP code. No administrator alone can enrol someone else. The roles take effect once another administrator confirms them.',
      codeNoteSecond: 'Hand it to the person in person or over a safe channel. To enrol they type the first half, from the administrator who added or reset the account, then this one.',
      codeNoteReset: 'Hand it to the person in person or over a safe channel. Another administrator gives the second half, under "All accounts" on this page; the person types both halves, then sets a new password and TOTP code. The roles stay as they were.',
      awaitingHalf: 'waiting for the second half', codeWithdrawn: 'code withdrawn: an admin resets it', giveHalf: 'Give the second half of the code', halfGiven: n => `The second half of the code of ${n} is given.`,
      rules: 'An administrator or an auditor holds no other role; nobody is both clerk and approver.',
    },
    calendar: {
      title: 'Working-day calendar', years: 'Years loaded', none: 'No year loaded yet.', days: n => `Results are publicised for ${n} working days`,
      about: 'The publicity period is counted in working days: weekends are rest days (except listed working weekends), public holidays as the State Council\'s notice sets them. A day outside the calendar\'s years cannot start a period.',
      load: "Load a year's calendar", file: 'Calendar file (JSON, one a year, naming its source)', submit: 'Load', loaded: y => `The calendar of ${y} is loaded.`,
    },
    audit: {
      title: 'Audit log', about: 'The audit log is a MAC-chained sequence: nothing in it can be changed or deleted; every view of it is an event too.',
      filter: 'Filter', account: 'Account', action: 'Action', day: 'Day', submit: 'Filter', csv: 'Export CSV (with these filters)',
      seq: 'No.', at: 'Time (Beijing)', cert: 'Certificate', object: 'Object', outcome: 'Outcome', detail: 'Details',
      caption: n => `${n} events (newest first, at most 500)`, none: 'No event matches.',
    },
    reauth: { title: 'Confirm it is you', why: 'This needs your TOTP code again.', wrong: 'That TOTP code is wrong: enter a new one from your app.', label: 'TOTP code', ok: 'Confirm' },
  },
};

// ---- state and small helpers ------------------------------------------------------------------

const state = {
  lang: localStorage.getItem('tc-console-lang') === 'en' ? 'en' : 'zh',
  me: null,          // GET /api/me: account, csrf, demo, today
  csrf: '',
  seq: 0,            // the screen being drawn: an older answer draws nothing
  flash: null,       // {text, kind}: said once on the next screen drawn
  signin: { mode: 'signin', offer: null, account: '', password: '', message: '' },
};
const $ = s => document.querySelector(s);
let uid = 0;

// t('batch.left', 3): the string (or the function's result) in the page's language
function t(key, ...args) {
  let v = key.split('.').reduce((o, k) => (o == null ? o : o[k]), T[state.lang]);
  if (v === undefined) v = key;
  return typeof v === 'function' ? v(...args) : v;
}

// the server's "中文 / English" message in the page's language
function say(message) {
  if (typeof message !== 'string') return '';
  const i = message.indexOf(' / ');
  if (i < 0) return message;
  const en = message.slice(i + 3);
  return state.lang === 'zh' ? message.slice(0, i) : en.charAt(0).toUpperCase() + en.slice(1);
}

// an element: h('p', {class: 'note'}, 'text', child...); on* attributes are listeners
function h(tag, attrs, ...kids) {
  const e = tag === 'svg' || tag === 'path' || tag === 'rect'
    ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}

// text from the store (names, units, titles in Chinese) marked as Chinese on the English page
function zh(text) { return h('span', { lang: 'zh-CN' }, text); }
function words(row, key) { return row.words ? row.words[`${key}_${state.lang}`] || row.words[`${key}_zh`] : ''; }
function roleNames(roles) {
  const list = Array.isArray(roles) ? roles : String(roles || '').split(',').filter(Boolean);
  return list.length ? list.map(r => t(`roles.${r}`)).join(state.lang === 'zh' ? '、' : ', ') : t('noRole');
}
function has(role) { return !!state.me && state.me.account.roles.includes(role); }
function mask(m) { return m && m.length === 4 ? `${'*'.repeat(14)}${m}` : m || ''; }
function beijing(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(d);
  const p = Object.fromEntries(f.map(x => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${t('bj')}`;
}
function phase(b) { return b.state === 'publicised' && b.publicity_closed ? 'closed' : b.state; }
function stateChip(b) { const p = phase(b); return h('span', { class: `chip state-${p}` }, t(`states.${p}`)); }
function announce(text) { const l = $('#live'); l.textContent = ''; setTimeout(() => { l.textContent = text; }, 50); }

// ---- the API -------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, data) { super(message); this.status = status; this.code = code; this.data = data; }
  // the server's message in the language shown now (it sends "中文 / English")
  said() { return this.data && this.data.message ? say(this.data.message) : this.message; }
}

// A request to the console's API. JSON bodies, or a string sent as it is (a calendar file).
// 401: signed out, back to sign-in (unless signing in). 403 reauth_required/reauth_failed: asks
// for a TOTP code and sends the request again with it in the body.
async function api(method, path, body, opts = {}) {
  const headers = {};
  let payload;
  if (method !== 'GET') headers['X-TC-CSRF'] = state.csrf || '';
  if (typeof body === 'string') { payload = body; headers['Content-Type'] = 'application/json'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('err.network'));
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.ok) return data;
  const code = (data && data.error) || 'http';
  const message = data && data.message ? say(data.message) : t('err.http', res.status);
  if (res.status === 401 && !opts.signingIn) {
    signedOut(message);
    throw new ApiError(401, code, message, data);
  }
  if (res.status === 403 && (code === 'reauth_required' || code === 'reauth_failed') && body && typeof body === 'object') {
    const totp = await askTotp(code === 'reauth_failed');
    if (!totp) throw new ApiError(403, 'cancelled', t('err.cancelled'));
    return api(method, path, { ...body, totp }, opts);
  }
  throw new ApiError(res.status, code, message, data);
}

// the results CSV through XMLHttpRequest, whose upload reports its progress
function uploadCsv(file, title, replace, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    const q = new URLSearchParams({ title });
    if (replace) q.set('replace', String(replace));
    x.open('POST', `/api/batches?${q}`);
    x.setRequestHeader('X-TC-CSRF', state.csrf);
    x.setRequestHeader('Content-Type', 'text/csv');
    x.upload.addEventListener('progress', e => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    x.upload.addEventListener('load', () => onProgress(1));
    x.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch { data = null; }
      resolve({ status: x.status, data });
    });
    x.addEventListener('error', () => reject(new ApiError(0, 'network', t('err.network'))));
    x.send(file);
  });
}

function signedOut(message) {
  state.me = null;
  state.csrf = '';
  state.signin = { mode: 'signin', offer: null, account: '', password: '', message: message || t('err.signedOut') };
  route();
}

// ---- re-authentication: a TOTP code asked in a dialog -------------------------------------------

let reauthDone = null;
function askTotp(wrong) {
  const d = $('#reauth');
  $('#reauth-error').textContent = wrong ? t('reauth.wrong') : '';
  $('#reauth-code').value = '';
  return new Promise(resolve => {
    reauthDone = v => { reauthDone = null; if (d.open) d.close(); resolve(v); };
    d.showModal();
    $('#reauth-code').focus();
  });
}
function reauthWire() {
  $('#reauth-form').addEventListener('submit', ev => {
    ev.preventDefault();
    const v = $('#reauth-code').value.trim();
    if (!/^\d{6}$/.test(v)) { $('#reauth-error').textContent = t('err.format', t('reauth.label')); return; }
    if (reauthDone) reauthDone(v);
  });
  $('#reauth-cancel').addEventListener('click', () => reauthDone && reauthDone(null));
  $('#reauth').addEventListener('cancel', ev => { ev.preventDefault(); if (reauthDone) reauthDone(null); });
}

// ---- forms ----------------------------------------------------------------------------------------

// a labelled field; its hint is tied to the control
function field(label, control, hint) {
  if (!control.id) control.id = `f${++uid}`;
  const kids = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hid = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hid);
    kids.push(h('p', { class: 'hint', id: hid }, hint));
  }
  return h('div', { class: 'field' }, kids);
}
function input(id, attrs = {}) { return h('input', { id, name: id, ...attrs }); }

// Checks required and patterned controls with the page's own words (the browser's would be in its
// own language), saying the first problem in the form's alert and focusing its control.
function valid(form) {
  for (const c of form.querySelectorAll('input, select, textarea')) {
    const label = c.labels && c.labels[0] ? c.labels[0].textContent : c.name;
    const v = c.type === 'file' ? c.files.length : c.value.trim();
    if (c.required && !v) return fail(form, c, t('err.required', label));
    if (v && c.pattern && c.type !== 'file' && !new RegExp(`^(?:${c.pattern})$`).test(c.value.trim()))
      return fail(form, c, t('err.format', label));
  }
  return true;
}
function fail(form, control, text) {
  form.querySelector(':scope > .error').textContent = text;
  control.setAttribute('aria-invalid', 'true');
  control.focus();
  return false;
}

// A form whose submission runs fn (async); its buttons are off meanwhile; an error is said in it.
function form(id, kids, submitLabel, fn, extra = [], cls = null) {
  const f = h('form', { id, novalidate: true, class: cls },
    kids,
    h('p', { class: 'error', role: 'alert' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: `${id}-submit` }, submitLabel), extra));
  // a control edited after a refusal is no longer marked, nor the message kept
  f.addEventListener('input', ev => {
    if (ev.target.getAttribute && ev.target.getAttribute('aria-invalid')) {
      ev.target.removeAttribute('aria-invalid');
      f.querySelector(':scope > .error').textContent = '';
    }
  });
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    f.querySelector(':scope > .error').textContent = '';
    f.querySelectorAll('[aria-invalid]').forEach(c => c.removeAttribute('aria-invalid'));
    if (!valid(f)) return;
    await run(f, () => fn(f));
  });
  return f;
}
async function run(f, fn) {
  const buttons = [...f.querySelectorAll('button')];
  buttons.forEach(b => { b.disabled = true; });
  try {
    await fn();
  } catch (e) {
    if (e.status !== 401) {
      const box = f.querySelector(':scope > .error');
      box.textContent = e.message;
    }
  } finally {
    buttons.forEach(b => { b.disabled = false; });
  }
}
function val(f, name) { const c = f.querySelector(`[name="${name}"]`); return c ? c.value.trim() : ''; }

// a card with a heading
function card(id, title, ...kids) {
  const hid = `${id}-h`;
  return h('section', { class: 'card', id, 'aria-labelledby': hid }, h('h2', { id: hid }, title), kids);
}

// a table; columns [label, fn(row) -> node or text]; stacked on narrow screens with the labels
function table(id, caption, columns, rows, rowAttrs = () => ({}), hideCaption = false) {
  return h('div', { class: 'table-wrap' },
    h('table', { id, class: 'stack' },
      h('caption', { class: hideCaption ? 'visually-hidden' : null }, caption),
      h('thead', {}, h('tr', {}, columns.map(([label]) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, rows.map(r => h('tr', rowAttrs(r), columns.map(([label, fn]) => h('td', { 'data-label': label }, h('div', {}, fn(r)))))))));
}

function dl(id, pairs) {
  return h('dl', { id, class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

// ---- the page around the screens --------------------------------------------------------------------

const NAV = [
  ['work', () => true],
  ['batches', () => has('clerk') || has('approver') || has('custodian') || has('auditor')],
  ['revocations', () => has('clerk') || has('approver') || has('custodian') || has('auditor')],
  ['certificates', () => has('clerk') || has('approver') || has('auditor')],
  ['signer', () => has('custodian') || has('auditor')],
  ['users', () => has('admin') || has('auditor')],
  ['calendar', () => has('admin') || has('clerk') || has('auditor')],
  ['audit', () => has('auditor')],
];

function shell(current) {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  $('#skip').textContent = t('skip');
  $('#brand').textContent = t('app');
  $('#brand-sub').textContent = t('dept');
  const lang = $('#lang');
  lang.textContent = t('langButton');
  lang.setAttribute('lang', state.lang === 'zh' ? 'en' : 'zh-CN');
  lang.setAttribute('aria-label', t('langName'));
  $('#signout').textContent = t('signout');
  $('#signout').hidden = !state.me;
  $('#reauth-title').textContent = t('reauth.title');
  $('#reauth-why').textContent = t('reauth.why');
  $('#reauth-label').textContent = t('reauth.label');
  $('#reauth-ok').textContent = t('reauth.ok');
  $('#reauth-cancel').textContent = t('cancel');
  const demo = $('#demo');
  demo.hidden = !(state.me && state.me.demo);
  if (state.me && state.me.demo) demo.replaceChildren(zh('演示库'), ' ', t('demo', state.me.today || ''));
  const who = $('#who');
  who.hidden = !state.me;
  if (state.me) {
    const a = state.me.account;
    who.replaceChildren(zh(a.display), ` (${a.name}) · ${roleNames(a.roles)}`);
  }
  const nav = $('#nav');
  nav.hidden = !state.me;
  nav.setAttribute('aria-label', t('nav'));
  $('#nav-list').replaceChildren(...(state.me ? NAV.filter(([, ok]) => ok()).map(([name]) =>
    h('li', {}, h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : null }, t(`navItems.${name}`)))) : []));
}

// draws a screen (unless a newer one started): its heading, the message of the last action, kids
function paint(seq, title, ...kids) {
  if (seq !== state.seq) return false;
  const flash = state.flash;
  if (flash) flash.shown = true;
  const heading = h('h1', { id: 'view-title', tabindex: '-1' }, title);
  title = heading.textContent;
  const said = flash ? (typeof flash.text === 'function' ? flash.text() : flash.text) : '';
  const note = flash ? h('p', { id: 'flash', class: `flash ${flash.kind || 'ok'}`, tabindex: '-1' }, said) : null;
  $('#view').replaceChildren(...[heading, note, codeOnce(), kids].flat(Infinity).filter(k => k !== null && k !== undefined && k !== false));
  document.title = `${title} - ${t('app')}`;
  if (note) { if (state.focus !== 'none') { announce(said); note.focus(); } }
  else if (state.focus !== 'none') heading.focus();
  state.focus = 'none';
  return true;
}

// a half of an enrolment code an action just gave, shown on the screen it was given on until the
// next screen
function codeOnce() {
  const e = state.enrolment;
  if (!e) return null;
  const U = (k, ...a) => t(`users.${k}`, ...a);
  const second = e.half === 'second';
  return h('div', { class: 'code-once', id: 'enrolment' },
    h('p', { class: 'label' }, U(second ? 'codeSecond' : 'codeFirst', e.name)),
    h('p', { class: 'secret' }, h('code', { id: 'enrolment-code' }, e.code)),
    h('p', { class: 'note' }, U(second ? 'codeNoteSecond' : e.reset ? 'codeNoteReset' : 'codeNoteFirst')));
}

// after an action: say what happened and draw the screen again
// text: a string, a function giving one in the language shown, or an error (an ApiError said likewise)
function done(text, kind = 'ok') {
  if (text instanceof Error) text = (e => () => (e instanceof ApiError ? e.said() : e.message))(text);
  state.flash = { text, kind }; state.focus = 'flash'; route(false);
}

// ---- sign-in and enrolment ------------------------------------------------------------------------

function screenSignIn() {
  shell(null);
  $('#main').removeAttribute('aria-busy');
  const s = state.signin;
  const seq = ++state.seq;
  if (s.offer) return paint(seq, t('signin.offerTitle'), offerCard());
  const message = s.message ? h('p', { class: 'flash warn', id: 'signin-message' }, s.message) : null;
  if (s.mode === 'enrol') {
    const f = form('enrol-form', [
      field(t('signin.account'), input('enrol-account', { name: 'account', autocomplete: 'username', required: true, value: s.account })),
      field(t('signin.code'), input('enrol-code', { name: 'code', autocomplete: 'off', required: true, spellcheck: 'false' }), t('signin.codeHint')),
      field(t('signin.newPw'), input('enrol-password', { name: 'password', type: 'password', autocomplete: 'new-password',
                                                          required: true, minlength: 12 }), t('signin.newPwHint')),
      field(t('signin.newPw2'), input('enrol-password2', { name: 'password2', type: 'password', autocomplete: 'new-password', required: true })),
    ], t('signin.enrolSubmit'), async f => {
      const pw = f.querySelector('#enrol-password').value, pw2 = f.querySelector('#enrol-password2').value;
      if (pw.length < 12) return fail(f, f.querySelector('#enrol-password'), t('signin.short'));
      if (pw !== pw2) return fail(f, f.querySelector('#enrol-password2'), t('signin.mismatch'));
      const account = val(f, 'account');
      const code = val(f, 'code').replace(/[\s-]+/g, '').toUpperCase();
      const r = await api('POST', '/api/enrol', { account, code, password: pw }, { signingIn: true });
      offered(account, pw, r);
    }, [h('button', { type: 'button', class: 'secondary', id: 'to-signin', onclick: () => mode('signin') }, t('signin.back'))]);
    return paint(seq, t('signin.enrolTitle'), message, h('section', { class: 'card narrow', 'aria-label': t('signin.enrolTitle') }, f));
  }
  const f = form('signin-form', [
    field(t('signin.account'), input('signin-account', { name: 'account', autocomplete: 'username', required: true, value: s.account })),
    field(t('signin.password'), input('signin-password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    field(t('signin.totp'), totpInput('signin-totp', false), t('signin.totpHint')),
  ], t('signin.submit'), async f => {
    const account = val(f, 'account'), password = f.querySelector('#signin-password').value, totp = val(f, 'totp');
    const body = { account, password };
    if (totp) body.totp = totp;
    const r = await api('POST', '/api/login', body, { signingIn: true });
    if (r.totp_enrol) offered(account, password, r);
    else signedIn(r);
  }, [h('button', { type: 'button', class: 'secondary', id: 'to-enrol', onclick: () => mode('enrol') }, t('signin.toEnrol'))]);
  return paint(seq, t('signin.title'), message,
    h('section', { class: 'card narrow', 'aria-label': t('signin.title') }, h('p', { class: 'note' }, t('signin.intro')), f));
}

function mode(m) {
  Object.assign(state.signin, { mode: m, message: '' });
  state.focus = 'title';
  screenSignIn();
}
function totpInput(id, required) {
  return input(id, { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}', required });
}

// the server offered a TOTP seed: shown until a code from it signs the person in
function offered(account, password, offer) {
  Object.assign(state.signin, { account, password, offer, message: '' });
  state.focus = 'title';
  screenSignIn();
}

function qrSvg(rows) {
  const n = rows.length, quiet = 4, size = n + 2 * quiet;
  let d = '';
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
  });
  return h('svg', { id: 'totp-qr', class: 'qr', viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': t('signin.qr'),
                    'shape-rendering': 'crispEdges', xmlns: 'http://www.w3.org/2000/svg' },
    h('rect', { width: size, height: size, fill: '#fff' }), h('path', { d, fill: '#000' }));
}

function offerCard() {
  const s = state.signin;
  const grouped = s.offer.secret.replace(/(.{4})/g, '$1 ').trim();
  const f = form('offer-form', [
    field(t('signin.totp'), totpInput('offer-totp', true)),
  ], t('signin.offerSubmit'), async () => {
    const r = await api('POST', '/api/login', { account: s.account, password: s.password, totp: val($('#offer-form'), 'totp') }, { signingIn: true });
    signedIn(r);
  }, [h('button', { type: 'button', class: 'secondary', onclick: () => { s.offer = null; s.password = ''; mode('signin'); } }, t('cancel'))]);
  return h('section', { class: 'card narrow', id: 'offer', 'aria-label': t('signin.offerTitle') },
    h('ol', { class: 'steps-text' }, t('signin.steps').map(x => h('li', {}, x))),
    h('div', { class: 'offer' },
      qrSvg(s.offer.qr || []),
      h('div', {}, h('p', { class: 'label', id: 'totp-secret-label' }, t('signin.secret')),
        h('p', { class: 'secret' }, h('code', { id: 'totp-secret', 'aria-labelledby': 'totp-secret-label' }, grouped)))),
    h('p', { class: 'note' }, t('signin.offerNote')), f);
}

function signedIn(r) {
  state.csrf = r.csrf;
  state.signin = { mode: 'signin', offer: null, account: '', password: '', message: '' };
  state.focus = 'title';
  state.me = { account: r.account, csrf: r.csrf, demo: false, today: '' }; // until /api/me answers
  if (!/^#\/[a-z]/.test(location.hash)) location.hash = '#/work'; // (hashchange draws it)
  else route();
}

async function loadMe(first = false) {
  const me = await api('GET', '/api/me', undefined, { signingIn: first });
  state.me = me;
  state.csrf = me.csrf;
}

// ---- the work list ------------------------------------------------------------------------------

async function screenWork(_, seq) {
  const r = await api('GET', '/api/work');
  const items = r.work.map(w => {
    if (w.action === 'confirm') {
      return h('li', { class: 'work-item', 'data-action': 'confirm', 'data-change': w.change },
        h('p', { class: 'what' }, h('span', { class: 'chip action' }, t('work.actions.confirm')), ' ',
          t('work.change', w.account, roleNames(w.roles), w.proposed_by)),
        h('button', { type: 'button', id: `confirm-${w.change}`, onclick: ev => confirmChange(ev.target, w.change) }, t('work.confirm')));
    }
    const b = w.batch;
    return h('li', { class: 'work-item', 'data-action': w.action, 'data-batch': b.id },
      h('p', { class: 'what' }, h('span', { class: 'chip action' }, t(`work.actions.${w.action}`)), ' ',
        h('a', { href: `#/batch/${b.id}` }, t('work.batch', b.id, ''), zh(b.title))),
      h('p', { class: 'meta' }, `${t(`kinds.${b.kind}`)} · `, stateChip(b), ` · ${t('lines', b.rows)}`,
        b.gongshi_from ? ` · ${t('batch.period')} ${t('batch.periodText', b.gongshi_from, b.gongshi_to)}` : ''));
  });
  const roles = state.me.account.roles;
  const empty = !roles.length ? t('work.noRole') : has('auditor') ? t('work.auditor') : t('work.empty');
  paint(seq, t('work.title'), items.length ? h('ul', { id: 'work-list', class: 'work' }, items) : h('p', { id: 'work-empty', class: 'card' }, empty));
}

async function confirmChange(button, id) {
  button.disabled = true;
  try {
    const x = await api('POST', `/api/changes/${id}/confirm`, {});
    // confirming a new account's roles gives the second half of its enrolment code
    if (x.enrolment_second_half) state.enrolment = { name: x.account, code: x.enrolment_second_half, half: 'second' };
    done(() => t('work.confirmed'));
  } catch (e) {
    button.disabled = false;
    if (e.status !== 401) done(e, 'bad');
  }
}

// ---- batches ---------------------------------------------------------------------------------------

function uploadForm(id, replaceable, fixed) {
  const progress = h('progress', { id: `${id}-progress`, max: 100, value: 0, 'aria-labelledby': `${id}-progress-label` });
  const pct = h('span', { id: `${id}-progress-text`, class: 'note' });
  const bar = h('div', { class: 'progress', id: `${id}-progress-box`, hidden: true },
    h('span', { id: `${id}-progress-label`, class: 'label' }, t('batches.progress')), progress, pct);
  const result = h('div', { id: `${id}-result` });
  const kids = [
    field(t('batches.name'), input(`${id}-title`, { name: 'title', required: true, maxlength: 120, value: fixed ? fixed.title : '' })),
    field(t('batches.file'), input(`${id}-file`, { name: 'file', type: 'file', accept: '.csv,text/csv', required: true }), t('batches.fileHint')),
  ];
  if (!fixed && replaceable.length) {
    kids.push(field(t('batches.replace'), h('select', { id: `${id}-replace`, name: 'replace' },
      h('option', { value: '' }, t('batches.replaceNone')),
      replaceable.map(b => h('option', { value: b.id }, `${b.id} ${b.title}`)))));
  }
  const f = form(id, [kids, bar], t('batches.submit'), async f => {
    const file = f.querySelector(`#${id}-file`).files[0];
    const replace = fixed ? fixed.id : val(f, 'replace');
    result.replaceChildren();
    state.refused = null;
    bar.hidden = false;
    progress.value = 0;
    const step = p => {
      progress.value = Math.round(p * 100);
      pct.textContent = p >= 1 ? t('batches.checking') : t('batches.pct', Math.round(p * 100));
    };
    step(0);
    const { status, data } = await uploadCsv(file, val(f, 'title'), replace, step);
    if (status === 201) {
      state.flash = { text: () => t('batches.stored', data.id, data.rows) };
      state.focus = 'title';
      location.hash = `#/batch/${data.id}`;
      return;
    }
    if (status === 401) { signedOut(data && say(data.message)); return; }
    pct.textContent = '';
    if (!data || !data.refusals) throw new ApiError(status, data && data.error, data && data.message ? say(data.message) : t('err.http', status));
    state.refused = { form: id, data, title: val(f, 'title') }; // kept through a language switch
    refusals(result, id, data);
    result.querySelector('.refused').focus();
  });
  if (state.refused && state.refused.form === id) {
    refusals(result, id, state.refused.data);
    f.querySelector(`#${id}-title`).value = state.refused.title;
  }
  f.append(result);
  return f;
}

// a 422's refusals by line and field, in the page's language
function refusals(box, id, data) {
  box.replaceChildren(h('div', { class: 'refused', id: `${id}-refused`, tabindex: '-1' },
    h('p', { class: 'error' }, say(data.message)), h('p', {}, t('batches.refusals', data.refusals.length, data.total))),
  table('refusals', t('batches.problems'), [
    [t('batches.line'), r => String(r.line)], [t('batches.field'), r => h('span', { class: 'mono' }, r.field)],
    [t('batches.rule'), r => r.rule || '–'], [t('batches.message'), r => say(r.message)]], data.refusals));
}

async function screenBatches(_, seq) {
  const r = await api('GET', '/api/batches');
  const list = r.batches.filter(b => b.kind !== 'revoke').slice().reverse();
  const upload = has('clerk') ? card('upload', t('batches.upload'),
    uploadForm('upload', list.filter(b => b.state === 'draft' && b.kind === 'issue'))) : null;
  const cols = [
    [t('batches.id'), b => String(b.id)],
    [t('batches.name'), b => h('a', { href: `#/batch/${b.id}` }, zh(b.title))],
    [t('batches.kind'), b => t(`kinds.${b.kind}`)], [t('batches.state'), stateChip],
    [t('batches.rows'), b => String(b.rows)],
    [t('batches.period'), b => b.gongshi_from ? t('batch.periodText', b.gongshi_from, b.gongshi_to) : '–'],
    [t('batches.objections'), b => String(b.open_objections)],
  ];
  paint(seq, t('batches.title'), upload, card('batch-list', t('batches.list'),
    list.length ? table('batches-table', t('batches.list'), cols, list, b => ({ 'data-batch': b.id }), true) : h('p', {}, t('batches.none'))));
}

function steps(b) {
  const all = b.kind === 'revoke' ? ['draft', 'approved', 'signed', 'published']
    : ['draft', 'publicised', 'closed', 'approved', 'signed', 'published'];
  const at = all.indexOf(phase(b));
  return h('ol', { id: 'steps', class: 'stepper', 'aria-label': t('batch.steps') },
    all.map((p, i) => h('li', { class: i < at ? 'done' : i === at ? 'now' : 'later', 'aria-current': i === at ? 'step' : null }, t(`states.${p}`))));
}

function facts(b) {
  const period = b.gongshi_from
    ? [t('batch.periodText', b.gongshi_from, b.gongshi_to), ' · ', b.working_days_left ? t('batch.left', b.working_days_left) : t('batch.over')]
    : t('batch.notYet');
  return dl('batch-facts', [
    [t('batches.kind'), t(`kinds.${b.kind}`)], [t('batches.state'), stateChip(b)],
    [t('batch.preparedBy'), b.prepared_by], [t('batch.rows'), String(b.rows)],
    b.kind !== 'revoke' && [t('batch.period'), h('span', { id: 'batch-period' }, period)],
    [t('batch.openObj'), String(b.open_objections)],
    b.approved_by && [t('batch.approvedBy'), b.approved_by],
    b.decision && [t('batch.decision'), zh(b.decision)],
    b.issue_batch ? [t('batch.issueBatch'), String(b.issue_batch)] : null,
    [t('batch.hash'), h('code', { class: 'hash', id: 'batch-hash' }, b.rows_hash)],
  ]);
}

function rowColumns(kind) {
  const B = (k, ...a) => t(`batch.${k}`, ...a);
  if (kind === 'revoke') {
    return [[B('line'), r => String(r.line)], [B('certId'), r => String(r.id)], [B('reason'), r => t(`reasons.${r.reason}`)],
            [B('day'), r => h('span', { class: 'nowrap' }, r.words.day || '')], [B('blacklist'), r => r.blacklist ? t('yes') : t('no')],
            [B('until'), r => r.words.until || '–']];
  }
  if (kind === 'convert') {
    return [[B('line'), r => String(r.line)], [B('certId'), r => String(r.id)], [B('at'), r => r.words.at || ''],
            [B('committee'), r => String(r.committee)], [B('reevaluation'), r => r.reevaluation ? t('yes') : t('no')],
            [B('status'), r => r.dropped ? B('dropped') : B('kept')]];
  }
  return [
    [B('line'), r => String(r.line)], [B('name'), r => h('span', { class: 'nowrap', lang: 'zh-CN' }, r.name)],
    [B('idno'), r => h('span', { class: 'mono nowrap' }, mask(r.mask))],
    [B('titleCol'), r => [zh(`${r.words.series_zh} ${r.words.title_zh}`),
      state.lang === 'en' ? ` (${r.words.title_en}, ${r.words.series_en}; ${r.words.level_en})` : `（${r.words.level_zh}）`,
      ' · ', zh(r.specialty)]],
    [B('track'), r => `${words(r, 'track')} · ${words(r, 'method')}`],
    [B('obtained'), r => h('span', { class: 'nowrap' }, r.words.obtained)],
    [B('employer'), r => [zh(r.words.employer_name || ''), h('span', { class: 'sub mono' }, r.employer)]],
    [B('scope'), r => h('span', { class: r.track === 1 ? 'scope basic' : 'scope' }, words(r, 'scope'))],
    [B('status'), r => r.dropped ? h('span', { class: 'chip dropped' }, B('dropped')) : B('kept')],
  ];
}

async function screenBatch(id, seq) {
  const [b, signer, calendar] = await Promise.all([
    api('GET', `/api/batches/${id}`),
    has('custodian') ? api('GET', '/api/signer').catch(() => null) : Promise.resolve(null),
    has('clerk') ? api('GET', '/api/calendar').catch(() => null) : Promise.resolve(null),
  ]);
  if (calendar) state.calendarDays = calendar.gongshi_working_days;
  const me = state.me.account.name;
  const base = b.kind === 'revoke' ? `/api/revocations/${id}` : `/api/batches/${id}`;
  const sections = [steps(b), card('summary', t('batch.facts'), facts(b))];
  if (has('clerk') && b.kind !== 'revoke' && b.state === 'draft') sections.push(publiciseCard(b), reuploadCard(b));
  if (b.kind !== 'revoke' && (b.objections || (has('clerk') && b.state === 'publicised'))) sections.push(objectionsCard(b));
  if (has('approver') && ['draft', 'publicised', 'approved'].includes(b.state) && (b.kind === 'revoke' || b.state !== 'draft'))
    sections.push(approveCard(b, base, me));
  if (has('custodian') && b.state === 'approved' && b.prepared_by !== me && b.approved_by !== me) sections.push(signCard(b, base, signer));
  if (has('custodian') && b.state === 'signed') sections.push(publishCard('batch-publish'));
  if (b.rows_detail) {
    const dropped = b.rows_detail.filter(r => r.dropped).length;
    sections.push(card('rows', t('batch.rowsTitle'), h('p', { class: 'note' }, t('batch.personal')),
      table('rows-table', t('batch.caption', b.rows_detail.length, dropped), rowColumns(b.kind), b.rows_detail,
        r => ({ 'data-line': r.line, class: r.dropped ? 'dropped' : null }))));
  } else {
    sections.push(card('rows', t('batch.rowsTitle'), h('p', { class: 'note' }, t('batch.noRows'))));
  }
  paint(seq, [t('batch.title', b.id, ''), zh(b.title)], h('p', {}, h('a', { href: b.kind === 'revoke' ? '#/revocations' : '#/batches' }, t('batch.back'))), sections);
}

function publiciseCard(b) {
  return card('publicise', t('batch.publicise'), form('publicise-form', [h('p', { class: 'note' }, t('batch.publiciseNote', state.calendarDays || 5))],
    t('batch.publicise'), async () => {
      const r = await api('POST', `/api/batches/${b.id}/publicise`, {});
      done(() => t('batch.publicised', r.gongshi_from, r.gongshi_to));
    }));
}

function reuploadCard(b) {
  const d = h('details', { class: 'card', id: 'reupload' }, h('summary', {}, t('batches.reupload')),
    h('p', { class: 'note' }, t('batches.reuploadNote')), uploadForm('reupload-form', [], { id: b.id, title: b.title }));
  return d;
}

function objectionsCard(b) {
  const rows = b.rows_detail || [];
  const name = line => { const r = rows.find(x => x.line === line); return r ? r.name : ''; };
  const list = (b.objections || []).map(o => h('li', { class: `objection obj-${o.state}`, 'data-objection': o.id },
    h('p', { class: 'what' }, h('strong', {}, t('batch.objNo', o.id)), ' · ', t('batch.objAgainst', o.line, ''), zh(name(o.line)), ' · ',
      h('span', { class: `chip obj-${o.state}` }, t(`batch.objStates.${o.state}`))),
    dl(null, [[t('batch.objector'), zh(o.objector)], [t('batch.contact'), o.contact], [t('batch.received'), o.received || ''],
              [t('batch.text'), zh(o.text)], [t('batch.recordedBy'), o.recorded_by],
              o.resolved_by && [t('batch.resolvedBy'), o.resolved_by], o.outcome && [t('batch.outcome'), zh(o.outcome)]]),
    has('approver') && o.state === 'open' ? resolveForm(o) : null));
  const kids = [h('p', { class: 'note' }, t('batch.objPrivate')),
    list.length ? h('ul', { id: 'objections', class: 'objections' }, list) : h('p', {}, t('batch.objNone'))];
  if (has('clerk') && b.state === 'publicised') {
    const lines = rows.filter(r => !r.dropped);
    kids.push(h('h3', {}, t('batch.objForm')), form('objection-form', [
      field(t('batch.objLine'), h('select', { id: 'obj-line', name: 'line', required: true },
        lines.map(r => h('option', { value: r.line, lang: 'zh-CN' }, `${r.line} · ${r.name}`)))),
      field(t('batch.objector'), input('obj-objector', { name: 'objector', required: true, maxlength: 60 })),
      field(t('batch.contact'), input('obj-contact', { name: 'contact', required: true, maxlength: 120, autocomplete: 'off' })),
      field(t('batch.received'), input('obj-received', { name: 'received', type: 'date', required: true, value: state.me.today || '' })),
      field(t('batch.text'), h('textarea', { id: 'obj-text', name: 'text', rows: 3, required: true, maxlength: 4000 })),
    ], t('batch.objSubmit'), async f => {
      await api('POST', `/api/batches/${b.id}/objections`, { line: Number(val(f, 'line')), objector: val(f, 'objector'),
        contact: val(f, 'contact'), received: val(f, 'received'), text: val(f, 'text') });
      done(() => t('batch.recorded'));
    }, [], 'wide'));
  }
  return card('objections-card', t('batch.objections'), kids);
}

function resolveForm(o) {
  const choice = h('fieldset', { class: 'choice' }, h('legend', {}, t('batch.decisionLegend')),
    h('label', { class: 'radio' }, input(`resolve-upheld-${o.id}`, { type: 'radio', name: 'upheld', value: 'yes', checked: true }), ' ', t('batch.upheld')),
    h('label', { class: 'radio' }, input(`resolve-dismissed-${o.id}`, { type: 'radio', name: 'upheld', value: 'no' }), ' ', t('batch.dismissed')));
  return h('div', { class: 'resolve' }, h('h3', {}, t('batch.resolve', o.id)), form(`resolve-${o.id}`, [
    choice, field(t('batch.outcome'), h('textarea', { id: `resolve-outcome-${o.id}`, name: 'outcome', rows: 2, required: true, maxlength: 1000 })),
  ], t('batch.resolveSubmit'), async f => {
    const upheld = f.querySelector(`#resolve-upheld-${o.id}`).checked;
    await api('POST', `/api/objections/${o.id}/resolve`, { upheld, outcome: val(f, 'outcome') });
    done(() => t('batch.resolved'));
  }));
}

function approveCard(b, base, me) {
  if (b.prepared_by === me) return card('approve', t('batch.approve'), h('p', { class: 'note' }, t('batch.ownBatch')));
  const ready = b.kind === 'revoke' ? b.state === 'draft' : b.publicity_closed && b.state === 'publicised';
  const reject = h('button', { type: 'button', class: 'secondary', id: 'reject-button', onclick: async ev => {
    const f = ev.target.form;
    await run(f, async () => { await api('POST', `${base}/reject`, {}); done(() => t('batch.rejected')); });
  } }, t('batch.reject'));
  if (!ready) {
    return card('approve', t('batch.approve'), h('p', { class: 'note' }, b.state === 'approved' ? t('batch.approved', b.decision) : t('batch.waitPeriod')),
      b.state !== 'draft' ? h('form', { id: 'reject-form' }, h('p', { class: 'error', role: 'alert' }), h('div', { class: 'row' }, reject)) : null);
  }
  return card('approve', t('batch.approve'),
    h('p', {}, b.kind === 'revoke' ? t('batch.approveRevoke', b.rows) : t('batch.approveWhat', b.rows)),
    dl('approve-facts', [[t('batch.hash'), h('code', { class: 'hash', id: 'approve-hash' }, b.rows_hash)]]),
    form('approve-form', [
      field(t('batch.decision'), input('approve-decision', { name: 'decision', required: true, maxlength: 64 }), t('batch.decisionHint')),
    ], t('batch.approveSubmit'), async f => {
      const r = await api('POST', `${base}/approve`, { rows_hash: b.rows_hash, decision: val(f, 'decision') });
      done(() => t('batch.approved', r.decision));
    }, [reject]));
}

function signerLine(s, short = false) {
  if (!s || s.state === 'unreachable') return h('span', { class: 'chip bad' }, t('signer.unreachable'));
  if (s.state === 'locked') return h('span', { class: 'chip locked' }, t('signer.locked'));
  const chip = h('span', { class: 'chip unlocked' }, t('signer.unlocked'));
  return short ? chip : [chip, ` ${s.custodian || ''} · ${t('signer.until')} ${beijing(s.until)}`];
}

function signCard(b, base, signer) {
  const kids = [h('p', { id: 'sign-signer' }, `${t('batch.signerState')}: `, signerLine(signer)), h('p', { class: 'note' }, t('batch.signNote'))];
  if (signer && signer.state === 'locked') {
    kids.push(h('p', { class: 'warn-text' }, t('batch.needUnlock'), ' ', h('a', { href: '#/signer', id: 'to-signer' }, t('batch.toSigner'))));
  }
  kids.push(form('sign-form', [
    field(t('batch.signPw'), input('sign-password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  ], b.kind === 'revoke' ? t('batch.signRevoke') : t('batch.signSubmit'), async f => {
    const r = await api('POST', `${base}/sign`, { password: f.querySelector('#sign-password').value });
    done(() => t('batch.signed', r.signed));
  }));
  return card('sign', t('batch.sign'), kids);
}

function publishCard(id) {
  return card(id, t('batch.publish'), h('p', { class: 'note' }, t('batch.publishNote')), form(`${id}-form`, [
    field(t('batch.publishPw'), input(`${id}-password`, { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  ], t('batch.publishSubmit'), async f => {
    const r = await api('POST', '/api/signer', { op: 'publish', password: f.querySelector(`#${id}-password`).value });
    done(() => t('batch.published', r.version, r.register_size));
  }));
}

// ---- revocations ----------------------------------------------------------------------------------

function parseIds(text) { return [...new Set((text.match(/\d{6,12}/g) || []).map(Number))]; }

async function screenRevocations(_, seq) {
  const r = await api('GET', '/api/revocations');
  const list = r.revocations.slice().reverse();
  let propose = null;
  if (has('clerk')) {
    const fileInput = input('revoke-file', { name: 'file', type: 'file', accept: '.csv,text/csv,text/plain' });
    const fileNote = h('p', { class: 'note', id: 'revoke-file-note', 'aria-live': 'polite' });
    fileInput.addEventListener('change', async () => {
      const f = fileInput.files[0];
      if (!f) return;
      const ids = (await f.text()).split(/\r?\n/).map(l => l.split(',')[0].replace(/"/g, '').trim()).filter(x => /^\d{6,12}$/.test(x));
      const box = $('#revoke-ids');
      box.value = [...new Set([...parseIds(box.value), ...ids.map(Number)])].join('\n');
      fileNote.textContent = t('revocations.fromFile', ids.length);
    });
    const blacklist = input('revoke-blacklist', { name: 'blacklist', type: 'checkbox', 'aria-controls': 'revoke-bl-fields' });
    // the blacklist's reason and end only when it is asked for
    const blFields = h('div', { id: 'revoke-bl-fields', class: 'field-group', hidden: true },
      field(t('revocations.blReason'), input('revoke-bl-reason', { name: 'blacklist_reason', maxlength: 200 })),
      field(t('revocations.until'), input('revoke-until', { name: 'until', type: 'date' })));
    blacklist.addEventListener('change', () => { blFields.hidden = !blacklist.checked; });
    propose = card('propose', t('revocations.propose'), h('p', { class: 'note' }, t('revocations.decisionNote')), form('revoke-form', [
      field(t('revocations.name'), input('revoke-title', { name: 'title', required: true, maxlength: 120 })),
      field(t('revocations.ids'), h('textarea', { id: 'revoke-ids', name: 'ids', rows: 3, required: true, spellcheck: 'false' }), t('revocations.idsHint')),
      field(t('revocations.csv'), fileInput), fileNote,
      field(t('revocations.reason'), h('select', { id: 'revoke-reason', name: 'reason' },
        ['fraud', 'error', 'other'].map(x => h('option', { value: x }, t(`reasons.${x}`))))),
      field(t('revocations.day'), input('revoke-day', { name: 'day', type: 'date', required: true, value: state.me.today || '' })),
      h('div', { class: 'field check' }, blacklist, h('label', { for: 'revoke-blacklist' }, t('revocations.blacklist'))),
      blFields,
    ], t('revocations.submit'), async f => {
      const ids = parseIds(val(f, 'ids'));
      if (!ids.length) return fail(f, f.querySelector('#revoke-ids'), t('revocations.noIds'));
      const body = { title: val(f, 'title'), ids, reason: val(f, 'reason'), day: val(f, 'day') };
      if (blacklist.checked) {
        body.blacklist = true;
        if (val(f, 'blacklist_reason')) body.blacklist_reason = val(f, 'blacklist_reason');
        if (val(f, 'until')) body.until = val(f, 'until');
      }
      const x = await api('POST', '/api/revocations', body);
      state.flash = { text: () => t('revocations.proposed', x.id) };
      state.focus = 'title';
      location.hash = `#/batch/${x.id}`;
    }, [], 'wide'));
  }
  const cols = [[t('batches.id'), b => String(b.id)], [t('revocations.name'), b => h('a', { href: `#/batch/${b.id}` }, zh(b.title))],
    [t('batches.state'), stateChip], [t('batches.rows'), b => String(b.rows)], [t('batch.decision'), b => b.decision ? zh(b.decision) : '–']];
  paint(seq, t('revocations.title'), propose, card('revocation-list', t('revocations.list'),
    list.length ? table('revocations-table', t('revocations.list'), cols, list, b => ({ 'data-batch': b.id }), true) : h('p', {}, t('revocations.none'))));
}

// ---- certificates --------------------------------------------------------------------------------

async function screenCertificates(_, seq) {
  const q = state.query || '';
  const results = h('div', { id: 'results' });
  const f = form('search-form', [field(t('certificates.q'), input('search-q', { name: 'q', type: 'search', required: true, value: q, maxlength: 60 }))],
    t('certificates.submit'), async f => { state.query = val(f, 'q'); await showHits(results, state.query); });
  paint(seq, t('certificates.title'), card('search', t('certificates.search'), h('p', { class: 'note' }, t('certificates.audited')), f), results);
  if (q) await showHits(results, q);
}

async function showHits(box, q) {
  const r = await api('GET', `/api/certificates?${new URLSearchParams({ q })}`);
  const C = (k, ...a) => t(`certificates.${k}`, ...a);
  const cols = [[C('id'), c => String(c.id)], [C('status'), c => h('span', { class: `chip cert-${c.status}` }, C(`statuses.${c.status}`))],
    [C('name'), c => h('span', { class: 'nowrap', lang: 'zh-CN' }, c.name)],
    [C('idno'), c => h('span', { class: 'mono nowrap' }, mask(c.id_mask))], [C('employer'), c => h('span', { class: 'mono' }, c.employer)],
    [C('specialty'), c => zh(c.specialty)], [C('track'), c => zh(c.track)], [C('obtained'), c => h('span', { class: 'nowrap' }, c.obtained)]];
  box.replaceChildren(card('hits', C('caption', r.certificates.length),
    r.certificates.length ? table('hits-table', C('caption', r.certificates.length), cols, r.certificates, c => ({ 'data-id': c.id }), true) : h('p', {}, C('none')),
    r.more ? h('p', { class: 'note' }, C('more')) : null));
}

// ---- the signer --------------------------------------------------------------------------------------

async function screenSigner(_, seq) {
  const s = await api('GET', '/api/signer');
  const S = (k, ...a) => t(`signer.${k}`, ...a);
  const status = dl('signer-state', [
    [S('state'), signerLine(s, true)],
    s.state === 'unlocked' && [S('custodian'), s.custodian],
    s.state === 'unlocked' && [S('until'), beijing(s.until)],
    s.state === 'unlocked' && [S('left'), S('mins', s.seconds_left)],
    s.backend && [S('backend'), S(`backends.${s.backend}`)],
  ]);
  const lock = h('button', { type: 'button', class: 'secondary', id: 'lock-button', onclick: async ev => {
    await run(ev.target.closest('form'), async () => { await api('POST', '/api/signer', { op: 'lock' }); done(() => S('lockedMsg')); });
  } }, S('lock'));
  const parts = [card('signer-status', S('state'), h('p', { class: 'note' }, S('about')), status,
    s.state === 'unlocked' ? h('form', { id: 'lock-form' }, h('p', { class: 'error', role: 'alert' }), h('div', { class: 'row' }, lock)) : null)];
  if (has('custodian') && s.state === 'locked') {
    parts.push(card('unlock', S('unlock'), form('unlock-form', [
      field(S('passphrase'), input('unlock-passphrase', { name: 'passphrase', type: 'password', autocomplete: 'off', required: true }), S('passphraseHint')),
      field(S('keyPassphrase'), input('unlock-key-passphrase', { name: 'key_passphrase', type: 'password', autocomplete: 'off' })),
      field(S('pin'), input('unlock-pin', { name: 'pin', type: 'password', autocomplete: 'off', inputmode: 'numeric' })),
      field(S('password'), input('unlock-password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
      field(S('minutes'), input('unlock-minutes', { name: 'minutes', type: 'number', min: 1, max: 480, value: '60', required: true }), S('minutesHint')),
    ], S('unlockSubmit'), async f => {
      const body = { op: 'unlock', passphrase: f.querySelector('#unlock-passphrase').value,
                     password: f.querySelector('#unlock-password').value, minutes: Math.max(1, Math.min(480, Number(val(f, 'minutes')) || 60)) };
      const pin = f.querySelector('#unlock-pin').value;
      if (pin) body.pin = pin;
      const kp = f.querySelector('#unlock-key-passphrase').value;
      if (kp) body.key_passphrase = kp;
      const r = await api('POST', '/api/signer', body);
      done(() => S('unlockedMsg', beijing(r.until)));
    }, [], 'wide')));
  }
  if (has('custodian')) parts.push(publishCard('signer-publish'));
  paint(seq, S('title'), parts);
}

// ---- accounts and roles --------------------------------------------------------------------------

const ROLES = ['clerk', 'approver', 'custodian', 'auditor', 'admin'];
function roleBoxes(prefix, current = []) {
  return h('fieldset', { class: 'choice roles', id: `${prefix}-roles` }, h('legend', {}, t('users.addRoles')),
    ROLES.map(r => h('label', { class: 'radio' },
      input(`${prefix}-role-${r}`, { type: 'checkbox', name: 'role', value: r, checked: current.includes(r) }), ' ', t(`roles.${r}`))));
}
function rolesOf(f) { return [...f.querySelectorAll('input[name=role]:checked')].map(c => c.value).join(','); }

async function screenUsers(_, seq) {
  const r = await api('GET', '/api/users');
  const me = state.me.account.name, admin = has('admin');
  const U = (k, ...a) => t(`users.${k}`, ...a);
  const actions = u => {
    if (!admin || u.name === me || u.disabled || u.altered) return '–'; // an altered record acts no more: a backup mends it
    const change = form(`roles-${u.name}`, [roleBoxes(`roles-${u.name}`, u.roles)], U('rolesSubmit'), async f => {
      const roles = rolesOf(f);
      if (!roles) return fail(f, f.querySelector('input'), t('err.required', U('roles')));
      await api('POST', `/api/users/${encodeURIComponent(u.name)}/roles`, { roles });
      done(() => U('proposed'));
    });
    const d = h('details', { class: 'inline' }, h('summary', {}, U('changeRoles')), change);
    // the second half of a code another admin holds the first of (after an add or a reset)
    const half = u.awaiting_half && u.first_half_by !== me ? h('button', { type: 'button', id: `half-${u.name}`, onclick: async ev => {
      ev.target.disabled = true;
      try {
        const x = await api('POST', `/api/users/${encodeURIComponent(u.name)}/half`, {});
        state.enrolment = { name: u.name, code: x.enrolment_second_half, half: 'second' };
        done(() => U('halfGiven', u.name));
      } catch (e) { ev.target.disabled = false; if (e.status !== 401) done(e, 'bad'); }
    } }, U('giveHalf')) : null;
    const off = h('button', { type: 'button', class: 'danger', id: `disable-${u.name}`, onclick: async ev => {
      if (!window.confirm(U('disableConfirm', u.name))) return;
      ev.target.disabled = true;
      try { await api('POST', `/api/users/${encodeURIComponent(u.name)}/disable`, {}); done(() => U('disabledMsg', u.name)); }
      catch (e) { ev.target.disabled = false; if (e.status !== 401) done(e, 'bad'); }
    } }, U('disable'));
    // a reset (a lost phone, a forgotten password, a withdrawn code): the first half of a new code
    const reset = h('button', { type: 'button', class: 'secondary', id: `reset-${u.name}`, onclick: async ev => {
      if (!window.confirm(U('resetConfirm', u.name))) return;
      ev.target.disabled = true;
      try {
        const x = await api('POST', `/api/users/${encodeURIComponent(u.name)}/reset`, {});
        state.enrolment = { name: u.name, code: x.enrolment_first_half, half: 'first', reset: true };
        done(() => U('resetDone', u.name));
      } catch (e) { ev.target.disabled = false; if (e.status !== 401) done(e, 'bad'); }
    } }, U('reset'));
    return h('div', { class: 'actions' }, d, half, reset, off);
  };
  const users = table('users-table', U('list'), [
    [U('name'), u => u.name], [U('display'), u => zh(u.display)], [U('roles'), u => roleNames(u.roles)],
    [U('enrolled'), u => u.enrolled ? t('yes') : u.awaiting_half ? U('awaitingHalf') : u.code_withdrawn ? U('codeWithdrawn') : t('no')], [U('state'), u => u.altered ? h('span', { class: 'chip bad' }, U('altered')) : u.disabled ? U('disabled') : U('active')],
    [U('actions'), actions]], r.users, u => ({ 'data-user': u.name }), true);
  const pending = r.pending.length ? table('pending-table', U('pending'), [
    [U('change'), c => String(c.id)], [U('account'), c => c.account], [U('newRoles'), c => roleNames(c.roles)], [U('by'), c => c.proposed_by],
    [U('actions'), c => !admin ? '–' : c.proposed_by === me || c.account === me ? U('own')
      : h('button', { type: 'button', id: `confirm-${c.id}`, onclick: ev => confirmChange(ev.target, c.id) }, U('confirm'))]],
    r.pending, c => ({ 'data-change': c.id }), true) : h('p', {}, U('pendingNone'));
  const parts = [card('pending', U('pending'), pending)];
  if (admin) {
    parts.unshift(card('add-user', U('add'), h('p', { class: 'note' }, U('rules')), form('add-user-form', [
      field(U('addName'), input('user-name', { name: 'name', required: true, maxlength: 31, pattern: '[A-Za-z0-9._-]+', autocomplete: 'off' }), U('addNameHint')),
      field(U('addDisplay'), input('user-display', { name: 'display', required: true, maxlength: 60, autocomplete: 'off' })),
      roleBoxes('user'),
    ], U('addSubmit'), async f => {
      const roles = rolesOf(f);
      if (!roles) return fail(f, f.querySelector('input[name=role]'), t('err.required', U('roles')));
      const x = await api('POST', '/api/users', { name: val(f, 'name'), display: val(f, 'display'), roles });
      state.enrolment = { name: x.name, code: x.enrolment_first_half, half: 'first' };
      done(() => U('proposed'));
    }, [], 'wide')));
  }
  parts.push(card('users', U('list'), users));
  paint(seq, U('title'), parts);
}

// ---- the calendar ----------------------------------------------------------------------------------

async function screenCalendar(_, seq) {
  const r = await api('GET', '/api/calendar');
  state.calendarDays = r.gongshi_working_days;
  const C = (k, ...a) => t(`calendar.${k}`, ...a);
  const parts = [card('years', C('years'), h('p', { class: 'note' }, C('about')), h('p', {}, C('days', r.gongshi_working_days)),
    r.years.length ? h('ul', { id: 'calendar-years', class: 'years' }, r.years.map(y => h('li', {}, String(y)))) : h('p', {}, C('none')))];
  if (has('admin')) {
    parts.push(card('load', C('load'), form('calendar-form', [
      field(C('file'), input('calendar-file', { name: 'file', type: 'file', accept: '.json,application/json', required: true })),
    ], C('submit'), async f => {
      const text = await f.querySelector('#calendar-file').files[0].text();
      const x = await api('POST', '/api/calendar', text);
      done(() => C('loaded', x.year));
    })));
  }
  paint(seq, C('title'), parts);
}

// ---- the audit view -------------------------------------------------------------------------------

async function screenAudit(_, seq) {
  const filt = state.auditFilter || { account: '', action: '', day: '' };
  const q = new URLSearchParams(Object.entries(filt).filter(([, v]) => v));
  const r = await api('GET', `/api/audit?${q}`);
  const A = (k, ...a) => t(`audit.${k}`, ...a);
  const f = form('audit-form', [
    field(A('account'), input('audit-account', { name: 'account', value: filt.account, maxlength: 31, autocomplete: 'off' })),
    field(A('action'), input('audit-action', { name: 'action', value: filt.action, maxlength: 40, autocomplete: 'off', list: 'audit-actions' })),
    h('datalist', { id: 'audit-actions' }, ['console_sign_in', 'console_csrf_refused', 'console_read_rows', 'console_search', 'console_signer_request',
      'wf_prepare', 'wf_publicise', 'wf_objection', 'wf_objection_resolved', 'wf_approve', 'wf_reject', 'wf_sign', 'wf_published',
      'signer_unlock', 'signer_sign_batch', 'signer_publish', 'role_change_proposed', 'role_change_confirmed', 'account_add'].map(a => h('option', { value: a }))),
    field(A('day'), input('audit-day', { name: 'day', type: 'date', value: filt.day })),
  ], A('submit'), async f => {
    state.auditFilter = { account: val(f, 'account'), action: val(f, 'action'), day: val(f, 'day') };
    route(false);
  }, [h('a', { class: 'button secondary', id: 'audit-csv', href: `/api/audit.csv?${q}`, download: 'audit.csv' }, A('csv'))], 'wide');
  const detail = e => {
    if (!e.detail || typeof e.detail !== 'object') return String(e.detail || '');
    return Object.entries(e.detail).filter(([k]) => k !== 'account')
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : typeof v === 'string' ? say(v) : v}`).join('; ');
  };
  const events = r.events;
  paint(seq, A('title'), card('audit-filter', A('filter'), h('p', { class: 'note' }, A('about')), f),
    card('audit-events', A('caption', events.length), events.length ? table('audit-table', A('caption', events.length), [
      [A('seq'), e => String(e.seq)], [A('at'), e => h('span', { class: 'nowrap' }, e.at)], [A('action'), e => h('span', { class: 'mono' }, e.action)],
      [A('account'), e => (e.detail && e.detail.account) || '–'], [A('cert'), e => e.certificate ? String(e.certificate) : '–'],
      [A('detail'), e => { const d = detail(e); return h('span', { class: 'detail', lang: /[\u3000-\u9fff]/.test(d) ? 'zh-CN' : null }, d); }]],
    events, e => ({ 'data-seq': e.seq }), true) : h('p', {}, A('none'))));
}

// ---- routing -----------------------------------------------------------------------------------------

const SCREENS = { work: screenWork, batches: screenBatches, batch: screenBatch, revocations: screenRevocations,
  certificates: screenCertificates, signer: screenSigner, users: screenUsers, calendar: screenCalendar, audit: screenAudit };

function where() {
  const m = location.hash.match(/^#\/([a-z]+)(?:\/(\d+))?$/);
  return m ? { name: m[1], id: m[2] ? Number(m[2]) : 0 } : { name: '', id: 0 };
}

// moved: another screen (the heading takes the focus; what the last action said and an
// enrolment code shown are let go); else the same one drawn again (after an action, in the other
// language)
async function route(moved = true) {
  if (moved) {
    state.focus = 'title';
    if (state.flash && state.flash.shown) state.flash = null;
    state.enrolment = null;
    state.refused = null;
  }
  if (!state.me) return screenSignIn();
  let { name, id } = where();
  const allowed = NAV.find(([n]) => n === name);
  if (name === 'batch' ? !id : !SCREENS[name] || (allowed && !allowed[1]())) {
    name = 'work';
    history.replaceState(null, '', '#/work');
  }
  const seq = ++state.seq;
  const main = $('#main');
  main.setAttribute('aria-busy', 'true');
  try {
    // who is signed in, as the store has it now (roles confirmed since, a demo store's day)
    await loadMe();
    if (seq !== state.seq) return;
    shell(name === 'batch' ? 'batches' : name);
    await SCREENS[name](id, seq);
  } catch (e) {
    if (e.status === 401) return;
    paint(seq, t(`navItems.${name === 'batch' ? 'batches' : name}`), h('p', { class: 'flash bad', role: 'alert', id: 'screen-error' }, e.message));
  } finally {
    if (seq === state.seq) main.removeAttribute('aria-busy');
  }
}

async function start() {
  reauthWire();
  $('#lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('tc-console-lang', state.lang);
    state.focus = 'none';
    $('#live').textContent = '';
    route(false);
  });
  $('#signout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout', {}); } catch { /* signed out either way */ }
    state.me = null;
    state.csrf = '';
    state.signin = { mode: 'signin', offer: null, account: '', password: '', message: '' };
    route();
  });
  $('#skip').addEventListener('click', ev => { ev.preventDefault(); $('#main').focus(); });
  // a link to the screen shown draws it again, with what changed since
  document.addEventListener('click', ev => {
    const a = ev.target.closest && ev.target.closest('a[href^="#/"]');
    if (a && a.getAttribute('href') === location.hash) { ev.preventDefault(); route(); }
  });
  window.addEventListener('hashchange', () => route());
  try {
    await loadMe(true);
  } catch {
    state.me = null;
  }
  route();
}

start();
