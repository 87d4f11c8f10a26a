"""The course page: every lecture in order, playable offline from any static host."""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.captions import chapter_spans
from publish.outputs import load_manifest, read_set

NEEDED = ("mp4", "webm", "png", "vtt", "chapters", "txt", "json")  # kinds the page uses for each topic
SUFFIX = {"mp4": ".mp4", "webm": ".webm", "png": ".png", "vtt": ".vtt", "chapters": ".chapters.vtt", "txt": ".txt",
          "json": ".json", "srt": ".srt"}


@dataclass(frozen=True)
class Entry:
    """One lecture on the page: its registry facts and its rendered files."""

    name: str
    title: str
    question: str
    manifest: dict[str, Any]


def missing(source: Path, name: str, voice: str = "none") -> list[str]:
    """Return the file kinds the page needs that the topic's published set in source lacks (all when unpublished,
    or when it was narrated by another voice than the one asked for: 'none', 'espeak' or 'recordings').

    A manifest that is not valid is an error naming it (ManifestError), not a reason to render again.
    """
    try:
        manifest = load_manifest(source / f"{name}.json")
    except FileNotFoundError:
        return list(NEEDED)
    if manifest.get("narration", {}).get("voice", "none") != voice:
        return ["mp4", "webm"]
    return [k for k in NEEDED if k != "json" and k not in manifest["files"]]


def _place(src: Path, dst: Path) -> None:
    """Hard-link src to dst (copy across file systems), replacing dst atomically."""
    if dst.exists() and os.path.samefile(src, dst):
        return  # already linked (renaming one link over another of the same file would do nothing)
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def _math(text: str) -> str:
    """Escape text for HTML and typeset simple scripts: W^q_h, W_Q, d_k."""
    out = html.escape(text)
    out = re.sub(r"\b([A-Za-z])\^(\w)_(\w)\b", r"\1<sup>\2</sup><sub>\3</sub>", out)
    return re.sub(r"\b([A-Za-z])_([A-Za-z0-9])\b", r"\1<sub>\2</sub>", out)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def media_url(media_base: str, filename: str) -> str:
    """Return the address of a lecture file under media_base ('' means next to the page)."""
    if not media_base:
        return filename
    return media_base + ("" if media_base.endswith("/") else "/") + filename


def other_origin(media_base: str) -> bool:
    """Tell whether media_base is an absolute http(s) URL, so the media may sit on another origin."""
    return media_base.lower().startswith(("http://", "https://", "//"))


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}  # the sources a player offers, by format


def video_html(name: str, title: str, width: int, height: int, media_base: str = "", video_id: str = "",
               duration: float | None = None, formats: tuple[str, ...] = ("mp4", "webm")) -> str:
    """Return one <video> block: opening tag on one line, no blank line, so Markdown keeps the tracks inside."""
    url = functools.partial(media_url, media_base)
    attrs = [f'id="{_attr(video_id)}"'] if video_id else []
    attrs += ["controls", 'preload="metadata"', f'width="{int(width)}"', f'height="{int(height)}"',
              f'poster="{_attr(url(name + ".png"))}"', 'style="max-width:100%;height:auto"']
    if other_origin(media_base):
        attrs.append('crossorigin="anonymous"')  # tracks from another origin load only through CORS
    attrs.append(f'aria-label="{_attr(title)}"')
    if duration is not None:
        attrs.append(f'data-duration="{float(duration)}"')
    # Captions are off until the viewer turns them on: they cover the bottom of the frame.
    return "\n".join([
        f"<video {' '.join(attrs)}>",
        *(f'  <source src="{_attr(url(name + SUFFIX[f]))}" type="{VIDEO_TYPES[f]}">' for f in formats),
        f'  <track kind="captions" src="{_attr(url(name + ".vtt"))}" srclang="en" label="English">',
        f'  <track kind="chapters" src="{_attr(url(name + ".chapters.vtt"))}" srclang="en" label="Chapters">',
        "</video>",
    ])


def embed_html(name: str, title: str, width: int, height: int, media_base: str = "") -> str:
    """Return the <video> snippet an author pastes into an HTML or Markdown page."""
    return video_html(name, title, width, height, media_base)


def embed_myst(name: str, title: str, question: str, media_base: str = "/lectures/") -> str:
    """Return a MyST iframe of the lecture's player page, for Jupyter Book 2 / mystmd (backtick fence)."""
    return (f"```{{iframe}} {media_url(media_base, name + '.html')}\n:width: 100%\n:title: {title}\n"
            f"{title}: {question}\n```")


