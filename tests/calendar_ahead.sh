# calendar_ahead.sh - sourced by tests whose single-operator store opens a 公示 on today's date (a
# demo store takes a fixed day instead: demo_today.sh). A 公示 begun in late December reaches a
# year whose State Council notice may not be shipped yet, and is rightly refused; so that these
# tests do not fail every year until it is, calendar_ahead DIR fills DIR with the shipped year
# files (data/calendar) and, for each year after the last shipped up to next year, a test file
# that says in every field it is not the official one (元旦 its only holiday), and exports
# TITLECERT_CALENDAR=DIR for the commands that follow. Needs: data (data/).
calendar_ahead() {
  local dir=$1 last y next
  mkdir -p "$dir" && cp "$data"/calendar/[0-9][0-9][0-9][0-9].json "$dir"/ || return 1
  last=$(ls "$dir" | sed -n 's/^\([0-9]\{4\}\)\.json$/\1/p' | sort | tail -1)
  next=$(( $(TZ=Asia/Shanghai date +%Y) + 1 ))
  for ((y = last + 1; y <= next; y++)); do
    cat > "$dir/$y.json" <<JSON
{
  "year": $y,
  "source": {
    "title": "测试用工作日历（非国务院办公厅通知）：${y}年",
    "number": "TEST-$y（非官方）",
    "published": "$((y - 1))-12-01",
    "url": "https://titlecert.invalid/test-calendar/$y"
  },
  "holidays": [
    { "name": "元旦", "from": "$y-01-01", "to": "$y-01-01", "text": "测试用：只有元旦一天，非官方安排" }
  ],
  "workdays": []
}
JSON
  done
  export TITLECERT_CALENDAR=$dir
}
