#!/usr/bin/env bash
# issuer_c5_c6.sh - the two rules about leaving, through the real programs:
#  C6 (SD §5(二)): a title obtained at a township unit binds its holder to serve there at least
#     5 years; the store records when the commitment ends, `show` states it, and an employment
#     import that has the holder leave the unit before then warns, naming the line and the rule;
#  C5 (CQ §4(十二), GS §3(二)): when the employment records show the holder of a basic-level
#     title at a unit that is not basic-level, `show` and `convert` say what the holder can do
#     (转评 to the same-level province-wide title, or a new application, where GS counts the
#     basic-level title as one quantified achievement).
# usage: issuer_c5_c6.sh KEYS ISSUER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") data=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export PW='c5 c6 test passphrase'
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out k --name 评委会 --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer k.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 37 --out k37.end "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer k.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 62 --out k62.end "${P[@]}" >/dev/null 2>&1
"$keys" trust-list --root root.key --version 1 --out sd.list k37.end "${P[@]}" >/dev/null

# C6 in 山东 (SD): a township health centre and a county hospital on the directory
cat > units.csv <<'CSV'
uscc,name,division,tier,basic_level,valid_from,valid_to
12370112MB0000001K,柳埠街道卫生院（示例）,370112019,township,yes,2015-01-01,
12370112MB0000002N,历城区人民医院（示例）,370112,county,yes,2015-01-01,
CSV
cat > results.csv <<'CSV'
name,id_number,series,specialty,level,track,method,eval_year,obtained,tenure_start,employer,scope_region,scope_tier,scope_unit,committee,approval
张乡,620102198503121534,WS-YL,全科医学,中级,basic,review,2026,2026-10-20,2026-11,12370112MB0000001K,,,,201,鲁卫评〔2026〕1号
李县,622921199001010024,WS-YL,内科学,中级,basic,review,2026,2026-10-20,2026-11,12370112MB0000002N,,,,201,鲁卫评〔2026〕1号
CSV
D=(--db sd.db --hash-key store.key "${P[@]}")
"$issuer" init --db sd.db --profile "$data/profiles/SD.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import "${D[@]}" units.csv >/dev/null
check "SD: issue a title at a township unit and one at a county unit" 0 "$issuer" import "${D[@]}" --key k.key \
  --root root.pub --trust-list sd.list results.csv
ids=($(sqlite3 sd.db "SELECT id FROM certificates ORDER BY id"))
check "show the township title" 0 "$issuer" show --db sd.db "${ids[0]}"
has "C6: it states the service commitment and when it ends (5 years from 2026-10-20)" out.txt \
  "服务承诺  须在取得职称的乡镇单位服务至 2031-10-19（不少于5年，SD §5(二)，C6）"
check "show the county title" 0 "$issuer" show --db sd.db "${ids[1]}"
truth "C6: a title obtained at a county unit carries no commitment" sh -c "! grep -q 服务承诺 out.txt"
cat > employment.csv <<'CSV'
id_number,name,unit,from,to
620102198503121534,张乡,12370112MB0000001K,2019-03-01,2027-06-30
620102198503121534,张乡,12370112MB0000002N,2027-07-01,
622921199001010024,李县,12370112MB0000002N,2018-01-01,2027-06-30
CSV
check "an employment import with the township holder leaving in 2027 is imported" 0 \
  "$issuer" records import "${D[@]}" employment employment.csv
has "C6: and warns, naming the line, the rule and the day" err.txt "employment.csv:2: warning (rule C6), to: 张乡 于 2027-06-30 离开 12370112MB0000001K，早于证书 ${ids[0]} 的服务期满日 2031-10-19.* / 张乡 leaves 12370112MB0000001K on 2027-06-30, before the service commitment of certificate ${ids[0]} ends on 2031-10-19"
truth "C6: no warning for the county holder, who has no commitment" sh -c "! grep -q 李县 err.txt"

