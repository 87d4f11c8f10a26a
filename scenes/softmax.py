"""Lecture `softmax`: a trained head's real scores become positive weights that sum to one, smoothly."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Line,
    ReplacementTransform,
    VGroup,
    VMobject,
    linear,
)

from scenes.kit import style
from scenes.kit.binding import Binding, Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import glyph_box, label_rows, number_row
from scenes.kit.plot import Plane

SCORE = style.ROLE["score"]
WEIGHT = style.ROLE["attention"]
VALUE = style.ROLE["value"]
OUT = style.ROLE["output"]
GRAD = style.ROLE["gradient"]
PLAIN = style.TEXT  # e^s, s / sum s and argmax: not a role of attention, so no role hue
SIZE = style.NUMBER_SIZE  # numbers in charts and rows
CELL = 1.0  # width of one key's column in rows and charts
CHART_H = 2.2  # height of the bar charts
ROW: dict[str, Any] = {"size": SIZE, "cell": CELL, "align": "center"}  # number rows centred in the key columns


def sig(b: Binding, name: str, index: tuple[int, ...] = ()) -> Source:
    """Return a value in three significant digits, or all its integer digits when larger (1557, not 1.56e+03), never e-05."""
    v = abs(float(b.tensors[name][index]))
    if 0.0 < v < 1e-4:  # 'g' would write 2.33e-05: two fixed significant digits instead, 0.000023
        return b.value(name, index, 1 - int(np.floor(np.log10(v))), "f")
    return b.value(name, index, max(3, len(str(int(v)))), "g")


def g_row(b: Binding, name: str, count: int, color: str) -> VGroup:
    """Return a 1-D tensor's first entries in three significant digits, centred in key columns (e^s: 0.000244, never 0.00)."""
    row = VGroup()
    for k in range(count):
        row.add(b.number(sig(b, name, (k,)), SIZE, color=color).move_to([(k + 0.5) * CELL, 0.0, 0.0]))
    return row


def tick(scene: LectureScene, olds: list[VMobject], news: list[VMobject], *others: Any, run_time: float = 0.8) -> None:
    """Play the olds gliding onto the news (with others), then swap each for its new number, as a counter ticks."""
    scene.play(*others, *(o.animate.move_to(n) for o, n in zip(olds, news)), run_time=run_time)
    scene.remove(*olds)
    scene.add(*news)


def torch_cat(b: Binding, *names: str) -> list[float]:
    """Return the entries of several 1-D tensors as one list of floats (for a shared chart range)."""
    return [float(v) for n in names for v in b.tensors[n]]


def drop(scene: LectureScene, *charts: BarChart) -> None:
    """Remove charts whose parts were added one by one (bars, numbers, keys): every part, not only the group."""
    for c in charts:
        scene.remove(c, c.plane, c.base, c.bars, *c.bars, c.numbers, *c.numbers, c.keys, *c.keys)


def own(scene: LectureScene, chart: BarChart) -> None:
    """Put a chart drawn part by part on the scene as one group (so that one transform moves all of it)."""
    drop(scene, chart)
    scene.add(chart)


def rechart(b: Binding, old: BarChart, name: str, color: str, y_range: tuple[float, float], **kw: Any) -> BarChart:
    """Return a chart of `name` drawn on old's plane (same corners), with its own y range."""
    h = float(old.plane.corner_hi.get_center()[1] - old.plane.corner_lo.get_center()[1])
    cell = float(old.plane.corner_hi.get_center()[0] - old.plane.corner_lo.get_center()[0]) / len(old.bars)
    new = BarChart(b, name, color, height=h, y_range=y_range, cell=cell, **kw)
    new.shift(old.plane.corner_lo.get_center() - new.plane.corner_lo.get_center())
    return new


class BarChart(VGroup):
    """Audited bars of a 1-D tensor (or one row of a 2-D one), each value above (or below) its bar, keys underneath."""

    def __init__(self, b: Binding, name: str, color: str, height: float, prefix: tuple[int, ...] = (),
                 y_range: tuple[float, float] | None = None, words: tuple[str, ...] = (), decimals: int = 2, cell: float = CELL) -> None:
        super().__init__()
        t = b.tensors[name][prefix]
        n = int(t.shape[0])
        lo, hi = y_range or (min(0.0, float(t.min())), max(0.0, float(t.max())))
        pad = 0.12 * (hi - lo)
        self.plane = Plane(b, (-0.5, n - 0.5), (lo - (pad if lo < 0 else 0.0), hi + pad), width=n * cell,
                           height=height, axes=False)
        self.bars = self.plane.bars(name, color=color, width=0.7, prefix=prefix)
        self.base = Line(self.plane.to_screen(-0.5, 0.0), self.plane.to_screen(n - 0.5, 0.0), color=style.MUTED,
                         stroke_width=2)
        self.plane.add(self.base, self.bars)
        self.numbers = VGroup()
        for k, bar in enumerate(self.bars):
            num = b.number(b.value(name, (*prefix, k), decimals), SIZE, color=color)
            self.numbers.add(num.next_to(bar, UP if float(t[k]) >= 0 else DOWN, buff=0.08))
        floor = min(self.plane.to_screen(0.0, self.plane.y_range[0])[1], self.numbers.get_bottom()[1])
        self.keys = VGroup()
        for k in range(n):
            word = f" {words[k]}" if words else ""
            key = b.text("$k_{j}$" + word, font_size=SIZE, j=b.index(name, len(prefix), k)).set_color(style.MUTED)
            self.keys.add(key.move_to(np.array([self.plane.to_screen(k, 0.0)[0], floor - 0.25, 0.0])))
        self.add(self.plane, self.numbers, self.keys)

    def grow(self) -> list[Any]:
        """Return the animations that grow every bar from the axis."""
        return [GrowFromEdge(bar, DOWN if float(bar.get_center()[1]) >= float(self.base.get_y()) else UP)
                for bar in self.bars]


