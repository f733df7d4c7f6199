#!/usr/bin/env python3
"""An HTTPS server for HTTPSPolicyFetcher's tests: python3 policy_server.py CERT KEY MODE.
Listens on 127.0.0.1 (a free port, printed as `PORT <n>`), answers GET /.well-known/mta-sts.txt by MODE:
ok (200 text/plain policy), redirect (301), html (200 text/html), big (200, 70 KiB), silent (never answers).
Ends when its standard input closes."""
import http.server, ssl, sys, threading, time

cert, key, mode = sys.argv[1:4]
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\nmax_age: 86400\r\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/.well-known/mta-sts.txt" or self.headers.get("Host") != "mta-sts.example.org":
            self.send_error(404)
            return
        if mode == "silent":
            time.sleep(30)
            return
        if mode == "redirect":
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.example/.well-known/mta-sts.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = POLICY if mode != "big" else POLICY + b"x: " + b"y" * 70_000 + b"\r\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if mode == "html" else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(f"PORT {server.server_address[1]}", flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()  # until the test closes it
