"""Lecture `batches`: N samples in batches are N / B updates of one weight, not N / B weights."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Group, LaggedStart, Mobject, Rectangle, VGroup

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, label_columns, label_rows
from scenes.kit.plot import Plane
from tensors.batches import train_epoch

WEIGHT = style.ROLE["W"]
DATA = style.ROLE["E"]
LOSS = style.ROLE["K"]
GRAD = style.ROLE["V"]
IDENT = style.ROLE["Q"]
SMALL = "#ffa657"  # the small-batch run
LARGE = "#79c0ff"  # the large-batch run
BATCHES = [*style.HEADS, "#d2a8ff", "#9be9a8"]  # one colour per batch, up to ten
SIZE = style.NUMBER_SIZE  # font of the table numbers and their labels
CELL = (0.9, 0.4)


def batch_color(k: int) -> str:
    """Return the colour of batch k (0-based)."""
    return BATCHES[k % len(BATCHES)]


class StepTable(VGroup):
    """One run's first epoch, a row per step: step, weight entries, batch loss, data_ptr and id."""

    def __init__(self, lecture: BatchesLecture, run: str) -> None:
        super().__init__()
        b = lecture.b
        self.W = lecture.matrix(f"W_{run}", color=WEIGHT, size=SIZE, cell=CELL, brackets=False)
        self.loss = lecture.matrix(f"loss_{run}", color=LOSS, size=SIZE, cell=CELL, brackets=False)
        self.ptr = lecture.matrix(f"ptr_{run}", color=IDENT, decimals=0, size=SIZE,
                                              cell=(lecture.number_width(f"ptr_{run}"), CELL[1]), brackets=False)
        self.ident = lecture.matrix(f"id_{run}", color=IDENT, decimals=0, size=SIZE,
                                                cell=(lecture.number_width(f"id_{run}"), CELL[1]), brackets=False)
        self.loss.next_to(self.W, RIGHT, buff=0.25).align_to(self.W, UP).shift(DOWN * CELL[1])  # from step 1
        self.ptr.next_to(self.loss, RIGHT, buff=0.2).align_to(self.W, UP)
        self.ident.next_to(self.ptr, RIGHT, buff=0.3).align_to(self.W, UP)
        self.steps = label_rows(self.W, [b.text("{s}", font_size=SIZE, s=b.index(f"W_{run}", 0, s, base=0))
                                         .set_color(style.MUTED) for s in range(self.W.n_rows)], buff=0.25)
        names = label_columns(self.W, [lecture.flat_entry_name(c) for c in range(self.W.n_cols)], buff=0.22)
        self.heads = VGroup(*names)
        for text, col in (("step", self.steps), ("batch loss", self.loss), ("`w.data_ptr()`", self.ptr),
                          ("`id(w)`", self.ident)):
            self.heads.add(style.note(text, size=SIZE - 1, color=style.MUTED).move_to(col).set_y(names.get_y()))
        self.add(self.heads, self.steps, self.W, self.loss, self.ptr, self.ident)

    def row(self, s: int) -> VGroup:
        """Return the mobjects of row s (row 0: before training, no loss)."""
        parts = VGroup(self.steps[s], self.W.row(s), self.ptr.row(s), self.ident.row(s))
        if s > 0:
            parts.add(self.loss.row(s - 1))
        return parts


