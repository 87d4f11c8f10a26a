"""Lecture `softmax`: real scores become positive weights that sum to one, smoothly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
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
    SurroundingRectangle,
    VGroup,
    VMobject,
)

from scenes.kit import style
from scenes.kit.binding import Binding, Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import number_row
from scenes.kit.plot import Plane

SCORE = style.ROLE["Q"]
WEIGHT = "#7ee787"
EXP = "#ffa657"
NAIVE = "#ff7b72"
HARD = "#e3b341"
VALUE = style.ROLE["V"]
SIZE = 22  # font of numbers in charts and rows
CELL = 0.95  # width of one key's column in rows and charts
CHART_H = 2.6  # height of the score and weight bar charts
ROW: dict[str, Any] = {"size": SIZE, "cell": CELL, "align": "center"}  # number rows: centred in the charts' key columns


class BarChart(VGroup):
    """Audited bars of a 1-D tensor, each value above (or below) its bar, keys k_j underneath."""

    def __init__(self, b: Binding, name: str, color: str, height: float, cell: float = CELL) -> None:
        super().__init__()
        t = b.tensors[name]
        n = int(t.shape[0])
        lo, hi = min(0.0, float(t.min())), max(0.0, float(t.max()))
        pad = 0.12 * (hi - lo)
        self.plane = Plane(b, (-0.5, n - 0.5), (lo - (pad if lo < 0 else 0.0), hi + pad), width=n * cell,
                           height=height, axes=False)
        self.bars = self.plane.bars(name, color=color, width=0.7)
        base = Line(self.plane.to_screen(-0.5, 0.0), self.plane.to_screen(n - 0.5, 0.0), color=style.MUTED,
                    stroke_width=2)
        self.plane.add(base, self.bars)
        self.numbers = VGroup()
        for k, bar in enumerate(self.bars):
            num = b.number(b.value(name, (k,)), SIZE, color=color)
            self.numbers.add(num.next_to(bar, UP if float(t[k]) >= 0 else DOWN, buff=0.08))
        floor = min(self.plane.to_screen(0.0, self.plane.y_range[0])[1], self.numbers.get_bottom()[1])
        self.keys = VGroup()
        for k in range(n):
            key = b.text("k_{j}", math=True, font_size=SIZE, j=b.index(name, 0, k)).set_color(style.MUTED)
            self.keys.add(key.move_to(np.array([self.plane.to_screen(k, 0.0)[0], floor - 0.25, 0.0])))
        self.add(self.plane, self.numbers, self.keys)


class CurvePlot(VGroup):
    """The weight of one key against its own score: softmax (smooth) and argmax (a step)."""

    def __init__(self, b: Binding, r: int, top: int) -> None:
        super().__init__()
        xs = b.tensors["curve_x"]
        n = int(xs.shape[0])
        x0, x1 = float(xs[0]), float(xs[-1])
        plane = Plane(b, (x0, x1), (-0.08, 1.12), width=4.4, height=3.8, axes=False)
        x_src = [b.value("curve_x", (k,)) for k in range(n)]
        self.soft = plane.curve(x_src, [b.value("curve_soft", (k,)) for k in range(n)], color=WEIGHT)
        self.hard = plane.curve(x_src, [b.value("curve_hard", (k,)) for k in range(n)], color=HARD)
        self.dots = VGroup(
            plane.dot(b.value("s", (r,)), b.value("w", (r,)), color=WEIGHT),
            plane.dot(b.value("s_nudged", (r,)), b.value("w_nudged", (r,)), color=WEIGHT),
            plane.dot(b.value("s", (r,)), b.value("hard", (r,)), color=HARD),
            plane.dot(b.value("s_nudged", (r,)), b.value("hard_nudged", (r,)), color=HARD),
        )
        axes = VGroup(Line(plane.to_screen(x0, 0.0), plane.to_screen(x1, 0.0), color=style.MUTED, stroke_width=2),
                      Line(plane.to_screen(x0, 0.0), plane.to_screen(x0, 1.12), color=style.MUTED, stroke_width=2))
        tick = plane.tick(b.value("s", (top,)))
        y_tick = plane.tick(b.value("hard", (top,), 0), axis="y")
        plane.add(axes, tick, y_tick, self.soft, self.hard, self.dots)
        key = b.index("s", 0, r)
        x_name = b.text("s_{r}", math=True, font_size=SIZE, r=key).set_color(style.MUTED)
        x_name.next_to(plane.to_screen(x1, 0.0), DOWN, buff=0.3).shift(LEFT * 0.2)
        y_name = b.text("weight of $k_{r}$", font_size=SIZE, r=key).set_color(style.MUTED)
        y_name.next_to(plane.to_screen(x0, 1.12), UP, buff=0.1).shift(RIGHT * 0.6)
        legend = VGroup(style.note("softmax", size=SIZE, color=WEIGHT), style.note("argmax", size=SIZE, color=HARD))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.1).next_to(plane.to_screen(x0, 1.0), RIGHT, buff=0.2)
        self.frame = VGroup(axes, tick, y_tick, x_name, y_name, legend)
        self.add(plane, x_name, y_name, legend)


class SoftmaxLecture(LectureScene):
    """Why attention uses softmax: positive, sums to one, keeps the order, smooth."""

    beats = ("scores", "softmax", "divide", "smooth", "rows", "values", "recap")
    recap_lines = (
        "Softmax turns any real scores into positive weights that sum to one.",
        "It keeps their order; adding a constant changes nothing.",
        "Dividing by the sum breaks on negative scores and near-zero sums.",
        "It is a soft argmax: a small nudge gives a small change.",
        "The weights mix the value rows into each output.",
    )
    recap_caption = "Softmax: a smooth, order-keeping way to turn any scores into weights that sum to one."

    # -- helpers ------------------------------------------------------------------------------
    @property
    def L(self) -> int:
        """Number of keys."""
        return int(self.result.config.seq_len)

    @property
    def i(self) -> int:
        """The followed query, 0-based."""
        return int(self.result.config.query) - 1

    def key(self, rank: int) -> int:
        """Return the key index holding the rank-th largest score (0 = the largest)."""
        return int(self.b.tensors["order"][rank])

    def query(self) -> Source:
        """Return the source of the followed query's position, shown 1-based."""
        return self.b.index("S", 0, self.i)

    def labelled(self, label: VMobject, row: VGroup, y: float) -> VGroup:
        """Return a number row with its cells starting at x = 0.2 and its label ending at x = 0, at height y."""
        row.shift(np.array([0.2 - (row[0].get_x() - CELL / 2), y - row.get_y(), 0.0]))
        if len(label.submobjects) or label.has_points():
            label.move_to(np.array([-label.width / 2, y, 0.0]))
        return VGroup(label, row)

    def table(self, rows: list[tuple[VMobject, VGroup]], gap: float = 0.45) -> VGroup:
        """Return labelled rows stacked downwards with their columns aligned."""
        return VGroup(*(self.labelled(label, row, -k * gap) for k, (label, row) in enumerate(rows)))

    # -- beats --------------------------------------------------------------------------------
    def scores(self) -> None:
        self.beat("Why softmax? Real scores first")
        b = self.b
        q = self.matrix("q", color=style.ROLE["Q"])
        K = self.matrix("K", color=style.ROLE["K"])
        q_lab = self.math("q_{i}", color=style.ROLE["Q"], i=self.query()).next_to(q, LEFT, buff=0.25)
        k_lab = self.math("K", color=style.ROLE["K"]).next_to(K, LEFT, buff=0.25)
        keys = VGroup(*(self.math("k_{j}", size=SIZE, color=style.MUTED, j=b.index("K", 0, k))
                        .next_to(K.slot(k, k + 1, K.n_cols, K.n_cols)[0], RIGHT, buff=0.2).shift(DOWN * K.cell[1] / 2)
                        for k in range(self.L)))
        mats = VGroup(VGroup(q, q_lab), VGroup(K, k_lab, keys)).arrange(DOWN, buff=0.5)
        mats[0].shift(RIGHT * (K.get_left()[0] - q.get_left()[0]))
        chart = BarChart(b, "s", SCORE, height=CHART_H)
        formula = self.math("s_j = q_{i} dot k_j \\/ sqrt(d_k), #h(0.6em) d_k = {d}", color=SCORE,
                            i=self.query(), d=b.dim("K", 1))
        right = VGroup(formula, chart).arrange(DOWN, buff=0.45)
        style.STAGE.place(VGroup(mats, right).arrange(RIGHT, buff=1.0))
        self.say(
            "Attention needs positive weights that add up to one. Start from real scores: query {i} against {L} keys.",
            i=self.query(), L=b.dim("K", 0),
        )
        self.play(FadeIn(mats), run_time=0.8)
        self.play(FadeIn(formula), Create(chart.plane), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(v) for v in chart.numbers), lag_ratio=0.1), FadeIn(chart.keys), run_time=0.8)
        self.say("Scores are plain real numbers of either sign: bars below the axis are negative.")
        self.hold_caption()
        self.play(FadeOut(mats), FadeOut(formula), run_time=0.4)
        self.chart = chart

    def softmax(self) -> None:
        self.beat("Softmax: positive, sums to one, keeps the order")
        b, L = self.b, self.L
        s_chart = self.chart
        w_chart = BarChart(b, "w", WEIGHT, height=CHART_H)
        probe = s_chart.copy()  # a layout probe only: never shown
        top = VGroup(probe, w_chart).arrange(RIGHT, buff=1.4)
        rows = self.table([
            (self.math("e^(s_j)", color=EXP), number_row(b, "exp_s", (), L, color=EXP, **ROW)),
            (self.math("w_j = e^(s_j) \\/ sum_k e^(s_k)", color=WEIGHT), number_row(b, "w", (), L, color=WEIGHT, **ROW)),
            (self.math("\"softmax\"(s + {c})", color=style.MUTED, c=b.value("shift", (), 1)),
             number_row(b, "w_shifted", (), L, color=style.MUTED, **ROW)),
        ])
        extras = VGroup(self.math("sum = {z}", color=EXP, z=b.value("exp_sum", ())),
                        self.math("sum = {one}", color=WEIGHT, one=b.value("w_sum", ())),
                        self.prose("$max |Delta|$ = {d}", color=style.MUTED, d=b.value("shift_change", (), 2, "g")))
        for row, extra in zip(rows, extras):
            extra.next_to(row[1], RIGHT, buff=0.4)
        lower = VGroup(rows, extras)
        lower.next_to(top, DOWN, buff=0.6)
        lower.shift(RIGHT * (w_chart.keys[0].get_x() - rows[0][1][0].get_x()))  # columns under the weight bars
        s_name = style.note("scores $s$", color=SCORE).next_to(probe, UP, buff=0.2)
        w_name = style.note("weights $w$", color=WEIGHT).next_to(w_chart, UP, buff=0.2)
        style.STAGE.place(VGroup(top, lower, s_name, w_name))
        arrow = Arrow(LEFT, RIGHT, color=style.MUTED, stroke_width=3).scale(0.5)
        arrow.move_to(np.array([(probe.get_right()[0] + w_chart.get_left()[0]) / 2, w_chart.plane.get_y(), 0.0]))
        fx = style.note("softmax", color=style.MUTED).next_to(arrow, UP, buff=0.1)
        self.play(s_chart.animate.scale(probe.width / s_chart.width).move_to(probe), FadeIn(s_name), run_time=0.8)
        self.say(
            "Softmax takes e to the power of each score, always positive, then divides by their sum, {z}.",
            z=b.value("exp_sum", ()),
        )
        self.play(FadeIn(rows[0]), FadeIn(extras[0]), run_time=0.7)
        self.play(FadeIn(rows[1]), FadeIn(extras[1]), Create(arrow), FadeIn(fx), FadeIn(w_name),
                  Create(w_chart.plane), FadeIn(w_chart.numbers), FadeIn(w_chart.keys), run_time=1.0)
        a = self.key(0)
        self.say(
            "All weights are positive and sum to {one}. Order is kept: key {a} has the top score and the top weight.",
            one=b.value("w_sum", ()), a=b.index("s", 0, a),
        )
        marks = VGroup(*(SurroundingRectangle(VGroup(c.bars[a], c.numbers[a]), color=style.TEXT, buff=0.06,
                                              stroke_width=2) for c in (s_chart, w_chart)))
        self.play(Create(marks), run_time=0.5)
        self.wait(0.5)
        self.say(
            "Add {c} to every score: no weight changes (largest change {d}). Only score differences matter.",
            c=b.value("shift", (), 1), d=b.value("shift_change", (), 2, "g"),
        )
        self.play(FadeIn(rows[2]), FadeIn(extras[2]), run_time=0.7)
        self.hold_caption()
        self.play(*(FadeOut(m) for m in (w_chart, w_name, arrow, fx, rows, extras, marks)), run_time=0.5)

    def divide(self) -> None:
        self.beat("Why not just divide by the sum?")
        b = self.b
        naive = b.tensors["naive"]
        s = b.tensors["s"]
        near_zero = abs(float(b.tensors["s_sum"])) < 0.25 * float(s.abs().max())
        n_chart = BarChart(b, "naive", NAIVE, height=3.6)
        n_name = style.note("$s_j \\/ sum_k s_k$", color=NAIVE)
        n_sum = self.math("sum = {t}", color=NAIVE, t=b.value("naive_sum", ()))
        right = VGroup(n_name, n_chart, n_sum).arrange(DOWN, buff=0.25)
        replace(style.STAGE, left=self.chart.get_right()[0] + 1.2).place(right, align=LEFT)
        total = self.math("sum_k s_k = {S}", color=SCORE, S=b.value("s_sum", ()))
        total.next_to(self.chart, DOWN, buff=0.4)
        self.say("Why not simply divide each score by the sum of the scores? Here that sum is {S}.",
                 S=b.value("s_sum", ()))
        self.play(FadeIn(total), FadeIn(n_name), run_time=0.6)
        self.play(Create(n_chart.plane), FadeIn(n_chart.numbers), FadeIn(n_chart.keys), FadeIn(n_sum), run_time=1.0)
        neg, big = bool((naive < 0).any()), bool((naive > 1).any())
        if neg or big:
            kind = "negative and above one" if neg and big else "some negative" if neg else "some above one"
            blow = "This near-zero sum blows them up." if near_zero else "A sum near zero would blow them up."
            self.say(
                "They sum to one but are not weights: {lo} to {hi}, " + kind + ". " + blow,
                lo=b.value("naive_min", ()), hi=b.value("naive_max", ()),
            )
        elif bool((s < 0).all()):
            self.say("These scores are all negative: the results stay between zero and one, but the order flips, so a larger score gets less weight.")
        else:
            self.say("These scores are all positive, so it happens to work here; a single negative score would give a negative weight.")
        self.clear_stage()

    def smooth(self) -> None:
        self.beat("Smooth, unlike argmax")
        b, L = self.b, self.L
        top, r = self.key(0), self.key(1)
        jumped = float(b.tensors["hard_change"].abs().sum()) > 0
        head = VGroup(*(self.math("k_{j}", size=SIZE, color=style.MUTED, j=b.index("s", 0, k))
                        .move_to(np.array([(k + 0.5) * CELL, 0.0, 0.0])) for k in range(L)))
        spec = [("s", "s", SCORE, 2), ("s'", "s_nudged", SCORE, 2), ("\"softmax\"(s)", "w", WEIGHT, 2),
                ("\"softmax\"(s')", "w_nudged", WEIGHT, 2), ("\"argmax\"(s)", "hard", HARD, 0),
                ("\"argmax\"(s')", "hard_nudged", HARD, 0)]
        rows = [(self.math(label, size=SIZE, color=color), number_row(b, name, (), L, color=color, decimals=dec, **ROW))
                for label, name, color, dec in spec]
        lines = self.table([(VGroup(), head), *rows], gap=0.42)
        for k in (3, 5):  # a little air between the pairs
            lines[k:].shift(DOWN * 0.15)
        nudge = self.math("s' = s + {d} \" at \" k_{r}", color=SCORE, d=b.value("nudge", ()), r=b.index("s", 0, r))
        nudge.next_to(lines, UP, buff=0.35)
        table = VGroup(lines, nudge)
        plot = CurvePlot(b, r, top)
        style.STAGE.place(VGroup(table, plot).arrange(RIGHT, buff=0.8))
        box = SurroundingRectangle(VGroup(*(line[1][r] for line in lines)), color=style.TEXT, buff=0.08, stroke_width=2)
        self.say(
            "Nudge the score of key {r} by just {d}. The softmax weights move a little: key {r} gains {g}.",
            r=b.index("s", 0, r), d=b.value("nudge", ()), g=b.value("w_change", (r,)),
        )
        self.play(FadeIn(nudge), FadeIn(lines[:5]), Create(box), run_time=1.0)
        self.wait(0.5)
        if jumped:
            self.say(
                "Argmax gives all weight to the top score. The same nudge makes it jump: key {a} drops from one to zero.",
                a=b.index("s", 0, top),
            )
        else:
            self.say("Argmax gives all weight to the top score. The same nudge does not move it at all: no signal to learn from.")
        self.play(FadeIn(lines[5:]), run_time=0.7)
        self.wait(0.5)
        self.say(
            "Slide score {r} past the top score {t}: softmax rises smoothly; argmax stays flat, then jumps.",
            r=b.index("s", 0, r), t=b.value("s", (top,)),
        )
        self.play(FadeIn(plot.frame), Create(plot.soft), Create(plot.hard), run_time=1.2)
        self.play(FadeIn(plot.dots), run_time=0.5)
        self.clear_stage()

    def rows(self) -> None:
        self.beat("Every row sums to one")
        b, i = self.b, self.i
        cell = (0.86, style.CELL_H)
        S = self.matrix("S", color=SCORE, cell=cell)
        W = self.matrix("W", color=WEIGHT, cell=cell)
        R = self.matrix("row_sums", color=WEIGHT, cell=cell)
        arrow = Arrow(LEFT, RIGHT, color=style.MUTED, stroke_width=3).scale(0.45)
        mats = VGroup(S, arrow, W, R).arrange(RIGHT, buff=0.4)
        s_lab = S.label(self.math("S = Q K^T \\/ sqrt(d_k)", color=SCORE), buff=0.3)
        w_lab = W.label(self.math("W = \"softmax of each row\"", color=WEIGHT), buff=0.3)
        r_lab = R.label(style.note("row sums", color=WEIGHT), buff=0.3)
        style.STAGE.place(VGroup(mats, s_lab, w_lab, r_lab))
        boxes = VGroup(S.box(rows=(i, i + 1), color=style.TEXT), W.box(rows=(i, i + 1), color=style.TEXT),
                       R.box(rows=(i, i + 1), color=style.TEXT))
        self.say("For all queries at once, softmax runs along each row of the {L} by {L} scores.",
                 L=b.dim("S", 0))
        self.play(FadeIn(S), FadeIn(s_lab), run_time=0.6)
        self.play(Create(arrow), FadeIn(W), FadeIn(w_lab), run_time=0.8)
        self.say("Every row of weights sums to one, up to float32 rounding. Row {i} is our query.", i=self.query())
        self.play(FadeIn(R), FadeIn(r_lab), Create(boxes), run_time=0.8)
        self.clear_stage()

    def values(self) -> None:
        self.beat("The weighted sum of value rows")
        b = self.b
        w = self.matrix("w_col", color=WEIGHT)
        V = self.matrix("V", color=VALUE)
        C = self.matrix("contrib", color=VALUE)
        o = self.matrix("o")
        O = self.matrix("O_row")
        times = style.note("$dot.o$", size=style.LABEL_SIZE)
        eq = style.note("$=$", size=style.LABEL_SIZE)
        top = VGroup(w, times, V, eq, C).arrange(RIGHT, buff=0.3)
        o.next_to(C, DOWN, buff=0.9).align_to(C, LEFT)
        O.next_to(o, DOWN, buff=0.35).align_to(C, LEFT)
        w_lab = w.label(self.math("w_j", color=WEIGHT), buff=0.25)
        v_lab = V.label(self.math("V", color=VALUE), buff=0.25)
        c_lab = C.label(self.math("w_j v_j", color=VALUE), buff=0.25)
        o_lab = self.math("o = sum_j w_j v_j", color=style.TEXT).next_to(o, LEFT, buff=0.3)
        O_lab = self.math("(W V)_{i}", color=style.MUTED, i=self.query()).next_to(O, LEFT, buff=0.3)
        line = Line(C.get_corner(DOWN + LEFT), C.get_corner(DOWN + RIGHT), color=style.MUTED,
                    stroke_width=2).shift(DOWN * 0.35)
        diff = self.prose("$max |o - (W V)_{i}|$ = {d}", color=style.MUTED, i=self.query(),
                         d=b.value("out_diff", (), 2, "g"))
        body, _ = style.STAGE.rows(10, 1)  # the difference goes under the body
        body.place(VGroup(top, o, O, w_lab, v_lab, c_lab, o_lab, O_lab, line))
        diff.next_to(O, DOWN, buff=0.35).align_to(O_lab, LEFT)
        self.say("Each row of V is scaled by its weight: high-weight rows, like row {a}, count most.",
                 a=b.index("V", 0, self.key(0)))
        self.play(FadeIn(w), FadeIn(w_lab), FadeIn(V), FadeIn(v_lab), run_time=0.8)
        a = self.key(0)
        top_rows = VGroup(*(m.box(rows=(a, a + 1), color=WEIGHT) for m in (w, V, C)))
        self.play(FadeIn(times), FadeIn(eq), FadeIn(c_lab), Create(C.brackets),
                  LaggedStart(*(FadeIn(C.row(k), shift=RIGHT * 0.4) for k in range(self.L)), lag_ratio=0.15),
                  run_time=1.4)
        self.play(Create(top_rows), run_time=0.5)
        self.say(
            "The scaled rows add up to the output of query {i}: the same row as W V computed by torch.",
            i=self.query(),
        )
        self.play(Create(line), FadeIn(o), FadeIn(o_lab), run_time=0.8)
        self.play(FadeIn(O), FadeIn(O_lab), FadeIn(diff), run_time=0.6)
        self.clear_stage()
