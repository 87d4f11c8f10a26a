"""Lecture `scaling`: q . k spreads like sqrt(d_k), and an unscaled softmax saturates."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UL, UP, Create, FadeIn, FadeOut, LaggedStart, Line, Typst, VGroup

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import number_row
from scenes.kit.plot import Plane
from scenes.kit.style import Region

ROWS = ("#8ab4f8", "#7ee787", "#ffa657")  # one colour per compared d_k, smallest first
SPAN = "#e8e8e8"  # the drawn -std .. +std segment
UNSCALED, SCALED = "#f28b82", "#56d4dd"  # the saturation example's two sides
SMALL = style.NOTE_SIZE - 4  # tick labels, per-key scores
# the histograms beside their table (std, sqrt(d_k), std after scaling): the table's headers, one stage row
# per d_k, then the legend
HIST_ROWS = style.STAGE.rows(0.42, 1.0, 1.0, 1.0, 0.4, gap=0.45)
HIST_COLUMNS = (8.6, 1.45, 1.45, 1.45)
# the saturation example, unscaled | row names | scaled: title, weights, scores, largest weight,
# the loss, the gradient, its norm
SATURATION_ROWS = style.STAGE.rows(0.6, 1.6, 0.25, 0.3, 0.3, 1.9, 0.3, gap=0.25)
SIDES = [row.columns(5.0, 2.2, 5.0) for row in SATURATION_ROWS]
TITLE, WEIGHTS, SCORES, LARGEST, LOSS, GRADIENT, NORM = range(7)


class ScalingLecture(LectureScene):
    """Why attention divides its scores by sqrt(d_k): the spread measured, then the softmax it feeds."""

    beats = ("intro", "one_score", "spread", "divide", "saturate", "gradient", "recap")
    question = "Why divide the scores by $sqrt(d_k)$?"
    question_details = ('#text(size: 1.3em)[$"Attention"(Q, K, V) = "softmax"((Q K^T) / sqrt(d_k)) V$]',)
    question_caption = ("Attention divides every score q dot k by the square root of the key size d_k. "
                        "We measure what goes wrong without it.")
    recap_lines = (
        "With unit-variance $q$ and $k$, $q dot k$ has variance $d_k$: spread $sqrt(d_k)$.",
        "Large spreads push softmax to one-hot weights, where gradients vanish.",
        "Dividing by $sqrt(d_k)$ brings the spread back to one for every $d_k$.",
    )
    recap_caption = ("Scaling by sqrt(d_k) keeps the scores at unit spread whatever the key size, "
                     "so softmax stays soft and keeps learning.")

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

    def cell(self, k: int, c: int) -> Region:
        """Return the stage cell of histogram row k (-1: the headers, K: the legend), column c (0: the histogram)."""
        return HIST_ROWS[k + 1].columns(*HIST_COLUMNS)[c]

    def histogram(self, k: int, prefix: str) -> tuple[Plane, VGroup, VGroup]:
        """Return the plot of row k's counts over the shared edges, its bars, and its -std..+std span."""
        b = self.b
        counts, edges, span = f"{prefix}counts", f"{prefix}edges", f"{prefix or 'std_'}span"
        reach = float(b.tensors[edges][-1])
        peak = float(b.tensors[counts][k].max())
        area = self.cell(k, 0)
        plane = Plane(b, (-reach, reach), (0.0, 1.12 * peak), width=area.width, height=area.height)
        area.place(plane)
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
            p, bs, s = self.histogram(k, prefix)
            planes.add(p)
            bars.add(bs)
            spans.add(s)
        last = planes[-1]
        ticks = VGroup(*(last.tick(self.b.value(f"{prefix}ticks", (i,), 0 if not prefix else 1), axis="x",
                                   font_size=SMALL) for i in range(3)))
        return planes, bars, spans, ticks

    def row_labels(self) -> VGroup:
        """Return 'd_k = n' at the top-left inside every histogram row."""
        return VGroup(*(self.cell(k, 0).place(self.math("d_k = {d}", color=ROWS[k], d=self.b.value("d_k", (k,), 0)),
                                              align=UL) for k in range(self.K)))

    def column(self, name: str, c: int) -> VGroup:
        """Return table column c: tensor[name][k] beside histogram row k, in the row's colour."""
        b = self.b
        return VGroup(*(self.cell(k, c + 1).place(b.number(b.value(name, (k,)), style.NUMBER_SIZE + 2, color=ROWS[k]))
                        for k in range(self.K)))

    def header(self, text: str, c: int) -> Typst:
        """Return a table header at the top of column c."""
        mob = style.note(f"#set align(center)\n{text}", size=style.NOTE_SIZE - 2, color=style.MUTED)
        return self.cell(-1, c + 1).place(mob, align=DOWN)

    def key_plot(self, side: int, row: int, y_range: tuple[float, float]) -> Plane:
        """Return a plot with one slot per key filling a side's stage cell, its axes at the left edge and the baseline."""
        area = SIDES[row][side]
        plane = Plane(self.b, (-0.5, self.L - 0.5), y_range, width=area.width, height=area.height, axes=False)
        area.place(plane)
        base = plane.baseline()
        plane.add(Line(plane.to_screen(-0.5, base), plane.to_screen(self.L - 0.5, base), color=style.MUTED,
                       stroke_width=2),
                  Line(plane.to_screen(-0.5, y_range[0]), plane.to_screen(-0.5, y_range[1]), color=style.MUTED,
                       stroke_width=2))
        return plane

    def panel(self, row: int, side: int, color: str) -> tuple[Plane, VGroup, VGroup]:
        """Return the weights plot of one side of the saturation example, its bars and the score under each bar."""
        b = self.b
        plane = self.key_plot(side, WEIGHTS, (0.0, 1.0))
        bars = plane.bars("sat_weights", color=color, prefix=(row,), width=0.7)
        y = SIDES[SCORES][side].centre[1]
        scores = VGroup(*(b.number(b.value("sat_scores", (row, j), 1 if row == 0 else 2), SMALL, color=color)
                          .move_to(np.array([plane.to_screen(j, 0.0)[0], y, 0.0])) for j in range(self.L)))
        return plane, bars, scores

    def middle(self, text: str, row: int) -> Typst:
        """Return a muted row name between the two sides, pointing at both."""
        return SIDES[row][1].place(style.note(f"← {text} →", size=SMALL, color=style.MUTED))

    # -- beats --------------------------------------------------------------------------------
    def one_score(self) -> None:
        self.beat("A score is a sum of dₖ products")
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
        style.STAGE.place(VGroup(rows, total, law).arrange(DOWN, buff=0.55).scale(1.2))
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
        legend = self.cell(self.K, 0).place(
            style.note("white: from minus to plus one measured standard deviation", size=SMALL, color=style.MUTED),
            align=DOWN)
        self.play(Create(spans), FadeIn(legend), FadeIn(heads), FadeIn(std), FadeIn(root), run_time=1.2)
        self.wait(1)
        self.raw = VGroup(planes, bars, spans, ticks)

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
        left, lbars, lscores = self.panel(0, 0, UNSCALED)
        right, rbars, rscores = self.panel(1, 2, SCALED)
        lt = SIDES[TITLE][0].place(style.note('$"softmax"(q dot k_j)$', size=style.LABEL_SIZE, color=UNSCALED),
                                   align=DOWN)
        rt = SIDES[TITLE][2].place(style.note('$"softmax"(q dot k_j \\/ sqrt(d_k))$', size=style.LABEL_SIZE,
                                              color=SCALED), align=DOWN)
        lmax, rmax = (SIDES[LARGEST][side].place(self.prose("largest weight {w}, next {n}", color=c,
                                                            w=b.value("sat_max", (r,)),
                                                            n=b.value("sat_next", (r,), 2, "g")))
                      for r, side, c in ((0, 0, UNSCALED), (1, 2, SCALED)))
        names = VGroup(self.middle("weights", WEIGHTS), self.middle("scores", SCORES))
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
        for row, (side, color) in enumerate(((0, UNSCALED), (2, SCALED))):
            plane = self.key_plot(side, GRADIENT, (-reach, reach))
            plane.add(plane.bars("sat_grad", color=color, prefix=(row,), width=0.7))
            plots.add(plane)
            norms.add(SIDES[NORM][side].place(self.prose("gradient norm {g}", color=color,
                                                         g=b.value("sat_grad_norm", (row,), 2, "g"))))
        loss = style.note("$partial (w dot v) \\/ partial s_j$ by autograd", size=style.NOTE_SIZE, color=style.MUTED)
        SATURATION_ROWS[LOSS].place(loss)
        name = self.middle("gradient", GRADIENT)
        self.say("Give each key a seeded value v_j. Autograd measures the gradient of the output w dot v "
                 "with respect to each score s_j.")
        self.play(FadeIn(plots), FadeIn(loss), FadeIn(name), run_time=1.0)
        self.say("Unscaled, its norm is {g0}: the bars are invisible. Scaled, it is {g1}, about {r} times larger.",
                 g0=b.value("sat_grad_norm", (0,), 2, "g"), g1=b.value("sat_grad_norm", (1,), 2, "g"),
                 r=b.value("sat_grad_ratio", (), 2, "g"))
        self.play(FadeIn(norms), run_time=0.8)

    def recap(self) -> None:
        """The recap's bullets, then the measured numbers they rest on."""
        b = self.b
        measured = self.prose("Measured at $d_k$ = {d}: largest weight {a} unscaled, {c} scaled; gradient norm {g0}"
                              " against {g1}.", color=style.MUTED, d=b.dim("sat_k", 1), a=b.value("sat_max", (0,)),
                              c=b.value("sat_max", (1,)), g0=b.value("sat_grad_norm", (0,), 2, "g"),
                              g1=b.value("sat_grad_norm", (1,), 2, "g"))
        self.summarise(self.recap_caption, *self.recap_lines, measured)
