"""Lecture `positional`: attention ignores order until positions are added; a shift is a rotation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    AnimationGroup,
    Arc,
    Circle,
    Create,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Line,
    Mobject,
    Rotate,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.binding import Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, label_rows, number_row, pixel_box
from scenes.kit.plot import Plane, colour_legend

CELL = (0.74, 0.42)  # small matrices: four-character numbers
LETTERS = "ABCDEFGH"  # token names: letters, so they are never mistaken for positions
ROW_GAP = 0.45  # between the in-order row of matrices and the shuffled one
PAIRS = (0, 1)  # the (sin, cos) pairs drawn as turning points on circles
MOVERS = 4  # positions p = 0, 1, ... whose points are turned on the circles
WAVE_PAIR = 8  # the slow wave drawn beside the fast one (pair index, clipped to the encoding's width)
LABEL = style.LABEL_SIZE
NOTE = style.NOTE_SIZE
SLOW = style.INDEX[2]  # the second wave and its column box: an index grey, never a role hue


def touches(a: Mobject, z: Mobject, pad: float = 0.05) -> bool:
    """Return True when the boxes of two mobjects come within pad of each other."""
    return bool(a.get_left()[0] < z.get_right()[0] + pad and z.get_left()[0] < a.get_right()[0] + pad
                and a.get_bottom()[1] < z.get_top()[1] + pad and z.get_bottom()[1] < a.get_top()[1] + pad)


class PositionalLecture(LectureScene):
    """Without positions, shuffling tokens only shuffles attention's output; PE breaks that."""

    beats = ("intro", "attention", "shuffle", "encoding", "with_positions", "rotation", "shift_matrix", "relative", "recap")
    roles = {"X": "input", "X_perm": "input", "XP": "input", "XP_perm": "input", "Y": "output", "Y_perm": "output",
             "Y_pi": "output", "Y_pe": "output", "Y_pe_perm": "output", "Y_pe_pi": "output", "P": "position",
             "PE": "position", "pe_p": "position", "pe_pk": "position", "rotated": "position", "MPE": "position",
             "M_blocks": "position", "dots": "score", "decay": "score"}
    question = "Why does attention need positional encoding?"
    question_details = ("Swap two words and the meaning changes. Does self-attention notice?",)
    question_caption = ("Word order carries meaning. Can self-attention see order at all, and what does a positional"
                        " encoding add?")
    recap_lines = (
        "Without positions, shuffling the tokens only shuffles attention's output rows.",
        "Adding $P$ ties each row to a position: the shuffled output differs.",
        "Each (sin, cos) pair is a point on a circle; a shift by $k$ turns it by $k omega_i$, for every $p$.",
        "So $\"PE\"(p) dot \"PE\"(p + k)$ depends on $k$ only: offsets are readable.",
    )
    recap_caption = ("Self-attention sees a set; positional encoding turns it into a sequence, and a shift by k is"
                     " the same rotation at every position.")

    # -- helpers ------------------------------------------------------------------------------

    @property
    def cell(self) -> tuple[float, float]:
        """Return the cell of the small matrices: five tokens get shorter rows, so two rows of matrices still fit."""
        return CELL if self.L <= 4 else (CELL[0], 0.36)

    @property
    def L(self) -> int:
        return int(self.result.config.seq_len)

    @property
    def perm(self) -> list[int]:
        return [int(i) for i in self.b.tensors["perm"]]

    def letters(self, m: TensorMatrix, tokens: Sequence[int], side: np.ndarray = LEFT) -> VGroup:
        """Return token letters (index greys, never a role hue) beside each row of a matrix."""
        return label_rows(m, [style.note(f"*{LETTERS[t]}*", size=LABEL, color=style.INDEX[t % len(style.INDEX)])
                              for t in tokens], side, buff=0.15)

    def arrow(self, start: Mobject, end: Mobject) -> VGroup:
        """Return an arrow labelled Attn from one matrix to the next, level with the first."""
        a = np.array([start.get_right()[0], start.get_y(), 0.0])
        z = np.array([end.get_left()[0], start.get_y(), 0.0])
        arr = style.arrow(a, z, buff=0.12)
        tag = style.note("Attn", size=NOTE, color=style.MUTED).next_to(arr, UP, buff=0.05)
        return VGroup(arr, tag)

    def quad(self, inputs: tuple[str, str], outputs: tuple[str, str, str], names: Sequence[str]) -> dict[str, Mobject]:
        """Lay out input (top, in order; bottom, shuffled) -> Attn -> output, and the moved rows right of the bottom.

        Names sit above the top row and below the bottom row, so rows moving down never cross them.
        """
        perm, order = self.perm, list(range(self.L))
        top_in, bot_in = self.matrix(inputs[0], cell=self.cell), self.matrix(inputs[1], cell=self.cell)
        top_out, bot_out, moved = (self.matrix(n, cell=self.cell) for n in outputs)
        bot_in.next_to(top_in, DOWN, buff=ROW_GAP)
        top_out.next_to(top_in, RIGHT, buff=1.7)
        bot_out.next_to(bot_in, RIGHT, buff=1.7)
        moved.next_to(bot_out, RIGHT, buff=1.25)
        m = {"top_in": top_in, "bot_in": bot_in, "top_out": top_out, "bot_out": bot_out, "moved": moved}
        m["top_in_l"], m["bot_in_l"] = self.letters(top_in, order), self.letters(bot_in, perm)
        m["top_out_l"] = self.letters(top_out, order, RIGHT)
        m["bot_out_l"] = self.letters(bot_out, perm, RIGHT)
        m["moved_l"] = self.letters(moved, perm, RIGHT)
        for key, text in zip(("top_in", "bot_in", "top_out", "bot_out", "moved"), names):
            side = UP if key.startswith("top") else DOWN
            label = self.math(text, LABEL)
            m[key + "_n"] = label.next_to(m[key], side, buff=0.08)
        m["sign"] = style.note("$=$", size=LABEL).move_to((m["bot_out_l"].get_right() + moved.get_left()) / 2)
        everything = VGroup(*m.values())
        style.STAGE.rows(5.1, 0.9)[0].place(everything)
        m["top_arrow"] = self.arrow(top_in, top_out)
        m["bot_arrow"] = self.arrow(bot_in, bot_out)
        return m

    def foot(self, *lines: Mobject) -> Mobject:
        """Place lines of text in the band under the matrices."""
        return style.STAGE.rows(5.1, 0.9)[1].place(VGroup(*lines).arrange(DOWN, buff=0.12))

    def move_rows(self, src: TensorMatrix, dst: TensorMatrix, src_l: VGroup, dst_l: VGroup) -> LaggedStart:
        """Return row perm[i] of src travelling to row i of dst, one row after another (never two at once).

        The bottom row is filled first, so a travelling row never crosses a row already in place.
        """
        moves = [TransformFromCopy(VGroup(src.row(t), src_l[t]), VGroup(dst.row(i), dst_l[i]))
                 for i, t in enumerate(self.perm)]
        return LaggedStart(*reversed(moves), lag_ratio=1.0)

    # -- beats --------------------------------------------------------------------------------
    def attention(self) -> None:
        self.beat("Self-attention on a few tokens")
        b = self.b
        q = self.quad(("X", "X_perm"), ("Y", "Y_perm", "Y_pi"),
                      ("X", "X_pi", "\"Attn\"(X)", "\"Attn\"(X_pi)", "\"Attn\"(X)_pi"))
        self.q = q
        formula = self.foot(
            style.note('$"Attn"(X) = "softmax"((X W^Q)(X W^K)^T \\/ sqrt(D)) X W^V$', size=NOTE),
            style.note("one head; its weights are random and stay fixed throughout", size=NOTE, color=style.MUTED))
        formula.set_y(q["bot_out"].get_y())  # in the middle band until the shuffled row takes its place
        self.say("{L} tokens, named by letters, are the rows of X. One head of self-attention, with random fixed"
                 " weights, gives each token an output row.", L=b.dim("X", 0))
        self.play(FadeIn(q["top_in"]), FadeIn(q["top_in_l"]), FadeIn(q["top_in_n"]), FadeIn(formula), run_time=0.8)
        self.play(Create(q["top_arrow"][0]), FadeIn(q["top_arrow"][1]), run_time=0.5)
        self.play(Create(q["top_out"].brackets), LaggedStart(*(FadeIn(q["top_out"].row(r), shift=RIGHT * 0.3)
                                                               for r in range(self.L)), lag_ratio=0.3),
                  FadeIn(q["top_out_l"]), FadeIn(q["top_out_n"]), run_time=1.4)
        self.formula = formula

    def shuffle(self) -> None:
        self.beat("Shuffle the tokens")
        b, q = self.b, self.q
        self.say("Shuffle the rows: X_pi holds the same tokens in another order. Each row moves down to its new place.")
        self.play(FadeOut(self.formula), Create(q["bot_in"].brackets), FadeIn(q["bot_in_n"]), run_time=0.4)
        self.play(self.move_rows(q["top_in"], q["bot_in"], q["top_in_l"], q["bot_in_l"]), run_time=2.4)
        self.say("Now compute attention on the shuffled rows, from scratch: every output row of Attn(X_pi) is new.")
        self.play(Create(q["bot_arrow"][0]), FadeIn(q["bot_arrow"][1]), run_time=0.5)
        self.play(Create(q["bot_out"].brackets), LaggedStart(*(FadeIn(q["bot_out"].row(r), shift=RIGHT * 0.3)
                                                               for r in range(self.L)), lag_ratio=0.3),
                  FadeIn(q["bot_out_l"]), FadeIn(q["bot_out_n"]), run_time=1.4)
        self.say("Beside it, move the old output rows the way the tokens moved: Attn(X)_pi. Compare row by row.")
        self.play(Create(q["moved"].brackets), FadeIn(q["moved_n"]), FadeIn(q["sign"]), run_time=0.4)
        self.play(self.move_rows(q["top_out"], q["moved"], q["top_out_l"], q["moved_l"]), run_time=2.4)
        exact = self.exact("diff_plain")
        diff = self.prose("largest difference: max $|\"Attn\"(X_pi) - \"Attn\"(X)_pi|$ = {d}", LABEL,
                          style.DIFFERENCE, d=b.value("diff_plain", (), 2, "g"))
        verdict = style.note("exactly zero: attention treats its input as a set" if exact else
                             "float32 rounding only: attention treats its input as a set", size=NOTE, color=style.MUTED)
        text = self.foot(diff, verdict)
        self.say_gap("diff_plain", "The same rows, digit for digit: torch's largest difference is exactly {d}."
                                   " Self-attention cannot tell one order from another.",
                     "The same rows: torch's largest difference is {d}, float32 rounding from summing in another"
                     " order. Self-attention cannot tell one order from another.")
        self.play(FadeIn(text, shift=UP * 0.2), run_time=0.6)
        self.clear_stage()

    def encoding(self) -> None:
        self.beat("The sinusoidal encoding")
        b, cfg = self.b, self.result.config
        positions, dims = cfg.positions, cfg.pe_dims
        slow = 2 * min(WAVE_PAIR, dims // 2 - 1)  # the sine column of the slow pair
        head, body = style.STAGE.rows(0.5, 5.4, gap=0.15)
        left, right = body.columns(1.0, 1.45, gap=0.5)
        heat = b.heatmap("PE", "scale", height=3.6)
        if heat.width > 4.6:  # many dims: pixels drawn narrower than tall, so the labels keep their size
            heat.stretch_to_fit_width(4.6)
        top = style.note("dimension →", size=NOTE, color=style.MUTED).next_to(heat, UP, buff=0.12)
        side = style.note("position $p$ →", size=NOTE, color=style.MUTED).rotate(-PI / 2).next_to(heat, LEFT, buff=0.1)
        fast_box = pixel_box(heat, (positions, dims), (0, positions), (0, 1), color=style.TEXT, width=4)
        slow_box = pixel_box(heat, (positions, dims), (0, positions), (slow, slow + 1), color=SLOW, width=4)
        # the heatmap's ends numbered: first and last position down the side, first and last dim along the top
        ends = VGroup(
            b.number(b.index("pos", 0, 0, base=0), NOTE, color=style.MUTED).next_to(heat.get_corner(UP + LEFT), LEFT, buff=0.1).shift(DOWN * 0.15),
            b.number(b.index("pos", 0, positions - 1, base=0), NOTE, color=style.MUTED).next_to(heat.get_corner(DOWN + LEFT), LEFT, buff=0.1).shift(UP * 0.15),
            b.number(b.index("M", 0, 0, base=0), NOTE, color=style.MUTED).next_to(heat.get_corner(UP + LEFT), UP, buff=0.1).shift(RIGHT * 0.15),
            b.number(b.index("M", 0, dims - 1, base=0), NOTE, color=style.MUTED).next_to(heat.get_corner(UP + RIGHT), UP, buff=0.1).shift(LEFT * 0.2),
        )
        side.next_to(ends[:2], LEFT, buff=0.1)
        bar = colour_legend(b, "ramp", "scale", decimals=0, font_size=NOTE, width=2.4)
        bar.next_to(heat, DOWN, buff=0.25)
        left.place(Group(heat, top, side, fast_box, slow_box, bar, ends))
        plane = Plane(b, (0.0, float(positions - 1)), (-1.15, 1.15), width=right.width - 2.4, height=3.0)
        xs = [b.value("pos", (p,), 0) for p in range(positions)]
        fast = plane.curve(xs, [b.value("PE", (p, 0)) for p in range(positions)], color=style.TEXT, stroke_width=2)
        slow_c = plane.curve(xs, [b.value("PE", (p, slow)) for p in range(positions)], color=SLOW, stroke_width=6)
        ticks = VGroup(*(plane.tick(b.value("unit", (i,), 0), "y", font_size=NOTE) for i in range(3)),
                       plane.tick(xs[0], "x", font_size=NOTE), plane.tick(xs[-1], "x", font_size=NOTE))
        x_name = style.note("position $p$", size=NOTE, color=style.MUTED).next_to(ticks[3:], DOWN, buff=0.1)
        x_name.set_x(plane.get_x())
        y_name = style.note("value", size=NOTE, color=style.MUTED).next_to(ticks[:3], LEFT, buff=0.15)
        keys = VGroup(
            self.prose("dim {j}: $sin(p omega_0)$, $omega_0$ = {w}", NOTE, style.TEXT, j=b.index("PE", 1, 0, base=0),
                       w=b.value("omega", (0,), 2)),
            self.prose("dim {j}: $sin(p omega_({i}))$, $omega_({i})$ = {w}", NOTE, SLOW,
                       j=b.index("PE", 1, slow, base=0), i=b.index("omega", 0, slow // 2, base=0),
                       w=b.value("omega", (slow // 2,), 2)),
            self.prose("dims and pairs count from {z}, as in the formula", NOTE, style.MUTED, z=b.index("PE", 1, 0, base=0)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        formula = self.prose("pair $i$: $(sin(p omega_i), cos(p omega_i))$, $omega_i = {base}^(-{two} i \\/ D)$", NOTE,
                             base=b.value("base", (), 0), two=b.dim("M_blocks", 1))
        width = self.prose("now $D$ = {D}, a real model's width (the tokens above had $D$ = {d})", LABEL,
                           D=b.dim("PE", 1), d=b.dim("X", 1))
        tags = VGroup(self.prose("dim {j}", NOTE, style.TEXT, j=b.index("M", 0, 0, base=0)),
                      self.prose("dim {j}", NOTE, SLOW, j=b.index("M", 0, slow, base=0)))
        for tag, curve in zip(tags, (fast, slow_c)):
            tag.next_to(curve.get_end(), RIGHT, buff=0.25)
        if touches(tags[0], tags[1], pad=0.15):  # both waves end close together: the fast one's name goes above
            tags[0].next_to(tags[1], UP, buff=0.2)
        graph = VGroup(plane, fast, slow_c, ticks, x_name, y_name, tags)
        right.place(VGroup(formula, graph, keys).arrange(DOWN, buff=0.3))
        self.say("Now D = {D}, a real model's width; the tokens above had D = {d}. The encoding: {P} positions by {D}"
                 " dims, each value between -{s} and {s}.",
                 P=b.dim("PE", 0), D=b.dim("PE", 1), d=b.dim("X", 1), s=b.value("scale", (), 0))
        head.place(width)
        self.play(FadeIn(heat), FadeIn(top), FadeIn(side), FadeIn(bar), FadeIn(formula), FadeIn(ends),
                  FadeIn(width, shift=DOWN * 0.2), run_time=0.8)
        self.say("Read one column down the positions and it is a wave. Dim {a} turns fastest, {w} radians per position;"
                 " dim {c} only {v}.", a=b.index("PE", 1, 0, base=0), c=b.index("PE", 1, slow, base=0),
                 w=b.value("omega", (0,), 2), v=b.value("omega", (slow // 2,), 2))
        self.play(Create(fast_box), Create(plane.axes), FadeIn(ticks), FadeIn(x_name), FadeIn(y_name), run_time=0.6)
        self.play(Create(fast), FadeIn(keys[0]), FadeIn(tags[0]), run_time=1.8)
        self.play(Create(slow_box), Create(slow_c), FadeIn(keys[1:]), FadeIn(tags[1]), run_time=1.8)
        self.clear_stage()

    def with_positions(self) -> None:
        self.beat("Add positions: the symmetry breaks")
        b, perm = self.b, self.perm
        q = self.quad(("XP", "XP_perm"), ("Y_pe", "Y_pe_perm", "Y_pe_pi"),
                      ("X + P", "X_pi + P", "\"Attn\"(X + P)", "\"Attn\"(X_pi + P)", "\"Attn\"(X + P)_pi"))
        # first the sums: X (where the inputs go), P (where the outputs go), X + P (where the moved rows go)
        keys = ("top_in", "bot_in", "top_in_l", "bot_in_l", "top_in_n", "bot_in_n")
        home = {k: q[k].get_center() for k in keys}
        X, Xp = self.matrix("X", cell=self.cell).move_to(q["top_in"]), self.matrix("X_perm", cell=self.cell).move_to(q["bot_in"])
        P_top = self.matrix("P", cell=self.cell).move_to(q["top_out"])
        P_bot = self.matrix("P", cell=self.cell).move_to(q["bot_out"])
        shift = (q["moved"].get_x() - q["top_in"].get_x()) * RIGHT
        for k in keys:
            q[k].shift(shift)
        sums = (q["top_in"], q["bot_in"])
        letters = (self.letters(X, range(self.L)), self.letters(Xp, perm))
        pos = VGroup(*(label_rows(m, [self.prose("$p$ = {p}", NOTE, style.MUTED, p=b.index("P", 0, r, base=0))
                                      for r in range(self.L)], LEFT, buff=0.15) for m in (P_top, P_bot)))
        signs = VGroup()
        for a, z in ((X, pos[0]), (Xp, pos[1])):
            signs.add(style.note("$+$", size=LABEL).move_to((a.get_right() + z.get_left()) / 2))
        for a, z in ((P_top, q["top_in_l"]), (P_bot, q["bot_in_l"])):
            signs.add(style.note("$=$", size=LABEL).move_to((a.get_right() + z.get_left()) / 2))
        names = VGroup(self.math("X", LABEL).next_to(X, UP, buff=0.12),
                       self.prose("$P$, back at $D$ = {D}", LABEL, D=b.dim("P", 1)).next_to(P_top, UP, buff=0.12),
                       self.math("X_pi", LABEL).next_to(Xp, DOWN, buff=0.12),
                       self.math("P", LABEL).next_to(P_bot, DOWN, buff=0.12))
        self.say("Back to the tokens, D = {D}. Add P, the same formula at that width: row p of P goes to whichever token sits at position p."
                 " Tokens move, positions stay.", D=b.dim("P", 1))
        self.play(FadeIn(X), FadeIn(Xp), FadeIn(VGroup(*letters)), FadeIn(P_top), FadeIn(P_bot), FadeIn(pos),
                  FadeIn(signs), FadeIn(names), *(Create(s.brackets) for s in sums), FadeIn(q["top_in_n"]),
                  FadeIn(q["bot_in_n"]), run_time=0.8)
        for src, P, s, l_src, l_dst in ((X, P_top, sums[0], letters[0], q["top_in_l"]),
                                        (Xp, P_bot, sums[1], letters[1], q["bot_in_l"])):
            self.play(LaggedStart(*(AnimationGroup(FadeOut(src.row(r).copy(), target_position=s.row(r)),
                                                   FadeOut(P.row(r).copy(), target_position=s.row(r)),
                                                   FadeIn(s.row(r)))
                                    for r in range(self.L)), lag_ratio=0.5),
                      TransformFromCopy(l_src, l_dst), run_time=2.2)
        self.say("Now attention runs on X + P and on X_pi + P, and the in-order output's rows are moved like the"
                 " tokens, as before.")
        self.play(FadeOut(Group(X, Xp, P_top, P_bot, *letters, pos, signs, names)), run_time=0.5)
        self.play(*(q[k].animate.move_to(home[k]) for k in keys), run_time=1.0)
        self.play(Create(q["top_arrow"][0]), FadeIn(q["top_arrow"][1]), Create(q["bot_arrow"][0]),
                  FadeIn(q["bot_arrow"][1]), run_time=0.5)
        self.play(*(Create(q[k].brackets) for k in ("top_out", "bot_out")),
                  *(LaggedStart(*(FadeIn(q[k].row(r), shift=RIGHT * 0.3) for r in range(self.L)), lag_ratio=0.3)
                    for k in ("top_out", "bot_out")),
                  *(FadeIn(q[k]) for k in ("top_out_l", "bot_out_l", "top_out_n", "bot_out_n")), run_time=1.4)
        self.play(Create(q["moved"].brackets), FadeIn(q["moved_n"]), run_time=0.3)
        self.play(self.move_rows(q["top_out"], q["moved"], q["top_out_l"], q["moved_l"]), run_time=2.4)
        i, j = int(b.tensors["diff_pe_row"]), int(b.tensors["diff_pe_col"])
        unequal = style.note("$eq.not$", size=LABEL, color=style.DIFFERENCE).move_to(q["sign"])
        boxes = VGroup(q["bot_out"].box(rows=(i, i + 1), cols=(j, j + 1), color=style.DIFFERENCE),
                       q["moved"].box(rows=(i, i + 1), cols=(j, j + 1), color=style.DIFFERENCE))
        diff = self.prose(f"largest difference, token *{LETTERS[perm[i]]}*: {{a}} against {{c}}, a gap of {{d}}", LABEL,
                          style.DIFFERENCE, a=b.value("Y_pe_perm", (i, j)), c=b.value("Y_pe_pi", (i, j)),
                          d=b.value("diff_pe", (), 2, "g"))
        verdict = style.note("the shuffled sentence now gives other outputs: order is visible", size=NOTE,
                             color=style.MUTED)
        text = self.foot(diff, verdict)
        self.say(f"Not equal any more: a moved token gets another position's code. Boxed, in token {LETTERS[perm[i]]}'s"
                 " row: {a} against {c}, a gap of {d}, far above rounding.", a=b.value("Y_pe_perm", (i, j)), c=b.value("Y_pe_pi", (i, j)),
                 d=b.value("diff_pe", (), 2, "g"))
        self.play(Create(boxes), FadeIn(text, shift=UP * 0.2), FadeIn(unequal), run_time=0.8)
        self.clear_stage()

    def circle(self, pair: int) -> dict[str, Mobject]:
        """Return one pair's circle: the points PE(p) for the first positions, and movers at M_k PE(p)."""
        b, k = self.b, int(self.result.config.shift)
        n_movers = min(MOVERS, self.result.config.positions - k)
        shown = sorted({*range(n_movers), *(p + k for p in range(n_movers))})  # the movers and where they land
        plane = Plane(b, (-1.45, 1.45), (-1.45, 1.45), width=3.6, height=3.6, axes=False)
        centre = plane.to_screen(0.0, 0.0)
        ring = Circle(radius=plane.to_screen(1.0, 0.0)[0] - centre[0], color=style.MUTED, stroke_width=2)
        ring.move_to(centre)
        plane.axes.add(Line(plane.to_screen(-1.12, 0.0), plane.to_screen(1.12, 0.0), color=style.MUTED, stroke_width=1.5),
                       Line(plane.to_screen(0.0, -1.12), plane.to_screen(0.0, 1.12), color=style.MUTED, stroke_width=1.5))
        dots, labels = VGroup(), VGroup()
        at = {}
        for p in shown:
            x, y = b.value("PE", (p, 2 * pair)), b.value("PE", (p, 2 * pair + 1))
            at[p] = plane.dot(x, y, color=style.ROLE["position"], radius=0.08)
            dots.add(at[p])
            label = self.prose("{p}", NOTE, style.MUTED, p=b.index("PE", 0, p, base=0))
            for reach in (1.3, 1.6):  # a label that would touch another moves further out, or is left off
                label.move_to(plane.to_screen(reach * b.exact(x), reach * b.exact(y)))
                if not any(touches(label, other) for other in labels):
                    labels.add(label)
                    break
        movers = VGroup()
        for p in range(n_movers):
            mover = plane.dot(b.value("MPE", (p, 2 * pair)), b.value("MPE", (p, 2 * pair + 1)), color=style.TEXT,
                              radius=0.06)
            movers.add(mover.move_to(at[p]))
        theta = np.arctan2(b.exact(b.value("PE", (0, 2 * pair))), b.exact(b.value("PE", (0, 2 * pair + 1))))
        angle = float(b.tensors["angles"][pair])
        arc = Arc(radius=0.45, start_angle=PI / 2 - theta, angle=-angle, arc_center=centre, color=style.TEXT,
                  stroke_width=3)
        axes = VGroup()
        return {"plane": plane, "ring": ring, "dots": dots, "labels": labels, "movers": movers, "arc": arc,
                "axes": axes, "centre": centre, "at": at}

    def rotation(self) -> None:
        self.beat("A shift by k is a rotation")
        b = self.b
        circles = [self.circle(i) for i in PAIRS]
        columns = Group()
        for i, c in zip(PAIRS, circles):
            title = VGroup(
                self.prose("pair $i$ = {i}", LABEL, i=b.index("M_blocks", 0, i, base=0)),
                self.prose("across: dim {a}, $sin(p omega_({i}))$; up: dim {c}, $cos(p omega_({i}))$", NOTE,
                           style.MUTED, a=b.index("PE", 1, 2 * i, base=0), c=b.index("PE", 1, 2 * i + 1, base=0),
                           i=b.index("M_blocks", 0, i, base=0)),
            ).arrange(DOWN, buff=0.1)
            turn = self.prose("turn by $k omega_({i})$ = {a} rad", NOTE, i=b.index("M_blocks", 0, i, base=0),
                              a=b.value("angles", (i,)))
            R = self.matrix("M_blocks", (i,))
            R_name = self.math("R_({i}) =", LABEL, i=b.index("M_blocks", 0, i, base=0))
            c["title"], c["turn"] = title, turn
            c["R"] = VGroup(R_name, R).arrange(RIGHT, buff=0.15)
            pic = Group(c["plane"], c["ring"], c["dots"], c["labels"], c["movers"], c["arc"], c["axes"])
            columns.add(Group(title, pic, VGroup(turn, c["R"]).arrange(RIGHT, buff=0.4)).arrange(DOWN, buff=0.18))
        columns.arrange(RIGHT, buff=0.8)
        style.STAGE.place(columns)
        for c in circles:  # the circle's own centre moved with the plane
            c["centre"] = c["plane"].to_screen(0.0, 0.0)
        self.say("Each (sin, cos) pair of PE(p) is a point on a unit circle: the dot of position p sits at angle p"
                 " times omega_i, labelled with its p.")
        self.play(*(FadeIn(Group(c["title"], c["ring"], c["axes"], c["plane"].axes)) for c in circles), run_time=0.6)
        self.play(*(LaggedStart(*(FadeIn(d, scale=0.5) for d in c["dots"]), lag_ratio=0.25) for c in circles),
                  *(LaggedStart(*(FadeIn(lab) for lab in c["labels"]), lag_ratio=0.25) for c in circles), run_time=2.0)
        self.say("Shift every position by k = {k}: each point turns by the same angle k omega_i, whatever its p."
                 " The white dots are PE(p) turned by k omega_i, computed by torch.", k=b.value("k", (), 0))
        self.add(*(c["movers"] for c in circles))
        self.play(*(Rotate(c["movers"], angle=-float(b.tensors["angles"][i]), about_point=c["centre"])
                    for i, c in zip(PAIRS, circles)),
                  *(Create(c["arc"]) for c in circles), *(FadeIn(c["turn"]) for c in circles), run_time=3.0)
        self.say("Every p lands on p + {k}. The turn is one {t} by {t} rotation per pair: its entries hold k, never p.",
                 k=b.value("k", (), 0), t=b.dim("M_blocks", 1))
        self.play(*(FadeIn(c["R"], shift=UP * 0.2) for c in circles), run_time=0.8)
        self.clear_stage()

    def shift_matrix(self) -> None:
        self.beat("One matrix for the whole shift")
        b = self.b
        half = int(b.tensors["M_blocks"].shape[0])
        shown = min(6, int(b.tensors["pe_p"].shape[0]))  # the first dims of the vectors, three (sin, cos) pairs
        i0, i1, last = (b.index("M_blocks", 0, i, base=0) for i in (0, 1, half - 1))
        zero = b.value("unit", (1,), 0)
        M_def = self.math("M_k = mat(delim: \"[\", thick R_({a}), {z}, dots.c, {z} thick; thick {z}, R_({c}), dots.c,"
                          " {z} thick; thick dots.v, dots.v, dots.down, dots.v thick; thick {z}, {z}, dots.c,"
                          " R_({n}) thick)", LABEL + 4, z=zero, a=i0, c=i1, n=last)
        M_note = self.prose("{D} × {D}: pair $i$ turned by its own $R_i$, zeros elsewhere", NOTE, style.MUTED,
                            D=b.dim("M", 0))
        R_def = self.math("R_i = mat(delim: \"[\", cos k omega_i, sin k omega_i; -sin k omega_i, cos k omega_i)", LABEL)
        R0 = self.matrix("M_blocks", (0,))
        R0_line = VGroup(self.prose("pair {i}: $k omega_({i})$ = {a} rad,", NOTE, i=i0, a=b.value("angles", (0,))),
                         self.math("R_({i}) =", LABEL, i=i0), R0).arrange(RIGHT, buff=0.2)
        top = VGroup(VGroup(M_def, M_note).arrange(DOWN, buff=0.2),
                     VGroup(R_def, R0_line).arrange(DOWN, buff=0.3, aligned_edge=LEFT)).arrange(RIGHT, buff=0.9)
        # one position's vector before and after M_k, and the encoding k positions on
        cell = 1.05
        rows = VGroup(*(number_row(b, name, count=shown, cell=cell, color=style.ROLE["position"], align="center")
                        for name in ("pe_p", "rotated", "pe_pk"))).arrange(DOWN, buff=0.25)
        p, pk = b.value("p", (), 0), b.value("p_k", (), 0)
        names = VGroup(self.math("\"PE\"({p})", LABEL, p=p), self.math("M_k \"PE\"({p})", LABEL, p=p),
                       self.math("\"PE\"({q})", LABEL, q=pk))
        for name, row in zip(names, rows):
            name.next_to(rows, LEFT, buff=0.4).set_y(row.get_y())
        heads = VGroup(*(self.prose("dim {j}", NOTE, style.MUTED, j=b.index("PE", 1, j, base=0))
                         .next_to(rows[0][j], UP, buff=0.2) for j in range(shown)))
        pairs = VGroup()
        for i in range(shown // 2):
            pair = VGroup(heads[2 * i], heads[2 * i + 1])
            brace = Line(pair.get_corner(UP + LEFT) + UP * 0.08, pair.get_corner(UP + RIGHT) + UP * 0.08,
                         color=style.MUTED, stroke_width=1.5)
            pairs.add(VGroup(brace, self.prose("pair {i}", NOTE, style.MUTED, i=b.index("M_blocks", 0, i, base=0))
                             .next_to(brace, UP, buff=0.08)))
        more = VGroup(*(style.note("…", size=LABEL, color=style.MUTED).next_to(rows, RIGHT, buff=0.3).set_y(row.get_y())
                        for row in rows))
        err = self.prose("all {D} dims: max $|\"PE\"({q}) - M_k \"PE\"({p})|$ = {e}", NOTE, style.DIFFERENCE,
                         D=b.dim("M", 0), q=pk, p=p, e=b.value("probe_err", (), 2, "g"))
        table = VGroup(pairs, heads, rows, names, more)
        # pair 0 worked out: each row of R_0 times PE(p)'s first pair
        work, work_nums = VGroup(), []
        for r in range(2):
            line, nums = self.product_line([(b.value("M_blocks", (0, r, c)), b.value("pe_p", (c,))) for c in range(2)],
                                           b.value("rotated", (r,)))
            work.add(VGroup(self.prose("dim {j}:", NOTE, style.MUTED, j=b.index("PE", 1, r, base=0)), line)
                     .arrange(RIGHT, buff=0.25))
            work_nums.append(nums)
        work.arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        bottom = VGroup(table, work, err).arrange(DOWN, buff=0.25)
        style.STAGE.place(VGroup(top, bottom).arrange(DOWN, buff=0.45))
        self.say("M_k is the whole shift as one matrix: each pair's {t} by {t} rotation on its diagonal, zeros"
                 " elsewhere, {D} by {D}.", t=b.dim("M_blocks", 1), D=b.dim("M", 0))
        self.play(FadeIn(M_def), FadeIn(M_note), run_time=0.8)
        self.say("Each block holds the cosine and sine of k omega_i. For pair {i}, k omega is {a} radians: these are"
                 " its numbers.", i=i0, a=b.value("angles", (0,)))
        self.play(FadeIn(R_def), run_time=0.6)
        self.play(FadeIn(R0_line, shift=UP * 0.2), run_time=0.6)
        self.say("Take p = {p}. M_k turns each (sin, cos) pair of PE({p}) by its own R_i, pair by pair.", p=p)
        self.play(FadeIn(pairs), FadeIn(heads), FadeIn(names[0]), FadeIn(rows[0]), FadeIn(more[0]), run_time=0.6)
        self.say("Pair {i} worked out: each row of R_({i}) times the pair ({x}, {y}). The first row gives {r}.",
                 i=i0, x=b.value("pe_p", (0,)), y=b.value("pe_p", (1,)), r=b.value("rotated", (0,)))
        for r in range(2):
            a, x, c, y, out = work_nums[r]
            self.play(FadeIn(work[r][0]), run_time=0.3)
            self.combine([(R0.entry(r, 0), a), (rows[0][0], x), (R0.entry(r, 1), c), (rows[0][1], y)],
                         FadeIn(work[r][1].symbols), lag_ratio=0.25, run_time=1.6)
            self.play(self.flow(VGroup(a, x, c, y), out), run_time=0.8)
            self.combine([(out, rows[1][r])], *([FadeIn(names[1]), FadeIn(more[1])] if r == 0 else []), run_time=0.8)
        self.say("The other pairs turn the same way, each by its own R_i.")
        self.combine([(VGroup(rows[0][2 * (j // 2)], rows[0][2 * (j // 2) + 1]), rows[1][j]) for j in range(2, shown)],
                     lag_ratio=0.3, run_time=2.0)
        self.say("The result is PE({q}), the encoding of position {p} plus {k}, in all {D} dims: the largest gap is {e}.",
                 q=pk, p=p, k=b.value("k", (), 0), D=b.dim("M", 0), e=b.value("probe_err", (), 2, "g"))
        self.play(FadeIn(names[2]), FadeIn(more[2]),
                  LaggedStart(*(FadeIn(x, shift=UP * 0.15) for x in rows[2]), lag_ratio=0.2), run_time=1.2)
        self.play(FadeIn(err, shift=UP * 0.2), run_time=0.5)
        self.clear_stage()

    def product_line(self, terms: list[tuple[Source, Source]], result: Source) -> tuple[VGroup, list[Mobject]]:
        """Return 'a·x + c·y = r' of bound numbers (negative factors in brackets), and its numbers in that order.

        The line's signs are in its attribute `symbols`, so they can fade in while the numbers fly in.
        """
        b, size, color = self.b, LABEL, style.ROLE["position"]
        parts, nums, symbols = VGroup(), [], VGroup()

        def sym(text: str) -> Mobject:
            mob = style.note(f"${text}$", size=size)
            symbols.add(mob)
            return mob

        for n, (w, v) in enumerate(terms):
            if n:
                parts.add(sym("+"))
            for f, src in enumerate((w, v)):
                num = b.number(src, size, color=color)
                nums.append(num)
                if b.exact(src) < 0 and (n or f):
                    parts.add(VGroup(sym("("), num, sym(")")).arrange(RIGHT, buff=0.03))
                else:
                    parts.add(num)
                if not f:
                    parts.add(sym("dot.c"))
        out = b.number(result, size, color=color)
        nums.append(out)
        parts.add(sym("="), out).arrange(RIGHT, buff=0.12)
        parts.symbols = symbols  # type: ignore[attr-defined]
        return parts, nums

    def relative(self) -> None:
        self.beat("The same rotation for every p")
        b = self.b
        n = int(b.tensors["dots"].shape[1])
        heads = VGroup(*(self.math("p = {p}", NOTE, style.MUTED, p=b.index("dots", 1, p, base=0)) for p in range(n)))
        rows = VGroup(*(number_row(b, "dots", (r,), cell=1.15, color=style.ROLE["score"]) for r in range(2)))
        rows.arrange(DOWN, buff=0.3)
        for h, num in zip(heads, rows[0]):
            h.next_to(num, UP, buff=0.25)
        names = VGroup(*(self.math("\"PE\"(p) dot \"PE\"(p + {o})", LABEL, o=b.value("offsets", (r,), 0))
                         .next_to(rows[r], LEFT, buff=0.5) for r in range(2)))
        names.align_to(names[0], RIGHT)
        err = self.prose("over every position and dim: max $|\"PE\"(p + k) - M_k \"PE\"(p)|$ = {e}", LABEL,
                         style.DIFFERENCE, e=b.value("rel_err", (), 2, "g"))
        note = style.note("float32 rounding: one linear map $M_k$ moves every position by $k$", size=NOTE,
                          color=style.MUTED)
        z = b.index("PE", 0, 0, base=0)
        law = VGroup(
            self.math("\"PE\"(p) = M_p \"PE\"({z}), quad \"PE\"(p + k) = M_p \"PE\"(k)", LABEL, z=z),
            self.math("\"PE\"(p) dot \"PE\"(p + k) = (M_p \"PE\"({z})) dot (M_p \"PE\"(k))"
                      " = \"PE\"({z}) dot \"PE\"(k)", LABEL, z=z),
        ).arrange(DOWN, buff=0.15)
        why = VGroup(self.prose("A score between two positions can depend on how far apart they are:", NOTE),
                     self.prose("{k} apart gives one number, {o} apart another, at any $p$.", NOTE,
                                k=b.value("offsets", (0,), 0), o=b.value("offsets", (1,), 0)),
                     ).arrange(DOWN, buff=0.12)
        table = VGroup(heads, rows, names)
        # PE(0) . PE(k) against k: the score of two positions k apart, wherever they are
        last = int(b.tensors["decay"].shape[0]) - 1
        top = float(b.tensors["decay_top"])
        low = float(b.tensors["decay"].min())
        plot = Plane(b, (0.0, float(last)), (min(low, 0.0) - 0.1 * top, 1.1 * top), width=5.2, height=1.3)
        curve = plot.curve([b.value("pos", (k,), 0) for k in range(last + 1)],
                           [b.value("decay", (k,)) for k in range(last + 1)], color=style.ROLE["score"])
        marks = VGroup(*(plot.dot(b.value("pos", (int(b.tensors["offsets"][r]),), 0),
                                  b.value("decay", (int(b.tensors["offsets"][r]),)), color=style.TEXT, radius=0.07)
                         for r in range(2)))
        plot_ticks = VGroup(plot.tick(b.value("pos", (0,), 0), "x", font_size=NOTE),
                            plot.tick(b.value("pos", (last,), 0), "x", font_size=NOTE),
                            plot.tick(b.value("decay_top", (), 0), "y", font_size=NOTE),
                            plot.tick(b.value("unit", (1,), 0), "y", font_size=NOTE))
        plot_x = style.note("offset $k$", size=NOTE, color=style.MUTED).next_to(plot_ticks[:2], DOWN, buff=0.05)
        plot_x.set_x(plot.get_x())
        plot_y = style.note("$\"PE\"(p) dot \"PE\"(p + k)$", size=NOTE, color=style.MUTED)
        plot_y.next_to(plot, UP, buff=0.1).align_to(plot, LEFT)
        graph = VGroup(plot, curve, marks, plot_ticks, plot_x, plot_y)
        lower = VGroup(graph, why).arrange(RIGHT, buff=0.6)
        style.STAGE.place(VGroup(VGroup(err, note).arrange(DOWN, buff=0.12), law, table, lower).arrange(DOWN, buff=0.25))
        self.say("Checked at every position: the largest gap between PE(p + k) and M_k PE(p) is {e}, float32 rounding.",
                 e=b.value("rel_err", (), 2, "g"))
        self.play(FadeIn(err), FadeIn(note), run_time=0.6)
        self.say("PE(p) is PE({z}) turned by M_p, and rotations keep dot products. So PE(p) dot PE(p + {k}) is"
                 " {v} at p = {a} and at every p shown.", z=z, k=b.value("offsets", (0,), 0),
                 v=b.value("dots", (0, 0)), a=b.index("dots", 1, n - 1, base=0))
        self.play(FadeIn(law[0]), run_time=0.6)
        self.play(FadeIn(law[1]), run_time=0.6)
        self.play(FadeIn(heads), FadeIn(names[0]),
                  LaggedStart(*(FadeIn(x, shift=DOWN * 0.2) for x in rows[0]), lag_ratio=0.3), run_time=2.0)
        self.say("Another offset, another number: PE(p) dot PE(p + {o}) is {w}, again at every p.",
                 o=b.value("offsets", (1,), 0), w=b.value("dots", (1, 0)))
        self.play(FadeIn(names[1]), LaggedStart(*(FadeIn(x, shift=DOWN * 0.2) for x in rows[1]), lag_ratio=0.3),
                  run_time=2.0)
        self.say("So a score built from positions can tell tokens {k} apart from tokens {o} apart, at any place in"
                 " the sentence. It measures distance, not direction.", k=b.value("offsets", (0,), 0),
                 o=b.value("offsets", (1,), 0))
        self.play(FadeIn(why), run_time=0.6)
        self.hold_caption()
        self.say("Plot that number against the offset: largest at zero, then smaller and wavy as positions grow"
                 " apart. The dots are offsets {k} and {o}.", k=b.value("offsets", (0,), 0), o=b.value("offsets", (1,), 0))
        self.play(Create(plot.axes), FadeIn(plot_ticks), FadeIn(plot_x), FadeIn(plot_y), run_time=0.6)
        self.play(Create(curve), run_time=2.0)
        self.play(FadeIn(marks, scale=0.5), run_time=0.5)
        self.clear_stage()
