"""Embedding where course authors paste it, checked with the real clients: a Sphinx site built with -W from
reStructuredText and MyST, the HTML snippet in a CommonMark page (markdown-it-py) and a plain page, media on
another origin (with and without CORS), and the player page framed as Jupyter Book 2 frames an iframe; each
page then played in headless Chromium over the DevTools protocol."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import webvtt
from markdown_it import MarkdownIt

from publish import page
from publish.serve import RangeHandler, serve_in_background
from tests import test_course as course
from tests.conftest import LowRender

pytestmark = [pytest.mark.render, pytest.mark.xdist_group("heads")]  # reuses the session's heads render

browser = course.browser  # headless Chromium, one per test

PLAYS_JS = """
(async () => {
  const within = (p, what) => Promise.race([p, new Promise((_, rej) =>
    setTimeout(() => rej(new Error(what + ' did not happen within 60 s')), 60000))]);
  const on = (el, evs, ok, what) => ok() ? Promise.resolve() : within(new Promise(res =>
    evs.forEach(ev => el.addEventListener(ev, res, {once: true}))), what);
  const out = [];
  for (const v of document.querySelectorAll('video')) {
    const modes = [...v.textTracks].map(t => t.kind + ':' + t.mode);  // as the page left them
    const sources = v.querySelectorAll('source');
    await within(new Promise(res => {  // metadata, or every source failed (the error fires at the last one)
      if (v.readyState >= 1 || v.networkState === 3) res();
      v.addEventListener('loadedmetadata', res, {once: true});
      if (sources.length) sources[sources.length - 1].addEventListener('error', res, {once: true});
    }), v.id + ' metadata');
    if (v.readyState < 1) { out.push({id: v.id, error: 'no playable source', textTracks: v.textTracks.length}); continue; }
    const img = new Image();
    if (v.crossOrigin) img.crossOrigin = v.crossOrigin;
    img.src = v.poster;
    let poster = 0;
    try { await within(img.decode(), 'poster'); poster = img.naturalWidth; } catch (e) { poster = -1; }
    const tracks = [];
    for (const t of v.querySelectorAll('track')) {
      t.track.mode = 'hidden';
      await on(t, ['load', 'error'], () => t.readyState >= 2, t.kind + ' track');
      tracks.push({kind: t.kind, state: t.readyState, cues: t.track.cues ? t.track.cues.length : 0});
    }
    const chapters = [...v.textTracks].find(t => t.kind === 'chapters');
    const links = [...document.querySelectorAll('a.seek')].filter(a => a.dataset.video === v.id);
    const seeks = [];
    for (let i = 1; i <= 3; i++) {
      const a = links[i];
      const want = a ? parseFloat(a.dataset.t) : (chapters && chapters.cues && chapters.cues[i] ?
                                                  chapters.cues[i].startTime : i * 10);
      const seeked = new Promise(r => v.addEventListener('seeked', r, {once: true}));
      if (a) a.click(); else v.currentTime = want;
      await within(seeked, 'seek to ' + want);
      seeks.push({want, got: v.currentTime, link: !!a});
      v.pause();
    }
    v.muted = true;
    try { await within(v.play(), 'play'); } catch (e) {}
    await on(v, ['canplaythrough'], () => v.readyState === 4, v.id + ' readyState 4');
    v.pause();
    const box = v.getBoundingClientRect();
    out.push({id: v.id, readyState: v.readyState, duration: v.duration, src: v.currentSrc, poster, modes,
              textTracks: v.textTracks.length, tracks, seeks, links: links.length, width: v.videoWidth,
              shown: box.width, column: v.parentElement.clientWidth,
              seekable: v.seekable.length ? v.seekable.end(0) : 0,
              controls: v.controls, crossOrigin: v.crossOrigin});
  }
  return JSON.stringify(out);
})()
"""


@pytest.fixture
def media(low: LowRender) -> Path:
    """The heads lecture's render folder (480p, mp4 and webm) of this session."""
    return low("heads")[0] / "low"


