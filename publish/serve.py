"""A static file server for the course page that answers HTTP Range requests (video seeking).

It serves regular files only, and only those whose real path (symlinks resolved) lies inside the
served folder: a symlink that points out of it, a device, a directory listing or a path with a NUL
is 404 (400 for the NUL). A Range beyond the file is 416 with `Content-Range: bytes */size`. Bad
request lines get the status the standard library chose for them (400, 414, 505) instead of a
traceback, and a client that hangs up in the middle of a download is not an error.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
import threading
import urllib.parse
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
QUIET = (ConnectionError, TimeoutError)  # a client that went away: nothing to report


class RangeHandler(SimpleHTTPRequestHandler):
    """Regular files inside the folder, single byte ranges, quiet logs and correct media types."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".vtt": "text/vtt", ".webm": "video/webm",
                      ".mp4": "video/mp4", ".json": "application/json", ".txt": "text/plain; charset=utf-8"}
    timeout = 120  # seconds a connection may stall before its thread gives up on it
    default_request_version = "HTTP/1.0"  # so a request line too bad to parse still gets a status line (400, 505)
    _remaining: int | None = None

    def _local_file(self) -> Path | None:
        """Return the regular file inside the folder that the request names, or send the error and return None."""
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        if "\x00" in urllib.parse.unquote(raw, errors="surrogatepass"):
            self.send_error(HTTPStatus.BAD_REQUEST, "NUL in path")
            return None
        root = Path(self.directory).resolve()
        try:
            real = Path(self.translate_path(self.path)).resolve(strict=True)
            if real.is_dir():
                if not raw.endswith("/"):  # like SimpleHTTPRequestHandler: index.html is relative to the folder
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", raw + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                real = (real / "index.html").resolve(strict=True)
        except (OSError, RuntimeError, ValueError):  # missing, a symlink loop, an unencodable name
            real = None
        if real is None or (real != root and root not in real.parents) or not real.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return real

    def send_head(self) -> Any:
        path = self._local_file()
        if path is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        fh = os.fdopen(fd, "rb")
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                self.send_error(HTTPStatus.NOT_FOUND, "File not found")
                fh.close()
                return None
            size = st.st_size
            ctype = self.guess_type(str(path))
            match = _RANGE.match(self.headers.get("Range", "").strip())
            if not match:  # no Range, or one we do not serve (several ranges): the whole file
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(size))
                self.send_header("Last-Modified", self.date_time_string(int(st.st_mtime)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                self._remaining = None
                return fh
            first, last = match.groups()
            if not first and not last:
                start, end = size, -1  # "bytes=-": unsatisfiable
            elif first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:  # a suffix: the last N bytes
                start, end = max(0, size - int(last)), size - 1
            if start >= size or start > end:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                fh.close()
                return None
            fh.seek(start)
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self._remaining = end - start + 1
            return fh
        except BaseException:
            fh.close()
            raise

    def list_directory(self, path: Any) -> Any:
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")  # no listings: serve the page's files only
        return None

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining = self._remaining
        self._remaining = None
        try:
            if remaining is None:
                super().copyfile(source, outputfile)
                return
            while remaining > 0:
                chunk = source.read(min(1 << 16, remaining))
                if not chunk:
                    break
                outputfile.write(chunk)
                remaining -= len(chunk)
        except QUIET:  # the client stopped the download (seeking, closing the tab)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CourseServer(ThreadingHTTPServer):
    """A threading server that reports a client hanging up as nothing and any other error as one line."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        err = sys.exc_info()[1]
        if isinstance(err, QUIET):
            return
        print(f"server: request from {client_address[0]} failed: {type(err).__name__}: {err}", file=sys.stderr)


def server(root: Path, port: int = 0, host: str = "127.0.0.1") -> CourseServer:
    """Return a server for root on host:port (port 0 picks a free one); call serve_forever()."""
    handler = functools.partial(RangeHandler, directory=str(root))
    return CourseServer((host, port), handler)


def serve_in_background(root: Path, port: int = 0) -> tuple[CourseServer, str]:
    """Start a server thread; return it and its base URL."""
    httpd = server(root, port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host, real_port = httpd.server_address[:2]
    return httpd, f"http://{host!s}:{real_port}/"
