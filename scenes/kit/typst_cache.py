"""Typst mobjects made fast and safe: an atomic on-disk SVG cache and light in-memory prototypes.

Manim writes each compiled SVG in place, so an interrupted render can leave a truncated file that
every later render trusts; here each SVG is written to a temporary name and renamed into place.
Each imported glyph also keeps its parsed SVG path, which makes every copy (and every Transform,
FadeIn, `.animate`) deep-copy a parse tree; prototypes drop it once and are then copied cheaply.
Parsing the SVG costs more than compiling it, so the outlines and colours of each label are cached
on disk too, and later renders rebuild the label from them without touching the SVG.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from manim import Typst, VMobject
from manim.mobject.text import typst_mobject
from manim.mobject.text.typst_mobject import MathTypst
from manim.utils import typst_file_writing as tfw

_cache_dir: Path | None = None
_prototypes: dict[tuple[str, bool, float], Any] = {}
GEOMETRY_VERSION = 1  # bump when the cached outline format changes


def default_cache_dir() -> Path:
    """Return the per-user cache folder (content-hashed, safe to share between renders)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faq-lectures" / "typst"


def _atomic_typst_to_svg_file(
    typst_code: str,
    preamble: str = "",
    text_size: float = tfw.TYPST_COMPILATION_FONT_SIZE,
    font_paths: list[str | Path] | None = None,
) -> Path:
    """Compile Typst to SVG once per content hash; never expose a half-written file."""
    import typst

    cache = _cache_dir or default_cache_dir()
    source = tfw.TYPST_TEMPLATE.format(text_size=text_size, preamble=preamble, body=typst_code)
    svg = cache / f"{tfw._typst_hash(source)}.svg"
    if svg.exists():
        return _private_copy(svg)
    cache.mkdir(parents=True, exist_ok=True)  # again, in case another process just cleared the cache
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        typ = Path(tmp) / "in.typ"
        typ.write_text(source, encoding="utf-8")
        data = typst.compile(str(typ), format="svg", font_paths=[str(p) for p in font_paths or []])
        out = Path(tmp) / "out.svg"
        out.write_bytes(data)
        os.replace(out, svg)
    return _private_copy(svg)


_private_dir: Path | None = None


def _private_copy(svg: Path) -> Path:
    """Return a copy of a cached SVG in this process's own folder.

    Manim writes a `<name>_.svg` beside the file it imports and then deletes it; done in the shared
    cache, two processes importing the same label collide on that file.
    """
    global _private_dir
    if _private_dir is None or not _private_dir.exists():
        _private_dir = Path(tempfile.mkdtemp(prefix="faq-lectures-typst-"))
        atexit.register(shutil.rmtree, _private_dir, True)
    dst = _private_dir / svg.name
    if not dst.exists():
        shutil.copyfile(svg, dst)
    return dst


def install(cache_dir: Path | None = None) -> None:
    """Route every Typst compile through the atomic cache (default: the per-user cache)."""
    global _cache_dir
    _cache_dir = cache_dir
    typst_mobject.typst_to_svg_file = _atomic_typst_to_svg_file  # type: ignore[assignment]


def lighten(mob: Any) -> Any:
    """Drop parsed SVG data that Manim keeps after import; the outlines stay."""
    for m in mob.get_family():
        if hasattr(m, "path_obj"):
            m.path_obj = None
        if hasattr(m, "id_to_vgroup_dict"):
            m.id_to_vgroup_dict = {}
    return mob


class CachedTypst(VMobject):
    """A Typst label rebuilt from cached outlines and colours: looks the same, skips the SVG parse."""

    def __init__(self, typst_code: str, leaves: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]) -> None:
        super().__init__()
        self.typst_code = typst_code
        for points, fill, stroke, width in leaves:
            leaf = VMobject()
            leaf.set_points(points)
            leaf.fill_rgbas, leaf.stroke_rgbas, leaf.stroke_width = fill.copy(), stroke.copy(), float(width)
            self.add(leaf)


def _geometry_file(key: tuple[str, bool, float]) -> Path:
    import manim

    digest = hashlib.sha256(repr((*key, manim.__version__, GEOMETRY_VERSION)).encode()).hexdigest()[:32]
    return (_cache_dir or default_cache_dir()) / f"geom-{digest}.pickle"


def _load_geometry(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] | None:
    try:
        with open(path, "rb") as fh:
            leaves = pickle.load(fh)  # our own per-user cache, written below
        return leaves if isinstance(leaves, list) else None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):  # missing or unreadable: rebuild it
        return None


def _save_geometry(path: Path, mob: Any) -> None:
    leaves = [(m.points, m.fill_rgbas, m.stroke_rgbas, float(m.stroke_width)) for m in mob.family_members_with_points()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(leaves, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _build(content: str, math: bool, font_size: float) -> Any:
    """Return the label's prototype: from cached outlines if present, else compiled, parsed and cached."""
    key = (content, math, float(font_size))
    path = _geometry_file(key)
    leaves = _load_geometry(path) if path.exists() else None
    if leaves is not None:
        return CachedTypst(content, leaves)
    install(_cache_dir)
    cls = MathTypst if math else Typst
    mob = lighten(cls(content, font_size=font_size))
    _save_geometry(path, mob)
    return mob


def typst(content: str, math: bool = False, font_size: float = 28, **kwargs: Any) -> Any:
    """Return a Typst label (a Typst/MathTypst or its cached twin), built once per process and copied."""
    key = (content, math, float(font_size))
    if key not in _prototypes:
        _prototypes[key] = _build(content, math, float(font_size))
    mob = _prototypes[key].copy()
    if kwargs.get("color") is not None:
        mob.set_color(kwargs["color"])
    mob.font_size0, mob.height0 = float(font_size), mob.height  # the layout audit reads the size after scaling
    return mob
