"""Build each Cairo path once: a shape whose points did not change since a frame drew it is not rebuilt.

Manim's Camera.set_cairo_context_path rebuilds a vmobject's path every time it draws it: subpath
splits with numpy, then one `curve_to` call from Python per curve. Most draws repeat a path already
built: a fading number (only its opacity changes), static mobjects above an animated one, every
animation's static snapshot. The profile of heads at 480p put a quarter of the main thread's time
there. This cache keys the path on the points' bytes (and what else the path depends on) and
appends Cairo's own copy of it, taken in device space (identity matrix), so the path Cairo fills
and strokes is the same fixed-point path, and the pixels the same (tests/kit/test_path_cache.py).
Installed for every render by the pipeline.
"""

from __future__ import annotations

import hashlib
from typing import Any

from manim.camera.camera import Camera

LIMIT = 8_000  # paths kept: heads draws 11,917 distinct ones, +73 MB at 20,000; the older half goes when full

_original = Camera.set_cairo_context_path
_paths: dict[tuple[Any, ...], Any] = {}
stats = {"hits": 0, "misses": 0}


def set_cairo_context_path(self: Camera, ctx: Any, vmobject: Any) -> Camera:
    """Camera.set_cairo_context_path, from the cache when this path was built before."""
    if type(self) is not Camera:  # subclasses (3D) transform points their own way
        return _original(self, ctx, vmobject)
    points = vmobject.points
    key = (hashlib.blake2b(points.tobytes(), digest_size=16).digest(), points.shape, points.dtype.str,
           vmobject.n_points_per_cubic_curve, vmobject.tolerance_for_point_equality, tuple(ctx.get_matrix()))
    path = _paths.get(key)
    if path is not None:
        stats["hits"] += 1
        ctx.new_path()
        ctx.save()
        ctx.identity_matrix()
        ctx.append_path(path)
        ctx.restore()  # the path is not part of Cairo's saved state: it stays; the matrix comes back
        return self
    stats["misses"] += 1
    _original(self, ctx, vmobject)
    ctx.save()
    ctx.identity_matrix()
    if len(_paths) >= LIMIT:  # drop the older half (a dict keeps insertion order)
        for old in list(_paths)[: LIMIT // 2]:
            del _paths[old]
    _paths[key] = ctx.copy_path()
    ctx.restore()
    return self


def install() -> None:
    """Use the cache for every Cairo draw in this process (idempotent)."""
    Camera.set_cairo_context_path = set_cairo_context_path  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Back to Manim's own path building; the cache is emptied."""
    Camera.set_cairo_context_path = _original  # type: ignore[method-assign]
    _paths.clear()
