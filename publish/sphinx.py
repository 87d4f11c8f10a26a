"""Sphinx extension: ``.. lecture:: heads`` (or ```` ```{lecture} heads ```` in MyST) embeds a rendered lecture.

In conf.py::

    extensions = ["publish.sphinx"]          # with "myst_parser" for Markdown pages
    lecture_media = "media/low"              # the render folder, relative to conf.py (the default)
    lecture_formats = ["mp4", "webm"]        # video sources, in the order the browser tries them

The directive copies the lecture's files from the render folder into ``_lectures/`` of the HTML output and
writes the player: controls, poster, every video source, the captions track (off until the viewer turns it
on) and the chapters track, a responsive width, the chapter list as links that seek, and the audit line with
links to the manifest, transcript and SRT captions. Option ``:media: path`` takes the render folder for one
lecture (relative to the document, or to the source folder when it starts with ``/``); ``:title:`` replaces
the manifest's title. A lecture or file that is missing is an error naming it and the folder, and the build
exits with status 1 (with or without ``-W``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxTranslator
from sphinx.util.osutil import relative_uri

from publish import page
from publish.outputs import OutputError, read_set

OUT_DIR = "_lectures"  # under the HTML output folder
SIDECARS = ("png", "vtt", "chapters", "txt", "srt", "json")  # besides the video formats, what the player links
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_KEPT = ("title", "question", "quality", "video", "chapters", "audit")  # manifest fields the player reads


logger = logging.getLogger(__name__)


class lecture(nodes.General, nodes.Element):  # noqa: N801 (docutils names nodes in lower case)
    """Where a lecture's player goes; written by the HTML translator."""


def _files(env: BuildEnvironment) -> dict[str, dict[str, str]]:
    """Return docname -> {destination under the output folder: source file}, kept in the environment."""
    if not hasattr(env, "faq_lecture_files"):
        env.faq_lecture_files = {}  # type: ignore[attr-defined]
    return env.faq_lecture_files  # type: ignore[attr-defined,no-any-return]


def _errors(env: BuildEnvironment) -> dict[str, list[str]]:
    """Return docname -> the lecture errors of that document, kept so an unchanged page fails again."""
    if not hasattr(env, "faq_lecture_errors"):
        env.faq_lecture_errors = {}  # type: ignore[attr-defined]
    return env.faq_lecture_errors  # type: ignore[attr-defined,no-any-return]


class LectureDirective(SphinxDirective):
    """``.. lecture:: <topic>``: the player, chapters and audit line of one rendered lecture."""

    required_arguments = 1
    has_content = False
    option_spec = {"media": directives.path, "title": directives.unchanged}

    def fail(self, message: str) -> list[nodes.Node]:
        """Log an error at the directive, remember it for the exit status, and put nothing on the page."""
        logger.error(message, location=(self.env.docname, self.lineno))
        _errors(self.env).setdefault(self.env.docname, []).append(message)
        return []

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0].strip()
        if not _NAME.fullmatch(name):
            return self.fail(f"{name!r} is not a lecture name (letters, digits, '_', '-', '.')")
        if "media" in self.options:
            source = Path(self.env.relfn2path(self.options["media"])[1])
            setting = f":media: {self.options['media']}"
        else:
            source = Path(self.env.app.confdir) / self.config.lecture_media
            setting = f"lecture_media = {self.config.lecture_media!r}"
        source = source.resolve()
        formats = list(self.config.lecture_formats)
        if not formats or any(f not in page.VIDEO_TYPES for f in formats):
            return self.fail(f"lecture_formats = {formats!r}: give one or more of {', '.join(page.VIDEO_TYPES)}")
        kinds = [*formats, *SIDECARS]
        wanted = [f"{name}{page.SUFFIX[k]}" for k in kinds]
        missing = [f for f in wanted if not (source / f).is_file()]
        if missing:
            what = "no render" if len(missing) == len(wanted) else "missing " + ", ".join(missing)
            return self.fail(
                f"lecture {name!r}: {what} in {source} ({setting}); render it with "
                f"`render.py {name} --format {','.join(formats)}` or point the setting at "
                f"its render folder")
        manifest_path = source / f"{name}.json"
        try:  # the manifest validated against its schema, every file it lists checked whole (no symlink, no mix)
            published = read_set(source, name)
            manifest = published.manifest
            kept = {k: manifest[k] for k in _KEPT}
            kept["audit"] = {k: manifest["audit"][k] for k in ("numbers_checked", "animations_audited", "mismatches")}
            page.player_html(name, kept)  # every field the player reads is there and of its type
        except OutputError as e:
            return self.fail(f"lecture {name!r}: {e}")
        except (OSError, ValueError, KeyError, TypeError) as e:
            return self.fail(f"lecture {name!r}: unreadable manifest {manifest_path}: {e!r}")
        unlisted = [f for k, f in zip(kinds, wanted) if k not in published.files]
        if unlisted:
            return self.fail(f"lecture {name!r}: {', '.join(unlisted)} in {source} not listed by its manifest"
                             f" {manifest_path}; render it with `render.py {name} --format {','.join(formats)}`")
        tag = hashlib.sha256(str(source).encode()).hexdigest()[:8]
        dest = f"{OUT_DIR}/{source.name}-{tag}/"
        _files(self.env).setdefault(self.env.docname, {}).update(
            {dest + f: str(published.folder / f) for f in wanted})
        self.env.note_dependency(str(manifest_path))  # a new render rebuilds the page
        node = lecture()
        node["name"] = name
        node["dest"] = dest
        node["manifest"] = kept
        node["title"] = self.options.get("title")
        node["formats"] = formats
        serial = self.env.new_serialno("lecture")  # two players on one page get two ids
        node["id"] = f"lecture-{name}" + (f"-{serial + 1}" if serial else "")
        self.set_source_info(node)
        return [node]


