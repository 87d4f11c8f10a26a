"""Lecture `ffn`: the position-wise feed-forward network, its non-linearity and its size."""

from __future__ import annotations

from typing import Any, cast

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    DashedLine,
    DashedVMobject,
    FadeIn,
    FadeOut,
    Group,
    GrowFromEdge,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    RoundedRectangle,
    Transform,
    VGroup,
    VMobject,
)
from manim.mobject.types.vectorized_mobject import VectorizedPoint

from scenes.kit import style
from scenes.kit.binding import Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, glyph_box, label_rows, number_row
from scenes.kit.plot import Plane, colour_legend

IN, WT, OUT = style.ROLE["input"], style.ROLE["weight"], style.ROLE["output"]
RELU = style.TEXT  # ReLU and GELU are not roles: told apart by name and grey level
GELU = style.MUTED
DIFF = style.DIFFERENCE  # changes of an output
ATTN = style.TEXT  # the attention comparison, named on screen
ROW_CELL = 0.8  # width of one number in the rows of hidden units
W_CELL = (0.75, 0.46)  # one entry of W1 (D x d_ff): 16 columns fit the stage
TALL_CELL = (0.92, 0.3)  # one entry of W2 (d_ff x D): 16 rows fit the stage under the row h
ROW_PITCH = 0.56  # between the rows b1, z, h under W1
SHOWN_UNIT = 0  # the hidden unit computed term by term (0-based)
PRODUCTS, VERDICT = style.STAGE.rows(6.0, 1.0, gap=0.2)  # the row-by-row picture, and torch's difference under it


