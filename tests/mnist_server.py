"""A local HTTP mirror for the download tests: 127.0.0.1 only, serving files the test generates.

Each path prefix behaves differently: /good/NAME serves the file, /missing/ answers 404,
/corrupt/ serves the file with bytes flipped, /stall/ waits before answering, /cut/ sends a
full Content-Length and then half the body, /trickle/ sends the right bytes one at a time
every ``trickle_seconds``, /html/ answers 200 with an HTML page, /big/ sends the file plus
1,000 extra bytes, /redirect/ answers 302 to /good/, /redirect-html/ 302 to /html/, and
/loop/ redirects to itself.  Every request's path is recorded.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from mnist_demo.idx import encode_idx


def fake_mnist(n_train=50, n_test=20, seed=0):
    """Four gzip IDX files of random 28x28 'digits' and labels, as {name: bytes}, plus the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    return {name: encode_idx(a) for name, a in arrays.items()}, arrays


class MirrorServer:
    def __init__(self, files, stall_seconds=3.0, trickle_seconds=0.2):
        self.files = files
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802 - the http.server API
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to do

            def _answer(self):
                server.requests.append(self.path)
                _, mode, name = self.path.split("/", 2)
                body = server.files.get(name)
                redirects = {"redirect": "good", "redirect-html": "html", "loop": "loop"}
                if mode in redirects:
                    self.send_response(302)
                    self.send_header("Location", f"/{redirects[mode]}/{name}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "missing" or body is None:
                    self.send_error(404, "Not Found")
                    return
                if mode == "stall":
                    time.sleep(stall_seconds)
                kind = "application/octet-stream"
                if mode == "corrupt":
                    body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
                if mode == "html":
                    body, kind = b"<!DOCTYPE html><html><body>Please sign in</body></html>", "text/html; charset=utf-8"
                if mode == "big":
                    body = body + bytes(1000)
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "cut":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if mode == "trickle":
                    for i in range(len(body)):
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(trickle_seconds)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def url(self, mode):
        return f"http://127.0.0.1:{self.port}/{mode}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