def manifest_of(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "heads.json").read_text(encoding="utf-8")))


def copy_media(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    """Hard-link (or copy) the heads files into dst; the manifest is copied, so a test may rewrite it."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.glob("heads.*"):
        if f.name in skip:
            continue
        if f.suffix == ".json":
            shutil.copy2(f, dst / f.name)
        else:
            os.link(f, dst / f.name)
    return dst


def sphinx_build(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run sphinx-build -W (warnings are errors) on src into out."""
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", *extra, str(src), str(out)],
                          capture_output=True, text=True, timeout=300, cwd=src)


def write_site(root: Path, media: Path, rst: str, md: str | None = None) -> Path:
    """Write a small Sphinx site: conf.py with the extension and myst-parser, index.rst, and sub/myst.md."""
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    (src / "conf.py").write_text(
        'project = "Lectures"\nextensions = ["myst_parser", "publish.sphinx"]\n'
        f"lecture_media = {str(media)!r}\n", encoding="utf-8")
    toc = ".. toctree::\n\n   sub/myst\n\n" if md is not None else ""
    (src / "index.rst").write_text(f"Lectures\n========\n\n{toc}{rst}\n", encoding="utf-8")
    if md is not None:
        (src / "sub" / "myst.md").write_text(md, encoding="utf-8")
    return src


