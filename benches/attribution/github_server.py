"""A GitHub REST API of our own for the attribution evaluation, on 127.0.0.1.

    python3 github_server.py API_JSON [--port 0]

Prints PORT=N once listening and serves until its standard input closes. API_JSON (written
by gen_company.py --github, read on the first request) maps each path to its JSON answer;
a list longer than 100 is paged with `Link` headers (per_page=100&page=N), as GitHub does.
Requests need `Authorization: Bearer <the token the App exchange handed out>`; the App's
token exchange and the GraphQL endpoint (no SAML on this org) answer POSTs. Unknown paths
under /repos/ and /orgs/ answer [] (nothing there); anything else is a 404.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "ghs_FAKEattributionEval000000000000000000"
API = {}
LOCK = threading.Lock()


def api(path):
    with LOCK:
        if not API:
            with open(sys.argv[1]) as f:
                API.update(json.load(f))
    return API


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Remaining", "4999")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        return self.headers.get("Authorization") == f"Bearer {TOKEN}"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if self.path.startswith("/app/installations/") and self.path.endswith("/access_tokens"):
            return self.send(201, {"token": TOKEN, "expires_at": "2099-01-01T00:00:00Z"})
        if self.path == "/graphql" and self.authorized():
            return self.send(200, {"data": {"organization": {"samlIdentityProvider": None}}})
        self.send(401, {"message": "Bad credentials"})

    def do_GET(self):
        if not self.authorized():
            return self.send(401, {"message": "Bad credentials"})
        u = urlparse(self.path)
        q = parse_qs(u.query)
        a = api(u.path)
        key = u.path
        if key == "/orgs/acme/members" and q.get("role") == ["admin"]:
            key = "/orgs/acme/members#admin"
        if key in a:
            body = a[key]
            if isinstance(body, list):
                page = int(q.get("page", ["1"])[0])
                per = 100
                chunk = body[(page - 1) * per: page * per]
                headers = []
                if page * per < len(body):
                    host = self.headers.get("Host")
                    headers.append(("Link", f'<http://{host}{u.path}?per_page={per}&page={page + 1}>; rel="next"'))
                return self.send(200, chunk, headers)
            return self.send(200, body)
        if u.path == "/orgs/acme/credential-authorizations":
            return self.send(404, {"message": "Not Found"})
        if u.path.endswith("/actions/secrets"):
            return self.send(200, {"total_count": 0, "secrets": []})
        if u.path == "/orgs/acme/installations":
            return self.send(200, {"total_count": 0, "installations": []})
        if u.path.startswith("/repos/") or u.path.startswith("/orgs/") or u.path.startswith("/users/"):
            return self.send(200, [])
        self.send(404, {"message": "Not Found"})


def main():
    port = 0
    if "--port" in sys.argv:
        port = int(sys.argv[sys.argv.index("--port") + 1])
    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"PORT={srv.server_address[1]}", flush=True)
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
