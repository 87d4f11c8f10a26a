"""The plain-recursion family walk lists what Manim's own get_family lists, repeats and cycles included."""

from __future__ import annotations

from manim import RIGHT, Circle, Square, Typst, VGroup

from scenes.kit import family
from tests.kit.patched import both


def _both(mob: VGroup) -> tuple[list, list]:
    return both(family, lambda: mob.get_family())  # looked up per call: a bound method would keep Manim's


def test_same_family_as_manim() -> None:
    sq, circle = Square(), Circle()
    text = Typst("$W_1 x = 0.37$", font_size=40)
    inner = VGroup(sq, circle)
    group = VGroup(text, inner, VGroup()).arrange(RIGHT)
    theirs, ours = _both(group)
    assert [id(m) for m in ours] == [id(m) for m in theirs] and len(ours) > 8


def test_repeats_keep_their_last_place_and_cycles_end() -> None:
    sq, circle = Square(), Circle()
    a = VGroup(sq, circle)
    group = VGroup(a, Circle(), sq)  # sq twice: Manim keeps its last place
    group.submobjects.append(group)  # a cycle: skipped while it is on the path
    a.submobjects.append(group)
    theirs, ours = _both(group)
    assert [id(m) for m in ours] == [id(m) for m in theirs]
    assert ours.count(sq) == 1 and ours[-1] is sq
