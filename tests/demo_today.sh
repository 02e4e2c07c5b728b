# Sourced by the tests that run a demo store through the workflow (a 公示 lasts working days, by
# the working-day calendar). Their store takes TITLECERT_DEMO_TODAY for today, a fixed Monday
# inside the years data/calendar ships, so that no period they open reaches a year the calendar
# lacks, whatever the date they run on; `today` is that day. Keys are endorsed from 60 days before
# it until two years after the real date, so that a verifier, which counts by the real clock,
# finds them in force.
export TITLECERT_DEMO_TODAY=2026-11-16
today=$TITLECERT_DEMO_TODAY
from=$(date -d "$today -60 days" +%F) to=$(date -d "$(TZ=Asia/Shanghai date +%F) +2 years" +%F)
