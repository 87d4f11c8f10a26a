"""The plain-recursion family walk lists what Manim's own get_family lists, repeats and cycles included."""

from __future__ import annotations

import pytest
from manim import RIGHT, Circle, Square, Typst, VGroup

from scenes.kit import family


def _both(mob: VGroup) -> tuple[list, list]:
    family.uninstall()
    theirs = mob.get_family()
    family.install()
    try:
        ours = mob.get_family()
    finally:
        family.uninstall()
    return theirs, ours


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


def _extract_both(mobjects: list, **kw: bool) -> tuple[list, list]:
    family.uninstall()
    theirs = family._original_extract(mobjects, **kw)
    family.install()
    try:
        import manim.camera.camera

        assert manim.camera.camera.extract_mobject_family_members is family.extract_mobject_family_members
        ours = family.extract_mobject_family_members(mobjects, **kw)
    finally:
        family.uninstall()
    return theirs, ours


@pytest.mark.parametrize("kw", [{}, {"only_those_with_points": True}, {"use_z_index": True},
                                {"use_z_index": True, "only_those_with_points": True}])
def test_extracted_members_as_manim_lists_them(kw: dict[str, bool]) -> None:
    sq, circle = Square(), Circle()
    text = Typst("$W_1 x = 0.37$", font_size=40)
    inner = VGroup(sq, circle)
    group = VGroup(text, inner, VGroup()).arrange(RIGHT)
    circle.set_z_index(2)
    lists = {
        "roots": [group],
        "flattened, as the camera passes moving mobjects": group.get_family(),
        "shared across roots": [inner, group, sq],
    }
    shared = VGroup(sq, VGroup(sq))  # sq twice inside one tree: Manim's way
    lists["repeat inside a tree"] = [shared, circle]
    for name, mobjects in lists.items():
        theirs, ours = _extract_both(mobjects, **kw)
        assert [id(m) for m in ours] == [id(m) for m in theirs], name
        assert theirs, name