def open_page(tools: course.DevTools, url: str, width: int = 1280) -> None:
    """Navigate and wait (bounded) until the page has loaded."""
    tools.call("Emulation.setDeviceMetricsOverride", width=width, height=1600, deviceScaleFactor=1, mobile=False)
    tools.call("Page.enable")
    tools.call("Page.navigate", url=url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = tools.call("Runtime.evaluate", expression="document.readyState + ' ' + location.href", returnByValue=True)
        if r["result"]["value"] == f"complete {url}":
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not load within 60 s")


def play_all(tools: course.DevTools, context: int | None = None) -> list[dict[str, Any]]:
    """Run the playing check on every video of the page (or of the frame whose context id is given)."""
    params: dict[str, Any] = {"expression": PLAYS_JS, "awaitPromise": True, "returnByValue": True, "timeout": 300000}
    if context is not None:
        params["contextId"] = context
    r = tools.call("Runtime.evaluate", **params)
    assert "exceptionDetails" not in r, r
    return list(json.loads(r["result"]["value"]))


def assert_plays(v: dict[str, Any], manifest: dict[str, Any], folder: Path) -> None:
    """One video played as a lecture should: controls, poster, readyState 4, duration, cues, seeking."""
    assert "error" not in v, v
    assert v["controls"] and v["readyState"] == 4 and v["width"] == manifest["quality"]["width"], v
    assert v["poster"] == manifest["quality"]["width"], v  # the poster image loaded
    assert abs(v["duration"] - manifest["video"]["duration"]) <= 0.05, v
    assert v["textTracks"] == 2 and v["modes"] == ["captions:disabled", "chapters:disabled"], v  # captions off
    cues = {t["kind"]: t["cues"] for t in v["tracks"]}
    assert cues == {"captions": len(webvtt.read(str(folder / "heads.vtt"))),
                    "chapters": len(webvtt.read(str(folder / "heads.chapters.vtt")))}, v
    assert cues["chapters"] == len(manifest["chapters"]) and cues["captions"] == len(manifest["captions"])
    assert abs(v["seekable"] - v["duration"]) < 0.1, v  # the server answered Range requests
    for s in v["seeks"]:
        assert abs(s["got"] - s["want"]) < 0.5, v
    assert v["shown"] <= v["column"] + 0.5, v  # never wider than the column that holds it


class CorsHandler(RangeHandler):
    """The range server plus the CORS header a media host must send for tracks on another origin."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def serve(root: Path, handler: type[RangeHandler]) -> tuple[ThreadingHTTPServer, str]:
    """Serve root with the given handler on a free port in a thread; return the server and its URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


@pytest.fixture
def site(media: Path, tmp_path: Path) -> Path:
    """A Sphinx site using the directive from reStructuredText and from MyST, built with -W."""
    here = os.path.relpath(media, tmp_path / "src" / "sub")  # :media: is relative to the document
    src = write_site(tmp_path, media, "The heads lecture, from reStructuredText:\n\n.. lecture:: heads\n",
                     "# From MyST\n\n```{lecture} heads\n```\n\nAgain, with options:\n\n"
                     f"```{{lecture}} heads\n:media: {here}\n:title: Heads, again\n```\n")
    out = tmp_path / "out"
    done = sphinx_build(src, out)
    assert done.returncode == 0, done.stderr
    return out


def test_sphinx_site_from_rst_and_myst_plays(site: Path, media: Path, browser: course.DevTools) -> None:
    manifest = manifest_of(media)
    copied = sorted(p.name for p in (site / "_lectures").glob("*/*"))
    assert copied == sorted(f"heads{page.SUFFIX[k]}" for k in ("mp4", "webm", "png", "vtt", "chapters", "txt", "srt",
                                                                "json"))
    rst, md = (site / "index.html").read_text(), (site / "sub" / "myst.html").read_text()
    for html in (rst, md):
        assert " default" not in html.split('kind="captions"')[1].split(">")[0]  # captions are not on by default
        assert "0 mismatches" in html and 'style="max-width:100%;height:auto"' in html
    assert 'src="../_lectures/' in md and 'src="_lectures/' in rst  # addresses relative to each page
    assert md.count("<video") == 2 and 'id="lecture-heads-2"' in md and "Heads, again" in md
    httpd, url = serve_in_background(site)
    try:
        for doc, n in (("index.html", 1), ("sub/myst.html", 2)):
            open_page(browser, url + doc, width=600)  # a narrow window: the 854 px video must shrink
            videos = play_all(browser)
            assert len(videos) == n, videos
            for v in videos:
                assert_plays(v, manifest, media)
                assert v["links"] == len(manifest["chapters"]) and all(s["link"] for s in v["seeks"]), v
                assert v["shown"] < manifest["quality"]["width"], v
        link = re.search(r'<a href="(_lectures/[^"]+/heads\.json)">Manifest</a>', rst)
        assert link, rst
        with urllib.request.urlopen(url + link.group(1), timeout=30) as r:  # the audit line's manifest link
            assert json.load(r)["audit"] == manifest["audit"]
    finally:
        httpd.shutdown()


def test_missing_lecture_or_file_fails_the_build(media: Path, tmp_path: Path) -> None:
    src = write_site(tmp_path / "a", media, ".. lecture:: nope\n")
    for flags in ((), ("-E",)):
        done = sphinx_build(src, tmp_path / "a" / "out", *flags)
        assert done.returncode != 0 and "lecture 'nope': no render in" in done.stderr, done.stderr
        assert str(media) in done.stderr
    without_webm = copy_media(media, tmp_path / "partial", skip=("heads.webm",))
    src = write_site(tmp_path / "b", without_webm, ".. lecture:: heads\n")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(tmp_path / "b" / "out")],
                          capture_output=True, text=True, timeout=300)  # without -W: still a failure
    assert done.returncode != 0 and "lecture 'heads': missing heads.webm in" in done.stderr, done.stderr


