"""Lecture `sharing`: one W_Q (and W_K, W_V) serves every sample of a batch."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UL,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Rectangle,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, glyph_box

ROLE_NAMES = ("W_Q", "W_K", "W_V")
ROLE_COLORS = (style.ROLE["Q"], style.ROLE["K"], style.ROLE["V"])
ROW_GAP = 0.45  # space between the sample matrices of a row


class SharingLecture(LectureScene):
    """A batch of N samples times one W_Q equals each sample alone times that same W_Q."""

    question = "A batch of $N$ samples: one $W_Q$, or one per sample?"
    question_details = ("Each sample is a $T times d$ matrix; $W_Q$, $W_K$, $W_V$ are $d times d$.",)
    question_caption = ("With several samples in a batch, does each sample get its own W_Q, W_K and W_V?"
                        " Let torch answer.")
    recap_caption = "The same W_Q, W_K and W_V transform every sample, in training and at test time."
    beats = ("intro", "batch", "batched", "alone", "pointers", "counts", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Read the batch size N once, and whether torch found the two ways bit for bit equal."""
        self.N = int(self.result.config.batch)
        self.exact = float(self.b.tensors["max_diff"]) == 0.0

    def sample_row(self, name: str, color: str) -> VGroup:
        """Return one matrix per sample of a (N, T, d) tensor, side by side."""
        return VGroup(*(self.matrix(name, (n,), color=color) for n in range(self.N))).arrange(RIGHT, buff=ROW_GAP)

    def sample_labels(self, row: VGroup, template: str, color: str) -> VGroup:
        """Return a maths label over each matrix of a row; {n} is the sample number, 1-based."""
        return VGroup(*(self.math(template, color=color, n=self.b.index("X", 0, n)).next_to(m, UP, buff=0.1)
                        for n, m in enumerate(row)))

    def role(self, i: int, size: float = style.LABEL_SIZE) -> VGroup:
        """Return the name of projection i (W_Q, W_K or W_V) in its colour."""
        return self.math(ROLE_NAMES[i], size, ROLE_COLORS[i])

    def difference_panel(self) -> tuple[VGroup, VGroup]:
        """Return the per-sample max |alone - batched| under the batched row, and the overall verdict."""
        b = self.b
        diffs = VGroup(*(self.prose("max $|Delta|$ = {v}", v=b.value("diff", (0, n), decimals=2, style="g"))
                         .next_to(m, DOWN, buff=0.15) for n, m in enumerate(self.Q)))
        total = VGroup(
            style.note("largest difference over all samples,"),
            self.prose("for $W_Q$, $W_K$ and $W_V$: {m}", m=b.value("max_diff", (), decimals=2, style="g")),
            style.note("bit for bit the same numbers" if self.exact else "float32 rounding only, not another weight",
                       color=style.MUTED),
        ).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        beside_w = style.Region(self.W.get_right()[0] + 0.6, style.STAGE.right, self.W.get_top()[1], style.STAGE.bottom)
        beside_w.place(total, align=UL)
        return diffs, total

    def weight_trio(self, size: float) -> VGroup:
        """Return three small coloured squares standing for one set of W_Q, W_K, W_V."""
        return VGroup(*(Rectangle(width=size, height=size, stroke_color=c, stroke_width=2, fill_color=c,
                                  fill_opacity=0.35) for c in ROLE_COLORS)).arrange(RIGHT, buff=size * 0.15)

    # -- beats --------------------------------------------------------------------------------
    def layout_batch(self) -> None:
        """Build W_Q, the row of samples x_n and the row of products x_n W_Q, and lay them out."""
        self.W = self.matrix("W_Q", color=style.ROLE["W"])
        self.W_name = self.math("W_Q", style.LABEL_SIZE, style.ROLE["W"])
        self.W_shape = self.shape("W_Q", "d, d")
        VGroup(self.W_name, self.W_shape).arrange(DOWN, buff=0.12, aligned_edge=RIGHT).next_to(self.W, LEFT, buff=0.35)
        self.X = self.sample_row("X", style.ROLE["E"])
        self.Q = self.sample_row("Q", style.ROLE["Q"])
        self.X.next_to(self.W, DOWN, buff=1.0)
        self.Q.next_to(self.X, DOWN, buff=0.95).set_x(self.X.get_x())
        self.X_names = self.sample_labels(self.X, "x_{n}", style.ROLE["E"])
        self.Q_names = self.sample_labels(self.Q, "x_{n} W_Q", style.ROLE["Q"])
        style.STAGE.place(VGroup(self.W, self.W_name, self.W_shape, self.X, self.Q, self.X_names, self.Q_names))
        VGroup(self.W, self.W_name, self.W_shape).shift(RIGHT * (self.X.get_x() - self.W.get_x()))  # over the batch
        x_name = self.prose("batch X", style.LABEL_SIZE, style.ROLE["E"])
        self.X_title = VGroup(x_name, self.shape("X", "N, T, d")).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        self.X_title.next_to(self.W, RIGHT, buff=0.8).align_to(self.W, UP)

    def batch(self) -> None:
        self.beat("One batch, one weight")
        b = self.b
        self.layout_batch()
        self.say(
            "The batch X stacks {N} samples of {T} tokens by {d} features. Above it sits the one query weight W_Q,"
            " {d} by {d}.",
            N=b.dim("X", 0), T=b.dim("X", 1), d=b.dim("X", 2),
        )
        self.play(LaggedStart(*(FadeIn(m) for m in self.X), lag_ratio=0.15), FadeIn(self.X_names), FadeIn(self.X_title),
                  run_time=1.4)
        self.play(FadeIn(self.W), FadeIn(self.W_name), FadeIn(self.W_shape))
        self.hold_caption(1.5)

    def batched(self) -> None:
        self.beat("The whole batch in one call")
        b = self.b
        arrows = VGroup(*(Arrow(self.W.get_bottom(), name.get_top(), buff=0.1, color=style.ROLE["W"], stroke_width=3,
                                tip_length=0.2) for name in self.X_names))
        formula = self.prose("$Q = X W_Q$: $({N}, {T}, {d}) times ({d}, {d}) -> ({N}, {T}, {d})$",
                             N=b.dim("Q", 0), T=b.dim("Q", 1), d=b.dim("Q", 2))
        under_title = style.Region(self.X_title.get_left()[0], style.STAGE.right, self.X_title.get_bottom()[1] - 0.3,
                                   style.STAGE.bottom)
        under_title.place(formula, align=UL)
        self.say(
            "One call, layer(X), multiplies the whole batch by W_Q: all {N} arrows start from the same matrix.",
            N=b.dim("X", 0),
        )
        self.play(Create(arrows), FadeIn(formula), run_time=1.2)
        self.play(LaggedStart(*(FadeIn(q, shift=DOWN * 0.4) for q in self.Q), lag_ratio=0.15),
                  FadeIn(self.Q_names), run_time=1.6)
        self.say("Each output x_n W_Q uses the very same weights; the result again has shape (N, T, d).")
        self.hold_caption(1.5)
        self.arrows, self.formula = arrows, formula

    def alone(self) -> None:
        self.beat("One sample at a time")
        b = self.b
        alone = self.sample_row("Q_alone", style.ROLE["Q"]).match_width(self.X).move_to(self.X)
        alone_names = self.sample_labels(alone, "x_{n} W_Q \"alone\"", style.ROLE["Q"])
        batch_names = self.sample_labels(self.Q, "(X W_Q)_{n} \"batched\"", style.ROLE["Q"])
        self.play(*(FadeOut(m) for m in (self.X, self.X_names, self.X_title, self.formula, self.Q_names, self.arrows)),
                  FadeIn(batch_names), run_time=0.6)
        self.say("Now call the same layer on each sample alone, one call per sample, and put the results above"
                 " the batched ones.")
        w_box = glyph_box([self.W], style.ROLE["W"], buff=0.12)  # the whole matrix, brackets included
        self.play(Create(w_box), run_time=0.4)
        self.play(LaggedStart(*(FadeIn(VGroup(m, lab)) for m, lab in zip(alone, alone_names)), lag_ratio=0.3),
                  run_time=2.0)
        diffs, total = self.difference_panel()
        if self.exact:
            self.say("torch reports a difference of exactly {m}, for every sample, and for W_K and W_V too.",
                     m=b.value("max_diff", (), 2, "g"))
        else:
            self.say("torch reports a largest difference of {m}: float32 rounding, not a different weight.",
                     m=b.value("max_diff", (), 2, "g"))
        self.play(LaggedStart(*(FadeIn(d) for d in diffs), lag_ratio=0.15), FadeOut(w_box), run_time=1.0)
        self.play(FadeIn(total))
        self.hold_caption(2)
        self.clear_stage()

    def pointer_table(self) -> tuple[VGroup, TensorMatrix, TensorMatrix, VGroup, VGroup]:
        """Return (title, batch row, per-sample rows, labels, `is` results) of the data_ptr table, laid out."""
        b = self.b
        cell = (2.55, 0.5)
        batch = self.matrix("ptr_batch", decimals=0, cell=cell)
        per = self.matrix("ptr", decimals=0, cell=cell)
        per.next_to(batch, DOWN, buff=0.3)
        for m in (batch, per):  # no brackets: this is a table of addresses, not a matrix
            m.remove(m.brackets)
        heads = VGroup(*(self.role(i).next_to(batch, UP, buff=0.2).set_x(batch.box(cols=(i, i + 1)).get_x())
                         for i in range(len(ROLE_NAMES))))
        rows = VGroup(heads, style.note("whole batch", color=style.MUTED).next_to(batch, LEFT, buff=0.3))
        for n in range(self.N):
            lab = self.prose("sample {n}", color=style.ROLE["E"], n=b.index("ptr", 0, n))
            rows.add(lab.next_to(per, LEFT, buff=0.3).set_y(per.box(rows=(n, n + 1)).get_y()))
        same = VGroup(*(
            self.prose("{s}", color=ROLE_COLORS[i], s=b.string(f"same_{r}")).next_to(per, DOWN, buff=0.3)
            .set_x(per.box(cols=(i, i + 1)).get_x())
            for i, r in enumerate("qkv")
        ))
        same.add(style.note("same object (`is`)", color=style.MUTED).next_to(per, LEFT, buff=0.3).set_y(same.get_y()))
        title = style.note("`weight.data_ptr()` seen inside each call, recorded by a forward pre-hook",
                           color=style.MUTED)
        title.next_to(VGroup(batch, per, rows, same), UP, buff=0.35)
        style.STAGE.place(VGroup(title, batch, per, rows, same))
        return title, batch, per, rows, same

    def pointers(self) -> None:
        self.beat("The same weight in every call")
        title, batch, per, rows, same = self.pointer_table()
        self.say("A hook on each layer recorded the weight every call used, and its address in memory.")
        self.play(FadeIn(title), FadeIn(rows[0]), FadeIn(rows[1]), FadeIn(batch))
        self.play(LaggedStart(*(FadeIn(VGroup(per.row(n), rows[n + 2])) for n in range(self.N)), lag_ratio=0.2),
                  run_time=1.4)
        boxes = VGroup(*(glyph_box([*batch.column_band(i, i + 1), *per.column_band(i, i + 1)], ROLE_COLORS[i],
                                   buff=0.15) for i in range(len(ROLE_NAMES))))
        self.say(
            "Down each column the address never changes: all {N} samples read the same W_Q, W_K and W_V.",
            N=self.b.dim("ptr", 0),
        )
        self.play(Create(boxes), run_time=0.8)
        self.play(FadeIn(same))
        self.say("Python agrees: every call saw the very same weight object.")
        self.hold_caption(2)
        self.clear_stage()

    def count_panels(self) -> tuple[VGroup, VGroup, VGroup]:
        """Return the shared and per-sample parameter panels and the real-scale line, laid out."""
        b = self.b
        shared_pic = self.weight_trio(0.9)
        for i, sq in enumerate(shared_pic):
            sq.add(self.role(i, size=style.LABEL_SIZE).move_to(sq))
        own_pic = VGroup(*(self.weight_trio(0.4) for _ in range(self.N))).arrange(DOWN, buff=0.15)
        shared_sum = self.math("{a} + {b} + {c} = {s}", style.TITLE_SIZE, a=b.value("numel", (0,), 0),
                               b=b.value("numel", (1,), 0), c=b.value("numel", (2,), 0), s=b.value("n_shared", (), 0))
        own_sum = self.math("{N} times {s} = {p}", style.TITLE_SIZE, N=b.dim("X", 0), s=b.value("n_shared", (), 0),
                            p=b.value("n_per_sample", (), 0))
        left = VGroup(style.note("shared (what transformers do)", size=style.LABEL_SIZE), shared_pic, shared_sum)
        right = VGroup(style.note("one set per sample (hypothetical)", size=style.LABEL_SIZE), own_pic, own_sum)
        for panel in (left, right):
            panel.arrange(DOWN, buff=0.35)
        VGroup(left, right).arrange(RIGHT, buff=1.4, aligned_edge=UP)
        shared_pic.set_y(own_pic.get_y())
        shared_sum.set_y(own_sum.get_y())
        big = VGroup(
            self.prose("at real size, $d = {d}$ and a batch of {N}:", style.LABEL_SIZE, style.MUTED,
                       d=b.value("big_d", (), 0), N=b.value("big_batch", (), 0)),
            self.prose("{s} shared, {p} if every sample had its own", style.LABEL_SIZE,
                       s=b.value("big_shared", (), 0), p=b.value("big_per_sample", (), 0)),
        ).arrange(DOWN, buff=0.15)
        big.next_to(VGroup(left, right), DOWN, buff=0.6)
        style.STAGE.place(VGroup(left, right, big))
        return left, right, big

    def counts(self) -> None:
        self.beat("Counting parameters")
        b = self.b
        left, right, big = self.count_panels()
        self.say(
            "Counted from the real parameters: W_Q, W_K and W_V hold {s} numbers. One set per sample would need {p}.",
            s=b.value("n_shared", (), 0), p=b.value("n_per_sample", (), 0),
        )
        self.play(FadeIn(left))
        title, own_pic, own_sum = right
        self.play(FadeIn(title), LaggedStart(*(FadeIn(t) for t in own_pic), lag_ratio=0.2), FadeIn(own_sum),
                  run_time=1.2)
        self.say(
            "At d = {d} with a batch of {N}: {p} instead of {s}. And a new sample at test time would have no"
            " weights at all.",
            d=b.value("big_d", (), 0), N=b.value("big_batch", (), 0), p=b.value("big_per_sample", (), 0),
            s=b.value("big_shared", (), 0),
        )
        self.play(FadeIn(big, shift=UP * 0.2))
        self.hold_caption(2)
        self.clear_stage()

    def recap(self) -> None:
        """The closing beat; its second line says how exactly torch found the two ways equal."""
        how = "exactly" if self.exact else "up to float32 rounding"
        self.summarise(
            self.recap_caption,
            "One $W_Q$, $W_K$, $W_V$ for the whole batch, not one per sample.",
            f"$X W_Q$ on $(N, T, d)$ gives each sample {how} what it gets alone.",
            "Every call reads the same weight object: the parameters do not grow with $N$.",
            style.note("Training updates these shared weights from the loss of the whole batch.", style.LABEL_SIZE,
                       style.MUTED),
        )


__all__ = ["SharingLecture"]
