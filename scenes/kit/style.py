"""The shared visual vocabulary: colours per role and index, font sizes, and the stage's layout grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import ORIGIN, UL, UP, Arrow, Mobject, Typst, config

from scenes.kit import typst_cache

BACKGROUND = "#101318"
TEXT = "#e8e8e8"
MUTED = "#9aa0a6"
# One colour, one meaning, in every lecture: a role's hue is never used for anything else.
ROLE = {
    "input": "#5fd3b5",  # embeddings, inputs X, E, images
    "weight": "#f2c14e",  # every weight matrix and kernel: W^q, W_K, W1, the conv kernel
    "query": "#8ab4f8",  # Q
    "key": "#f28b82",  # K
    "value": "#c58af9",  # V
    "score": "#ffab70",  # scores q . k before softmax
    "attention": "#9ccc65",  # attention weights after softmax
    "output": "#5ec8e5",  # what a layer returns
    "position": "#f48fc7",  # positional encodings
    "gradient": "#d4e157",  # gradients and updates
}
ROLE.update({"E": ROLE["input"], "W": ROLE["weight"], "Q": ROLE["query"], "K": ROLE["key"], "V": ROLE["value"]})
DIFFERENCE = "#ff5370"  # differences and errors, and nothing else
# Indices (heads, batch items, tokens) never take a role hue: they are told apart by lightness and a numbered marker.
INDEX = ["#ffffff", "#c9ced6", "#a3aab4", "#7f8791"]

TITLE_SIZE = 36
HEADING_SIZE = 26
LABEL_SIZE = 28
NUMBER_SIZE = 24  # style.MIN_FONT_SIZE: nothing on screen is smaller at 480p
NOTE_SIZE = 24
CODE_SIZE = 24

CELL_W = 0.92
CELL_H = 0.46
MARGIN = 0.35
TOP = 3.35  # below the beat heading
CAPTION_TOP = -2.85  # the bottom band, below this, is left to a player's captions
BOTTOM = CAPTION_TOP + 0.05  # content stays above the caption band

# The layout audit's limits (scenes/kit/layout.py), chosen by looking at 480p frames.
MIN_FONT_SIZE = 24  # digits about 10 px high at 854x480: the smallest a learner reads in an embed
MIN_CONTRAST = 4.5  # WCAG AA for text against the background
SAFE_MARGIN = 0.15  # scene units kept free at every edge of the frame
OVERLAP_TOLERANCE = 0.02  # texts may touch by this much (glyph outlines are not their boxes)
HIGHLIGHT_MARGIN = 0.05  # a highlight box keeps this far from every glyph it encloses
READING_CPS = 15  # caption characters per second a learner reads while also reading numbers
MIN_CAPTION_SECONDS = 1.5
BLANK_LIMIT = 1.5  # seconds the stage may be empty (between beats)
FROZEN_SLACK = 1.0  # seconds a still frame may outlast its caption's reading time
RECAP_HOLD = 4.0  # seconds the recap stays after its last line appears


def index_colour(i: int) -> str:
    """Return the grey of index i (0-based: head, batch item, token): told apart by lightness and a number."""
    return INDEX[i % len(INDEX)]


def heading(text: str) -> Typst:
    """Return the beat heading shown in the top-left corner."""
    mob = typst_cache.typst(f"*{text}*", font_size=HEADING_SIZE, color=MUTED)
    return mob.to_corner(UL, buff=0.3)


def note(text: str, size: float = NOTE_SIZE, color: str = TEXT) -> Typst:
    """Return a line of plain prose (no numbers: those go through the binding).

    A leading `=`, `-`, `+` or `/` would make Typst start a heading, list or term: it is escaped.
    """
    if text[:1] in ("=", "-", "+", "/"):
        text = "\\" + text
    return typst_cache.typst(text, font_size=size, color=color)


def title_above(target: Mobject, label: Mobject, buff: float = 0.15) -> Mobject:
    """Put a title above anything (a matrix with its bracket corners, a heatmap and its frame); return it."""
    return label.next_to(target, UP, buff=buff)


def arrow(start: np.ndarray, end: np.ndarray, buff: float = 0.15, color: str = MUTED) -> Arrow:
    """Return the course's grey arrow from start to end, stopping buff short of both."""
    return Arrow(start, end, buff=buff, color=color, stroke_width=3, max_tip_length_to_length_ratio=0.2)


def fit(mob: Mobject, width: float | None = None, height: float | None = None) -> Mobject:
    """Scale mob down (never up) so it fits inside width x height."""
    width = width or config.frame_width - 2 * MARGIN
    height = height or TOP - BOTTOM
    factor = min(1.0, width / max(mob.width, 1e-9), height / max(mob.height, 1e-9))
    return mob.scale(factor)


@dataclass(frozen=True)
class Region:
    """A rectangle of the stage, in scene units; content is placed in regions, not at literal coordinates."""

    left: float
    right: float
    top: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def centre(self) -> np.ndarray:
        return np.array([(self.left + self.right) / 2, (self.top + self.bottom) / 2, 0.0])

    def columns(self, *weights: float, gap: float = 0.3) -> list[Region]:
        """Cut the region into side-by-side columns with widths in proportion to weights."""
        weights = weights or (1.0, 1.0)
        free = self.width - gap * (len(weights) - 1)
        out, x = [], self.left
        for w in weights:
            width = free * w / sum(weights)
            out.append(Region(x, x + width, self.top, self.bottom))
            x += width + gap
        return out

    def rows(self, *weights: float, gap: float = 0.3) -> list[Region]:
        """Cut the region into stacked rows, top first, with heights in proportion to weights."""
        weights = weights or (1.0, 1.0)
        free = self.height - gap * (len(weights) - 1)
        out, y = [], self.top
        for w in weights:
            height = free * w / sum(weights)
            out.append(Region(self.left, self.right, y, y - height))
            y -= height + gap
        return out

    def grid(self, n_cols: int, n_rows: int, gap: float = 0.3) -> list[list[Region]]:
        """Return grid[row][col] regions of equal size."""
        return [row.columns(*[1.0] * n_cols, gap=gap) for row in self.rows(*[1.0] * n_rows, gap=gap)]

    def place(self, mob: Mobject, align: np.ndarray = ORIGIN, scale_up: bool = False) -> Mobject:
        """Fit mob inside the region (shrinking only, unless scale_up), then centre it or push it to an edge."""
        factor = min(self.width / max(mob.width, 1e-9), self.height / max(mob.height, 1e-9))
        if factor < 1.0 or scale_up:
            mob.scale(factor)
        target = self.centre + np.array([align[0] * (self.width - mob.width) / 2,
                                         align[1] * (self.height - mob.height) / 2, 0.0])
        return mob.move_to(target)


STAGE = Region(-config.frame_width / 2 + MARGIN, config.frame_width / 2 - MARGIN, TOP, BOTTOM)
