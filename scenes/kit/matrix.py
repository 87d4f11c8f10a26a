"""Matrices of bound numbers, with brackets, labels and highlights that follow their grid."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
from manim import LEFT, UP, Line, Mobject, Rectangle, VectorizedPoint, VGroup, VMobject

from scenes.kit import style
from scenes.kit.binding import AuditError, Binding, BoundNumber, centre
from scenes.kit.layout import bracket, highlight

BRACKET_GAP = 0.15  # from the cell slots to a bracket: a highlight box around a cell's glyphs stays clear of it


class TensorMatrix(VGroup):
    """A 2-D slice tensor[prefix] drawn entry by entry; cell (r, c) shows tensor[prefix + (r, c)]."""

    def __init__(
        self,
        b: Binding,
        name: str,
        prefix: Sequence[int] = (),
        decimals: int = 2,
        font_size: float = style.NUMBER_SIZE,
        cell: tuple[float, float] = (style.CELL_W, style.CELL_H),
        color: str = style.TEXT,
        brackets: bool = True,
    ) -> None:
        super().__init__()
        t = b.tensors[name][tuple(prefix)]
        if t.dim() != 2:
            raise ValueError(f"{name}{list(prefix)} is not 2-D (shape {tuple(t.shape)})")
        self.name, self.prefix = name, tuple(prefix)
        self.n_rows, self.n_cols = t.shape
        cw, ch = cell
        self.cell = (cw, ch)
        self.cells: list[list[BoundNumber]] = []
        for r in range(self.n_rows):
            row = []
            for c in range(self.n_cols):
                num = b.number(b.value(name, self.prefix + (r, c), decimals), font_size, color=color)
                num.move_to([(c + 1) * cw - 0.08 - num.width / 2, -(r + 0.5) * ch, 0])  # right-aligned
                num.grid = GridSlot(self, r, c)
                row.append(num)
            self.cells.append(row)
        self.entries = VGroup(*(n for row in self.cells for n in row))
        # Invisible grid corners: every highlight box is computed from these, so it follows moves.
        self.corner_tl = VectorizedPoint([0.0, 0.0, 0.0])
        self.corner_br = VectorizedPoint([self.n_cols * cw, -self.n_rows * ch, 0])
        self.brackets = VGroup(bracket(self._bracket(-1)), bracket(self._bracket(1))).set_color(style.MUTED)
        self.add(self.corner_tl, self.corner_br, self.entries)
        if brackets:  # without them it is a column of a table, not a matrix
            self.add(self.brackets)

    def _bracket(self, side: int) -> VMobject:
        w, h = self.n_cols * self.cell[0], self.n_rows * self.cell[1]
        x = -BRACKET_GAP if side < 0 else w + BRACKET_GAP
        lip = 0.12 * -side
        bracket = VMobject(stroke_width=2.5)
        bracket.set_points_as_corners([[x + lip, 0.04, 0], [x, 0.04, 0], [x, -h - 0.04, 0], [x + lip, -h - 0.04, 0]])
        return bracket

    # -- geometry -----------------------------------------------------------------------------
    def slot(self, r0: int, r1: int, c0: int, c1: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the top-left and bottom-right points of cells rows r0:r1, columns c0:c1."""
        tl, br = self.corner_tl.points[0], self.corner_br.points[0]  # one point each
        step = (br - tl) / np.array([self.n_cols, self.n_rows, 1])
        return tl + step * np.array([c0, r0, 0]), tl + step * np.array([c1, r1, 0])

    def box(self, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None,
            color: str = style.TEXT, fill: float = 0.0, buff: float = 0.1) -> Rectangle:
        """Return a rectangle around the drawn glyphs of a block of cells (half-open ranges; None means all).

        The box hugs the digits, not the cell slots: numbers are right-aligned in their slots, so a
        slot-sized box would cut through wide numbers or sit on the brackets.
        """
        r0, r1 = rows or (0, self.n_rows)
        c0, c1 = cols or (0, self.n_cols)
        return highlight(glyph_box([self.cells[r][c] for r in range(r0, r1) for c in range(c0, c1)], color, fill, buff))

    def block_lines(self, size: int, color: str = style.MUTED) -> VGroup:
        """Return lines cutting the matrix into blocks of size x size cells (heads' bands and their rows)."""
        lines = VGroup()
        for k in range(size, self.n_cols, size):
            a, z = self.slot(0, self.n_rows, k, k)
            lines.add(Line(a, z, color=color, stroke_width=2))
        for k in range(size, self.n_rows, size):
            a, z = self.slot(k, k, 0, self.n_cols)
            lines.add(Line(a, z, color=color, stroke_width=2))
        return lines

    def entry(self, r: int, c: int) -> BoundNumber:
        """Return the number in row r, column c."""
        return self.cells[r][c]

    def row(self, r: int) -> VGroup:
        """Return the numbers of row r."""
        return VGroup(*self.cells[r])

    def column_band(self, c0: int, c1: int) -> VGroup:
        """Return the numbers of columns c0:c1."""
        return VGroup(*(row[c] for row in self.cells for c in range(c0, c1)))

    def label(self, mob: VMobject, side: np.ndarray = UP, buff: float = 0.15) -> VMobject:
        """Place a title above (or below) the whole matrix, clear of its bracket corners, and return it."""
        return mob.next_to(self, side, buff=buff)

    def check_cell(self, r: int, c: int, num: BoundNumber, where: str) -> None:
        """Raise AuditError if cell (r, c) is bound to another index or left its grid slot."""
        src = num.bound.sources["v"]
        if (src.tensor, src.index) != (self.name, self.prefix + (r, c)):
            raise AuditError(
                f"audit failed {where}: cell ({r}, {c}) of matrix {self.name}{list(self.prefix)}"
                f" shows {src.describe()} = {num.bound.text}"
            )
        a, z = self.slot(r, r + 1, c, c + 1)
        x, y = centre(num)[:2]
        lo_x, hi_x = sorted((a[0], z[0]))
        lo_y, hi_y = sorted((a[1], z[1]))
        if not (lo_x - 1e-3 <= x <= hi_x + 1e-3 and lo_y - 1e-3 <= y <= hi_y + 1e-3):
            raise AuditError(
                f"audit failed {where}: {src.describe()} (shows {num.bound.text}) is drawn outside its grid slot"
                f" (row {r}, column {c} of matrix {self.name}{list(self.prefix)}); torch says {num.bound.text}"
            )


