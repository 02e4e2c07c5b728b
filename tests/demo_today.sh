# Sourced by the tests that run a demo store through the workflow (a 公示 lasts working days, by
# the working-day calendar). Their store takes TITLECERT_DEMO_TODAY for today, a fixed Monday
# inside the years data/calendar ships, so that no period they open reaches a year the calendar
# lacks, whatever the date they run on; `today` is that day. Keys are endorsed for the longest
# term rule A1 allows (3 years) from 60 days before it, so that a verifier, which counts by the
# real clock, finds them in force until 2029-09 (move the day on when a calendar year is added).
export TITLECERT_DEMO_TODAY=2026-11-16
today=$TITLECERT_DEMO_TODAY
from=$(date -d "$today -60 days" +%F)
to=$(date -d "$from +3 years -1 day" +%F)
