"""A static file server for the course page that answers HTTP Range requests (video seeking)."""

from __future__ import annotations

import functools
import os
import re
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class RangeHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus single byte ranges, quiet logs and correct media types."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".vtt": "text/vtt", ".webm": "video/webm",
                      ".mp4": "video/mp4", ".json": "application/json", ".txt": "text/plain; charset=utf-8"}

    def send_head(self) -> Any:
        match = _RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if not match or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = match.groups()
        start = int(first) if first else max(0, size - int(last or 0))
        end = min(int(last), size - 1) if first and last else size - 1
        if start >= size or start > end:
            self.send_error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            return None
        fh = open(path, "rb")
        fh.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._remaining = end - start + 1
        return fh

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(1 << 16, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)
        self._remaining = None

    def end_headers(self) -> None:
        if not self.headers.get("Range"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def server(root: Path, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Return a server for root on host:port (port 0 picks a free one); call serve_forever()."""
    handler = functools.partial(RangeHandler, directory=str(root))
    return ThreadingHTTPServer((host, port), handler)


def serve_in_background(root: Path, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start a server thread; return it and its base URL."""
    httpd = server(root, port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host, real_port = httpd.server_address[:2]
    return httpd, f"http://{host}:{real_port}/"
