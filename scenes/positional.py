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
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Mobject,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, pixel_box
from scenes.kit.plot import colour_legend, heatmap_with_notes

CELL = (0.82, 0.42)  # small matrices: four-character numbers, a little narrower than the default
LETTERS = "ABCDEFGH"  # token names: letters, so they are never mistaken for positions
DIFFERS = "#f85149"
SHOWN_BLOCKS = 3  # rotations of M_k drawn with their numbers (the first pairs, the fastest)
MAIN, FOOT = style.STAGE.rows(5.4, 1.0)  # the matrices, and the line of maths or the verdict under them


class PositionalLecture(LectureScene):
    """Without positions, shuffling tokens only shuffles attention's output; PE breaks that."""

    beats = ("intro", "attention", "shuffle", "encoding", "with_positions", "rotation", "relative", "recap")
    question = "Why does attention need positional encoding?"
    question_details = ("Swap two words and the meaning changes. Does self-attention notice?",)
    question_caption = ("Word order carries meaning. Can self-attention see order at all, and what does a positional"
                        " encoding add?")
    recap_lines = (
        "Without positions, shuffling the tokens only shuffles attention's output.",
        "Adding $P$ ties each row to a position: the shuffled output differs.",
        "Sinusoidal pairs turn with position: $\"PE\"(p + k) = M_k \"PE\"(p)$ for every $p$.",
    )
    recap_caption = ("Self-attention sees a set; positional encoding turns it into a sequence, and its sines make"
                     " offsets a fixed rotation.")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def L(self) -> int:
        return int(self.result.config.seq_len)

    @property
    def perm(self) -> list[int]:
        return [int(i) for i in self.b.tensors["perm"]]

    def tokens(self, name: str, tokens: list[int]) -> TensorMatrix:
        """Return a small bound matrix whose row r is painted in the colour of token tokens[r]."""
        m = self.matrix(name, cell=CELL)
        for r, t in enumerate(tokens):
            m.row(r).set_color(style.head_color(t))
        return m

    def beside_rows(self, m: TensorMatrix, labels: Sequence[Mobject], side: int = -1) -> VGroup:
        """Return labels placed beside each row of a matrix, left of it when side < 0."""
        out = VGroup()
        for r, label in enumerate(labels):
            a, z = m.slot(r, r + 1, 0, m.n_cols)
            edge = m.brackets.get_left()[0] - 0.25 if side < 0 else m.brackets.get_right()[0] + 0.25
            out.add(label.move_to(np.array([edge, (a[1] + z[1]) / 2, 0.0])))
        return out

    def letters(self, m: TensorMatrix, tokens: list[int], side: int = -1) -> VGroup:
        """Return token letters beside each row of a matrix (left when side < 0)."""
        return self.beside_rows(m, [style.note(f"*{LETTERS[t]}*", color=style.head_color(t)) for t in tokens], side)

    def place_matrices(self) -> None:
        """Place inputs (left), the encoding P (middle) and outputs (right), two rows: in order, shuffled."""
        perm, order = self.perm, list(range(self.L))
        self.X, self.Xp = self.tokens("X", order), self.tokens("X_perm", perm)
        self.P = self.matrix("P", color=style.MUTED, cell=CELL)
        self.Y, self.Yp = self.tokens("Y", order), self.tokens("Y_perm", perm)
        self.Z, self.Zp = self.tokens("Y_pe", order), self.tokens("Y_pe_perm", perm)
        self.Xp.next_to(self.X, DOWN, buff=1.1)
        self.P.next_to(VGroup(self.X, self.Xp), RIGHT, buff=0.9)
        self.Y.next_to(self.P, RIGHT, buff=1.25).align_to(self.X, UP)
        self.Yp.next_to(self.P, RIGHT, buff=1.25).align_to(self.Xp, UP)
        self.Z.move_to(self.Y)
        self.Zp.move_to(self.Yp)
        self.X_letters, self.Xp_letters = self.letters(self.X, order), self.letters(self.Xp, perm)
        self.Y_letters, self.Yp_letters = self.letters(self.Y, order, 1), self.letters(self.Yp, perm, 1)
        names = {"X_name": ("X", self.X), "Xp_name": ("X_pi", self.Xp), "Y_name": ("\"Attn\"(X)", self.Y),
                 "Yp_name": ("\"Attn\"(X_pi)", self.Yp), "Z_name": ("\"Attn\"(X + P)", self.Z),
                 "Zp_name": ("\"Attn\"(X_pi + P)", self.Zp)}
        for attr, (text, m) in names.items():
            setattr(self, attr, m.label(self.math(text, style.LABEL_SIZE)))
        MAIN.place(VGroup(self.X, self.Xp, self.P, self.Y, self.Yp, self.Z, self.Zp, self.X_letters,
                          self.Xp_letters, self.Y_letters, self.Yp_letters,
                          *(getattr(self, attr) for attr in names)))

    def arrow(self, start: TensorMatrix | VGroup, end: TensorMatrix) -> VGroup:
        """Return an arrow labelled Attn from one matrix to another."""
        arr = Arrow(start.get_right(), end.brackets.get_left(), buff=0.15, color=style.MUTED, stroke_width=3)
        tag = style.note("Attn", size=style.NOTE_SIZE - 2, color=style.MUTED).next_to(arr, UP, buff=0.05)
        return VGroup(arr, tag)

    # -- beats --------------------------------------------------------------------------------
    def attention(self) -> None:
        self.beat("Self-attention on a few tokens")
        self.place_matrices()
        b, X, Y = self.b, self.X, self.Y
        formula = style.note('$"Attn"(X) = "softmax"((X W^Q)(X W^K)^T \\/ sqrt(D)) X W^V$ · one head, fixed weights',
                             color=style.MUTED)
        FOOT.place(formula)
        self.say(
            "{L} tokens, each with a letter and a colour, are the rows of X. One head of self-attention with fixed weights gives each token an output row.",
            L=b.dim("X", 0),
        )
        self.play(FadeIn(X), FadeIn(self.X_letters), FadeIn(self.X_name), FadeIn(formula), run_time=0.8)
        self.top_arrow = self.arrow(X, Y)
        self.play(Create(self.top_arrow[0]), FadeIn(self.top_arrow[1]), run_time=0.5)
        self.play(Create(Y.brackets), LaggedStart(*(FadeIn(Y.row(r)) for r in range(self.L)), lag_ratio=0.2),
                  FadeIn(self.Y_letters), FadeIn(self.Y_name), run_time=1.0)
        self.wait(4)
        self.formula = formula

    def shuffle(self) -> None:
        self.beat("Shuffle the tokens")
        b, X, Xp, Y, Yp = self.b, self.X, self.Xp, self.Y, self.Yp
        self.say("Shuffle the rows: X_pi holds the same tokens in another order.")
        self.play(FadeOut(self.formula), Create(Xp.brackets), FadeIn(self.Xp_name), run_time=0.4)
        self.play(*(TransformFromCopy(X.row(t), Xp.row(i)) for i, t in enumerate(self.perm)),
                  *(TransformFromCopy(self.X_letters[t], self.Xp_letters[i]) for i, t in enumerate(self.perm)),
                  run_time=1.3)
        self.wait(1)
        self.bottom_arrow = self.arrow(Xp, Yp)
        self.say("Attention on the shuffled rows returns the same output rows, moved the same way.")
        self.play(Create(self.bottom_arrow[0]), FadeIn(self.bottom_arrow[1]), run_time=0.4)
        self.play(Create(Yp.brackets), FadeIn(self.Yp_name),
                  *(TransformFromCopy(Y.row(t), Yp.row(i)) for i, t in enumerate(self.perm)),
                  *(TransformFromCopy(self.Y_letters[t], self.Yp_letters[i]) for i, t in enumerate(self.perm)),
                  run_time=1.3)
        self.wait(1.5)
        exact = float(b.tensors["diff_plain"]) == 0.0
        diff = self.prose("largest difference: max $|\"Attn\"(X_pi) - \"Attn\"(X)_pi|$ = {d}", style.LABEL_SIZE,
                          d=b.value("diff_plain", (), 2, "g"))
        verdict = style.note(
            "exactly zero: attention treats its input as a set" if exact else
            "float32 rounding only (sums taken in another order): attention treats its input as a set",
            color=style.MUTED, size=style.NOTE_SIZE - 2,
        )
        result_text = FOOT.place(VGroup(diff, verdict).arrange(DOWN, buff=0.12))
        if exact:
            self.say("torch: the largest difference is exactly {d}. Self-attention cannot tell one order from another.",
                     d=b.value("diff_plain", (), 2, "g"))
        else:
            self.say(
                "torch: the largest difference is {d}, float32 rounding from summing in another order. Self-attention cannot tell one order from another.",
                d=b.value("diff_plain", (), 2, "g"),
            )
        self.play(FadeIn(result_text, shift=UP * 0.2), run_time=0.6)
        self.wait(4.5)
        self.clear_stage()

    def encoding(self) -> None:
        self.beat("The sinusoidal encoding")
        b = self.b
        heat = b.heatmap("PE", "scale", height=4.6)
        top = style.note("dimension →", size=style.NOTE_SIZE - 2, color=style.MUTED).next_to(heat, UP, buff=0.12)
        side = style.note("position →", size=style.NOTE_SIZE - 2, color=style.MUTED).rotate(-PI / 2)
        side.next_to(heat, LEFT, buff=0.15)
        first = self.prose("{i}", style.NOTE_SIZE - 2, style.MUTED, i=b.index("PE", 0, 0, base=0))
        last = self.prose("{i}", style.NOTE_SIZE - 2, style.MUTED,
                          i=b.index("PE", 0, self.result.config.positions - 1, base=0))
        first.next_to(heat, LEFT, buff=0.08).align_to(heat, UP)
        last.next_to(heat, LEFT, buff=0.08).align_to(heat, DOWN)
        info = VGroup(
            self.prose("$\"PE\"$: {P} positions × {D} dims", style.LABEL_SIZE, P=b.dim("PE", 0), D=b.dim("PE", 1)),
            style.note("row $p$ is added to the token at position $p$", color=style.MUTED),
            style.note("pair $i$ of dims: $(sin(p omega_i), cos(p omega_i))$"),
            self.prose("$omega_i = {base}^(-i \\/ {half})$", style.LABEL_SIZE, base=b.value("base", (), 0),
                       half=b.dim("omega", 0)),
        )
        bar = colour_legend(b, "ramp", "scale", decimals=0, font_size=style.NOTE_SIZE - 2)
        heatmap_with_notes(Group(heat, top, side, first, last), info, bar)
        self.say(
            "The encoding at a real size: {P} positions by {D} dims, each pixel a value between -{s} and {s}.",
            P=b.dim("PE", 0), D=b.dim("PE", 1), s=b.value("scale", (), 0),
        )
        self.play(FadeIn(heat), FadeIn(top), FadeIn(side), FadeIn(first), FadeIn(last), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(m) for m in [*info, bar]), lag_ratio=0.3), run_time=1.5)
        self.wait(1.5)
        self.say(
            "Each pair of dims is a sine and a cosine of the position. The first pair turns fastest, with omega = {w}; later pairs turn ever slower.",
            w=b.value("omega", (0,), 0),
        )
        self.wait(6.5)
        self.clear_stage()

    def with_positions(self) -> None:
        self.beat("Add positions: the symmetry breaks")
        b, X, Xp, P, Z, Zp = self.b, self.X, self.Xp, self.P, self.Z, self.Zp
        plus = VGroup(*(style.note("$+$", size=style.LABEL_SIZE).move_to(
            np.array([(m.brackets.get_right()[0] + P.brackets.get_left()[0]) / 2, m.get_y(), 0.0])) for m in (X, Xp)))
        P_name = P.label(self.math("P", style.LABEL_SIZE, style.MUTED))
        rows = self.beside_rows(P, [self.prose("{p}", style.NOTE_SIZE - 2, style.MUTED, p=b.index("P", 0, r, base=0))
                                    for r in range(self.L)])
        pos = style.note("$p$", size=style.NOTE_SIZE - 2, color=style.MUTED).next_to(rows, UP, buff=0.12)
        self.say(
            "Add P, the same formula at D = {D}. Row p of P goes to whichever token sits at position p: tokens move, positions stay.",
            D=b.dim("P", 1),
        )
        self.play(FadeIn(VGroup(X, self.X_letters, self.X_name, Xp, self.Xp_letters, self.Xp_name)), run_time=0.6)
        self.play(FadeIn(P), FadeIn(P_name), FadeIn(rows), FadeIn(pos), FadeIn(plus), run_time=0.8)
        arrows = VGroup(self.arrow(P, Z), self.arrow(P, Zp))
        self.play(Create(arrows[0][0]), Create(arrows[1][0]), FadeIn(arrows[0][1]), FadeIn(arrows[1][1]), run_time=0.5)
        self.play(FadeIn(Z), FadeIn(Zp), FadeIn(self.Y_letters), FadeIn(self.Yp_letters), FadeIn(self.Z_name),
                  FadeIn(self.Zp_name), run_time=0.9)
        self.wait(2.5)
        i = int(b.tensors["diff_pe_row"])
        t = self.perm[i]
        boxes = VGroup(Zp.box(rows=(i, i + 1), color=DIFFERS), Z.box(rows=(t, t + 1), color=DIFFERS))
        diff = self.prose("largest difference: max $|\"Attn\"(X_pi + P) - \"Attn\"(X + P)_pi|$ = {d}", style.LABEL_SIZE,
                          d=b.value("diff_pe", (), 2))
        verdict = style.note("the shuffled sentence now gives different outputs: order is visible",
                             color=DIFFERS, size=style.NOTE_SIZE - 2)
        text = FOOT.place(VGroup(diff, verdict).arrange(DOWN, buff=0.12))
        self.say(
            "So a moved token gets another position's code, and its output row changes. The largest difference, boxed, is {d}: far above rounding.",
            d=b.value("diff_pe", (), 2),
        )
        self.play(Create(boxes), FadeIn(text, shift=UP * 0.2), run_time=0.8)
        self.wait(5.5)
        self.clear_stage()

    def rotation(self) -> None:
        self.beat("A shift by k is a rotation")
        b = self.b
        heat = b.heatmap("M", "scale", height=3.9)
        title = self.prose("$M_k$, $k$ = {k}: {D} × {D}", style.LABEL_SIZE, k=b.value("k", (), 0),
                           D=b.dim("M", 0)).next_to(heat, UP, buff=0.15)
        general = style.note("$R_i = mat(cos k omega_i, sin k omega_i; -sin k omega_i, cos k omega_i)$",
                             size=style.LABEL_SIZE + 4)
        blocks = VGroup()
        for i in range(SHOWN_BLOCKS):
            m = self.matrix("M_blocks", (i,), color=style.head_color(i))
            lab = self.prose("$i$ = {i}, $k omega_i$ = {a}", style.NOTE_SIZE - 2, style.head_color(i),
                             i=b.index("M_blocks", 0, i, base=0), a=b.value("angles", (i,)))
            blocks.add(VGroup(m, lab.next_to(m, DOWN, buff=0.15)))
        blocks.arrange(RIGHT, buff=0.45)
        note = style.note("each block turns one (sin, cos) pair; $p$ appears nowhere", color=style.MUTED)
        left, right = style.STAGE.columns(1.0, 1.9, gap=0.6)
        left.place(Group(heat, title))
        right.place(VGroup(general, blocks, note).arrange(DOWN, buff=0.5))
        side = self.result.M.shape[0]
        corner = pixel_box(heat, (side, side), (0, 2 * SHOWN_BLOCKS), (0, 2 * SHOWN_BLOCKS), width=2)
        self.say(
            "Shifting k = {k} positions ahead turns each (sin, cos) pair by the angle k omega_i. So M_k has {n} rotations of size two on its diagonal, zeros elsewhere.",
            k=b.value("k", (), 0), n=b.dim("M_blocks", 0),
        )
        self.play(FadeIn(heat), FadeIn(title), FadeIn(general), run_time=0.8)
        self.play(Create(corner), LaggedStart(*(FadeIn(x) for x in blocks), lag_ratio=0.3), run_time=1.5)
        self.wait(4.5)
        self.say("The blocks depend on k only, never on p.")
        self.play(FadeIn(note), run_time=0.5)
        self.wait(2.5)
        self.clear_stage()

    def relative(self) -> None:
        self.beat("Relative positions: one matrix for every p")
        b = self.b
        half = int(self.result.omega.shape[0])
        pairs = [0, 1, 2, half - 1]
        top, body, foot = style.STAGE.rows(0.5, 4.4, 1.0)
        lines = body.columns(1.0, 2.6, 1.0)[1].rows(*[1.0] * (2 * len(pairs) + 2), gap=0.0)  # heads, rows, ⋮
        cells = [line.columns(1.0, 1.0, 1.0, 1.0) for line in lines]
        heads = VGroup(*(cell.place(style.note(t, size=style.NOTE_SIZE, color=style.MUTED)) for cell, t in
                         zip(cells[0], ("dim", '$"PE"(p)$', '$M_k "PE"(p)$', '$"PE"(p + k)$'))))
        columns: list[VGroup] = [VGroup() for _ in cells[0]]
        dots = VGroup()
        line = 1
        for n, i in enumerate(pairs):
            if n == len(pairs) - 1:
                dots.add(lines[line].place(style.note("⋮", color=style.MUTED)))
                line += 1
            for j in (2 * i, 2 * i + 1):
                color = style.head_color(i) if i < 3 else style.TEXT
                shown = [self.prose("{j}", style.NUMBER_SIZE, style.MUTED, j=b.index("PE", 1, j, base=0)),
                         b.number(b.value("pe_p", (j,), 3), style.NUMBER_SIZE, color=color),
                         b.number(b.value("rotated", (j,), 3), style.NUMBER_SIZE, color=color),
                         b.number(b.value("pe_pk", (j,), 3), style.NUMBER_SIZE, color=color)]
                for col, cell, mob in zip(columns, cells[line], shown):
                    col.add(cell.place(mob))
                line += 1
        where = top.place(self.prose("$p$ = {p}, $k$ = {k}", style.LABEL_SIZE, p=b.value("p", (), 0),
                                     k=b.value("k", (), 0)))
        err = self.prose("over every position $p$ and dim: max $|\"PE\"(p + k) - M_k \"PE\"(p)|$ = {e}", style.LABEL_SIZE,
                         e=b.value("rel_err", (), 2, "g"))
        note = style.note("float32 rounding: the same linear map for every position", color=style.MUTED,
                          size=style.NOTE_SIZE - 2)
        bottom = foot.place(VGroup(err, note).arrange(DOWN, buff=0.12))
        self.say(
            "Take p = {p}. M_k times PE(p) gives PE(p + k), the encoding of position {q}.",
            p=b.value("p", (), 0), q=b.value("p_k", (), 0),
        )
        self.play(FadeIn(where), FadeIn(heads), FadeIn(columns[0]), FadeIn(columns[1]), FadeIn(dots), run_time=0.8)
        ghost = columns[1].copy()  # slides over and fades: different digits cannot morph into each other
        self.play(ghost.animate.move_to(columns[2]).set_opacity(0), FadeIn(columns[2]), run_time=1.0)
        self.remove(ghost)
        self.play(FadeIn(columns[3], shift=LEFT * 0.2), run_time=0.6)
        self.wait(2)
        self.say(
            "Over every position the largest gap is {e}: float32 rounding. One fixed linear map moves any position by k, which lets attention read relative offsets.",
            e=b.value("rel_err", (), 2, "g"),
        )
        self.play(FadeIn(bottom, shift=UP * 0.2), run_time=0.6)
        self.wait(6)
        self.clear_stage()
