#!/usr/bin/env python3
"""console_client.py - the HR console's API as bench/bench_console.sh drives it: one sign-in per
account (the first one enrols TOTP with tests/totp.py, the RFC's code, not the console's), then
single timed requests. Each command prints one line; times are taken around the request alone
(the file is read and the connection made before the clock starts).

usage:
  console_client.py login BASE ACCOUNT PASSWORD SESSION.json
      signs in (enrolling TOTP on a first sign-in); writes the cookie and CSRF token
  console_client.py upload BASE SESSION.json CSV TITLE
      POST /api/batches?title=TITLE (text/csv): prints "SECONDS STATUS ROWS BATCH"
  console_client.py get BASE SESSION.json PATH
      prints the JSON answer (exit 1 unless 200)
  console_client.py post BASE SESSION.json PATH JSON
      prints the JSON answer (exit 1 unless 200 or 201)
  console_client.py latency BASE SESSION.json VERIFIER BATCH PASSWORD RENDER-COMMAND...
      sign -> publish -> the verifier answers valid, for one certificate of BATCH: signs
      (POST /api/batches/BATCH/sign), runs RENDER-COMMAND (untimed: it prints the path of one
      certificate's payload file; the verifier must not call it valid yet), publishes
      (POST /api/signer op publish), then asks VERIFIER's POST /api/v1/verify every 10 ms
      until "valid"; prints "SIGN PUBLISH SEEN CERTIFICATES" in seconds, SEEN from the
      publication's answer to the first valid verdict
"""
import base64
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from totp import totp  # noqa: E402


def conn(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)


def request(base, method, path, body=b'', headers=None):
    """(status, parsed JSON or None, seconds from the request's first byte to the answer's last)"""
    c = conn(base)
    c.connect()
    t0 = time.perf_counter()
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    t1 = time.perf_counter()
    c.close()
    try:
        j = json.loads(data)
    except ValueError:
        j = None
    return r.status, j, t1 - t0, r


def session_headers(sess, write=False):
    h = {'Cookie': sess['cookie']}
    if write:
        h['X-TC-CSRF'] = sess['csrf']
    return h


def login(base, account, password, out):
    st, j, _, _ = request(base, 'POST', '/api/login',
                          json.dumps({'account': account, 'password': password}).encode())
    if st == 200 and j.get('totp_enrol'):
        seed = j['secret']
        pad = seed.upper() + '=' * (-len(seed) % 8)
        code = totp(base64.b32decode(pad), time.time())
        st, j, _, r = request(base, 'POST', '/api/login',
                              json.dumps({'account': account, 'password': password,
                                          'totp': code}).encode())
    else:
        sys.exit('login %s: expected a TOTP enrolment offer, got %d %s' % (account, st, j))
    if st != 200:
        sys.exit('login %s: %d %s' % (account, st, j))
    cookie = r.getheader('Set-Cookie').split(';')[0]
    with open(out, 'w') as f:
        json.dump({'cookie': cookie, 'csrf': j['csrf'], 'seed': seed}, f)
    os.chmod(out, 0o600)


def upload(base, sess, path, title):
    data = open(path, 'rb').read()
    h = session_headers(sess, True)
    h['Content-Type'] = 'text/csv'
    st, j, secs, _ = request(base, 'POST', '/api/batches?title=' + urllib.parse.quote(title), data,
                             h)
    if st not in (201, 422):
        sys.exit('upload: %d %s' % (st, str(j)[:300]))
    print('%.4f %d %d %s' % (secs, st, (j or {}).get('rows', 0), (j or {}).get('id', '-')))


def call(base, sess, method, path, body=None):
    st, j, _, _ = request(base, method, path,
                          json.dumps(body).encode() if body is not None else b'',
                          session_headers(sess, method == 'POST'))
    return st, j


def verdict(verifier, payload):
    st, j, _, _ = request(verifier, 'POST', '/api/v1/verify',
                          json.dumps({'payload': payload}).encode(),
                          {'Content-Type': 'application/json'})
    return (j or {}).get('verdict', 'status %d' % st)


def latency(base, sess, verifier, batch, password, render):
    t0 = time.perf_counter()
    st, j = call(base, sess, 'POST', '/api/batches/%s/sign' % batch, {'password': password})
    t1 = time.perf_counter()
    if st != 200 or not j.get('signed'):
        sys.exit('sign: %d %s' % (st, j))
    path = subprocess.run(render, check=True, capture_output=True, text=True).stdout.strip()
    payload = open(path).read().strip()
    before = verdict(verifier, payload)
    if before == 'valid':
        sys.exit('latency: the verifier called the certificate valid before its publication')
    t2 = time.perf_counter()
    st, p = call(base, sess, 'POST', '/api/signer', {'op': 'publish', 'password': password})
    t3 = time.perf_counter()
    if st != 200 or not p.get('version'):
        sys.exit('publish: %d %s' % (st, p))
    deadline = t3 + 120
    while True:
        v = verdict(verifier, payload)
        if v == 'valid':
            break
        if time.perf_counter() > deadline:
            sys.exit('latency: still "%s" 120 s after the publication' % v)
        time.sleep(0.01)
    t4 = time.perf_counter()
    print('%.4f %.4f %.4f %d' % (t1 - t0, t3 - t2, t4 - t3, j['signed']))


def main():
    cmd, base = sys.argv[1], sys.argv[2]
    if cmd == 'login':
        login(base, *sys.argv[3:6])
        return 0
    sess = json.load(open(sys.argv[3]))
    if cmd == 'upload':
        upload(base, sess, sys.argv[4], sys.argv[5])
    elif cmd in ('get', 'post'):
        st, j = call(base, sess, cmd.upper(), sys.argv[4],
                     json.loads(sys.argv[5]) if cmd == 'post' else None)
        print(json.dumps(j, ensure_ascii=False))
        return 0 if st in (200, 201) else 1
    elif cmd == 'latency':
        latency(base, sess, sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == '__main__':
    sys.exit(main())
