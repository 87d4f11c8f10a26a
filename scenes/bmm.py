"""Lecture `bmm`: torch.bmm and torch.matmul agree on batches of matrices; only matmul broadcasts."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Mobject,
    Rectangle,
    VGroup,
)

from scenes.kit import style
from scenes.kit.binding import Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, stack_shadows
from tensors.bmm import annotated_scores, bmm_broadcast, d2l_scores

COLOR = {"A": style.ROLE["E"], "B": style.ROLE["W"], "C": style.ROLE["Q"], "M": style.ROLE["V"], "W": style.ROLE["K"]}
ERROR = "#ff7b72"
OK = "#7ee787"
CODE = style.CODE_SIZE
UNIT_CELL = (0.74, style.CELL_H)  # entries of torch.rand and their short sums: no minus sign, four characters
ITEMS = (("A", "A"), ("B", "B"), ("C_bmm", "C"))  # (tensor, label and colour) of the batch-item row
ARROW = "#h(0.3em) → #h(0.3em)"


def painted(color: str, content: str) -> str:
    """Return Typst markup that draws content in a colour."""
    return f'#text(fill: rgb("{color}"))[{content}]'


class BmmLecture(LectureScene):
    """What the FAQ says about bmm versus matmul, with every number from torch."""

    beats = ("batch_items", "same_numbers", "rank_four", "shared_weight", "leading_broadcast", "attention", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def shape_spec(self, name: str, letters: str) -> tuple[str, dict[str, Source]]:
        """Return the template '$(B, M, N)$ = ({s0}, {s1}, {s2})' and its fields, bound to a tensor's shape."""
        n = len(letters.split(","))
        fields = {f"s{i}": self.b.dim(name, i) for i in range(n)}
        return f"$({letters})$ = ({', '.join('{s%d}' % i for i in range(n))})", fields

    def shape(self, name: str, letters: str, size: float = style.NOTE_SIZE) -> Mobject:
        """Return '$(B, M, N)$ = (10, 3, 4)' for a tensor, sizes bound to its shape."""
        template, fields = self.shape_spec(name, letters)
        return self.b.text(template, font_size=size, **fields).set_color(style.MUTED)

    def line(self, template: str, size: float = CODE, **fields: Source) -> Mobject:
        """Return one bound Typst line in the text colour; parts wrapped by painted() keep their colour."""
        return self.b.text(f'#set text(fill: rgb("{style.TEXT}"))\n' + template, font_size=size, **fields)

    def exact(self, name: str) -> bool:
        """Return whether torch measured a difference of exactly zero."""
        return float(self.b.tensors[name]) == 0.0

    def diff_line(self, name: str, template: str) -> Mobject:
        """Return a line stating a largest difference torch measured, green when it is exactly zero."""
        line = self.b.text(template + " = {d}", d=self.b.value(name, (), 2, "g"), font_size=style.LABEL_SIZE)
        return line.set_color(OK if self.exact(name) else style.TEXT)

    def code_line(self, text: str, color: str = style.TEXT, size: float = CODE) -> Mobject:
        """Return one line of inline code (no digits: those go through the binding)."""
        return style.note(f"`{text}`", size=size, color=color)

    def error_line(self, call: str, err: str) -> Mobject:
        """Return '`call` → RuntimeError: ...' with torch's message captured at build time."""
        return self.line(f"`{call}` {ARROW} " + painted(ERROR, "{e}"), e=self.b.string(err))

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
        return self.b.text(f"{name}[{{i}}]", math=True, font_size=style.LABEL_SIZE,
                           i=self.b.index(tensor, 0, i, base=0)).set_color(color)

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
    def place(self, stage: VGroup, top: float, height: float, width: float = 13.2) -> VGroup:
        """Shrink a stage to fit width x height, centre it and hang it from y = top."""
        style.fit(stage, width=width, height=height)
        return stage.move_to([0, top - stage.height / 2, 0])

    def item_stage(self) -> VGroup:
        """Lay out 'A[0] × B[0] = C[0]' with stacks behind, names above, shapes below and the call on top."""
        first = [TensorMatrix(self.b, n, (0,), color=COLOR[k], cell=UNIT_CELL) for n, k in ITEMS]
        row = self.product_row((first[0], first[1], first[2]), (self.ext, self.ext))
        self.stacks = VGroup(*(self.stack(m) for m in first))
        self.names = VGroup(*(self.item_label(k, n, 0, COLOR[k]) for n, k in ITEMS))
        self.shapes = VGroup(self.shape("A", "B, M, N"), self.shape("B", "B, N, P"), self.shape("C_bmm", "B, M, P"))
        for lab, s, m in zip(self.names, self.shapes, first):
            m.label(lab, buff=0.2 + self.ext)
            s.next_to(m, DOWN, buff=0.25)
        self.call = self.code_line("C = torch.bmm(A, B)").next_to(VGroup(self.names, self.stacks), UP, buff=0.35)
        self.front = first
        stage = VGroup(self.call, row, self.stacks, self.names, self.shapes)
        return self.place(stage, top=style.TOP - 0.35, height=3.6)

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
        self.call = self.code_line("torch.matmul(A, B)").next_to(self.names, UP, buff=0.35)
        stage = VGroup(self.call, self.grid_row, self.names, self.shapes)
        return self.place(stage, top=style.TOP - 0.25, height=3.6)

    def weight_stage(self) -> VGroup:
        """Lay out 'A[0] × W = Y[0]': A and Y with stacks behind, W alone, and W's expand ghosts (not shown yet)."""
        b = self.b
        self.front = [TensorMatrix(b, "A", (0,), color=COLOR["A"], cell=UNIT_CELL),
                      TensorMatrix(b, "W", color=COLOR["W"], cell=UNIT_CELL),
                      TensorMatrix(b, "Y_matmul", (0,), color=COLOR["C"], cell=UNIT_CELL)]
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
        self.call = self.code_line("Y = torch.matmul(A, W)").next_to(VGroup(self.names, self.stacks), UP, buff=0.3)
        self.ghosts = stack_shadows(W, self.depth).set_color(COLOR["W"]).set_z_index(-2)
        stage = VGroup(self.call, self.row, self.stacks, self.names, self.shapes, self.ghosts)
        return self.place(stage, top=style.TOP - 0.25, height=3.6)

    def shape_table(self) -> VGroup:
        """Return the shapes of A, B and matmul(A, B) aligned from the right, batch and matrix dims boxed."""
        b = self.b
        rows = (("A", "A_lead", COLOR["A"]), ("B", "B_lead", COLOR["B"]), ("matmul(A, B)", "C_lead", COLOR["C"]))
        self.table = VGroup()
        col_w, row_h = 0.8, 0.52
        for r, (label, name, color) in enumerate(rows):
            rank = b.tensors[name].dim()
            lab = self.code_line(label, color=color)
            cells = VGroup(lab.move_to([-0.45 - lab.width / 2, -r * row_h, 0]))
            for k in range(rank):
                col = 4 - rank + k  # right-aligned: the matrix dims always sit in columns 2 and 3
                num = b.text("{d}", d=b.dim(name, k), font_size=style.LABEL_SIZE)
                cells.add(num.set_color(style.MUTED if col >= 2 else color).move_to([col * col_w, -r * row_h, 0]))
            self.table.add(cells)
        lead = Rectangle(width=2 * col_w, height=3 * row_h, stroke_color=COLOR["C"], stroke_width=2)
        mats = Rectangle(width=2 * col_w, height=3 * row_h, stroke_color=style.MUTED, stroke_width=2)
        self.boxes = VGroup(lead.move_to([col_w / 2, -row_h, 0]), mats.move_to([2.5 * col_w, -row_h, 0]))
        self.heads = VGroup(style.note("batch dims: broadcast", size=CODE - 2, color=COLOR["C"]),
                            style.note("matrix dims", size=CODE - 2, color=style.MUTED))
        self.heads[0].next_to(lead, UP, buff=0.12).align_to(lead, RIGHT).shift(LEFT * 0.2)
        self.heads[1].next_to(mats, UP, buff=0.12).align_to(mats, LEFT).shift(RIGHT * 0.2)
        return VGroup(self.table, self.boxes, self.heads).move_to([0, 2.1, 0])

    def score_stage(self, flat: int, bi: int, hi: int) -> VGroup:
        """Lay out each codebase's query shape and score function (left) beside the scores it gives (right)."""
        b = self.b
        self.lefts, self.rights = [], []
        for func, name, idx, key, letters, who, color in (
            (d2l_scores, "S_d2l", (flat,), "Q_flat", "B dot H, L, d", "d2l", COLOR["C"]),
            (annotated_scores, "S_ann", (bi, hi), "Q", "B, H, L, d", "Annotated Transformer", COLOR["M"]),
        ):
            template, fields = self.shape_spec(key, letters)
            head = self.line(painted(style.MUTED, f"*{who}* queries: " + template), size=CODE - 2, **fields)
            code = b.code(func, font_size=CODE - 2)
            self.lefts.append(VGroup(head, code).arrange(DOWN, aligned_edge=LEFT, buff=0.15))
            at = {f"i{k}": b.index(name, k, j, base=0) for k, j in enumerate(idx)}
            inside = ", ".join("{i%d}" % k for k in range(len(idx)))
            label = b.text(f"`{name}[`{inside}`]`", font_size=CODE, **at).set_color(color)
            self.rights.append(VGroup(label, TensorMatrix(b, name, idx, color=color)).arrange(DOWN, buff=0.15))
        for r, l in zip(self.rights, self.lefts):
            r.next_to(l, RIGHT, buff=0.7)
        rows = VGroup(*(VGroup(l, r) for l, r in zip(self.lefts, self.rights)))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.5)
        x = max(l.get_right()[0] for l in self.lefts) + 0.7 + max(r.width for r in self.rights) / 2
        for r in self.rights:
            r.set_x(x)  # one column of scores, whatever the code widths
        return self.place(rows, top=style.TOP - 0.25, height=5.4)

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
        new = [TensorMatrix(self.b, n, (i,), color=COLOR[k], cell=UNIT_CELL) for n, k in ITEMS]
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
        Cm = TensorMatrix(b, "C_matmul", (i,), color=COLOR["M"], cell=UNIT_CELL)
        Cm.scale(C.width / Cm.width).next_to(self.shapes[2], DOWN, buff=0.45).set_x(C.get_x())
        name = b.text("`torch.matmul(A, B)[`{i}`]`", font_size=CODE, i=b.index("C_matmul", 0, i, base=0))
        name.set_color(COLOR["M"]).next_to(Cm, LEFT, buff=0.4)
        diff = self.diff_line("diff_3d", "largest difference over all entries: max $|C_\"bmm\" - C_\"matmul\"|$")
        style.fit(diff).next_to(Cm, DOWN, buff=0.45).set_x(0)
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
        stage = self.tile_stage()
        self.say("Rank {r}: matmul treats the last two dims as matrices and loops over the leading {X} × {Y} grid.",
                 r=b.value("rank_A4", (), 0), X=b.dim("A4", 0), Y=b.dim("A4", 1))
        self.play(FadeIn(self.call), FadeIn(self.grid_row[:3]), FadeIn(self.names[:2]), FadeIn(self.shapes[:2]),
                  run_time=0.9)
        self.play(FadeIn(self.grid_row[3]), FadeIn(self.names[2]), FadeIn(self.shapes[2]),
                  LaggedStart(*(FadeIn(t) for t in self.grids[2]), lag_ratio=0.15), run_time=1.2)
        err = self.error_line("torch.bmm(A, B)", "err_rank4")
        style.fit(err).next_to(stage, DOWN, buff=0.6)
        self.say("bmm refuses. The error torch raised:")
        self.play(FadeIn(err, shift=UP * 0.2))
        template, fields = self.shape_spec("A4_flat", "X dot Y, M, N")
        flat = self.line(f"`A.reshape(X * Y, M, N)` {ARROW} " + painted(style.MUTED, template), **fields)
        diff = self.diff_line("diff_4d", "after that reshape: max $|\"bmm\" - \"matmul\"|$")
        VGroup(flat, diff).arrange(DOWN, buff=0.25).next_to(err, DOWN, buff=0.4)
        self.say("Fold the leading dims into one batch of {n} and bmm works: largest difference {d}.",
                 n=b.dim("A4_flat", 0), d=b.value("diff_4d", (), 2, "g"))
        self.play(FadeIn(flat), FadeIn(diff), run_time=0.8)
        self.clear_stage()

    def shared_weight(self) -> None:
        self.beat("Broadcasting: one weight for the whole batch")
        b = self.b
        stage = self.weight_stage()
        A, W, Y = self.front
        self.say("One weight W ({N}, {P}) for all {B} items of A: matmul broadcasts it over the batch.",
                 N=b.dim("W", 0), P=b.dim("W", 1), B=b.dim("A", 0))
        self.play(FadeIn(self.call), FadeIn(self.stacks[0]), FadeIn(self.stacks[2]), FadeIn(A), FadeIn(W),
                  FadeIn(self.names[:2]), FadeIn(self.shapes[:2]), FadeIn(self.row[1]), run_time=1.0)
        self.play(FadeIn(self.row[3]), FadeIn(self.stacks[1]), FadeIn(self.names[2]), FadeIn(self.shapes[2]),
                  Create(Y.brackets), LaggedStart(*(FadeIn(n) for n in Y.entries), lag_ratio=0.04), run_time=1.1)
        err = self.error_line("torch.bmm(A, W)", "err_weight")
        template, fields = self.shape_spec("W_expanded", "B, N, P")
        note = painted(style.MUTED, template + ", batch stride {st}: a view, no copy")
        fix = self.line(f"`W.expand(B, N, P)` {ARROW} " + note, st=b.value("expand_stride", (), 0), **fields)
        diff = self.diff_line("diff_w", "$\"bmm\"(A, W.\"expand\"(B, N, P))$ vs $\"matmul\"(A, W)$: max difference")
        lines = VGroup(err, fix, diff).arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        style.fit(lines, width=13.0).next_to(stage, DOWN, buff=0.4).set_x(0)
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
        stage = self.shape_table()
        self.say("Shapes align from the right: size {one} stretches to {Y}, a missing dim to {X}.",
                 one=b.dim("A_lead", 1), Y=b.dim("B_lead", 0), X=b.dim("A_lead", 0))
        self.play(LaggedStart(*(FadeIn(r) for r in self.table), lag_ratio=0.4), run_time=1.4)
        self.play(Create(self.boxes), FadeIn(self.heads), run_time=0.8)
        err = self.error_line("torch.bmm(A, B)", "err_lead")
        code = b.code(bmm_broadcast, font_size=CODE - 2)
        diff = self.diff_line("diff_lead", "max $|\"bmm_broadcast\"(A, B) - \"matmul\"(A, B)|$")
        lines = VGroup(err, code, diff).arrange(DOWN, buff=0.3)
        style.fit(lines, width=13.2).next_to(stage, DOWN, buff=0.45).set_x(0)
        self.say("bmm refuses again. With bmm, spell out what matmul does: expand, fold, multiply, view back.")
        self.play(FadeIn(err, shift=UP * 0.2))
        self.play(FadeIn(code), run_time=0.8)
        self.say("Same numbers as matmul: largest difference {d}.", d=b.value("diff_lead", (), 2, "g"))
        self.play(FadeIn(diff))
        self.clear_stage()

    def attention(self) -> None:
        self.beat("Attention: d2l uses bmm, the Annotated Transformer matmul")
        b, cfg = self.b, self.result.config
        bi, hi = cfg.att_batch - 1, cfg.att_heads - 1
        flat = bi * cfg.att_heads + hi  # where d2l's folded batch keeps batch bi, head hi
        stage = self.score_stage(flat, bi, hi)
        self.say("d2l's DotProductAttention folds the heads into the batch, ({BH}, {L}, {d}), and calls bmm.",
                 BH=b.dim("Q_flat", 0), L=b.dim("Q_flat", 1), d=b.dim("Q_flat", 2))
        self.show_scores(0)
        self.say("The Annotated Transformer keeps a head dimension, ({B}, {H}, {L}, {d}), and calls matmul.",
                 B=b.dim("Q", 0), H=b.dim("Q", 1), L=b.dim("Q", 2), d=b.dim("Q", 3))
        self.show_scores(1)
        diff = self.diff_line("diff_att", "over all heads: max $|S_\"d2l\".\"view\"(B, H, L, L) - S_\"ann\"|$")
        style.fit(diff).next_to(stage, DOWN, buff=0.3).set_x(0)
        self.say("Same Q and K, same scores: d2l's item {f} is batch {bi}, head {hi}. Largest difference: {d}.",
                 f=b.index("S_d2l", 0, flat, base=0), bi=b.index("S_ann", 0, bi, base=0),
                 hi=b.index("S_ann", 1, hi, base=0), d=b.value("diff_att", (), 2, "g"))
        self.play(FadeIn(diff, shift=UP * 0.2))
        self.clear_stage()

    def show_scores(self, k: int) -> None:
        """Bring in codebase k's shape and code, then the scores it computes."""
        label, m = self.rights[k]
        self.play(FadeIn(self.lefts[k]), run_time=0.8)
        self.play(FadeIn(label), Create(m.brackets), FadeIn(m.entries), run_time=0.8)

    def recap(self) -> None:
        self.beat("Recap")
        lines = style.note(
            "#set par(spacing: 1.9em)\n"
            "• `bmm`: exactly $(B, M, N)$ times $(B, N, P)$, the same $B$ on both sides.\n\n"
            "• `matmul`: the last two dims are matrices; every leading dim broadcasts.\n\n"
            "• On such plain batches of matrices, both give the same numbers.\n\n"
            "• To use `bmm` elsewhere: `expand`, then `reshape` the batch dims into one.",
            size=style.LABEL_SIZE,
        )
        style.fit(lines, width=13.0)
        self.say("bmm is the strict special case; matmul is the general one.")
        self.play(FadeIn(lines, shift=RIGHT * 0.2, lag_ratio=0.01), run_time=2.2)
        self.wait(0.5)  # the base class then holds the last caption until it has been read
