"""Lecture `heads`: W^q is one matrix; its column bands are the per-head W^q_h."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Line,
    Rectangle,
    Transform,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import glyph_box, pixel_box, stack_shadows
from scenes.kit.plot import colour_legend, heatmap_with_notes
from tensors.heads import split_heads

BOX_BUFF = 0.05  # highlight boxes keep clear of the brackets beside the outer columns
MAIN, FOOT = style.STAGE.rows(6.0, 0.6)  # the matrices, and the dot product or the verdict under them


class HeadsLecture(LectureScene):
    """How W^q_h is implemented in practice: project once, then split into heads."""

    question = "How is $W^q_h$ implemented in practice?"
    question_details = ("The paper writes one weight per head. The code keeps one matrix.",)
    question_caption = ("The paper gives every head h its own query weight W^q_h. Code written from it keeps a single"
                        " matrix. Here is why both describe the same numbers.")
    recap_lines = (
        "One matrix $W^q$ projects $E$ for all heads: $Q = E W^q$.",
        "A view and a transpose cut $Q$ into heads of size $d_q$.",
        "Head $h$ uses only the $h$-th column band, the paper's $W^q_h$.",
        "The two ways agree up to float32 rounding.",
    )
    recap_caption = "One projection, one reshape: the per-head weights of the paper are column bands of a single matrix."
    beats = ("intro", "show_inputs", "project", "bands", "split", "paper", "blocks", "real_scale", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def H(self) -> int:
        return int(self.result.config.heads)

    @property
    def dq(self) -> int:
        return int(self.result.config.d_q)

    def head_label(self, h: int, template: str = "W^q_{h}", size: float = style.LABEL_SIZE) -> VGroup:
        """Return a maths label naming head h (shown 1-based, as in the paper)."""
        return self.math(template, size, style.head_color(h), h=self.b.index("W_q_heads", 0, h))

    # -- beats --------------------------------------------------------------------------------
    def setup_matrices(self) -> None:
        """Build E, W^q and Q and lay them out as a matrix product."""
        self.W = self.matrix("W_q", color=style.ROLE["W"])
        self.Q = self.matrix("Q", (0,), color=style.ROLE["Q"])
        self.E = self.matrix("E", (0,), color=style.ROLE["E"])
        self.Q.next_to(self.W, DOWN, buff=0.75)
        self.E.next_to(self.Q, LEFT, buff=0.9)
        self.W_name = self.math("W^q", style.LABEL_SIZE, style.ROLE["W"])
        self.Q_name = self.math("Q = E W^q", style.LABEL_SIZE, style.ROLE["Q"])
        self.E_name = self.math("E", style.LABEL_SIZE, style.ROLE["E"])
        self.W_shape = self.shape("W_q", "D, H dot d_q")
        self.Q_shape = self.shape("Q", "B, L, H dot d_q")
        self.E_shape = self.shape("E", "B, L, D")
        VGroup(self.W_name, self.W_shape).arrange(RIGHT, buff=0.3).next_to(self.W, LEFT, buff=0.3)
        VGroup(self.Q_name, self.Q_shape).arrange(RIGHT, buff=0.3).next_to(self.Q, DOWN, buff=0.15)
        VGroup(self.E_name, self.E_shape).arrange(RIGHT, buff=0.3).next_to(self.E, DOWN, buff=0.15)
        self.shadows = stack_shadows(self.E, min(self.result.config.batch - 1, 3))
        MAIN.place(VGroup(self.W, self.Q, self.E, self.W_name, self.W_shape, self.Q_name, self.Q_shape,
                          self.E_name, self.E_shape, self.shadows))

    def show_inputs(self) -> None:
        self.beat("Embeddings and the query weight")
        self.setup_matrices()
        b = self.b
        self.say(
            "E holds {L} token embeddings of size D = {D}. W^q maps them to all {H} heads at once: D rows, H times d_q columns.",
            L=b.dim("E", 1), D=b.dim("E", 2), H=b.dim("Q_heads", 1),
        )
        self.play(FadeIn(self.shadows), Create(self.E.brackets), FadeIn(self.E.entries, lag_ratio=0.02),
                  FadeIn(self.E_name), FadeIn(self.E_shape))
        self.play(Create(self.W.brackets), FadeIn(self.W.entries, lag_ratio=0.02), FadeIn(self.W_name),
                  FadeIn(self.W_shape))
        convention = self.prose(
            "PyTorch's `nn.Linear` stores `weight` as (out, in) = ({o}, {i}). \\\n"
            "The paper writes $Q = E W^q$, so $W^q$ = `weight.T`.",
            style.NOTE_SIZE - 2, style.MUTED, o=b.dim("weight", 0), i=b.dim("weight", 1),
        )
        convention.next_to(self.E, UP, buff=0.5).align_to(self.E, LEFT)
        style.fit(convention, width=self.W.get_left()[0] - self.E.get_left()[0] - 0.3)
        self.convention = convention
        self.say(
            "PyTorch keeps the weight as (out, in), so this lecture shows its transpose: Q = E W^q is F.linear(E, weight)."
        )
        self.play(FadeIn(convention))
        self.wait(2.5)

    def project(self) -> None:
        self.beat("One projection for every head")
        E, W, Q = self.E, self.W, self.Q
        self.play(Create(Q.brackets), FadeIn(self.Q_name), FadeIn(self.Q_shape))
        self.say("Each entry of Q is a row of E times a column of W^q. Shown rounded to two decimals; torch keeps full float32.")
        row_box = E.box(rows=(0, 1), color=style.ROLE["E"], buff=BOX_BUFF)
        col_box = W.box(cols=(0, 1), color=style.ROLE["W"], buff=BOX_BUFF)
        self.play(Create(row_box), Create(col_box))
        line = self.dot_line(0, 0)
        w_column = VGroup(*(W.entry(k, 0) for k in range(W.n_rows)))
        self.play(TransformFromCopy(E.row(0), line.e), TransformFromCopy(w_column, line.w), FadeIn(line.symbols),
                  run_time=1.5)
        self.play(FadeIn(line.q))
        self.play(TransformFromCopy(line.q, Q.entry(0, 0)))
        self.wait(1)
        for j in range(1, Q.n_cols):
            new = self.dot_line(0, j)
            fast = j > 1
            # columns differ in width, so the box, the row and the symbols take the new column's and line's shape
            self.play(Transform(col_box, W.box(cols=(j, j + 1), color=style.ROLE["W"], buff=BOX_BUFF)),
                      FadeOut(line.w), FadeOut(line.q),
                      line.e.animate.move_to(new.e), Transform(line.symbols, new.symbols),
                      FadeIn(new.w), FadeIn(new.q), run_time=0.45 if fast else 0.8)
            line.w, line.q = new.w, new.q
            self.play(TransformFromCopy(new.q, Q.entry(0, j)), run_time=0.35 if fast else 0.6)
        line = VGroup(line.e, line.symbols, line.w, line.q)
        self.play(FadeOut(line), FadeOut(col_box))
        self.say("The other rows follow the same way: one matrix product fills Q for all heads together.")
        for i in range(1, Q.n_rows):
            self.play(Transform(row_box, E.box(rows=(i, i + 1), color=style.ROLE["E"], buff=BOX_BUFF)), run_time=0.35)
            self.play(LaggedStart(*(FadeIn(n, shift=DOWN * 0.1) for n in Q.row(i)), lag_ratio=0.12), run_time=0.7)
        self.play(FadeOut(row_box))
        self.wait(0.5)

    def dot_line(self, i: int, j: int) -> VGroup:
        """Return '(E row i) · (W^q column j) = Q[i, j]' built from bound numbers; parts as attributes."""
        b = self.b
        size = style.NUMBER_SIZE - 2
        e = VGroup(*(b.number(b.value("E", (0, i, k)), size, color=style.ROLE["E"]) for k in range(self.E.n_cols)))
        w = VGroup(*(b.number(b.value("W_q", (k, j)), size, color=style.ROLE["W"]) for k in range(self.W.n_rows)))
        q = b.number(b.value("Q", (0, i, j)), size, color=style.ROLE["Q"])
        e.arrange(RIGHT, buff=0.22)
        w.arrange(RIGHT, buff=0.22)
        lp1, rp1, dot, lp2, rp2, eq = (style.note(f"${c}$") for c in ("(", ")", "dot", "(", ")", "="))
        line = VGroup(lp1, e, rp1, dot, lp2, w, rp2, eq, q).arrange(RIGHT, buff=0.12)
        FOOT.place(line)
        line.e, line.w, line.q = e, w, q
        line.symbols = VGroup(lp1, rp1, dot, lp2, rp2, eq)
        return line

    def bands(self) -> None:
        self.beat("Column bands are the heads")
        b, W, Q = self.b, self.W, self.Q
        self.say(
            "Cut W^q into {H} bands of d_q = {d} columns. Band h is the paper's W^q_h, and it writes columns of Q that belong to head h only.",
            H=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3),
        )
        boxes, labels, anims = VGroup(), VGroup(), []
        for h in range(self.H):
            cols = (h * self.dq, (h + 1) * self.dq)
            color = style.head_color(h)
            boxes.add(W.box(cols=cols, color=color, buff=BOX_BUFF), Q.box(cols=cols, color=color, buff=BOX_BUFF))
            labels.add(self.head_label(h, size=style.NOTE_SIZE).next_to(boxes[-2], UP, buff=0.08))
            anims += [W.column_band(*cols).animate.set_color(color), Q.column_band(*cols).animate.set_color(color)]
        self.play(*anims, Create(boxes), FadeIn(labels), run_time=1.2)
        self.band_boxes, self.band_labels = boxes, labels
        self.wait(2.5)

    def split(self) -> None:
        self.beat("Reshape: view, then transpose")
        Q = self.Q
        self.play(*(FadeOut(m) for m in [self.E, self.E_name, self.E_shape, self.shadows, self.W, self.W_name,
                                           self.W_shape, self.band_boxes, self.band_labels, self.convention,
                                           self.Q_name, self.Q_shape]), run_time=0.6)
        code = self.listing(split_heads)
        code_area, work = style.STAGE.rows(1.3, 4.6, gap=0.6)
        code_area.place(code)
        probe = Q.copy()  # a layout probe only: never shown
        heads = VGroup(*(self.matrix("Q_heads", (0, h), color=style.head_color(h)) for h in range(self.H)))
        heads.arrange(RIGHT, buff=0.55).next_to(probe, RIGHT, buff=1.3).align_to(probe, UP)
        names = VGroup(*(self.head_label(h, "Q_{h}", size=style.NOTE_SIZE).next_to(m, UP, buff=0.12)
                         for h, m in enumerate(heads)))
        after = self.shape("Q_heads", "B, H, L, d_q").next_to(heads, DOWN, buff=0.25)
        before = self.shape("Q", "B, L, H dot d_q").next_to(probe, DOWN, buff=0.25)
        work.place(VGroup(probe, heads, names, after, before), align=UP)
        arrow = Arrow(probe.get_right(), heads.get_left(), buff=0.15, color=style.MUTED, stroke_width=3)
        bar = self.code_line_box(code, 3)
        self.play(Q.animate.scale(probe.width / Q.width).move_to(probe), FadeIn(code))
        self.say("The code never builds W^q_h. It views Q as (B, L, H, d_q).")
        self.play(FadeIn(bar), FadeIn(before), Create(arrow))
        self.hold_caption()
        self.say("Then it swaps L and H, giving the tensor of shape (B, H, L, d_q): one slice per head.")
        self.play(Transform(bar, self.code_line_box(code, 4)), run_time=0.5)
        for h, m in enumerate(heads):
            band = Q.column_band(h * self.dq, (h + 1) * self.dq)
            self.play(TransformFromCopy(band, m.entries), Create(m.brackets), FadeIn(names[h]), run_time=0.9)
        self.play(FadeIn(after))
        self.wait(2)
        self.heads, self.head_names = heads, names
        self.play(*(FadeOut(m) for m in [code, bar, arrow, before, after, Q]), run_time=0.5)

    def paper(self) -> None:
        self.beat("The paper's way gives the same numbers")
        b = self.b
        shown = VGroup(self.heads, self.head_names)
        probe = shown.copy()  # a layout probe only: never shown
        heads = probe[0]
        paper = VGroup(*(self.matrix("Q_paper", (0, h), color=style.head_color(h)).match_width(heads[h])
                         .next_to(heads[h], DOWN, buff=1.0) for h in range(self.H)))
        left_top = style.note("slice of $Q$", color=style.MUTED).next_to(heads, LEFT, buff=0.6)
        left_bot = style.note("$E W^q_h$, one head at a time", color=style.MUTED).next_to(paper, LEFT, buff=0.6)
        labels = VGroup(*(self.head_label(h, "E W^q_{h}", size=style.NOTE_SIZE).next_to(paper[h], UP, buff=0.12)
                          for h in range(self.H)))
        body, foot = style.STAGE.rows(5.4, 1.0)
        body.place(VGroup(probe, paper, left_top, left_bot, labels))
        self.play(shown.animate.scale(probe.width / shown.width).move_to(probe))
        self.say("Approach two, the paper's notation: multiply E by each W^q_h separately. Compare with the slices of Q.")
        self.play(FadeIn(left_top), FadeIn(left_bot))
        self.play(LaggedStart(*(AnimationGroup(FadeIn(m), FadeIn(labels[h])) for h, m in enumerate(paper)), lag_ratio=0.4),
                  run_time=1.8)
        exact = float(b.tensors["max_abs_diff"]) == 0.0
        diff = self.prose("largest difference over all heads: max $|Q_h - E W^q_h|$ = {d}", style.LABEL_SIZE,
                          d=b.value("max_abs_diff", (), decimals=2, style="g"))
        verdict = style.note(
            "exactly zero: the same sums" if exact else
            "float32 rounding only: the same products, summed in another order",
            color=style.MUTED,
        )
        foot.place(VGroup(diff, verdict).arrange(DOWN, buff=0.15))
        if exact:
            self.say("torch reports a largest difference of exactly {d}.", d=b.value("max_abs_diff", (), 2, "g"))
        else:
            self.say(
                "torch reports a largest difference of {d}: float32 rounding from summing in another order, not a different result.",
                d=b.value("max_abs_diff", (), 2, "g"),
            )
        self.play(FadeIn(diff, shift=UP * 0.2))
        self.play(FadeIn(verdict))
        self.wait(3)
        self.clear_stage()

    def blocks(self) -> None:
        self.beat("The block view of the query weight")
        b = self.b
        W = self.matrix("W_q", color=style.ROLE["W"])
        n = self.H
        m = self.result.config.d_model // n
        grid = VGroup()
        for k in range(1, n):
            a, z = W.slot(0, W.n_rows, k * m, k * m)
            grid.add(Line(a, z, color=style.MUTED, stroke_width=2))
            a, z = W.slot(k * m, k * m, 0, W.n_cols)
            grid.add(Line(a, z, color=style.MUTED, stroke_width=2))
        schematic = VGroup()
        for i in range(n):
            for j in range(n):
                cell = Rectangle(width=1.15, height=0.75, stroke_color=style.head_color(j), stroke_width=2.5)
                lab = self.math("B_({i},{j})", i=b.index("blocks", 0, i), j=b.index("blocks", 1, j)).move_to(cell)
                schematic.add(VGroup(cell, lab))
        schematic.arrange_in_grid(n, n, buff=0)
        WW = VGroup(W, grid)
        stage = VGroup(WW, schematic).arrange(RIGHT, buff=1.6)
        size = self.prose("each block is $m times m$, with $m = D / H = {m}$", m=b.dim("blocks", 2))
        style.STAGE.place(VGroup(stage, size.next_to(stage, DOWN, buff=0.45)))
        self.say(
            "Group W^q into an {H} by {H} grid of blocks B_ij, each {m} by {m}. Head h owns the h-th column of blocks, from top to bottom.",
            H=b.dim("blocks", 0), m=b.dim("blocks", 2),
        )
        self.play(FadeIn(W), Create(grid), FadeIn(size))
        self.play(LaggedStart(*(FadeIn(s) for s in schematic), lag_ratio=0.08), run_time=1.5)
        for h in range(n):
            cols = (h * m, (h + 1) * m)
            band = W.box(cols=cols, color=style.head_color(h), buff=BOX_BUFF)
            hl = glyph_box([schematic[i * n + h] for i in range(n)], style.head_color(h), fill=0.15, buff=0.05)
            lab = self.head_label(h, size=style.NOTE_SIZE).next_to(hl, UP, buff=0.08)
            self.play(Create(band), FadeIn(hl), FadeIn(lab), W.column_band(*cols).animate.set_color(style.head_color(h)),
                      run_time=0.7)
            self.wait(0.6)
            self.play(FadeOut(band), FadeOut(hl), FadeOut(lab), run_time=0.4)
        self.wait(1)
        self.clear_stage()

    def real_scale(self) -> None:
        self.beat("At real scale")
        b = self.b
        heat = b.heatmap("W_big", "W_big_absmax", height=5.0)
        shape = tuple(b.tensors["W_big"].shape)
        n_big, d_big = int(b.tensors["W_big_heads"].shape[0]), int(b.tensors["W_big_heads"].shape[2])
        bands = VGroup(*(pixel_box(heat, shape, (0, shape[0]), (h * d_big, (h + 1) * d_big), style.head_color(h), 2)
                         for h in range(n_big)))
        labels = VGroup(*(self.prose("{h}", style.NOTE_SIZE - 4, style.head_color(h), h=b.index("W_big_heads", 0, h))
                          .next_to(band, UP, buff=0.08) for h, band in enumerate(bands)))
        info = VGroup(
            self.prose("$W^q$: {D} × {C}", style.LABEL_SIZE, D=b.dim("W_big", 0), C=b.dim("W_big", 1)),
            self.prose("{H} heads, {d} columns each", H=b.dim("W_big_heads", 0), d=b.dim("W_big_heads", 2)),
            style.note("one pixel per weight", color=style.MUTED),
        )
        bar = colour_legend(b, "colour_ramp", "W_big_absmax", decimals=3)
        heatmap_with_notes(Group(heat, bands, labels), info, bar)
        self.say(
            "A real size: D = {D} and H = {H}. Every pixel is one weight of W^q; each coloured band of {d} columns is one head's W^q_h.",
            D=b.dim("W_big", 0), H=b.dim("W_big_heads", 0), d=b.dim("W_big_heads", 2),
        )
        self.play(FadeIn(heat), FadeIn(info), FadeIn(bar))
        self.play(Create(bands), FadeIn(labels), run_time=1.2)
        self.wait(3)
        self.clear_stage()
