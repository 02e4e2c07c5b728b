#!/usr/bin/env bash
# issuer_pdf_e2e.sh - the holder's e-certificate (rule A4) end to end, checked with tools titlecert
# did not write (poppler's pdftotext, pdffonts, pdfinfo, pdftoppm; zbar's zbarimg):
#  - render --pdf refuses a key without the organiser's seal, naming the command that sets one;
#  - every field is in the PDF's text, in Chinese; the CJK font is embedded as a subset; the
#    metadata names the document, the organiser and the certificate number;
#  - the QR code is a 1-bit image mask, sharp and readable at 600 dpi;
#  - page 1 rendered at 150 dpi: zbarimg reads the QR code and titlecert-verifier says valid (and
#    not_valid_here at the provincial hospital for a basic-level title); a converted certificate
#    is valid and its predecessor superseded;
#  - an interrupted run resumes: complete files are kept, a truncated one and stale temporary
#    files are replaced;
#  - with a 512 px PNG seal the file stays within 80 KB and its QR code scans;
#  - a superseded and a revoked certificate are refused, naming them, unless --status-stamp:
#    then 已换发 (with the successor) or 已撤销 is stamped across the page and said in the text
#    and the metadata, the conversion path is gone, and the QR code under the stamp still scans
#    and verifies to the live status; a valid page carries no stamp, and a converted
#    (province-wide) certificate offers no conversion path.
# Prints TAP. usage: issuer_pdf_e2e.sh KEYS ISSUER VERIFIER DATA_DIR [PNG_DIR]
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
shots=${5:-}
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
gs_fixture
succ=$(sqlite3 gs.db "SELECT successor FROM certificates WHERE id = ${ids[0]}")
kid=$("$keys" show ws.pub | sed -n 's/^public issuer key //p')
B=http://127.0.0.1:8080
R=(render --db gs.db --pdf "${T[@]}" --out-dir pdf --base-url "$B")

check "render --pdf without a seal for the key is refused" 1 "$issuer" "${R[@]}" --batch 1
has "naming the command that sets one (A4: the organiser seals it)" err.txt "titlecert-issuer seal --kid $kid"
check "seal sets the organiser's seal for the committee key" 0 "$issuer" seal "${D[@]}" --kid "$kid" \
  --organiser 甘肃省卫生健康委员会 --image "$data/samples/demo-seal.svg"
printf 'not an image' > bad.png
check "a seal that is no image is refused" 2 "$issuer" seal "${D[@]}" --kid "$kid" --organiser X --image bad.png
check "render --pdf --batch 1 is refused: its first certificate was converted" 1 "$issuer" "${R[@]}" --batch 1
has "naming it, its successor and the option" err.txt "证书 ${ids[0]} 已于 [0-9-]* 换发为证书 $succ.*/ certificate ${ids[0]} was superseded by $succ.*--status-stamp"
truth "and writing no e-certificate" sh -c '! ls pdf | grep -q "\.pdf$"'
check "with --status-stamp it writes the four e-certificates" 0 "$issuer" "${R[@]}" --batch 1 --status-stamp
has "saying how many and how fast" out.txt "e-certificates: pdf/<id>.pdf, 4 written"
check "and the converted one's" 0 "$issuer" "${R[@]}" "$succ"

pdftotext "pdf/${ids[1]}.pdf" ma.txt
for want in 专业技术职务任职资格电子证书 甘肃省人力资源和社会保障厅统一监制 马明 '\*\*\*\*\*\*\*\*\*\*\*\*\*\*0024' \
    '卫生(医疗)' 外科学 主治医师（中级） 基层职称 '评审，评审年度 2026' '2026-10-20，任职起始 2026-11' \
    临夏州人民医院 '甘肃省卫生系列高级职称评审委员会（备案号 101）' "${ids[1]}" 限甘肃省基层单位使用有效 \
    '最早 2031-11 可申请换发全省统一职称' '累计聘满 60 个月' '每年继续教育 90 学时' 年度考核合格 \
    甘肃省卫生健康委员会 "$B/v" 用手机相机扫描二维码; do
  has "pdftotext shows: $want" ma.txt "$want"
