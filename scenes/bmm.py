"""Lecture `bmm`: torch.bmm and torch.matmul agree on batches of matrices; only matmul broadcasts."""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, LaggedStart, Mobject, Rectangle, VGroup
from manim.mobject.types.vectorized_mobject import VectorizedPoint

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, stack_shadows
from tensors.bmm import annotated_scores, bmm_broadcast, d2l_scores

COLOR = {"A": style.ROLE["E"], "B": style.ROLE["W"], "C": style.ROLE["Q"], "M": style.ROLE["V"], "W": style.ROLE["K"]}
ERROR = "#ff7b72"
OK = "#7ee787"
CODE = style.CODE_SIZE
UNIT_CELL = (0.74, style.CELL_H)  # entries of torch.rand and their short sums: no minus sign, four characters
ITEMS = (("A", "A"), ("B", "B"), ("C_bmm", "C"))  # (tensor, label and colour) of the batch-item row
PRODUCT, BELOW = style.STAGE.rows(3.6, 3.0)  # a product with its stacks on top, the lines it leads to below
TABLE, UNDER_TABLE = style.STAGE.rows(2.2, 4.4)
SCORES, SCORE_NOTE = style.STAGE.rows(5.4, 1.2)
SCORE_LINE = 3  # the line of d2l_scores and annotated_scores that multiplies (0-based, in the source)


def yields(call: Mobject, result: Mobject) -> VGroup:
    """Return 'call → result' on one line."""
    return VGroup(call, style.note("→", size=CODE), result).arrange(RIGHT, buff=0.2)


