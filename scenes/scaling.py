"""Lecture `scaling`: q . k spreads like sqrt(d_k), and an unscaled softmax saturates."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UL,
    UP,
    Create,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    LaggedStart,
    Line,
    Typst,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import glyph_box, number_row
from scenes.kit.plot import Plane
from scenes.kit.style import Region

SCORE = style.ROLE["score"]  # every histogram counts scores q . k; its rows are told apart by their d_k label
ROWS = (SCORE,) * 3  # the bars' colour; the d_k labels are plain text (a size, not a role)
SPAN = style.TEXT  # the drawn -std .. +std segment
UNSCALED = SCALED = SCORE  # the saturation example's two sides: told apart by place and title, not colour
WEIGHT, GRAD = style.ROLE["attention"], style.ROLE["gradient"]
SMALL = style.NOTE_SIZE  # tick labels, per-key scores: the smallest size a 480p embed shows
# the histograms beside their table (std, sqrt(d_k), std after scaling): the table's headers, one stage row
# per d_k, then the legend
HIST_ROWS = style.STAGE.rows(0.62, 1.0, 1.0, 1.0, 0.4, gap=0.4)
HIST_COLUMNS = (7.7, 1.75, 1.75, 1.75)
PAD = 0.8  # the histograms stop short of their cell's sides: the end ticks' numbers stay on stage
# the saturation example, unscaled | row names | scaled: title, weights, scores, largest weight,
# the loss, the gradient, its norm
SATURATION_ROWS = style.STAGE.rows(0.45, 1.3, 0.36, 0.42, 0.42, 0.42, 1.4, 0.42, gap=0.16)
SIDES = [row.columns(5.4, 2.0, 5.4) for row in SATURATION_ROWS]
TITLE, WEIGHTS, KEYS, SCORES, LARGEST, LOSS, GRADIENT, NORM = range(8)


class ScalingLecture(LectureScene):
    """Why attention divides its scores by sqrt(d_k): the spread measured, then the softmax it feeds."""

    beats = ("intro", "one_score", "spread", "divide", "saturate", "gradient", "recap")
    roles = {"example_q": "query", "example_k": "key", "example_dot": "score", "sat_scores": "score",
             "sat_weights": "attention", "sat_max": "attention", "sat_next": "attention", "sat_weight_ratio": "attention",
             "sat_gap": "score", "sat_grad": "gradient", "sat_grad_norm": "gradient", "sat_grad_ratio": "gradient", "sat_v": "value",
             "sat_out": "output"}
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
                     "so softmax stays soft and keeps passing gradient back.")

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

    def histogram(self, k: int) -> tuple[Plane, VGroup, Line]:
        """Return row k's plot on the shared unscaled axis, its bars over its own bins, and its baseline.

        The plane has no axes of its own: its bars are squeezed and stretched with it, its baseline is not.
        """
        b = self.b
        reach = float(b.tensors["ticks"][-1])
        peak = float(b.tensors["counts"][k].max())
        area = self.cell(k, 0)
        plane = Plane(b, (-reach, reach), (0.0, 1.12 * peak), width=area.width - PAD, height=area.height, axes=False)
        area.place(plane)
        n = int(b.tensors["counts"].shape[1])
        bars = VGroup(*(plane.bar(b.value("counts", (k, i), 0), b.value("edges", (k, i), 1),
                                  b.value("edges", (k, i + 1), 1), color=ROWS[k], opacity=0.75) for i in range(n)))
        base = Line(plane.to_screen(-reach, 0.0), plane.to_screen(reach, 0.0), color=style.MUTED, stroke_width=2)
        return plane, bars, base

    def span(self, plane: Plane, k: int) -> VGroup:
        """Return row k's -std..+std segment at half its peak, drawn on its plane wherever the plane is now."""
        b = self.b
        y = 0.5 * float(b.tensors["counts"][k].max())
        lo, hi = b.value("std_span", (k, 0)), b.value("std_span", (k, 1))
        return VGroup(plane.curve([lo, hi], [y, y], color=SPAN, stroke_width=3),
                      plane.dot(lo, y, color=SPAN, radius=0.05), plane.dot(hi, y, color=SPAN, radius=0.05))

    def axis(self, ticks: str, decimals: int) -> VGroup:
        """Return the shared x ticks under the last row, on their own plane spanning the row's width."""
        b = self.b
        reach = float(b.tensors[ticks][-1])
        area = self.cell(self.K - 1, 0)
        plane = Plane(b, (-reach, reach), (0.0, 1.0), width=area.width - PAD, height=area.height, axes=False)
        area.place(plane)
        marks = [plane.tick(b.value(ticks, (i,), decimals), axis="x", font_size=SMALL) for i in range(3)]
        plane.add(*marks)
        name = style.note("$q dot k$" if ticks == "ticks" else "$q dot k \\/ sqrt(d_k)$", size=SMALL, color=style.MUTED)
        name.next_to(marks[2][1], LEFT, buff=0.5)
        plane.add(name)
        plane.name = name  # type: ignore[attr-defined]
        return plane

    def row_labels(self) -> VGroup:
        """Return 'd_k = n' at the top-left inside every histogram row, in plain text: a size, not a role."""
        return VGroup(*(self.cell(k, 0).place(self.math("d_k = {d}", d=self.b.value("d_k", (k,), 0)), align=UL)
                        for k in range(self.K)))

    def column(self, name: str, c: int) -> VGroup:
        """Return table column c: tensor[name][k] beside histogram row k, in the row's colour."""
        b = self.b
        return VGroup(*(self.cell(k, c + 1).place(b.number(b.value(name, (k,)), style.NUMBER_SIZE + 2))
                        for k in range(self.K)))

    def header(self, text: str, c: int) -> Typst:
        """Return a table header at the top of column c."""
        mob = style.note(f"#set align(center)\n{text}", size=style.NOTE_SIZE, color=style.MUTED)
        return self.cell(-1, c + 1).place(mob, align=DOWN)

    @property
    def ticked(self) -> bool:
        """Whether the key plots have room for y ticks: up to 8 keys (10 need every bit of width for their scores)."""
        return self.L <= 8

    def key_plot(self, side: int, row: int, y_range: tuple[float, float]) -> Plane:
        """Return a plot with one slot per key filling a side's stage cell, its axes at the left edge and the baseline."""
        area = SIDES[row][side]
        inset = 0.45 if self.ticked else 0.0  # room on the left for the y ticks' numbers (the safe margin holds the rest)
        plane = Plane(self.b, (-0.5, self.L - 0.5), y_range, width=area.width - inset, height=area.height, axes=False)
        area.place(plane).shift(RIGHT * inset / 2)
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
        if self.ticked:
            plane.add(*(plane.tick(b.value("unit", (i,), 0), axis="y", font_size=SMALL) for i in range(2)))
        bars = plane.bars("sat_weights", color=color, prefix=(row,), width=0.7)
        y = SIDES[SCORES][side].centre[1]
        scores = VGroup(*(b.number(b.value("sat_scores", (row, j), 2, "g"), SMALL, color=SCORE)
                          .move_to(np.array([plane.to_screen(j, 0.0)[0], y, 0.0])) for j in range(self.L)))
        yk = SIDES[KEYS][side].centre[1]
        keys = VGroup(*(b.number(b.index("sat_k", 0, j), SMALL, color=style.MUTED)
                        .move_to(np.array([plane.to_screen(j, 0.0)[0], yk, 0.0])) for j in range(self.L)))
        plane.add(keys)
        return plane, bars, scores

    def under_bars(self, plane: Plane, name: str, prefix: tuple[int, ...], row: int, decimals: int = 2) -> VGroup:
        """Return the entries of a per-key tensor, each centred under its key's bar, in a saturation row."""
        b, y = self.b, SIDES[row][0].centre[1]
        color = style.ROLE[self.roles[name]]
        return VGroup(*(b.number(b.value(name, (*prefix, j), decimals), SMALL, color=color)
                        .move_to(np.array([plane.to_screen(j, 0.0)[0], y, 0.0])) for j in range(self.L)))

    def middle(self, text: str, row: int, color: str = style.MUTED) -> Typst:
        """Return the name of a row, between the two sides it names."""
        return SIDES[row][1].place(style.note(f"#set align(center)\n{text}", size=SMALL, color=color))

    # -- beats --------------------------------------------------------------------------------
    def one_score(self) -> None:
        self.beat("A score is a sum of dₖ products")
        b = self.b
        q = self.vector_row("example_q", "$q$", style.ROLE["query"])
        k = self.vector_row("example_k", "$k$", style.ROLE["key"])
        p = self.vector_row("example_prod", "$q_i k_i$", style.TEXT)
        rows = VGroup(q, k, p).arrange(DOWN, buff=0.45)
        for r in (k, p):  # numbers right-aligned in one column grid, labels right-aligned before them
            r[1].shift(RIGHT * (q[1][-1].get_right()[0] - r[1][-1].get_right()[0]))
            r[0].align_to(q[0], RIGHT)
        # the sum written out: each product flows into its term, then the terms into the score
        terms, parts = VGroup(), VGroup()
        for i in range(len(p[1])):
            num = b.number(b.value("example_prod", (i,)), style.LABEL_SIZE + 2, color=style.TEXT)
            terms.add(num)
            if i:
                parts.add(style.note("$+$", size=style.LABEL_SIZE + 2))
            negative = i and float(b.tensors["example_prod"][i]) < 0
            parts.add(VGroup(style.note("$($", size=style.LABEL_SIZE + 2), num,
                             style.note("$)$", size=style.LABEL_SIZE + 2)).arrange(RIGHT, buff=0.04)
                      if negative else num)
        dot_value = b.number(b.value("example_dot", ()), style.LABEL_SIZE + 2, color=SCORE)
        eq = style.note("$=$", size=style.LABEL_SIZE + 2)
        sum_line = VGroup(*parts, eq, dot_value).arrange(RIGHT, buff=0.18)
        symbols = VGroup(*(m for m in sum_line.family_members_with_points() if not any(
            m in t.get_family() for t in (*terms, dot_value))))
        total = self.math("q dot k = sum_i q_i k_i", size=style.LABEL_SIZE + 2, color=SCORE)
        law = VGroup(
            self.prose("each product: mean zero, measured variance {v}", v=b.value("prod_var", ())),
            style.note('$"Var"(q dot k) = sum_i "Var"(q_i k_i) = d_k$, so its spread is $sqrt(d_k)$',
                       size=style.LABEL_SIZE),
        ).arrange(DOWN, buff=0.25)
        style.STAGE.place(VGroup(rows, VGroup(sum_line, total).arrange(DOWN, buff=0.3), law).arrange(DOWN, buff=0.5)
                          .scale(1.15))
        self.say("One sampled query and key with d_k = {d} entries, each drawn from a standard normal.",
                 d=b.dim("example_q", 0))
        self.play(FadeIn(q), FadeIn(k), run_time=0.8)
        self.say("Multiply them entry by entry, then add the {d} products: that sum is the score q dot k.",
                 d=b.dim("example_q", 0))
        self.combine([(VGroup(q[1][i], k[1][i]), p[1][i]) for i in range(len(p[1]))], FadeIn(p[0]),
                     lag_ratio=0.3, run_time=2.0)
        self.combine([(p[1][i], terms[i]) for i in range(len(terms))], FadeIn(symbols), lag_ratio=0.2, run_time=1.4)
        self.play(self.flow(terms, dot_value), run_time=1.0)
        self.play(FadeIn(total, shift=DOWN * 0.15), run_time=0.6)
        self.say("Each product has mean zero and variance about {v}. Independent variances add, "
                 "so a sum of d_k products has variance d_k.", v=b.value("prod_var", ()))
        self.play(LaggedStart(*(FadeIn(x) for x in law), lag_ratio=0.5), run_time=1.2)
        self.hold_caption()

    def spread(self) -> None:
        self.beat("Measured: the spread grows like √dₖ")
        self.clear_stage()
        b = self.b
        rows = [self.histogram(k) for k in range(self.K)]
        planes, bars, bases = (VGroup(*(r[n] for r in rows)) for n in range(3))
        spans = VGroup(*(self.span(p, k) for k, p in enumerate(planes)))
        for k, sp in enumerate(spans):  # a segment too short to see gets its half-width written beside it
            if sp.width < 0.4:
                sp.add(self.prose("± {s}", size=SMALL, s=b.value("std", (k,))).next_to(sp, RIGHT, buff=0.12))
        ticks = self.axis("ticks", 0)
        self.row_names = self.row_labels()
        heads = VGroup(self.header("measured \\ std", 0), self.header("$sqrt(d_k)$", 1))
        std, root = self.column("std", 0), self.column("sqrt_dk", 1)
        self.say("{N} seeded samples of q dot k for each d_k, sorted into {n} bins per row;"
                 " each row's bars are scaled to its own tallest bar.",
                 N=b.value("n_samples", (), 0, "n"), n=b.dim("counts", 1))
        self.play(FadeIn(planes), Create(bases), FadeIn(self.row_names), FadeIn(ticks), run_time=0.6)
        self.play(LaggedStart(*(FadeIn(bs, shift=UP * 0.15) for bs in bars), lag_ratio=0.3), run_time=1.5)
        self.say("The white segment spans minus to plus one measured standard deviation. It tracks sqrt(d_k): "
                 "{s0} against {r0}, {s2} against {r2}.",
                 s0=b.value("std", (0,)), r0=b.value("sqrt_dk", (0,)),
                 s2=b.value("std", (self.K - 1,)), r2=b.value("sqrt_dk", (self.K - 1,)))
        legend = self.cell(self.K, 0).place(
            self.prose("{N} samples per row, each to its own peak; white: ± one std",
                       size=SMALL, color=style.MUTED, N=b.value("n_samples", (), 0, "n")), align=DOWN)
        self.play(Create(spans), FadeIn(legend), FadeIn(heads), FadeIn(std), FadeIn(root), run_time=1.2)
        self.hold_caption()
        self.raw = (planes, bars, spans, ticks, legend)

    def divide(self) -> None:
        self.beat("Divide by √dₖ")
        b = self.b
        planes, bars, spans, ticks, legend = self.raw
        head = self.header("std after \\ $div sqrt(d_k)$", 2)
        col = self.column("scaled_std", 2)
        roots = [float(b.tensors["sqrt_dk"][k]) for k in range(self.K)]
        self.say("Now divide every sample by sqrt(d_k): {r0} for the top row, {r2} for the bottom one."
                 " Each histogram squeezes towards zero by its own factor.",
                 r0=b.value("sqrt_dk", (0,)), r2=b.value("sqrt_dk", (self.K - 1,)))
        self.play(FadeOut(spans), FadeOut(legend), run_time=0.4)
        renamed = style.note("$q dot k \\/ sqrt(d_k)$", size=SMALL, color=style.MUTED)
        renamed.move_to(ticks.name, aligned_edge=RIGHT)
        self.play(*(VGroup(p, bs).animate.stretch(1 / roots[k], 0, about_point=p.to_screen(0.0, 0.0))
                    for k, (p, bs) in enumerate(zip(planes, bars))), ticks.name.animate.set_opacity(0), FadeIn(renamed),
                  run_time=2.5)
        self.hold_caption()
        scaled = self.axis("scaled_ticks", 1)
        zoom = float(b.tensors["ticks"][-1]) / float(b.tensors["scaled_ticks"][-1])
        self.say("Zoom in on the axis, from plus or minus {R} to plus or minus {r}: the three rows now share one"
                 " spread, though d_k = {d} stays a little peakier.", R=b.value("ticks", (2,), 0),
                 r=b.value("scaled_ticks", (2,), 1), d=b.value("d_k", (0,), 0))
        self.play(*(VGroup(p, bs).animate.stretch(zoom, 0, about_point=p.to_screen(0.0, 0.0))
                    for p, bs in zip(planes, bars)), FadeOut(ticks), FadeOut(renamed), FadeIn(scaled), run_time=2.0)
        new_spans = VGroup(*(self.span(p, k) for k, p in enumerate(planes)))
        self.say("Measured spread after dividing: {a} for the smallest d_k, {c} for the largest. One, whatever d_k.",
                 a=b.value("scaled_std", (0,)), c=b.value("scaled_std", (self.K - 1,)))
        self.play(Create(new_spans), FadeIn(legend), FadeIn(head), FadeIn(col), run_time=1.0)

    def chain(self, row: int, side: int) -> VGroup:
        """Return one side's chain under its plot: the top score gap, e to that gap, and the weight ratio it equals."""
        b = self.b
        a, z = (b.index("sat_scores", 1, int(b.tensors["sat_pair"][n])) for n in (0, 1))
        g = b.value("sat_gap", (row,))
        lines = VGroup(  # prose with inline maths: a number like 7.5e+07 reads as text, not as e times 07
            self.prose("$s_{a} - s_{z}$ = {g}", size=style.LABEL_SIZE, color=SCORE, a=a, z=z, g=g),
            self.prose("$e^{g}$ = {e}", size=style.LABEL_SIZE, g=g, e=b.value("sat_exp_gap", (row,), 2, "g")),
            self.prose("$w_{a} \\/ w_{z}$ = {x}", size=style.LABEL_SIZE, color=WEIGHT, a=a, z=z,
                       x=b.value("sat_weight_ratio", (row,), 2, "g")),
        ).arrange(DOWN, buff=0.3)
        return SIDES[GRADIENT][side].place(lines)

    def pair_boxes(self, scores: VGroup) -> VGroup:
        """Return boxes around the largest and the second largest score of one side."""
        return VGroup(*(glyph_box([scores[int(self.b.tensors["sat_pair"][n])]], color=style.TEXT, buff=0.06)
                        for n in (0, 1)))

    def saturate(self) -> None:
        self.beat("Without scaling, softmax saturates")
        self.clear_stage()
        b = self.b
        left, lbars, lscores = self.panel(0, 0, WEIGHT)
        right, rbars, rscores = self.panel(1, 2, WEIGHT)
        lt = SIDES[TITLE][0].place(style.note('unscaled: $"softmax"(q dot k_j)$', size=style.LABEL_SIZE), align=DOWN)
        rt = SIDES[TITLE][2].place(style.note('scaled: $"softmax"(q dot k_j \\/ sqrt(d_k))$', size=style.LABEL_SIZE),
                                   align=DOWN)
        lmax, rmax = (SIDES[LARGEST][side].place(self.prose("largest weight {w}, next {n}", color=WEIGHT,
                                                            w=b.value("sat_max", (r,)),
                                                            n=b.value("sat_next", (r,), 2, "g")))
                      for r, side in ((0, 0), (1, 2)))
        names = VGroup(self.middle("weights $w_j$", WEIGHTS, WEIGHT), self.middle("key $j$", KEYS),
                       self.middle("scores $s_j$", SCORES, SCORE))
        divide = SIDES[SCORES][1].place(self.math("div sqrt({d}) = div {r}", size=SMALL, color=SCORE,
                                                  d=b.dim("sat_k", 1), r=b.value("sqrt_dk", (self.K - 1,))))
        lchain, rchain = self.chain(0, 0), self.chain(1, 2)
        lbox, rbox = self.pair_boxes(lscores), self.pair_boxes(rscores)
        top, nxt = (int(b.tensors["sat_pair"][n]) for n in (0, 1))
        self.sat = VGroup(left, lbars, lscores, right, rbars, rscores, lt, rt, lmax, rmax, names)
        self.chains = VGroup(lchain, rchain, lbox, rbox)
        self.say("One query against {L} keys, d_k = {d}. Unscaled, the scores q dot k_j range from {lo} to {hi}.",
                 L=b.dim("sat_k", 0), d=b.dim("sat_k", 1),
                 lo=b.value("sat_extremes", (0,), 2, "g"), hi=b.value("sat_extremes", (1,), 2, "g"))
        self.play(FadeIn(left), FadeIn(lt), FadeIn(lscores), FadeIn(names), run_time=0.8)
        self.play(*(GrowFromEdge(x, DOWN) for x in lbars), FadeIn(lmax), run_time=1.0)
        self.hold_caption()
        self.say("The top score beats the next by {gap}. Softmax turns that gap into a ratio: e to the {gap} is {e},"
                 " and the top weight is {x} times the next.", gap=b.value("sat_gap", (0,)),
                 e=b.value("sat_exp_gap", (0,), 2, "g"), x=b.value("sat_weight_ratio", (0,), 2, "g"))
        self.play(Create(lbox), run_time=0.5)
        self.play(self.carry(VGroup(lscores[top], lscores[nxt]), lchain[0]), run_time=1.0)
        self.play(self.carry(lchain[0], lchain[1]), run_time=1.0)
        self.play(self.carry(VGroup(lbars[top], lbars[nxt]), lchain[2]), run_time=1.0)
        self.hold_caption()
        self.say("Divided by sqrt(d_k), the scores shrink: the gap is {gap}, e to the {gap} is {e}, and so is the ratio:"
                 " the weights stay spread; the largest is {w}.", gap=b.value("sat_gap", (1,)),
                 e=b.value("sat_exp_gap", (1,), 2, "g"), w=b.value("sat_max", (1,)))
        self.play(FadeOut(names[2]), FadeIn(divide), FadeIn(right), FadeIn(rt), run_time=0.6)
        self.play(LaggedStart(*(self.flow(lscores[j], rscores[j]) for j in range(self.L)), lag_ratio=0.15),
                  run_time=2.0)
        self.play(FadeOut(divide), FadeIn(names[2]), run_time=0.4)
        self.play(*(GrowFromEdge(x, DOWN) for x in rbars), FadeIn(rmax), run_time=1.0)
        self.play(Create(rbox), run_time=0.5)
        self.play(self.carry(VGroup(rscores[top], rscores[nxt]), rchain[0]), run_time=1.0)
        self.play(self.carry(rchain[0], rchain[1]), run_time=1.0)
        self.play(self.carry(VGroup(rbars[top], rbars[nxt]), rchain[2]), run_time=1.0)
        self.hold_caption()

    def gradient(self) -> None:
        self.beat("A saturated softmax passes back almost no gradient")
        b = self.b
        self.play(FadeOut(self.chains), run_time=0.5)
        reach = 1.15 * float(b.tensors["sat_grad"].abs().max())
        plots, norms, values, outs = VGroup(), VGroup(), VGroup(), VGroup()
        for row, side in enumerate((0, 2)):
            plane = self.key_plot(side, GRADIENT, (-reach, reach))
            if self.ticked:
                plane.add(plane.tick(b.value("grad_tick", (), 2, "g"), axis="y", font_size=SMALL),
                          plane.tick(b.value("unit", (0,), 0), axis="y", font_size=SMALL))
            plane.add(plane.bars("sat_grad", color=GRAD, prefix=(row,), width=0.7))
            plots.add(plane)
            values.add(self.under_bars(self.sat[3 * row], "sat_v", (), LOSS, decimals=1))
            outs.add(SIDES[NORM][side].place(self.prose("output $o = w dot v$ = {o}", color=style.ROLE["output"],
                                                        o=b.value("sat_out", (row,)))))
            norms.add(SIDES[NORM][side].place(self.prose("gradient norm {g}", color=GRAD,
                                                         g=b.value("sat_grad_norm", (row,), 2, "g"))))
        v_name = self.middle("values $v_j$", LOSS, style.ROLE["value"])
        name = self.middle("$display((partial o) / (partial s_j))$\\ $= w_j (v_j - o)$", GRADIENT, GRAD)
        ratio = SIDES[NORM][1].place(self.prose("ratio {r}", color=GRAD, r=b.value("sat_grad_ratio", (), 2, "g")))
        self.say("Give each key a seeded value v_j. The output o is w dot v: {o0} unscaled, {o1} scaled.",
                 o0=b.value("sat_out", (0,)), o1=b.value("sat_out", (1,)))
        self.play(FadeIn(v_name), *(LaggedStart(*(FadeIn(x, shift=DOWN * 0.1) for x in vs), lag_ratio=0.1)
                                    for vs in values), run_time=1.0)
        self.play(FadeIn(outs), run_time=0.6)
        self.hold_caption()
        self.say("Autograd measures how o moves with each score s_j: w_j times v_j minus o. A weight near zero"
                 " passes back nearly nothing.")
        self.play(FadeIn(plots), FadeIn(name), run_time=1.0)
        self.hold_caption()
        self.say("Unscaled, its norm is {g0}: the bars are invisible. Scaled, it is {g1}, about {r} times larger.",
                 g0=b.value("sat_grad_norm", (0,), 2, "g"), g1=b.value("sat_grad_norm", (1,), 2, "g"),
                 r=b.value("sat_grad_ratio", (), 2, "g"))
        self.play(FadeOut(outs), run_time=0.3)
        self.play(FadeIn(norms), FadeIn(ratio), run_time=0.8)

    def recap(self) -> None:
        """The recap's bullets, then the measured numbers they rest on."""
        b = self.b
        measured = self.prose("Measured at $d_k$ = {d}: largest weight {a} unscaled, {c} scaled; gradient norm {g0}"
                              " against {g1}.", color=style.MUTED, d=b.dim("sat_k", 1), a=b.value("sat_max", (0,)),
                              c=b.value("sat_max", (1,)), g0=b.value("sat_grad_norm", (0,), 2, "g"),
                              g1=b.value("sat_grad_norm", (1,), 2, "g"))
        self.summarise(self.recap_caption, *self.recap_lines, measured)
