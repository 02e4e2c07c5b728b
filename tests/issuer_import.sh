#!/usr/bin/env bash
# issuer_import.sh - `titlecert-issuer import` of a results file as an HR office saves it:
#  - one run lists every refusal of the file in line order, fields and rules together (a row
#    that does not read is not checked against the rules), and issues nothing;
#  - a file in GBK is refused with one sentence saying how to save it as CSV UTF-8;
#  - the same file saved as CSV UTF-8 (byte-order mark, Chinese column names, Excel's dates)
#    is issued.
# Prints TAP. usage: issuer_import.sh KEYS ISSUER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") data=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export PW='issuer import test passphrase'
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 62 --tracks basic,province --out ws.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
D=(--db gs.db --hash-key store.key "${P[@]}")
I=(import "${D[@]}" --key ws.key --root root.pub --trust-list trust.list)
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null

H='姓名,身份证号码,系列,专业,级别,类别,取得方式,评审年度,取得日期,任职起始,工作单位,评审委员会,批准文号'
A=',101,甘卫高评〔2026〕3号'
{
  printf '\xef\xbb\xbf%s\r\n' "$H"
  printf '%s\r\n' "王芳,620102198503121534,卫生（医疗）,内科学,中级,基层职称,评审,2026,2026/10/20,2026年11月,12620102438000123H$A" \
    "王芳,620102198503121534,WS-YL,内科学,中级,全省统一职称,评审,2026,2026/10/32,2026/11,12620000438000456W$A" \
    "马明,6.22921E+17,WS-YL,外科学,中级,基层职称,评审,2026,46315,2026-11,12622901438000777Q$A" \
    "李四,620102198807070035,KJ,会计,员级,全省统一职称,评审,2026,2026-10-15,2026-11,12620000438000456W$A"
} > mixed.csv
check "a file with bad rows and rows the rules refuse is refused" 1 "$issuer" "${I[@]}" mixed.csv
has "line 3: the impossible date" err.txt "^mixed.csv:3: refused, obtained: “2026/10/32”不是日历上有的日期 / '2026/10/32' is not a calendar day"
has "line 4: the ID number Excel made a number, shown" err.txt "^mixed.csv:4: refused, id_number: 身份证号被 Excel 改成了数字（6.22921E+17）"
has "line 4: the date cell formatted as a number" err.txt "^mixed.csv:4: refused, obtained: 单元格是数字（46315）"
has "line 5: rule T1, in the same run" err.txt "^mixed.csv:5: refused (rule T1), level: "
truth "no D1 on line 2 from the unreadable line 3, nothing on line 2" sh -c "! grep -q '^mixed.csv:2:' err.txt"
truth "in line order" sh -c "grep -o '^mixed.csv:[0-9]*' err.txt | cut -d: -f2 | sort -nc"
has "counted, and nothing issued" err.txt "4 处拒绝，涉及 3 行；未签发任何证书 / 4 refusals on 3 lines; nothing issued"
truth "the store holds no certificate" [ "$(sqlite3 gs.db 'SELECT count(*) FROM certificates')" = 0 ]

head -2 mixed.csv | iconv -f UTF-8 -t GBK -c > gbk.csv
check "a file in GBK is refused" 1 "$issuer" "${I[@]}" gbk.csv
has "whole, saying how to save it" err.txt "^gbk.csv: refused: 文件不是 UTF-8 编码（看起来是 GBK）：请在 Excel 中“另存为” → “CSV UTF-8（逗号分隔）”后再上传 / the file is not UTF-8 (it looks like GBK): save it as 'CSV UTF-8 (comma delimited)'"
truth "once" [ "$(grep -c refused err.txt)" = 1 ]
{ printf '\xef\xbb\xbf'; iconv -f GBK -t UTF-8 gbk.csv; } > good.csv
check "saved as CSV UTF-8 it is issued" 0 "$issuer" "${I[@]}" good.csv
has "one certificate" out.txt "issued 1 certificate"

# --out-dir: the files of a batch written whole and resumable (outputs.c)
python3 "$here/gen_results.py" 3 7 12620102438000123H > three.csv
R=(--out-dir out --base-url https://zcyz.rst.gansu.gov.cn)
check "an import with --out-dir" 0 "$issuer" "${I[@]}" "${R[@]}" three.csv
truth "writes 4 files a certificate and no temporary one" [ "$(ls out | grep -vc tmp)" = 12 -a "$(ls out | grep -c tmp)" = 0 ]
batch=$(grep -o 'batch [0-9]*' out.txt | head -1 | cut -d' ' -f2)
ids=($(ls out | sed -n 's/\.link$//p' | sort))
check "rendered again into the same directory" 0 "$issuer" render "${D[@]}" "${R[@]}" --batch "$batch"
has "every certificate's files are kept" out.txt "(0 written, 3 already complete kept)"
rm "out/${ids[0]}.png"
printf 'old' > "out/${ids[1]}.link"
printf 'half' > "out/${ids[2]}.svg.tmp999999999"
printf 'theirs' > "out/${ids[2]}.png.tmp$$"
check "after a file was lost and another left from an older run" 0 "$issuer" render "${D[@]}" "${R[@]}" --batch "$batch"
has "only those two certificates are written again" out.txt "(2 written, 1 already complete kept)"
truth "the lost image is back" [ -s "out/${ids[0]}.png" ]
truth "the link is the certificate's again" grep -q '^https://zcyz.rst.gansu.gov.cn/' "out/${ids[1]}.link"
truth "a temporary file of a process gone is removed" [ ! -e "out/${ids[2]}.svg.tmp999999999" ]
truth "one of a process still running (another run into the directory) is left to it" [ -e "out/${ids[2]}.png.tmp$$" ]
rm -f "out/${ids[2]}.png.tmp$$"
check "rendered for another verification address" 0 "$issuer" render "${D[@]}" --out-dir out --base-url https://verify.example.cn --batch "$batch"
has "every file is written again" out.txt "(3 written, 0 already complete kept)"
truth "with the new address" grep -q '^https://verify.example.cn/' "out/${ids[2]}.link"
# the default number of threads: a thread for each processor the process may use (its affinity,
# as taskset or systemd's CPUAffinity= set it, and its cgroup's CPU quota), never more than there
# are certificates. The process is confined to one processor of those it may use (the first
# allowed need not be 0) by python's sched_setaffinity.
usable=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
most=$(( usable < 3 ? usable : 3 ))
one_cpu() { python3 -c 'import os, sys; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); os.execvp(sys.argv[1], sys.argv[1:])' "$@"; }
check "rendered with no --threads" 0 "$issuer" render "${D[@]}" "${R[@]}" --batch "$batch"
ran=$(sed -n 's/.*already complete kept) on \([0-9]*\) threads\{0,1\}$/\1/p' out.txt)
truth "on a thread for each usable processor, at most one a certificate (${ran:-none} of at most $most)" \
  [ "${ran:-0}" -ge 1 -a "${ran:-0}" -le "$most" ]
check "rendered confined to one processor" 0 one_cpu "$issuer" render "${D[@]}" "${R[@]}" --batch "$batch"
has "on one thread" out.txt "already complete kept) on 1 thread$"
check "rendered confined to one processor with --threads 2" 0 one_cpu "$issuer" render "${D[@]}" "${R[@]}" --threads 2 --batch "$batch"
has "--threads still decides" out.txt "already complete kept) on 2 threads$"
finish