class BatchesLecture(LectureScene):
    """One weight tensor, trained on batches: the updates counted, the identity kept, the gradients summed."""

    question = "{N} samples, batches of {B}: {S} different weights?"
    question_caption = "{N} samples, trained in batches of {B}. Does each batch get its own weight?"
    recap_lines = (
        "Batches set how often the one weight is updated, not how many weights there are.",
        "Every step edits the same tensor in place: same address, same id.",
        "Summing batch gradients weighted by $B slash N$ gives the full-batch gradient.",
        "After training the weights stay fixed and are shared by all samples, old and new.",
    )
    recap_caption = ("Training leaves one weight tensor for the whole dataset; afterwards it stays fixed and serves"
                     " every sample.")
    beats = ("intro", "dataset", "loop", "steps", "large", "accumulate", "epochs", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def cols(self) -> int:
        """Columns of the weight."""
        return int(self.b.tensors["W0"].shape[1])

    def flat_entry_name(self, k: int) -> Mobject:
        """Return 'w_(r,c)' (1-based) for entry k of the row-major flattened weight."""
        b = self.b
        return self.math("w_({r},{c})", SIZE, WEIGHT, r=b.index("W0", 0, k // self.cols), c=b.index("W0", 1, k % self.cols))

    def number_width(self, name: str, decimals: int = 0) -> float:
        """Return a cell width that holds the widest entry of a tensor (e.g. a 14-digit address)."""
        b = self.b
        shape = tuple(b.tensors[name].shape)
        return max(b.number(b.value(name, i, decimals), SIZE).width for i in np.ndindex(*shape)) + 0.3

    def play_table(self, table: StepTable, run_time: float) -> None:
        """Fade the header and row 0 in, then the update rows one after another."""
        self.play(FadeIn(table.heads), FadeIn(table.row(0)), run_time=0.6)
        rows = [FadeIn(table.row(s), shift=DOWN * 0.1) for s in range(1, table.W.n_rows)]
        self.play(LaggedStart(*rows, lag_ratio=0.6), run_time=run_time)

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, its numbers counted by the loader."""
        b = self.b
        N, B = b.dim("X", 0), b.dim("order_small", 2)
        title = self.prose(self.question, style.TITLE_SIZE, N=N, B=B, S=b.value("steps_small", (), decimals=0))
        self.ask(self.question_caption, title, N=N, B=B)

    def dataset(self) -> None:
        self.beat("The dataset, cut into batches")
        b = self.b
        N, S = b.dim("X", 0), b.value("steps_small", (), decimals=0)
        heat = b.heatmap("X_cols", "X_absmax", height=0.2 * self.cols + 0.15)
        heat.stretch_to_fit_width(min(11.0, 0.26 * b.tensors["X_cols"].shape[1]))
        heat_name = style.note("$X$: one column per sample", size=style.NOTE_SIZE - 2, color=DATA)
        strip = self.batch_strip(heat, "order_small")
        order = self.order_matrix("order_small")
        count = VGroup(
            self.prose("the loader yields {S} batches per epoch", S=S),
            self.prose("{S} optimizer steps of one weight $W$", color=WEIGHT, S=S),
            self.prose("$W$ is {r} × {c}, shared by all {N} samples", color=WEIGHT, r=b.dim("W0", 0),
                       c=b.dim("W0", 1), N=N),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        top = Group(Group(heat_name, heat).arrange(RIGHT, buff=0.3), strip).arrange(DOWN, buff=0.25)
        strip.next_to(heat, DOWN, buff=0.06).align_to(heat, LEFT)
        bottom = VGroup(order, count).arrange(RIGHT, buff=1.0, aligned_edge=UP)
        style.STAGE.place(Group(top, bottom).arrange(DOWN, buff=0.35))
        self.say("A seeded DataLoader shuffles the samples and deals them out; each row is one batch.")
        self.play(FadeIn(heat), FadeIn(heat_name))
        self.play(LaggedStart(*(FadeIn(VGroup(order.labels[k], order.row(k), strip[k])) for k in range(order.n_rows)),
                              lag_ratio=0.3), run_time=2.0)
        self.say("The loader counts {S} batches per epoch: {S} updates of one weight, not {S} weights.", S=S)
        self.play(FadeIn(count, shift=UP * 0.2))
        self.wait(1.0)
        self.clear_stage()

    def order_matrix(self, name: str) -> TensorMatrix:
        """Return the first epoch's batches as rows of sample indices, each row in its batch colour."""
        b = self.b
        m = self.matrix(name, (0,), decimals=0, size=SIZE, cell=(0.5, CELL[1]), brackets=False)
        for k in range(m.n_rows):
            m.row(k).set_color(batch_color(k))
        m.labels = label_rows(m, [b.text("batch {k}", font_size=SIZE - 1, k=b.index(name, 1, k)).set_color(batch_color(k))
                                  for k in range(m.n_rows)])
        m.add(m.labels)
        return m

    def batch_strip(self, heat: Mobject, name: str) -> VGroup:
        """Return one coloured square under each heatmap column, grouped by the batch its sample fell in."""
        order = self.b.tensors[name][0]  # (S, B) sample indices of the first epoch
        n = int(self.b.tensors["X_cols"].shape[1])
        w = heat.width / n
        strip = VGroup()
        for k, batch in enumerate(order.tolist()):
            squares = VGroup(*(Rectangle(width=w * 0.8, height=0.14, stroke_width=0, fill_color=batch_color(k),
                                         fill_opacity=1.0).move_to(RIGHT * (j + 0.5) * w) for j in batch))
            strip.add(squares)
        strip.add(Rectangle(width=heat.width, height=0.01, stroke_width=0).move_to(RIGHT * heat.width / 2))  # full span
        return strip

    def loop(self) -> None:
        self.beat("A real training loop")
        b = self.b
        code = self.listing(train_epoch)
        W0 = self.matrix("W0", color=WEIGHT)
        W0_name = style.note("`model.weight` before training", size=style.NOTE_SIZE - 2, color=WEIGHT)
        model = VGroup(
            self.prose("`nn.Linear({i}, {o}, bias=False)`", i=b.dim("W0", 1), o=b.dim("W0", 0)),
            self.prose("`torch.optim.SGD`, lr = {lr}", lr=b.value("lr", ())),
            style.note("loss: mean squared error"),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        right = VGroup(model, VGroup(W0_name, W0).arrange(DOWN, buff=0.2, aligned_edge=LEFT)).arrange(
            DOWN, buff=0.5, aligned_edge=LEFT)
        style.STAGE.place(VGroup(code, right).arrange(RIGHT, buff=0.6, aligned_edge=UP))
        record = self.code_line_box(code, 10)  # steps.append(Step(...)): the record of every step
        self.say("This function trained the model; every number that follows was recorded by it.")
        self.play(FadeIn(code), run_time=0.8)
        self.play(FadeIn(record), run_time=0.4)
        step = self.code_line_box(code, 8)  # opt.step(): the in-place update
        self.say("The model has one weight tensor, {r} by {c}. Each batch: forward, backward, and one SGD step that edits it in place.",
                 r=b.dim("W0", 0), c=b.dim("W0", 1))
        self.play(FadeOut(record), FadeIn(step), FadeIn(model), FadeIn(W0_name), FadeIn(W0))
        self.wait(1.0)
        self.clear_stage()

    def steps(self) -> None:
        self.beat("Every step updates the same weight")
        b = self.b
        table = StepTable(self, "small")
        verdict = self.prose("`model.weight` is the same object after every step: {same}", color=IDENT,
                             same=b.string("same_small"))
        style.STAGE.place(VGroup(table, verdict).arrange(DOWN, buff=0.2))
        self.say("Row {z} is the starting weight. Each later row is one batch of {B}: its loss, then the weight after the step.",
                 z=b.index("W_small", 0, 0, base=0), B=b.dim("order_small", 2))
        self.play_table(table, run_time=1.8)
        self.wait(0.5)
        boxes = VGroup(table.ptr.box(color=IDENT, buff=0.12), table.ident.box(color=IDENT, buff=0.12))
        self.say("The values change at every step; the storage address and the Python id never do.")
        self.play(Create(boxes))
        self.say("Python's own identity test agrees: {same}.", same=b.string("same_small"))
        self.play(FadeIn(verdict))
        self.wait(0.5)
        self.clear_stage()

    def large(self) -> None:
        self.beat("Larger batches: fewer updates")
        b = self.b
        table = StepTable(self, "large")
        K, C, N = b.value("steps_large", (), decimals=0), b.dim("order_large", 2), b.dim("X", 0)
        verdict = self.prose("{K} steps of batch {C}, the same object throughout: {same}", color=IDENT, K=K, C=C,
                             same=b.string("same_large"))
        style.STAGE.place(VGroup(table, verdict).arrange(DOWN, buff=0.35))
        self.say("Batches of {C}: the same {N} samples make {K} batches, so {K} updates per epoch.", C=C, N=N, K=K)
        self.play_table(table, run_time=1.2)
        self.say("Again one tensor throughout. The batch size sets how often it is updated, not how many there are.")
        self.play(FadeIn(verdict))
        self.wait(0.5)
        self.clear_stage()

    def accumulate(self) -> None:
        self.beat("Accumulated gradients equal the full batch")
        b = self.b
        per, acc, full = (self.matrix(name, color=color, size=SIZE, cell=CELL, brackets=False)
                          for name, color in (("grad_batches", GRAD), ("grad_accum", GRAD), ("grad_full", LOSS)))
        acc.next_to(per, DOWN, buff=0.3).align_to(per, LEFT)
        full.next_to(acc, DOWN, buff=0.1).align_to(per, LEFT)
        labels = label_rows(per, [self.prose("batch {k}: $g_{k}$", SIZE, batch_color(k), k=b.index("grad_batches", 0, k))
                                  for k in range(per.n_rows)], buff=0.25)
        acc_label = label_rows(acc, [self.prose("$sum_k g_k dot$ {s}  (`.grad`)", SIZE, GRAD,
                                                s=b.value("accum_scale", ()))], buff=0.25)
        full_label = label_rows(full, [style.note("full batch", size=SIZE, color=LOSS)], buff=0.25)
        heads = label_columns(per, [self.flat_entry_name(c) for c in range(per.n_cols)], buff=0.1)
        rule = Rectangle(width=per.width + 0.2, height=0.01, stroke_color=style.MUTED, stroke_width=1.5)
        rule.move_to(per).set_y((per.get_bottom()[1] + acc.get_top()[1]) / 2)
        diff = self.prose("largest difference, max $|$`.grad` − full$|$ = {d}", d=b.value("grad_diff", (), 2, "g"))
        exact = float(b.tensors["grad_diff"]) == 0.0
        verdict = style.note("exactly zero" if exact else "float32 rounding: the same sum, added in another order",
                             size=style.NOTE_SIZE - 2, color=style.MUTED)
        table = VGroup(heads, labels, per, rule, acc_label, acc, full_label, full)
        style.STAGE.place(VGroup(table, VGroup(diff, verdict).arrange(DOWN, buff=0.12)).arrange(DOWN, buff=0.4))
        self.say("Or step only once: at the starting weight, take each batch's mean-loss gradient, one row per batch of {C}.",
                 C=b.dim("order_accum", 1))
        self.play(FadeIn(heads), LaggedStart(*(FadeIn(VGroup(labels[k], per.row(k))) for k in range(per.n_rows)),
                                             lag_ratio=0.3), run_time=1.2)
        self.say("Weight each by B/N = {s} and add: backward on every scaled loss, without zeroing, sums them in .grad.",
                 s=b.value("accum_scale", ()))
        self.play(Create(rule), FadeIn(acc_label), FadeIn(acc))
        self.wait(1.0)
        if exact:
            self.say("The gradient of the mean loss over all {N} samples is the same: torch reports a difference of exactly {d}.",
                     N=b.dim("X", 0), d=b.value("grad_diff", (), 2, "g"))
        else:
            self.say("That is the gradient over all {N} samples: torch reports a largest difference of {d}, float32 rounding.",
                     N=b.dim("X", 0), d=b.value("grad_diff", (), 2, "g"))
        self.play(FadeIn(full_label), FadeIn(full))
        self.play(FadeIn(diff), FadeIn(verdict))
        self.wait(1.0)
        self.clear_stage()

    def epochs(self) -> None:
        self.beat("A few epochs: the loss goes down")
        b = self.b
        n = int(b.tensors["epoch"].shape[0])
        top = max(float(b.tensors["epoch_loss_small"].max()), float(b.tensors["epoch_loss_large"].max()))
        plane = Plane(b, (0.0, float(n - 1) + 0.1), (0.0, top * 1.12), width=9.0, height=4.2)
        xs = [b.value("epoch", (e,), decimals=0) for e in range(n)]
        marks = VGroup()
        ends = VGroup()
        for run, color in (("small", SMALL), ("large", LARGE)):
            ys = [b.value(f"epoch_loss_{run}", (e,)) for e in range(n)]
            marks.add(plane.curve(xs, ys, color=color), *(plane.dot(x, y, color=color) for x, y in zip(xs, ys)))
            end = b.number(ys[-1], SIZE, color=color)
            ends.add(end.next_to(plane.to_screen(float(n - 1), b.exact(ys[-1])), RIGHT, buff=0.3))
        ends[1].shift(UP * max(0.0, ends[0].get_top()[1] + 0.05 - ends[1].get_bottom()[1]))
        ticks = VGroup(*(plane.tick(x, "x", font_size=SIZE - 1) for x in xs),
                       plane.tick(b.value("epoch_loss_small", (0,)), "y", font_size=SIZE - 1))
        x_name = style.note("epoch", size=SIZE, color=style.MUTED).next_to(VGroup(*ticks[:n]), DOWN, buff=0.15)
        y_name = style.note("mean loss over all samples", size=SIZE, color=style.MUTED)
        y_name.next_to(plane.to_screen(0.0, top * 1.12), RIGHT, buff=0.15)
        legend = VGroup(
            self.prose("batch {B}: {S} updates per epoch", SIZE, SMALL, B=b.dim("order_small", 2),
                       S=b.value("steps_small", (), decimals=0)),
            self.prose("batch {C}: {K} updates per epoch", SIZE, LARGE, C=b.dim("order_large", 2),
                       K=b.value("steps_large", (), decimals=0)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        legend.next_to(plane.to_screen(float(n - 1) * 0.45, top * 1.05), RIGHT, buff=0.0)
        style.STAGE.place(VGroup(plane, marks, ticks, x_name, y_name, ends, legend))
        self.say("After each epoch, the loss over all {N} samples. Both runs start from the same weight.", N=b.dim("X", 0))
        self.play(Create(plane.axes), FadeIn(ticks), FadeIn(x_name), FadeIn(y_name), FadeIn(legend))
        self.play(Create(marks[0]), FadeIn(VGroup(*marks[1:n + 1])), Create(marks[n + 1]), FadeIn(VGroup(*marks[n + 2:])),
                  run_time=1.8)
        self.say("From {a} down to {s} with batches of {B}, to {l} with batches of {C}: more updates, more progress per epoch.",
                 a=b.value("epoch_loss_small", (0,)), s=b.value("epoch_loss_small", (n - 1,)), B=b.dim("order_small", 2),
                 l=b.value("epoch_loss_large", (n - 1,)), C=b.dim("order_large", 2))
        self.play(FadeIn(ends))
        self.wait(1.0)
        self.clear_stage()

    def recap(self) -> None:
        """The recap bullets under the trained weight itself."""
        weight = VGroup(
            self.prose("`model.weight` after {E} epochs: fixed, used for every sample", color=WEIGHT,
                       E=self.b.dim("order_small", 0)),
            self.matrix("weight_small", color=WEIGHT),
        ).arrange(DOWN, buff=0.25)
        self.summarise(self.recap_caption, weight, *self.recap_lines, chapter="One set of weights for the whole dataset")
