#!/usr/bin/env bash
# deploy_nginx.sh - the nginx example of docs/deploy runs as written: the site file, changed only in
# its ports (127.0.0.1, free ones), certificate paths (a self-signed pair made here) and cache
# directory, is checked by 'nginx -t' and then served by a real nginx in a temporary prefix in
# front of a test verifier; a certificate is verified through it over TLS. The console's site
# (CONSOLE_SITE_CONF), with its certificate paths changed, is checked by 'nginx -t'.
# usage: deploy_nginx.sh KEYS ISSUER VERIFIER DATA_DIR SITE_CONF [CONSOLE_SITE_CONF]
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
site=$(realpath "$5") console_site=${6:+$(realpath "$6")}
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx" ] || ! command -v openssl >/dev/null; then
  echo "not ok 1 - nginx and openssl are needed (scripts/deps.sh test installs them)"; echo "1..1"; exit 1
fi
work=$(mktemp -d)
server="" ngx=""
cleanup() {
  [ -n "$ngx" ] && kill "$ngx" 2>/dev/null
  [ -n "$server" ] && kill "$server" 2>/dev/null
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2
gs_fixture
start_server || { echo "not ok 1 - the verifier did not start"; sed 's/^/# /' server.err; echo "1..1"; exit 1; }
vport=${U##*:}

# free ports for nginx's plain and TLS listeners
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }; done; }
mkdir -p tls cache tmp logs
check "a self-signed certificate for the test host" 0 openssl req -x509 -newkey ec \
  -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=zcyz.example.gov.cn \
  -addext subjectAltName=DNS:zcyz.example.gov.cn -keyout tls/privkey.pem -out tls/fullchain.pem
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
site_for() { # site_for P80 P443: the example with this test's ports, certificates and cache
  sed -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$vport;|" \
      -e "s|listen 80;|listen 127.0.0.1:$1;|" -e "s|listen 443 ssl http2;|listen 127.0.0.1:$2 ssl http2;|" \
      -e '/listen \[::\]/d' -e "s|/etc/ssl/titlecert/|$work/tls/|" -e "s|/var/cache/nginx/titlecert|$work/cache|" \
      "$site" > site.conf
}
cat > nginx.conf <<CONF
$user_line
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log info;
events { worker_connections 64; }
http {
    access_log $work/logs/access.log;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    include $work/site.conf;
}
CONF
p80=$(free_port) p443=$(free_port)
site_for "$p80" "$p443"
changed=$(diff "$site" site.conf | grep -c '^> *[^# ]')
truth "the site file needed only its ports, certificate paths and cache directory changed ($changed lines)" \
  test "$changed" -le 6
check "nginx -t accepts the site" 0 "$nginx" -t -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf"
# start it; another test may take a port between the choice and the bind: then choose again
up=1
for try in 1 2 3 4 5; do
  if [ "$try" -gt 1 ]; then p80=$(free_port) p443=$(free_port); site_for "$p80" "$p443"; fi
  [ "$p80" = "$p443" ] && continue
  : > logs/error.log
  "$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -g 'daemon off;' 2>logs/stderr &
  ngx=$!
  for _ in $(seq 1 50); do
    curl -s -o /dev/null --max-time 2 --resolve "zcyz.example.gov.cn:$p443:127.0.0.1" --cacert tls/fullchain.pem \
      "https://zcyz.example.gov.cn:$p443/" && { up=0; break 2; }
    kill -0 "$ngx" 2>/dev/null || break
    sleep 0.1
  done
  kill "$ngx" 2>/dev/null; wait "$ngx" 2>/dev/null; ngx=""
done
H=zcyz.example.gov.cn
R=(--resolve "$H:$p443:127.0.0.1" --resolve "$H:$p80:127.0.0.1" --cacert tls/fullchain.pem --max-time 5)
truth "nginx serves on 127.0.0.1" test $up = 0
check "plain HTTP redirects to HTTPS" 0 curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "${R[@]}" "http://$H:$p80/v"
has "301 to the https address" out.txt "^301 https://$H/v"
id=${ids[1]}
check "POST /api/v1/verify through nginx over TLS" 0 curl -sf "${R[@]}" -H 'Content-Type: application/json' \
  --data "{\"payload\":\"$(cat "certs/$id.txt")\"}" "https://$H:$p443/api/v1/verify"
has "the certificate verified through nginx: valid" out.txt '"verdict": *"valid"'
check "an image upload through nginx (the 8 MiB body limit lets a QR photo pass)" 0 curl -sf "${R[@]}" \
  -H 'Content-Type: image/png' --data-binary "@certs/$id.png" "https://$H:$p443/api/v1/verify-image"
has "the uploaded QR verified" out.txt '"verdict": *"valid"'
check "the page through nginx" 0 curl -sf -D headers1.txt -o page1.html "${R[@]}" "https://$H:$p443/"
check "the page again" 0 curl -sf -D headers2.txt -o page2.html "${R[@]}" "https://$H:$p443/"
# HTTP/2 header names are lower case
truth "the second request for the page is served from nginx's cache" grep -qi "^X-Cache-Status: HIT" headers2.txt
truth "the verifier's security headers pass through" grep -qi "^Content-Security-Policy:" headers2.txt
truth "HSTS is set" grep -qi "^Strict-Transport-Security:" headers2.txt
check "the API is never cached" 0 curl -sf -D headers3.txt -o /dev/null "${R[@]}" -H 'Content-Type: application/json' \
  --data "{\"payload\":\"$(cat "certs/$id.txt")\"}" "https://$H:$p443/api/v1/verify"
truth "no cache status on API answers" bash -c "! grep -qi 'X-Cache-Status: HIT' headers3.txt"
check "/healthz from the local machine" 0 curl -sf "${R[@]}" "https://$H:$p443/healthz"
check "a POST to the page is refused" 0 curl -s -o /dev/null -w '%{http_code}' "${R[@]}" --data x "https://$H:$p443/"
has "403 for POST /" out.txt "^403"
if [ -n "$console_site" ]; then
  sed -e "s|/etc/ssl/titlecert-console/|$work/tls/|" "$console_site" > site.conf
  check "nginx -t accepts the console's site (TLS, HSTS, the intranet only)" 0 \
    "$nginx" -t -p "$work" -e "$work/logs/test-error.log" -c "$work/nginx.conf"
  truth "the console's site sets HSTS" grep -q 'Strict-Transport-Security' site.conf
fi
# the refused POST above is logged as an error by design; anything else is not expected
grep -E '\[(error|crit|alert|emerg)\]' logs/error.log | grep -v 'access forbidden by rule' > ngx-errors.txt
truth "nginx logged no other error" test ! -s ngx-errors.txt
head -5 ngx-errors.txt | sed 's/^/# /'
finish
