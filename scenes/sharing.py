"""Lecture `sharing`: one W_Q (and W_K, W_V) serves every sample of a batch, and one step updates it."""

from __future__ import annotations

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
    Mobject,
    ReplacementTransform,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, glyph_box

CELL = (0.74, 0.42)  # 3 x 3 matrices of entries like -1.13: four of them side by side fit the stage at size 24
TIGHT_CELL = (0.64, 0.37)  # 4 columns or 4 tokens: the same rows still fit, entries 0.1 apart
ROW_GAP = 0.5  # space between the sample matrices of a row
WEIGHTS = (("W_Q", "q"), ("W_K", "k"), ("W_V", "v"))  # (tensor, key of the captured `is` text)


class SharingLecture(LectureScene):
    """A batch of N samples times one W_Q equals each sample alone times that same W_Q."""

    question = "A batch of $N$ samples: one $W_Q$, or one per sample?"
    question_details = ("Each sample is a $T times d$ matrix; $W_Q$, $W_K$, $W_V$ are $d times d$.",)
    question_caption = ("With several samples in a batch, does each sample get its own W_Q, W_K and W_V?"
                        " Let torch answer.")
    recap_caption = "The same W_Q, W_K and W_V transform every sample, and one update trains them for all."
    beats = ("intro", "batch", "batched", "alone", "three", "pointers", "gradient", "counts", "recap")
    roles = {"X": "input", "W_Q": "weight", "W_K": "weight", "W_V": "weight", "W_Q_new": "weight",
             "Q": "query", "Q_alone": "query", "grad_each": "gradient", "grad": "gradient"}

    # -- helpers ------------------------------------------------------------------------------

    def setup(self) -> None:
        """Read the batch size N once, and whether torch found the two ways bit for bit equal."""
        self.N = int(self.result.config.batch)
        self.same = float(self.b.tensors["max_diff"]) == 0.0

    def mat(self, name: str, prefix: tuple[int, ...] = ()) -> TensorMatrix:
        """Return a small matrix of the lecture in its role's colour."""
        cfg = self.result.config
        return self.matrix(name, prefix, cell=CELL if max(cfg.d_model, cfg.seq_len) < 4 else TIGHT_CELL)

    def sample_row(self, name: str) -> VGroup:
        """Return one matrix per sample of a (N, T, d) tensor, side by side."""
        return VGroup(*(self.mat(name, (n,)) for n in range(self.N))).arrange(RIGHT, buff=ROW_GAP)

    def sample_labels(self, row: VGroup, template: str, color: str = style.TEXT, **fields: object) -> VGroup:
        """Return a maths label over each matrix of a row; {n} is the sample number, counted from 1."""
        return VGroup(*(self.math(template, color=color, n=self.b.index("X", 0, n), **fields).next_to(m, UP, buff=0.12)
                        for n, m in enumerate(row)))

    def weight_name(self, name: str, size: float = style.LABEL_SIZE) -> Mobject:
        """Return W_Q, W_K or W_V as a label in the weight colour."""
        return self.math(name, size, style.ROLE["weight"])

    def gap(self, index: tuple[int, ...] = (), name: str = "diff") -> Mobject:
        """Return one difference torch measured, in the colour of differences."""
        return self.b.number(self.b.value(name, index, 2, "g"), style.LABEL_SIZE, color=style.DIFFERENCE)

    # -- beats --------------------------------------------------------------------------------
    def layout_batch(self) -> None:
        """Build W_Q, the row of samples x_n and the row of products x_n W_Q, and lay them out."""
        self.W = self.mat("W_Q")
        self.W_name = VGroup(self.weight_name("W_Q"), self.shape("W_Q", "d, d"),
                             style.note("random", color=style.MUTED)).arrange(DOWN, buff=0.12, aligned_edge=RIGHT)
        self.W_name.next_to(self.W, LEFT, buff=0.4)
        self.X = self.sample_row("X")
        self.Q = self.sample_row("Q")
        gap = 0.95 if self.W.height < 1.4 else 0.65  # room for the labels over each row
        self.X.next_to(self.W, DOWN, buff=gap)
        self.Q.next_to(self.X, DOWN, buff=gap).set_x(self.X.get_x())
        self.X_names = self.sample_labels(self.X, "x_{n}", style.ROLE["input"])
        self.Q_names = self.sample_labels(self.Q, "x_{n} W_Q", style.ROLE["query"])
        self.X_title = VGroup(self.prose("batch $X$", style.LABEL_SIZE, style.ROLE["input"]),
                              self.shape("X", "N, T, d")).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        # beside W_Q, down by the row of samples it names
        self.X_title.next_to(self.W, RIGHT, buff=0.8).align_to(self.W, DOWN)
        style.STAGE.place(VGroup(self.W, self.W_name, self.X, self.Q, self.X_names, self.Q_names, self.X_title))

    def call_arrow(self, name: Mobject) -> Mobject:
        """Return an arrow from W_Q to one sample's label: one call of the layer."""
        return style.arrow(self.W.get_bottom(), name.get_top(), buff=0.2, color=style.ROLE["weight"])

    def batch(self) -> None:
        self.beat("One batch, one weight")
        b = self.b
        self.layout_batch()
        self.say("The batch X stacks {N} samples of {T} tokens by {d} features. Above it, the one query weight"
                 " W_Q, {d} by {d}: random numbers, as nn.Linear starts.",
                 N=b.dim("X", 0), T=b.dim("X", 1), d=b.dim("X", 2))
        self.play(LaggedStart(*(FadeIn(m) for m in self.X), lag_ratio=0.15), FadeIn(self.X_names), FadeIn(self.X_title),
                  run_time=1.4)
        self.play(FadeIn(self.W), FadeIn(self.W_name))

    def batched(self) -> None:
        self.beat("The whole batch in one call")
        b = self.b
        arrows = VGroup(*(self.call_arrow(name) for name in self.X_names))
        formula = self.prose("$Q = X W_Q$: $({N}, {T}, {d}) times ({d}, {d}) -> ({N}, {T}, {d})$",
                             N=b.dim("Q", 0), T=b.dim("Q", 1), d=b.dim("Q", 2))
        formula.next_to(self.W, RIGHT, buff=0.8).align_to(self.W, UP)
        self.say("One call, layer(X), multiplies the whole batch by W_Q: all {N} arrows start at the same matrix.",
                 N=b.dim("X", 0))
        self.play(LaggedStart(*(Create(a) for a in arrows), lag_ratio=0.25), FadeIn(formula), run_time=1.4)
        self.say("Out come {N} products x_n W_Q, one per sample: the result has shape ({N}, {T}, {d}) again.",
                 N=b.dim("Q", 0), T=b.dim("Q", 1), d=b.dim("Q", 2))
        self.play(LaggedStart(*(ReplacementTransform(x.copy(), q) for x, q in zip(self.X, self.Q)), lag_ratio=0.2),
                  FadeIn(self.Q_names), run_time=2.0)
        self.arrows, self.formula = arrows, formula

    def alone(self) -> None:
        self.beat("One sample at a time")
        b = self.b
        alone = self.sample_row("Q_alone")
        for a, x in zip(alone, self.X):
            a.move_to(x)
        alone_names = self.sample_labels(alone, "x_{n} W_Q \"alone\"", style.ROLE["query"])
        batch_names = self.sample_labels(self.Q, "(X W_Q)_{n} \"batched\"", style.ROLE["query"])
        self.say("Now the same layer on each sample alone: {N} calls, one arrow each, all from this W_Q.",
                 N=b.dim("X", 0))
        self.play(FadeOut(self.arrows), FadeOut(self.formula), ReplacementTransform(self.Q_names, batch_names),
                  run_time=0.6)
        for n in range(self.N):
            arrow = self.call_arrow(self.X_names[n])
            self.play(Create(arrow), run_time=0.4)
            self.play(ReplacementTransform(self.X[n], alone[n]), ReplacementTransform(self.X_names[n], alone_names[n]),
                      FadeOut(arrow), run_time=0.8)
        self.hold_caption()
        rows = VGroup(alone, alone_names, self.Q, batch_names)
        diffs = VGroup(*(VGroup(self.math("max |Delta| =", color=style.DIFFERENCE), self.gap((0, n)))
                         .arrange(RIGHT, buff=0.12).next_to(q, DOWN, buff=0.2) for n, q in enumerate(self.Q)))
        # W_Q has done its part: the two rows move up to the middle of the stage, with room for the gaps below
        up = style.STAGE.centre[1] - VGroup(rows, diffs).get_y()
        diffs.shift(UP * up)
        self.play(FadeOut(VGroup(self.W, self.W_name, self.X_title)), rows.animate.shift(UP * up), run_time=0.6)
        self.say("Each call alone against its slice of the batched result: the largest difference is {m}.",
                 m=b.value("max_diff", (), 2, "g"))
        self.play(LaggedStart(*(FadeIn(d, shift=UP * 0.2) for d in diffs), lag_ratio=0.2), run_time=1.2)
        self.clear_stage()

    def three(self) -> None:
        self.beat("The key and value weights likewise")
        b = self.b
        rows = VGroup()
        for i, (name, _) in enumerate(WEIGHTS):
            m = self.mat(name)
            label = self.weight_name(name).next_to(m, LEFT, buff=0.3)
            gaps = VGroup(*(self.gap((i, n)) for n in range(self.N))).arrange(RIGHT, buff=1.0)
            gaps.next_to(m, RIGHT, buff=1.4)
            rows.add(VGroup(label, m, gaps))
        rows.arrange(DOWN, buff=0.35, aligned_edge=LEFT)
        for row in rows[1:]:
            row[2].align_to(rows[0][2], LEFT)
        heads = VGroup(*(self.math("x_{n}", color=style.ROLE["input"], n=b.index("X", 0, n))
                         .next_to(rows[0][2][n], UP, buff=0.35) for n in range(self.N)))
        title = self.prose("max $|$alone $-$ batched$|$ per sample", color=style.DIFFERENCE)
        title.next_to(heads, UP, buff=0.2).align_to(rows[0][2], LEFT)
        weights_title = style.note("random $d times d$ weights", color=style.MUTED)
        weights_title.next_to(rows[0][1], UP, buff=0.3).align_to(title, DOWN).align_to(rows[0][1], RIGHT)
        style.STAGE.place(VGroup(rows, heads, title, weights_title))
        self.say("The same test for the key and value weights W_K and W_V: each sample alone against the batch.")
        self.play(FadeIn(weights_title), LaggedStart(*(FadeIn(r[:2]) for r in rows), lag_ratio=0.3),
                  FadeIn(title), FadeIn(heads), run_time=1.2)
        if self.same:
            self.say("Every sample, every weight: a difference of exactly {m}. The batch changes nothing.",
                     m=b.value("max_diff", (), 2, "g"))
        else:
            self.say("Every sample, every weight: at most {m}, float32 rounding only, not another weight.",
                     m=b.value("max_diff", (), 2, "g"))
        self.play(LaggedStart(*(FadeIn(g, shift=LEFT * 0.2) for r in rows for g in r[2]), lag_ratio=0.08),
                  run_time=1.6)
        self.clear_stage()

    def pointers(self) -> None:
        self.beat("The same weight in every call")
        b = self.b
        W = self.mat("W_Q")
        name = VGroup(self.weight_name("W_Q"),
                      self.prose("lives at {p}", color=style.TEXT, p=b.string("addr_before")))
        name.arrange(DOWN, buff=0.15)
        calls = VGroup(VGroup(style.note("`layer(X)`"),
                              self.prose("{p}", color=style.TEXT, p=b.string("addr_batch"))))
        for n in range(self.N):
            call = self.prose("`layer(`$x_{n}$`)`", n=b.index("X", 0, n))
            calls.add(VGroup(call, self.prose("{p}", color=style.TEXT, p=b.string(f"addr_{n + 1}"))))
        for c in calls:
            c.arrange(RIGHT, buff=0.4)
        calls.arrange(DOWN, buff=0.5, aligned_edge=RIGHT)
        head = style.note("address of the weight each call used (its last hex digits)", color=style.MUTED)
        head.next_to(calls, UP, buff=0.3).align_to(calls, RIGHT)
        right = VGroup(name, W).arrange(DOWN, buff=0.3)
        right.next_to(calls, RIGHT, buff=2.0)
        verdict = VGroup(*(self.prose(f"${w}$: every call's `w is layer.weight` → {{s}}", color=style.TEXT,
                                      s=b.string(f"same_{k}")) for w, k in WEIGHTS))
        verdict.arrange(DOWN, buff=0.25, aligned_edge=LEFT)
        verdict.next_to(VGroup(calls, right), DOWN, buff=0.6)
        style.STAGE.place(VGroup(head, calls, right, verdict))
        left = W.get_left()[0] - 0.35  # clear of W_Q's bracket
        ends = [[left, W.get_top()[1] - W.height * (k + 0.5) / len(calls), 0] for k in range(len(calls))]
        arrows = VGroup(*(Arrow(c.get_right(), end, buff=0.15, color=style.MUTED, stroke_width=3,
                                tip_length=0.16, max_tip_length_to_length_ratio=0.1) for c, end in zip(calls, ends)))
        self.say("A hook on the layer recorded the weight every call used, and where it lives in memory.")
        self.play(FadeIn(right), FadeIn(head), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(c[0]) for c in calls), lag_ratio=0.15),
                  LaggedStart(*(Create(a) for a in arrows), lag_ratio=0.15), run_time=1.6)
        self.say("The batched call and all {N} single calls: one address, the address of the one W_Q.",
                 N=b.dim("ptr", 0))
        self.play(LaggedStart(*(FadeIn(c[1], shift=RIGHT * 0.2) for c in calls), lag_ratio=0.15), run_time=1.2)
        column = glyph_box([c[1] for c in calls], style.TEXT, buff=0.12).set_stroke(width=2)
        self.play(Create(column), run_time=0.6)
        self.say("Python agrees, for W_Q, W_K and W_V: every call saw the very same weight object.")
        self.play(LaggedStart(*(FadeIn(v) for v in verdict), lag_ratio=0.3), run_time=1.2)
        self.clear_stage()

    def gradient(self) -> None:
        self.beat("Training updates the one weight")
        b = self.b
        N = self.N
        G = VGroup(*(self.mat("grad_each", (n,)) for n in range(N))).arrange(RIGHT, buff=ROW_GAP)
        losses = VGroup(*(self.math("L_{n} = {l}", n=b.index("X", 0, n), l=b.value("loss_each", (n,)))
                          .next_to(g, UP, buff=0.15) for n, g in enumerate(G)))
        rule = self.prose("$L_n$: mean squared error of sample $n$'s output $x_n W_Q$ against a random target $y_n$",
                          color=style.MUTED)
        rule.next_to(losses, UP, buff=0.25)
        shares = VGroup(*(self.math("G_{n} = partial (L_{n} \\/ {N}) \\/ partial W_Q", color=style.ROLE["gradient"],
                                    n=b.index("X", 0, n), N=b.dim("X", 0)) for n in range(N)))
        for s, g in zip(shares, G):
            s.next_to(g, DOWN, buff=0.12)
        W = self.mat("W_Q")
        new = self.mat("W_Q_new")
        total = self.mat("grad")
        minus = self.math("-", style.LABEL_SIZE)
        lr = self.math("{lr} times", style.LABEL_SIZE, lr=b.value("lr", (), 1))
        update = VGroup(W, minus, lr, total).arrange(RIGHT, buff=0.3)
        w_name = self.weight_name("W_Q", style.NOTE_SIZE).next_to(W, UP, buff=0.15)
        g_name = self.math("G = G_{one} + dots.c + G_{N}", color=style.ROLE["gradient"], one=b.index("X", 0, 0),
                           N=b.dim("X", 0)).next_to(total, UP, buff=0.15)
        # one entry of G, term by term, in three decimals (the matrices round to two)
        r, c = 0, min(1, self.result.config.d_model - 1)
        terms: list = []
        for n in range(N):
            term = self.b.number(b.value("grad_each", (n, r, c), 3), style.NUMBER_SIZE, color=style.ROLE["gradient"])
            if n and float(b.tensors["grad_each"][n, r, c]) < 0:  # "+ (-0.029)", never "+ -0.029"
                term = VGroup(self.math("("), term, self.math(")")).arrange(RIGHT, buff=0.04)
            terms += ([self.math("+")] if n else []) + [term]
        entry = self.b.number(b.value("grad", (r, c), 3), style.NUMBER_SIZE, color=style.ROLE["gradient"])
        work = VGroup(
            self.prose("row {r}, column {c} of $G$:", color=style.MUTED, r=b.index("grad", 0, r), c=b.index("grad", 1, c)),
            VGroup(*terms).arrange(RIGHT, buff=0.12),
            VGroup(self.math("="), entry, style.note("(sum of unrounded values)", color=style.MUTED)).arrange(RIGHT, buff=0.15),
            self.prose("$max |G - sum_n G_n|$ = {d}", color=style.DIFFERENCE, d=b.value("grad_gap", (), 2, "g")),
        ).arrange(DOWN, buff=0.18, aligned_edge=LEFT)
        work.next_to(update, RIGHT, buff=0.6).align_to(update, DOWN)
        upd = VGroup(update, w_name, g_name, work)
        upd.next_to(G, DOWN, buff=0.9).set_x(G.get_x())
        mean = self.math("\"batch loss\" = (L_{one} + dots.c + L_{N}) \\/ {N} = {a}", one=b.index("X", 0, 0),
                         N=b.dim("X", 0), a=b.value("loss", ()))
        mean.next_to(losses, UP, buff=0.25).align_to(G, LEFT)
        rule.next_to(mean, UP, buff=0.2).align_to(G, LEFT)
        ptr = self.prose("$W_Q$ updated in place: still at {a}, the address it had before the step ({z})",
                         style.NOTE_SIZE, style.TEXT, a=b.string("addr_after"), z=b.string("addr_before"))
        ptr.next_to(upd, DOWN, buff=0.3).align_to(G, LEFT)
        style.STAGE.place(VGroup(rule, mean, G, losses, shares, upd, ptr))
        self.say("Training: each sample's output x_n W_Q is compared with a random target y_n: one loss per sample,"
                 " {l1} for sample {one}, ..., {lN} for sample {N}.", one=b.index("X", 0, 0),
                 l1=b.value("loss_each", (0,)), lN=b.value("loss_each", (N - 1,)), N=b.dim("X", 0))
        self.play(FadeIn(rule), LaggedStart(*(FadeIn(x) for x in losses), lag_ratio=0.2), run_time=1.4)
        self.say("The batch loss is their mean, {a}. Backward from it, each sample adds its share G_n, the gradient"
                 " of L_n / {N} with respect to W_Q.", a=b.value("loss", ()), N=b.dim("X", 0))
        self.play(self.flow(losses, mean), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(VGroup(g, n), shift=DOWN * 0.3) for g, n in zip(G, shares)), lag_ratio=0.2),
                  run_time=1.6)
        self.hold_caption()
        self.say("Autograd adds the {N} shares into one gradient G, entry by entry: in row {r}, column {c},"
                 " {g} in all.", N=b.dim("X", 0), r=b.index("grad", 0, r), c=b.index("grad", 1, c),
                 g=b.value("grad", (r, c), 3))
        self.play(FadeIn(w_name), FadeIn(W), FadeIn(g_name), Create(total.brackets), run_time=0.6)
        for n in range(N):  # one sample's share at a time flies down into its terms
            self.combine([(G[n].entry(r, c), terms[2 * n])], *([FadeIn(terms[2 * n - 1])] if n else []),
                         *([] if n else [FadeIn(work[0])]), run_time=0.6)
        self.play(FadeIn(work[2][0]), FadeIn(work[2][2]), run_time=0.3)
        self.combine([(VGroup(*terms), entry)], run_time=0.7)
        self.combine([(VGroup(*(g.entry(i, j) for g in G)), total.entry(i, j))
                      for i in range(total.n_rows) for j in range(total.n_cols)], lag_ratio=0.08, run_time=1.6)
        self.settle(total)
        self.hold_caption()
        self.say_gap("grad_gap", "And G is exactly the sum of the shares: the largest difference is {d}.",
                     "And G is the sum of the shares up to float32 rounding: the largest difference is {d}.")
        self.play(FadeIn(work[3], shift=UP * 0.2), run_time=0.6)
        self.hold_caption()
        self.say("One SGD step, learning rate {lr}: each entry of the one W_Q moves against G, where it stands.",
                 lr=b.value("lr", (), 1))
        self.play(FadeIn(minus), FadeIn(lr), run_time=0.5)
        new.move_to(W)
        self.remove(W)
        self.add(W.brackets, W.entries)
        self.combine([(VGroup(W.entry(i, j), total.entry(i, j)), new.entry(i, j))
                      for i in range(W.n_rows) for j in range(W.n_cols)],
                     FadeOut(W.entries), lag_ratio=0.08, run_time=2.0)
        self.remove(W.brackets, *W.entries)
        self.add(new)
        self.play(FadeIn(ptr, shift=UP * 0.2), run_time=0.6)
        self.hold_caption()
        after = VGroup(*(self.math("-> {l}", l=b.value("loss_each_new", (n,))).next_to(x, RIGHT, buff=0.1)
                         for n, x in enumerate(losses)))
        mean_after = self.math("-> {z}", z=b.value("loss_new", ())).next_to(mean, RIGHT, buff=0.15)
        fell = bool((b.tensors["loss_each_new"] < b.tensors["loss_each"]).all())
        self.say(("Every sample's loss went down" if fell else "The batch loss went down") +
                 ": {a} on average, now {z}.", a=b.value("loss", ()), z=b.value("loss_new", ()))
        self.play(FadeIn(mean_after, shift=RIGHT * 0.2),
                  LaggedStart(*(FadeIn(a, shift=RIGHT * 0.2) for a in after), lag_ratio=0.2), run_time=1.6)
        self.clear_stage()

    def count_panels(self) -> tuple[VGroup, VGroup, VGroup]:
        """Return the shared and per-sample parameter panels and the real-scale line, laid out."""
        b = self.b
        # the weights as they stand now: W_Q after the step just taken, W_K and W_V untouched by it
        current = (("W_Q_new", "W_Q \"after the step\""), ("W_K", "W_K"), ("W_V", "W_V"))
        shared = VGroup(*(VGroup(self.mat(t)) for t, _ in current)).arrange(RIGHT, buff=0.5)
        for m, (_, n) in zip(shared, current):
            m.add(self.weight_name(n, style.NOTE_SIZE).next_to(m, UP, buff=0.12))
        shared_sum = self.math("{a} + {b} + {c} = {s}", style.TITLE_SIZE, a=b.value("numel", (0,), 0),
                               b=b.value("numel", (1,), 0), c=b.value("numel", (2,), 0), s=b.value("n_shared", (), 0))
        own_sum = self.math("{N} times {s} = {p}", style.TITLE_SIZE, N=b.dim("X", 0), s=b.value("n_shared", (), 0),
                            p=b.value("n_per_sample", (), 0))
        left = VGroup(style.note("shared: one $W_Q$, $W_K$, $W_V$", size=style.LABEL_SIZE), shared_sum)
        right = VGroup(style.note("one set per sample (hypothetical)", size=style.LABEL_SIZE), own_sum)
        for panel in (left, right):
            panel.arrange(DOWN, buff=0.35)
        VGroup(left, right).arrange(RIGHT, buff=1.4, aligned_edge=UP)
        big = VGroup(
            self.prose("at real size, $d = {d}$ and a batch of {N}:", style.LABEL_SIZE, style.MUTED,
                       d=b.value("big_d", (), 0), N=b.value("big_batch", (), 0)),
            self.prose("{s} shared, {p} if every sample had its own", style.LABEL_SIZE,
                       s=b.value("big_shared", (), 0, "n"), p=b.value("big_per_sample", (), 0, "n")),
            style.note("a new sample at test time: the shared weights serve it, a per-sample set has none for it",
                       color=style.TEXT),
        ).arrange(DOWN, buff=0.15)
        shared.next_to(VGroup(left, right), UP, buff=0.5)
        big.next_to(VGroup(left, right), DOWN, buff=0.5)
        style.STAGE.place(VGroup(shared, left, right, big))
        return VGroup(shared, left), right, big

    def counts(self) -> None:
        self.beat("Counting parameters")
        b = self.b
        left, right, big = self.count_panels()
        self.say("W_Q as the step left it; W_K and W_V unchanged, as that loss used only W_Q. Together they hold {s}"
                 " numbers; one set per sample would need {p}.", s=b.value("n_shared", (), 0),
                 p=b.value("n_per_sample", (), 0))
        self.play(FadeIn(left[0]), run_time=0.8)
        self.play(FadeIn(left[1]), run_time=0.8)
        self.play(FadeIn(right[0]), FadeIn(right[1], shift=RIGHT * 0.3), run_time=1.2)
        self.say("At d = {d} with a batch of {N}: {p} instead of {s}.",
                 d=b.value("big_d", (), 0), N=b.value("big_batch", (), 0), p=b.value("big_per_sample", (), 0, "n"),
                 s=b.value("big_shared", (), 0, "n"))
        self.play(FadeIn(big[0], shift=UP * 0.2), run_time=0.8)
        self.play(FadeIn(big[1], shift=UP * 0.2), run_time=0.8)
        self.hold_caption()
        self.say("And with one set per sample, a new sample at test time would have no weights at all.")
        self.play(FadeIn(big[2], shift=UP * 0.2), run_time=0.8)
        self.clear_stage()

    def recap(self) -> None:
        """The closing beat; its second line says how exactly torch found the two ways equal."""
        how = "exactly" if self.same else "up to float32 rounding"
        self.summarise(
            self.recap_caption,
            "One $W_Q$, $W_K$, $W_V$ for the whole batch, not one per sample.",
            f"$X W_Q$ on $(N, T, d)$ gives each sample {how} what it gets alone.",
            "Every call reads the same weight object: the parameters do not grow with $N$.",
            "A step adds every sample's gradient and updates that one weight in place.",
        )


__all__ = ["SharingLecture"]
