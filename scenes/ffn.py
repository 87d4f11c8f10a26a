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
    Rectangle,
    RoundedRectangle,
    TransformFromCopy,
    VGroup,
    Write,
)

from scenes.kit import matrix, style
from scenes.kit.binding import Binding, Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix
from scenes.kit.plot import Plane

RELU = "#ffa657"
GELU = "#a5a0ff"
OUT = style.ROLE["Q"]
ATTN = style.ROLE["V"]
ROW_SIZE = 22  # font of the rows of hidden units
ROW_CELL = 0.8  # width of one number in those rows


def number_row(b: Binding, name: str, prefix: tuple[int, ...], count: int, size: float = ROW_SIZE,
               cell: float = ROW_CELL, color: str = style.TEXT) -> VGroup:
    """Return tensor[prefix + (k,)] for k < count, right-aligned in this lecture's row cells."""
    return matrix.number_row(b, name, prefix, count, size=size, cell=cell, color=color)


class FfnLecture(LectureScene):
    """What the feed-forward network does: the same two-layer map at every position, on its own."""

    beats = ("intro", "one_position", "every_position", "nonlinearity", "independence", "parameters", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def j(self) -> int:
        """The followed and changed position, 0-based."""
        return int(self.result.config.position) - 1

    @property
    def L(self) -> int:
        """Sequence length."""
        return int(self.result.config.seq_len)

    @property
    def F(self) -> int:
        """Hidden size d_ff of the worked example."""
        return int(self.result.config.d_ff)

    @property
    def D(self) -> int:
        """Embedding size of the worked example."""
        return int(self.result.config.d_model)

    def pos(self) -> Source:
        """Return the source of position j, shown 1-based."""
        return self.b.index("X", 0, self.j)

    def matrix(self, name: str, color: str, label: VGroup) -> VGroup:
        """Return a TensorMatrix with its label above it; the matrix is `.m`, the label `.name`."""
        m = TensorMatrix(self.b, name)
        m.entries.set_color(color)  # the color argument does not reach the glyphs; colour them here
        m.label(label, buff=0.25)
        group = VGroup(m, label)
        group.m, group.name = m, label
        return group

    def mute_zeros(self, row: VGroup) -> VGroup:
        """Grey out the entries of a row of ReLU(z) at position j that ReLU set to zero."""
        for k, num in enumerate(row):
            if float(self.b.tensors["H"][self.j, k]) == 0.0:
                num.set_color(style.MUTED)
        return row

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        self.beat("The question")
        b = self.b
        title = style.note("What does the feed-forward network do?", size=style.TITLE_SIZE)
        formula = self.math("\"FFN\"(x) = \"ReLU\"(x W_1 + b_1) W_2 + b_2", size=style.LABEL_SIZE + 4)
        shapes = self.prose(
            "$W_1$: $D times d_\"ff\"$ = {D} × {F}, #h(1em) $W_2$: $d_\"ff\" times D$ = {F2} × {D2}",
            D=b.dim("W1", 0), F=b.dim("W1", 1), F2=b.dim("W2", 0), D2=b.dim("W2", 1), color=style.MUTED,
            size=style.LABEL_SIZE,
        )
        where = style.note("applied to every position on its own, with the same weights", color=style.MUTED)
        VGroup(title, formula, shapes, where).arrange(DOWN, buff=0.45)
        self.say("After attention, every transformer layer has a feed-forward network: two linear maps with a non-linearity in between.")
        self.play(Write(title), run_time=1.0)
        self.play(FadeIn(formula, shift=UP * 0.2), FadeIn(shapes))
        self.wait(2.5)
        self.say(
            "In this small example D = {D}, and the hidden layer is wider: d_ff = {F} units.",
            D=b.dim("W1", 0), F=b.dim("W1", 1),
        )
        self.play(FadeIn(where))
        self.wait(2.5)
        self.clear_stage()

    def one_position(self) -> None:
        self.beat("One position through the network")
        b, j = self.b, self.j
        X = self.matrix("X", style.ROLE["E"], self.math("X", color=style.ROLE["E"]))
        x_lab = self.math("x_{j} =", j=self.pos(), color=style.ROLE["E"])
        x_row = number_row(b, "X", (j,), self.D, color=style.ROLE["E"])
        z_lab = self.math("z = x_{j} W_1 + b_1", j=self.pos())
        z_row = number_row(b, "Z", (j,), self.F)
        h_lab = self.math("h = \"ReLU\"(z)", color=RELU)
        h_row = number_row(b, "H", (j,), self.F, color=RELU)
        y_lab = self.math("y_{j} = h W_2 + b_2 =", j=self.pos(), color=OUT)
        y_row = number_row(b, "Y", (j,), self.D, color=OUT)
        self.mute_zeros(h_row)
        zh = VGroup(VGroup(z_lab, z_row).arrange(DOWN, aligned_edge=LEFT, buff=0.15),
                    VGroup(h_lab, h_row).arrange(DOWN, aligned_edge=LEFT, buff=0.15))
        zh.arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        top = VGroup(X, VGroup(x_lab, x_row).arrange(RIGHT, buff=0.25)).arrange(RIGHT, buff=1.0)
        y_line = VGroup(y_lab, y_row).arrange(RIGHT, buff=0.25)
        stage = VGroup(top, zh, y_line).arrange(DOWN, buff=0.45)
        style.fit(stage, height=style.TOP - style.BOTTOM - 0.2)
        stage.move_to([0, (style.TOP + style.BOTTOM) / 2, 0])
        box = X.m.box(rows=(j, j + 1), color=style.ROLE["E"])
        self.say(
            "X holds {L} positions, each a vector of size {D}. Follow position {j} through the network.",
            L=b.dim("X", 0), D=b.dim("X", 1), j=self.pos(),
        )
        self.play(FadeIn(X))
        self.play(Create(box), FadeIn(x_lab), TransformFromCopy(X.m.row(j), x_row))
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
        X = self.matrix("X", style.ROLE["E"], self.math("X", color=style.ROLE["E"]))
        rows = self.matrix("Y_rows", OUT, self.prose("one position at a time", color=OUT))
        whole = self.matrix("Y", OUT, self.prose("$\"FFN\"(X)$, all positions at once", color=OUT))
        net = VGroup(RoundedRectangle(corner_radius=0.12, width=1.4, height=0.8, color=style.ROLE["W"]),
                     style.note("FFN", color=style.ROLE["W"]))
        top = VGroup(X, net, rows).arrange(RIGHT, buff=0.8)
        whole.next_to(rows, DOWN, buff=0.6).align_to(rows, LEFT)
        arrows = VGroup(Arrow(X.m.get_right(), net.get_left(), buff=0.1, color=style.MUTED, stroke_width=3),
                        Arrow(net.get_right(), rows.m.get_left(), buff=0.1, color=style.MUTED, stroke_width=3))
        stage = VGroup(top, whole, arrows)
        style.fit(stage, height=style.TOP - style.BOTTOM - 1.3)
        stage.move_to([0, (style.TOP + style.BOTTOM) / 2 + 0.55, 0])
        self.say("The same W_1, b_1, W_2, b_2 are used at every position. Feed the {L} positions through one at a time.",
                 L=b.dim("X", 0))
        self.play(FadeIn(X), FadeIn(net), Create(arrows), Create(rows.m.brackets), FadeIn(rows.name))
        box = X.m.box(rows=(0, 1), color=style.ROLE["E"])
        self.play(Create(box), run_time=0.4)
        for i in range(self.L):
            if i:
                self.play(box.animate.move_to(X.m.box(rows=(i, i + 1))), run_time=0.3)
            moving = X.m.row(i).copy()
            self.play(LaggedStart(moving.animate.move_to(net).scale(0.4).set_opacity(0),
                                  FadeIn(rows.m.row(i), shift=RIGHT * 0.4), lag_ratio=0.5), run_time=0.8)
            self.remove(moving)
        self.play(FadeOut(box), run_time=0.3)
        exact = float(b.tensors["row_diff"]) == 0.0
        diff = self.prose("largest difference: max $|Y_\"rows\" - \"FFN\"(X)|$ = {d}",
                          d=b.value("row_diff", (), style="g"), size=style.LABEL_SIZE)
        verdict = style.note(
            "exactly zero: the same sums" if exact else
            "float32 rounding only: the same products, summed in another order",
            color=style.MUTED,
        )
        VGroup(diff, verdict).arrange(DOWN, buff=0.15).to_edge(DOWN, buff=0.35)
        self.say("Now the whole sequence in one matrix product. Row by row, it is the same result.")
        self.play(FadeIn(whole))
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
        n = len(zs)
        relu = plane.curve([b.value("curve_z", (i,)) for i in range(n)],
                           [b.value("curve_relu", (i,)) for i in range(n)], color=RELU)
        gelu = plane.curve([b.value("curve_z", (i,)) for i in range(n)],
                           [b.value("curve_gelu", (i,)) for i in range(n)], color=GELU)
        relu_dots = VGroup(*(plane.dot(b.value("Z", (j, k)), b.value("H", (j, k)), color=RELU) for k in range(self.F)))
        gelu_dots = VGroup(*(plane.dot(b.value("Z", (j, k)), b.value("G", (j, k)), color=GELU, radius=0.05)
                             for k in range(self.F)))
        plane.add(relu, gelu, relu_dots, gelu_dots)
        z_axis = style.note("$z$", color=style.MUTED).next_to(plane.to_screen(reach, 0), RIGHT, buff=0.1)
        names = VGroup(style.note("ReLU", color=RELU), style.note("GELU", color=GELU)).arrange(DOWN, aligned_edge=LEFT)
        names.next_to(plane.to_screen(-reach, reach), RIGHT, buff=0.2).shift(DOWN * 0.2)
        graph = VGroup(plane, z_axis, names)
        labels = VGroup(self.math("z", size=ROW_SIZE + 2), self.math("\"ReLU\"(z)", size=ROW_SIZE + 2, color=RELU),
                        self.math("\"GELU\"(z)", size=ROW_SIZE + 2, color=GELU))
        rows = VGroup(number_row(b, "Z", (j,), self.F), self.mute_zeros(number_row(b, "H", (j,), self.F, color=RELU)),
                      number_row(b, "G", (j,), self.F, color=GELU))
        rows.arrange(DOWN, buff=0.3)
        for lab, row in zip(labels, rows):
            lab.next_to(row, LEFT, buff=0.3)
        table = VGroup(labels, rows)
        stage = VGroup(graph, table).arrange(DOWN, buff=0.45)
        style.fit(stage, height=style.TOP - style.BOTTOM - 0.1)
        stage.move_to([0, (style.TOP + style.BOTTOM) / 2, 0])
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

    def change_column(self, name: str, matrix: TensorMatrix, color: str) -> VGroup:
        """Return the per-position largest change, one number beside each row of a matrix."""
        b = self.b
        col = VGroup()
        for i in range(self.L):
            num = b.number(b.value(name, (i,), decimals=3, style="g"), style.NUMBER_SIZE).set_color(color)
            a, z = matrix.slot(i, i + 1, 0, matrix.n_cols)
            num.move_to([z[0] + 0.5 + num.width / 2, (a[1] + z[1]) / 2, 0])
            col.add(num)
        return col

    def independence(self) -> None:
        self.beat("Change one position")
        b, j = self.b, self.j
        before = self.matrix("X", style.ROLE["E"], self.math("X", color=style.ROLE["E"]))
        after = self.matrix("X_new", style.ROLE["E"],
                            self.prose("$X$ with position {j} replaced", j=self.pos(), color=style.ROLE["E"]))
        dY = self.matrix("dY", OUT, self.prose("change of the FFN output", color=OUT))
        dA = self.matrix("dA", ATTN, self.prose("change of the attention output", color=ATTN))
        VGroup(before, after).arrange(RIGHT, buff=1.6)
        VGroup(dY, dA).arrange(RIGHT, buff=2.4)
        stage = VGroup(VGroup(before, after), VGroup(dY, dA)).arrange(DOWN, buff=0.7)
        cols = VGroup(self.change_column("dY_max", dY.m, OUT), self.change_column("dA_max", dA.m, ATTN))
        heads = VGroup(*(self.math("max |Delta|", size=style.NOTE_SIZE - 2, color=style.MUTED).next_to(c, UP, buff=0.2)
                         .set_y(m.name.get_y()) for c, m in zip(cols, (dY, dA))))
        everything = VGroup(stage, cols, heads)
        style.fit(everything, height=style.TOP - style.BOTTOM - 0.2)
        everything.move_to([0, (style.TOP + style.BOTTOM) / 2, 0])
        boxes = VGroup(before.m.box(rows=(j, j + 1), color=style.ROLE["E"]),
                       after.m.box(rows=(j, j + 1), color=style.ROLE["E"]))
        self.say("Keep every input the same except position {j}, which gets a new vector.", j=self.pos())
        self.play(FadeIn(before), FadeIn(after), Create(boxes))
        self.wait(1.5)
        self.say("The FFN output changes only at position {j}. At every other position the change is exactly {z}.",
                 j=self.pos(), z=b.value("ffn_other_max", (), style="g"))
        self.play(FadeIn(dY), FadeIn(cols[0]), FadeIn(heads[0]), Create(dY.m.box(rows=(j, j + 1), color=OUT)))
        self.wait(2.5)
        self.say("Self-attention, given the same change, mixes positions: every output changes, by at least {m}.",
                 m=b.value("attn_other_min", (), style="g"))
        self.play(FadeIn(dA), FadeIn(cols[1]), FadeIn(heads[1]))
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
        ffn_formula = self.math("{a} dot D dot d_\"ff\" + d_\"ff\" + D, #h(0.5em) d_\"ff\" = {e} D",
                                size=style.NOTE_SIZE,
                                a=b.value("n_ffn_weights", (), decimals=0), e=b.value("expansion", (), decimals=0),
                                color=style.MUTED)
        att_formula = self.math("{c} dot D dot D", size=style.NOTE_SIZE, c=b.value("n_attn_weights", (), decimals=0),
                                color=style.MUTED)
        tables = VGroup(VGroup(ffn, ffn_formula).arrange(DOWN, aligned_edge=LEFT, buff=0.2),
                        VGroup(att, att_formula).arrange(DOWN, aligned_edge=LEFT, buff=0.2))
        tables.arrange(DOWN, aligned_edge=LEFT, buff=0.45)
        top = float(b.tensors["param_totals"].max())
        plane = Plane(b, (-0.7, 1.7), (0.0, 1.2 * top), width=3.2, height=3.6, axes=False)
        bars = plane.bars("param_totals", color=[OUT, ATTN], width=0.7)
        base = Line(plane.to_screen(-0.7, 0.0), plane.to_screen(1.7, 0.0), color=style.MUTED, stroke_width=2)
        plane.add(base, bars)
        values = VGroup(*(b.number(b.value("param_totals", (i,), decimals=0), style.NOTE_SIZE - 2).set_color(c)
                          .next_to(bar, UP, buff=0.1) for i, (bar, c) in enumerate(zip(bars, (OUT, ATTN)))))
        names = VGroup(style.note("FFN", color=OUT).next_to(bars[0], DOWN, buff=0.15),
                       style.note("attention", color=ATTN).next_to(bars[1], DOWN, buff=0.15))
        ratio = self.prose("FFN / attention = {r}", r=b.value("param_ratio", (), decimals=3), size=style.LABEL_SIZE)
        chart = VGroup(VGroup(plane, values, names), ratio).arrange(DOWN, buff=0.35)
        stage = VGroup(tables, chart).arrange(RIGHT, buff=1.0)
        style.fit(stage, height=style.TOP - style.BOTTOM - 0.2)
        stage.move_to([0, (style.TOP + style.BOTTOM) / 2, 0])
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
        head = style.note(title, color=color)
        lines = VGroup()
        for i, (name, shape, fields) in enumerate(rows):
            lines.add(VGroup(self.math(name, color=color), self.math(shape.replace("×", "times"), **fields),
                             b.number(b.value(counts, (i,), decimals=0), style.NUMBER_SIZE)))
        lines.add(VGroup(style.note("total", color=style.MUTED), VGroup(),
                         b.number(b.value("param_totals", (total,), decimals=0), style.NUMBER_SIZE).set_color(color)))
        x_shape, x_count = 1.0, 4.6
        for k, line in enumerate(lines):
            y = -0.42 * k
            line[0].move_to([line[0].width / 2, y, 0])
            if len(line[1]):
                line[1].move_to([x_shape + line[1].width / 2, y, 0])
            line[2].move_to([x_count - line[2].width / 2, y, 0])
        rule = Rectangle(width=x_count, height=0.001, stroke_color=style.MUTED, stroke_width=1)
        rule.move_to([x_count / 2, -0.42 * (len(lines) - 1.5), 0])
        return VGroup(head, VGroup(lines, rule)).arrange(DOWN, aligned_edge=LEFT, buff=0.2)

    def recap(self) -> None:
        self.beat("Recap")
        lines = VGroup(
            style.note("• The FFN is two linear maps with ReLU (or GELU) between them.", size=style.LABEL_SIZE),
            style.note("• The same weights act on every position, one position at a time.", size=style.LABEL_SIZE),
            style.note("• Changing one input changes only that position's FFN output.", size=style.LABEL_SIZE),
            style.note("• Attention mixes positions; the FFN does not.", size=style.LABEL_SIZE),
            style.note("• The FFN holds more parameters than attention in the same layer.", size=style.LABEL_SIZE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        style.fit(lines)
        self.say("Attention decides what each position gathers; the feed-forward network transforms each gathered vector on its own.")
        self.reveal_lines(lines, lag_ratio=0.5, run_time=2.5)
        self.wait(3)
