"""A real HTTP server for a channel double: started by a test, on 127.0.0.1 and a free port."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class Request:
    def __init__(self, handler):
        split = urlsplit(handler.path)
        self.method, self.path, self.query_string = handler.command, split.path, split.query
        self.target = handler.path  # path with its query string
        self.headers = dict(handler.headers.items())
        length = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(length).decode() if length else ""
        self.query = dict(parse_qsl(split.query, keep_blank_values=True))
        is_form = "x-www-form-urlencoded" in (handler.headers.get("Content-Type") or "")
        self.form = dict(parse_qsl(self.body, keep_blank_values=True)) if is_form else {}


class DoubleServer:
    """Subclasses define `handle(request) -> (status, headers, body text)`."""

    def start(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                status, headers, body = double.handle(Request(self))
                data = body.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
