"""psd_server.py — a small HTTP server on 127.0.0.1 for the extract integration tests.

Serves "routes": path -> Route(body, etag, last_modified, statuses, delay_s). Honours
If-None-Match (304 when it equals the route's ETag), records every request (path and
If-None-Match) so tests can assert what the client sent and how often it retried.
"""
import gzip
import io
import os
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import SAMPLE_ZIP


class Route:
    def __init__(self, body=b"", etag=None, last_modified=None, statuses=None, delays=None,
                 content_type="application/zip", dribble_s=0.0):
        self.body = body
        self.etag = etag
        self.last_modified = last_modified
        self.statuses = list(statuses or [])  # consumed one per request; then 200
        self.delays = list(delays or [])      # seconds to sleep before answering, per request
        self.content_type = content_type
        self.dribble_s = dribble_s            # spread the body over this many seconds


class PsdServer:
    def __init__(self):
        self.routes = {}
        self.requests = []
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                inm = self.headers.get("If-None-Match")
                srv.requests.append((self.path, inm))
                r = srv.routes.get(self.path)
                if r is None:
                    return self._send(404, b"<html><body>not found</body></html>", "text/html")
                delay = r.delays.pop(0) if r.delays else 0
                if delay:
                    time.sleep(delay)
                status = r.statuses.pop(0) if r.statuses else 200
                if status != 200:
                    return self._send(status, b"<html><body>error %d</body></html>" % status,
                                      "text/html")
                if r.etag is not None and inm == r.etag:
                    self.send_response(304)
                    self.send_header("ETag", r.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hdrs = {}
                if r.etag is not None:
                    hdrs["ETag"] = r.etag
                if r.last_modified is not None:
                    hdrs["Last-Modified"] = r.last_modified
                self._send(200, r.body, r.content_type, hdrs, r.dribble_s)

            def _send(self, status, body, ctype, hdrs=None, dribble_s=0.0):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (hdrs or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    if dribble_s:
                        n = 20
                        step = max(1, len(body) // n)
                        for i in range(0, len(body), step):
                            self.wfile.write(body[i:i + step])
                            self.wfile.flush()
                            time.sleep(dribble_s / n)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the client hanging up early (caps, timeouts) is expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path):
        return sum(1 for p, _ in self.requests if p == path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def sample_zip_bytes():
    with open(SAMPLE_ZIP, "rb") as f:
        return f.read()


def sample_csv_bytes():
    with zipfile.ZipFile(SAMPLE_ZIP) as z:
        return z.read("psd_coffee.csv")


def make_zip(members, date_time=(2023, 5, 12, 10, 0, 0)):
    """A zip (bytes) of {name: bytes} members, deflated, with the given member mtime."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            zi = zipfile.ZipInfo(name, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return buf.getvalue()


def gzip_bytes(data):
    return gzip.compress(data, mtime=0)


def landed_files(scratch):
    """{relative path: (size, mtime_ns)} of landing/, plus a check for stray temp files."""
    t = scratch.tree("landing")
    for p in t:
        assert not os.path.basename(p).startswith("."), f"temporary file left behind: {p}"
    return t


def data_files(scratch):
    return sorted(p for p in scratch.tree("landing") if p.endswith(".csv.gzip"))
