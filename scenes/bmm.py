"""Lecture `bmm`: torch.bmm and torch.matmul agree on batches of matrices; only matmul broadcasts.

The numbers are random (torch.rand, as in the FAQ): the lecture is about shapes and equalities.
The batch size is written "batch", never B: B is the FAQ's second tensor.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Mobject,
    Rectangle,
    ReplacementTransform,
    Transform,
    VGroup,
)

from scenes.kit import style
from scenes.kit.layout import highlight
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, glyph_box, stack_shadows
from tensors.bmm import annotated_scores, bmm_broadcast, d2l_scores

CODE = style.CODE_SIZE
UNIT_CELL = (0.7, style.CELL_H)  # entries of torch.rand and their short sums: no minus sign, four characters
ITEMS = (("A", "A"), ("B", "B"), ("C_bmm", "C"))  # (tensor, label) of the batch-item row
INDEX = style.INDEX[1]  # batch items, grid cells and heads: grey with a number, never a role hue
TILE = 0.16  # scene units per matrix entry when a matrix is drawn as an outlined tile
BIG_TILE = 0.24  # the same, where few tiles share the stage
MID_TILE = 0.2
SCORE_LINE = 2  # the line of d2l_scores and annotated_scores that multiplies (0-based, in the source)


def yields(call: Mobject, result: Mobject) -> VGroup:
    """Return 'call → result' on one line."""
    return VGroup(call, style.note("→", size=CODE), result).arrange(RIGHT, buff=0.2)


class BmmLecture(LectureScene):
    """What the FAQ says about bmm versus matmul, with every number from torch."""

    beats = ("batch_items", "same_numbers", "rank_four", "fold", "shared_weight", "leading_broadcast",
             "spelled_out", "attention", "annotated", "recap")
    roles = {"A": "input", "B": "input", "C_bmm": "output", "C_matmul": "output", "A4": "input", "B4": "input",
             "C4": "output", "W": "weight", "Y_matmul": "output", "Q": "query", "K": "key", "S_d2l": "score",
             "S_ann": "score"}
    recap_lines = (
        "`bmm`: exactly $(\"batch\", M, N)$ times $(\"batch\", N, P)$, one product per item.",
        "`matmul`: the same numbers there, and it broadcasts every leading dim.",
        "For `bmm`, `expand` what broadcasts, then fold the leading dims into one batch.",
        "d2l folds the heads into the batch for `bmm`: the same scores as `matmul`.",
    )
    recap_caption = "bmm is the strict special case; matmul is the general one."

    # -- helpers ------------------------------------------------------------------------------


    def gap_line(self, name: str, template: str) -> Mobject:
        """Return a line stating a largest difference torch measured, the difference in its colour."""
        return VGroup(self.prose(template, style.LABEL_SIZE),
                      self.b.number(self.b.value(name, (), 2, "g"), style.LABEL_SIZE, color=style.DIFFERENCE)
                      ).arrange(RIGHT, buff=0.15)

    def error_line(self, call: str, err: str) -> VGroup:
        """Return '`call` → RuntimeError: ...' with torch's message captured at build time."""
        return yields(style.note(f"`{call}`", size=CODE), self.prose("{e}", CODE, style.DIFFERENCE, e=self.b.string(err)))

    def mat(self, name: str, prefix: tuple[int, ...] = ()) -> TensorMatrix:
        """Return a matrix of the lecture in its role's colour, in the narrow cells of torch.rand's numbers."""
        cfg = self.result.config
        wide = cfg.inner + 2 * cfg.cols > 14 or cfg.rows + 2 * cfg.cols > 14  # A, B and C side by side
        return self.matrix(name, prefix, cell=(0.66, 0.42) if wide else UNIT_CELL)

    def product_row(self, mats: tuple[TensorMatrix, TensorMatrix, TensorMatrix], ext: tuple[float, ...],
                    under: tuple[Mobject, ...] = ()) -> VGroup:
        """Lay out 'left × right = out', leaving room ext[k] for the stack outlines right of matrix k.

        `under` are the labels that will sit under each matrix: narrow matrices are spread so they never touch.
        """
        left, right, out = mats
        if under:
            spill = [max(0.0, (u.width - m.width) / 2) for u, m in zip(under, mats)]
            ext = (max(ext[0], spill[0] + spill[1] - 0.3), max(ext[1], spill[1] + spill[2] - 0.3))
        times = style.note("$times$", size=style.LABEL_SIZE, color=style.MUTED)
        eq = style.note("$=$", size=style.LABEL_SIZE, color=style.MUTED)
        times.next_to(left, RIGHT, buff=0.25 + ext[0])
        right.next_to(times, RIGHT, buff=0.25)
        eq.next_to(right, RIGHT, buff=0.25 + ext[1])
        out.next_to(eq, RIGHT, buff=0.25)
        return VGroup(left, times, right, eq, out)

    def stack(self, m: TensorMatrix) -> VGroup:
        """Return outlines of the rest of the batch behind m, hidden where m covers them."""
        shadows = stack_shadows(m, self.depth).set_z_index(-2)
        return VGroup(shadows, self.backdrop(m))

    def backdrop(self, m: TensorMatrix) -> Mobject:
        """Return an opaque background-coloured card behind m, so outlines behind it do not cross its numbers."""
        card = glyph_box([m.brackets], style.BACKGROUND, fill=1.0, buff=0.0).set_stroke(width=0)
        card.is_highlight = False  # a card behind the numbers, not a highlight
        return card.set_z_index(-1)

    @property
    def depth(self) -> int:
        """How many outlines stand for the rest of the batch behind a drawn item."""
        return min(int(self.result.config.batch) - 1, 3)

    @property
    def ext(self) -> float:
        """How far the stack outlines reach right of (and above) a matrix."""
        return 0.12 * self.depth + 0.1

    def item_label(self, i: int) -> Mobject:
        """Return 'item i of n' (counted from 1) in the index grey."""
        return self.prose("item {i} of {n}", style.LABEL_SIZE, INDEX, i=self.b.index("A", 0, i), n=self.b.dim("A", 0))

    def tiles(self, rows: int, cols: int, shape: tuple[int, int], color: str, unit: float = TILE) -> VGroup:
        """Return a rows x cols grid of outlined matrices of shape (r, c), one per batch position."""
        r, c = shape
        grid = VGroup(*(Rectangle(width=c * unit, height=r * unit, stroke_color=color, stroke_width=2,
                                  fill_color=color, fill_opacity=0.15) for _ in range(rows * cols)))
        return grid.arrange_in_grid(rows=rows, cols=cols, buff=0.75 * unit)

    def grid_of(self, name: str, color: str) -> VGroup:
        """Return the leading (X, Y) dims of a rank-4 tensor as a grid of tiles, as large as the three grids allow."""
        X, Y, r, c = self.b.tensors[name].shape
        return self.tiles(X, Y, (r, c), color, self.grid_unit)

    def fitting_unit(self, most: float, height: float) -> float:
        """The tile unit of the (X, Y) grids of A, B and C side by side in one row, at most `height` tall."""
        cfg = self.result.config
        X, Y, M, N, P = cfg.lead_x, cfg.lead_y, cfg.rows, cfg.inner, cfg.cols
        tall = height / (X * max(M, N) + 0.75 * (X - 1))
        wide = 9.5 / (Y * (N + 2 * P) + 2.25 * (Y - 1))
        return min(most, tall, wide)

    @property
    def grid_unit(self) -> float:
        """The tile unit of the rank-4 grids (a row of numbers shares their stage)."""
        return self.fitting_unit(TILE, 1.4)

    def column_targets(self, tiles: VGroup, top: np.ndarray, scale: float = 1.0) -> list[np.ndarray]:
        """Return where each tile goes when a grid is folded into one column, in row-major order, from top."""
        out, y = [], top[1]
        for t in tiles:
            out.append(np.array([top[0], y - scale * t.height / 2, 0.0]))
            y -= scale * t.height + 0.1
        return out

    @staticmethod
    def fold_scale(tiles: VGroup, room: float) -> float:
        """Return how much tiles must shrink so that, stacked in one column 0.1 apart, they fit in `room`."""
        need = sum(t.height for t in tiles)
        return min(1.0, (room - 0.1 * (len(tiles) - 1)) / need)

    def mark(self, tile: Mobject) -> Mobject:
        """Return a tile's twin drawn as a bright outline: the batch position being followed."""
        return tile.copy().set_fill(opacity=0.0).set_stroke(style.TEXT, width=4)

    # -- beat 1: one product per batch item ------------------------------------------------------------
    def item_stage(self) -> None:
        """Lay out 'A × B = C' for item 1 with stacks behind, names above, shapes below and the call on top."""
        first = [self.mat(n, (0,)) for n, _ in ITEMS]
        self.shapes = VGroup(self.shape("A", "\"batch\", M, N"), self.shape("B", "\"batch\", N, P"),
                             self.shape("C_bmm", "\"batch\", M, P"))
        self.row = self.product_row((first[0], first[1], first[2]), (self.ext, self.ext), tuple(self.shapes))
        self.stacks = VGroup(*(self.stack(m) for m in first))
        self.names = VGroup(*(style.note(f"${k}$", size=style.LABEL_SIZE, color=style.ROLE[self.roles[n]])
                              for n, k in ITEMS))
        for lab, s, m in zip(self.names, self.shapes, first):
            m.label(lab, buff=0.2 + self.ext)
            s.next_to(m, DOWN, buff=0.25)
        self.call = style.note("`C = torch.bmm(A, B)`", size=CODE)
        self.call.next_to(VGroup(self.names, self.stacks), UP, buff=0.35).align_to(self.row, LEFT)
        self.item = self.item_label(0).move_to(self.call).align_to(self.row, RIGHT)
        self.front = first
        self.frames = [m.brackets for m in first]  # the brackets on screen: later items only swap the numbers
        top = VGroup(self.call, self.item, self.row, self.stacks, self.names, self.shapes)
        top.shift(UP * (style.TOP - 0.05 - top.get_top()[1]) + RIGHT * (style.STAGE.centre[0] - top.get_x()))

    def sum_line(self, i: int, r: int, c: int) -> tuple[VGroup, VGroup, VGroup, Mobject]:
        """Return the written-out sum for C[i][r, c]: its A terms, B terms, the whole line and the result."""
        b, N = self.b, int(self.b.tensors["A"].shape[2])
        size = style.LABEL_SIZE + 4  # the one sum of the lecture, larger than the matrices it comes from
        a_terms = [b.number(b.value("A", (i, r, k)), size, color=style.ROLE["input"]) for k in range(N)]
        b_terms = [b.number(b.value("B", (i, k, c)), size, color=style.ROLE["input"]) for k in range(N)]
        parts: list[Mobject] = []
        for k in range(N):
            if k:
                parts.append(style.note("$+$", size=style.LABEL_SIZE, color=style.MUTED))
            parts += [a_terms[k], style.note("$dot$", size=style.LABEL_SIZE, color=style.MUTED), b_terms[k]]
        total = b.number(b.value("C_bmm", (i, r, c)), size, color=style.ROLE["output"])
        parts += [style.note("$=$", size=style.LABEL_SIZE, color=style.MUTED), total]
        line = VGroup(*parts).arrange(RIGHT, buff=0.14)
        return VGroup(*a_terms), VGroup(*b_terms), line, total

    def batch_items(self) -> None:
        self.beat("bmm: one matrix product per batch item")
        b = self.b
        self.item_stage()
        self.say("The FAQ's example, random numbers from torch.rand: A holds {n} matrices of {M} × {N}, B holds"
                 " {n} of {N} × {P}. bmm multiplies them pair by pair.",
                 n=b.dim("A", 0), M=b.dim("A", 1), N=b.dim("A", 2), P=b.dim("B", 2))
        A, Bm, C = self.front
        self.play(FadeIn(self.call), FadeIn(self.item), FadeIn(self.stacks), FadeIn(self.shapes), FadeIn(self.names),
                  *(Create(m.brackets) for m in self.front), FadeIn(A.entries), FadeIn(Bm.entries), FadeIn(self.row[1]),
                  FadeIn(self.row[3]), run_time=1.4)
        a_terms, b_terms, line, total = self.sum_line(0, 0, 0)
        line.move_to([style.STAGE.centre[0], (self.shapes.get_bottom()[1] + style.STAGE.bottom) / 2, 0])
        rest = [p for p in line if p not in (*a_terms, *b_terms, total)]
        boxes = VGroup(A.box(rows=(0, 1), color=style.TEXT), Bm.box(cols=(0, 1), color=style.TEXT))
        self.say("One entry of C: row {one} of A times column {one} of B, entry by entry, summed: {c}.",
                 one=b.index("A", 1, 0), c=b.value("C_bmm", (0, 0, 0)))
        self.play(Create(boxes), run_time=0.6)
        self.play(*(ReplacementTransform(A.entry(0, k).copy(), a_terms[k]) for k in range(len(a_terms))),
                  *(ReplacementTransform(Bm.entry(k, 0).copy(), b_terms[k]) for k in range(len(b_terms))),
                  FadeIn(VGroup(*rest[:-1])), run_time=1.6)
        self.play(self.flow(VGroup(*a_terms, *b_terms), total), FadeIn(rest[-1]), run_time=1.0)
        cell = highlight(C.box(rows=(0, 1), cols=(0, 1), color=style.TEXT))
        self.play(ReplacementTransform(total.copy(), C.entry(0, 0)), Create(cell), run_time=0.9)
        self.say("Every other entry the same way: each row of A meets each column of B.")
        self.play(FadeOut(line[:-1]), FadeOut(total), FadeOut(cell), run_time=0.4)
        for c in (1, 2)[:C.n_cols - 1]:  # two more entries, row and column boxed, then the rest
            self.play(Transform(boxes[1], Bm.box(cols=(c, c + 1), color=style.TEXT)), run_time=0.4)
            self.combine([(VGroup(A.row(0), Bm.column_band(c, c + 1)), C.entry(0, c))], run_time=0.8)
        done = {(0, c) for c in range(min(3, C.n_cols))}
        self.play(FadeOut(boxes), run_time=0.3)
        self.fill(A, Bm, C, skip=tuple(done), run_time=2.0)
        for i in range(1, self.result.config.shown):
            self.next_item(i)

    def next_item(self, i: int) -> None:
        """Swap the front matrices for batch item i and fill its C."""
        if i == 1:
            self.say("The next item, its own A and B, the same product; the rest of the stack likewise.")
        new = [self.mat(n, (i,)) for n, _ in ITEMS]
        for m, old in zip(new, self.front):
            m.move_to(old)
        label = self.item_label(i).move_to(self.item).align_to(self.item, RIGHT)
        self.play(*(FadeOut(m.entries, shift=UP * 0.2) for m in self.front), FadeOut(self.item),
                  FadeIn(new[0].entries, shift=UP * 0.2), FadeIn(new[1].entries, shift=UP * 0.2), FadeIn(label),
                  run_time=0.7)
        self.fill(new[0], new[1], new[2], run_time=1.2)
        self.front, self.item = new, label  # the new matrices sit exactly where the first ones were

    # -- beat 2: matmul, the same numbers --------------------------------------------------------------
    def same_numbers(self) -> None:
        self.beat("matmul gives the same numbers")
        b = self.b
        i = self.result.config.shown - 1
        A, Bm, C = self.front
        Cm = self.mat("C_matmul", (i,))
        pair = VGroup(C.copy(), Cm).arrange(RIGHT, buff=1.6)
        pair.move_to(style.STAGE.centre + UP * 0.6)  # the pair in the middle of the stage, its verdict under it
        shift = pair[0].get_center() - C.get_center()
        names = VGroup(style.note("`torch.bmm(A, B)`", size=CODE), style.note("`torch.matmul(A, B)`", size=CODE))
        for n, m in zip(names, (pair[0], Cm)):
            n.next_to(m, UP, buff=0.3)
        gap = self.gap_line("diff_3d", "largest difference over all items, max $|C_\"bmm\" - C_\"matmul\"|$ =")
        gap.next_to(pair, DOWN, buff=0.9).set_x(style.STAGE.centre[0])
        self.say("matmul on the same A and B: same shape ({n}, {M}, {P}). Here its item {i} beside bmm's.",
                 n=b.dim("C_matmul", 0), M=b.dim("C_matmul", 1), P=b.dim("C_matmul", 2),
                 i=b.index("C_matmul", 0, i))
        self.play(FadeOut(VGroup(A.entries, Bm.entries, *self.frames[:2], self.row[1], self.row[3], self.stacks,
                                 self.names, self.shapes[:2], self.call)),
                  C.animate.shift(shift), self.frames[2].animate.shift(shift),
                  self.shapes[2].animate.next_to(pair[0], DOWN, buff=0.25), run_time=1.0)
        m_shape = self.shape("C_matmul", "\"batch\", M, P").next_to(Cm, DOWN, buff=0.25)
        self.play(FadeIn(names), Create(Cm.brackets), ReplacementTransform(C.entries.copy(), Cm.entries),
                  FadeIn(m_shape), run_time=1.4)
        self.say_gap("diff_3d", "Largest difference over all {n} items: exactly {d}. The FAQ's assert_close passes.",
                     "Largest difference over all {n} items: {d}, float32 rounding only. The FAQ's assert_close"
                     " passes.", n=b.dim("C_matmul", 0))
        self.play(FadeIn(gap, shift=UP * 0.2))
        self.clear_stage()

    # -- beats 3 and 4: rank 4 -------------------------------------------------------------------------
    def rank_four(self) -> None:
        self.beat("Higher rank: matmul loops over a grid, bmm refuses")
        b, cfg = self.b, self.result.config
        x, y = cfg.lead_x - 1, cfg.lead_y - 1
        self.call4 = style.note("`C = torch.matmul(A, B)`", size=CODE)
        self.grids = VGroup(self.grid_of("A4", style.ROLE["input"]), self.grid_of("B4", style.ROLE["input"]),
                            self.grid_of("C4", style.ROLE["output"]))
        self.ops = VGroup(style.note("$times$", size=style.LABEL_SIZE, color=style.MUTED),
                          style.note("$=$", size=style.LABEL_SIZE, color=style.MUTED))
        self.shapes4 = VGroup(self.shape("A4", "X, Y, M, N"), self.shape("B4", "X, Y, N, P"),
                              self.shape("C4", "X, Y, M, P"))
        spill = max(0.0, max(s.width for s in self.shapes4) - min(g.width for g in self.grids))  # narrow grids
        top = VGroup(self.grids[0], self.ops[0], self.grids[1], self.ops[1], self.grids[2]).arrange(
            RIGHT, buff=0.7 + spill / 2)
        for s, g in zip(self.shapes4, self.grids):
            s.next_to(g, DOWN, buff=0.2)
        k = x * cfg.lead_y + y
        mats = [self.mat(n, (x, y)) for n in ("A4", "B4", "C4")]
        row = self.product_row((mats[0], mats[1], mats[2]), (0.0, 0.0))
        cell = self.prose("grid cell $x = {x}$, $y = {y}$:", style.LABEL_SIZE, INDEX, x=b.index("A4", 0, x),
                          y=b.index("A4", 1, y))
        row_block = VGroup(cell, row).arrange(DOWN, buff=0.3)
        err = self.error_line("torch.bmm(A, B)", "err_rank4")
        whole = VGroup(self.call4, VGroup(top, self.shapes4), row_block, err).arrange(DOWN, buff=0.3)
        style.STAGE.place(whole)
        self.marks = VGroup(*(self.mark(g[k]) for g in self.grids))
        self.say("Rank {r}, the FAQ's second example: matmul treats the last two dims as matrices and loops over the"
                 " leading {X} × {Y} grid.", r=b.value("rank_A4", (), 0), X=b.dim("A4", 0), Y=b.dim("A4", 1))
        self.play(FadeIn(self.call4), FadeIn(self.grids[:2]), FadeIn(self.ops[0]), FadeIn(self.shapes4[:2]),
                  run_time=1.0)
        self.play(FadeIn(self.ops[1]), FadeIn(self.shapes4[2]),
                  LaggedStart(*(FadeIn(t) for t in self.grids[2]), lag_ratio=0.15), run_time=1.4)
        self.say("Each grid cell holds a plain matrix product, with numbers: here cell ({x}, {y}).",
                 x=b.index("A4", 0, x), y=b.index("A4", 1, y))
        self.play(Create(self.marks), FadeIn(cell), FadeIn(row[1]), FadeIn(row[3]),
                  *(FadeIn(m, target_position=mk, scale=0.3) for mk, m in zip(self.marks, mats)), run_time=1.4)
        self.say("bmm refuses: it takes rank {three} only. The error torch raised:", three=b.value("rank_A", (), 0))
        self.play(FadeIn(err, shift=UP * 0.2))
        self.hold_caption()
        self.play(FadeOut(VGroup(row_block, err)), run_time=0.5)

    def fold(self) -> None:
        self.beat("For bmm, fold the grid into one batch")
        b, cfg = self.b, self.result.config
        X, Y = cfg.lead_x, cfg.lead_y
        top = np.array([0.0, style.TOP - 0.65, 0.0])  # the columns hang from under the heading
        call = style.note("`C = torch.bmm(A.reshape(X*Y, M, N), B.reshape(X*Y, N, P))`", size=CODE)
        call.next_to(top, UP, buff=0.2).set_x(style.STAGE.centre[0])
        self.play(ReplacementTransform(self.call4, call), run_time=0.6)  # the operation on screen is bmm now
        moves, targets = [], []
        room = top[1] - (style.STAGE.bottom + 1.3)  # under the columns: their shapes and the difference line
        f = min(self.fold_scale(g, room) for g in self.grids)
        for g, mk in zip(self.grids[:2], self.marks[:2]):
            spots = self.column_targets(g, np.array([g.get_x(), top[1], 0.0]), f)
            targets.append(spots)
            moves += [t.animate.scale(f).move_to(p) for t, p in zip(g, spots)]
            moves.append(mk.animate.scale(f).move_to(spots[-1]))
        flat = [self.shape("A4_flat", "X dot Y, M, N"), self.shape("B4_flat", "X dot Y, N, P")]
        numbers = VGroup(*(self.prose("{k}", color=INDEX, k=b.index("A4_flat", 0, k)).next_to(p, LEFT, buff=0.25)
                           for k, p in enumerate(targets[0])))
        numbers.shift(LEFT * f * self.grids[0][0].width / 2)
        for s, spots, g in zip(flat, targets, self.grids):
            s.next_to(VGroup(*(Rectangle(width=f * g[0].width, height=f * g[0].height).move_to(p) for p in spots)),
                      DOWN, buff=0.2)
        self.say("bmm needs one batch dim: reshape A to ({XY}, {M}, {N}), and B too, to ({XY}, {N2}, {P}). Cell"
                 " ({X}, {Y}) becomes item {XY}.", XY=b.dim("A4_flat", 0), M=b.dim("A4_flat", 1), N=b.dim("A4_flat", 2),
                 N2=b.dim("B4_flat", 1), P=b.dim("B4_flat", 2), X=b.dim("A4", 0), Y=b.dim("A4", 1))
        self.play(FadeOut(self.grids[2]), FadeOut(self.marks[2]), FadeOut(self.shapes4[2]), FadeOut(self.ops),
                  run_time=0.4)
        self.play(*moves, *(ReplacementTransform(s, f) for s, f in zip(self.shapes4[:2], flat)),
                  FadeIn(numbers), run_time=2.0)
        out = self.tiles(X * Y, 1, tuple(self.b.tensors["C4"].shape[2:]), style.ROLE["output"], f * self.grid_unit)
        spots = self.column_targets(out, np.array([self.grids[2].get_x(), top[1], 0.0]))
        for t, p in zip(out, spots):
            t.move_to(p)
        out_mark = self.mark(out[-1])
        gap = self.gap_line("diff_4d", "after the fold, max $|\"bmm\" - \"matmul\"|$ =")
        gap.next_to(VGroup(*flat), DOWN, buff=0.45).set_x(style.STAGE.centre[0])
        view = style.note("`.view(X, Y, M, P)`", size=CODE)
        self.say("One bmm: {XY} products, one per item. Then view them back as the {X} × {Y} grid.",
                 XY=b.dim("A4_flat", 0), X=b.dim("A4", 0), Y=b.dim("A4", 1))
        self.play(LaggedStart(*(AnimationGroup(ReplacementTransform(a.copy(), t), FadeOut(bt.copy(), target_position=t))
                                for a, bt, t in zip(self.grids[0], self.grids[1], out)), lag_ratio=0.2),
                  FadeIn(out_mark), run_time=2.0)
        grid = self.grid_of("C4", style.ROLE["output"]).move_to(out).align_to(out, UP)
        view.next_to(grid, DOWN, buff=0.3)
        self.play(*(t.animate.scale(1 / f).move_to(g) for t, g in zip(out, grid)),
                  out_mark.animate.scale(1 / f).move_to(grid[-1]),
                  FadeIn(view), run_time=1.4)
        self.say_gap("diff_4d", "The same numbers as matmul: largest difference {d}.",
                     "The same numbers as matmul up to float32 rounding: largest difference {d}.")
        self.play(FadeIn(gap, shift=UP * 0.2))
        self.clear_stage()

    # -- beat 5: a shared weight -----------------------------------------------------------------------
    def weight_stage(self) -> VGroup:
        """Lay out 'A × W = Y' for item 1 (W alone, no stack), names, shapes, the call, and the lines below."""
        A, W, Y = self.mat("A", (0,)), self.mat("W"), self.mat("Y_matmul", (0,))
        self.front = [A, W, Y]
        self.shapes = VGroup(self.shape("A", "\"batch\", M, N"), self.shape("W", "N, P"),
                             self.shape("Y_matmul", "\"batch\", M, P"))
        self.row = self.product_row((A, W, Y), (self.ext, self.ext), tuple(self.shapes))
        self.stacks = VGroup(self.stack(A), self.stack(Y), self.backdrop(W))
        self.names = VGroup(style.note("$A$", size=style.LABEL_SIZE, color=style.ROLE["input"]),
                            style.note("$W$", size=style.LABEL_SIZE, color=style.ROLE["weight"]),
                            style.note("$Y$", size=style.LABEL_SIZE, color=style.ROLE["output"]))
        for lab, s, m in zip(self.names, self.shapes, self.front):
            m.label(lab, buff=0.2 + self.ext)
            s.next_to(m, DOWN, buff=0.25)
        self.call = style.note("`Y = torch.matmul(A, W)`", size=CODE)
        self.call.next_to(VGroup(self.names, self.stacks), UP, buff=0.3).align_to(self.row, LEFT)
        self.item = self.item_label(0).move_to(self.call).align_to(self.row, RIGHT)
        self.ghosts = stack_shadows(W, self.depth).set_color(style.ROLE["weight"]).set_z_index(-2)
        return VGroup(self.call, self.item, self.row, self.stacks, self.names, self.shapes, self.ghosts)

    def fill(self, left: TensorMatrix, right: TensorMatrix, out: TensorMatrix, skip: tuple[tuple[int, int], ...] = (),
             run_time: float = 1.6) -> None:
        """Fill out entry by entry: row r of left and column c of right flow into out[r, c]."""
        self.combine([(VGroup(left.row(r), right.column_band(c, c + 1)), out.entry(r, c))
                      for r in range(out.n_rows) for c in range(out.n_cols) if (r, c) not in skip],
                     lag_ratio=0.08, run_time=run_time)
        self.wait(0.4)  # the filled matrix, whole, before anything else moves

    def shared_weight(self) -> None:
        self.beat("Broadcasting: one weight for the whole batch")
        b = self.b
        top = self.weight_stage()
        A, W, Y = self.front
        err = self.error_line("torch.bmm(A, W)", "err_weight")
        strides = self.prose("({s0}, {s1}, {s2})", CODE, s0=b.value("W_strides", (0,), decimals=0),
                             s1=b.value("W_strides", (1,), decimals=0), s2=b.value("W_strides", (2,), decimals=0))
        fix = yields(style.note("`W.expand(batch, N, P).stride()`", size=CODE), strides)
        gap = self.gap_line("diff_w", "$\"bmm\"(A, W.\"expand\"(dots))$ against $\"matmul\"(A, W)$: max difference")
        below = VGroup(err, fix, gap).arrange(DOWN, buff=0.25, aligned_edge=LEFT)
        style.STAGE.place(VGroup(top, below).arrange(DOWN, buff=0.4))
        w_shape = self.shape("W_expanded", "\"batch\", N, P").move_to(self.shapes[1])
        self.say("One weight W ({N}, {P}), random too, for all {n} items of A: matmul broadcasts it over the batch.",
                 N=b.dim("W", 0), P=b.dim("W", 1), n=b.dim("A", 0))
        self.play(FadeIn(self.call), FadeIn(self.item), FadeIn(self.stacks[0]), FadeIn(self.stacks[2]), FadeIn(A),
                  FadeIn(W), FadeIn(self.names[:2]), FadeIn(self.shapes[:2]), FadeIn(self.row[1]), run_time=1.0)
        self.play(FadeIn(self.row[3]), FadeIn(self.stacks[1]), FadeIn(self.names[2]), FadeIn(self.shapes[2]),
                  Create(Y.brackets), run_time=0.6)
        self.fill(A, W, Y)
        self.hold_caption()
        self.say("The next items of A meet the very same W.")
        for i in range(1, self.result.config.shown):
            newA, newY = self.mat("A", (i,)).move_to(A), self.mat("Y_matmul", (i,)).move_to(Y)
            label = self.item_label(i).move_to(self.item).align_to(self.item, RIGHT)
            self.play(FadeOut(A.entries, shift=UP * 0.2), FadeOut(Y.entries, shift=UP * 0.2), FadeOut(self.item),
                      FadeIn(newA.entries, shift=UP * 0.2), FadeIn(label), run_time=0.6)
            self.fill(newA, W, newY, run_time=1.0)
            A, Y, self.item = newA, newY, label
        self.say("bmm wants rank {r} on both sides and refuses the rank-{w} weight:",
                 r=b.value("rank_A", (), 0), w=b.value("rank_W", (), 0))
        self.play(FadeIn(err, shift=UP * 0.2))
        self.say("So expand W to ({n}, {N}, {P}): {n} views of the same numbers. Its stride along the batch is {s}:"
                 " no copy.", n=b.dim("W_expanded", 0), N=b.dim("W_expanded", 1), P=b.dim("W_expanded", 2),
                 s=b.value("W_strides", (0,), decimals=0))
        self.play(LaggedStart(*(FadeIn(g, shift=UP * 0.1 + RIGHT * 0.1) for g in reversed(self.ghosts)),
                              lag_ratio=0.3), ReplacementTransform(self.shapes[1], w_shape), FadeIn(fix), run_time=1.4)
        self.hold_caption()
        self.say_gap("diff_w", "Then bmm gives matmul's numbers: largest difference {d}.",
                     "Then bmm gives matmul's numbers up to float32 rounding: largest difference {d}.")
        self.play(FadeIn(gap, shift=UP * 0.2))
        self.clear_stage()

    # -- beats 6 and 7: broadcasting the leading dims --------------------------------------------------
    def shape_table(self) -> VGroup:
        """Return the shapes of A, B and matmul(A, B), aligned from the right, with a slot for the broadcast sizes."""
        b = self.b
        rows = (("A", "A_lead", style.ROLE["input"]), ("B", "B_lead", style.ROLE["input"]),
                ("matmul(A, B)", "C_lead", style.ROLE["output"]))
        self.table = VGroup()
        for label, name, color in rows:
            rank = b.tensors[name].dim()
            dims = [self.prose("{d}", style.LABEL_SIZE, style.TEXT if rank - k > 2 else style.MUTED, d=b.dim(name, k))
                    for k in range(rank)]
            blanks = [Rectangle(width=0.3, height=0.3, stroke_width=0, fill_opacity=0) for _ in range(4 - rank)]
            self.table.add(VGroup(style.note(f"`{label}`", size=style.LABEL_SIZE, color=color), *blanks, *dims))
        cells = VGroup(*(c for row in self.table for c in row))
        cells.arrange_in_grid(rows=3, cols=5, buff=(0.55, 0.2), col_alignments="rcccc")
        return self.table

    def leading_broadcast(self) -> None:
        self.beat("Broadcasting the leading dimensions")
        b, cfg = self.b, self.result.config
        X, Y = cfg.lead_x, cfg.lead_y
        M, N = self.b.tensors["A_lead"].shape[2:]
        P = self.b.tensors["B_lead"].shape[2]
        unit = self.fitting_unit(MID_TILE, 1.8)
        table = self.shape_table()
        a_tiles = self.tiles(X, 1, (M, N), style.ROLE["input"], unit)
        b_tiles = self.tiles(1, Y, (N, P), style.ROLE["input"], unit)
        a_full = self.tiles(X, Y, (M, N), style.ROLE["input"], unit)
        b_full = self.tiles(X, Y, (N, P), style.ROLE["input"], unit)
        c_full = self.tiles(X, Y, (M, P), style.ROLE["output"], unit)
        ops = VGroup(style.note("$times$", size=style.LABEL_SIZE, color=style.MUTED),
                     style.note("$=$", size=style.LABEL_SIZE, color=style.MUTED))
        pics = VGroup(a_full, ops[0], b_full, ops[1], c_full).arrange(RIGHT, buff=0.5)
        names = VGroup(*(style.note(f"`{n}`", size=style.LABEL_SIZE, color=c).next_to(g, UP, buff=0.2) for n, c, g in (
            ("A", style.ROLE["input"], a_full), ("B", style.ROLE["input"], b_full),
            ("matmul(A, B)", style.ROLE["output"], c_full))))
        full = table[2]  # the result has every dim: its columns name the batch dims and the matrix dims
        heads = VGroup(style.note("batch dims", color=style.TEXT).next_to(VGroup(full[1], full[2]), UP, buff=0.25),
                       style.note("matrix dims", color=style.MUTED).next_to(VGroup(full[3], full[4]), UP, buff=0.25))
        heads.set_y(table.get_top()[1] + 0.3)
        heads[0].align_to(full[2], RIGHT)  # the two headers stay apart over their columns
        heads[1].align_to(full[3], LEFT)
        style.STAGE.place(VGroup(VGroup(heads, table), VGroup(names, pics)).arrange(DOWN, buff=0.6))
        for k, t in enumerate(a_tiles):  # A's one column sits where column 1 of the broadcast grid will be
            t.move_to(a_full[k * Y])
        b_tiles.align_to(b_full, DOWN).set_x(b_full.get_x())  # B's row: the second row of the grid it grows into
        for k, t in enumerate(b_tiles):
            t.move_to(b_full[(X - 1) * Y + k])
        a_row, b_row = table[0], table[1]
        stretched = self.prose("{d}", style.LABEL_SIZE, style.TEXT, d=b.dim("A_lead_x", 1)).move_to(a_row[2])
        added = self.prose("{d}", style.LABEL_SIZE, style.TEXT, d=b.dim("B_lead_x", 0)).move_to(b_row[1])
        self.say("A is ({X}, {one}, {M}, {N}) and B is ({Y}, {N}, {P}), random again. Line the shapes up from the"
                 " right: the last two dims are the matrices.",
                 X=b.dim("A_lead", 0), one=b.dim("A_lead", 1), M=b.dim("A_lead", 2), N=b.dim("A_lead", 3),
                 Y=b.dim("B_lead", 0), P=b.dim("B_lead", 2))
        self.play(LaggedStart(FadeIn(table[0]), FadeIn(table[1]), lag_ratio=0.4), FadeIn(heads), FadeIn(names[:2]),
                  FadeIn(a_tiles),
                  FadeIn(b_tiles), run_time=1.4)
        self.say("Size {one} stretches to {Y}: A's one column of matrices is reused for each of B's {Y}.",
                 one=b.dim("A_lead", 1), Y=b.dim("A_lead_x", 1))
        copies = [a_tiles[k].copy() for k in range(X) for _ in range(Y - 1)]
        spots = [a_full[k * Y + j] for k in range(X) for j in range(1, Y)]
        self.play(*(c.animate.move_to(s) for c, s in zip(copies, spots)), ReplacementTransform(a_row[2], stretched),
                  run_time=1.6)
        one = self.prose("{d}", style.LABEL_SIZE, style.TEXT, d=b.dim("B_lead_1", 0)).move_to(b_row[1])
        self.say("B has no dim there: a missing dim counts as size {one}, so B is read as ({one}, {Y}, {N}, {P}).",
                 one=b.dim("B_lead_1", 0), Y=b.dim("B_lead_1", 1), N=b.dim("B_lead_1", 2), P=b.dim("B_lead_1", 3))
        self.play(FadeIn(one, scale=1.6), run_time=0.8)
        ring = highlight(glyph_box([one], style.TEXT, buff=0.1))
        self.play(Create(ring), run_time=0.5)
        self.hold_caption()
        self.say("Then that {one} stretches to {X}: B's row of matrices is reused for each of A's {X}.",
                 one=b.dim("B_lead_1", 0), X=b.dim("B_lead_x", 0))
        down = [b_tiles[j].copy() for _ in range(X - 1) for j in range(Y)]
        spots = [b_full[k * Y + j] for k in range(X - 1) for j in range(Y)]
        self.play(*(c.animate.move_to(s) for c, s in zip(down, spots)), ReplacementTransform(one, added),
                  FadeOut(ring), run_time=1.6)
        self.say("matmul multiplies cell by cell: the result is ({X}, {Y}, {M}, {P}).",
                 X=b.dim("C_lead", 0), Y=b.dim("C_lead", 1), M=b.dim("C_lead", 2), P=b.dim("C_lead", 3))
        self.play(FadeIn(table[2]), FadeIn(ops), FadeIn(names[2]), run_time=0.5)
        self.play(LaggedStart(*(AnimationGroup(ReplacementTransform(a.copy(), t), FadeOut(bt.copy(), target_position=t))
                                for a, bt, t in zip(a_full, b_full, c_full)), lag_ratio=0.25), run_time=2.2)
        self.clear_stage()

    def spelled_out(self) -> None:
        self.beat("The same with bmm: expand, fold, multiply")
        b = self.b
        err = self.error_line("torch.bmm(A, B)", "err_lead")
        listing = self.listing(bmm_broadcast, style.CODE_SIZE + 2)  # alone on the stage: a little larger
        shapes = {  # source line (0-based) -> the shape that line makes, from torch
            2: self.prose("$(X, Y) = ({X}, {Y})$", CODE, style.MUTED, X=b.dim("C_lead", 0), Y=b.dim("C_lead", 1)),
            3: self.shape("A_lead_flat", "X dot Y, M, N", CODE),
            4: self.shape("B_lead_flat", "X dot Y, N, P", CODE),
            5: self.shape("C_lead_bmm", "X, Y, M, P", CODE),
        }
        gap = self.gap_line("diff_lead", "max $|\"bmm_broadcast\"(A, B) - \"matmul\"(A, B)|$ =")
        VGroup(err, listing, gap).arrange(DOWN, buff=0.5)
        style.STAGE.place(VGroup(err, listing, gap))
        bars = {k: self.code_line_box(listing, k) for k in shapes}
        for k, s in shapes.items():
            s.next_to(listing, RIGHT, buff=0.3).set_y(bars[k].get_y())
        block = VGroup(err, listing, gap, *shapes.values())
        block.shift(RIGHT * (style.STAGE.centre[0] - block.get_x()))
        for k in shapes:
            bars[k] = self.code_line_box(listing, k)
        self.say("bmm refuses again. So spell out with bmm what matmul does: the real function, short.")
        self.play(FadeIn(err, shift=UP * 0.2), run_time=0.6)
        self.play(FadeIn(listing), run_time=0.8)
        self.say("First, the common batch shape: ({X}, {Y}).", X=b.dim("C_lead", 0), Y=b.dim("C_lead", 1))
        bar = bars[2]
        self.play(FadeIn(bar), FadeIn(shapes[2]), run_time=0.6)
        self.say("Expand A to it and fold the batch into one dim: ({XY}, {M}, {N}).",
                 XY=b.dim("A_lead_flat", 0), M=b.dim("A_lead_flat", 1), N=b.dim("A_lead_flat", 2))
        self.play(bar.animate.move_to(bars[3]), FadeIn(shapes[3]), run_time=0.6)
        self.say("B the same way: ({XY}, {N}, {P}).", XY=b.dim("B_lead_flat", 0), N=b.dim("B_lead_flat", 1),
                 P=b.dim("B_lead_flat", 2))
        self.play(bar.animate.move_to(bars[4]), FadeIn(shapes[4]), run_time=0.6)
        self.say_gap("diff_lead", "One bmm, then unflatten back to the grid: matmul's numbers, largest difference {d}.",
                     "One bmm, then unflatten back to the grid: matmul's numbers up to float32 rounding, largest"
                     " difference {d}.")
        self.play(bar.animate.move_to(bars[5]), FadeIn(shapes[5]), run_time=0.6)
        self.play(FadeIn(gap, shift=UP * 0.2))
        self.clear_stage()

    # -- beat 8: attention in two codebases ------------------------------------------------------------
    def attention(self) -> None:
        self.beat("d2l: fold the heads into the batch, then bmm")
        b = self.b
        Bq, H, L, d = (int(s) for s in b.tensors["Q"].shape)
        bi, hi = Bq - 1, H - 1
        flat = bi * H + hi  # where d2l's folded batch keeps batch bi, head hi
        room = style.TOP - style.STAGE.bottom - 1.6  # the folded column, under Q's name and over the difference
        unit = min(BIG_TILE, (room - 0.1 * (Bq * H - 1)) / (Bq * H * L), 2.0 / (H * d + 0.75 * (H - 1)))
        grid = self.tiles(Bq, H, (L, d), style.ROLE["query"], unit)
        kgrid = self.tiles(Bq, H, (L, d), style.ROLE["key"], unit)
        heads = VGroup(*(self.prose("{h}", CODE, INDEX, h=b.index("Q", 1, h)) for h in range(H)))
        rows = VGroup(*(self.prose("{i}", CODE, INDEX, i=b.index("Q", 0, i)) for i in range(Bq)))
        krows = VGroup(*(self.prose("{i}", CODE, INDEX, i=b.index("K", 0, i)) for i in range(Bq)))
        words = VGroup(style.note("head", size=CODE, color=INDEX), style.note("batch", size=CODE, color=INDEX))
        q_name = style.note("$Q$", size=style.LABEL_SIZE, color=style.ROLE["query"])
        k_name = style.note("$K$", size=style.LABEL_SIZE, color=style.ROLE["key"])
        listings = [self.listing(d2l_scores), self.listing(annotated_scores)]
        cell = (style.CELL_W, style.CELL_H) if L < 4 else (0.72, 0.38)
        mats = [self.matrix("S_d2l", (flat,), cell=cell), self.matrix("S_ann", (bi, hi), cell=cell)]
        labels = [self.prose("$S_\"d2l\"$, item {f}", CODE, INDEX, f=b.index("S_d2l", 0, flat)),
                  self.prose("$S_\"ann\"$, batch {i}, head {h}", CODE, INDEX, i=b.index("S_ann", 0, bi),
                             h=b.index("S_ann", 1, hi))]
        shapes = [self.shape("Q_flat", "\"batch\" dot H, L, d", CODE), self.shape("Q", "\"batch\", H, L, d", CODE)]
        right = VGroup(*(VGroup(lab, m).arrange(DOWN, buff=0.15) for lab, m in zip(labels, mats)))
        middle = VGroup(*(VGroup(s, lst).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
                          for s, lst in zip(shapes, listings)))
        middle.arrange(DOWN, aligned_edge=LEFT, buff=0.7 if L < 4 else 0.45)
        for r, m in zip(right, middle):
            r.set_y(m.get_y())
        kgrid.next_to(grid, DOWN, buff=0.75)
        for k, lab in enumerate(heads):
            lab.next_to(grid, UP, buff=0.15).set_x(grid[k].get_x())
        for i, lab in enumerate(rows):
            lab.next_to(grid, LEFT, buff=0.2).set_y(grid[i * H].get_y())
        for i, lab in enumerate(krows):
            lab.next_to(kgrid, LEFT, buff=0.2).set_y(kgrid[i * H].get_y())
        words[0].next_to(heads, UP, buff=0.1)
        words[1].next_to(kgrid, DOWN, buff=0.2).align_to(rows, RIGHT)
        q_name.next_to(words[0], UP, buff=0.15)
        k_name.next_to(kgrid, UP, buff=0.12)
        left = VGroup(q_name, heads, rows, words, grid, k_name, krows, kgrid)
        stage = VGroup(left, middle, right).arrange(RIGHT, buff=0.6 if L < 4 else 0.3)
        for r, m in zip(right, middle):
            r.set_y(m.get_y())
        if L >= 4:  # tall score matrices: a column of their own, beside the code
            x = right.get_x()
            right.arrange(DOWN, buff=0.35).move_to([x, middle.get_y(), 0])
        gap = self.gap_line("diff_att", "scores after $div sqrt(d)$, every head: max $|S_\"d2l\" - S_\"ann\"|$ =")
        style.STAGE.place(VGroup(stage, gap).arrange(DOWN, buff=0.45))
        marks = [self.mark(grid[flat]), self.mark(kgrid[flat])]
        bars = [self.code_line_box(lst, SCORE_LINE) for lst in listings]
        tile_w = grid[0].width
        col_x = grid.get_x() - (tile_w + 0.25) / 2
        spots = self.column_targets(grid, np.array([col_x, style.TOP - 0.75, 0.0]))
        kspots = [p + RIGHT * (tile_w + 0.25) for p in spots]
        numbers = VGroup(*(self.prose("{k}", CODE, INDEX, k=b.index("Q_flat", 0, k)).next_to(p, LEFT, buff=tile_w / 2 + 0.2)
                           for k, p in enumerate(spots)))
        self.say("Queries and keys for {n} sequences and {H} heads, random: ({n}, {H}, {L}, {d}) each, one tile per"
                 " batch item and head.", n=b.dim("Q", 0), H=b.dim("Q", 1), L=b.dim("Q", 2), d=b.dim("Q", 3))
        self.play(FadeIn(q_name), FadeIn(grid), FadeIn(heads), FadeIn(rows), FadeIn(words), FadeIn(shapes[1]),
                  run_time=1.0)
        self.play(FadeIn(k_name), FadeIn(kgrid), FadeIn(krows), run_time=0.8)
        self.say("d2l's DotProductAttention folds the heads into the batch: ({BH}, {L}, {d}). Batch {i}, head {h}"
                 " becomes item {f}.", BH=b.dim("Q_flat", 0), L=b.dim("Q_flat", 1), d=b.dim("Q_flat", 2),
                 i=b.index("S_ann", 0, bi), h=b.index("S_ann", 1, hi), f=b.index("S_d2l", 0, flat))
        self.play(FadeIn(marks[0]), FadeIn(marks[1]), FadeIn(shapes[0]), run_time=0.4)
        home = [[t.get_center() for t in g] for g in (grid, kgrid)]  # the (batch, H) grids, for matmul's beat
        names_home = [q_name.get_center(), k_name.get_center()]
        self.play(*(t.animate.move_to(p) for t, p in zip(grid, spots)), marks[0].animate.move_to(spots[flat]),
                  *(t.animate.move_to(p) for t, p in zip(kgrid, kspots)), marks[1].animate.move_to(kspots[flat]),
                  FadeOut(heads), FadeOut(rows), FadeOut(krows), FadeOut(words), FadeIn(numbers),
                  q_name.animate.move_to([spots[0][0], style.TOP - 0.5, 0]),
                  k_name.animate.move_to([kspots[0][0], style.TOP - 0.5, 0]),
                  run_time=1.8)
        self.say("Then one bmm multiplies each item's queries by that item's keys, transposed, and divides by the"
                 " root of d: here item {f}'s scores.", f=b.index("S_d2l", 0, flat))
        self.play(FadeIn(middle[0][1]), run_time=0.6)
        self.play(FadeIn(bars[0]), FadeIn(labels[0]), Create(mats[0].brackets),
                  FadeIn(mats[0].entries, target_position=VGroup(*marks), scale=0.3), run_time=1.2)
        self.hold_caption()
        self.scores_parts = (middle, bars, labels, mats, gap)
        self.unfold = (grid, kgrid, marks, home, names_home, VGroup(q_name, k_name), numbers,
                       VGroup(heads, rows, krows, words), flat)

    def annotated(self) -> None:
        self.beat("The Annotated Transformer: matmul keeps the heads")
        b = self.b
        middle, bars, labels, mats, gap = self.scores_parts
        self.say("The Annotated Transformer keeps the head dim, ({n}, {H}, {L}, {d}), and calls matmul: batch and"
                 " heads are simply its leading dims.", n=b.dim("Q", 0), H=b.dim("Q", 1), L=b.dim("Q", 2),
                 d=b.dim("Q", 3))
        grid, kgrid, marks, home, names_home, names, numbers, labels_grid, flat = self.unfold
        self.play(*(t.animate.move_to(p) for g, spots in zip((grid, kgrid), home) for t, p in zip(g, spots)),
                  *(mk.animate.move_to(spots[flat]) for mk, spots in zip(marks, home)),
                  *(n.animate.move_to(p) for n, p in zip(names, names_home)),
                  FadeOut(numbers), FadeIn(labels_grid), FadeIn(middle[1][1]), FadeOut(bars[0]), run_time=1.4)
        self.play(FadeIn(bars[1]), FadeIn(labels[1]), Create(mats[1].brackets),
                  FadeIn(mats[1].entries, target_position=VGroup(*marks), scale=0.3), run_time=1.0)
        self.say_gap("diff_att", "Same Q and K, the same scores for every head: largest difference {d}.",
                     "Same Q and K, the same scores for every head up to float32 rounding: largest difference {d}.")
        self.play(FadeIn(gap, shift=UP * 0.2))
        self.clear_stage()


__all__ = ["BmmLecture"]
