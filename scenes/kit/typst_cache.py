"""Typst mobjects made fast and safe: an atomic on-disk SVG cache and light in-memory prototypes.

Manim writes each compiled SVG in place, so an interrupted render can leave a truncated file that
every later render trusts; here each SVG is written to a temporary name and renamed into place.
Each imported glyph also keeps its parsed SVG path, which makes every copy (and every Transform,
FadeIn, `.animate`) deep-copy a parse tree; prototypes drop it once and are then copied cheaply.
Parsing the SVG costs more than compiling it, so the outlines and colours of each label are cached
on disk too, and later renders rebuild the label from them without touching the SVG.

The cache is only an optimisation: a cache folder that cannot be made or written (HOME read-only,
HOME a file) is bypassed for the rest of the process with one warning line on stderr (labels are
compiled in a private temporary folder instead), and a damaged entry (a truncated SVG or outline
file, one that does not parse) is rebuilt with one warning line.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import os
import pickle
import shutil
import sys
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
_bypass: Path | None = None  # the private folder used instead of a cache that cannot be written
GEOMETRY_VERSION = 1  # bump when the cached outline format changes


def default_cache_dir() -> Path:
    """Return the per-user cache folder (content-hashed, safe to share between renders)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faq-lectures" / "typst"


def warn(line: str) -> None:
    """Say one line on stderr (the render goes on)."""
    print(f"warning: {line}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """Return the folder to cache in: the configured one, or a private one once that proved unusable."""
    if _bypass is not None:
        return _bypass
    try:
        return _cache_dir or default_cache_dir()
    except (RuntimeError, KeyError, OSError) as err:  # no home folder at all
        return _bypass_cache(Path("~"), err)


def _bypass_cache(cache: Path, err: BaseException) -> Path:
    """Switch to a private temporary cache for the rest of this process, warning once; return it."""
    global _bypass
    if _bypass is None:
        _bypass = Path(tempfile.mkdtemp(prefix="faq-lectures-typst-cache-"))
        atexit.register(shutil.rmtree, _bypass, True)
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        warn(f"Typst cache {cache} is not usable ({reason}): bypassed, labels are compiled without it")
    return _bypass


def _usable(cache: Path) -> Path:
    """Return cache once it exists as a writable folder, else the private bypass (with its warning)."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if not os.access(cache, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
        return cache
    except OSError as err:
        return _bypass_cache(cache, err)


def svg_problem(path: Path) -> str | None:
    """Return what is wrong with a cached SVG (truncated, not XML, not an SVG, unreadable), or None if it is whole."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        return f"not XML: {err}"
    except OSError as err:
        return f"unreadable: {err.strerror or err}"
    if not root.tag.endswith("svg"):
        return f"not an SVG: <{root.tag}>"
    return None


def _atomic_typst_to_svg_file(
    typst_code: str,
    preamble: str = "",
    text_size: float = tfw.TYPST_COMPILATION_FONT_SIZE,
    font_paths: list[str | Path] | None = None,
) -> Path:
    """Compile Typst to SVG once per content hash; never expose a half-written file."""
    import typst

    cache = cache_dir()
    source = tfw.TYPST_TEMPLATE.format(text_size=text_size, preamble=preamble, body=typst_code)
    svg = cache / f"{tfw._typst_hash(source)}.svg"
    if svg.exists():
        problem = svg_problem(svg)
        if problem is None:
            return _private_copy(svg)
        warn(f"Typst cache entry {svg} was damaged ({problem}): rebuilt")
        try:
            svg.unlink()
        except OSError:
            pass
    cache = _usable(cache)  # again, in case another process just cleared the cache

    def compile_into(folder: Path) -> Path:
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            typ = Path(tmp) / "in.typ"
            typ.write_text(source, encoding="utf-8")
            data = typst.compile(str(typ), format="svg", font_paths=[str(p) for p in font_paths or []])
            out = Path(tmp) / "out.svg"
            out.write_bytes(data)
            os.replace(out, folder / svg.name)
        return folder / svg.name

    try:
        return _private_copy(compile_into(cache))
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT) or cache == _bypass:
            raise  # a full disk fails the render with its one line, like any other write
        return _private_copy(compile_into(_bypass_cache(cache, err)))


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
    return cache_dir() / f"geom-{digest}.pickle"


Leaves = list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]


def _valid_leaves(leaves: Any) -> bool:
    """Tell whether unpickled data has the shape of cached outlines (points, fill, stroke, width per leaf)."""
    if not isinstance(leaves, list):
        return False
    for leaf in leaves:
        if not (isinstance(leaf, tuple) and len(leaf) == 4 and all(isinstance(a, np.ndarray) for a in leaf[:3])):
            return False
        points, fill, stroke, width = leaf
        if points.ndim != 2 or points.shape[1:] != (3,) or fill.ndim != 2 or stroke.ndim != 2:
            return False
        if not isinstance(width, float):
            return False
    return True


def _load_geometry(path: Path) -> Leaves | None:
    """Return the cached outlines at path; None when missing; a damaged file is removed (rebuilt) with a warning."""
    try:
        with open(path, "rb") as fh:
            leaves = pickle.load(fh)  # our own per-user cache, written below
        if _valid_leaves(leaves):
            return leaves  # type: ignore[no-any-return]
        problem = "not outlines"
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:  # there but unreadable: the cache cannot be trusted for this process
        _bypass_cache(path.parent, err)
        return None
    except Exception as err:  # truncated (EOFError, UnpicklingError, MemoryError), foreign, unreadable
        problem = f"{type(err).__name__}: {err}"[:120]
    warn(f"Typst cache entry {path} was damaged ({problem}): rebuilt")
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
    return None


def _save_geometry(path: Path, mob: Any) -> None:
    """Cache a label's outlines at path, atomically; a cache that cannot be written is bypassed."""
    leaves = [(m.points, m.fill_rgbas, m.stroke_rgbas, float(m.stroke_width)) for m in mob.family_members_with_points()]
    folder = _usable(path.parent)
    if folder != path.parent:
        return  # bypassed: the prototype stays in memory for this process
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    except OSError as err:
        _bypass_cache(folder, err)
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(leaves, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        _bypass_cache(folder, err)


def _build(content: str, math: bool, font_size: float) -> Any:
    """Return the label's prototype: from cached outlines if present, else compiled, parsed and cached."""
    key = (content, math, float(font_size))
    path = _geometry_file(key)
    leaves = _load_geometry(path)
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
