"""The shared visual vocabulary: colours per role and head, font sizes, layout helpers."""

from __future__ import annotations

from manim import DOWN, LEFT, UL, UP, Mobject, Typst, config

from scenes.kit import typst_cache

BACKGROUND = "#101318"
TEXT = "#e8e8e8"
MUTED = "#9aa0a6"
ROLE = {"E": "#7fd1b9", "W": "#f2c14e", "Q": "#8ab4f8", "K": "#f28b82", "V": "#c58af9"}
HEADS = ["#ff7b72", "#56d4dd", "#e3b341", "#a5a0ff", "#7ee787", "#ffa657", "#79c0ff", "#f778ba"]

TITLE_SIZE = 34
HEADING_SIZE = 26
LABEL_SIZE = 26
NUMBER_SIZE = 22
NOTE_SIZE = 22
CODE_SIZE = 22

CELL_W = 0.92
CELL_H = 0.46
MARGIN = 0.35
TOP = 3.35  # below the beat heading
BOTTOM = -3.55


def head_color(h: int) -> str:
    """Return the colour of head h (0-based), cycling through the palette."""
    return HEADS[h % len(HEADS)]


def heading(text: str) -> Typst:
    """Return the beat heading shown in the top-left corner."""
    mob = typst_cache.typst(f"*{text}*", font_size=HEADING_SIZE, color=MUTED)
    return mob.to_corner(UL, buff=0.3)


def note(text: str, size: float = NOTE_SIZE, color: str = TEXT) -> Typst:
    """Return a line of plain prose (no numbers: those go through the binding)."""
    return typst_cache.typst(text, font_size=size, color=color)


def fit(mob: Mobject, width: float | None = None, height: float | None = None) -> Mobject:
    """Scale mob down (never up) so it fits inside width x height."""
    width = width or config.frame_width - 2 * MARGIN
    height = height or TOP - BOTTOM
    factor = min(1.0, width / max(mob.width, 1e-9), height / max(mob.height, 1e-9))
    return mob.scale(factor)


def below(mob: Mobject, anchor: Mobject, buff: float = 0.2) -> Mobject:
    """Place mob under anchor, left edges aligned."""
    return mob.next_to(anchor, DOWN, buff=buff, aligned_edge=LEFT)


def above(mob: Mobject, anchor: Mobject, buff: float = 0.15) -> Mobject:
    """Place mob over anchor, centred."""
    return mob.next_to(anchor, UP, buff=buff)
