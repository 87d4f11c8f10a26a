"""The faster mobject copy gives what Manim's own copy gives: equal values, nothing shared with the original."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import RIGHT, Circle, Square, Typst, VGroup
from manim.camera.camera import Camera

from scenes.kit import fast_copy
from tests.kit.patched import both


def _tree(mob: Any) -> list[tuple[str, Any]]:
    """Every attribute of every family member, as comparable values."""
    out: list[tuple[str, Any]] = []
    for m in mob.get_family():
        for k, v in sorted(vars(m).items()):
            if k in ("original_id", "submobjects", "updaters", "parents"):
                continue
            out.append((f"{type(m).__name__}.{k}", v.tolist() if isinstance(v, np.ndarray) else repr(v)))
    return out


def _arrays(mob: Any) -> list[np.ndarray]:
    return [v for m in mob.get_family() for v in vars(m).values() if isinstance(v, np.ndarray)]


def _pixels(mob: Any) -> np.ndarray:
    camera = Camera(pixel_width=427, pixel_height=240)
    camera.capture_mobjects([mob])
    return camera.pixel_array.copy()


def test_same_copy_as_manim_and_independent_of_the_original() -> None:
    group = VGroup(Typst("$W_1 x + b = 0.37$", font_size=40), Square(1.2).set_fill("#ff8800", 0.5),
                   Circle(0.6)).arrange(RIGHT)
    group.shared = group[1].points  # one array referenced twice in the tree
    theirs, ours = both(fast_copy, lambda: group.copy())
    assert _tree(ours) == _tree(theirs) == _tree(group)
    originals = {id(a) for a in _arrays(group)}
    assert not any(id(a) in originals for a in _arrays(ours))  # every array copied, none shared with the original
    assert ours.shared is ours[1].points and ours.shared is not group[1].points  # aliasing kept, like deepcopy
    assert ours[0] is not group[0] and ours.submobjects[2] is not group.submobjects[2]
    ours[1].shift(RIGHT)  # changing the copy leaves the original alone
    assert np.array_equal(group[1].points, theirs[1].points)
    assert np.array_equal(_pixels(group), _pixels(theirs))
