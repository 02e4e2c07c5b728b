#!/usr/bin/env python3
"""drip_server.py - the publication's static web server for tests/replica.sh, on 127.0.0.1.

Serves the files under ROOT (GET only, no ETag, so every poll reads the head; while a file
etag.on exists beside CONTROL, with an ETag of its size and time, and 304 to If-None-Match, as a
static server or CDN answers). While the file
CONTROL exists it is a slow or hostile host: every file but a head is sent as its headers and then
one byte every DRIP_MS milliseconds, and each such transfer is noted in LOG ("drip PATH"); every
file served whole is noted there as "get PATH". PORT 0
lets the system choose; the port listened on is written to PORTFILE (atomically).

usage: drip_server.py ROOT PORT PORTFILE CONTROL LOG [DRIP_MS]
"""
import http.server
import os
import sys
import time

ROOT, PORT, PORTFILE, CONTROL, LOG = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
DRIP = (int(sys.argv[6]) if len(sys.argv) > 6 else 300) / 1000


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        rel = self.path.split("?")[0].lstrip("/")
        full = os.path.realpath(os.path.join(ROOT, rel))
        if not full.startswith(os.path.realpath(ROOT) + os.sep) or not os.path.isfile(full):
            self.send_error(404)
            return
        with open(full, "rb") as f:
            body = f.read()
        etag = None
        if os.path.exists(os.path.join(os.path.dirname(CONTROL), "etag.on")):
            st = os.stat(full)
            etag = '"%x-%x"' % (st.st_size, st.st_mtime_ns)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        if not os.path.exists(CONTROL) or os.path.basename(rel) == "head":
            self.wfile.write(body)
            with open(LOG, "a") as log:
                log.write("get %s\n" % self.path)
            return
        with open(LOG, "a") as log:
            log.write("drip %s\n" % self.path)
        try:  # until the client gives up: then a write fails
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(DRIP)
        except OSError:
            pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", PORT), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
