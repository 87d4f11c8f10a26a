"""Typst mobjects made fast and safe: an atomic on-disk SVG cache and light in-memory prototypes.

Manim writes each compiled SVG in place, so an interrupted render can leave a truncated file that
every later render trusts; here each SVG is written to a temporary name and renamed into place.
Each imported glyph also keeps its parsed SVG path, which makes every copy (and every Transform,
FadeIn, `.animate`) deep-copy a parse tree; prototypes drop it once and are then copied cheaply.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from manim import Typst
from manim.mobject.text import typst_mobject
from manim.mobject.text.typst_mobject import MathTypst
from manim.utils import typst_file_writing as tfw

_cache_dir: Path | None = None
_prototypes: dict[tuple[str, bool, float], Typst] = {}


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
    cache.mkdir(parents=True, exist_ok=True)
    source = tfw.TYPST_TEMPLATE.format(text_size=text_size, preamble=preamble, body=typst_code)
    svg = cache / f"{tfw._typst_hash(source)}.svg"
    if svg.exists():
        return svg
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        typ = Path(tmp) / "in.typ"
        typ.write_text(source, encoding="utf-8")
        data = typst.compile(str(typ), format="svg", font_paths=[str(p) for p in font_paths or []])
        out = Path(tmp) / "out.svg"
        out.write_bytes(data)
        os.replace(out, svg)
    return svg


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


def typst(content: str, math: bool = False, font_size: float = 28, **kwargs: Any) -> Typst:
    """Return a Typst (or MathTypst) mobject, compiled once per process and copied cheaply."""
    key = (content, math, float(font_size))
    if key not in _prototypes:
        install(_cache_dir)
        cls = MathTypst if math else Typst
        _prototypes[key] = lighten(cls(content, font_size=font_size))
    mob = _prototypes[key].copy()
    if kwargs.get("color") is not None:
        mob.set_color(kwargs["color"])
    return mob
