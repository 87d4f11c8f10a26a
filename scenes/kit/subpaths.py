"""Split a shape into subpaths with one numpy pass instead of one `np.allclose` per curve (same subpaths).

Manim's VMobject.get_subpaths_from_points compares each curve's end anchor with the next curve's
start anchor by calling np.allclose once per curve; every Transform aligns its two shapes that way
when it begins. The profile of bmm's dry run put a fifth of the main thread's time there (95,184
calls). Manim ships the vectorised comparison (get_subpath_split_indices_from_points, np.isclose's
rule, NaN and infinities included); this uses it to cut the same subpaths
(tests/kit/test_subpaths.py compares both on shapes and on planted NaN, infinities and near misses).
Installed for every render by the pipeline.
"""

from __future__ import annotations

from typing import Any

from manim import VMobject

_original = VMobject.get_subpaths_from_points


def get_subpaths_from_points(self: VMobject, points: Any) -> list[Any]:
    """VMobject.get_subpaths_from_points: the same views of `points`, split where anchors differ."""
    spans = self.get_subpath_split_indices_from_points(points, 3)
    nppcc = self.n_points_per_cubic_curve
    return [points[int(a):int(b)] for a, b in spans if b - a >= nppcc]


def install() -> None:
    """Use the vectorised split for every shape in this process (idempotent)."""
    VMobject.get_subpaths_from_points = get_subpaths_from_points  # type: ignore[method-assign]


def uninstall() -> None:
    """Back to Manim's own per-curve comparison."""
    VMobject.get_subpaths_from_points = _original  # type: ignore[method-assign]