done
has "the date of issue in Chinese" ma.txt "$(TZ=Asia/Shanghai date +%Y年%-m月%-d日)"
truth "a valid certificate carries no status stamp" sh -c '! grep -q "已撤销\|已换发\|REVOKED\|SUPERSEDED" ma.txt'
pdftotext "pdf/$succ.pdf" succ.txt
has "a converted certificate shows its predecessor and carried tenure" succ.txt "基层职称证书 ${ids[0]}，任职年限自 2020-07 起连续计算"
has "and is province-wide" succ.txt 全省范围有效
truth "and offers no conversion path" sh -c '! grep -q "可申请换发\|累计聘满" succ.txt'
truth "and carries no status stamp" sh -c '! grep -q "已撤销\|SUPERSEDED" succ.txt'
pdftotext "pdf/${ids[0]}.pdf" old.txt
pdftotext -raw "pdf/${ids[0]}.pdf" old-raw.txt
has "the superseded certificate says so under its heading, with its successor" old.txt "已换发 SUPERSEDED [0-9-]* → 新证书 $succ"
has "and in the stamp across the page" old-raw.txt "^SUPERSEDED$"
truth "and offers no conversion path any more" sh -c '! grep -q "可申请换发\|累计聘满" old.txt'
pdfinfo "pdf/${ids[0]}.pdf" > old-info.txt
has "its subject says so" old-info.txt "^Subject: *已换发 SUPERSEDED [0-9-]* → 新证书 $succ"
pdffonts "pdf/${ids[1]}.pdf" > fonts.txt
has "pdffonts: the CJK font is embedded as a subset, with a Unicode map" fonts.txt "UMingCN .* yes yes yes"
truth "and no font is left unembedded" sh -c "! awk 'NR > 2 && \$(NF-4) != \"yes\"' fonts.txt | grep -q ."
pdfinfo "pdf/${ids[1]}.pdf" > info.txt
has "pdfinfo: the title names the document and the number" info.txt "^Title: *专业技术职务任职资格电子证书 ${ids[1]}"
has "the author is the organiser" info.txt "^Author: *甘肃省卫生健康委员会"
has "the keywords carry the certificate number" info.txt "^Keywords: *证书编号 ${ids[1]}"
has "one A4 page" info.txt "^Page size: *595.28 x 841.89 pts (A4)"
size=$(stat -c %s "pdf/${ids[1]}.pdf")
truth "the file is small: $size bytes (goal <= 80 KB)" [ "$size" -le 81920 ]

# page 1 at 150 dpi: the QR decodes and verifies
for id in "${ids[1]}" "$succ" "${ids[0]}"; do
  pdftoppm -r 150 -png -singlefile "pdf/$id.pdf" "page-$id"
  zbarimg --raw -q "page-$id.png" > "qr-$id.txt" 2>/dev/null
  truth "zbarimg reads the QR code on the rendered page of $id" grep -qi "^$B/v#TC1:" "qr-$id.txt"