def embed_sphinx(name: str) -> str:
    """Return the MyST form of the Sphinx directive (extensions = ["publish.sphinx"])."""
    return f"```{{lecture}} {name}\n```"


def player_html(name: str, manifest: dict[str, Any], media_base: str = "", video_id: str = "",
                title: str | None = None, formats: tuple[str, ...] = ("mp4", "webm"), caption: bool = False) -> str:
    """Return the whole player: the video (with the title and question above it when caption is set), its
    chapter list (links that seek) and the audit line."""
    m = manifest
    vid = video_id or f"video-{name}"
    url = functools.partial(media_url, media_base)
    label = title if title is not None else str(m.get("title") or name)
    chapters = "\n".join(
        f'  <li><a href="#{_attr(vid)}" class="seek" data-video="{_attr(vid)}" data-t="{float(start):.3f}">'
        f'<span class="t">{_clock(float(start))}</span> {html.escape(str(text))}</a></li>'
        for start, _, text in chapter_spans(m)
    )
    audit = m["audit"]
    q = m["quality"]
    video = video_html(name, label, q["width"], q["height"], media_base, vid, float(m["video"]["duration"]), formats)
    head = (f'<p class="lecture-title"><strong>{_math(label)}</strong><br>FAQ: {_math(str(m.get("question", "")))}</p>\n'
            if caption else "")
    return f"""<div class="lecture-player">
{head}{video}
<p class="chapters-title">Chapters</p>
<ol class="chapters">
{chapters}
</ol>
<p class="audit">Every number on screen was checked against torch after every animation:
  {int(audit['numbers_checked']):,} checks over {int(audit['animations_audited'])} animations, {int(audit['mismatches'])} mismatches.
  <a href="{_attr(url(name + '.json'))}">Manifest</a> (each shown value, its tensor and index) ·
  <a href="{_attr(url(name + '.txt'))}">Transcript</a> · <a href="{_attr(url(name + '.srt'))}">SRT captions</a></p>
</div>"""


def _embed_help(n: str, e: Entry, media_base: str) -> str:
    """Return the "Embed this lecture" box: where the files go and the snippet for each kind of site."""
    q = e.manifest["quality"]
    n = html.escape(n)
    where = (f"Put <code>media/{n}.*</code> at <code>{html.escape(media_base)}</code>" if media_base
             else f"Copy <code>media/{n}.*</code> next to your page")
    cors = (" That is another origin: its server must send <code>Access-Control-Allow-Origin</code>, or the"
            " captions and chapters will not load." if other_origin(media_base) else "")
    myst_base = media_base or "/lectures/"
    return f"""<details><summary>Embed this lecture</summary>
      <p>{where}, serve it over http(s) from a server that answers Range requests (seeking), then paste
        into HTML or Markdown (one block: keep it together, a blank line before it).{cors}</p>
      <pre class="embed">{html.escape(embed_html(n, e.title, q['width'], q['height'], media_base))}</pre>
      <p>Sphinx, reStructuredText or MyST, with <code>extensions = ["publish.sphinx"]</code> and
        <code>lecture_media</code> set to the render folder (the player, chapters and audit line):</p>
      <pre class="embed">.. lecture:: {n}

{html.escape(embed_sphinx(n))}</pre>
      <p>Jupyter Book 2 / mystmd: its figure and a pasted <code>&lt;video&gt;</code> both become a muted autoplay
        loop with no controls or captions, so this frames the lecture's player page <code>{n}.html</code>.
        {"Copy the media folder's files into <code>lectures/</code> and list <code>lectures</code> under"
         " <code>project.static_files</code> in <code>myst.yml</code> (mystmd 1.10 or later)" if not media_base
         else "The player page is served from the media folder"}:</p>
      <pre class="embed">{html.escape(embed_myst(n, e.title, e.question, myst_base))}</pre>
    </details>"""


def _section(i: int, e: Entry, media_base: str = "") -> str:
    m, n = e.manifest, e.name
    transcript = html.escape((Path(m["_source"]) / f"{n}.txt").read_text(encoding="utf-8"))
    player = player_html(n, m, "media/", f"video-{n}", e.title).replace("\n", "\n    ")
    return f"""
  <section class="lecture" id="{_attr(n)}">
    <h2><span class="num">{i}.</span> {_math(e.title)}</h2>
    <p class="question">FAQ: {_math(e.question)}</p>
    {player}
    <details><summary>Transcript</summary><pre class="transcript">{transcript}</pre></details>
    {_embed_help(n, e, media_base)}
  </section>"""


