"""Numbers drawn from per-character glyph outlines, compiled once by Typst and reused."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from manim import DEFAULT_FONT_SIZE, DOWN, VGroup, VMobject

from scenes import typst_cache

NUMBER_CHARS = "0123456789.-"


@lru_cache(maxsize=None)
def _template(char: str) -> VMobject:
    """Return one character's outline as a plain VMobject at the default font size."""
    if char not in NUMBER_CHARS:
        raise ValueError(f"cannot draw {char!r} as a number glyph")
    typst = typst_cache.typst(char, math=True, font_size=DEFAULT_FONT_SIZE)
    points = np.concatenate([m.points for m in typst.family_members_with_points()])
    glyph = VMobject(fill_opacity=1.0, stroke_width=0)
    glyph.set_points(points)
    return glyph


@lru_cache(maxsize=1)
def digit_height() -> float:
    """Return the height of a digit at the default font size."""
    return _template("0").height


def spell(target: VMobject, text: str, font_size: float) -> None:
    """Give target the outlines of text, laid out like a typeset number, as one path.

    One path per number (not one submobject per glyph) means one Cairo draw call per number.
    """
    chars = VGroup(*(_template(c).copy() for c in text))
    chars.arrange(buff=0.035 * DEFAULT_FONT_SIZE / 48, aligned_edge=DOWN)
    for i, c in enumerate(text):
        if c == "-" and i + 1 < len(text):  # centre the minus on the digits
            chars[i].set_y(chars[i + 1].get_y())
    chars.scale(font_size / DEFAULT_FONT_SIZE)
    target.set_points(np.concatenate([c.points for c in chars]))
    target.set_fill(opacity=1.0).set_stroke(width=0)
