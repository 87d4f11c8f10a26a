"""List mobject families with a stack and bottom-up, instead of nested generators per member (the same lists).

Manim's Mobject.get_family walks the tree with `yield from` generators, so each member climbs back
through every generator above it, then drops repeats keeping the last occurrence; and the camera,
every frame, lists the family of every member of the moving mobjects (extract_mobject_family_members),
walking the tree once per level. Audits, copies and frames call these about 230,000 times in one
480p lecture (bmm: a sixth of the main thread's time). get_family here walks the same pre-order
with a stack; the extraction builds each member's family once, bottom-up. A tree with a member met
twice (a repeat or a cycle) goes Manim's way, so the lists are Manim's (tests/kit/test_family.py).
Installed for every render by the pipeline.
"""

from __future__ import annotations

import itertools as it
from collections.abc import Iterable
from typing import Any

import manim.camera.camera
import manim.scene.scene
import manim.utils.family
from manim import Mobject
from manim.utils.iterables import remove_list_redundancies

_original = Mobject.get_family
_original_extract = manim.utils.family.extract_mobject_family_members
_USERS = (manim.utils.family, manim.camera.camera, manim.scene.scene)  # modules that imported it by name


class _Repeat(Exception):
    """A member met twice while building families bottom-up: take Manim's way."""


def _walk(mob: Any, path: set[Any], out: list[Any]) -> None:
    """Append mob and its submobjects in pre-order, skipping one already on the path."""
    if mob in path:
        return
    path.add(mob)
    out.append(mob)
    for sub in mob.submobjects:
        _walk(sub, path, out)
    path.discard(mob)


def get_family(self: Mobject, recurse: bool = True) -> list[Mobject]:
    """Mobject.get_family: self and every submobject, recursively, each once (its last place)."""
    out: list[Mobject] = [self]
    seen = {id(self)}
    stack = self.submobjects[::-1]
    while stack:  # pre-order with a stack; a member met twice (a repeat or a cycle) takes Manim's way
        mob = stack.pop()
        if id(mob) in seen:
            out = []
            _walk(self, set(), out)
            return remove_list_redundancies(out)
        seen.add(id(mob))
        out.append(mob)
        if mob.submobjects:
            stack.extend(mob.submobjects[::-1])
    return out


def extract_mobject_family_members(mobjects: Iterable[Mobject], use_z_index: bool = False,
                                   only_those_with_points: bool = False) -> list[Mobject]:
    """manim.utils.family.extract_mobject_family_members with each member's family built once, bottom-up.

    Manim walks the whole family of every listed mobject, and the camera lists every member of the
    moving mobjects, so each frame walked the tree once per level. Here a member's (filtered) family is
    its own entry and its submobjects' families, each built once; repeats are dropped keeping the last.
    """
    mobjects = list(mobjects)
    memo: dict[int, list[Mobject]] = {}
    building: set[int] = set()

    def members(mob: Mobject) -> list[Mobject]:
        known = memo.get(id(mob))
        if known is not None:
            return known
        if id(mob) in building:
            raise _Repeat
        building.add(id(mob))
        out = [mob] if not only_those_with_points or len(mob.points) > 0 else []
        for sub in mob.submobjects:
            out.extend(members(sub))
        building.discard(id(mob))
        if len(out) > 1 and len({id(m) for m in out}) != len(out):
            raise _Repeat  # a shared member: Manim's get_family keeps its last place
        memo[id(mob)] = out
        return out

    try:
        flat = list(it.chain.from_iterable(members(m) for m in mobjects))
    except _Repeat:
        return _original_extract(mobjects, use_z_index, only_those_with_points)
    extracted = list(dict.fromkeys(reversed(flat)))[::-1]  # remove_list_redundancies: each once, its last place
    return sorted(extracted, key=lambda m: m.z_index) if use_z_index else extracted


def install() -> None:
    """Use the stack walk and the bottom-up families for every mobject in this process (idempotent)."""
    Mobject.get_family = get_family  # type: ignore[method-assign]
    for module in _USERS:
        module.extract_mobject_family_members = extract_mobject_family_members  # type: ignore[attr-defined]


def uninstall() -> None:
    """Back to Manim's own generators."""
    Mobject.get_family = _original  # type: ignore[method-assign]
    for module in _USERS:
        module.extract_mobject_family_members = _original_extract  # type: ignore[attr-defined]