def visit_lecture_html(self: SphinxTranslator, node: lecture) -> None:
    """Write the player, its media addresses relative to the page being written."""
    base = relative_uri(self.builder.get_target_uri(self.builder.current_docname), node["dest"])
    here = node["name"]
    html = page.player_html(here, node["manifest"], base, node["id"], node["title"], tuple(node["formats"]),
                            caption=True)
    self.body.append(html + "\n")  # type: ignore[attr-defined]
    raise nodes.SkipNode


def skip_lecture(self: SphinxTranslator, node: lecture) -> None:
    """Other builders (LaTeX, text, man, Texinfo) leave the video out."""
    raise nodes.SkipNode


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _files(env).pop(docname, None)
    _errors(env).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    for table in (_files, _errors):
        for doc in docnames:
            if doc in table(other):
                table(env)[doc] = table(other)[doc]


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Add the chapter links' seek script to the pages that hold a lecture."""
    if _files(app.env).get(pagename):
        app.add_js_file(None, body=page.JS.strip())


def _copy(src: Path, dst: Path) -> None:
    """Copy src to dst unless dst already has its size and time; through a temporary file."""
    st = src.stat()
    if dst.exists() and (dst.stat().st_size, int(dst.stat().st_mtime)) == (st.st_size, int(st.st_mtime)):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def _finish(app: Sphinx, exception: Exception | None) -> None:
    """After an HTML build, copy every embedded lecture's files into the output folder; a build with a lecture
    error exits with status 1."""
    if exception is not None:
        return
    failed = sum(len(v) for v in _errors(app.env).values())
    if app.builder.format == "html":
        out = Path(app.outdir)
        for docname, files in _files(app.env).items():
            for dest, src in files.items():
                if Path(src).is_file():
                    _copy(Path(src), out / dest)
                else:
                    logger.error(f"lecture file {src} disappeared during the build", location=docname)
                    failed += 1
    if failed:
        logger.error(f"{failed} lecture(s) could not be embedded (see above)")
        app.statuscode = 1


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive, its node, its settings and the copying of the media."""
    app.add_config_value("lecture_media", "media/low", "env", types=[str])
    app.add_config_value("lecture_formats", ["mp4", "webm"], "env", types=[list, tuple])
    skip = (skip_lecture, None)
    app.add_node(lecture, html=(visit_lecture_html, None), latex=skip, text=skip, man=skip, texinfo=skip)
    app.add_directive("lecture", LectureDirective)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _finish)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
