"""The vectorised subpath split cuts the same subpaths as Manim's per-curve np.allclose, on shapes and planted edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from manim import RIGHT, Circle, Square, Typst, VGroup, VMobject

from scenes.kit import subpaths
from tests.kit.patched import both


def _both(mob: VMobject, points: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return both(subpaths, lambda: mob.get_subpaths_from_points(points))


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


def test_real_shapes_split_the_same() -> None:
    group = VGroup(Typst("$W_1 x + b = 0.37$", font_size=40), Square(1.2), Circle(0.6)).arrange(RIGHT)
    checked = 0
    for mob in group.family_members_with_points():
        own, ours = _both(mob, mob.points)
        assert _same(own, ours)
        checked += len(own) > 1  # glyphs with holes have several subpaths
    assert checked >= 2


@pytest.mark.parametrize("case", ["nan", "inf", "-inf", "near", "far", "short", "odd"])
def test_planted_edge_cases_split_the_same(case: str) -> None:
    rng = np.random.default_rng(7)
    curves = rng.normal(size=(6, 4, 3))
    curves[1:, 0] = curves[:-1, 3]  # a continuous path of six cubics...
    curves[3, 0] += 1.0  # ...broken once
    points = curves.reshape(-1, 3).copy()
    mob = VMobject()
    tol = mob.tolerance_for_point_equality
    if case == "nan":
        points[8, 1] = points[7, 1] = np.nan
    elif case in ("inf", "-inf"):
        points[15, 0] = points[16, 0] = np.inf if case == "inf" else -np.inf
        points[16, 0] *= -1 if case == "-inf" else 1
    elif case == "near":
        points[4] = points[3] + 0.5 * tol  # within the tolerance: no split
    elif case == "far":
        points[4] = points[3] + 1e-4  # outside atol + rtol * |p| (about 1e-5 here): a split
    elif case == "short":
        points = points[:3]  # less than one cubic
    elif case == "odd":
        points = points[:-2]  # a trailing partial curve
    own, ours = _both(mob, points)
    assert _same(own, ours)
    if case == "far":
        assert len(own) == 3  # the planted break and the near-miss both split
    if case == "near":
        assert len(own) == 2
