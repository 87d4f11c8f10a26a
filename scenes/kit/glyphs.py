"""Numbers drawn from per-character glyph outlines, compiled once by Typst and reused."""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
from manim import DEFAULT_FONT_SIZE, VMobject

from scenes.kit import typst_cache

NUMBER_CHARS = "0123456789.-,"


@cache
def _template(char: str) -> np.ndarray:
    """Return one character's outline points at the default font size, its left edge at x=0 and baseline at y=0."""
    if char not in NUMBER_CHARS:
        raise ValueError(f"cannot draw {char!r} as a number glyph")
    if char == ",":  # a comma hangs below the baseline: measure it against a digit's baseline
        pair = typst_cache.typst("0,", math=True, font_size=DEFAULT_FONT_SIZE).family_members_with_points()
        baseline, points = pair[0].points[:, 1].min(), pair[-1].points
        points = points - [points[:, 0].min(), baseline, 0.0]
    else:
        typst = typst_cache.typst(char, math=True, font_size=DEFAULT_FONT_SIZE)
        points = np.concatenate([m.points for m in typst.family_members_with_points()])
        points = points - [points[:, 0].min(), points[:, 1].min(), 0.0]
    points.setflags(write=False)
    return points


@lru_cache(maxsize=4096)
def _layout(text: str) -> np.ndarray:
    """Return the outline points of text at the default font size, laid out like a typeset number."""
    gap = 0.035 * DEFAULT_FONT_SIZE / 48
    parts, x = [], 0.0
    for i, c in enumerate(text):
        glyph = _template(c)
        pts = glyph + [x, 0.0, 0.0]
        if c == "-" and i + 1 < len(text):  # centre the minus on the digits that follow
            mid = (pts[:, 1].min() + pts[:, 1].max()) / 2
            nxt = _template(text[i + 1])[:, 1]
            pts = pts + [0.0, (nxt.min() + nxt.max()) / 2 - mid, 0.0]
        parts.append(pts)
        x += float(glyph[:, 0].max()) + gap  # the glyph's width: its left edge is at 0
    points = np.concatenate(parts)
    points = points - (points.min(axis=0) + points.max(axis=0)) / 2  # centred on the origin
    points.setflags(write=False)
    return points


def spell(target: VMobject, text: str, font_size: float) -> None:
    """Give target the outlines of text, laid out like a typeset number, as one path.

    One path per number (not one submobject per glyph) means one Cairo draw call per number.
    """
    target.set_points(_layout(text) * (font_size / DEFAULT_FONT_SIZE))
    target.set_fill(opacity=1.0).set_stroke(width=0)