class GridSlot:
    """A cell's place in its matrix; weak, and dropped when the number is copied out of the grid."""

    def __init__(self, matrix: TensorMatrix, r: int, c: int) -> None:
        self.matrix, self.r, self.c = weakref.ref(matrix), r, c

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None

    def check(self, num: BoundNumber, where: str) -> None:
        """Check the number against the matrix slot it was drawn for."""
        matrix = self.matrix()
        if matrix is not None:
            matrix.check_cell(self.r, self.c, num, where)


def label_rows(m: TensorMatrix, labels: Sequence[Mobject], side: np.ndarray = LEFT, buff: float = 0.2) -> VGroup:
    """Put labels[k] just outside the matrix on `side`, level with row k; return them."""
    for k, label in enumerate(labels):
        a, z = m.slot(k, k + 1, 0, m.n_cols)
        label.next_to(m, side, buff=buff).set_y((a[1] + z[1]) / 2)
    return VGroup(*labels)


def label_columns(m: TensorMatrix, labels: Sequence[Mobject], buff: float = 0.15) -> VGroup:
    """Put labels[c] above the matrix, centred on the drawn numbers of column c; return them."""
    for c, label in enumerate(labels):
        label.next_to(m, UP, buff=buff).set_x(m.column_band(c, c + 1).get_x())
    return VGroup(*labels)


def glyph_box(mobs: Sequence[VMobject], color: str = style.TEXT, fill: float = 0.0, buff: float = 0.1) -> Rectangle:
    """Return a rectangle that encloses every glyph of mobs with a margin of buff."""
    pts = np.concatenate([m.get_all_points() for m in mobs if m.has_points() or m.submobjects])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    rect = Rectangle(width=hi[0] - lo[0] + 2 * buff, height=hi[1] - lo[1] + 2 * buff,
                     stroke_color=color, stroke_width=2.5, fill_color=color, fill_opacity=fill)
    return rect.move_to((lo + hi) / 2)


def pixel_box(heat: Mobject, shape: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int],
              color: str = style.TEXT, width: float = 3.0) -> Rectangle:
    """Return a rectangle around the pixels rows r0:r1, columns c0:c1 (half-open) of a heatmap of shape."""
    n_rows, n_cols = shape
    px, py = heat.width / n_cols, heat.height / n_rows
    left, top = heat.get_left()[0], heat.get_top()[1]
    rect = Rectangle(width=(cols[1] - cols[0]) * px, height=(rows[1] - rows[0]) * py, stroke_color=color,
                     stroke_width=width)
    return rect.move_to([left + (cols[0] + cols[1]) / 2 * px, top - (rows[0] + rows[1]) / 2 * py, 0])


def number_row(b: Binding, name: str, prefix: Sequence[int] = (), count: int | None = None,
               size: float = style.NUMBER_SIZE, cell: float = style.CELL_W, color: str = style.TEXT,
               decimals: int = 2, align: str = "right") -> VGroup:
    """Return the 1-D slice tensor[prefix] (its first `count` entries) as bound numbers in equal cells."""
    t = b.tensors[name][tuple(prefix)]
    if t.dim() != 1:
        raise ValueError(f"{name}{list(prefix)} is not 1-D (shape {tuple(t.shape)})")
    row = VGroup()
    for k in range(t.shape[0] if count is None else count):
        num = b.number(b.value(name, (*prefix, k), decimals), size, color=color)
        x = (k + 1) * cell - 0.06 - num.width / 2 if align == "right" else (k + 0.5) * cell
        row.add(num.move_to([x, 0.0, 0.0]))
    return row


def stack_shadows(front: TensorMatrix, count: int) -> VGroup:
    """Return outlines behind a matrix suggesting `count` more batch items."""
    shadows = VGroup()
    for k in range(count, 0, -1):
        frame = glyph_box([front.brackets], style.MUTED, buff=0.04).set_stroke(opacity=0.5, width=1.5)
        shadows.add(frame.shift(0.12 * k * (UP + np.array([1, 0, 0]))))
    return shadows


__all__ = ["TensorMatrix", "glyph_box", "label_columns", "label_rows", "number_row", "pixel_box", "stack_shadows"]
