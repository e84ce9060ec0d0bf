#!/usr/bin/env python3
"""An HTTP listener that records every request it gets (method, path, whether it carried an
Authorization header, body length) to LOG, one line each, and answers 200. For
Tests/IntegrationTests/TenantRedirectTests.swift: a redirect target that must never be reached.

  catcher.py IP PORT LOG        (loopback only; runs until killed)
"""
import http.server, sys
ip, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
assert ip.startswith("127.")

class Handler(http.server.BaseHTTPRequestHandler):
    def record(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(log, "a") as f:
            f.write("%s %s auth=%s body=%d\n" % (self.command, self.path, "Authorization" in self.headers, len(body)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    do_GET = do_POST = do_PUT = do_DELETE = record
    def log_message(self, *a): pass

with open(log, "a") as f: f.write("ready\n")
http.server.HTTPServer((ip, port), Handler).serve_forever()