# C5 in 甘肃 (GS): 马明's basic-level title, and the records showing him at the provincial hospital
"$keys" trust-list --root root.key --version 2 --out gs.list k62.end "${P[@]}" >/dev/null
G=(--db gs.db --hash-key store.key "${P[@]}")
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import "${G[@]}" "$data/samples/gs-units.csv" >/dev/null
grep -v 马明 "$data/samples/gs-employment.csv" > gs-employment.csv
grep 马明 "$data/samples/gs-employment.csv" | sed "s/,\$/,$(date -d "$today -11 days" +%F)/" > ma-at-linxia.csv
cat ma-at-linxia.csv >> gs-employment.csv
"$issuer" records import "${G[@]}" employment gs-employment.csv >/dev/null
for k in assessments ce; do "$issuer" records import "${G[@]}" $k "$data/samples/gs-$k.csv" >/dev/null; done
"$issuer" import "${G[@]}" --key k.key --root root.pub --trust-list gs.list "$data/samples/gs-results.csv" >/dev/null
ma=$(sqlite3 gs.db "SELECT c.id FROM certificates c JOIN holders h ON h.id = c.holder WHERE h.name = '马明'")
check "C5: show while the records end 马明's period at 临夏州人民医院 (basic-level) and have nothing after" 0 "$issuer" show --db gs.db "$ma"
truth "C5: nothing about leaving while the records do not show another unit" sh -c "! grep -q 离开基层 out.txt"
sed -n '1p' "$data/samples/gs-employment.csv" > left.csv
echo "622921199001010024,马明,12620000438000456W,$(date -d "$today -10 days" +%F)," >> left.csv
"$issuer" records import "${G[@]}" employment left.csv >/dev/null
check "C5: show after the records put him at the provincial hospital" 0 "$issuer" show --db gs.db "$ma"
has "C5: it says he left basic level, where and since when" out.txt "离开基层  据聘用记录，持证人自 $(date -d "$today -10 days" +%F) 起在甘肃省人民医院（示例）（非基层单位）工作"
has "C5: and what he can do: 转评, or a new application with the title as one achievement (GS)" out.txt \
  "可申请转评为同级别的全省统一职称（C5），或重新申报全省统一职称，基层职称可作为一项量化业绩（GS §3(二)）"
check "C5: convert says the same" 1 "$issuer" convert "${G[@]}" "$ma"
has "in its report" out.txt "可申请转评为同级别的全省统一职称（C5）"
K=(--key k.key --root root.pub --trust-list gs.list --committee 100)
wang=$(sqlite3 gs.db "SELECT c.id FROM certificates c JOIN holders h ON h.id = c.holder WHERE h.name = '王芳'")
check "C5 转评: refused for a holder still at a basic-level unit" 1 "$issuer" convert "${G[@]}" --reevaluation \
  --decision 甘职改〔2026〕9号 "${K[@]}" "$wang"
has "saying why" out.txt "not eligible for re-evaluation (转评, C5)"
check "C5 转评: issued for 马明, who left basic level" 0 "$issuer" convert "${G[@]}" --reevaluation \
  --decision 甘职改〔2026〕9号 "${K[@]}" "$ma"
has "a province-wide certificate, the old one superseded" out.txt "issued province-wide certificate .*; $ma is superseded"
new=$(sqlite3 gs.db "SELECT successor FROM certificates WHERE id = $ma")
check "show the 转评 certificate" 0 "$issuer" show --db gs.db "$new"
has "obtained by 转评" out.txt "类别      全省统一职称，取得方式：转评"
has "naming the basic-level title it replaces, tenure carried (C3)" out.txt "转评自    基层职称证书 $ma，任职年限自 2026-11 连续计算"
check "the old certificate is superseded" 0 "$issuer" show --db gs.db "$ma"
has "by the new one" out.txt "已换发.*新证书 $new"

# C5 (GS §3(二)): a province-wide application counting the holder's basic-level title
head -1 "$data/samples/gs-results.csv" | sed 's/$/,basic_title_achievement/' > apply.csv
echo "王芳,620102198503121534,WS-YL,内科学,正高级,province,review,2026,$(date -d "$today -1 day" +%F),$(date -d "$today -1 day" +%Y-%m),12620000438000456W,,,,101,甘卫高评〔2026〕20号,$wang" >> apply.csv
check "C5: a province-wide application counting 王芳's own basic-level title is issued" 0 \
  "$issuer" import "${G[@]}" --key k.key --root root.pub --trust-list gs.list apply.csv
senior=$(sqlite3 gs.db "SELECT max(id) FROM certificates")
check "show it" 0 "$issuer" show --db gs.db "$senior"
has "it records the basic-level title as one achievement" out.txt "量化业绩  基层职称证书 $wang 计为一项量化业绩（GS §3(二)，C5）"
head -1 apply.csv > wrong.csv
echo "王芳,620102198503121534,WS-HL,护理学,正高级,province,review,2026,$(date -d "$today -1 day" +%F),$(date -d "$today -1 day" +%Y-%m),12620000438000456W,,,,101,甘卫高评〔2026〕21号,$new" >> wrong.csv
check "C5: someone else's title is refused" 1 "$issuer" import "${G[@]}" --key k.key --root root.pub --trust-list gs.list wrong.csv
has "naming the line and rule" err.txt "wrong.csv:2: refused (rule C5), basic_title_achievement: 证书 $new .* / certificate $new"
finish