class CurvePlot(VGroup):
    """The weight of one key against its own score: softmax (smooth) and argmax (a step), with axes and ticks."""

    def __init__(self, b: Binding, r: int, top: int, width: float = 4.4, height: float = 3.4) -> None:
        super().__init__()
        xs = b.tensors["curve_x"]
        n = int(xs.shape[0])
        x0, x1 = float(xs[0]), float(xs[-1])
        plane = Plane(b, (x0, x1), (0.0, 1.12), width=width, height=height, axes=False)
        self.plane, self.r = plane, r
        x_src = [b.value("curve_x", (k,)) for k in range(n)]
        self.soft = plane.curve(x_src, [b.value("curve_soft", (k,)) for k in range(n)], color=WEIGHT)
        self.hard = plane.curve(x_src, [b.value("curve_hard", (k,)) for k in range(n)], color=PLAIN)
        self.tangent = plane.curve([b.value("tangent_x", (k,)) for k in range(2)],
                                   [b.value("tangent_y", (k,)) for k in range(2)], color=GRAD, stroke_width=4)
        axes = VGroup(Line(plane.to_screen(x0, 0.0), plane.to_screen(x1, 0.0), color=style.MUTED, stroke_width=2),
                      Line(plane.to_screen(x0, 0.0), plane.to_screen(x0, 1.12), color=style.MUTED, stroke_width=2))
        ticks = VGroup(plane.tick(b.value("s", (top,)), font_size=SIZE, color=SCORE),
                       plane.tick(b.value("s", (r,)), font_size=SIZE, color=SCORE),
                       plane.tick(b.value("hard", (top,), 0), axis="y", font_size=SIZE),
                       plane.tick(b.value("hard", (r,), 0), axis="y", font_size=SIZE))
        plane.add(axes, ticks)
        key = b.index("s", 0, r)
        x_name = b.text("score $s_{r}$", font_size=SIZE, r=key).set_color(style.MUTED)
        x_name.next_to(plane.to_screen(x1, 0.0), DOWN, buff=0.15).shift(LEFT * 0.5)
        y_name = b.text("weight of $k_{r}$", font_size=SIZE, r=key).set_color(style.MUTED)
        y_name.next_to(plane.to_screen(x0, 1.12), UP, buff=0.12).shift(RIGHT * 0.8)
        legend = VGroup(style.note("softmax", size=SIZE, color=WEIGHT), style.note("argmax", size=SIZE, color=PLAIN))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.1).next_to(plane.to_screen(x0, 0.9), RIGHT, buff=0.25)
        self.frame = VGroup(axes, ticks, x_name, y_name, legend)
        self.add(plane, x_name, y_name, legend, self.soft, self.hard, self.tangent)

    def dots(self, b: Binding, m: int) -> VGroup:
        """Return the softmax and the argmax dot of slide state m: (s_r, weight of key r)."""
        x = b.value("slide_x", (m,))
        return VGroup(self.plane.dot(x, b.value("slide_w", (m, self.r)), color=WEIGHT),
                      self.plane.dot(x, b.value("slide_hard", (m, self.r), 0), color=PLAIN))


