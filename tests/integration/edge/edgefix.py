"""edgefix.py — a local stand-in for the receivers of issue 17's outgoing requests (a Slack or
ntfy webhook, Cloudflare's purge API), from Python's standard library (http.server in a
thread): no package is needed, and a stand-in we control can answer 500 on cue or hang.

Receiver(script) answers POSTs (and DELETEs and GETs: Stripe's API, accounts/test_delete_paid.py) from
`script`, one entry per request in order (the last one repeats): an int is the status to
answer (with a small JSON body), a (status, object) pair answers that object as JSON, "hang"
holds the request unanswered until release() (or stop()). rescript() starts a new script and
forgets the requests, for one receiver shared by several tests. Every request is recorded (method, path, headers,
body, parsed JSON) before it is answered, so a test can poll for "the request arrived" while
it is still held.
"""
import http.server
import json
import threading
import time


class Receiver:
    def __init__(self, script=(200,), body=None):
        self.script = list(script)
        self.reply = body if body is not None else {"success": True, "errors": [], "messages": []}
        self.requests = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
                with outer.lock:
                    i = len(outer.requests)
                    outer.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                           "body": raw, "json": parsed, "at": time.monotonic()})
                    action = outer.script[min(i, len(outer.script) - 1)]
                if action == "hang":
                    outer.released.wait()
                    return  # the connection closes without an answer
                if isinstance(action, tuple):
                    action, obj = action
                else:
                    obj = (outer.reply if action < 300 else
                           {"success": False, "errors": [{"code": action, "message": "stand-in says no"}]})
                data = json.dumps(obj).encode()
                self.send_response(action)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        Handler.do_DELETE = Handler.do_GET = Handler.do_POST
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def rescript(self, script):
        with self.lock:
            self.script = list(script)
            self.requests = []

    def count(self):
        with self.lock:
            return len(self.requests)

    def all(self):
        with self.lock:
            return list(self.requests)

    def release(self):
        self.released.set()

    def stop(self):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(pred, timeout=60, step=0.05):
    """Polls pred until it is true; False after timeout (a guard against a hung test, never
    the thing a test measures)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False
