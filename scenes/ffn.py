"""Lecture `ffn`: the position-wise feed-forward network, its non-linearity and its size."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    RoundedRectangle,
    TransformFromCopy,
    VGroup,
)
from manim.mobject.types.vectorized_mobject import VectorizedPoint

from scenes.kit import style
from scenes.kit.binding import Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import label_rows, number_row
from scenes.kit.plot import Plane

RELU = "#ffa657"
GELU = "#a5a0ff"
OUT = style.ROLE["Q"]
ATTN = style.ROLE["V"]
ROW_CELL = 0.8  # width of one number in the rows of hidden units
PRODUCTS, VERDICT = style.STAGE.rows(5.6, 1.0)  # the row-by-row picture, and torch's difference under it


class FfnLecture(LectureScene):
    """What the feed-forward network does: the same two-layer map at every position, on its own."""

    beats = ("intro", "one_position", "every_position", "nonlinearity", "independence", "parameters", "recap")
    question = "What does the feed-forward network do?"
    question_details = ("applied to every position on its own, with the same weights",)
    question_caption = ("After attention, every transformer layer has a feed-forward network: two linear maps with a"
                        " non-linearity in between. In this small example D = {D}, and the hidden layer is wider:"
                        " d_ff = {F} units.")
    recap_lines = (
        "The FFN is two linear maps with ReLU (or GELU) between them.",
        "The same weights act on every position, one position at a time.",
        "Changing one input changes only that position's FFN output.",
        "Attention mixes positions; the FFN does not.",
        "The FFN holds more parameters than attention in the same layer.",
    )
    recap_caption = ("Attention decides what each position gathers; the feed-forward network transforms each gathered"
                     " vector on its own.")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def j(self) -> int:
        """The followed and changed position, 0-based."""
        return int(self.result.config.position) - 1

    def pos(self) -> Source:
        """Return the source of position j, shown 1-based."""
        return self.b.index("X", 0, self.j)

    def mute_zeros(self, row: VGroup) -> VGroup:
        """Grey out the entries of a row of ReLU(z) at position j that ReLU set to zero."""
        for k, num in enumerate(row):
            if float(self.b.tensors["H"][self.j, k]) == 0.0:
                num.set_color(style.MUTED)
        return row

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        b = self.b
        formula = self.math("\"FFN\"(x) = \"ReLU\"(x W_1 + b_1) W_2 + b_2", style.LABEL_SIZE + 4)
        shapes = self.prose(
            "$W_1$: $D times d_\"ff\"$ = {D} × {F}, #h(1em) $W_2$: $d_\"ff\" times D$ = {F2} × {D2}",
            style.LABEL_SIZE, style.MUTED, D=b.dim("W1", 0), F=b.dim("W1", 1), F2=b.dim("W2", 0), D2=b.dim("W2", 1),
        )
        self.ask(self.question_caption, self.question, formula, shapes, *self.question_details,
                 D=b.dim("W1", 0), F=b.dim("W1", 1))

    def one_position(self) -> None:
        self.beat("One position through the network")
        b, j = self.b, self.j
        X = self.matrix("X", color=style.ROLE["E"])
        X_name = X.label(self.math("X", color=style.ROLE["E"]), buff=0.25)
        x_lab = self.math("x_{j} =", j=self.pos(), color=style.ROLE["E"])
        x_row = number_row(b, "X", (j,), cell=ROW_CELL, color=style.ROLE["E"])
        z_lab = self.math("z = x_{j} W_1 + b_1", j=self.pos())
        z_row = number_row(b, "Z", (j,), cell=ROW_CELL)
        h_lab = self.math("h = \"ReLU\"(z)", color=RELU)
        h_row = self.mute_zeros(number_row(b, "H", (j,), cell=ROW_CELL, color=RELU))
        y_lab = self.math("y_{j} = h W_2 + b_2 =", j=self.pos(), color=OUT)
        y_row = number_row(b, "Y", (j,), cell=ROW_CELL, color=OUT)
        zh = VGroup(VGroup(z_lab, z_row).arrange(DOWN, aligned_edge=LEFT, buff=0.15),
                    VGroup(h_lab, h_row).arrange(DOWN, aligned_edge=LEFT, buff=0.15))
        zh.arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        top = VGroup(VGroup(X, X_name), VGroup(x_lab, x_row).arrange(RIGHT, buff=0.25)).arrange(RIGHT, buff=1.0)
        y_line = VGroup(y_lab, y_row).arrange(RIGHT, buff=0.25)
        style.STAGE.place(VGroup(top, zh, y_line).arrange(DOWN, buff=0.45))
        box = X.box(rows=(j, j + 1), color=style.ROLE["E"])
        self.say(
            "X holds {L} positions, each a vector of size {D}. Follow position {j} through the network.",
            L=b.dim("X", 0), D=b.dim("X", 1), j=self.pos(),
        )
        self.play(FadeIn(X), FadeIn(X_name))
        self.play(Create(box), FadeIn(x_lab), TransformFromCopy(X.row(j), x_row))
        self.wait(1.5)
        self.say("The first linear map widens the vector to d_ff = {F} pre-activations z.", F=b.dim("Z", 1))
        self.play(FadeIn(z_lab), LaggedStart(*(FadeIn(n, shift=DOWN * 0.1) for n in z_row), lag_ratio=0.05),
                  run_time=1.2)
        self.wait(1.5)
        self.say("ReLU keeps positive values and sets the other {n} to zero. This step is what makes the network non-linear.",
                 n=b.value("relu_zeros", (), decimals=0))
        self.play(FadeIn(h_lab), LaggedStart(*(FadeIn(n, shift=DOWN * 0.25) for n in h_row), lag_ratio=0.05),
                  run_time=1.2)
        self.wait(3)
        self.say("The second linear map brings the vector back to size {D}: the output at position {j}.",
                 D=b.dim("Y", 1), j=self.pos())
        self.play(FadeIn(y_lab), LaggedStart(*(FadeIn(n) for n in y_row), lag_ratio=0.15), run_time=1.0)
        self.wait(2)
        self.clear_stage()

    def every_position(self) -> None:
        self.beat("Same weights at every position")
        b = self.b
        X, rows, whole = (self.matrix(name, color=c) for name, c in (("X", style.ROLE["E"]), ("Y_rows", OUT), ("Y", OUT)))
        X_name = X.label(self.math("X", color=style.ROLE["E"]), buff=0.25)
        rows_name = rows.label(self.prose("one position at a time", color=OUT), buff=0.25)
        whole_name = whole.label(self.prose("$\"FFN\"(X)$, all positions at once", color=OUT), buff=0.25)
        net = VGroup(RoundedRectangle(corner_radius=0.12, width=1.4, height=0.8, color=style.ROLE["W"]),
                     style.note("FFN", color=style.ROLE["W"]))
        top = VGroup(VGroup(X, X_name), net, VGroup(rows, rows_name)).arrange(RIGHT, buff=0.8)
        VGroup(whole, whole_name).next_to(VGroup(rows, rows_name), DOWN, buff=0.6).align_to(rows, LEFT)
        arrows = VGroup(Arrow(X.get_right(), net.get_left(), buff=0.1, color=style.MUTED, stroke_width=3),
                        Arrow(net.get_right(), rows.get_left(), buff=0.1, color=style.MUTED, stroke_width=3))
        PRODUCTS.place(VGroup(top, whole, whole_name, arrows))
        self.say("The same W_1, b_1, W_2, b_2 are used at every position. Feed the {L} positions through one at a time.",
                 L=b.dim("X", 0))
        self.play(FadeIn(X), FadeIn(X_name), FadeIn(net), Create(arrows), Create(rows.brackets), FadeIn(rows_name))
        box = X.box(rows=(0, 1), color=style.ROLE["E"])
        self.play(Create(box), run_time=0.4)
        for i in range(X.n_rows):
            if i:
                self.play(box.animate.become(X.box(rows=(i, i + 1), color=style.ROLE["E"])), run_time=0.3)
            moving = X.row(i).copy()
            self.play(LaggedStart(moving.animate.move_to(net).scale(0.4).set_opacity(0),
                                  FadeIn(rows.row(i), shift=RIGHT * 0.4), lag_ratio=0.5), run_time=0.8)
            self.remove(moving)
        self.play(FadeOut(box), run_time=0.3)
        exact = float(b.tensors["row_diff"]) == 0.0
        diff = self.prose("largest difference: max $|Y_\"rows\" - \"FFN\"(X)|$ = {d}", style.LABEL_SIZE,
                          d=b.value("row_diff", (), style="g"))
        verdict = style.note(
            "exactly zero: the same sums" if exact else
            "float32 rounding only: the same products, summed in another order",
            color=style.MUTED,
        )
        VERDICT.place(VGroup(diff, verdict).arrange(DOWN, buff=0.15))
        self.say("Now the whole sequence in one matrix product. Row by row, it is the same result.")
        self.play(FadeIn(whole), FadeIn(whole_name))
        self.wait(2)
        if exact:
            self.say("torch finds a largest difference of exactly {d}.", d=b.value("row_diff", (), style="g"))
        else:
            self.say("torch finds a largest difference of {d}: float32 rounding, not a different result.",
                     d=b.value("row_diff", (), style="g"))
        self.play(FadeIn(diff, shift=UP * 0.2), FadeIn(verdict))
        self.wait(2.5)
        self.clear_stage()

    def nonlinearity(self) -> None:
        self.beat("ReLU and GELU on the same pre-activations")
        b, j = self.b, self.j
        zs = b.tensors["curve_z"]
        reach = float(zs[-1])
        low = float(b.tensors["curve_gelu"].min())
        plane = Plane(b, (-reach, reach), (low - 0.1 * reach, reach), width=7.0, height=3.4)
        n, units = len(zs), range(int(b.tensors["Z"].shape[1]))
        relu = plane.curve([b.value("curve_z", (i,)) for i in range(n)],
                           [b.value("curve_relu", (i,)) for i in range(n)], color=RELU)
        gelu = plane.curve([b.value("curve_z", (i,)) for i in range(n)],
                           [b.value("curve_gelu", (i,)) for i in range(n)], color=GELU)
        relu_dots = VGroup(*(plane.dot(b.value("Z", (j, k)), b.value("H", (j, k)), color=RELU) for k in units))
        gelu_dots = VGroup(*(plane.dot(b.value("Z", (j, k)), b.value("G", (j, k)), color=GELU, radius=0.05)
                             for k in units))
        plane.add(relu, gelu, relu_dots, gelu_dots)
        z_axis = style.note("$z$", color=style.MUTED).next_to(plane.to_screen(reach, 0), RIGHT, buff=0.1)
        names = VGroup(style.note("ReLU", color=RELU), style.note("GELU", color=GELU)).arrange(DOWN, aligned_edge=LEFT)
        names.next_to(plane.to_screen(-reach, reach), RIGHT, buff=0.2).shift(DOWN * 0.2)
        graph = VGroup(plane, z_axis, names)
        size = style.NUMBER_SIZE + 2
        labels = VGroup(self.math("z", size), self.math("\"ReLU\"(z)", size, RELU), self.math("\"GELU\"(z)", size, GELU))
        rows = VGroup(number_row(b, "Z", (j,), cell=ROW_CELL),
                      self.mute_zeros(number_row(b, "H", (j,), cell=ROW_CELL, color=RELU)),
                      number_row(b, "G", (j,), cell=ROW_CELL, color=GELU))
        rows.arrange(DOWN, buff=0.3)
        for lab, row in zip(labels, rows):
            lab.next_to(row, LEFT, buff=0.3)
        style.STAGE.place(VGroup(graph, VGroup(labels, rows)).arrange(DOWN, buff=0.45))
        self.say("The {F} pre-activations of position {j}, through two activations: ReLU and GELU.",
                 F=b.dim("Z", 1), j=self.pos())
        self.play(Create(plane.axes), FadeIn(z_axis), FadeIn(labels[0]), FadeIn(rows[0]))
        self.play(Create(relu), Create(gelu), FadeIn(names), run_time=1.2)
        self.play(FadeIn(relu_dots), FadeIn(gelu_dots), FadeIn(labels[1:]), FadeIn(rows[1], shift=DOWN * 0.2),
                  FadeIn(rows[2], shift=DOWN * 0.2), run_time=1.2)
        self.say("For large positive z both give back about z. ReLU cuts every negative z to zero; GELU bends smoothly and dips a little below zero.")
        self.wait(4.5)
        self.say("Without such a bend, the two linear maps would multiply into a single linear map, whatever d_ff is.")
        self.wait(4)
        self.clear_stage()

    def independence(self) -> None:
        self.beat("Change one position")
        b, j = self.b, self.j
        before, after = self.matrix("X", color=style.ROLE["E"]), self.matrix("X_new", color=style.ROLE["E"])
        dY, dA = self.matrix("dY", color=OUT), self.matrix("dA", color=ATTN)
        before_name = before.label(self.math("X", color=style.ROLE["E"]), buff=0.25)
        after_name = after.label(self.prose("$X$ with position {j} replaced", j=self.pos(), color=style.ROLE["E"]),
                                 buff=0.25)
        dY_name = dY.label(self.prose("change of the FFN output", color=OUT), buff=0.25)
        dA_name = dA.label(self.prose("change of the attention output", color=ATTN), buff=0.25)
        inputs = VGroup(VGroup(before, before_name), VGroup(after, after_name)).arrange(RIGHT, buff=1.6)
        changes = VGroup(VGroup(dY, dY_name), VGroup(dA, dA_name)).arrange(RIGHT, buff=2.4)
        VGroup(inputs, changes).arrange(DOWN, buff=0.7)
        cols = VGroup(*(label_rows(m, [b.number(b.value(name, (i,), 3, "g"), style.NUMBER_SIZE, color=c)
                                       for i in range(m.n_rows)], side=RIGHT, buff=0.45)
                        for name, m, c in (("dY_max", dY, OUT), ("dA_max", dA, ATTN))))
        heads = VGroup(*(self.math("max |Delta|", style.NOTE_SIZE - 2, style.MUTED).next_to(c, UP, buff=0.2)
                         .set_y(name.get_y()) for c, name in zip(cols, (dY_name, dA_name))))
        style.STAGE.place(VGroup(inputs, changes, cols, heads))
        boxes = VGroup(before.box(rows=(j, j + 1), color=style.ROLE["E"]),
                       after.box(rows=(j, j + 1), color=style.ROLE["E"]))
        self.say("Keep every input the same except position {j}, which gets a new vector.", j=self.pos())
        self.play(FadeIn(inputs), Create(boxes))
        self.wait(1.5)
        self.say("The FFN output changes only at position {j}. At every other position the change is exactly {z}.",
                 j=self.pos(), z=b.value("ffn_other_max", (), style="g"))
        self.play(FadeIn(changes[0]), FadeIn(cols[0]), FadeIn(heads[0]), Create(dY.box(rows=(j, j + 1), color=OUT)))
        self.wait(2.5)
        self.say("Self-attention, given the same change, mixes positions: every output changes, by at least {m}.",
                 m=b.value("attn_other_min", (), style="g"))
        self.play(FadeIn(changes[1]), FadeIn(cols[1]), FadeIn(heads[1]))
        self.wait(2.5)
        self.say("Attention moves information between positions; the FFN then works on each position's vector alone.")
        self.wait(2)
        self.clear_stage()

    def parameters(self) -> None:
        self.beat("Parameters at real size")
        b = self.b
        D, F = b.value("big_dims", (0,), decimals=0), b.value("big_dims", (1,), decimals=0)
        ffn_rows = [("W_1", "{D} × {F}", {"D": D, "F": F}), ("b_1", "{F}", {"F": F}),
                    ("W_2", "{F} × {D}", {"F": F, "D": D}), ("b_2", "{D}", {"D": D})]
        att_rows = [(f"W_{n}", "{D} × {D2}", {"D": D, "D2": D}) for n in "QKVO"]
        ffn = self.table("feed-forward: two nn.Linear", ffn_rows, "ffn_params", 0, OUT)
        att = self.table("attention: four nn.Linear, no bias", att_rows, "attn_params", 1, ATTN)
        ffn_formula = self.math("{a} dot D dot d_\"ff\" + d_\"ff\" + D, #h(0.5em) d_\"ff\" = {e} D", style.NOTE_SIZE,
                                style.MUTED, a=b.value("n_ffn_weights", (), decimals=0),
                                e=b.value("expansion", (), decimals=0))
        att_formula = self.math("{c} dot D dot D", style.NOTE_SIZE, style.MUTED,
                                c=b.value("n_attn_weights", (), decimals=0))
        tables = VGroup(VGroup(ffn, ffn_formula).arrange(DOWN, aligned_edge=LEFT, buff=0.2),
                        VGroup(att, att_formula).arrange(DOWN, aligned_edge=LEFT, buff=0.2))
        tables.arrange(DOWN, aligned_edge=LEFT, buff=0.45)
        top = float(b.tensors["param_totals"].max())
        plane = Plane(b, (-0.7, 1.7), (0.0, 1.2 * top), width=3.2, height=3.6, axes=False)
        bars = plane.bars("param_totals", color=[OUT, ATTN], width=0.7)
        base = Line(plane.to_screen(-0.7, 0.0), plane.to_screen(1.7, 0.0), color=style.MUTED, stroke_width=2)
        plane.add(base, bars)
        values = VGroup(*(b.number(b.value("param_totals", (i,), decimals=0), style.NOTE_SIZE - 2, color=c)
                          .next_to(bar, UP, buff=0.1) for i, (bar, c) in enumerate(zip(bars, (OUT, ATTN)))))
        names = VGroup(style.note("FFN", color=OUT).next_to(bars[0], DOWN, buff=0.15),
                       style.note("attention", color=ATTN).next_to(bars[1], DOWN, buff=0.15))
        ratio = self.prose("FFN / attention = {r}", style.LABEL_SIZE, r=b.value("param_ratio", (), decimals=3))
        chart = VGroup(VGroup(plane, values, names), ratio).arrange(DOWN, buff=0.35)
        style.STAGE.place(VGroup(tables, chart).arrange(RIGHT, buff=1.0))
        self.say("At a real size, D = {D} and d_ff = {F}. These counts are read from real nn.Linear modules built by torch.",
                 D=D, F=F)
        self.play(FadeIn(ffn), FadeIn(ffn_formula), run_time=1.0)
        self.wait(3)
        self.say("Attention's four projections W_Q, W_K, W_V, W_O are D by D each: {A} weights in all.",
                 A=b.value("param_totals", (1,), decimals=0))
        self.play(FadeIn(att), FadeIn(att_formula), run_time=1.0)
        self.wait(2.5)
        self.say("So the FFN holds about {r} times the parameters of attention in the same layer.",
                 r=b.value("param_ratio", (), decimals=3))
        self.play(Create(base), FadeIn(bars), FadeIn(values), FadeIn(names), FadeIn(ratio), run_time=1.2)
        self.wait(3)
        self.clear_stage()

    def table(self, title: str, rows: list[tuple[str, str, dict[str, Source]]], counts: str, total: int,
              color: str) -> VGroup:
        """Return a parameter table: name, shape and count per row, then the total, counts right-aligned."""
        b = self.b
        cells = VGroup()
        for i, (name, shape, fields) in enumerate(rows):
            cells.add(self.math(name, color=color), self.math(shape.replace("×", "times"), **fields),
                      b.number(b.value(counts, (i,), decimals=0), style.NUMBER_SIZE))
        cells.add(style.note("total", color=style.MUTED), VectorizedPoint(),
                  b.number(b.value("param_totals", (total,), decimals=0), style.NUMBER_SIZE, color=color))
        cells.arrange_in_grid(rows=len(rows) + 1, cols=3, buff=(0.2, 0), col_alignments="llr",
                              col_widths=[0.6, 2.2, 1.4], row_heights=[0.42] * (len(rows) + 1))
        y = (cells[-4].get_y() + cells[-1].get_y()) / 2  # between the last row and the total
        rule = Line([cells.get_left()[0], y, 0], [cells.get_right()[0], y, 0], color=style.MUTED, stroke_width=1)
        return VGroup(style.note(title, color=color), VGroup(cells, rule)).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
