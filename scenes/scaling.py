"""Lecture `scaling`: q . k spreads like sqrt(d_k), and an unscaled softmax saturates."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    Typst,
    VGroup,
    Write,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import number_row
from scenes.kit.plot import Plane

ROWS = ("#8ab4f8", "#7ee787", "#ffa657")  # one colour per compared d_k, smallest first
SPAN = "#e8e8e8"  # the drawn -std .. +std segment
UNSCALED, SCALED = "#f28b82", "#56d4dd"  # the saturation example's two sides
HIST_W, HIST_H, HIST_STEP = 8.3, 1.45, 2.05  # histogram plot size and vertical spacing
HIST_LEFT, HIST_TOP = -6.3, 3.0  # top-left corner of the first histogram
TABLE_X = (3.0, 4.45, 5.95)  # centres of the table's columns: std, sqrt(d_k), std after scaling
SMALL = style.NOTE_SIZE - 4  # tick labels, per-key scores
SIDE_X, PANEL_W = 3.6, 5.0  # the saturation example: centres of its two sides, width of each plot
WEIGHTS_BOTTOM, SCORES_Y, MAX_Y = 0.95, 0.65, 0.2  # weights plot, the scores under it, the largest weight
GRAD_BOTTOM, GRAD_H, NORM_Y = -2.95, 2.1, -3.35  # gradient plot and its norm


def at(x: float, y: float) -> np.ndarray:
    """Return the screen point (x, y)."""
    return np.array([x, y, 0.0])


class ScalingLecture(LectureScene):
    """Why attention divides its scores by sqrt(d_k): the spread measured, then the softmax it feeds."""

    beats = ("intro", "one_score", "spread", "divide", "saturate", "gradient", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def K(self) -> int:
        """How many key sizes are compared."""
        return int(self.b.tensors["d_k"].shape[0])

    @property
    def L(self) -> int:
        """Keys in the saturation example."""
        return int(self.b.tensors["sat_scores"].shape[1])

    def vector_row(self, name: str, label: str, color: str) -> VGroup:
        """Return the group (label, numbers) for a 1-D tensor: 'label  v_1 v_2 ...'."""
        nums = number_row(self.b, name, size=style.NUMBER_SIZE + 2, cell=1.35, color=color)
        head = style.note(label, size=style.LABEL_SIZE, color=color).next_to(nums, LEFT, buff=0.6)
        return VGroup(head, nums)

    def histogram(self, k: int, prefix: str, top: float) -> tuple[Plane, VGroup, VGroup]:
        """Return the plot of row k's counts over the shared edges, its bars, and its -std..+std span."""
        b = self.b
        counts, edges, span = f"{prefix}counts", f"{prefix}edges", f"{prefix or 'std_'}span"
        reach = float(b.tensors[edges][-1])
        peak = float(b.tensors[counts][k].max())
        plane = Plane(b, (-reach, reach), (0.0, 1.12 * peak), width=HIST_W, height=HIST_H)
        plane.shift(at(HIST_LEFT, top - HIST_H))
        n = int(b.tensors[counts].shape[1])
        bars = VGroup(*(plane.bar(b.value(counts, (k, i), 0), b.value(edges, (i,), 1), b.value(edges, (i + 1,), 1),
                                  color=ROWS[k], opacity=0.75) for i in range(n)))
        y = 0.5 * peak
        lo, hi = b.value(span, (k, 0)), b.value(span, (k, 1))
        seg = VGroup(plane.curve([lo, hi], [y, y], color=SPAN, stroke_width=3),
                     plane.dot(lo, y, color=SPAN, radius=0.05), plane.dot(hi, y, color=SPAN, radius=0.05))
        return plane, bars, seg

    def histograms(self, prefix: str) -> tuple[VGroup, VGroup, VGroup, VGroup]:
        """Return all rows' planes, bars and spans, and the shared x ticks under the last row."""
        planes, bars, spans = VGroup(), VGroup(), VGroup()
        for k in range(self.K):
            p, bs, s = self.histogram(k, prefix, HIST_TOP - k * HIST_STEP)
            planes.add(p)
            bars.add(bs)
            spans.add(s)
        last = planes[-1]
        ticks = VGroup(*(last.tick(self.b.value(f"{prefix}ticks", (i,), 0 if not prefix else 1), axis="x",
                                   font_size=SMALL) for i in range(3)))
        return planes, bars, spans, ticks

    def row_labels(self) -> VGroup:
        """Return 'd_k = n' at the top-left inside every histogram row."""
        labels = VGroup()
        for k in range(self.K):
            lab = self.math("d_k = {d}", color=ROWS[k], d=self.b.value("d_k", (k,), 0))
            lab.move_to(at(HIST_LEFT, HIST_TOP - k * HIST_STEP), aligned_edge=LEFT + UP)
            labels.add(lab)
        return labels

    def column(self, name: str, c: int, decimals: int = 2) -> VGroup:
        """Return one table column: tensor[name][k] beside histogram row k, in the row's colour."""
        b = self.b
        return VGroup(*(b.number(b.value(name, (k,), decimals), style.NUMBER_SIZE + 2, color=ROWS[k])
                        .move_to(at(TABLE_X[c], HIST_TOP - k * HIST_STEP - HIST_H / 2)) for k in range(self.K)))

    def header(self, text: str, c: int) -> Typst:
        """Return a table header above column c."""
        mob = style.note(f"#set align(center)\n{text}", size=style.NOTE_SIZE - 2, color=style.MUTED)
        return mob.move_to(at(TABLE_X[c], HIST_TOP + 0.15), aligned_edge=UP)

    def key_plot(self, x: float, bottom: float, height: float, y_range: tuple[float, float]) -> Plane:
        """Return a plot with one slot per key, centred at x, its axes at the left edge and the baseline."""
        plane = Plane(self.b, (-0.5, self.L - 0.5), y_range, width=PANEL_W, height=height, axes=False)
        plane.shift(at(x - PANEL_W / 2, bottom))
        base = plane.baseline()
        plane.add(Line(plane.to_screen(-0.5, base), plane.to_screen(self.L - 0.5, base), color=style.MUTED,
                       stroke_width=2),
                  Line(plane.to_screen(-0.5, y_range[0]), plane.to_screen(-0.5, y_range[1]), color=style.MUTED,
                       stroke_width=2))
        return plane

    def panel(self, row: int, x: float, color: str) -> tuple[Plane, VGroup, VGroup]:
        """Return the weights plot of one side of the saturation example, its bars and the score under each bar."""
        b = self.b
        plane = self.key_plot(x, WEIGHTS_BOTTOM, 1.6, (0.0, 1.0))
        bars = plane.bars("sat_weights", color=color, prefix=(row,), width=0.7)
        scores = VGroup(*(b.number(b.value("sat_scores", (row, j), 1 if row == 0 else 2), SMALL, color=color)
                          .move_to(at(plane.to_screen(j, 0.0)[0], SCORES_Y)) for j in range(self.L)))
        return plane, bars, scores

    def middle(self, text: str, y: float) -> Typst:
        """Return a muted row name between the two sides, pointing at both."""
        return style.note(f"← {text} →", size=SMALL, color=style.MUTED).move_to(at(0.0, y))

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        self.beat("The question")
        title = style.note("Why divide the scores by $sqrt(d_k)$?", size=style.TITLE_SIZE)
        formula = style.note('$"Attention"(Q, K, V) = "softmax"((Q K^T) / sqrt(d_k)) V$', size=style.LABEL_SIZE + 4)
        VGroup(title, formula).arrange(DOWN, buff=0.7)
        self.say("Attention divides every score q dot k by the square root of the key size d_k. "
                 "We measure what goes wrong without it.")
        self.play(Write(title), run_time=1.0)
        self.play(FadeIn(formula, shift=UP * 0.2))

    def one_score(self) -> None:
        self.beat("A score is a sum of dₖ products")
        self.clear_stage()
        b = self.b
        q = self.vector_row("example_q", "$q$", style.ROLE["Q"])
        k = self.vector_row("example_k", "$k$", style.ROLE["K"])
        p = self.vector_row("example_prod", "$q_i k_i$", style.TEXT)
        rows = VGroup(q, k, p).arrange(DOWN, buff=0.45)
        for r in (k, p):
            r[0].set_x(q[0].get_x())
        total = self.math("q dot k = sum_i q_i k_i = {s}", size=style.LABEL_SIZE + 2, s=b.value("example_dot", ()))
        law = VGroup(
            self.prose("each product: mean zero, measured variance {v}", v=b.value("prod_var", ())),
            style.note('$"Var"(q dot k) = sum_i "Var"(q_i k_i) = d_k$, so its spread is $sqrt(d_k)$',
                       size=style.LABEL_SIZE),
        ).arrange(DOWN, buff=0.25)
        stage = VGroup(rows, total, law).arrange(DOWN, buff=0.55).scale(1.2)
        style.fit(stage).move_to(at(0.0, -0.1))
        self.say("One sampled query and key with d_k = {d} entries, each drawn from a standard normal.",
                 d=b.dim("example_q", 0))
        self.play(FadeIn(q), FadeIn(k), run_time=0.8)
        self.play(FadeIn(p[0]), LaggedStart(*(FadeIn(x, shift=DOWN * 0.3) for x in p[1]), lag_ratio=0.2),
                  run_time=1.0)
        self.play(FadeIn(total, shift=UP * 0.2))
        self.say("Each product has mean zero and variance about {v}. Independent variances add, "
                 "so a sum of d_k products has variance d_k.", v=b.value("prod_var", ()))
        self.play(LaggedStart(*(FadeIn(x) for x in law), lag_ratio=0.5), run_time=1.2)

    def spread(self) -> None:
        self.beat("Measured: the spread grows like √dₖ")
        self.clear_stage()
        b = self.b
        planes, bars, spans, ticks = self.histograms("")
        self.row_names = self.row_labels()
        heads = VGroup(self.header("measured \\ std", 0), self.header("$sqrt(d_k)$", 1))
        std, root = self.column("std", 0), self.column("sqrt_dk", 1)
        self.say("{N} seeded samples of q dot k for each d_k, counted in the same bins on one shared axis.",
                 N=b.dim("samples", 1))
        self.play(FadeIn(planes), FadeIn(self.row_names), FadeIn(ticks), run_time=0.6)
        self.play(LaggedStart(*(FadeIn(bs, shift=UP * 0.15) for bs in bars), lag_ratio=0.3), run_time=1.5)
        self.say("The white segment spans minus to plus one measured standard deviation. It tracks sqrt(d_k): "
                 "{s0} against {r0}, {s2} against {r2}.",
                 s0=b.value("std", (0,)), r0=b.value("sqrt_dk", (0,)),
                 s2=b.value("std", (self.K - 1,)), r2=b.value("sqrt_dk", (self.K - 1,)))
        legend = style.note("white: from minus to plus one measured standard deviation", size=SMALL,
                            color=style.MUTED)
        legend.move_to(at(HIST_LEFT + HIST_W / 2, HIST_TOP - (self.K - 1) * HIST_STEP - HIST_H - 0.75))
        self.play(Create(spans), FadeIn(legend), FadeIn(heads), FadeIn(std), FadeIn(root), run_time=1.2)
        self.wait(1)
        self.raw = VGroup(planes, bars, spans, ticks)
        self.legend = legend
        self.table = VGroup(heads, std, root)

    def divide(self) -> None:
        self.beat("Divide by √dₖ")
        b = self.b
        self.play(FadeOut(self.raw), run_time=0.5)
        planes, bars, spans, ticks = self.histograms("scaled_")
        head = self.header("std after \\ $div sqrt(d_k)$", 2)
        col = self.column("scaled_std", 2)
        self.say("Divide every sample by sqrt(d_k). On the shared axis all three now have the same width: "
                 "spread {a} for the smallest d_k, {c} for the largest.",
                 a=b.value("scaled_std", (0,)), c=b.value("scaled_std", (self.K - 1,)))
        self.play(FadeIn(planes), FadeIn(ticks), LaggedStart(*(FadeIn(bs, shift=UP * 0.15) for bs in bars),
                                                             lag_ratio=0.3), run_time=1.5)
        self.play(Create(spans), FadeIn(head), FadeIn(col), run_time=1.0)

    def saturate(self) -> None:
        self.beat("Without scaling, softmax saturates")
        self.clear_stage()
        b = self.b
        left, lbars, lscores = self.panel(0, -SIDE_X, UNSCALED)
        right, rbars, rscores = self.panel(1, SIDE_X, SCALED)
        lt = style.note('$"softmax"(q dot k_j)$', size=style.LABEL_SIZE, color=UNSCALED)
        rt = style.note('$"softmax"(q dot k_j \\/ sqrt(d_k))$', size=style.LABEL_SIZE, color=SCALED)
        lt.next_to(left, UP, buff=0.25)
        rt.next_to(right, UP, buff=0.25)
        lmax, rmax = (self.prose("largest weight {w}, next {n}", color=c, w=b.value("sat_max", (r,)),
                                 n=b.value("sat_next", (r,), 2, "g")).move_to(at(x, MAX_Y))
                      for r, x, c in ((0, -SIDE_X, UNSCALED), (1, SIDE_X, SCALED)))
        names = VGroup(self.middle("weights", WEIGHTS_BOTTOM + 0.8), self.middle("scores", SCORES_Y))
        self.say("One query against {L} keys, d_k = {d}. Unscaled, the scores q dot k_j range from {lo} to {hi}.",
                 L=b.dim("sat_k", 0), d=b.dim("sat_k", 1),
                 lo=b.value("sat_extremes", (0,), 1), hi=b.value("sat_extremes", (1,), 1))
        self.play(FadeIn(left), FadeIn(lt), FadeIn(lscores), FadeIn(names), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(x, shift=UP * 0.1) for x in lbars), lag_ratio=0.1), FadeIn(lmax), run_time=1.0)
        self.say("The top score beats the next by {gap}; softmax turns that into a weight ratio of e to the {gap}: "
                 "{w} against {n}.",
                 gap=b.value("sat_gap", (0,), 1), w=b.value("sat_max", (0,)), n=b.value("sat_next", (0,), 2, "g"))
        self.wait(0.5)
        self.say("Divided by sqrt(d_k), the top gap shrinks to {gap} and the weights stay spread: "
                 "the largest is {w}.",
                 gap=b.value("sat_gap", (1,)), w=b.value("sat_max", (1,)))
        self.play(FadeIn(right), FadeIn(rt), FadeIn(rscores), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(x, shift=UP * 0.1) for x in rbars), lag_ratio=0.1), FadeIn(rmax), run_time=1.0)

    def gradient(self) -> None:
        self.beat("A saturated softmax passes back almost no gradient")
        b = self.b
        reach = 1.15 * float(b.tensors["sat_grad"].abs().max())
        plots, norms = VGroup(), VGroup()
        for row, (x, color) in enumerate(((-SIDE_X, UNSCALED), (SIDE_X, SCALED))):
            plane = self.key_plot(x, GRAD_BOTTOM, GRAD_H, (-reach, reach))
            plane.add(plane.bars("sat_grad", color=color, prefix=(row,), width=0.7))
            plots.add(plane)
            norm = self.prose("gradient norm {g}", color=color, g=b.value("sat_grad_norm", (row,), 2, "g"))
            norms.add(norm.move_to(at(x, NORM_Y)))
        loss = style.note("$partial (w dot v) \\/ partial s_j$ by autograd", size=style.NOTE_SIZE, color=style.MUTED)
        loss.move_to(at(0.0, GRAD_BOTTOM + GRAD_H + 0.3))
        name = self.middle("gradient", GRAD_BOTTOM + GRAD_H / 2)
        self.say("Give each key a seeded value v_j. Autograd measures the gradient of the output w dot v "
                 "with respect to each score s_j.")
        self.play(FadeIn(plots), FadeIn(loss), FadeIn(name), run_time=1.0)
        self.say("Unscaled, its norm is {g0}: the bars are invisible. Scaled, it is {g1}, about {r} times larger.",
                 g0=b.value("sat_grad_norm", (0,), 2, "g"), g1=b.value("sat_grad_norm", (1,), 2, "g"),
                 r=b.value("sat_grad_ratio", (), 2, "g"))
        self.play(FadeIn(norms), run_time=0.8)

    def recap(self) -> None:
        self.beat("Recap")
        self.clear_stage()
        b = self.b
        lines = VGroup(
            style.note("• With unit-variance $q$ and $k$, $q dot k$ has variance $d_k$: spread $sqrt(d_k)$."),
            style.note("• Large spreads push softmax to one-hot weights, where gradients vanish."),
            style.note("• Dividing by $sqrt(d_k)$ brings the spread back to one for every $d_k$."),
            self.prose("Measured at $d_k$ = {d}: largest weight {a} unscaled, {c} scaled; gradient norm {g0} against {g1}.",
                       color=style.MUTED, d=b.dim("sat_k", 1), a=b.value("sat_max", (0,)), c=b.value("sat_max", (1,)),
                       g0=b.value("sat_grad_norm", (0,), 2, "g"), g1=b.value("sat_grad_norm", (1,), 2, "g")),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.4).scale(1.15)
        style.fit(lines)
        self.say("Scaling by sqrt(d_k) keeps the scores at unit spread whatever the key size, "
                 "so softmax stays soft and keeps learning.")
        self.reveal_lines(lines, lag_ratio=0.5, run_time=2.0)
        self.wait(1.5)