done
[ -n "$shots" ] && mkdir -p "$shots" && cp page-*.png "$shots/" 2>/dev/null
# printed: the QR code is a 1-bit image mask without interpolation, so at 600 dpi its modules
# fill whole device pixels (rectangles at fractional positions gave 8 % grey edge pixels) and it
# decodes. Its box: 54 pt from the left, 569.89 pt from the top, 150 pt square (2 pt inset here).
one="pdf/${ids[1]}.pdf"
has "the QR code is an image mask" "$one" "/ImageMask true"
truth "drawn without interpolation" sh -c "awk '/ImageMask true/ { m = 1 } m && /Interpolate/ { print; exit }' $one | grep -q false"
pdftoppm -r 600 -gray -x 467 -y 4766 -W 1216 -H 1216 -singlefile "$one" qr600
grey=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); px = d[d.index(b"255\n") + 4:]
print(round(1000 * sum(1 for b in px if 0 < b < 255) / max(1, px.count(0))))' qr600.pgm)
truth "at 600 dpi the QR code's edges are sharp: $grey grey pixels per 1000 black (goal < 10)" [ "$grey" -lt 10 ]
zbarimg --raw -q qr600.pgm > qr600.txt 2>/dev/null
truth "and it decodes from the 600 dpi render" grep -qi "^$B/v#TC1:" qr600.txt
check "titlecert-verifier: the basic-level title from the PDF is valid" 0 "$verifier" verify --root root.pub \
  --bundle v1.bundle "$(cat "qr-${ids[1]}.txt")"
has "valid" out.txt '"verdict": *"valid"'
check "and not_valid_here at the provincial hospital" 1 "$verifier" verify --root root.pub --bundle v1.bundle \
  --unit 12620000438000456W "$(cat "qr-${ids[1]}.txt")"
has "not_valid_here" out.txt '"verdict": *"not_valid_here"'
check "the converted certificate from its PDF is valid" 0 "$verifier" verify --root root.pub --bundle v1.bundle \
  --unit 12620000438000456W "$(cat "qr-$succ.txt")"
check "its predecessor's PDF now says superseded" 1 "$verifier" verify --root root.pub --bundle v1.bundle \
  "$(cat "qr-${ids[0]}.txt")"
has "superseded, naming the successor" out.txt '"verdict": *"superseded"'

# resume: a complete file is kept, a truncated one and leftovers replaced
touch -d '2020-01-01' "pdf/${ids[2]}.pdf"
head -c 1000 "pdf/${ids[3]}.pdf" > t && mv t "pdf/${ids[3]}.pdf"
printf 'partial' > "pdf/${ids[1]}.pdf.tmp999-0"
check "render --pdf again after an interruption" 0 "$issuer" "${R[@]}" --batch 1 --threads 1 --status-stamp
# the superseded one is always written again: a file from before its status would not carry it
has "keeps the complete files of valid certificates" out.txt "2 written, 2 already complete kept"
truth "the complete file is untouched" [ "$(stat -c %Y "pdf/${ids[2]}.pdf")" = "$(date -d 2020-01-01 +%s)" ]
truth "the truncated one is whole again" sh -c "tail -c 10 pdf/${ids[3]}.pdf | grep -q '%%EOF'"
truth "no temporary file is left" sh -c '! ls pdf | grep -q tmp'
check "--force renders them all again" 0 "$issuer" "${R[@]}" --batch 1 --force --status-stamp
has "four written" out.txt "4 written"

# a 512 px PNG seal, as provinces upload them (one red ink on transparency; made here, no
# binary in the tree): the pages stay within 80 KB and their QR codes scan
python3 - seal512.png <<'EOF'
import math, struct, sys, zlib
# a 512 px seal in one red ink on transparency: two rings and a star, edges antialiased
N, C = 512, 255.5
star = [(C + (150 if k % 2 == 0 else 60) * math.sin(k * math.pi / 5),
         C - (150 if k % 2 == 0 else 60) * math.cos(k * math.pi / 5)) for k in range(10)]
def inside(x, y):
    c = False
    for i in range(10):
        (x1, y1), (x2, y2) = star[i], star[i - 1]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            c = not c
    return c
rows = []
for y in range(N):
    row = bytearray(b'\0')
    for x in range(N):
        d = math.hypot(x - C, y - C)
        a = max(min(1, 9 - abs(d - 236)), min(1, 2.5 - abs(d - 214)), 0)
        if abs(x - C) < 150 and abs(y - C) < 150 and a < 1:
            a = max(a, sum(inside(x + dx, y + dy) for dx in (-.25, .25) for dy in (-.25, .25)) / 4)
        row += bytes((200, 16, 46, round(255 * a)))
    rows.append(bytes(row))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', N, N, 8, 6, 0, 0, 0))
                              + chunk(b'IDAT', zlib.compress(b''.join(rows))) + chunk(b'IEND', b''))
