"""The Cairo path cache draws the same pixels as Manim's own path building, on a first draw and from the cache."""

from __future__ import annotations

import numpy as np
from manim import RIGHT, Circle, Square, Typst, VGroup
from manim.camera.camera import Camera

from scenes.kit import path_cache


def _frame(mobjects: list) -> np.ndarray:
    camera = Camera(pixel_width=427, pixel_height=240)
    camera.capture_mobjects(mobjects)
    return camera.pixel_array.copy()


def test_same_pixels_with_and_without_the_cache() -> None:
    shapes = VGroup(Typst("$W_1 x + b = 0.37$", font_size=40), Square(1.2, stroke_width=6).set_fill("#ff8800", 0.5),
                    Circle(0.6, stroke_width=3)).arrange(RIGHT)
    mobjects = [shapes]
    path_cache.uninstall()
    plain = _frame(mobjects)
    path_cache.install()
    try:
        path_cache.stats.update(hits=0, misses=0)
        first = _frame(mobjects)  # builds and caches every path
        assert path_cache.stats["misses"] > 0 and path_cache.stats["hits"] == 0
        again = _frame(mobjects)  # the same points: every path from the cache
        assert path_cache.stats["hits"] == path_cache.stats["misses"]
        shapes.shift(RIGHT * 0.013)
        moved = _frame(mobjects)  # new points: rebuilt
        assert path_cache.stats["misses"] == 2 * path_cache.stats["hits"]
    finally:
        path_cache.uninstall()
    assert plain.any() and np.array_equal(plain, first) and np.array_equal(plain, again)
    assert np.array_equal(moved, _frame(mobjects)) and not np.array_equal(moved, plain)
