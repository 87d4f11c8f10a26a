"""publish/serve.py and `render.py course --serve`: regular files inside the folder only (no symlink out, no
traversal, no listing, no FIFO), ranges with 206/416, malformed requests answered with their status
instead of a traceback, quiet client aborts, 127.0.0.1 only, many clients beside stalled ones; a busy port
is exit 2 naming it and SIGTERM is exit 130."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import render
from publish.serve import CourseServer, serve_in_background

ROOT = Path(__file__).resolve().parent.parent
BIG = 8 * 2**20


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A served folder: index.html, a media file, and planted escapes (symlinks out, a FIFO)."""
    root = tmp_path / "course"
    (root / "media").mkdir(parents=True)
    (root / "index.html").write_text("<p>course</p>")
    (root / "media" / "clip.mp4").write_bytes(bytes(range(256)) * 40)  # 10240 bytes
    (root / "media" / "empty.txt").write_bytes(b"")
    (root / "media" / "inside.mp4").symlink_to(root / "media" / "clip.mp4")  # a symlink that stays inside
    (root / "evil").symlink_to("/etc")
    (root / "media" / "passwd.txt").symlink_to("/etc/passwd")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (root / "media" / "up.txt").symlink_to(outside)
    os.mkfifo(root / "media" / "fifo.mp4")
    return root


@pytest.fixture
def base(site: Path) -> Iterator[tuple[str, int]]:
    httpd, _ = serve_in_background(site)
    host, port = httpd.server_address[:2]
    yield str(host), int(port)
    httpd.shutdown()
    httpd.server_close()


def get(base: tuple[str, int], path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*base, timeout=30)
    conn.request(method, path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def raw(base: tuple[str, int], request: bytes) -> bytes:
    """Send raw bytes; return the status line of the answer."""
    with socket.create_connection(base, timeout=30) as s:
        s.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0]


def test_whole_files_and_ranges(base: tuple[str, int]) -> None:
    status, headers, body = get(base, "/media/clip.mp4")
    assert status == 200 and len(body) == 10240 and headers["accept-ranges"] == "bytes"
    assert headers["content-type"] == "video/mp4"
    status, headers, body = get(base, "/media/clip.mp4", {"Range": "bytes=100-199"})
    assert status == 206 and body == (bytes(range(256)) * 40)[100:200]
    assert headers["content-range"] == "bytes 100-199/10240"
    status, headers, body = get(base, "/media/clip.mp4", {"Range": "bytes=-16"})
    assert status == 206 and headers["content-range"] == "bytes 10224-10239/10240" and len(body) == 16
    status, headers, body = get(base, "/media/clip.mp4", {"Range": "bytes=10000-"})
    assert status == 206 and headers["content-range"] == "bytes 10000-10239/10240"
    status, headers, body = get(base, "/media/clip.mp4", {"Range": "bytes=10000-99999"})
    assert status == 206 and headers["content-range"] == "bytes 10000-10239/10240"
    status, headers, body = get(base, "/media/clip.mp4", method="HEAD")
    assert status == 200 and headers["content-length"] == "10240" and body == b""
    status, _, body = get(base, "/")
    assert status == 200 and body == b"<p>course</p>"
    status, _, body = get(base, "/media/inside.mp4")  # a symlink whose target is inside the folder
    assert status == 200 and len(body) == 10240


@pytest.mark.parametrize("value", ["bytes=10240-", "bytes=999999999-", "bytes=500-100", "bytes=-0", "bytes=-"])
def test_a_range_beyond_the_file_is_416_with_content_range(base: tuple[str, int], value: str) -> None:
    status, headers, body = get(base, "/media/clip.mp4", {"Range": value})
    assert status == 416 and headers["content-range"] == "bytes */10240" and body == b""


def test_a_range_of_an_empty_file_is_416(base: tuple[str, int]) -> None:
    status, headers, _ = get(base, "/media/empty.txt", {"Range": "bytes=0-"})
    assert status == 416 and headers["content-range"] == "bytes */0"


@pytest.mark.parametrize("value", ["bytes=0-1,5-6", "items=0-5", "bytes=abc", "bytes 0-5"])
def test_a_range_it_does_not_serve_gets_the_whole_file(base: tuple[str, int], value: str) -> None:
    status, _, body = get(base, "/media/clip.mp4", {"Range": value})
    assert status == 200 and len(body) == 10240


