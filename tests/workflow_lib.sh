# workflow_lib.sh - what the workflow's tests and benchmarks share (sourced): accounts made and
# enrolled, and a batch taken from a results CSV to approved. Expects $issuer, D=(store options),
# PREP=(prepare options) and a demo store; writes NAME.pw files in the current directory.
wf_pw() { printf 'password-of-%s-1\n' "$1" > "$1.pw"; chmod 600 "$1.pw"; }
wf_as() { echo --as "$1" --password-file "$1.pw"; }

# wf_accounts: admin1 and admin2 (bootstrap), alice clerk, bob approver, carol custodian
wf_accounts() {
  local a c=0
  for a in admin1 admin2 alice bob carol; do wf_pw $a; done
  "$issuer" account add admin1 --name 管理员甲 --roles admin --password-file admin1.pw "${D[@]}" >/dev/null 2>&1
  "$issuer" account add admin2 --name 管理员乙 --roles admin --password-file admin2.pw "${D[@]}" >/dev/null 2>&1
  for a in alice:clerk bob:approver carol:custodian; do
    "$issuer" account add "${a%%:*}" --name "人员${a%%:*}" --roles "${a##*:}" $(wf_as admin1) "${D[@]}" \
      2>/dev/null | sed -n 's/^enrolment code.*: //p' > "${a%%:*}.code"
    chmod 600 "${a%%:*}.code"
    c=$((c + 1))
    # admin2, confirming the roles, is shown the code's second half: the person enters both
    half=$("$issuer" account confirm $c $(wf_as admin2) "${D[@]}" 2>/dev/null |
      sed -n 's/^enrolment code.*: //p')
    printf '%s %s\n' "$(cat "${a%%:*}.code")" "$half" > "${a%%:*}.code"
    "$issuer" account enrol "${a%%:*}" --code-file "${a%%:*}.code" --password-file "${a%%:*}.pw" \
      "${D[@]}" >/dev/null 2>&1
  done
}

# wf_approved CSV TITLE: prepared by alice and publicised two weeks ago on the demo clock,
# approved by bob today; prints the batch number (empty on failure). The demo clock is the file
# $WF_CLOCK (TITLECERT_DEMO_CLOCK=@$WF_CLOCK for the commands and the signer), and the signer
# runs on $WF_SOCKET (started with --demo): it dates a 公示 from when it first sees it.
wf_approved() {
  local b h
  echo -14 > "$WF_CLOCK"
  b=$("$issuer" batch prepare "$1" --title "$2" "${PREP[@]}" $(wf_as alice) "${D[@]}" 2>/dev/null |
    sed -n 's/^batch \([0-9]*\) prepared.*/\1/p')
  [ -n "$b" ] || return 1
  "$issuer" batch publicise "$b" --out "${WF_OUT:-pubdir}" --socket "$WF_SOCKET" $(wf_as alice) \
    "${D[@]}" >/dev/null 2>&1 || return 1
  echo 0 > "$WF_CLOCK"
  h=$("$issuer" batch status "$b" "${D[@]}" 2>/dev/null | sed -n 's/^  rows hash: //p')
  "$issuer" batch approve "$b" --decision "甘人社〔2026〕${b}号" --rows-hash "$h" $(wf_as bob) \
    "${D[@]}" >/dev/null 2>&1 || return 1
  echo "$b"
}
