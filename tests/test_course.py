"""The course page in a real browser: headless Chromium loads every video, caption and chapter track,
and the chapter links seek. Skipped, with the reason, when Chromium is not installed."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from driver import registry
from publish import page
from publish.serve import serve_in_background
from tests.conftest import LowRender

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COURSE_TOPICS = ("heads", "bmm")  # two real lectures; `render.py course` builds the same page for all

CHECK_JS = """
(async () => {
  const wait = (el, ev, ok) => ok() ? Promise.resolve() : new Promise((res, rej) => {
    el.addEventListener(ev, res, {once: true});
    setTimeout(() => rej(new Error(ev + ' timed out')), 20000);
  });
  const out = [];
  for (const v of document.querySelectorAll('video')) {
    await wait(v, 'loadedmetadata', () => v.readyState >= 1);
    const tracks = [];
    for (const t of v.querySelectorAll('track')) {
      t.track.mode = 'hidden';
      await wait(t, 'load', () => t.readyState === 2);
      tracks.push({kind: t.kind, cues: t.track.cues ? t.track.cues.length : 0});
    }
    const links = [...document.querySelectorAll(`a.seek[data-video="${v.id}"]`)];
    const seeks = [];
    for (const a of links.slice(1, 4)) {
      a.click();
      await new Promise(r => setTimeout(r, 300));
      v.pause();
      seeks.push({want: parseFloat(a.dataset.t), got: v.currentTime});
    }
    v.muted = true;  // play a second muted: Chromium counts the audio bytes it decoded
    v.currentTime = 2;
    await v.play().catch(() => {});
    await new Promise(r => setTimeout(r, 1500));
    v.pause();
    const cap = [...v.querySelectorAll('track')].find(t => t.kind === 'captions');
    const cueStarts = cap && cap.track.cues ? [...cap.track.cues].map(c => c.startTime) : [];
    out.push({id: v.id, readyState: v.readyState, duration: v.duration, src: v.currentSrc,
              expected: parseFloat(v.dataset.duration), tracks, chapters: links.length, seeks,
              width: v.videoWidth, audioBytes: v.webkitAudioDecodedByteCount || 0, cueStarts});
  }
  return JSON.stringify(out);
})()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (sudo apt-get install chromium); .ci/run installs it")
    port = free_port()
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--mute-audio", f"--user-data-dir={tmp_path / 'profile'}",
         f"--remote-debugging-port={port}", "--window-size=1280,2000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        targets: list[dict[str, Any]] = []
        deadline = time.time() + 30
        while time.time() < deadline and not targets:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
            except OSError:
                time.sleep(0.2)
        assert targets, "Chromium did not open its DevTools port"
        yield DevTools(targets[0]["webSocketDebuggerUrl"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def course_dir(tmp_path: Path, low: LowRender) -> Path:
    entries = []
    for name in COURSE_TOPICS:
        out, _ = low(name)
        t = registry.get(name)
        entries.append(page.load_entry(name, t.title, t.question, out / "low"))
    return page.write_course(entries, tmp_path / "course").parent


@pytest.mark.render
def test_course_page_plays_in_chromium(course_dir: Path, browser: DevTools, tmp_path: Path, low: LowRender) -> None:
    httpd, url = serve_in_background(course_dir)
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=url + "index.html")
        time.sleep(1.0)
        result = browser.call("Runtime.evaluate", expression=CHECK_JS, awaitPromise=True, returnByValue=True,
                              timeout=120000)
        assert "exceptionDetails" not in result, result
        videos = json.loads(result["result"]["value"])
        shot = browser.call("Page.captureScreenshot", format="png")
        (tmp_path / "course.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        httpd.shutdown()
    assert [v["id"] for v in videos] == [f"video-{n}" for n in COURSE_TOPICS]
    for v in videos:
        assert v["readyState"] >= 1 and v["width"] == 854, v
        assert abs(v["duration"] - v["expected"]) <= 0.1, v
        assert v["src"].endswith(".mp4")  # Chromium picks the first source it can play
        kinds = {t["kind"]: t["cues"] for t in v["tracks"]}
        assert kinds["captions"] >= 3 and kinds["chapters"] == v["chapters"] >= 3, v
        for s in v["seeks"]:
            assert abs(s["got"] - s["want"]) < 0.35, v
    heads = next(v for v in videos if v["id"] == "video-heads")  # narrated (conftest): the page plays its voice
    spoken = json.loads((low("heads")[0] / "low" / "heads.json").read_text())["narration"]["lines"]
    assert heads["audioBytes"] > 0, heads
    assert heads["cueStarts"] == pytest.approx([x["start"] for x in spoken], abs=0.002)  # captions line up with lines
    with av.open(str(low("heads")[0] / "low" / "heads.mp4")) as f:
        audio = f.streams.audio[0]
        assert float(audio.duration * audio.time_base) == pytest.approx(heads["duration"], abs=0.05)
    assert (tmp_path / "course.png").stat().st_size > 10_000


def test_page_lists_every_file_it_needs(course_dir: Path, low: LowRender) -> None:
    html = (course_dir / "index.html").read_text()
    for name in COURSE_TOPICS:
        for kind in page.NEEDED:
            assert f"media/{name}{page.SUFFIX[kind]}" in html or kind == "json" and f"media/{name}.json" in html
            assert (course_dir / "media" / f"{name}{page.SUFFIX[kind]}").exists()
    assert "http://" not in html and "https://" not in html  # works offline
    again = page.write_course([page.load_entry(n, n, n, low(n)[0] / "low") for n in COURSE_TOPICS], course_dir)
    assert again == course_dir / "index.html"  # written again over itself, from the same renders
    assert [p.name for p in course_dir.rglob(".*")] == []  # no temporary files left behind
    assert "&lt;video controls" in html and "```{iframe} /lectures/" in html and "```{lecture}" in html
    for name in COURSE_TOPICS:
        assert (course_dir / "media" / f"{name}.html").exists()  # the player page the MyST iframe frames