def test_html_snippet_in_commonmark_and_plain_pages(media: Path, browser: course.DevTools, tmp_path: Path) -> None:
    manifest = manifest_of(media)
    q = manifest["quality"]
    snippet = page.embed_html("heads", manifest["title"], q["width"], q["height"])
    first = snippet.split("\n")[0]
    assert first.startswith("<video ") and first.endswith(">") and "\n\n" not in snippet  # one Markdown block
    markdown = f"# A course page\n\nSome text before the lecture.\n\n{snippet}\n\nSome text after.\n"
    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks = [t for t in tokens if t.type == "html_block"]
    assert len(blocks) == 1 and blocks[0].content.strip() == snippet  # kept whole: tracks stay inside
    body = MarkdownIt("commonmark").render(markdown)
    root = copy_media(media, tmp_path / "www")
    (root / "markdown.html").write_text(f"<!doctype html><meta charset=utf-8><title>md</title>\n{body}")
    (root / "plain.html").write_text(f"<!doctype html><meta charset=utf-8><title>plain</title>\n{snippet}\n")
    httpd, url = serve_in_background(root)
    try:
        for doc in ("markdown.html", "plain.html"):
            open_page(browser, url + doc)
            videos = play_all(browser)
            assert len(videos) == 1, videos
            assert_plays(videos[0], manifest, media)
    finally:
        httpd.shutdown()