def player_page(name: str, manifest: dict[str, Any], title: str) -> str:
    """Return a standalone page with the player, next to the media (what an iframe frames)."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(title)}</title>
  <style>{PLAYER_CSS}</style>
</head>
<body>
{player_html(name, manifest, "", f"video-{name}", title)}
<script>{JS}</script>
</body>
</html>
"""


CSS = """
:root { color-scheme: dark; --bg: #101318; --fg: #e8e8e8; --muted: #9aa0a6; --accent: #8ab4f8; }
body { background: var(--bg); color: var(--fg); font: 17px/1.5 system-ui, sans-serif; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
a { color: var(--accent); }
.question, .audit, .lead { color: var(--muted); }
video { width: 100%; height: auto; background: #000; border-radius: 6px; }
ol.chapters { columns: 2; padding-left: 1.2rem; }
.chapters-title { margin-bottom: 0; }
.t { font-variant-numeric: tabular-nums; color: var(--muted); margin-right: .3rem; }
pre { white-space: pre-wrap; background: #181c22; padding: .8rem; border-radius: 6px; font-size: .85rem; }
section.lecture { border-top: 1px solid #2a2f36; padding-top: 1rem; margin-top: 2rem; }
nav ol { columns: 2; }
"""

JS = """
document.addEventListener('click', function (ev) {
  var a = ev.target.closest('a.seek');
  if (!a) return;
  ev.preventDefault();
  var v = document.getElementById(a.dataset.video);
  v.currentTime = parseFloat(a.dataset.t);
  v.scrollIntoView({behavior: 'smooth', block: 'center'});
  var p = v.play(); if (p && p.catch) p.catch(function () {});
});
"""


PLAYER_CSS = """
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; }
video { display: block; width: 100%; height: auto; max-height: 100vh; background: #000; }
ol.chapters, .audit { margin: .6rem 1rem; }
.t { font-variant-numeric: tabular-nums; margin-right: .3rem; }
"""


def write_course(entries: list[Entry], out_dir: Path, media_base: str = "") -> Path:
    """Write out_dir/index.html, its CSS and JS, link every lecture's files into out_dir/media and write a
    player page per lecture there; the embed snippets point at media_base ('' means next to the page)."""
    media = out_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    for e in entries:
        source = Path(e.manifest["_source"])  # the set's folder: every file listed there was checked by read_set
        listed = {*e.manifest["files"], "json"}
        for kind, suffix in SUFFIX.items():
            f = source / f"{e.name}{suffix}"
            if kind in listed and f.is_file() and not f.is_symlink():
                _place(f, media / f.name)
        _write_atomic(media / f"{e.name}.html", player_page(e.name, e.manifest, e.title))
    (out_dir / "course.css").write_text(CSS.lstrip(), encoding="utf-8")
    (out_dir / "course.js").write_text(JS.lstrip(), encoding="utf-8")
    toc = "\n".join(f'      <li><a href="#{_attr(e.name)}">{_math(e.title)}</a></li>' for e in entries)
    sections = "".join(_section(i + 1, e, media_base) for i, e in enumerate(entries))
    total = sum(e.manifest["video"]["duration"] for e in entries)
    page = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Transformer attention, checked by torch</title>
  <link rel="stylesheet" href="course.css">
</head>
<body>
<main>
  <h1>Transformer attention, one question at a time</h1>
  <p class="lead">{len(entries)} short silent lectures ({_clock(total)} in all), with captions and chapters.
    Every number you see was computed by torch, and checked against torch after every animation
    before the video was published.</p>
  <nav><ol>
{toc}
  </ol></nav>
{sections}
</main>
<script src="course.js"></script>
</body>
</html>
"""
    _write_atomic(out_dir / "index.html", page)
    return out_dir / "index.html"


def _write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file renamed over it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_entry(name: str, title: str, question: str, source: Path) -> Entry:
    """Read one topic's published set from the quality folder: its manifest validated, every file checked whole
    (publish.outputs.read_set; ManifestError or SetError, one line naming the file, if not)."""
    published = read_set(source, name)
    manifest = dict(published.manifest)
    manifest["_source"] = str(published.folder)
    return Entry(name, title, question, manifest)
