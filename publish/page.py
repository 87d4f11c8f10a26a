"""The course page: every lecture in order, playable offline from any static host."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.captions import chapter_spans

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


def missing(source: Path, name: str) -> list[str]:
    """Return the file kinds the page needs that are not in the source folder for this topic."""
    return [k for k in NEEDED if not (source / f"{name}{SUFFIX[k]}").exists()]


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


def embed_html(name: str, title: str, width: int, height: int) -> str:
    """Return the <video> snippet an author pastes next to the copied files."""
    return (
        f'<video controls preload="metadata" width="{width}" height="{height}" poster="{name}.png"\n'
        f'       aria-label="{html.escape(title)}">\n'
        f'  <source src="{name}.mp4" type="video/mp4">\n'
        f'  <source src="{name}.webm" type="video/webm">\n'
        f'  <track kind="captions" src="{name}.vtt" srclang="en" label="English" default>\n'
        f'  <track kind="chapters" src="{name}.chapters.vtt" srclang="en" label="Chapters">\n'
        f"</video>"
    )


def embed_myst(name: str, title: str, question: str) -> str:
    """Return a MyST figure directive for the video (Jupyter Book / mystmd)."""
    return f":::{{figure}} {name}.mp4\n:name: lecture-{name}\n:alt: {title}\n\n{title}: {question}\n:::"


def _section(i: int, e: Entry) -> str:
    m, n = e.manifest, e.name
    vid = f"video-{n}"
    q = m["quality"]
    chapters = "\n".join(
        f'      <li><a href="#{n}" class="seek" data-video="{vid}" data-t="{start:.3f}">'
        f"<span class=\"t\">{_clock(start)}</span> {html.escape(title)}</a></li>"
        for start, _, title in chapter_spans(m)
    )
    audit = m["audit"]
    transcript = html.escape((Path(m["_source"]) / f"{n}.txt").read_text(encoding="utf-8"))
    return f"""
  <section class="lecture" id="{n}">
    <h2><span class="num">{i}.</span> {_math(e.title)}</h2>
    <p class="question">FAQ: {_math(e.question)}</p>
    <video id="{vid}" controls preload="metadata" width="{q['width']}" height="{q['height']}" poster="media/{n}.png"
           data-duration="{m['video']['duration']}">
      <source src="media/{n}.mp4" type="video/mp4">
      <source src="media/{n}.webm" type="video/webm">
      <track kind="captions" src="media/{n}.vtt" srclang="en" label="English" default>
      <track kind="chapters" src="media/{n}.chapters.vtt" srclang="en" label="Chapters">
    </video>
    <h3>Chapters</h3>
    <ol class="chapters">
{chapters}
    </ol>
    <p class="audit">Every number on screen was checked against torch after every animation:
      {audit['numbers_checked']:,} checks over {audit['animations_audited']} animations, {audit['mismatches']} mismatches.
      <a href="media/{n}.json">Manifest</a> (each shown value, its tensor and index) ·
      <a href="media/{n}.txt">Transcript</a> · <a href="media/{n}.srt">SRT captions</a></p>
    <details><summary>Transcript</summary><pre class="transcript">{transcript}</pre></details>
    <details><summary>Embed this lecture</summary>
      <p>Copy <code>media/{n}.*</code> next to your page, then paste:</p>
      <pre class="embed">{html.escape(embed_html(n, e.title, q['width'], q['height']))}</pre>
      <p>MyST (Jupyter Book, mystmd):</p>
      <pre class="embed">{html.escape(embed_myst(n, e.title, e.question))}</pre>
    </details>
  </section>"""


CSS = """
:root { color-scheme: dark; --bg: #101318; --fg: #e8e8e8; --muted: #9aa0a6; --accent: #8ab4f8; }
body { background: var(--bg); color: var(--fg); font: 17px/1.5 system-ui, sans-serif; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
a { color: var(--accent); }
.question, .audit, .lead { color: var(--muted); }
video { width: 100%; height: auto; background: #000; border-radius: 6px; }
ol.chapters { columns: 2; padding-left: 1.2rem; }
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


def write_course(entries: list[Entry], out_dir: Path) -> Path:
    """Write out_dir/index.html, its CSS and JS, and link every lecture's files into out_dir/media."""
    media = out_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    for e in entries:
        source = Path(e.manifest["_source"])
        for kind, suffix in SUFFIX.items():
            f = source / f"{e.name}{suffix}"
            if f.exists():
                _place(f, media / f.name)
    (out_dir / "course.css").write_text(CSS.lstrip(), encoding="utf-8")
    (out_dir / "course.js").write_text(JS.lstrip(), encoding="utf-8")
    toc = "\n".join(f'      <li><a href="#{e.name}">{_math(e.title)}</a></li>' for e in entries)
    sections = "".join(_section(i + 1, e) for i, e in enumerate(entries))
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
    tmp = out_dir / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_dir / "index.html")
    return out_dir / "index.html"


def load_entry(name: str, title: str, question: str, source: Path) -> Entry:
    """Read one topic's manifest from the quality folder."""
    manifest = json.loads((source / f"{name}.json").read_text(encoding="utf-8"))
    manifest["_source"] = str(source)
    return Entry(name, title, question, manifest)