class FfnLecture(LectureScene):
    """What the feed-forward network does: the same two-layer map at every position, on its own."""

    beats = ("intro", "one_position", "second_layer", "every_position", "nonlinearity", "collapse", "independence",
             "parameters", "recap")
    roles = {"X": "input", "x_row": "input", "X_new": "input", "W1": "weight", "b1": "weight", "W2": "weight",
             "b2": "weight", "W12": "weight", "b12": "weight", "Y": "output", "Y_rows": "output", "Y_lin": "output",
             "Y_one": "output"}
    question = "What does the feed-forward network do?"
    question_details = ("applied to every position on its own, with the same weights",)
    question_caption = ("After attention, every transformer layer has a feed-forward network: two linear maps with a"
                        " non-linearity in between. In this small example D = {D}, and the hidden layer is wider:"
                        " {F} units.")
    recap_lines = (
        "The FFN is two linear maps, widening then narrowing, with ReLU (or GELU) between them.",
        "The same $W_1, b_1, W_2, b_2$ act on every position, one position at a time.",
        "Without the activation the two maps are one matrix $W_1 W_2$; with it they are not.",
        "Changing one input changes only that position's FFN output; attention's changes everywhere.",
        "The FFN holds about twice the parameters of attention in the same layer.",
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

    @staticmethod
    def column_bar(m: TensorMatrix, c: int, color: str = WT) -> Rectangle:
        """Return a translucent bar behind column c of m (rows too tight for a box clear of the bracket lips)."""
        a, z = m.slot(0, m.n_rows, c, c + 1)
        bar = Rectangle(width=abs(z[0] - a[0]), height=abs(z[1] - a[1]) + 0.04, stroke_width=0, fill_color=color,
                        fill_opacity=0.3)
        return bar.move_to((a + z) / 2).set_z_index(-1)

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
        self.beat("One position through the first layer")
        b, j, c0 = self.b, self.j, SHOWN_UNIT
        X = self.matrix("X")
        X_name = X.label(self.math("X", color=IN), buff=0.25)
        x = self.matrix("x_row", cell=(W_CELL[0], style.CELL_H))
        W1 = self.matrix("W1", cell=W_CELL)
        x_name = self.math("x_{j} =", color=IN, j=self.pos())
        W1_name = self.prose("$W_1$: {D} × {F}", color=WT, D=b.dim("W1", 0), F=b.dim("W1", 1))
        formula = self.math("z = x_{j} W_1 + b_1, #h(1.5em) h = \"ReLU\"(z)", j=self.pos())
        x_group = VGroup(x_name, x).arrange(RIGHT, buff=0.2)
        top = VGroup(x_group, formula, W1_name).arrange(RIGHT, buff=0.9)
        rows = []
        for name, color in (("b1", WT), ("Z", style.TEXT), ("H", RELU)):
            prefix = () if name == "b1" else (j,)
            row = number_row(b, name, prefix, cell=W_CELL[0], color=color)
            row.shift(W1.entry(0, 0).get_center() - row[0].get_center())
            rows.append(row)
        self.mute_zeros(rows[2])
        for k, row in enumerate(rows):
            row.shift(DOWN * (W1.n_rows * W_CELL[1] + 0.15 + ROW_PITCH * k))
        labels = [self.math("+ b_1", color=WT), self.math("z"), self.math("h", color=RELU)]
        for lab, row in zip(labels, rows):
            lab.next_to(W1, LEFT, buff=0.3).set_y(row.get_y())
        rule = Line(LEFT, RIGHT, color=style.MUTED, stroke_width=2)
        sum_line = self.term_line(c0)
        body = VGroup(W1, *rows, *labels)
        top.next_to(body, UP, buff=0.35)
        sum_line.next_to(body, DOWN, buff=0.35)
        figure = VGroup(top, body, rule, sum_line)
        style.STAGE.place(figure)
        sum_line.set_x(W1.get_x())
        for k, p in enumerate(sum_line.ps):  # each product takes its pair's slot
            p.move_to(sum_line.slots[k])
        rule.put_start_and_end_on(rows[1].get_corner(UP + LEFT) + UP * 0.1, rows[1].get_corner(UP + RIGHT) + UP * 0.1)
        positions = label_rows(X, [self.prose("{i}", color=style.INDEX[1], i=b.index("X", 0, i))
                                   for i in range(X.n_rows)], buff=0.3)
        pos_word = style.note("position", color=style.INDEX[1]).next_to(positions, LEFT, buff=0.3)
        VGroup(X, X_name, positions, pos_word).move_to(body)
        box = X.box(rows=(j, j + 1), color=IN)
        self.say("X holds {L} positions, each a row vector of size {D}. Follow position {j} through the network.",
                 L=b.dim("X", 0), D=b.dim("X", 1), j=self.pos())
        self.play(FadeIn(X), FadeIn(X_name), FadeIn(positions), FadeIn(pos_word), run_time=0.8)
        self.play(Create(box), run_time=0.4)
        self.hold_caption()
        self.play(ReplacementTransform(X.row(j).copy(), x.entries), Create(x.brackets), FadeIn(x_name),
                  FadeOut(X), FadeOut(X_name), FadeOut(box), FadeOut(positions), FadeOut(pos_word), run_time=1.2)
        self.settle(x)
        self.say("The first map is a {D} by {F} weight matrix and a bias, random here as at initialisation. Each"
                 " column of the matrix makes one of {F} hidden units.", D=b.dim("W1", 0), F=b.dim("W1", 1))
        self.play(FadeIn(W1), FadeIn(W1_name), FadeIn(rows[0]), FadeIn(labels[0]), FadeIn(formula), run_time=1.0)
        self.hold_caption()
        # one hidden unit, term by term
        x_box = x.box(color=IN)
        col_box = W1.box(cols=(c0, c0 + 1), color=WT)
        b_box = glyph_box([rows[0][c0]], WT)
        self.say("Hidden unit {c}: each entry of position {j}'s input meets the entry in its row of column {c}.",
                 c=b.index("W1", 1, c0), j=self.pos())
        self.play(Create(x_box), Create(col_box), run_time=0.5)
        self.play(*(self.carry(x.entry(0, k), sum_line.xs[k]) for k in range(x.n_cols)),
                  *(self.carry(W1.entry(k, c0), sum_line.ws[k]) for k in range(x.n_cols)),
                  FadeIn(sum_line.pair_marks), FadeIn(sum_line.pluses[:-1]), run_time=1.6)
        self.hold_caption()
        self.say("Multiply each pair, then add the {D} products and the bias: that sum is pre-activation {c}.",
                 D=b.dim("W1", 0), c=b.index("W1", 1, c0))
        self.combine([(VGroup(sum_line.xs[k], sum_line.ws[k], sum_line.pair_marks[k]), sum_line.ps[k])
                      for k in range(x.n_cols)], FadeOut(sum_line.pair_marks), lag_ratio=0.25, run_time=1.6)
        self.remove(*sum_line.xs, *sum_line.ws)
        self.play(Create(b_box), self.carry(rows[0][c0], sum_line.bias), FadeIn(sum_line.pluses[-1]), run_time=0.8)
        self.combine([(VGroup(sum_line.ps, sum_line.bias, sum_line.pluses), sum_line.z)], FadeIn(sum_line.eq),
                     run_time=1.0)
        self.play(self.carry(sum_line.z, rows[1][c0]), Create(rule), FadeIn(labels[1]), run_time=0.8)
        self.play(self.carry(rows[1][c0], rows[2][c0]), FadeIn(labels[2]), run_time=0.8)
        self.hold_caption()
        rest = [c for c in range(W1.n_cols) if c != c0]
        self.say("The other {n} units follow the same way, each from its own column of the weight matrix.",
                 n=b.value("n_other_units", (), decimals=0))
        self.play(FadeOut(VGroup(sum_line.ps, sum_line.bias, sum_line.pluses, sum_line.eq, sum_line.z, b_box)),
                  run_time=0.4)
        for c in rest:  # one unit at a time, its column boxed, so the eye can follow
            self.combine([(VGroup(x.entries, W1.column_band(c, c + 1), rows[0][c]), rows[1][c])],
                         Transform(col_box, W1.box(cols=(c, c + 1), color=WT)), run_time=0.35)
        self.play(FadeOut(col_box), FadeOut(x_box), run_time=0.3)
        self.hold_caption()
        self.say("ReLU keeps the positive values and sets the other {n} to zero. This bend is what makes the network"
                 " non-linear.", n=b.value("relu_zeros", (), decimals=0))
        self.combine([(rows[1][c], rows[2][c]) for c in rest], lag_ratio=0.05, run_time=1.5)
        self.hold_caption()
        self.h_row, self.h_label = rows[2], labels[2]
        self.clear_stage(keep=(rows[2], labels[2]))

    def term_line(self, c: int) -> VGroup:
        """Return 'x1·w1 + ... + xD·wD + b = z' for hidden unit c, from bound numbers; its parts as attributes.

        The pairs x_k·w_k sit in slots that the products later take, so the line never moves.
        """
        b, j = self.b, self.j
        size = style.NUMBER_SIZE
        D = int(b.tensors["W1"].shape[0])
        xs = [b.number(b.value("X", (j, k)), size, color=IN) for k in range(D)]
        ws = [b.number(b.value("W1", (k, c)), size, color=WT) for k in range(D)]
        ps = [b.number(b.value("terms", (k, c)), size) for k in range(D)]
        slots, marks = VGroup(), VGroup()
        for xk, wk in zip(xs, ws):
            dot = style.note("$dot$")
            pair = VGroup(xk, dot, wk).arrange(RIGHT, buff=0.1)
            slots.add(pair)
            marks.add(dot)
        plus = [style.note("$+$") for _ in range(D)]
        bias = b.number(b.value("b1", (c,)), size, color=WT)
        eq = style.note("$=$")
        z = b.number(b.value("Z", (j, c)), size)
        parts = []
        for k in range(D):
            parts += [slots[k], plus[k]]
        line = VGroup(*parts, bias, eq, z).arrange(RIGHT, buff=0.22)
        out = cast(Any, line)
        out.slots = slots
        out.xs, out.ws, out.ps, out.pair_marks = VGroup(*xs), VGroup(*ws), VGroup(*ps), marks
        out.pluses, out.bias, out.eq, out.z = VGroup(*plus), bias, eq, z
        return line

    def second_layer(self) -> None:
        self.beat("Back to size D: the second layer")
        b, j, c0 = self.b, self.j, SHOWN_UNIT
        W2 = self.matrix("W2", cell=TALL_CELL)
        n_hidden, D = W2.n_rows, W2.n_cols
        W2_name = W2.label(self.prose("$W_2$: {F} × {D}", color=WT, F=b.dim("W2", 0), D=b.dim("W2", 1)), buff=0.2)
        h_col = self.mute_zeros(number_row(b, "H", (j,), color=RELU))
        for k, num in enumerate(h_col):  # h on its side: unit k beside row k of W2
            num.move_to([W2.get_left()[0] - 0.3 - num.width / 2, W2.entry(k, 0).get_y(), 0.0])
        h_name = self.math("h", color=RELU).next_to(h_col, UP, buff=0.2).set_y(W2_name.get_y())
        active = [k for k in range(n_hidden) if float(b.tensors["H"][j, k]) != 0.0]
        prods = VGroup()
        right_edge = W2.get_right()[0] + 1.25
        for k in active:
            p = b.number(b.value("terms2", (k, c0)), style.NUMBER_SIZE)
            prods.add(p.move_to([right_edge - p.width / 2, W2.entry(k, 0).get_y(), 0.0]))
        total = b.number(b.value("hW2", (c0,)), style.NUMBER_SIZE)
        total.move_to([right_edge - total.width / 2, W2.get_bottom()[1] - 0.35, 0.0])
        sigma = self.math("sum", color=style.MUTED).next_to(total, LEFT, buff=0.2)
        rule = Line([right_edge - 0.85, W2.get_bottom()[1] - 0.12, 0], [right_edge, W2.get_bottom()[1] - 0.12, 0],
                    color=style.MUTED, stroke_width=2)
        prods_name = self.prose("$h_k$ × column {c}", color=style.MUTED, c=b.index("W2", 1, c0))
        prods_name.move_to([right_edge - prods_name.width / 2, W2_name.get_y(), 0.0])
        b2 = number_row(b, "b2", cell=ROW_CELL, color=WT)
        y = number_row(b, "Y", (j,), cell=ROW_CELL, color=OUT)
        b2_name = self.math("+ b_2", color=WT)
        y_name = self.math("y_{j} = h W_2 + b_2", color=OUT, j=self.pos())
        right = VGroup(VGroup(b2, b2_name).arrange(RIGHT, buff=0.35), VGroup(y, y_name).arrange(RIGHT, buff=0.35))
        right.arrange(DOWN, aligned_edge=LEFT, buff=0.6)
        right.next_to(total, RIGHT, buff=0.8).set_y(W2.get_bottom()[1] + 1.2)
        figure = VGroup(h_name, h_col, W2, W2_name, prods, prods_name, total, sigma, rule, right)
        style.STAGE.place(figure)
        self.say("h turns on its side: each of its {F} units beside its row of the second weight matrix,"
                 " {F} by {D}.", F=b.dim("W2", 0), D=b.dim("W2", 1))
        self.play(FadeIn(W2), FadeIn(W2_name), run_time=0.8)
        self.play(*(ReplacementTransform(self.h_row[k], h_col[k]) for k in range(n_hidden)),
                  ReplacementTransform(self.h_label, h_name), run_time=1.6)
        self.hold_caption()
        self.say("Output {c}: only the {n} units that ReLU kept count. Each is multiplied by its entry in column {c}.",
                 c=b.index("W2", 1, c0), n=b.value("n_active", (), decimals=0))
        col_box = self.column_bar(W2, c0)
        self.play(FadeIn(col_box), FadeIn(prods_name), run_time=0.5)
        self.combine([(VGroup(h_col[k], W2.entry(k, c0)), p) for k, p in zip(active, prods)], lag_ratio=0.2,
                     run_time=2.0)
        self.hold_caption()
        self.say("Add the products, then the bias: output {c} of position {j}.", c=b.index("W2", 1, c0), j=self.pos())
        self.play(FadeIn(right[0]), FadeIn(y_name), run_time=0.5)
        self.play(Create(rule), FadeIn(sigma), run_time=0.3)
        self.combine([(prods, total)], run_time=1.0)
        b_box = glyph_box([b2[c0]], WT)
        self.play(Create(b_box), run_time=0.3)
        self.combine([(VGroup(total, b2[c0]), y[c0])], run_time=1.0)
        self.hold_caption()
        self.say("The other outputs, each from its own column the same way: {D} numbers, the FFN's output at"
                 " position {j}.", D=b.dim("Y", 1), j=self.pos())
        self.play(FadeOut(VGroup(prods, prods_name, total, sigma, rule, b_box)), run_time=0.4)
        for c in range(D):
            if c == c0:
                continue
            self.play(col_box.animate.move_to(self.column_bar(W2, c)), run_time=0.3)
            self.combine([(VGroup(h_col, W2.column_band(c, c + 1), b2[c]), y[c])], run_time=0.9)
        self.play(FadeOut(col_box), Create(glyph_box(list(y), OUT)), run_time=0.4)
        self.hold_caption(at_least=1.0)
        self.clear_stage()

    def weights_box(self) -> tuple[Group, Group]:
        """Return the FFN drawn as its weights: W1 and W2 as heatmaps in one box, and their colour legend."""
        b = self.b
        w1 = b.heatmap("W1", "w_scale", height=0.55)
        w2 = b.heatmap("W2", "w_scale", height=1.6)
        n1 = self.math("W_1", color=WT)
        n2 = self.math("W_2", color=WT)
        body = Group(Group(n1, w1).arrange(DOWN, buff=0.12), Group(n2, w2).arrange(DOWN, buff=0.12))
        body.arrange(RIGHT, buff=0.35)
        frame = RoundedRectangle(corner_radius=0.12, width=body.width + 0.5, height=body.height + 0.4, color=WT,
                                 stroke_width=2.5).move_to(body)
        legend = colour_legend(b, "ramp", "w_scale", font_size=style.NOTE_SIZE, width=2.2)
        legend.next_to(frame, DOWN, buff=0.25)
        return Group(frame, body), legend

    def every_position(self) -> None:
        self.beat("Same weights at every position")
        b = self.b
        cell = (style.CELL_W, min(style.CELL_H, 1.7 / self.b.tensors["X"].shape[0]))  # two matrices stacked fit
        X, rows, whole = (self.matrix(name, cell=cell) for name in ("X", "Y_rows", "Y"))
        X_name = X.label(self.math("X", color=IN), buff=0.25)
        rows_name = rows.label(self.prose("one position at a time", color=OUT), buff=0.25)
        whole_name = whole.label(self.prose("$\"FFN\"(X)$, all positions at once", color=OUT), buff=0.25)
        net, legend = self.weights_box()
        top = Group(VGroup(X, X_name), net, VGroup(rows, rows_name)).arrange(RIGHT, buff=0.7)
        legend.next_to(net, DOWN, buff=0.25)
        VGroup(whole, whole_name).next_to(VGroup(rows, rows_name), DOWN, buff=0.5).align_to(rows, LEFT)
        arrows = VGroup(style.arrow(X.get_right(), net.get_left(), buff=0.1),
                        style.arrow(net.get_right(), rows.get_left(), buff=0.1))
        PRODUCTS.place(Group(top, whole, whole_name, arrows, legend))
        self.say("The FFN is these weights, its two matrices with their biases, and the very same ones act at every"
                 " position. Feed the {L} positions through one at a time.", L=b.dim("X", 0))
        self.play(FadeIn(X), FadeIn(X_name), FadeIn(net), FadeIn(legend), Create(arrows), Create(rows.brackets),
                  FadeIn(rows_name))
        box = X.box(rows=(0, 1), color=IN)
        self.play(Create(box), run_time=0.4)
        for i in range(X.n_rows):
            if i:
                self.play(box.animate.become(X.box(rows=(i, i + 1), color=IN)), run_time=0.3)
            moving = X.row(i).copy()
            self.play(LaggedStart(moving.animate.move_to(net).scale(0.4).set_opacity(0),
                                  FadeIn(rows.row(i), shift=RIGHT * 0.4), lag_ratio=0.5), run_time=0.9)
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
        self.play(ReplacementTransform(rows.copy(), whole), FadeIn(whole_name), run_time=1.2)
        self.hold_caption()
        if exact:
            self.say("torch finds a largest difference of exactly {d}.", d=b.value("row_diff", (), style="g"))
        else:
            self.say("torch finds a largest difference of {d}: float32 rounding, not a different result.",
                     d=b.value("row_diff", (), style="g"))
        self.play(FadeIn(diff, shift=UP * 0.2), FadeIn(verdict))
        self.clear_stage()

    def nonlinearity(self) -> None:
        self.beat("ReLU and GELU on the same pre-activations")
        b, j = self.b, self.j
        zs = b.tensors["curve_z"]
        n = len(zs)
        reach = float(zs[-1])
        low = float(b.tensors["curve_gelu"].min())
        plane = Plane(b, (-reach, reach), (low - 0.1 * reach, reach), width=7.0, height=2.8)
        units = range(int(b.tensors["Z"].shape[1]))
        relu = plane.curve([b.value("curve_z", (i,)) for i in range(n)],
                           [b.value("curve_relu", (i,)) for i in range(n)], color=RELU)
        gelu = plane.curve([b.value("curve_z", (i,)) for i in range(n)],
                           [b.value("curve_gelu", (i,)) for i in range(n)], color=GELU)
        relu_dots = VGroup(*(plane.dot(b.value("Z", (j, k)), b.value("H", (j, k)), color=RELU) for k in units))
        gelu_dots = VGroup(*(plane.dot(b.value("Z", (j, k)), b.value("G", (j, k)), color=GELU, radius=0.05)
                             for k in units))
        ticks = VGroup(*(plane.tick(b.value("curve_z", (i,), 1), font_size=style.NOTE_SIZE) for i in (0, n // 2, n - 1)),
                       plane.tick(b.value("curve_relu", (n - 1,), 1), axis="y", font_size=style.NOTE_SIZE))
        gelu.set_stroke(opacity=0.0)  # audited where it runs; drawn dashed, so it differs from ReLU by more than grey
        dashes = DashedVMobject(VMobject(stroke_color=GELU, stroke_width=3).set_points(gelu.get_points()),
                                num_dashes=60)
        plane.add(relu, gelu, dashes, relu_dots, gelu_dots, ticks)
        z_axis = style.note("pre-activation $z$", color=style.MUTED).next_to(plane.to_screen(reach, 0), UP, buff=0.15)
        z_axis.align_to(plane.to_screen(reach, 0), RIGHT)
        y_axis = style.note("activation", color=style.MUTED).next_to(plane.to_screen(0, reach), RIGHT, buff=0.15)
        names = VGroup(  # each name on its own curve, with a sample of its stroke
            VGroup(Line(LEFT * 0.25, RIGHT * 0.25, color=RELU, stroke_width=3), style.note("ReLU", color=RELU))
            .arrange(RIGHT, buff=0.12).next_to(plane.to_screen(-0.6 * reach, 0.0), UP, buff=0.15),
            VGroup(DashedLine(LEFT * 0.25, RIGHT * 0.25, color=GELU, stroke_width=3, dash_length=0.08),
                   style.note("GELU", color=GELU)).arrange(RIGHT, buff=0.12)
            .next_to(plane.to_screen(-0.6 * reach, low), DOWN, buff=0.15))
        graph = VGroup(plane, z_axis, y_axis, names)
        size = style.NUMBER_SIZE
        labels = VGroup(self.math("z", size), self.math("\"ReLU\"(z)", size, RELU), self.math("\"GELU\"(z)", size, GELU))
        rows = VGroup(number_row(b, "Z", (j,), cell=0.7),
                      self.mute_zeros(number_row(b, "H", (j,), cell=0.7, color=RELU)),
                      number_row(b, "G", (j,), cell=0.7, color=GELU))
        rows.arrange(DOWN, buff=0.22)
        for lab, row in zip(labels, rows):
            lab.next_to(row, LEFT, buff=0.3)
        title = self.prose("the {F} pre-activations of position {j}", color=style.MUTED, F=b.dim("Z", 1), j=self.pos())
        title.next_to(rows, UP, buff=0.2)
        style.STAGE.place(VGroup(graph, VGroup(title, labels, rows)).arrange(DOWN, buff=0.5))
        self.say("The {F} pre-activations of position {j}, through two activations: ReLU and GELU.",
                 F=b.dim("Z", 1), j=self.pos())
        self.play(Create(plane.axes), FadeIn(ticks), FadeIn(z_axis), FadeIn(y_axis), FadeIn(title), FadeIn(labels[0]),
                  FadeIn(rows[0]))
        self.play(Create(relu), Create(gelu), Create(dashes), FadeIn(names), run_time=1.2)
        self.say("Each z rises from its row onto both curves: for large positive z both give back about z. ReLU cuts"
                 " every negative z to zero; GELU bends smoothly and dips a little below zero.")
        self.play(*(ReplacementTransform(rows[0][k].copy(), relu_dots[k]) for k in units),
                  *(ReplacementTransform(rows[0][k].copy(), gelu_dots[k]) for k in units), run_time=1.5)
        self.play(FadeIn(labels[1:]), *(ReplacementTransform(relu_dots[k].copy(), rows[1][k]) for k in units),
                  *(ReplacementTransform(gelu_dots[k].copy(), rows[2][k]) for k in units), run_time=1.5)
        self.hold_caption()
        self.clear_stage()

    def collapse(self) -> None:
        self.beat("Without the bend, two maps are one")
        b = self.b
        w1 = b.heatmap("W1", "w_scale", height=0.5)
        w2 = b.heatmap("W2", "w_scale", height=2.0)
        W12 = self.matrix("W12", cell=(0.92, 0.42))
        b12 = number_row(b, "b12", cell=style.CELL_W, color=WT)
        top = Group(Group(self.math("W_1", color=WT), w1).arrange(DOWN, buff=0.12), self.math("times"),
                    Group(self.math("W_2", color=WT), w2).arrange(DOWN, buff=0.12), self.math("="), W12)
        top.arrange(RIGHT, buff=0.3)
        W12_name = W12.label(self.math("W_12 = W_1 W_2", color=WT), buff=0.2)
        b12_name = self.math("b_12 = b_1 W_2 + b_2", color=WT)
        b12_group = VGroup(b12_name, b12).arrange(DOWN, buff=0.25).next_to(W12, RIGHT, buff=0.6)
        cell = (0.92, min(0.42, 1.6 / self.b.tensors["X"].shape[0]))  # the outputs fit under the weights
        lin, one = self.matrix("Y_lin", cell=cell), self.matrix("Y_one", cell=cell)
        outs = VGroup(lin, one).arrange(RIGHT, buff=1.4)
        lin_name = lin.label(self.math("(X W_1 + b_1) W_2 + b_2", color=OUT), buff=0.2)
        one_name = one.label(self.math("X W_12 + b_12", color=OUT), buff=0.2)
        same = VGroup(self.prose("no ReLU: largest difference", color=style.MUTED),
                      self.prose("{d}", color=DIFF, d=b.value("lin_diff", (), 2, "g"))).arrange(RIGHT, buff=0.15)
        bent = VGroup(self.prose("with ReLU: $max |\"FFN\"(X) - (X W_12 + b_12)|$ =", color=style.TEXT),
                      self.prose("{g}", color=DIFF, g=b.value("relu_gap", (), 2, "g"))).arrange(RIGHT, buff=0.15)
        notes = VGroup(same, bent).arrange(DOWN, buff=0.2)
        bottom = VGroup(VGroup(outs, lin_name, one_name), notes).arrange(DOWN, buff=0.3)
        legend = colour_legend(b, "ramp", "w_scale", font_size=style.NOTE_SIZE, width=1.8)
        legend.next_to(top[0], DOWN, buff=0.3)
        style.STAGE.place(Group(Group(top, W12_name, b12_group, legend), bottom).arrange(DOWN, buff=0.4))
        self.say("Why the bend? Without it, the two weight matrices multiply into one {D} by {D} matrix, and the two"
                 " biases into one bias.", D=b.dim("W12", 0))
        self.play(FadeIn(top[:4]), FadeIn(legend), run_time=0.8)
        self.play(self.flow(Group(top[0], top[2]), VGroup(W12, W12_name)), run_time=1.2)
        self.play(FadeIn(b12_group), run_time=0.6)
        self.hold_caption()
        self.say("Applied to X, the two maps without ReLU and the one map give the same numbers: largest difference"
                 " {d}, float32 rounding.", d=b.value("lin_diff", (), 2, "g"))
        self.play(FadeIn(lin), FadeIn(lin_name), run_time=0.8)
        self.play(ReplacementTransform(lin.copy(), one), FadeIn(one_name), FadeIn(same), run_time=1.2)
        self.hold_caption()
        self.say("With ReLU between them, the FFN is no single matrix: its output differs from the one map's by up to"
                 " {g}. However wide the hidden layer, without the bend nothing is gained.", g=b.value("relu_gap", (), 2, "g"))
        r, c = (int(v) for v in b.tensors["relu_gap_at"])
        ffn_out = self.matrix("Y", cell=cell).move_to(lin)
        ffn_name = self.math("\"FFN\"(X)", color=OUT).move_to(lin_name)
        gap_boxes = VGroup(ffn_out.box(rows=(r, r + 1), cols=(c, c + 1)), one.box(rows=(r, r + 1), cols=(c, c + 1)))
        self.play(FadeOut(VGroup(lin, lin_name, same)), FadeIn(ffn_out), FadeIn(ffn_name), run_time=1.0)
        self.play(Create(gap_boxes), FadeIn(bent, shift=UP * 0.2), run_time=0.8)
        self.clear_stage()

    def independence(self) -> None:
        self.beat("Change one position")
        b, j = self.b, self.j
        cell = (style.CELL_W, min(style.CELL_H, 1.9 / self.b.tensors["X"].shape[0]))  # two rows of matrices fit
        before, after = self.matrix("X", cell=cell), self.matrix("X_new", cell=cell)
        dY, dA = self.matrix("dY", color=OUT, cell=cell), self.matrix("dA", color=OUT, cell=cell)
        before_name = before.label(self.math("X", color=IN), buff=0.25)
        after_name = after.label(self.prose("$X$ with position {j} replaced", j=self.pos(), color=IN), buff=0.25)
        dY_name = dY.label(self.prose("change of the FFN output", color=OUT), buff=0.25)
        dA_name = dA.label(self.prose("change of the attention output", color=OUT), buff=0.25)
        inputs = VGroup(VGroup(before, before_name), VGroup(after, after_name)).arrange(RIGHT, buff=1.6)
        changes = VGroup(VGroup(dY, dY_name), VGroup(dA, dA_name)).arrange(RIGHT, buff=2.4)
        VGroup(inputs, changes).arrange(DOWN, buff=0.7)
        def shown(name: str, i: int) -> Source:  # an exact zero reads 0, not 0.00
            return b.value(name, (i,), 2, "g" if float(b.tensors[name][i]) == 0.0 else "f")

        cols = VGroup(*(label_rows(m, [b.number(shown(name, i), style.NUMBER_SIZE, color=DIFF)
                                       for i in range(m.n_rows)], side=RIGHT, buff=0.45)
                        for name, m in (("dY_max", dY), ("dA_max", dA))))
        heads = VGroup(*(self.math("max |Delta|", style.NOTE_SIZE, style.TEXT).next_to(c, UP, buff=0.25)
                         for c in cols))
        style.STAGE.place(VGroup(inputs, changes, cols, heads))
        boxes = VGroup(before.box(rows=(j, j + 1), color=IN), after.box(rows=(j, j + 1), color=IN))
        self.say("Keep every input the same except position {j}, which gets a new vector.", j=self.pos())
        self.play(FadeIn(inputs), Create(boxes))
        self.hold_caption()
        self.say("The FFN output changes only at position {j}. At every other position the change is exactly {z}.",
                 j=self.pos(), z=b.value("ffn_other_max", (), style="g"))
        self.play(FadeIn(changes[0]), FadeIn(cols[0]), FadeIn(heads[0]), Create(dY.box(rows=(j, j + 1), color=OUT)))
        self.hold_caption()
        self.say("Self-attention, given the same change, mixes positions: every output changes, by at least {m}.",
                 m=b.value("attn_other_min", (), style="g"))
        self.play(FadeIn(changes[1]), FadeIn(cols[1]), FadeIn(heads[1]))
        self.hold_caption()
        self.say("Attention moves information between positions; the FFN then works on each position's vector alone.")
        self.clear_stage()

    def parameters(self) -> None:
        self.beat("Parameters at real size")
        b = self.b
        D, F = b.value("big_dims", (0,), decimals=0), b.value("big_dims", (1,), decimals=0)
        ffn_rows = [("W_1", "{D} × {F}", {"D": D, "F": F}), ("b_1", "{F}", {"F": F}),
                    ("W_2", "{F} × {D}", {"F": F, "D": D}), ("b_2", "{D}", {"D": D})]
        att_rows = [row for n in "QKVO" for row in ((f"W_{n}", "{D} × {D2}", {"D": D, "D2": D}),
                                                     (f"b_{n}", "{D}", {"D": D}))]
        ffn = self.table("feed-forward", ffn_rows, "ffn_params", 0, style.TEXT)
        att = self.table("attention", att_rows, "attn_params", 1, style.TEXT)
        ffn_formula = self.math("{a} dot D dot d_\"ff\" + d_\"ff\" + D", style.NOTE_SIZE, style.MUTED,
                                a=b.value("n_ffn_weights", (), decimals=0))
        att_formula = self.math("{c} dot D dot D + {c2} dot D", style.NOTE_SIZE, style.MUTED,
                                c=b.value("n_attn_weights", (), decimals=0), c2=b.value("n_attn_weights", (), decimals=0))
        tables = VGroup(VGroup(ffn, ffn_formula).arrange(DOWN, aligned_edge=LEFT, buff=0.2),
                        VGroup(att, att_formula).arrange(DOWN, aligned_edge=LEFT, buff=0.2))
        tables.arrange(RIGHT, aligned_edge=UP, buff=0.6)
        top = float(b.tensors["param_totals"].max())
        plane = Plane(b, (-0.7, 1.7), (0.0, 1.2 * top), width=2.6, height=3.6, axes=False)
        bars = plane.bars("param_totals", color=style.TEXT, width=0.7)
        base = Line(plane.to_screen(-0.7, 0.0), plane.to_screen(1.7, 0.0), color=style.MUTED, stroke_width=2)
        plane.add(base, bars)
        names = VGroup(style.note("FFN").next_to(bars[0], DOWN, buff=0.15),
                       style.note("attention").next_to(bars[1], DOWN, buff=0.15))
        ratio = self.prose("FFN / attention = {r}", style.NOTE_SIZE, r=b.value("param_ratio", (), decimals=2))
        chart = VGroup(VGroup(plane, names), ratio).arrange(DOWN, buff=0.3)
        style.STAGE.place(VGroup(tables, chart).arrange(RIGHT, buff=0.7))
        self.say("At a real size: {D} dimensions, and {F} hidden units. These counts are read from real"
                 " nn.Linear modules built by torch, biases included.", D=D, F=F)
        self.play(FadeIn(ffn), FadeIn(ffn_formula), run_time=1.0)
        self.hold_caption()
        self.say("Attention's four projections, for queries, keys, values and output, are {D} by {D}, each with a"
                 " bias: {A} parameters in all.", D=D, A=b.value("param_totals", (1,), decimals=0, style="n"))
        self.play(FadeIn(att), FadeIn(att_formula), run_time=1.0)
        self.hold_caption()
        self.say("Counted alike, the FFN holds {r} times the parameters of attention in the same layer.",
                 r=b.value("param_ratio", (), decimals=2))
        self.play(Create(base), *(GrowFromEdge(bar, DOWN) for bar in bars), FadeIn(names), FadeIn(ratio),
                  run_time=1.2)
        self.clear_stage()

    def table(self, title: str, rows: list[tuple[str, str, dict[str, Source]]], counts: str, total: int,
              color: str) -> VGroup:
        """Return a parameter table: name, shape and count per row, then the total, counts right-aligned."""
        b = self.b
        cells = VGroup()
        for i, (name, shape, fields) in enumerate(rows):
            cells.add(self.math(name, color=color), self.math(shape.replace("×", "times"), **fields),
                      b.number(b.value(counts, (i,), decimals=0, style="n"), style.NUMBER_SIZE))
        cells.add(style.note("total", color=style.MUTED), VectorizedPoint(),
                  b.number(b.value("param_totals", (total,), decimals=0, style="n"), style.NUMBER_SIZE, color=color))
        cells.arrange_in_grid(rows=len(rows) + 1, cols=3, buff=(0.2, 0), col_alignments="llr",
                              col_widths=[0.6, 2.2, 1.4], row_heights=[0.42] * (len(rows) + 1))
        y = (cells[-4].get_y() + cells[-1].get_y()) / 2  # between the last row and the total
        rule = Line([cells.get_left()[0], y, 0], [cells.get_right()[0], y, 0], color=style.MUTED, stroke_width=1)
        return VGroup(style.note(title, color=color), VGroup(cells, rule)).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