class BmmLecture(LectureScene):
    """What the FAQ says about bmm versus matmul, with every number from torch."""

    beats = ("batch_items", "same_numbers", "rank_four", "shared_weight", "leading_broadcast", "attention", "recap")
    recap_lines = (
        "`bmm`: exactly $(B, M, N)$ times $(B, N, P)$, the same $B$ on both sides.",
        "`matmul`: the last two dims are matrices; every leading dim broadcasts.",
        "On such plain batches of matrices, both give the same numbers.",
        "To use `bmm` elsewhere: `expand`, then `reshape` the batch dims into one.",
    )
    recap_caption = "bmm is the strict special case; matmul is the general one."

    # -- helpers ------------------------------------------------------------------------------
    def exact(self, name: str) -> bool:
        """Return whether torch measured a difference of exactly zero."""
        return float(self.b.tensors[name]) == 0.0

    def diff_line(self, name: str, template: str) -> Mobject:
        """Return a line stating a largest difference torch measured, green when it is exactly zero."""
        color = OK if self.exact(name) else style.TEXT
        return self.prose(template + " = {d}", style.LABEL_SIZE, color, d=self.b.value(name, (), 2, "g"))

    def error_line(self, call: str, err: str) -> VGroup:
        """Return '`call` → RuntimeError: ...' with torch's message captured at build time."""
        return yields(style.note(f"`{call}`", size=CODE), self.prose("{e}", CODE, ERROR, e=self.b.string(err)))

    def product_row(self, mats: tuple[TensorMatrix, TensorMatrix, TensorMatrix], ext: tuple[float, ...]) -> VGroup:
        """Lay out 'left × right = out', leaving room ext[k] for the stack outlines right of matrix k."""
        left, right, out = mats
        times = style.note("$times$", size=style.LABEL_SIZE, color=style.MUTED)
        eq = style.note("$=$", size=style.LABEL_SIZE, color=style.MUTED)
        times.next_to(left, RIGHT, buff=0.25 + ext[0])
        right.next_to(times, RIGHT, buff=0.25)
        eq.next_to(right, RIGHT, buff=0.25 + ext[1])
        out.next_to(eq, RIGHT, buff=0.25)
        return VGroup(left, times, right, eq, out)

    def item_label(self, name: str, tensor: str, i: int, color: str) -> Mobject:
        """Return 'A[i]' with i bound to the batch index of tensor (0-based, as Python indexes it)."""
        return self.math(f"{name}[{{i}}]", style.LABEL_SIZE, color, i=self.b.index(tensor, 0, i, base=0))

    def tiles(self, name: str, color: str, unit: float = 0.16) -> VGroup:
        """Return the leading dims of a rank-4 tensor as a grid of outlined matrices, one per (x, y)."""
        X, Y, r, c = self.b.tensors[name].shape
        grid = VGroup(*(Rectangle(width=c * unit, height=r * unit, stroke_color=color, stroke_width=2,
                                  fill_color=color, fill_opacity=0.12) for _ in range(X * Y)))
        return grid.arrange_in_grid(rows=X, cols=Y, buff=0.12)

    def stack(self, m: TensorMatrix) -> VGroup:
        """Return outlines of the rest of the batch behind m, hidden where m covers them."""
        shadows = stack_shadows(m, self.depth).set_z_index(-2)
        return VGroup(shadows, self.backdrop(m))

    def backdrop(self, m: TensorMatrix) -> Mobject:
        """Return an opaque background-coloured card behind m, so outlines behind it do not cross its numbers."""
        card = m.box(color=style.BACKGROUND, fill=1.0, buff=0.08).set_stroke(width=0)
        return card.set_z_index(-1)

    @property
    def depth(self) -> int:
        """How many outlines stand for the rest of the batch behind a drawn item."""
        return min(int(self.result.config.batch) - 1, 3)

    @property
    def ext(self) -> float:
        """How far the stack outlines reach right of (and above) a matrix."""
        return 0.12 * self.depth + 0.1

    # -- stages: layouts built before a beat plays them ------------------------------------------
    def item_stage(self) -> VGroup:
        """Lay out 'A[0] × B[0] = C[0]' with stacks behind, names above, shapes below and the call on top."""
        first = [self.matrix(n, (0,), color=COLOR[k], cell=UNIT_CELL) for n, k in ITEMS]
        row = self.product_row((first[0], first[1], first[2]), (self.ext, self.ext))
        self.stacks = VGroup(*(self.stack(m) for m in first))
        self.names = VGroup(*(self.item_label(k, n, 0, COLOR[k]) for n, k in ITEMS))
        self.shapes = VGroup(self.shape("A", "B, M, N"), self.shape("B", "B, N, P"), self.shape("C_bmm", "B, M, P"))
        for lab, s, m in zip(self.names, self.shapes, first):
            m.label(lab, buff=0.2 + self.ext)
            s.next_to(m, DOWN, buff=0.25)
        self.call = style.note("`C = torch.bmm(A, B)`", size=CODE).next_to(VGroup(self.names, self.stacks), UP, buff=0.35)
        self.front = first
        return PRODUCT.place(VGroup(self.call, row, self.stacks, self.names, self.shapes), align=UP)

    def tile_stage(self) -> VGroup:
        """Lay out the rank-4 product as grids of outlined matrices, with names, shapes and the call."""
        self.grids = [self.tiles("A4", COLOR["A"]), self.tiles("B4", COLOR["B"]), self.tiles("C4", COLOR["C"])]
        self.grid_row = VGroup(self.grids[0], style.note("$times$", color=style.MUTED), self.grids[1],
                               style.note("$=$", color=style.MUTED), self.grids[2]).arrange(RIGHT, buff=0.45)
        self.names = VGroup(*(style.note(n, size=style.LABEL_SIZE, color=c).next_to(g, UP, buff=0.2)
                              for n, c, g in (("A", COLOR["A"], self.grids[0]), ("B", COLOR["B"], self.grids[1]),
                                              ("matmul(A, B)", COLOR["C"], self.grids[2]))))
        self.shapes = VGroup(self.shape("A4", "X, Y, M, N"), self.shape("B4", "X, Y, N, P"),
                             self.shape("C4", "X, Y, M, P"))
        for s, g in zip(self.shapes, self.grids):
            s.next_to(g, DOWN, buff=0.2)
        self.call = style.note("`torch.matmul(A, B)`", size=CODE).next_to(self.names, UP, buff=0.35)
        return PRODUCT.place(VGroup(self.call, self.grid_row, self.names, self.shapes), align=UP)

    def weight_stage(self) -> VGroup:
        """Lay out 'A[0] × W = Y[0]': A and Y with stacks behind, W alone, and W's expand ghosts (not shown yet)."""
        self.front = [self.matrix("A", (0,), color=COLOR["A"], cell=UNIT_CELL),
                      self.matrix("W", color=COLOR["W"], cell=UNIT_CELL),
                      self.matrix("Y_matmul", (0,), color=COLOR["C"], cell=UNIT_CELL)]
        A, W, Y = self.front
        self.row = self.product_row((A, W, Y), (self.ext, self.ext))
        self.stacks = VGroup(self.stack(A), self.stack(Y), self.backdrop(W))
        self.names = VGroup(self.item_label("A", "A", 0, COLOR["A"]),
                            style.note("$W$", size=style.LABEL_SIZE, color=COLOR["W"]),
                            self.item_label("Y", "Y_matmul", 0, COLOR["C"]))
        self.shapes = VGroup(self.shape("A", "B, M, N"), self.shape("W", "N, P"), self.shape("Y_matmul", "B, M, P"))
        for lab, s, m in zip(self.names, self.shapes, self.front):
            m.label(lab, buff=0.2 + self.ext)
            s.next_to(m, DOWN, buff=0.25)
        self.call = style.note("`Y = torch.matmul(A, W)`", size=CODE).next_to(VGroup(self.names, self.stacks), UP, buff=0.3)
        self.ghosts = stack_shadows(W, self.depth).set_color(COLOR["W"]).set_z_index(-2)
        stage = VGroup(self.call, self.row, self.stacks, self.names, self.shapes, self.ghosts)
        return PRODUCT.place(stage, align=UP)

    def shape_table(self) -> VGroup:
        """Return the shapes of A, B and matmul(A, B) aligned from the right, batch and matrix dims boxed."""
        b = self.b
        rows = (("A", "A_lead", COLOR["A"]), ("B", "B_lead", COLOR["B"]), ("matmul(A, B)", "C_lead", COLOR["C"]))
        col_w, row_h = 0.6, 0.52
        self.table = VGroup()
        for label, name, color in rows:
            rank = b.tensors[name].dim()
            dims = [self.prose("{d}", style.LABEL_SIZE, style.MUTED if rank - k <= 2 else color, d=b.dim(name, k))
                    for k in range(rank)]  # right-aligned: the matrix dims always sit in the last two columns
            self.table.add(VGroup(style.note(f"`{label}`", size=CODE, color=color), *[VectorizedPoint() for _ in range(4 - rank)], *dims))
        cells = VGroup(*(c for row in self.table for c in row))
        cells.arrange_in_grid(rows=3, cols=5, buff=(0.3, 0), col_alignments="rcccc", row_heights=[row_h] * 3,
                              col_widths=[None] + [col_w] * 4)
        full = self.table[2]  # matmul(A, B) has all four dims: its cells mark the column centres
        pitch = full[2].get_x() - full[1].get_x()
        lead = Rectangle(width=2 * pitch, height=3 * row_h, stroke_color=COLOR["C"], stroke_width=2)
        mats = Rectangle(width=2 * pitch, height=3 * row_h, stroke_color=style.MUTED, stroke_width=2)
        lead.move_to([(full[1].get_x() + full[2].get_x()) / 2, self.table[1][0].get_y(), 0])
        mats.move_to([(full[3].get_x() + full[4].get_x()) / 2, lead.get_y(), 0])
        self.boxes = VGroup(lead, mats)
        self.heads = VGroup(style.note("batch dims: broadcast", size=CODE - 2, color=COLOR["C"]),
                            style.note("matrix dims", size=CODE - 2, color=style.MUTED))
        self.heads[0].next_to(lead, UP, buff=0.12).align_to(lead, RIGHT).shift(LEFT * 0.2)
        self.heads[1].next_to(mats, UP, buff=0.12).align_to(mats, LEFT).shift(RIGHT * 0.2)
        return TABLE.place(VGroup(self.table, self.boxes, self.heads), align=UP)

    def score_stage(self, flat: int, bi: int, hi: int) -> VGroup:
        """Lay out each codebase's query shape and score function (left) beside the scores it gives (right)."""
        b = self.b
        self.lefts, self.rights, self.listings = [], [], []
        for func, name, idx, key, letters, who, color in (
            (d2l_scores, "S_d2l", (flat,), "Q_flat", "B dot H, L, d", "d2l", COLOR["C"]),
            (annotated_scores, "S_ann", (bi, hi), "Q", "B, H, L, d", "Annotated Transformer", COLOR["M"]),
        ):
            head = VGroup(style.note(f"*{who}* queries:", size=CODE - 2, color=style.MUTED),
                          self.shape(key, letters, CODE - 2)).arrange(RIGHT, buff=0.15)
            listing = self.listing(func, CODE - 2)
            self.listings.append(listing)
            self.lefts.append(VGroup(head, listing).arrange(DOWN, aligned_edge=LEFT, buff=0.15))
            at = {f"i{k}": b.index(name, k, j, base=0) for k, j in enumerate(idx)}
            inside = ", ".join(f"{{i{k}}}" for k in range(len(idx)))
            label = self.prose(f"`{name}[`{inside}`]`", CODE, color, **at)
            self.rights.append(VGroup(label, self.matrix(name, idx, color=color)).arrange(DOWN, buff=0.15))
        for r, l in zip(self.rights, self.lefts):
            r.next_to(l, RIGHT, buff=0.7)
        rows = VGroup(*(VGroup(l, r) for l, r in zip(self.lefts, self.rights)))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.5)
        x = max(l.get_right()[0] for l in self.lefts) + 0.7 + max(r.width for r in self.rights) / 2
        for r in self.rights:
            r.set_x(x)  # one column of scores, whatever the code widths
        return SCORES.place(rows, align=UP)

    # -- beats --------------------------------------------------------------------------------
    def batch_items(self) -> None:
        self.beat("bmm: one matrix product per batch item")
        b = self.b
        self.item_stage()
        self.say(
            "The FAQ's example: A holds {B} matrices of {M} × {N}, B holds {B} of {N} × {P}. "
            "bmm multiplies them pair by pair.",
            B=b.dim("A", 0), M=b.dim("A", 1), N=b.dim("A", 2), P=b.dim("B", 2),
        )
        A, Bm, C = self.front
        self.play(FadeIn(self.call), FadeIn(self.stacks), FadeIn(self.shapes), FadeIn(self.names),
                  *(Create(m.brackets) for m in self.front), FadeIn(A.entries), FadeIn(Bm.entries), run_time=1.2)
        self.say("Each entry of C[i]: a row of A[i] times a column of B[i].")
        boxes = VGroup(A.box(rows=(0, 1), color=COLOR["A"]), Bm.box(cols=(0, 1), color=COLOR["B"]),
                       C.box(rows=(0, 1), cols=(0, 1), color=COLOR["C"]))
        self.play(Create(boxes), FadeIn(C.entry(0, 0)), run_time=0.9)
        rest = [C.entry(r, c) for r in range(C.n_rows) for c in range(C.n_cols) if (r, c) != (0, 0)]
        self.play(FadeOut(boxes), LaggedStart(*(FadeIn(n) for n in rest), lag_ratio=0.05), run_time=1.2)
        for i in range(1, self.result.config.shown):
            self.next_item(i)

    def next_item(self, i: int) -> None:
        """Swap the front matrices for batch item i and fill C[i]."""
        if i == 1:
            self.say("Next pair, same product; the rest of the stack likewise.")
        new = [self.matrix(n, (i,), color=COLOR[k], cell=UNIT_CELL) for n, k in ITEMS]
        for m, old in zip(new, self.front):
            m.scale(old.width / m.width).move_to(old)
        labels = VGroup(*(self.item_label(k, n, i, COLOR[k]) for n, k in ITEMS))
        for lab, old in zip(labels, self.names):
            lab.scale(old.height / lab.height).move_to(old)
        self.play(*(FadeOut(m.entries) for m in self.front), FadeOut(self.names),
                  FadeIn(new[0].entries), FadeIn(new[1].entries), FadeIn(labels), run_time=0.6)
        self.play(LaggedStart(*(FadeIn(n) for n in new[2].entries), lag_ratio=0.04), run_time=0.8)
        self.front, self.names = new, labels  # the new matrices sit exactly where the first ones were
        self.wait(0.4)

    def same_numbers(self) -> None:
        self.beat("matmul gives the same numbers")
        b = self.b
        i = self.result.config.shown - 1
        C = self.front[2]
        Cm = self.matrix("C_matmul", (i,), color=COLOR["M"], cell=UNIT_CELL)
        Cm.scale(C.width / Cm.width).next_to(self.shapes[2], DOWN, buff=0.45).set_x(C.get_x())
        name = self.prose("`torch.matmul(A, B)[`{i}`]`", CODE, COLOR["M"], i=b.index("C_matmul", 0, i, base=0))
        name.next_to(Cm, LEFT, buff=0.4)
        diff = self.diff_line("diff_3d", "largest difference over all entries: max $|C_\"bmm\" - C_\"matmul\"|$")
        style.fit(diff).next_to(Cm, DOWN, buff=0.45).set_x(style.STAGE.centre[0])
        self.say("matmul on the same A and B: same shape ({B}, {M}, {P}); here its item {i}.",
                 B=b.dim("C_matmul", 0), M=b.dim("C_matmul", 1), P=b.dim("C_matmul", 2),
                 i=b.index("C_matmul", 0, i, base=0))
        self.play(FadeIn(name), Create(Cm.brackets), FadeIn(Cm.entries, lag_ratio=0.03), run_time=1.0)
        if self.exact("diff_3d"):
            self.say("Largest difference over all entries: exactly {d}. The FAQ's assert_close passes.",
                     d=b.value("diff_3d", (), 2, "g"))
        else:
            self.say("Largest difference over all entries: {d}, float32 rounding only. The FAQ's assert_close passes.",
                     d=b.value("diff_3d", (), 2, "g"))
        self.play(FadeIn(diff, shift=UP * 0.2))
        self.clear_stage()

    def rank_four(self) -> None:
        self.beat("Higher rank: matmul handles it, bmm refuses")
        b = self.b
        self.tile_stage()
        self.say("Rank {r}: matmul treats the last two dims as matrices and loops over the leading {X} × {Y} grid.",
                 r=b.value("rank_A4", (), 0), X=b.dim("A4", 0), Y=b.dim("A4", 1))
        self.play(FadeIn(self.call), FadeIn(self.grid_row[:3]), FadeIn(self.names[:2]), FadeIn(self.shapes[:2]),
                  run_time=0.9)
        self.play(FadeIn(self.grid_row[3]), FadeIn(self.names[2]), FadeIn(self.shapes[2]),
                  LaggedStart(*(FadeIn(t) for t in self.grids[2]), lag_ratio=0.15), run_time=1.2)
        err = self.error_line("torch.bmm(A, B)", "err_rank4")
        flat = yields(style.note("`A.reshape(X * Y, M, N)`", size=CODE), self.shape("A4_flat", "X dot Y, M, N", CODE))
        diff = self.diff_line("diff_4d", "after that reshape: max $|\"bmm\" - \"matmul\"|$")
        BELOW.place(VGroup(err, VGroup(flat, diff).arrange(DOWN, buff=0.25)).arrange(DOWN, buff=0.4), align=UP)
        self.say("bmm refuses. The error torch raised:")
        self.play(FadeIn(err, shift=UP * 0.2))
        self.say("Fold the leading dims into one batch of {n} and bmm works: largest difference {d}.",
                 n=b.dim("A4_flat", 0), d=b.value("diff_4d", (), 2, "g"))
        self.play(FadeIn(flat), FadeIn(diff), run_time=0.8)
        self.clear_stage()

    def shared_weight(self) -> None:
        self.beat("Broadcasting: one weight for the whole batch")
        b = self.b
        self.weight_stage()
        A, W, Y = self.front
        self.say("One weight W ({N}, {P}) for all {B} items of A: matmul broadcasts it over the batch.",
                 N=b.dim("W", 0), P=b.dim("W", 1), B=b.dim("A", 0))
        self.play(FadeIn(self.call), FadeIn(self.stacks[0]), FadeIn(self.stacks[2]), FadeIn(A), FadeIn(W),
                  FadeIn(self.names[:2]), FadeIn(self.shapes[:2]), FadeIn(self.row[1]), run_time=1.0)
        self.play(FadeIn(self.row[3]), FadeIn(self.stacks[1]), FadeIn(self.names[2]), FadeIn(self.shapes[2]),
                  Create(Y.brackets), LaggedStart(*(FadeIn(n) for n in Y.entries), lag_ratio=0.04), run_time=1.1)
        err = self.error_line("torch.bmm(A, W)", "err_weight")
        view = VGroup(self.shape("W_expanded", "B, N, P", CODE),
                      self.prose(", batch stride {st}: a view, no copy", CODE, style.MUTED,
                                 st=b.value("expand_stride", (), 0))).arrange(RIGHT, buff=0.04)
        fix = yields(style.note("`W.expand(B, N, P)`", size=CODE), view)
        diff = self.diff_line("diff_w", "$\"bmm\"(A, W.\"expand\"(B, N, P))$ vs $\"matmul\"(A, W)$: max difference")
        BELOW.place(VGroup(err, fix, diff).arrange(DOWN, buff=0.3, aligned_edge=LEFT), align=UP)
        self.say("bmm wants rank {r} on both sides and refuses the rank-{w} weight:",
                 r=b.value("rank_A", (), 0), w=b.value("rank_W", (), 0))
        self.play(FadeIn(err, shift=UP * 0.2))
        self.say("bmm needs W expanded to ({B}, {N}, {P}): a view with batch stride {s}, no copy. Same result.",
                 B=b.dim("W_expanded", 0), N=b.dim("W_expanded", 1), P=b.dim("W_expanded", 2),
                 s=b.value("expand_stride", (), 0))
        self.play(FadeIn(self.ghosts), FadeIn(fix), run_time=0.8)
        self.play(FadeIn(diff))
        self.clear_stage()

    def leading_broadcast(self) -> None:
        self.beat("Broadcasting the leading dimensions")
        b = self.b
        self.shape_table()
        self.say("Shapes align from the right: size {one} stretches to {Y}, a missing dim to {X}.",
                 one=b.dim("A_lead", 1), Y=b.dim("B_lead", 0), X=b.dim("A_lead", 0))
        self.play(LaggedStart(*(FadeIn(r) for r in self.table), lag_ratio=0.4), run_time=1.4)
        self.play(Create(self.boxes), FadeIn(self.heads), run_time=0.8)
        err = self.error_line("torch.bmm(A, B)", "err_lead")
        listing = self.listing(bmm_broadcast, CODE - 2)
        diff = self.diff_line("diff_lead", "max $|\"bmm_broadcast\"(A, B) - \"matmul\"(A, B)|$")
        UNDER_TABLE.place(VGroup(err, listing, diff).arrange(DOWN, buff=0.3), align=UP)
        self.say("bmm refuses again. With bmm, spell out what matmul does: expand, fold, multiply, view back.")
        self.play(FadeIn(err, shift=UP * 0.2))
        self.play(FadeIn(listing), run_time=0.8)
        self.say("Same numbers as matmul: largest difference {d}.", d=b.value("diff_lead", (), 2, "g"))
        self.play(FadeIn(diff))
        self.clear_stage()

    def attention(self) -> None:
        self.beat("Attention: d2l uses bmm, the Annotated Transformer matmul")
        b, cfg = self.b, self.result.config
        bi, hi = cfg.att_batch - 1, cfg.att_heads - 1
        flat = bi * cfg.att_heads + hi  # where d2l's folded batch keeps batch bi, head hi
        self.score_stage(flat, bi, hi)
        self.say("d2l's DotProductAttention folds the heads into the batch, ({BH}, {L}, {d}), and calls bmm.",
                 BH=b.dim("Q_flat", 0), L=b.dim("Q_flat", 1), d=b.dim("Q_flat", 2))
        bar = self.show_scores(0)
        self.say("The Annotated Transformer keeps a head dimension, ({B}, {H}, {L}, {d}), and calls matmul.",
                 B=b.dim("Q", 0), H=b.dim("Q", 1), L=b.dim("Q", 2), d=b.dim("Q", 3))
        self.play(FadeOut(bar), run_time=0.3)
        bar = self.show_scores(1)
        diff = self.diff_line("diff_att", "over all heads: max $|S_\"d2l\".\"view\"(B, H, L, L) - S_\"ann\"|$")
        SCORE_NOTE.place(diff, align=UP)
        self.say("Same Q and K, same scores: d2l's item {f} is batch {bi}, head {hi}. Largest difference: {d}.",
                 f=b.index("S_d2l", 0, flat, base=0), bi=b.index("S_ann", 0, bi, base=0),
                 hi=b.index("S_ann", 1, hi, base=0), d=b.value("diff_att", (), 2, "g"))
        self.play(FadeOut(bar), FadeIn(diff, shift=UP * 0.2))
        self.clear_stage()

    def show_scores(self, k: int) -> Mobject:
        """Bring in codebase k's shape and code, its multiplying line lit, then its scores; return the bar."""
        label, m = self.rights[k]
        bar = self.code_line_box(self.listings[k], SCORE_LINE)
        self.play(FadeIn(self.lefts[k]), run_time=0.8)
        self.play(FadeIn(bar), FadeIn(label), Create(m.brackets), FadeIn(m.entries), run_time=0.8)
        return bar