def test_media_on_another_origin(media: Path, browser: course.DevTools, tmp_path: Path) -> None:
    """Tracks from another origin load only with crossorigin="anonymous" and the host's CORS header; the
    player page framed by an iframe (the Jupyter Book 2 / mystmd snippet) needs no CORS."""
    manifest = manifest_of(media)
    q = manifest["quality"]
    cdn = copy_media(media, tmp_path / "cdn")
    (cdn / "heads.html").write_text(page.player_page("heads", manifest, manifest["title"]), encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    with_cors, cors_url = serve(cdn, CorsHandler)
    no_cors, plain_url = serve(cdn, RangeHandler)
    pages, page_url = serve_in_background(site)
    try:
        for name, base in (("cors.html", cors_url), ("nocors.html", plain_url)):
            snippet = page.embed_html("heads", manifest["title"], q["width"], q["height"], base)
            assert 'crossorigin="anonymous"' in snippet
            (site / name).write_text(f"<!doctype html><meta charset=utf-8><title>x</title>\n{snippet}\n")
        open_page(browser, page_url + "cors.html")
        (v,) = play_all(browser)
        assert_plays(v, manifest, media)
        assert v["src"].startswith(cors_url) and v["crossOrigin"] == "anonymous"
        open_page(browser, page_url + "nocors.html")  # crossorigin, but the host sends no CORS header
        (v,) = play_all(browser)
        assert v["error"] == "no playable source", v
        (site / "noattr.html").write_text((site / "cors.html").read_text().replace(' crossorigin="anonymous"', ""))
        open_page(browser, page_url + "noattr.html")  # CORS header, but no crossorigin: the video plays ...
        (v,) = play_all(browser)
        assert v["readyState"] == 4 and [(t["state"], t["cues"]) for t in v["tracks"]] == [(3, 0), (3, 0)], v
        # As Jupyter Book 2's theme renders {iframe}: the player page from the media host, in a frame.
        myst = page.embed_myst("heads", manifest["title"], manifest["question"], plain_url)
        src = myst.split("\n")[0].split(" ", 1)[1]
        assert src == plain_url + "heads.html"
        (site / "iframe.html").write_text(
            '<!doctype html><meta charset=utf-8><title>iframe</title><div style="width:700px">'
            '<div style="position:relative;padding-bottom:60%"><iframe width="100%" height="100%" '
            f'src="{src}" allowfullscreen allow="autoplay" style="width:100%;height:100%;position:absolute;'
            'top:0;left:0;border:none"></iframe></div></div>\n')
        open_page(browser, page_url + "iframe.html")
        frames = browser.call("Page.getFrameTree")["frameTree"].get("childFrames", [])
        assert len(frames) == 1 and frames[0]["frame"]["url"] == src, frames
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            world = browser.call("Page.createIsolatedWorld", frameId=frames[0]["frame"]["id"], worldName="check")
            state = browser.call("Runtime.evaluate", expression="document.readyState",
                                 contextId=world["executionContextId"], returnByValue=True)
            if state["result"]["value"] == "complete":
                break
            time.sleep(0.1)
        (v,) = play_all(browser, world["executionContextId"])
        assert_plays(v, manifest, media)
        assert v["links"] == len(manifest["chapters"]), v
    finally:
        for httpd in (with_cors, no_cors, pages):
            httpd.shutdown()


def test_manifest_markup_comes_out_escaped(media: Path, tmp_path: Path) -> None:
    planted = copy_media(media, tmp_path / "planted")
    m = manifest_of(planted)
    bad = '"><script>window.planted=1</script><img src=x onerror=alert(1)>'
    m["title"] = "Title" + bad
    m["question"] = "Question" + bad
    m["chapters"][1]["title"] = "Chapter" + bad
    (planted / "heads.json").write_text(json.dumps(m), encoding="utf-8")
    src = write_site(tmp_path, planted, ".. lecture:: heads\n", "# Planted\n\n```{lecture} heads\n```\n")
    done = sphinx_build(src, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    entry = page.load_entry("heads", m["title"], m["question"], planted)
    index = page.write_course([entry], tmp_path / "course")
    pages = [tmp_path / "out" / "index.html", tmp_path / "out" / "sub" / "myst.html", index,
             tmp_path / "course" / "media" / "heads.html"]
    for p in pages:
        html = p.read_text(encoding="utf-8")
        assert "<script>window.planted" not in html and "<img src=x" not in html, p
        assert "&lt;script&gt;window.planted=1&lt;/script&gt;" in html, p
    q = m["quality"]
    assert "<script>" not in page.embed_html("heads", m["title"], q["width"], q["height"])


def test_snippet_forms() -> None:
    local = page.embed_html("heads", "T", 854, 480)
    assert 'src="heads.mp4"' in local and "crossorigin" not in local and " default" not in local
    there = page.embed_html("heads", "T", 854, 480, "https://cdn.example.org/l")
    assert 'src="https://cdn.example.org/l/heads.mp4"' in there and 'crossorigin="anonymous"' in there
    folder = page.embed_html("heads", "T", 854, 480, "../media/")
    assert 'src="../media/heads.vtt"' in folder and "crossorigin" not in folder
    assert page.embed_myst("heads", "T", "Q?").startswith("```{iframe} /lectures/heads.html\n")
    assert page.embed_sphinx("heads") == "```{lecture} heads\n```"



def test_course_page_snippets_follow_media_base(media: Path, tmp_path: Path) -> None:
    m = manifest_of(media)
    entry = page.load_entry("heads", m["title"], m["question"], media)
    local = page.write_course([entry], tmp_path / "a").read_text()
    there = page.write_course([entry], tmp_path / "b", media_base="https://cdn.example.org/l/").read_text()
    assert "poster=&quot;heads.png&quot;" in local and "crossorigin" not in local
    assert "poster=&quot;https://cdn.example.org/l/heads.png&quot;" in there
    assert "crossorigin=&quot;anonymous&quot;" in there and "Access-Control-Allow-Origin" in there
    assert "```{iframe} https://cdn.example.org/l/heads.html" in there
    assert 'poster="media/heads.png"' in there  # the course page's own player still uses its copies


def test_course_command_takes_media_base(media: Path, tmp_path: Path) -> None:
    """`render.py course --media-base URL`, on an output folder that already holds every topic (the heads
    files under each topic's name, so nothing renders)."""
    from driver import registry

    low = tmp_path / "media" / "low"
    low.mkdir(parents=True)
    for name in registry.names():
        for f in media.glob("heads.*"):
            os.link(f, low / (name + f.name.removeprefix("heads")))
    done = subprocess.run([sys.executable, "render.py", "course", "--output-dir", str(tmp_path / "media"),
                           "--media-base", "https://cdn.example.org/l/", "--narration", "espeak"],  # heads is narrated
                          capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "media" / "course" / "index.html").read_text(encoding="utf-8")
    assert html.count("crossorigin=&quot;anonymous&quot;") == len(registry.names())
    assert "```{iframe} https://cdn.example.org/l/heads.html" in html