class SoftmaxLecture(LectureScene):
    """Why attention uses softmax: positive, sums to one, keeps the order, turns differences into ratios, smooth."""

    beats = ("scores", "softmax", "divide", "smooth", "slide", "temperature", "rows", "values", "recap")
    roles = {"Q": "query", "q": "query", "K": "key", "V": "value", "S": "score", "s": "score", "s_nudged": "score",
             "A": "attention", "w": "attention", "w_nudged": "attention", "w_shifted": "attention",
             "w_col": "attention", "w_temp": "attention", "row_sums": "attention", "contrib": "value",
             "slide_s": "score", "slide_w": "attention", "grad_r": "gradient", "grad_step": "gradient",
             "slope": "gradient", "qk_terms": "score", "qk_dot": "score",
             "o": "output", "O_row": "output"}
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

    @property
    def words(self) -> tuple[str, ...]:
        """The sentence, one word per position."""
        return tuple(self.result.words)

    def key(self, rank: int) -> int:
        """Return the key index holding the rank-th largest score (0 = the largest)."""
        return int(self.b.tensors["order"][rank])

    def query(self) -> Source:
        """Return the source of the followed query's position, shown 1-based."""
        return self.b.index("S", 0, self.i)

    def k(self, j: int) -> Source:
        """Return the source of key j's position, shown 1-based."""
        return self.b.index("S", 1, j)

    def place_row(self, label: VMobject, row: VGroup, x0: float, y: float) -> VGroup:
        """Put a number row's first cell centre at x0 (cells CELL apart), its label ending left of it, at height y."""
        row.shift(np.array([x0 - row[0].get_x(), y - row.get_y(), 0.0]))
        label.next_to(row[0], LEFT, buff=0.45).set_y(y)
        return VGroup(label, row)

    # -- beats --------------------------------------------------------------------------------
    def scores(self) -> None:
        self.beat("Why softmax? Real scores of a trained head")
        b, i = self.b, self.i
        q = self.matrix("q")
        K = self.matrix("K")
        q_lab = self.math("q_{i}", color=style.ROLE["query"], i=self.query()).next_to(q, LEFT, buff=0.25)
        k_lab = self.math("K", color=style.ROLE["key"]).next_to(K, UP, buff=0.2)
        names = label_rows(K, [b.text("$k_{j}$ " + self.words[j], font_size=SIZE, j=self.k(j)).set_color(style.MUTED)
                               for j in range(self.L)], side=LEFT, buff=0.25)
        q_word = style.note(self.words[i], size=SIZE, color=style.MUTED).next_to(q, RIGHT, buff=0.25)
        left = VGroup(VGroup(q, q_lab, q_word), VGroup(K, k_lab, names)).arrange(DOWN, buff=0.45)
        chart = BarChart(b, "s", SCORE, height=CHART_H + 0.3, words=self.words)
        formula = self.math("s_j = q_{i} dot k_j \\/ sqrt(d_k), #h(0.6em) d_k = {d}", color=SCORE,
                            i=self.query(), d=b.dim("K", 1))
        task = self.prose("head {h} of a small model trained to name the word before each word: {p}% right on"
                          " unseen sentences", size=SIZE, color=style.MUTED, h=b.index("A_heads", 0, 0),
                          p=b.value("accuracy", (), 0))
        right = VGroup(formula, chart).arrange(DOWN, buff=0.45)
        body = VGroup(left, right).arrange(RIGHT, buff=0.9)
        style.STAGE.place(VGroup(task, body).arrange(DOWN, buff=0.4))
        self.say("These scores come from head {h} of a small model trained to name the word before each word:"
                 " query {i}, \"{w}\", against the {L} words of its sentence.",
                 h=b.index("A_heads", 0, 0), i=self.query(), w=b.string("query_word"), L=b.dim("K", 0))
        self.play(FadeIn(task), FadeIn(left), run_time=0.8)
        self.play(FadeIn(formula), Create(chart.base), FadeIn(chart.keys), run_time=0.6)
        self.hold_caption()
        a = self.key(0)
        terms = [b.number(b.value("qk_terms", (c,)), SIZE, color=SCORE) for c in range(q.n_cols)]
        parts: list[VMobject] = [self.math("q_{i} dot k_{j} =", color=SCORE, i=self.query(), j=self.k(a))]
        for c, t in enumerate(terms):
            parts += ([] if c == 0 else [self.math("+", color=SCORE)]) + [t]
        dot = b.number(b.value("qk_dot", ()), SIZE, color=SCORE)
        scaled = b.number(b.value("s", (a,)), SIZE, color=SCORE)
        parts += [self.math("=", color=SCORE), dot, self.math(r"\/ {r} =", color=SCORE, r=b.value("sqrt_dk", (), 0)),
                  scaled]
        work = VGroup(*parts).arrange(RIGHT, buff=0.1)
        work.next_to(VGroup(left, right), DOWN, buff=0.3)
        if work.get_bottom()[1] < style.BOTTOM:
            VGroup(task, left, right, work).shift(UP * (style.BOTTOM + 0.05 - work.get_bottom()[1]))
        self.say("Take key {j}: multiply the query and the key entry by entry and add, {d}. Divide by sqrt(d_k) = {r}:"
                 " the score {t}.", j=self.k(a), d=b.value("qk_dot", ()), r=b.value("sqrt_dk", (), 0),
                 t=b.value("s", (a,)))
        box = K.box(rows=(a, a + 1), color=style.TEXT)
        self.play(Create(box), FadeIn(parts[0]), run_time=0.5)
        self.combine([(VGroup(q.entry(0, c), K.entry(a, c)), t) for c, t in enumerate(terms)],
                     *(FadeIn(m) for m in parts[1:-4] if m not in terms), lag_ratio=0.3, run_time=2.0)
        self.combine([(VGroup(*terms), dot)], FadeIn(parts[-4]), run_time=0.8)
        self.play(FadeIn(parts[-2]), self.carry(dot, scaled), run_time=0.8)
        self.add(dot)
        self.play(self.carry(scaled, chart.numbers[a]), chart.grow()[a], run_time=0.8)
        self.hold_caption()
        self.say("The other keys the same way.")
        self.play(FadeOut(box), FadeOut(work), run_time=0.3)
        for j in range(self.L):
            if j == a:
                continue
            row = K.box(rows=(j, j + 1), color=style.MUTED)
            self.play(FadeIn(row), self.carry(VGroup(q.entries, K.row(j)), chart.numbers[j]),
                      chart.grow()[j], run_time=0.55)
            self.remove(row)
        self.say("Scores are plain real numbers of either sign. The top one, {t}, is key {a}, \"{w}\": the word before.",
                 t=b.value("s", (a,)), a=self.k(a), w=b.string("top_word"))
        mark = glyph_box([chart.bars[a], chart.numbers[a]], color=style.TEXT, buff=0.08)
        self.play(Create(mark), run_time=0.5)
        self.hold_caption()
        self.play(FadeOut(left), FadeOut(formula), FadeOut(task), FadeOut(mark), run_time=0.4)
        self.chart = chart

    def softmax(self) -> None:
        self.beat("Softmax: exponentiate, divide by the sum")
        b, L = self.b, self.L
        s_chart = self.chart
        a, r = self.key(0), self.key(1)
        gap = 1.4
        cell = min(CELL, (style.STAGE.width - 0.2 - gap - s_chart.plane.width) / L)  # both charts fit side by side
        w_chart = BarChart(b, "w", WEIGHT, height=s_chart.plane.height, y_range=(0.0, 1.0), cell=cell,
                           words=self.words)
        probe = s_chart.copy()
        charts = VGroup(probe, w_chart).arrange(RIGHT, buff=gap)
        exp_row = g_row(b, "exp_s", L, PLAIN)
        w_row = number_row(b, "w", (), L, color=WEIGHT, **ROW)
        rows = VGroup(self.math("e^(s_j)", color=PLAIN), exp_row, self.math("w_j", color=WEIGHT), w_row)
        total = self.math("sum_j e^(s_j) = {z}, quad w_j = e^(s_j) \\/ {z}", color=PLAIN, z=b.value("exp_sum", ()))
        ratio = self.math("w_{a} \\/ w_{r} = {x} = e^(s_{a} - s_{r}) approx e^{g}", color=WEIGHT, a=self.k(a),
                          r=self.k(r), x=b.value("ratio", ()), g=b.value("gap", ()))
        shift_row = number_row(b, "w_shifted", (), L, color=WEIGHT, **ROW)
        shift_lab = self.math("\"softmax\"(s + {c})", color=WEIGHT, c=b.value("shift", (), 1))
        shift_diff = self.prose("largest change {d}", color=style.MUTED, d=b.value("shift_change", (), 2, "g"))
        s_name = style.note("scores $s$", color=SCORE).next_to(probe, UP, buff=0.2)
        w_name = self.prose("weights $w$, summing to {one}", color=WEIGHT, one=b.value("w_sum", ()))
        w_name.next_to(w_chart, UP, buff=0.2)
        top = VGroup(charts, s_name, w_name)
        self.place_row(rows[0], exp_row, 0.0, 0.0)  # the rows' columns in line, their sums and changes on the right
        self.place_row(rows[2], w_row, 0.0, -0.5)
        self.place_row(shift_lab, shift_row, 0.0, -1.0)
        total.next_to(exp_row, RIGHT, buff=0.5)
        shift_diff.next_to(shift_row, RIGHT, buff=0.5)
        block = VGroup(rows, total, shift_row, shift_lab, shift_diff)
        ratio.next_to(block, DOWN, buff=0.3)
        style.STAGE.place(VGroup(top, VGroup(block, ratio)).arrange(DOWN, buff=0.35))
        block.shift(RIGHT * (probe.bars[0].get_x() - exp_row[0].get_x()))  # each number under its own score bar
        for label, row in ((rows[0], exp_row), (rows[2], w_row), (shift_lab, shift_row)):  # names after the rows
            label.next_to(row, RIGHT, buff=0.4).set_y(row.get_y())
        total.next_to(rows[0], RIGHT, buff=0.4)
        shift_diff.next_to(shift_lab, RIGHT, buff=0.4)
        arrow = style.arrow(probe.get_right() + RIGHT * 0.1, w_chart.get_left() + LEFT * 0.1)
        arrow.set_y(w_chart.plane.get_y())
        self.play(s_chart.animate.move_to(probe), FadeIn(s_name), run_time=0.8)
        self.s_name = s_name
        self.say("First e to the power of each score: always positive, and a higher score gives a larger number.")
        self.play(FadeIn(rows[0]), *(self.carry(s_chart.numbers[j], exp_row[j]) for j in range(L)),
                  run_time=1.2)
        self.say("Then divide each by their sum, {z}: the weights w.", z=b.value("exp_sum", ()))
        self.play(self.carry(exp_row, total), run_time=0.9)
        self.play(FadeIn(rows[2]), *(self.carry(exp_row[j], w_row[j]) for j in range(L)), run_time=1.0)
        self.play(Create(arrow), FadeIn(w_name), Create(w_chart.base), FadeIn(w_chart.keys),
                  *(self.carry(w_row[j], w_chart.numbers[j]) for j in range(L)), *w_chart.grow(),
                  run_time=1.2)
        z = self.key(L - 1)
        self.say("All weights are positive, even key {z}'s {m}. They sum to {one}, and key {a} keeps the top score"
                 " and the top weight, {w}.", z=self.k(z), m=b.value("w", (z,), 6),
                 one=b.value("w_sum", ()), a=self.k(a), w=b.value("w", (a,)))
        marks = VGroup(*(glyph_box([c.bars[a], c.numbers[a]], color=style.TEXT, buff=0.08) for c in (s_chart, w_chart)))
        tiny = self.math("w_{z} = {m}", color=WEIGHT, z=self.k(z), m=b.value("w", (z,), 6))
        tiny.next_to(rows[2], RIGHT, buff=0.4)
        self.play(Create(marks), FadeIn(tiny), run_time=0.6)
        self.hold_caption()
        self.say("Why e? It turns differences into ratios: key {a} scores {g} more than key {r}, so its weight is"
                 " e to the {g}, {x} times larger.", a=self.k(a), g=b.value("gap", ()), r=self.k(r),
                 x=b.value("ratio", ()))
        self.play(FadeIn(ratio, shift=UP * 0.2), run_time=0.8)
        self.hold_caption()
        # add SHIFT to every score: the bars rise, every e^s and the sum grow by e^SHIFT, the weights stay still
        lo = min(0.0, float(b.tensors["s_stable"].min()))
        hi = max(0.0, float(b.tensors["s_shifted"].max()))
        wide = rechart(b, s_chart, "s", SCORE, (lo, hi), words=self.words)
        up = rechart(b, s_chart, "s_shifted", SCORE, (lo, hi), words=self.words)
        low = rechart(b, s_chart, "s_stable", SCORE, (lo, hi), words=self.words)
        own(self, s_chart)
        self.play(FadeOut(marks), FadeOut(ratio), ReplacementTransform(s_chart, wide), run_time=0.6)
        up_name = self.math("s + {c}", color=SCORE, c=b.value("shift", (), 1)).move_to(s_name)
        low_name = self.math("s - max s", color=SCORE).move_to(s_name)
        up_row, low_row = g_row(b, "exp_shifted", L, PLAIN), g_row(b, "exp_stable", L, PLAIN)
        for row in (up_row, low_row):
            for j in range(L):
                row[j].move_to(exp_row[j])
        up_lab = self.math("e^(s_j + {c})", color=PLAIN, c=b.value("shift", (), 1))
        low_lab = self.math("e^(s_j - max s)", color=PLAIN)
        for lab in (up_lab, low_lab):
            lab.next_to(exp_row, RIGHT, buff=0.4).set_y(exp_row.get_y())
        up_total = self.math("sum = {z} times {f} = {y}", color=PLAIN, z=b.value("exp_sum", ()),
                             f=b.value("exp_shift", (), 1), y=sig(b, "exp_shifted_sum"))
        low_total = self.math("sum = {y}", color=PLAIN, y=b.value("exp_stable_sum", ()))
        for tot in (up_total, low_total):
            tot.next_to(low_lab, RIGHT, buff=0.4).set_y(exp_row.get_y())
        self.say("Add {c} to every score: each e to the s, and the sum, grow {f} times. No weight moves: the largest"
                 " change is {d}.", c=b.value("shift", (), 1), f=b.value("exp_shift", (), 1),
                 d=b.value("shift_change", (), 2, "g"))
        tick(self, [wide.numbers[j] for j in range(L)], [up.numbers[j] for j in range(L)],
             *(ReplacementTransform(wide.bars[j], up.bars[j]) for j in range(L)), ReplacementTransform(s_name, up_name),
             run_time=1.2)
        tick(self, [*exp_row, total], [*up_row, up_total], FadeOut(rows[0]), FadeIn(up_lab), run_time=0.9)
        self.play(FadeIn(shift_lab), *(self.carry(up_row[j], shift_row[j]) for j in range(L)), FadeIn(shift_diff),
                  Indicate(w_chart.bars, color=WEIGHT, scale_factor=1.0), run_time=1.2)
        self.hold_caption()
        self.say("Torch subtracts the top score first: no power exceeds one, so nothing overflows. Same weights.")
        tick(self, [up.numbers[j] for j in range(L)], [low.numbers[j] for j in range(L)],
             *(ReplacementTransform(up.bars[j], low.bars[j]) for j in range(L)), ReplacementTransform(up_name, low_name),
             run_time=1.2)
        tick(self, [*up_row], [*low_row], FadeOut(up_lab), FadeIn(low_lab), FadeOut(up_total), FadeIn(low_total),
             run_time=0.9)
        self.hold_caption()
        drop(self, wide, up)
        own(self, low)
        self.chart, self.s_name = low, low_name
        self.play(*(FadeOut(m) for m in (w_chart, w_name, arrow, rows[2:], low_row, low_lab, low_total, shift_row,
                                         shift_lab, shift_diff, tiny)), run_time=0.5)

    def divide(self) -> None:
        self.beat("Why not just divide by the sum?")
        b, L = self.b, self.L
        naive = b.tensors["naive"]
        s = b.tensors["s"]
        lo = min(0.0, float(naive.min()), float(s.min()))
        hi = max(1.0, float(naive.max()), float(s.max()))
        zoom = (min(0.0, float(naive.min())), max(1.0, float(naive.max())))
        H = CHART_H + 0.8
        n_chart = BarChart(b, "naive", PLAIN, height=H, y_range=(lo, hi), words=self.words)
        w_chart = BarChart(b, "w", WEIGHT, height=H, y_range=(lo, hi), words=self.words)
        s_row = number_row(b, "s", (), L, color=SCORE, **ROW)
        s_lab = self.math("s_j", color=SCORE)
        n_name = self.math("s_j \\/ sum_k s_k = s_j \\/ ({S})", color=PLAIN, S=b.value("s_sum", ()))
        w_name = style.note("softmax weights, on the same scale", color=WEIGHT)
        n_sum = self.math("sum = {t}", color=PLAIN, t=b.value("naive_sum", ()))
        self.place_row(s_lab, s_row, 0.0, 0.0)
        s_row.next_to(n_chart.keys, DOWN, buff=0.3)
        s_row.shift(RIGHT * (n_chart.bars[0].get_x() - s_row[0].get_x()))
        s_lab.next_to(s_row, LEFT, buff=0.3)
        n_sum.next_to(s_row, DOWN, buff=0.3)
        left = VGroup(n_name, VGroup(n_chart, s_row, s_lab, n_sum))
        n_name.next_to(n_chart, UP, buff=0.3)
        right = VGroup(w_name, w_chart)
        w_name.next_to(w_chart, UP, buff=0.3)
        panels = VGroup(left, right).arrange(RIGHT, buff=1.0, aligned_edge=UP)
        w_chart.shift(UP * (n_chart.plane.corner_lo.get_y() - w_chart.plane.corner_lo.get_y()))
        w_name.next_to(w_chart, UP, buff=0.3)
        style.STAGE.place(panels)
        sc = rechart(b, n_chart, "s", SCORE, (lo, hi), words=self.words)  # the scores on the same plane: their bars turn into s_j / sum
        nz = rechart(b, n_chart, "naive", PLAIN, zoom, words=self.words)  # then the axis zooms in to read them
        wz = rechart(b, w_chart, "w", WEIGHT, zoom, words=self.words)
        old = self.chart
        self.play(*(ReplacementTransform(old.bars[j], sc.bars[j]) for j in range(L)),
                  *(FadeOut(old.numbers[j]) for j in range(L)), *(FadeIn(sc.numbers[j]) for j in range(L)),
                  ReplacementTransform(old.keys, n_chart.keys), ReplacementTransform(old.base, n_chart.base),
                  FadeOut(self.s_name), run_time=0.8)
        drop(self, old)  # the transforms' targets were swapped into old's groups: put them back on their own
        self.add(*sc.bars, n_chart.keys, n_chart.base)
        self.say("Why not simply divide each score by the sum of the scores? Here that sum is {S}.",
                 S=b.value("s_sum", ()))
        self.play(FadeIn(s_lab), *(ReplacementTransform(sc.numbers[j], s_row[j]) for j in range(L)), run_time=0.8)
        self.combine([(s_row, n_name)], lag_ratio=0.0, run_time=0.9)
        self.hold_caption()
        if float(b.tensors["s_sum"]) < 0:
            self.say("A negative sum flips and shrinks every bar: each score becomes s_j over {S}.",
                     S=b.value("s_sum", ()))
        else:
            self.say("Dividing by the sum shrinks every bar: each score becomes s_j over {S}.", S=b.value("s_sum", ()))
        self.play(*(ReplacementTransform(sc.bars[j], n_chart.bars[j]) for j in range(L)),
                  *(self.carry(s_row[j], n_chart.numbers[j]) for j in range(L)), run_time=2.2)
        self.play(FadeIn(n_sum), FadeIn(w_name), FadeIn(w_chart), run_time=0.8)
        self.hold_caption()
        self.play(*(ReplacementTransform(c.bars[j], z.bars[j]) for c, z in ((n_chart, nz), (w_chart, wz))
                    for j in range(L)),
                  *(c.numbers[j].animate.move_to(z.numbers[j]) for c, z in ((n_chart, nz), (w_chart, wz))
                    for j in range(L)), run_time=1.0)
        drop(self, n_chart, w_chart)
        own(self, nz)
        own(self, wz)
        n_chart, w_chart = nz, wz
        top, bottom = self.key(0), self.key(L - 1)
        flipped = float(naive[top]) < float(naive[bottom])
        if flipped:
            self.say("They sum to one but are not weights: the top score, key {a}, gets {x}, while the lowest, key {z},"
                     " gets {y}. A negative sum flips the order.", a=self.k(top), x=b.value("naive", (top,)),
                     z=self.k(bottom), y=b.value("naive", (bottom,)))
            marks = VGroup(*(glyph_box([n_chart.bars[k], n_chart.numbers[k]], color=style.DIFFERENCE, buff=0.08)
                             for k in (top, bottom)))
            self.play(Create(marks), run_time=0.6)
        elif bool((naive < 0).any()) or bool((naive > 1).any()):
            self.say("They sum to one but are not weights: they run from {lo} to {hi}, outside zero to one.",
                     lo=b.value("naive_min", ()), hi=b.value("naive_max", ()))
        elif bool((s < 0).all()):
            self.say("These scores are all negative: the results stay between zero and one, but the order flips.")
        else:
            self.say("These scores are all positive, so it happens to work here; one negative score would give a"
                     " negative weight.")
        self.hold_caption()
        self.say("Softmax has neither problem: every weight is positive, and the top score keeps the top weight.")
        self.clear_stage()

    def smooth(self) -> None:
        self.beat("Smooth, unlike argmax")
        b, L = self.b, self.L
        top, r = self.key(0), self.key(1)
        jumped = float(b.tensors["hard_change"].abs().sum()) > 0
        cell, H = 0.78, CHART_H + 1.0
        s_all = torch_cat(b, "s", "s_nudged")
        s_range = (min(0.0, min(s_all)), max(0.0, max(s_all)))
        sc = BarChart(b, "s", SCORE, height=H, y_range=s_range, cell=cell)
        wc = BarChart(b, "w", WEIGHT, height=H, y_range=(0.0, 1.0), cell=cell)
        hc = BarChart(b, "hard", PLAIN, height=H, y_range=(0.0, 1.0), cell=cell, decimals=0)
        names = (self.math("\"scores\" s", color=SCORE), self.math("\"softmax\"(s)", color=WEIGHT),
                 self.math("\"argmax\"(s)", color=PLAIN))
        panels = VGroup(*(VGroup(n, c).arrange(DOWN, buff=0.3) for n, c in zip(names, (sc, wc, hc))))
        panels.arrange(RIGHT, buff=0.9, aligned_edge=DOWN)
        change = number_row(b, "w_change", (), L, color=style.DIFFERENCE, size=SIZE, cell=cell, align="center")
        grad = number_row(b, "grad_step", (), L, color=GRAD, size=SIZE, cell=cell, align="center")
        h_change = number_row(b, "hard_change", (), L, color=style.DIFFERENCE, decimals=0, size=SIZE, cell=cell,
                              align="center")
        floor = min(c.keys.get_bottom()[1] for c in (sc, wc, hc))
        for row, chart, n in ((change, wc, 0), (grad, wc, 1), (h_change, hc, 0)):
            row.shift(np.array([chart.bars[0].get_x() - row[0].get_x(), floor - 0.4 - 0.5 * n - row.get_y(), 0.0]))
        c_lab = self.math("\"change\"", size=SIZE, color=style.DIFFERENCE).next_to(change, LEFT, buff=0.35)
        g_lab = self.math("\"gradient: \" {d} times partial w \\/ partial s_{r}", size=SIZE, color=GRAD,
                          d=b.value("nudge", ()), r=self.k(r)).next_to(grad, LEFT, buff=0.35)
        h_lab = self.math("\"change\"", size=SIZE, color=style.DIFFERENCE).next_to(h_change, LEFT, buff=0.25)
        nudge = self.math("s' = s + {d} \" at \" k_{r}", color=SCORE, d=b.value("nudge", ()), r=self.k(r))
        style.STAGE.place(VGroup(panels, change, grad, h_change, c_lab, g_lab, h_lab))
        nudge.next_to(sc.keys, DOWN, buff=0.3).align_to(sc.plane, LEFT)
        sn = rechart(b, sc, "s_nudged", SCORE, s_range)
        wn = rechart(b, wc, "w_nudged", WEIGHT, (0.0, 1.0))
        hn = rechart(b, hc, "hard_nudged", PLAIN, (0.0, 1.0), decimals=0)
        n_names = (self.math("\"scores\" s'", color=SCORE).move_to(names[0]), self.math("\"softmax\"(s')", color=WEIGHT).move_to(names[1]),
                   self.math("\"argmax\"(s')", color=PLAIN).move_to(names[2]))
        self.play(*(FadeIn(p) for p in panels), run_time=0.8)
        box = glyph_box([sc.bars[r], sc.numbers[r], sc.keys[r]], color=style.TEXT, buff=0.1)
        self.say("Nudge the score of key {r} up by just {d}. The softmax weights move a little: key {r} gains {g}.",
                 r=self.k(r), d=b.value("nudge", ()), g=b.value("w_change", (r,)))
        self.play(Create(box), FadeIn(nudge), run_time=0.5)
        tick(self, [sc.numbers[r]], [sn.numbers[r]], ReplacementTransform(sc.bars[r], sn.bars[r]),
             ReplacementTransform(names[0], n_names[0]),
             box.animate.become(glyph_box([sn.bars[r], sn.numbers[r], sc.keys[r]], color=style.TEXT, buff=0.1)),
             run_time=0.9)
        tick(self, list(wc.numbers), list(wn.numbers), *(ReplacementTransform(wc.bars[j], wn.bars[j]) for j in range(L)),
             ReplacementTransform(names[1], n_names[1]), run_time=1.2)
        self.play(FadeIn(c_lab), *(self.carry(wn.numbers[j], change[j]) for j in range(L)), run_time=0.9)
        w_box = glyph_box([wn.bars[r], wn.numbers[r], change[r]], color=style.TEXT, buff=0.1)
        self.play(Create(w_box), run_time=0.5)
        self.hold_caption()
        self.say("Autograd gives the gradient of every weight with respect to s_{r}. Times the nudge, it predicts"
                 " that change: {p} for key {r}.", r=self.k(r), p=b.value("grad_step", (r,)))
        self.play(FadeIn(g_lab), FadeIn(grad, shift=UP * 0.15),
                  w_box.animate.become(glyph_box([wn.bars[r], wn.numbers[r], change[r], grad[r]], color=style.TEXT,
                                                 buff=0.1)), run_time=0.9)
        self.hold_caption()
        if jumped:
            self.say("Argmax puts all weight on the top score. The same nudge makes it jump: key {a} drops from one"
                     " to zero.", a=self.k(top))
        else:
            self.say("Argmax puts all weight on the top score. The same nudge does not move it at all: no signal to"
                     " learn from.")
        tick(self, list(hc.numbers), list(hn.numbers), *(ReplacementTransform(hc.bars[j], hn.bars[j]) for j in range(L)),
             ReplacementTransform(names[2], n_names[2]), run_time=0.8)
        self.play(FadeIn(h_lab), *(self.carry(hn.numbers[j], h_change[j]) for j in range(L)),
                  Indicate(hn.bars, color=PLAIN, scale_factor=1.0), run_time=1.0)
        self.hold_caption()
        self.clear_stage()

    def slide(self) -> None:
        self.beat("Slide one score: the weights follow")
        b, L = self.b, self.L
        top, r = self.key(0), self.key(1)
        M = int(b.tensors["slide_x"].shape[0])
        cell = 0.7
        s_all = b.tensors["slide_s"]
        s_range = (min(0.0, float(s_all.min())), max(0.0, float(s_all.max())))
        H = 3.6

        def charts(m: int) -> tuple[BarChart, BarChart]:
            return (BarChart(b, "slide_s", SCORE, height=H, prefix=(m,), y_range=s_range, cell=cell),
                    BarChart(b, "slide_w", WEIGHT, height=H, prefix=(m,), y_range=(0.0, 1.0), cell=cell))

        s0, w0 = charts(0)
        plot = CurvePlot(b, r, top, width=4.2, height=H)
        s_name = self.math("\"scores\" s", color=SCORE)
        w_name = self.math("\"weights\" w = \"softmax\"(s)", color=WEIGHT)
        panels = VGroup(VGroup(s_name, s0).arrange(DOWN, buff=0.3), VGroup(w_name, w0).arrange(DOWN, buff=0.3),
                        plot).arrange(RIGHT, buff=0.8, aligned_edge=DOWN)
        style.STAGE.place(panels)
        dots = plot.dots(b, 0)
        states = [(s0, w0, dots)]
        for m in range(1, M):  # every state drawn where state 0 is: the same planes, only the values differ
            sm, wm = charts(m)
            for new, old in ((sm, s0), (wm, w0)):
                new.shift(old.plane.corner_lo.get_center() - new.plane.corner_lo.get_center())
            states.append((sm, wm, plot.dots(b, m)))
        self.say("Now slide the score of key {r} up, past the top score {t}. Every weight follows smoothly: key {r}'s"
                 " rises to {w}, the others give way.", r=self.k(r), t=b.value("s", (top,)),
                 w=b.value("slide_w", (M - 1, r)))
        self.play(FadeIn(s_name), FadeIn(s0), FadeIn(w_name), FadeIn(w0), FadeIn(plot.frame), run_time=0.8)
        self.play(Create(plot.soft), Create(plot.hard), FadeIn(dots), run_time=1.2)
        mark = glyph_box([s0.keys[r]], color=style.TEXT, buff=0.08)
        self.play(Create(mark), run_time=0.4)
        top_s = float(b.tensors["s"][top])
        cross = next((m for m in range(1, M) if float(b.tensors["slide_x"][m]) > top_s), M)
        for m in range(1, M):
            if m == cross:
                self.say("Argmax, the white step, stays at zero, then jumps to one the moment s_{r} passes {t}.",
                         r=self.k(r), t=b.value("s", (top,)))
            (sa, wa, da), (sz, wz, dz) = states[m - 1], states[m]
            olds, news = [sa.numbers[r], *wa.numbers], [sz.numbers[r], *wz.numbers]
            self.play(ReplacementTransform(sa.bars[r], sz.bars[r]),  # bars and dots glide; numbers ride along
                      *(ReplacementTransform(wa.bars[j], wz.bars[j]) for j in range(L)),
                      *(o.animate.move_to(n) for o, n in zip(olds, news)),
                      ReplacementTransform(da, dz), run_time=0.6, rate_func=linear)
            self.remove(*olds)  # then each number ticks to its new value, as a counter does (never a morph of glyphs)
            self.add(*news)
        self.play(Indicate(plot.hard, color=PLAIN, scale_factor=1.0), run_time=1.0)
        self.hold_caption()
        start = plot.dots(b, 0)[0]
        slope = self.prose("slope {g}", size=SIZE, color=GRAD, g=b.value("slope", ()))
        slope.next_to(plot.tangent, UP, buff=0.15)
        self.say("Back where key {r} started, at s_{r} = {x}, the slope of the softmax curve is the gradient autograd"
                 " gave: {g}. Argmax is flat"
                 " on both sides of its jump: slope zero, nothing to learn from.", g=b.value("slope", ()),
                 r=self.k(r), x=b.value("s", (r,)))
        self.play(FadeIn(start), Create(plot.tangent), FadeIn(slope), run_time=1.0)
        self.clear_stage()

    def temperature(self) -> None:
        self.beat("Temperature: divide the scores first")
        b = self.b
        T = int(b.tensors["temps"].shape[0])
        cell = min(0.78, (style.STAGE.width - 0.3 - 0.5 * (T - 1)) / (T * self.L))  # T charts side by side
        charts = VGroup(*(BarChart(b, "w_temp", WEIGHT, height=CHART_H + 1.6, prefix=(t,), y_range=(0.0, 1.0),
                                   cell=cell)
                          for t in range(T)))
        names = VGroup(*(VGroup(self.math("T = {T}", style.LABEL_SIZE, color=style.TEXT, T=b.value("temps", (t,), 1)),
                                self.math("\"softmax\"(s \\/ {T})", color=WEIGHT, T=b.value("temps", (t,), 1)))
                         .arrange(DOWN, buff=0.12) for t in range(T)))
        panels = VGroup(*(VGroup(n, c).arrange(DOWN, buff=0.3) for n, c in zip(names, charts)))
        panels.arrange(RIGHT, buff=0.5, aligned_edge=DOWN)
        style.STAGE.place(panels)
        mid = int(np.argmin(np.abs(b.tensors["temps"].numpy() - 1.0)))
        self.say("Divide the scores by a temperature T before softmax. At T = {t}, the weights from the start.",
                 t=b.value("temps", (mid,), 1))
        self.play(FadeIn(panels[mid]), run_time=0.8)
        self.hold_caption()
        self.say("Smaller T sharpens them: the top weight grows to {a}. Larger T flattens them: it falls to {c}.",
                 a=b.value("w_temp_max", (0,)), c=b.value("w_temp_max", (T - 1,)))
        others = [t for t in range(T) if t != mid]
        self.play(*(FadeIn(names[t]) for t in others), *(FadeIn(charts[t].keys) for t in others),
                  *(Create(charts[t].base) for t in others),
                  *(self.carry(charts[mid].bars, charts[t].bars) for t in others),
                  *(self.carry(charts[mid].numbers, charts[t].numbers) for t in others), run_time=1.5)
        self.hold_caption()
        self.say("Dividing every score by the square root of d_k is such a temperature: the next lecture shows why"
                 " attention needs it.")
        self.clear_stage()

    def rows(self) -> None:
        self.beat("Every row sums to one")
        b = self.b
        cell = (min(0.8, 4.3 / self.L), 0.62)  # S, A and the row sums side by side
        S = self.matrix("S", cell=cell)
        A = self.matrix("A", cell=cell)
        R = self.matrix("row_sums", cell=cell)
        arrow = style.arrow(LEFT * 0.4, RIGHT * 0.4, buff=0.0)
        mats = VGroup(S, arrow, A, R).arrange(RIGHT, buff=0.3)
        R.shift(RIGHT * 0.4)  # its label clear of A's
        s_lab = S.label(self.math("S = Q K^T \\/ sqrt(d_k)", color=SCORE), buff=0.3)
        a_lab = A.label(style.note("$A$: softmax of each row", color=WEIGHT), buff=0.3)
        r_lab = R.label(style.note("row sums", color=WEIGHT), buff=0.3)
        names = label_rows(S, [style.note(w, size=SIZE, color=style.MUTED) for w in self.words], side=LEFT, buff=0.3)
        style.STAGE.place(VGroup(mats, s_lab, a_lab, r_lab, names))
        self.say("For all queries at once, softmax runs along each row of the {L} by {L} scores: the attention"
                 " weights A.", L=b.dim("S", 0))
        self.play(FadeIn(S), FadeIn(s_lab), FadeIn(names), run_time=0.6)
        self.play(Create(arrow), FadeIn(a_lab), Create(A.brackets), LaggedStart(
            *(self.carry(S.row(k), A.row(k)) for k in range(self.L)), lag_ratio=0.2), run_time=1.6)
        self.say("Every row of A sums to one, up to float32 rounding.")
        self.play(FadeIn(r_lab), Create(R.brackets),
                  *(self.carry(A.row(k), R.row(k)) for k in range(self.L)), run_time=1.0)
        self.hold_caption()
        before = [k for k in range(1, self.L) if int(b.tensors["A"][k].argmax()) == k - 1]
        if len(before) == self.L - 1:
            self.say("Every word after the first puts most of its weight on the word before it: the boxes below the"
                     " diagonal.")
        else:
            self.say("The boxes: the words that put most of their weight on the word before them.")
        box = VGroup(*(A.box(rows=(k, k + 1), cols=(k - 1, k), color=style.TEXT) for k in before))
        self.play(Create(box), run_time=0.8)
        self.clear_stage()

    def values(self) -> None:
        self.beat("The weighted sum of value rows")
        b, L = self.b, self.L
        a = self.key(0)
        tall = (style.CELL_W, min(0.6, 3.0 / L))  # the value rows fill the upper stage
        w = self.matrix("w_col", cell=tall)
        V = self.matrix("V", cell=tall)
        C = self.matrix("contrib", cell=tall)
        o = self.matrix("o")
        O = self.matrix("O_row")
        arrow = style.arrow(LEFT * 0.6, RIGHT * 0.6)
        top = VGroup(w, V, arrow, C).arrange(RIGHT, buff=0.3)
        w_lab = w.label(self.math("w_j", color=WEIGHT), buff=0.12)
        v_lab = V.label(self.math("v_j", color=VALUE), buff=0.12)
        c_lab = C.label(style.note("$w_j v_j$: row $j$ times its weight", color=VALUE), buff=0.12)
        o.next_to(C, DOWN, buff=0.7).align_to(C, LEFT)
        O.next_to(o, DOWN, buff=0.3).align_to(C, LEFT)
        line = Line(C.get_corner(DOWN + LEFT), C.get_corner(DOWN + RIGHT), color=style.MUTED,
                    stroke_width=2).shift(DOWN * 0.3)
        o_lab = self.math("o = sum_j w_j v_j", color=OUT).next_to(o, LEFT, buff=0.3)
        O_lab = self.math("(A V)_{i}", color=OUT, i=self.query()).next_to(O, LEFT, buff=0.3)
        diff = self.prose("$max |o - (A V)_{i}|$ = {d}", color=style.MUTED, i=self.query(),
                          d=b.value("out_diff", (), 2, "g"))
        diff.next_to(O, DOWN, buff=0.3).align_to(O_lab, LEFT)
        lengths = VGroup(*(b.number(b.value("contrib_norm", (k,)), SIZE).set_y(C.row(k).get_y()) for k in range(L)))
        lengths.next_to(C, RIGHT, buff=0.35)
        for k, n in enumerate(lengths):
            n.set_y(C.row(k).get_y())
        n_lab = self.math("\"length\" |w_j v_j|", color=style.TEXT).next_to(lengths, UP, buff=0.12).align_to(c_lab, DOWN)
        style.STAGE.place(VGroup(top, o, O, w_lab, v_lab, c_lab, o_lab, O_lab, line, diff, lengths, n_lab))
        upper = VGroup(top, w_lab, v_lab, c_lab, lengths, n_lab)  # drawn first in the middle of the stage
        lift = style.STAGE.centre[1] - upper.get_y()
        upper.shift(UP * lift)
        self.say("The weights now mix the value rows: each row v_j of V is multiplied by its weight w_j.")
        self.play(FadeIn(w), FadeIn(w_lab), FadeIn(V), FadeIn(v_lab), run_time=0.8)
        self.play(Create(arrow), FadeIn(c_lab), Create(C.brackets), LaggedStart(
            *(self.carry(VGroup(w.row(k), V.row(k)), C.row(k)) for k in range(L)), lag_ratio=0.25),
            run_time=2.0)
        x, y = (int(b.tensors["contrib_order"][n]) for n in (0, 1))
        if x == a:
            tail = " Rows with weights near zero shrink to nearly nothing." if float(b.tensors["w"].min()) < 0.01 else ""
            self.say("Key {a} has the largest weight, {wa}: its scaled row is the longest, length {n}, against length"
                     " {m} for the next." + tail, a=self.k(a), wa=b.value("w", (a,)), n=b.value("contrib_norm", (a,)),
                     m=b.value("contrib_norm", (y,)))
        else:
            self.say("Key {a} has the largest weight, {wa}, yet key {x}'s scaled row is the longest, {n}: its value"
                     " row is longer.", a=self.k(a), wa=b.value("w", (a,)), x=self.k(x),
                     n=b.value("contrib_norm", (x,)))
        marks = VGroup(w.box(rows=(a, a + 1), color=style.TEXT), C.box(rows=(x, x + 1), color=style.TEXT),
                       glyph_box([lengths[x]], color=style.TEXT, buff=0.08))
        self.play(FadeIn(n_lab), LaggedStart(*(self.carry(C.row(k), lengths[k]) for k in range(L)), lag_ratio=0.15),
                  run_time=1.2)
        self.play(Create(marks), run_time=0.6)
        self.hold_caption()
        self.say("Summed down each column, the scaled rows give the output of query {i}: the same row as A V"
                 " computed by torch.", i=self.query())
        self.play(VGroup(upper, marks).animate.shift(DOWN * lift), run_time=0.6)  # room below for the sum
        self.play(Create(line), FadeIn(o_lab), Create(o.brackets),
                  *(self.carry(C.column_band(c, c + 1), o.entry(0, c)) for c in range(C.n_cols)), run_time=1.4)
        self.play(FadeIn(O), FadeIn(O_lab), FadeIn(diff), run_time=0.6)
        self.clear_stage()

    def recap(self) -> None:
        """The recap: only what the lecture showed, with its numbers."""
        b = self.b
        lines = (
            self.bullet("Softmax: $e^(s_j)$, divided by the sum: positive weights that add up to one."),
            self.bullet("It keeps the order and turns score gaps into ratios: $e^{g} approx$ {x}.",
                        g=b.value("gap", ()), x=b.value("ratio", ())),
            self.bullet("Dividing by the sum of the scores flips the order when that sum is negative."),
            self.bullet("A nudge gives a small change, as the gradient predicts; argmax stays put, then jumps."),
            self.bullet("A temperature sharpens or flattens; $sqrt(d_k)$ is one."),
            self.bullet("The weights mix the value rows: key {x}'s scaled row is the longest here.",
                        x=self.k(int(b.tensors["contrib_order"][0]))),
        )
        self.summarise(self.recap_caption, *lines)