EOF
check "seal sets a 512 px PNG seal" 0 "$issuer" seal "${D[@]}" --kid "$kid" \
  --organiser 甘肃省卫生健康委员会 --image seal512.png
check "render --pdf with it" 0 "$issuer" render --db gs.db --pdf "${T[@]}" --out-dir png --base-url "$B" --batch 1 \
  --status-stamp
one="png/${ids[1]}.pdf"
size=$(stat -c %s "$one")
truth "the file is small: $size bytes (goal <= 80 KB)" [ "$size" -le 81920 ]
has "the seal is its ink through its alpha channel (a soft mask), not an RGB image" "$one" "/S /Alpha"
pdftoppm -r 150 -png -singlefile "$one" png-page
zbarimg --raw -q png-page.png > qr-png.txt 2>/dev/null
truth "zbarimg reads the QR code on the page rendered at 150 dpi" cmp -s qr-png.txt "qr-${ids[1]}.txt"
[ -n "$shots" ] && pdftoppm -r 100 -png -singlefile "$one" "$shots/png-seal-${ids[1]}"

# revoked: refused without the option, stamped with it; the QR code under the stamp still scans
# and shows the live status
check "revoke a certificate" 0 "$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}"
check "render --pdf of a revoked certificate is refused" 1 "$issuer" "${R[@]}" "${ids[2]}"
has "naming it and the option" err.txt "证书 ${ids[2]} 已于 [0-9-]* 撤销.*/ certificate ${ids[2]} was revoked on [0-9-]* (fraud).*--status-stamp"
check "with --status-stamp it is rendered" 0 "$issuer" "${R[@]}" --status-stamp "${ids[2]}"
pdftotext "pdf/${ids[2]}.pdf" rev.txt
pdftotext -raw "pdf/${ids[2]}.pdf" rev-raw.txt
has "it says 已撤销 under its heading" rev.txt "已撤销 REVOKED $(TZ=Asia/Shanghai date +%F)"
has "and across the page" rev-raw.txt "^已撤销$"
truth "and offers no conversion path" sh -c '! grep -q "可申请换发" rev.txt'
pdfinfo "pdf/${ids[2]}.pdf" > rev-info.txt
has "its subject says so" rev-info.txt "^Subject: *已撤销 REVOKED"
has "and its keywords" rev-info.txt "^Keywords: .*已撤销, revoked"
pdftoppm -r 150 -png -singlefile "pdf/${ids[2]}.pdf" "page-${ids[2]}"
zbarimg --raw -q "page-${ids[2]}.png" > "qr-${ids[2]}.txt" 2>/dev/null
truth "zbarimg reads the QR code on the stamped page at 150 dpi" grep -qi "^$B/v#TC1:" "qr-${ids[2]}.txt"
pdftoppm -r 100 -png -singlefile "pdf/${ids[0]}.pdf" "stamp100-${ids[0]}"
pdftoppm -r 100 -png -singlefile "pdf/${ids[2]}.pdf" "stamp100-${ids[2]}"
for id in "${ids[0]}" "${ids[2]}"; do
  zbarimg --raw -q "stamp100-$id.png" > "qr100-$id.txt" 2>/dev/null
  truth "and on the stamped page of $id at 100 dpi" grep -qi "^$B/v#TC1:" "qr100-$id.txt"
done
"$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out v2.bundle >/dev/null
check "scanned, it verifies to the live status" 1 "$verifier" verify --root root.pub --bundle v2.bundle \
  "$(cat "qr-${ids[2]}.txt")"
has "revoked" out.txt '"verdict": *"revoked"'
[ -n "$shots" ] && cp stamp100-*.png "$shots/"
finish