@pytest.mark.parametrize("path", [
    "/evil/passwd", "/evil/", "/media/passwd.txt", "/media/up.txt", "/media/fifo.mp4", "/media/", "/missing.mp4",
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
    "/media/..%2f..%2f..%2fetc/passwd", "//etc/passwd", "/%2fetc%2fpasswd", "/media/%2e%2e/%2e%2e/secret.txt",
    "/..\\..\\etc\\passwd", "/%252e%252e/etc/passwd", "/media/clip.mp4/..%2f..%2f..%2fsecret.txt",
])
def test_nothing_outside_the_folder_and_no_special_file_is_served(base: tuple[str, int], path: str) -> None:
    status, _, body = get(base, path)
    assert status == 404, (path, status)
    assert b"root:" not in body and b"secret" not in body


def test_a_folder_without_its_slash_is_redirected_but_never_listed(base: tuple[str, int]) -> None:
    status, headers, _ = get(base, "/media")
    assert status == 301 and headers["location"] == "/media/"
    status, _, body = get(base, "/media/")
    assert status == 404 and b"clip.mp4" not in body


@pytest.mark.parametrize("path", ["/index.html%00.png", "/media/clip.mp4%00", "/%00"])
def test_a_nul_in_the_path_is_400(base: tuple[str, int], path: str) -> None:
    status, _, _ = get(base, path)
    assert status == 400


@pytest.mark.parametrize("request_line,status", [
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", b"414"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", b"400"),
    (b"GET / HTTP/3.0\r\n\r\n", b"505"),
    (b"GET / HTTP/2.0\r\n\r\n", b"505"),
    (b"GET / FOO/1.1\r\n\r\n", b"400"),
    (b"GET / HTTP/1.x\r\n\r\n", b"400"),
    (b"GET /a\x00b HTTP/1.1\r\n\r\n", b"400"),
    (b"BREW / HTTP/1.1\r\n\r\n", b"501"),
    (b"GET\r\n\r\n", b"400"),
])
def test_malformed_requests_get_their_status_line(base: tuple[str, int], request_line: bytes, status: bytes) -> None:
    line = raw(base, request_line)
    assert line.startswith(b"HTTP/1.") and line.split(b" ")[1] == status, line


def test_the_server_binds_127_0_0_1_only(site: Path) -> None:
    httpd, _ = serve_in_background(site)
    try:
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_many_clients_next_to_stalled_connections(base: tuple[str, int]) -> None:
    stalled = [socket.create_connection(base, timeout=30) for _ in range(50)]
    for s in stalled[:25]:
        s.sendall(b"GET /media/clip.mp4 HTTP/1.1\r\n")  # half a request, never finished
    results: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        status, _, body = get(base, "/media/clip.mp4", {"Range": f"bytes={i}-{i + 9}"})
        with lock:
            results.append(status if len(body) == 10 else -1)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for s in stalled:
        s.close()
    assert results.count(206) == 200, sorted(set(results))


SERVE = """
import sys
from pathlib import Path
from publish.serve import server
httpd = server(Path(sys.argv[1]), 0)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
"""


def test_a_client_that_hangs_up_mid_download_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "big.mp4").write_bytes(os.urandom(BIG))
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        for request in (b"GET /big.mp4 HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET /big.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-\r\n\r\n") * 3:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(request)
            s.recv(1024)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset on close
            s.close()
        status, _, body = get(("127.0.0.1", port), "/big.mp4", {"Range": "bytes=0-9"})  # still serving
        assert status == 206 and len(body) == 10
        time.sleep(1.0)  # let the aborted writers notice
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "Error" not in err, err


# -- render.py course --serve ---------------------------------------------------------------------
def test_a_port_in_use_is_exit_2_naming_it_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = render.main(["course", "--serve", "--port", str(port), "--output-dir", str(tmp_path / "media")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [f"error: --port {port} is in use on 127.0.0.1: choose another --port (0 picks a free"
                                 " one)"]
    assert not (tmp_path / "media").exists()


COURSE = """
import sys
from pathlib import Path
import render
from driver import pipeline

def write_course(*, output_dir, report, **kw):  # the page itself is tested elsewhere: serve a written one
    index = output_dir / "course" / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text("<p>course</p>")
    return index

pipeline.write_course = write_course
sys.exit(render.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_course_serve_stops_with_exit_130(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-c", COURSE, "course", "--serve", "--port", "0", "--output-dir",
                             str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("serving http://127.0.0.1:"), line
    port = int(line.split(":")[2].split("/")[0])
    assert get(("127.0.0.1", port), "/")[0] == 200
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"course --serve still running 60 s after {sig.name}")
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "interrupted", err
    assert "Traceback" not in err


def test_the_server_class_is_the_quiet_one() -> None:
    assert issubclass(CourseServer, __import__("http.server").server.ThreadingHTTPServer)
    assert CourseServer.daemon_threads
