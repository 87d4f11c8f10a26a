"""Lecture `split`: cut the projected Q into heads, never the embeddings; then the full pipeline.

W^q, W^k, W^v and the embeddings come from a small model really trained (tensors/trained.py) to
name the word before (head 1) and the word after (head 2); W^o is a random draw, and the lecture
says so. Heads are told apart by number and place (style.INDEX greys), never by a role colour; the
wrong way and every gap are drawn in style.DIFFERENCE.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    LaggedStart,
    ReplacementTransform,
    Transform,
    VGroup,
)

from scenes.kit import style
from scenes.kit.layout import exempt
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, label_columns, label_rows
from tensors.split import torch_mha

CELL = (0.85, 0.4)  # numbers up to two digits before the point at font size 24
NARROW = (0.7, 0.4)  # the wrong way's products, two heads side by side
WRONG = style.DIFFERENCE  # the wrong way is an error: the course's one colour for differences and errors


def shown(value: object, decimals: int = 2) -> float:
    """Return a value as the screen shows it, rounded to its decimals."""
    return round(float(value), decimals)  # type: ignore[arg-type]


def eq_sign(exact: bool) -> str:
    """Return '=' when the shown digits add up, else '≈' (the sum is of the unrounded values)."""
    return "$=$" if exact else "$approx$"


def detour(dx: float):  # type: ignore[no-untyped-def]
    """Return a path function: step dx to the right, move (and morph) to the target there, step back left.

    A row copied straight down a matrix would pass over the rows below it; this path goes round them."""
    def path(start: np.ndarray, end: np.ndarray, alpha: float) -> np.ndarray:
        m = min(1.0, max(0.0, 3 * alpha - 1))
        off = dx * min(1.0, 3 * alpha, 3 * (1 - alpha))
        return start + m * (end - start) + np.array([off, 0.0, 0.0])
    return path


class SplitLecture(LectureScene):
    """Do not split the embeddings into heads: project all of E, then split Q; then the four steps."""

    roles = {"tok": "input", "P": "position", "K_heads_T": "key", "dots": "score", "scores": "score",
             "E": "input", "E_chunks": "input", "W_q": "weight", "W_k": "weight", "W_v": "weight", "W_o": "weight",
             "blocks": "weight", "Q": "query", "Q_heads": "query", "Q_wrong": "query", "parts": "query",
             "K": "key", "K_heads": "key", "V": "value", "V_heads": "value", "weights": "attention",
             "O_heads": "output", "concat": "output", "Y": "output", "Y_torch": "output", "mix": "output"}
    question = "Cut the embeddings into heads, or the projections?"
    question_caption = ("A common mix-up: are the embeddings cut into heads before or after the projection?"
                        " We try both.")
    recap_lines = (
        "Cutting $E$ first gives each head only $D \\/ H$ dimensions of each word.",
        "Project all of $E$, then cut $Q$, $K$, $V$ into heads: every head reads every dimension.",
        "Trained heads attend differently: the word before, the word after.",
        "Concatenate, multiply by $W^o$: each output sums a part from every head.",
        "The four steps equal `nn.MultiheadAttention` with the same weights.",
    )
    recap_caption = ("Project first, split second: every head sees the whole embedding, through its own slice of"
                     " the weights.")
    beats = ("intro", "sentence", "wrong_way", "right_way", "compare", "why", "shares", "step_project", "step_split",
             "step_scores", "step_attend", "step_concat", "against_torch", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Read the sizes once: H heads of d columns each, L words."""
        self.H, self.d = int(self.result.config.heads), int(self.result.config.d_head)
        self.L = int(self.result.config.seq_len)

    def band(self, h: int) -> tuple[int, int]:
        """Return the half-open column range of head h."""
        return h * self.d, (h + 1) * self.d

    def mat(self, name: str, prefix: tuple[int, ...] = ()) -> TensorMatrix:
        """Return a matrix in its role colour with the lecture's cell size."""
        return self.matrix(name, prefix, cell=CELL)

    def head_math(self, template: str, h: int, size: float = style.NOTE_SIZE) -> VGroup:
        """Return a maths label naming head h (shown 1-based), in its index grey."""
        return self.math(template, size, style.index_colour(h), h=self.b.index("Q_heads", 1, h))

    def word(self, i: int, color: str = style.MUTED) -> VGroup:
        """Return word i of the sentence (a text captured at build time)."""
        return self.prose("{w}", style.NOTE_SIZE, color, w=self.b.string(f"word{i}"))

    def grid_lines(self, W: TensorMatrix) -> VGroup:
        """Return lines cutting a square matrix into its H x H blocks of d x d."""
        return W.block_lines(self.d)

    def band_boxes(self, m: TensorMatrix) -> VGroup:
        """Return one grey box per head around its column band."""
        return VGroup(*(m.box(cols=self.band(h), color=style.index_colour(h)) for h in range(self.H)))

    # -- the misconception --------------------------------------------------------------------
    def intro(self) -> None:
        """The question, with both answers."""
        ways = VGroup(style.note("✗  cut $E$ into $H$ pieces, then project each piece", style.LABEL_SIZE, WRONG),
                      style.note("✓  project all of $E$ with $W^q$, then cut $Q$ into $H$ heads", style.LABEL_SIZE))
        ways.arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        self.ask(self.question_caption, self.question, ways, chapter="The misconception")

    def setup_inputs(self) -> None:
        """Lay out E (rows named by word) and W^q (cut into blocks) in the top band of the stage."""
        self.E = self.mat("E", (0,))
        self.W = self.mat("W_q")
        VGroup(self.E, self.W).arrange(RIGHT, buff=2.2, aligned_edge=UP)
        self.W_lines = self.grid_lines(self.W)
        self.words = label_rows(self.E, [self.word(i) for i in range(self.L)], buff=0.25)
        self.E_name = VGroup(self.math("E", style.LABEL_SIZE, style.ROLE["E"]), self.shape("E", "B, L, D"))
        self.W_name = VGroup(self.math("W^q", style.LABEL_SIZE, style.ROLE["W"]), self.shape("W_q", "D, D"),
                             style.note("trained", color=style.MUTED))
        for name, m in ((self.E_name, self.E), (self.W_name, self.W)):
            name.arrange(RIGHT, buff=0.2).next_to(m, DOWN, buff=0.2)
            name.set_z_index(2)  # numbers carried down to the products pass behind the names, never over them
        self.inputs = VGroup(self.E, self.W, self.W_lines, self.words, self.E_name, self.W_name)
        self.inputs.move_to([0, style.STAGE.top - 0.4 - self.inputs.height / 2, 0])  # room for chunk names above E

    def sentence(self) -> None:
        self.beat("A sentence and trained weights")
        b = self.b
        self.setup_inputs()
        words = ", ".join(f"{{w{i}}}" for i in range(self.L))
        fields = {f"w{i}": b.string(f"word{i}") for i in range(self.L)}
        tok, P = self.mat("tok", (0,)), self.mat("P", (0,))
        plus = style.note("$+$", size=style.LABEL_SIZE)
        parts = VGroup(tok, plus, P).arrange(RIGHT, buff=0.4)
        tok_words = label_rows(tok, [self.word(i) for i in range(self.L)], buff=0.25)
        names = VGroup(style.note("each word's row of the trained table", color=style.ROLE["input"]),
                       style.note("its place's position vector $P$", color=style.ROLE["position"]))
        for name, m in zip(names, (tok, P)):  # below their matrices: the sums fly up, never through a name
            m.label(name, side=DOWN)
        below = style.Region(style.STAGE.left, style.STAGE.right, self.inputs.get_bottom()[1] - 0.4, style.STAGE.bottom)
        below.place(VGroup(parts, tok_words, names))
        self.say(f"E holds the words {words}: each word's trained embedding plus its position's vector, {{D}}"
                 " numbers per word.", D=b.dim("E", 2), **fields)
        self.play(FadeIn(tok_words), FadeIn(tok), FadeIn(names[0]), run_time=0.6)
        self.play(FadeIn(plus), FadeIn(P), FadeIn(names[1]), run_time=0.6)
        self.play(FadeIn(self.words), Create(self.E.brackets), run_time=0.4)
        for r in range(self.L):  # one word at a time; its used rows leave, so the next row's path is clear
            self.combine([(VGroup(tok.entry(r, c), P.entry(r, c)), self.E.entry(r, c)) for c in range(self.E.n_cols)],
                         lag_ratio=0.1, run_time=0.8)
            self.gone(tok.row(r), P.row(r), tok_words[r], run_time=0.25)
        self.play(FadeIn(self.E_name), run_time=0.3)
        self.settle(self.E)
        self.hold_caption()
        self.gone(tok.brackets, plus, P.brackets, names)
        training = VGroup(
            style.note("a small model, trained to name the word before and the word after", color=style.MUTED),
            self.prose("training loss {a} → {z}, held-out accuracy {acc}", color=style.MUTED,
                       a=b.value("loss_ends", (0,), 2, "g"), z=b.value("loss_ends", (1,), 2, "g"),
                       acc=b.value("accuracy", ())),
        ).arrange(DOWN, buff=0.15)
        others = VGroup()  # W^k and W^v, trained with W^q: shown once here, used in step one
        for n in "kv":
            m = self.matrix(f"W_{n}", cell=NARROW)
            nm = VGroup(self.math(f"W^{n}", style.LABEL_SIZE, style.ROLE["W"]), self.shape(f"W_{n}", "D, D"))
            nm.arrange(RIGHT, buff=0.2).next_to(m, DOWN, buff=0.15)
            others.add(VGroup(m, nm))
        others.arrange(RIGHT, buff=1.2)
        low = VGroup(training, others).arrange(DOWN, buff=0.35)
        below.place(low)
        self.training = training
        self.say("W^q, W^k, W^v and E come from a small model trained to name the word before and the word after:"
                 " held-out accuracy {acc}.", acc=b.value("accuracy", ()))
        self.play(Create(self.W.brackets), FadeIn(self.W.entries, lag_ratio=0.05), FadeIn(self.W_name),
                  FadeIn(training, shift=UP * 0.2), run_time=1.0)
        self.settle(self.W)
        self.play(FadeIn(others, lag_ratio=0.3), run_time=0.8)
        self.hold_caption()
        self.play(FadeOut(training), FadeOut(others), run_time=0.4)

    def wrong_way(self) -> None:
        self.beat("The wrong way: cut E first")
        b, E, W = self.b, self.E, self.W
        chunk_boxes = self.band_boxes(E)
        chunk_names = VGroup(*(self.head_math("E_{h}", h).next_to(chunk_boxes[h], UP, buff=0.08)
                               for h in range(self.H)))
        self.say("Wrong way: cut E into {H} chunks of {d} columns and project each alone.",
                 H=b.dim("E_chunks", 1), d=b.dim("E_chunks", 3))
        # E's and W^q's names sit where the chunks and blocks fly down: they step out until the next beat
        self.play(Create(self.W_lines), Create(chunk_boxes), FadeIn(chunk_names), FadeOut(self.E_name),
                  FadeOut(self.W_name), run_time=0.8)
        self.hold_caption()
        diag = VGroup(*(W.box(rows=self.band(h), cols=self.band(h), color=WRONG) for h in range(self.H)))
        off = VGroup(*(W.entry(r, c) for r in range(W.n_rows) for c in range(W.n_cols) if r // self.d != c // self.d))
        exempt(off, "contrast", "the blocks the wrong way never reads are dimmed on purpose: that is the point")
        # the products, one per head: E_h times B_(h,h) gives the wrong way's Q_h
        rows = VGroup()
        self.chunks, self.diag_blocks, self.wrong_q = [], [], []
        for h in range(self.H):
            e = self.matrix("E_chunks", (0, h), cell=NARROW)
            blk = self.matrix("blocks", (h, h), cell=NARROW)
            q = self.matrix("Q_wrong", (0, h), cell=NARROW)
            times, eq = style.note("$times$"), style.note("$=$")
            row = VGroup(e, times, blk, eq, q).arrange(RIGHT, buff=0.15)
            names = VGroup(self.head_math("E_{h}", h).next_to(e, UP, buff=0.1),
                           self.head_math("B_({h},{h})", h).next_to(blk, UP, buff=0.1),
                           self.math("tilde(Q)_{h}", color=WRONG, h=b.index("Q_heads", 1, h)).next_to(q, UP, buff=0.1))
            rows.add(VGroup(row, names))
            self.chunks.append(e)
            self.diag_blocks.append(blk)
            self.wrong_q.append(q)
        below = style.Region(style.STAGE.left, style.STAGE.right, self.inputs.get_bottom()[1] - 0.35, style.STAGE.bottom)
        rows.arrange(RIGHT, buff=0.5)
        if rows.width > below.width:
            rows.arrange(DOWN, buff=0.3)
        below.place(rows)
        self.say("Each chunk meets only its own {d} by {d} diagonal block of W^q: each head sees {d} of the {D}"
                 " dimensions, whatever it learns.", d=b.dim("E_chunks", 3), D=b.dim("E", 2))
        self.play(Create(diag), off.animate.set_opacity(0.3), run_time=0.9)
        for h in range(self.H):
            row, names = rows[h]
            e, times, blk, eq, q = row
            self.play(self.carry(E.column_band(*self.band(h)), e.entries),
                      self.carry(VGroup(*(W.entry(r, c) for r in range(*self.band(h)) for c in range(*self.band(h)))),
                                        blk.entries),
                      Create(e.brackets), Create(blk.brackets), FadeIn(times), FadeIn(names[:2]), run_time=1.2)
            self.play(FadeIn(eq), Create(q.brackets), FadeIn(names[2]),
                      LaggedStart(*(FadeIn(n, shift=RIGHT * 0.2) for n in q.entries), lag_ratio=0.1), run_time=0.9)
            self.settle(e, blk, q)
        self.hold_caption()
        self.play(FadeOut(rows), FadeOut(diag), FadeOut(chunk_boxes), FadeOut(chunk_names),
                  off.animate.set_opacity(1), run_time=0.6)

    def right_way(self) -> None:
        self.beat("The right way: project, then cut")
        b, E, W = self.b, self.E, self.W
        Q = self.mat("Q", (0,))
        Q_name = VGroup(self.math("Q = E W^q", style.LABEL_SIZE, style.ROLE["Q"]), self.shape("Q", "B, L, D"))
        Q_name.arrange(RIGHT, buff=0.2)
        below = style.Region(style.STAGE.left, style.STAGE.right, self.inputs.get_bottom()[1] - 0.4, style.STAGE.bottom)
        q_words = label_rows(Q, [self.word(i) for i in range(self.L)], buff=0.25)
        group = VGroup(Q, q_words, Q_name.next_to(Q, DOWN, buff=0.6))
        below.place(group, align=UP)
        self.say("Right way: multiply all of E by all of W^q first. Each word's row of Q reads all {D} of its"
                 " numbers.", D=b.dim("E", 2))
        self.play(Create(Q.brackets), FadeIn(Q_name), FadeIn(q_words), run_time=0.6)
        w_box = W.box()
        row_box = E.box(rows=(0, 1))
        self.play(Create(w_box), Create(row_box), run_time=0.5)
        for i in range(self.L):
            if i:
                self.play(Transform(row_box, E.box(rows=(i, i + 1))), run_time=0.3)
            self.play(LaggedStart(*(self.carry(E.row(i), Q.entry(i, c)) for c in range(Q.n_cols)),
                                  lag_ratio=0.15), run_time=0.9)
        self.play(FadeOut(w_box), FadeOut(row_box), run_time=0.3)
        self.settle(Q)
        self.hold_caption()
        self.say("Then cut Q into {H} bands of {d} columns; band h is head h's queries.",
                 H=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3))
        q_boxes = self.band_boxes(Q)
        template = '"head" {h}": " Q_{h}' if self.d > 1 else "Q_{h}"  # a one-column band has room for Q_h only
        names = VGroup(*(self.head_math(template, h).next_to(q_boxes[h], DOWN, buff=0.1)
                         for h in range(self.H)))
        self.play(Create(q_boxes), FadeIn(names), run_time=0.9)
        self.hold_caption()

    def compare(self) -> None:
        self.beat("Two different answers")
        self.clear_stage()
        b = self.b
        wrong = VGroup(*(self.mat("Q_wrong", (0, h)) for h in range(self.H))).arrange(RIGHT, buff=0.9)
        right = VGroup(*(self.mat("Q_heads", (0, h)) for h in range(self.H))).arrange(RIGHT, buff=0.9)
        VGroup(wrong, right).arrange(DOWN, buff=0.8)
        heads = VGroup(*(self.head_math('"head" {h}', h).next_to(m, UP, buff=0.12) for h, m in enumerate(wrong)))
        w_label = style.note("✗ wrong: $E_h B_(h,h)$", color=WRONG).next_to(wrong, LEFT, buff=0.6)
        r_label = style.note("✓ right: $Q_h$, cut from $E W^q$").next_to(right, LEFT, buff=0.6)
        r_label.align_to(w_label, RIGHT)
        main, foot = style.STAGE.rows(4.6, 1.0)
        main.place(VGroup(wrong, right, heads, w_label, r_label))
        self.say("Same shapes, different numbers.")
        self.play(FadeIn(wrong), FadeIn(heads), FadeIn(w_label), run_time=0.7)
        self.play(FadeIn(right), FadeIn(r_label), run_time=0.7)
        self.hold_caption()
        h, i, j = (int(x) for x in self.result.worst)
        marks = VGroup(wrong[h].box(rows=(i, i + 1), cols=(j, j + 1), color=WRONG),
                       right[h].box(rows=(i, i + 1), cols=(j, j + 1), color=WRONG))
        fields = dict(h=b.index("Q_heads", 1, h), i=b.index("Q_heads", 2, i), j=b.index("Q_heads", 3, j),
                      r=b.value("Q_heads", (0, h, i, j)), w=b.value("Q_wrong", (0, h, i, j)), g=b.value("gap_max", ()))
        t = self.result
        gap_ok = abs(abs(shown(t.Q_heads[0, h, i, j]) - shown(t.Q_wrong[0, h, i, j])) - shown(t.gap_max)) < 1e-6
        verdict = self.prose("largest gap: head {h}, row {i}, column {j}: right {r}, wrong {w}, gap "
                             + ("{g}" if gap_ok else "≈ {g} (unrounded values)"),
                             style.LABEL_SIZE, WRONG, **fields)
        foot.place(verdict)
        self.say("Largest gap: head {h}, row {i}, column {j}: {r} right, {w} wrong, a difference of {g}.", **fields)
        self.play(Create(marks), FadeIn(verdict, shift=UP * 0.2), run_time=0.8)
        self.hold_caption()

    def why(self) -> None:
        self.beat("Why: every head sees every dimension")
        self.clear_stage()
        b = self.b
        h = int(self.result.worst[0])
        self.setup_inputs()
        W = self.W
        self.play(FadeIn(self.inputs), run_time=0.6)
        rows = VGroup(*(self.head_math("E_{h}", k).next_to(W.brackets, LEFT, buff=0.15)
                        .set_y(W.box(rows=self.band(k)).get_y()) for k in range(self.H)))
        band = W.box(cols=self.band(h), color=style.index_colour(h), buff=0.11)
        own = DashedVMobject(W.box(rows=self.band(h), cols=self.band(h), color=WRONG, buff=0.05), num_dashes=28)
        self.legend = VGroup(
            self.prose("▮ head {h}'s band of $W^q$ has all {D} rows: it reads every dimension of $E$",
                       style.LABEL_SIZE, style.index_colour(h), h=b.index("Q_heads", 1, h), D=b.dim("W_q", 0)),
            self.prose("┆ the wrong way keeps only the dashed block: {d} of those {D} rows",
                       style.LABEL_SIZE, WRONG, d=b.dim("blocks", 2), D=b.dim("W_q", 0)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        style.Region(style.STAGE.left, style.STAGE.right, self.inputs.get_bottom()[1] - 0.3,
                     style.STAGE.bottom).place(self.legend)  # in the middle of the free lower half
        self.say("Each row of W^q weighs one dimension of E. Head {h}'s band spans all {D}; "
                 "the wrong way keeps the dashed block only.", h=b.index("Q_heads", 1, h), D=b.dim("W_q", 0))
        self.play(FadeIn(rows), Create(band), FadeIn(self.legend[0]), run_time=0.8)
        self.play(Create(own), FadeIn(self.legend[1]), run_time=0.8)
        self.hold_caption()
        self.why_marks = VGroup(band, own, rows)

    def shares(self) -> None:
        self.beat("One entry, chunk by chunk")
        b = self.b
        h, i, j = (int(x) for x in self.result.worst)
        self.play(FadeOut(self.legend), FadeOut(self.why_marks), FadeOut(self.E_name), FadeOut(self.W_name),
                  run_time=0.4)  # the names would sit in the paths of the entries flying down
        chunk_boxes = VGroup(*(self.E.box(rows=(i, i + 1), cols=self.band(k), color=style.index_colour(k))
                               for k in range(self.H)))
        col_parts = VGroup(*(self.W.box(rows=self.band(k), cols=(h * self.d + j, h * self.d + j + 1),
                                        color=style.index_colour(k), buff=0.06) for k in range(self.H)))
        t = self.result
        shares = VGroup(*(self.b.number(b.value("parts", (0, k, h, i, j)), style.NUMBER_SIZE,
                                        color=style.ROLE["query"]) for k in range(self.H)))
        terms, lines = [], VGroup()
        for k in range(self.H):  # chunk k's share written out: its d products, then their sum
            cols = range(*self.band(k))
            fe = [self.factor("E", (0, i, c)) for c in cols]
            fw = [self.factor("W_q", (c, h * self.d + j)) for c in cols]
            items: list = [self.math("E_{k} B_({k},{h}):", style.NOTE_SIZE, style.index_colour(k),
                                     k=b.index("parts", 1, k), h=b.index("parts", 2, h))]
            signs = [items[0]]
            for n in range(len(fe)):
                signs += [style.note("$+$")] if n else []
                items += signs[-1:] if n else []
                items += [VGroup(fe[n], fw[n]).arrange(RIGHT, buff=0.06)]
            ok = abs(round(sum(shown(t.E[0, i, c]) * shown(t.W_q[c, h * self.d + j]) for c in cols), 2)
                     - shown(t.parts[0, k, h, i, j])) < 1e-6
            signs.append(style.note(eq_sign(ok)))
            items += [signs[-1], shares[k]]
            lines.add(VGroup(*items).arrange(RIGHT, buff=0.15))
            terms.append((fe, fw, signs))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        sums = VGroup(*(self.b.number(b.value("parts", (0, k, h, i, j)), style.NUMBER_SIZE,
                                      color=style.ROLE["query"]) for k in range(self.H)))
        pluses = VGroup(*(style.note("$+$") for _ in range(self.H - 1)))
        adds_up = abs(sum(shown(t.parts[0, k, h, i, j]) for k in range(self.H)) - shown(t.Q_heads[0, h, i, j])) < 1e-6
        eq = style.note(eq_sign(adds_up))
        q = self.b.number(b.value("Q_heads", (0, h, i, j)), style.NUMBER_SIZE, color=style.ROLE["query"])
        items = [sums[0]]
        for k in range(1, self.H):
            items += [pluses[k - 1], sums[k]]
        right_name = style.note("✓ right way:")
        line = VGroup(right_name, *items, eq, q).arrange(RIGHT, buff=0.25)
        wrong = self.prose("✗ the wrong way keeps only its own chunk's share: {w}", style.NOTE_SIZE, WRONG,
                           w=b.value("Q_wrong", (0, h, i, j)))
        block = VGroup(lines, line, wrong).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        below = style.Region(style.STAGE.left, style.STAGE.right, self.inputs.get_bottom()[1] - 0.35, style.STAGE.bottom)
        below.place(block)
        self.say("Row {i}, column {j} of head {h}: chunk by chunk, a row piece of E times a piece of W^q's column.",
                 i=b.index("Q_heads", 2, i), j=b.index("Q_heads", 3, j), h=b.index("Q_heads", 1, h))
        self.play(Create(chunk_boxes), run_time=0.6)
        for k in range(self.H):
            fe, fw, signs = terms[k]
            cols = list(range(*self.band(k)))
            pick = [f[-2] if len(f) > 1 else f[0] for f in (*fe, *fw)]  # the bound number inside its brackets
            parens = [m for f in (*fe, *fw) for m in f if m not in pick]
            glue = signs + parens
            self.play(Create(col_parts[k]), run_time=0.3)
            self.play(*(self.carry(self.E.entry(i, c), pick[n]) for n, c in enumerate(cols)),
                      *(self.carry(self.W.entry(c, h * self.d + j), pick[len(cols) + n]) for n, c in enumerate(cols)),
                      *(FadeIn(m) for m in glue), run_time=1.0)
            self.combine([(VGroup(*pick), shares[k])], run_time=0.8)
        self.hold_caption()
        self.say("The right value sums every chunk's share, {q}; the wrong way keeps one share, {w}.",
                 q=b.value("Q_heads", (0, h, i, j)), w=b.value("Q_wrong", (0, h, i, j)))
        self.play(FadeIn(right_name), *(self.carry(shares[k], sums[k]) for k in range(self.H)), FadeIn(pluses),
                  run_time=0.9)
        self.combine([(sums, q)], FadeIn(eq), run_time=0.9)
        self.play(FadeIn(wrong, shift=UP * 0.2), run_time=0.6)
        self.hold_caption()

    # -- the four steps -----------------------------------------------------------------------
    def step_project(self) -> None:
        self.beat("Step one: project all of E into Q, K, V")
        self.clear_stage()
        E = self.mat("E", (0,))
        qkv = VGroup(*(self.mat(n, (0,)) for n in "QKV")).arrange(DOWN, buff=0.45)
        q_words = [label_rows(m, [self.word(i) for i in range(self.L)], buff=0.25) for m in qkv]
        names = VGroup(*(self.math(f"{n} = E W^{n.lower()}", color=style.ROLE[n]).next_to(m, RIGHT, buff=0.3)
                         for n, m in zip("QKV", qkv)))
        E_name = self.math("E", style.LABEL_SIZE, style.ROLE["E"]).next_to(E, UP, buff=0.15)
        words = label_rows(E, [self.word(i) for i in range(self.L)], buff=0.25)
        left = VGroup(E, E_name, words)
        right = VGroup(qkv, *q_words, names)
        left.next_to(right, LEFT, buff=1.3).set_y(qkv[1].get_y())  # E level with K: no path crosses a name
        weights = [self.matrix(f"W_{n}", cell=NARROW) for n in "qkv"]
        w_names = [VGroup(self.math(f"W^{n}", style.LABEL_SIZE, style.ROLE["W"]),
                          style.note("trained", color=style.MUTED)).arrange(RIGHT, buff=0.2) for n in "qkv"]
        for m, nm in zip(weights, w_names):
            m.next_to(E, DOWN, buff=0.45).set_x(E.get_x())
            nm.next_to(m, DOWN, buff=0.12)
        style.STAGE.place(VGroup(left, right, weights[0], w_names[0]))
        for m, nm in zip(weights[1:], w_names[1:]):
            m.move_to(weights[0])
            nm.move_to(w_names[0])
        self.say("The full pipeline. Step one: project all of E with the trained W^q, W^k and W^v.")
        self.play(FadeIn(E), FadeIn(E_name), FadeIn(words), run_time=0.5)
        for k, (m, n) in enumerate(zip(qkv, names)):
            self.play(*([FadeOut(weights[k - 1]), FadeOut(w_names[k - 1])] if k else []),
                      FadeIn(weights[k]), FadeIn(w_names[k]), run_time=0.4)
            self.play(Create(m.brackets),
                      LaggedStart(*(self.carry(E.row(i), m.row(i)) for i in range(self.L)), lag_ratio=0.3),
                      run_time=1.0)
            self.play(FadeIn(n), FadeIn(q_words[k]), run_time=0.3)
        self.settle(*qkv)
        self.hold_caption()
        self.qkv, self.qkv_names, self.E_step = qkv, names, VGroup(E, E_name, words, weights[-1], w_names[-1])
        self.qkv_words = VGroup(*q_words)

    def step_split(self) -> None:
        self.beat("Step two: split Q, K, V into heads")
        b, qkv = self.b, self.qkv
        short = VGroup(*(self.math(n, style.LABEL_SIZE, style.ROLE[n]).next_to(w, LEFT, buff=0.3)
                         for n, w in zip("QKV", self.qkv_words)))  # short names, clear of the paths to the heads
        left = VGroup(qkv, self.qkv_words, short)
        grid = VGroup(*(VGroup(*(self.mat(f"{n}_heads", (0, h)) for n in "QKV")).arrange(RIGHT, buff=0.35)
                        for h in range(self.H))).arrange(DOWN, buff=0.55)
        names = VGroup(*(self.head_math(f"{n}_{{h}}", h).next_to(m, UP, buff=0.08)
                         for h, row in enumerate(grid) for n, m in zip("QKV", row)))
        row_names = VGroup(*(self.head_math('"head" {h}', h).next_to(row, LEFT, buff=0.25) for h, row in enumerate(grid)))
        g_words = VGroup(*(label_rows(row[0], [self.word(i) for i in range(self.L)], buff=0.25) for row in grid))
        for h in range(len(grid)):  # "head h" above its row's words, level with the names Q_h, K_h, V_h
            row_names[h].set_y(names[3 * h].get_y()).align_to(g_words[h], RIGHT)
        right = VGroup(grid, names, row_names, g_words)
        left_area, right_area = style.STAGE.columns(left.width, style.STAGE.width - left.width - 0.4, gap=0.4)
        right_area.place(right)
        shift = left_area.centre - left.get_center()
        short.shift(shift)
        self.play(FadeOut(self.E_step), FadeOut(self.qkv_names), VGroup(qkv, self.qkv_words).animate.shift(shift),
                  run_time=0.7)
        self.play(FadeIn(short), run_time=0.3)
        self.say("Step two: cut Q, K and V into {H} heads of {d} columns. Row h is all head h gets.",
                 H=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3))
        boxes = VGroup(*(self.band_boxes(m) for m in qkv))
        self.play(Create(boxes), run_time=0.5)
        for h, row in enumerate(grid):
            self.play(*(self.carry(m.column_band(*self.band(h)), t.entries) for m, t in zip(qkv, row)),
                      *(Create(t.brackets) for t in row), run_time=0.9)
            self.play(FadeIn(names[3 * h:3 * h + 3]), FadeIn(row_names[h]), FadeIn(g_words[h]), run_time=0.3)
            self.settle(*row)
        self.hold_caption()
        self.qkv_left = VGroup(left, boxes)
        self.grid, self.grid_names = grid, VGroup(names, row_names, g_words)

    def factor(self, name: str, index: tuple[int, ...]) -> VGroup:
        """Return one bound factor of a dot product, in brackets when it is negative."""
        num = self.b.number(self.b.value(name, index), style.NUMBER_SIZE, color=style.ROLE[self.roles[name]])
        if float(self.b.tensors[name][index]) >= 0:
            return VGroup(num)
        return VGroup(style.note("$($"), num, style.note("$)$")).arrange(RIGHT, buff=0.04)

    def step_scores(self) -> None:
        self.beat("Step three: scores q · k, then softmax")
        b, h, d, L = self.b, 0, self.d, self.L
        i = min(1, L - 1)
        j = i - 1 if i else 0  # head 1 was trained to read the word before
        old_q, old_k = self.grid[h][0], self.grid[h][1]
        self.clear_stage(keep=(old_q, old_k))
        Q, KT = self.matrix("Q_heads", (0, h), cell=NARROW), self.matrix("K_heads_T", (0, h), cell=NARROW)
        S, A = self.matrix("scores", (0, h), cell=NARROW), self.matrix("weights", (0, h), cell=NARROW)
        times, eq = style.note("$times$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        s_rows = label_rows(S, [self.word(r) for r in range(L)], buff=0.2)  # S named on both axes
        top = VGroup(Q, times, KT, eq, VGroup(s_rows, S)).arrange(RIGHT, buff=0.35)
        s_cols = label_columns(S, [self.word(c) for c in range(L)])
        q_words = label_rows(Q, [self.word(r) for r in range(L)], buff=0.25)
        k_words = label_columns(KT, [self.word(c) for c in range(L)])
        names = VGroup(Q.label(self.head_math("Q_{h}", h)),
                       self.head_math("K_{h}^T", h).next_to(k_words, UP, buff=0.12),
                       self.head_math("S_{h} = Q_{h} K_{h}^T \\/ sqrt(d_q)", h).next_to(s_cols, UP, buff=0.12))
        # one entry, written out: q_i . k_j, then divided by sqrt(d_q)
        fq = [self.factor("Q_heads", (0, h, i, c)) for c in range(d)]
        fk = [self.factor("K_heads_T", (0, h, c, j)) for c in range(d)]
        pluses = [style.note("$+$") for _ in range(d - 1)]
        items: list = [VGroup(fq[0], fk[0]).arrange(RIGHT, buff=0.06)]
        for c in range(1, d):
            items += [pluses[c - 1], VGroup(fq[c], fk[c]).arrange(RIGHT, buff=0.06)]
        dot = b.number(b.value("dots", (0, h, i, j)), style.NUMBER_SIZE, color=style.ROLE["score"])
        t = self.result
        dot_ok = abs(round(sum(shown(t.Q_heads[0, h, i, c]) * shown(t.K_heads_T[0, h, c, j]) for c in range(d)), 2)
                     - shown(t.dots[0, h, i, j])) < 1e-6
        line1 = VGroup(*items, style.note(eq_sign(dot_ok)), dot).arrange(RIGHT, buff=0.15)
        dot2 = b.number(b.value("dots", (0, h, i, j)), style.NUMBER_SIZE, color=style.ROLE["score"])
        root = b.number(b.value("root_d", (), 3), style.NUMBER_SIZE, color=style.TEXT)
        div_ok = abs(round(shown(t.dots[0, h, i, j]) / shown(t.root_d, 3), 2) - shown(t.scores[0, h, i, j])) < 1e-6
        s = b.number(b.value("scores", (0, h, i, j)), style.NUMBER_SIZE, color=style.ROLE["score"])
        line2 = VGroup(dot2, style.note("$\\/$"), root, style.note(eq_sign(div_ok)), s).arrange(RIGHT, buff=0.15)
        work_name = self.prose("$q dot k$: {w}'s query, {v}'s key", color=style.MUTED,
                               w=b.string(f"word{i}"), v=b.string(f"word{j}"))
        work = VGroup(work_name, line1, line2).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        soft = VGroup(style.arrow(ORIGIN, DOWN * 0.9), style.note('$"softmax"$ of each row', color=style.MUTED))
        soft[1].next_to(soft[0], LEFT, buff=0.15)  # left of the arrow: the rows pass on the right
        a_name = self.head_math('A_{h}', h)
        stage = VGroup(top, q_words, k_words, names, s_cols)
        soft.next_to(S, DOWN, buff=0.15)
        soft.shift(RIGHT * (S.get_x() - soft[0].get_x()))
        a_words = label_columns(A, [self.word(c) for c in range(L)])
        VGroup(A, a_words).next_to(soft, DOWN, buff=0.12).set_x(S.get_x())
        a_name.next_to(A, LEFT, buff=0.3)
        work.next_to(VGroup(Q, KT), DOWN, buff=0.6).align_to(q_words, LEFT)
        if work.get_right()[0] > a_name.get_left()[0] - 0.3:  # too narrow beside A: the worked entry goes below
            work.next_to(A, DOWN, buff=0.3).set_x(top.get_x())
        whole = VGroup(stage, soft, A, a_words, a_name, work)
        style.STAGE.place(whole)
        self.play(ReplacementTransform(old_q, Q), FadeIn(q_words), FadeIn(names[0]), FadeOut(old_k.brackets),
                  *(self.carry(old_k.entry(r, c), KT.entry(c, r)) for r in range(L) for c in range(d)),
                  Create(KT.brackets), FadeIn(k_words), FadeIn(names[1]), run_time=1.4)
        self.remove(*old_k.get_family())
        self.settle(KT)
        self.say("Step three, head {h}: every word's query meets every word's key. A score is q · k, divided by"
                 " √d_q.", h=b.index("Q_heads", 1, h))
        self.play(FadeIn(times), FadeIn(eq), Create(S.brackets), FadeIn(names[2]), run_time=0.6)
        q_box = Q.box(rows=(i, i + 1), color=style.TEXT)
        k_box = KT.box(cols=(j, j + 1), color=style.TEXT)
        self.play(Create(q_box), Create(k_box), FadeIn(work_name), run_time=0.6)
        self.play(*(self.carry(Q.entry(i, c), fq[c][-2 if len(fq[c]) > 1 else 0]) for c in range(d)),
                  *(self.carry(KT.entry(c, j), fk[c][-2 if len(fk[c]) > 1 else 0]) for c in range(d)),
                  *(FadeIn(VGroup(*(m for m in f if m is not f[-2 if len(f) > 1 else 0])))
                    for f in (*fq, *fk)),
                  *(FadeIn(m) for m in pluses), run_time=1.2)
        self.combine([(VGroup(*fq, *fk), dot)], FadeIn(line1[-2]), run_time=1.0)
        self.hold_caption()
        self.say("Here {w}'s query and {v}'s key give {p}; over √d_q = {r}, the score is {s}.",
                 w=b.string(f"word{i}"), v=b.string(f"word{j}"), p=b.value("dots", (0, h, i, j)),
                 r=b.value("root_d", (), 3), s=b.value("scores", (0, h, i, j)))
        self.play(self.carry(dot, dot2), FadeIn(line2[1]), FadeIn(root), run_time=0.8)
        self.combine([(VGroup(dot2, root), s)], FadeIn(line2[3]), run_time=0.9)
        self.play(self.carry(s, S.entry(i, j)), run_time=0.9)
        self.hold_caption()
        self.say("The same for every pair of words gives the {L} by {L} scores.", L=b.dim("scores", 2))
        rest = [(r, c) for r in range(L) for c in range(L) if (r, c) != (i, j)]
        self.play(FadeOut(q_box), FadeOut(k_box), run_time=0.3)
        self.play(LaggedStart(*(self.carry(VGroup(Q.row(r), KT.column_band(c, c + 1)), S.entry(r, c))
                                for r, c in rest), lag_ratio=0.1), run_time=1.8)
        self.settle(S)
        self.play(FadeIn(s_rows), FadeIn(s_cols), run_time=0.4)
        self.hold_caption()
        row = ", ".join(f"{{s{c}}}" for c in range(L))
        to = ", ".join(f"{{a{c}}}" for c in range(L))
        fields = {f"s{c}": b.value("scores", (0, h, i, c)) for c in range(L)}
        fields.update({f"a{c}": b.value("weights", (0, h, i, c)) for c in range(L)})
        self.say("Softmax turns each row into weights that sum to one: " + row + " becomes " + to + ".", **fields)
        self.play(FadeIn(soft), FadeIn(a_name), FadeIn(a_words), Create(A.brackets), run_time=0.6)
        out = S.get_right()[0] - S.get_x() + S.row(0).width / 2 + 0.25  # each row steps out right of S, then down
        for r in range(L):
            self.play(ReplacementTransform(S.row(r).copy(), A.row(r), path_func=detour(out)), run_time=0.8)
        self.settle(A)
        a_box = A.box(rows=(i, i + 1), cols=(j, j + 1), color=style.index_colour(h))
        self.play(Create(a_box), run_time=0.5)
        self.hold_caption()

    def step_attend(self) -> None:
        self.beat("Step three: attention inside each head")
        b = self.b
        self.clear_stage()
        tasks = ("the word before", "the word after", "two words before", "two words after")
        blocks = VGroup()
        self.A, self.O = [], []
        for h in range(self.H):
            A = self.mat("weights", (0, h))
            V = self.mat("V_heads", (0, h))
            O = self.mat("O_heads", (0, h))
            q_words = label_rows(A, [self.word(i) for i in range(self.L)], buff=0.25)
            k_words = VGroup(*(self.word(i).next_to(A, UP, buff=0.12).set_x(A.column_band(i, i + 1).get_x())
                               for i in range(self.L)))
            times, eq = style.note("$times$"), style.note("$=$")
            row = VGroup(VGroup(q_words, A), times, V, eq, O).arrange(RIGHT, buff=0.3)
            for i, w in enumerate(k_words):
                w.next_to(A, UP, buff=0.12).set_x(A.column_band(i, i + 1).get_x())
            V_name = self.head_math("V_{h}", h).next_to(V, UP, buff=0.12)
            O_name = self.head_math("O_{h} = A_{h} V_{h}", h).next_to(O, UP, buff=0.12)
            title = VGroup(self.head_math('"head" {h}', h, style.LABEL_SIZE),
                           style.note(f"trained to name {tasks[h % len(tasks)]}", color=style.MUTED))
            body_row = VGroup(row, k_words, V_name, O_name)
            if self.H > 2:  # three heads: the title goes beside its row, so the three rows fit the height
                title.arrange(DOWN, aligned_edge=LEFT, buff=0.1).next_to(body_row, LEFT, buff=0.4)
            else:
                title.arrange(RIGHT, buff=0.3).next_to(body_row, UP, buff=0.15).align_to(body_row, LEFT)
            blocks.add(VGroup(title, body_row))
            self.A.append(A)
            self.O.append(O)
        blocks.arrange(DOWN, buff=0.45 if self.H < 3 else 0.2, aligned_edge=LEFT)
        foot = style.note('$A_h = "softmax"(Q_h K_h^T \\/ sqrt(d_q))$, rows: the word asking, columns: the word read',
                          color=style.MUTED)
        body, foot_area = style.STAGE.rows(5.3, 0.5)
        if blocks.height > body.height:  # the tallest sizes: the heads take the whole stage, the formula stays unsaid
            body, foot = style.STAGE, VGroup()
        body.place(blocks)
        foot_area.place(foot)
        self.say("Every head does the same within its own slice: A_h comes from Q_h and K_h, and each row sums"
                 " to one.")
        for h, blk in enumerate(blocks):
            title, (row, k_words, V_name, O_name) = blk
            (q_words, A), times, V, eq, O = row
            with_v = (FadeIn(times), FadeIn(V), FadeIn(V_name),  # V_h, known from step two, waits beside A_h
                      FadeIn(eq), FadeIn(O_name), Create(O.brackets))  # and O_h's place, filled two captions later
            if h == 0:  # head 1's A was worked out in the last beat
                self.play(FadeIn(title), FadeIn(q_words), FadeIn(k_words), Create(A.brackets), *with_v,
                          LaggedStart(*(FadeIn(n, scale=0.8) for n in A.entries), lag_ratio=0.05), run_time=1.0)
                self.settle(A)
                continue
            # the other heads the same way: their scores S_h where A_h will be, then softmax row by row
            S = self.mat("scores", (0, h)).move_to(A)
            s_note = self.head_math('S_{h}: "the same scores, then softmax of each row"', h)
            s_note.next_to(title, RIGHT, buff=0.4).set_color(style.MUTED)
            self.play(FadeIn(title), FadeIn(q_words), FadeIn(k_words), FadeIn(S), FadeIn(s_note), *with_v,
                      run_time=0.8)
            for r in range(self.L):
                self.play(self.carry(S.row(r), A.row(r)), FadeOut(S.row(r)), run_time=0.45)
                self.remove(*S.row(r).get_family())
            self.remove(S.brackets)
            self.add(A.brackets)
            self.settle(A)
            self.play(FadeOut(s_note), run_time=0.3)
        self.play(FadeIn(foot), run_time=0.4)
        self.hold_caption()
        # the trained patterns, on the entries themselves
        offsets = (-1, 1, -2, 2)
        marks = VGroup()
        for h in range(self.H):
            k = offsets[h % len(offsets)]
            for i in range(self.L):
                if 0 <= i + k < self.L:
                    marks.add(self.A[h].box(rows=(i, i + 1), cols=(i + k, i + k + 1), color=style.index_colour(h)))
        h1 = 1 if self.L > 1 else 0
        fields = {"a": b.value("weights", (0, 0, h1, h1 - 1)), "w": b.string(f"word{h1}"),
                  "v": b.string(f"word{h1 - 1}")}
        if self.H > 1 and self.L > 1:
            fields.update(c=b.value("weights", (0, 1, 0, 1)), x=b.string("word0"), y=b.string("word1"),
                          h1=b.index("Q_heads", 1, 0), h2=b.index("Q_heads", 1, 1))
            self.say("Trained heads differ: head {h1} puts {a} of {w}'s weight on {v}, the word before; head {h2}"
                     " puts {c} of {x}'s on {y}, the word after.", **fields)
        else:
            self.say("Trained, head {h1} puts {a} of {w}'s weight on {v}, the word before.",
                     h1=b.index("Q_heads", 1, 0), **fields)
        self.play(LaggedStart(*(Create(m) for m in marks), lag_ratio=0.15), run_time=1.2)
        self.hold_caption()
        i = min(1, self.L - 1)
        self.say("Then O_h = A_h V_h: {w}'s output row adds the rows of V_h, each weighted by {w}'s row of A_h.",
                 w=b.string(f"word{i}"))
        self.play(FadeOut(marks), run_time=0.3)
        for h, blk in enumerate(blocks):
            title, (row, k_words, V_name, O_name) = blk
            (q_words, A), times, V, eq, O = row
            rest = list(range(self.L))
            if h == self.H - 1 and len(foot):  # one row written out (the last head: nothing between it and the line): the weights times the rows of V, added up
                self.weighted_row(h, i, A, V, O, foot, foot_area)
                rest = [r for r in range(self.L) if r != i]
            a_box = A.box(rows=(rest[0], rest[0] + 1), color=style.index_colour(h))
            self.play(Create(a_box), run_time=0.3)
            for n, r in enumerate(rest):  # one output row at a time: V's rows, weighted by A's row r, land in O's
                if n:
                    self.play(Transform(a_box, A.box(rows=(r, r + 1), color=style.index_colour(h))), run_time=0.25)
                self.play(self.flow(V.entries, O.row(r)), run_time=0.6)
            self.play(FadeOut(a_box), run_time=0.2)
            self.settle(O)
        self.hold_caption()
        self.O_names = [blk[1][3] for blk in blocks]

    def weighted_row(self, h: int, i: int, A: TensorMatrix, V: TensorMatrix, O: TensorMatrix, foot: VGroup,
                     area: style.Region) -> None:
        """Write out row i of O_h = A_h V_h under the heads: a_i1 · v_1 + ... = o_i, values moving and adding."""
        b, t, L, d = self.b, self.result, self.L, self.d
        coefs = [b.number(b.value("weights", (0, h, i, c)), style.NUMBER_SIZE, color=style.ROLE["attention"])
                 for c in range(L)]
        rows = [VGroup(*(b.number(b.value("V_heads", (0, h, c, k)), style.NUMBER_SIZE, color=style.ROLE["value"])
                         for k in range(d))).arrange(RIGHT, buff=0.2) for c in range(L)]
        out = VGroup(*(b.number(b.value("O_heads", (0, h, i, k)), style.NUMBER_SIZE, color=style.ROLE["output"])
                       for k in range(d))).arrange(RIGHT, buff=0.2)
        items: list = [self.prose("{w}:", color=style.MUTED, w=b.string(f"word{i}"))]
        for c in range(L):
            items += ([style.note("$+$")] if c else []) + [coefs[c], style.note("$dot$"), style.note("$[$"), rows[c],
                                                           style.note("$]$")]
        ok = all(abs(round(sum(shown(t.weights[0, h, i, c]) * shown(t.V_heads[0, h, c, k]) for c in range(L)), 2)
                     - shown(t.O_heads[0, h, i, k])) < 1e-6 for k in range(d))
        items += [style.note(eq_sign(ok)), style.note("$[$"), out, style.note("$]$")]
        line = VGroup(*items).arrange(RIGHT, buff=0.1)
        area.place(line)
        glue = VGroup(*(m for m in items if m not in coefs and m not in rows and m is not out))
        self.play(FadeOut(foot), FadeIn(glue), *(self.carry(A.entry(i, c), coefs[c]) for c in range(L)),
                  *(self.carry(V.row(c), rows[c]) for c in range(L)), run_time=1.2)
        self.combine([(VGroup(*coefs, *(r[k] for r in rows)), out[k]) for k in range(d)], run_time=1.0)
        self.play(self.carry(out, O.row(i)), run_time=0.8)

    def step_concat(self) -> None:
        self.beat("Step four: concatenate, then the output projection")
        b = self.b
        self.clear_stage(keep=(*self.O, *self.O_names))
        keep = VGroup(*(VGroup(n, m) for m, n in zip(self.O, self.O_names)))
        concat = self.mat("concat", (0,))
        Wo = self.mat("W_o")
        Y = self.mat("Y", (0,))
        times, equals = style.note("$times$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        row = VGroup(concat, times, Wo, equals, Y).arrange(RIGHT, buff=0.35)
        c_name = style.note("$O$: heads side by side", color=style.MUTED).next_to(concat, UP, buff=0.15)
        w_name = VGroup(self.math("W^o", style.LABEL_SIZE, style.ROLE["W"]), style.note("random", color=style.MUTED))
        w_name.arrange(RIGHT, buff=0.2).next_to(Wo, UP, buff=0.15)  # above: the parts fly down to the sum line
        y_name = self.math("Y = O W^o", style.LABEL_SIZE, style.ROLE["output"]).next_to(Y, DOWN, buff=0.2)
        y_words = label_rows(Y, [self.word(r) for r in range(self.L)], side=RIGHT, buff=0.2)
        top = keep.copy().arrange(RIGHT, buff=1.0)
        tall = top.height + 0.05  # the head outputs keep their size: L rows and a name
        upper, lower, foot = style.STAGE.rows(tall, style.STAGE.height - tall - 1.5, 0.9, gap=0.3)
        lower.place(VGroup(row, c_name, w_name, y_name, y_words))
        upper.place(top)
        self.play(keep.animate.become(top), run_time=0.6)
        self.say("Step four: put the {H} head outputs side by side again, shape ({L}, {D}),",
                 H=b.dim("O_heads", 1), L=b.dim("concat", 1), D=b.dim("concat", 2))
        bands = self.band_boxes(concat)
        self.play(*(self.carry(m.entry(r, c), concat.entry(r, h * self.d + c)) for h, m in enumerate(self.O)
                    for r in range(self.L) for c in range(self.d)),
                  Create(concat.brackets), FadeIn(c_name), run_time=1.0)
        self.settle(concat)
        self.play(Create(bands), run_time=0.4)
        self.hold_caption()
        self.say("then multiply by the output weight W^o. Ours was not part of the training: it is random.")
        self.play(FadeIn(times), FadeIn(Wo), FadeIn(w_name), run_time=0.6)
        self.play(FadeIn(equals), FadeIn(y_name), FadeIn(y_words), Create(Y.brackets),
                  LaggedStart(*(FadeIn(n, shift=RIGHT * 0.2) for n in Y.entries), lag_ratio=0.04), run_time=1.0)
        self.settle(Y)
        self.hold_caption()
        # one entry of Y, head by head: every output mixes all heads
        i, j = 0, 0
        parts = VGroup(*(b.number(b.value("mix", (0, h, i, j)), style.NUMBER_SIZE, color=style.ROLE["output"])
                         for h in range(self.H)))
        part_names = VGroup(*(self.head_math('"head" {h}', h) for h in range(self.H)))
        items = []
        for h in range(self.H):
            items += ([style.note("$+$")] if h else []) + [parts[h]]
        y = b.number(b.value("Y", (0, i, j)), style.NUMBER_SIZE, color=style.ROLE["output"])
        t = self.result
        mix_ok = abs(sum(shown(t.mix[0, h, i, j]) for h in range(self.H)) - shown(t.Y[0, i, j])) < 1e-6
        line = VGroup(*items, style.note(eq_sign(mix_ok)), y).arrange(RIGHT, buff=0.3)
        foot.place(line)
        for h in range(self.H):
            part_names[h].next_to(parts[h], DOWN, buff=0.12)
        VGroup(line, part_names).move_to(foot.centre)
        row_boxes = VGroup(*(concat.box(rows=(i, i + 1), cols=self.band(h), color=style.index_colour(h))
                             for h in range(self.H)))
        col_boxes = VGroup(*(Wo.box(rows=self.band(h), cols=(j, j + 1), color=style.index_colour(h), buff=0.06)
                             for h in range(self.H)))
        target = Y.box(rows=(i, i + 1), cols=(j, j + 1))
        self.say("One entry of Y: each head's outputs meet their own rows of W^o, and the parts add up: every"
                 " output mixes all heads.")
        self.play(FadeOut(bands), run_time=0.3)
        for h in range(self.H):
            piece = VGroup(*(concat.entry(i, c) for c in range(*self.band(h))),
                           *(Wo.entry(r, j) for r in range(*self.band(h))))
            self.play(Create(row_boxes[h]), Create(col_boxes[h]), run_time=0.4)
            self.play(ReplacementTransform(piece.copy(), parts[h]), FadeIn(part_names[h]),
                      *([FadeIn(items[2 * h - 1])] if h else []), run_time=1.0)
        self.play(FadeIn(line[-2]), ReplacementTransform(parts.copy(), y), Create(target), run_time=1.0)
        self.clear_stage()  # the next chapter opens on a clear stage

    def against_torch(self) -> None:
        self.beat("Same as torch.nn.MultiheadAttention")
        self.clear_stage()
        b = self.b
        code = self.listing(torch_mha)
        Y = self.mat("Y", (0,))
        T = self.mat("Y_torch", (0,))
        pair = VGroup(Y, T).arrange(RIGHT, buff=1.5)
        y_name = style.note("ours: four steps", color=style.MUTED).next_to(Y, UP, buff=0.15)
        t_name = style.note("`nn.MultiheadAttention`", color=style.MUTED).next_to(T, UP, buff=0.15)
        diff = self.prose('largest difference: max $|Y - Y_"torch"|$ = {d}', style.LABEL_SIZE, WRONG,
                          d=b.value("torch_diff", (), 2, "g"))
        style.STAGE.place(VGroup(code, VGroup(pair, y_name, t_name), diff).arrange(DOWN, buff=0.4))
        weights = VGroup(*(self.code_line_box(code, line) for line in (6, 7)))  # the four weights
        self.say("nn.MultiheadAttention, given the same four weights (transposed: it stores (out, in)) and the"
                 " same E.")
        self.play(FadeIn(code), run_time=0.6)
        self.play(FadeIn(weights), run_time=0.4)
        self.play(FadeIn(Y), FadeIn(y_name), FadeIn(T), FadeIn(t_name), run_time=0.8)
        self.hold_caption()
        self.say_gap("torch_diff", "Largest difference: exactly {d}.", "Largest difference: {d}, float32 rounding.")
        self.play(FadeOut(weights), FadeIn(diff, shift=UP * 0.2), run_time=0.6)
        self.hold_caption()


__all__ = ["SplitLecture"]
