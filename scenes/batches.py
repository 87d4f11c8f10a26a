"""Lecture `batches`: N samples in batches are N / B updates of one weight, not N / B weights."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    Group,
    LaggedStart,
    Mobject,
    Rectangle,
    SurroundingRectangle,
    VGroup,
    VMobject,
    Write,
)

from scenes.kit import style
from scenes.kit.binding import Binding
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix
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
SIZE = 22  # font of the table numbers
CELL = (0.9, 0.4)


def batch_color(k: int) -> str:
    """Return the colour of batch k (0-based)."""
    return BATCHES[k % len(BATCHES)]


def column(b: Binding, name: str, color: str, decimals: int = 2, width: float = CELL[0]) -> TensorMatrix:
    """Return an (n, 1) or (n, m) tensor as table cells without brackets, tinted one colour.

    candidate for a shared helper: a TensorMatrix drawn as table columns (no brackets, coloured glyphs).
    """
    m = TensorMatrix(b, name, decimals=decimals, font_size=SIZE, cell=(width, CELL[1]), color=color)
    m.entries.set_color(color)  # the glyphs ignore the color argument
    m.remove(m.brackets)
    return m


def number_width(b: Binding, name: str, decimals: int = 0) -> float:
    """Return a cell width that holds the widest entry of a tensor (e.g. a 14-digit address)."""
    shape = tuple(b.tensors[name].shape)
    return max(b.number(b.value(name, i, decimals), SIZE).width for i in np.ndindex(*shape)) + 0.3


class StepTable(VGroup):
    """One run's first epoch, a row per step: step, weight entries, batch loss, data_ptr and id."""

    def __init__(self, b: Binding, run: str, entry_name: Callable[[int], VMobject]) -> None:
        super().__init__()
        self.W = column(b, f"W_{run}", WEIGHT)
        self.loss = column(b, f"loss_{run}", LOSS)
        self.ptr = column(b, f"ptr_{run}", IDENT, 0, number_width(b, f"ptr_{run}"))
        self.ident = column(b, f"id_{run}", IDENT, 0, number_width(b, f"id_{run}"))
        self.loss.next_to(self.W, RIGHT, buff=0.25).align_to(self.W, UP).shift(DOWN * CELL[1])  # from step 1
        self.ptr.next_to(self.loss, RIGHT, buff=0.2).align_to(self.W, UP)
        self.ident.next_to(self.ptr, RIGHT, buff=0.3).align_to(self.W, UP)
        self.steps = VGroup()
        for s in range(self.W.n_rows):
            lab = b.text("{s}", font_size=SIZE, s=b.index(f"W_{run}", 0, s, base=0)).set_color(style.MUTED)
            a, z = self.W.slot(s, s + 1, 0, 0)
            self.steps.add(lab.move_to(np.array([a[0] - 0.35, (a[1] + z[1]) / 2, 0])))
        first = header("step").next_to(self.steps, UP, buff=0.22)
        self.heads = VGroup(first)
        for c in range(self.W.n_cols):
            a, z = self.W.slot(0, 0, c, c + 1)
            self.heads.add(entry_name(c).move_to(np.array([(a[0] + z[0]) / 2 + 0.1, first.get_y(), 0])))
        for text, col in (("batch loss", self.loss), ("`w.data_ptr()`", self.ptr), ("`id(w)`", self.ident)):
            self.heads.add(header(text).move_to(np.array([col.get_x(), first.get_y(), 0])))
        self.add(self.heads, self.steps, self.W, self.loss, self.ptr, self.ident)

    def row(self, s: int) -> VGroup:
        """Return the mobjects of row s (row 0: before training, no loss)."""
        parts = VGroup(self.steps[s], self.W.row(s), self.ptr.row(s), self.ident.row(s))
        if s > 0:
            parts.add(self.loss.row(s - 1))
        return parts


def header(text: str, size: float = SIZE - 1) -> VMobject:
    """Return a muted column header (prose, no numbers)."""
    return style.note(text, size=size, color=style.MUTED)


class BatchesLecture(LectureScene):
    """One weight tensor, trained on batches: the updates counted, the identity kept, the gradients summed."""

    beats = ("intro", "loop", "steps", "large", "accumulate", "epochs", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def cols(self) -> int:
        """Columns of the weight."""
        return int(self.b.tensors["W0"].shape[1])

    def flat_entry_name(self, k: int) -> VMobject:
        """Return the name of entry k of the row-major flattened weight."""
        return self.entry_name(k // self.cols, k % self.cols)

    def entry_name(self, r: int, c: int, size: float = SIZE) -> VMobject:
        """Return 'w_(r,c)', the weight entry a table column shows (1-based)."""
        b = self.b
        return b.text("w_({r},{c})", math=True, font_size=size, r=b.index("W0", 0, r),
                      c=b.index("W0", 1, c)).set_color(WEIGHT)

    def play_table(self, table: StepTable, run_time: float) -> None:
        """Fade the header and row 0 in, then the update rows one after another."""
        self.play(FadeIn(table.heads), FadeIn(table.row(0)), run_time=0.6)
        rows = [FadeIn(table.row(s), shift=DOWN * 0.1) for s in range(1, table.W.n_rows)]
        self.play(LaggedStart(*rows, lag_ratio=0.6), run_time=run_time)

    def place(self, mob: Mobject, top_gap: float = 0.15) -> Mobject:
        """Fit mob to the stage under the heading and centre it horizontally."""
        style.fit(mob, height=style.TOP - style.BOTTOM - top_gap)
        return mob.move_to([0, (style.TOP + style.BOTTOM - top_gap) / 2, 0])

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        self.beat("The dataset, cut into batches")
        b = self.b
        N, B, S = b.dim("X", 0), b.dim("order_small", 2), b.value("steps_small", (), decimals=0)
        question = b.text("{N} samples, batches of {B}: {S} different weights?", N=N, B=B, S=S,
                          font_size=style.TITLE_SIZE - 4)
        heat = b.heatmap("X_cols", "X_absmax", height=0.2 * self.cols + 0.15)
        heat.stretch_to_fit_width(min(11.0, 0.26 * b.tensors["X_cols"].shape[1]))
        heat_name = style.note("$X$: one column per sample", size=style.NOTE_SIZE - 2, color=DATA)
        strip = self.batch_strip(heat, "order_small")
        order = self.order_matrix("order_small")
        count = VGroup(
            b.text("the loader yields {S} batches per epoch", S=S, font_size=style.NOTE_SIZE),
            b.text("{S} optimizer steps of one weight $W$", S=S, font_size=style.NOTE_SIZE),
            b.text("$W$ is {r} × {c}, shared by all {N} samples", r=b.dim("W0", 0), c=b.dim("W0", 1), N=N,
                   font_size=style.NOTE_SIZE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        count[1:].set_color(WEIGHT)
        top = Group(question, Group(heat_name, heat).arrange(RIGHT, buff=0.3), strip)
        top.arrange(DOWN, buff=0.25)
        strip.next_to(heat, DOWN, buff=0.06).align_to(heat, LEFT)
        bottom = VGroup(order, count).arrange(RIGHT, buff=1.0, aligned_edge=UP)
        stage = Group(top, bottom).arrange(DOWN, buff=0.35)
        self.place(stage)
        self.say("{N} samples, trained in batches of {B}. Does each batch get its own weight?", N=N, B=B)
        self.play(Write(question), run_time=1.0)
        self.play(FadeIn(heat), FadeIn(heat_name))
        self.say("A seeded DataLoader shuffles the samples and deals them out; each row is one batch.")
        self.play(LaggedStart(*(FadeIn(VGroup(order.labels[k], order.row(k), strip[k])) for k in range(order.n_rows)),
                              lag_ratio=0.3), run_time=2.0)
        self.say("The loader counts {S} batches per epoch: {S} updates of one weight, not {S} weights.", S=S)
        self.play(FadeIn(count, shift=UP * 0.2))
        self.wait(1.0)
        self.clear_stage()

    def order_matrix(self, name: str) -> TensorMatrix:
        """Return the first epoch's batches as rows of sample indices, each row in its batch colour."""
        b = self.b
        m = TensorMatrix(b, name, (0,), decimals=0, font_size=SIZE, cell=(0.5, CELL[1]))
        m.remove(m.brackets)
        labels = VGroup()
        for k in range(m.n_rows):
            m.row(k).set_color(batch_color(k))
            a, z = m.slot(k, k + 1, 0, 0)
            lab = b.text("batch {k}", font_size=SIZE - 1, k=b.index(name, 1, k)).set_color(batch_color(k))
            labels.add(lab.move_to([a[0] - 0.2 - lab.width / 2, (a[1] + z[1]) / 2, 0]))
        m.add(labels)
        m.labels = labels
        return m

    def batch_strip(self, heat: Mobject, name: str) -> VGroup:
        """Return one coloured square under each heatmap column, grouped by the batch its sample fell in."""
        order = self.b.tensors[name][0]  # (S, B) sample indices of the first epoch
        n = int(self.b.tensors["X_cols"].shape[1])
        w = heat.width / n
        strip = VGroup()
        for k, batch in enumerate(order.tolist()):
            squares = VGroup(*(Rectangle(width=w * 0.8, height=0.14, stroke_width=0, fill_color=batch_color(k),
                                         fill_opacity=1.0).move_to([(j + 0.5) * w, 0, 0]) for j in batch))
            strip.add(squares)
        strip.add(Rectangle(width=heat.width, height=0.01, stroke_width=0).move_to([heat.width / 2, 0, 0]))  # full span
        return strip

    def loop(self) -> None:
        self.beat("A real training loop")
        b = self.b
        code = b.code(train_epoch, font_size=style.CODE_SIZE)
        W0 = TensorMatrix(b, "W0", font_size=style.NUMBER_SIZE, color=WEIGHT)
        W0.entries.set_color(WEIGHT)
        W0_name = style.note("`model.weight` before training", size=style.NOTE_SIZE - 2, color=WEIGHT)
        model = VGroup(
            b.text("`nn.Linear({i}, {o}, bias=False)`", i=b.dim("W0", 1), o=b.dim("W0", 0), font_size=style.NOTE_SIZE),
            b.text("`torch.optim.SGD`, lr = {lr}", lr=b.value("lr", ()), font_size=style.NOTE_SIZE),
            b.text("loss: mean squared error", font_size=style.NOTE_SIZE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        right = VGroup(model, VGroup(W0_name, W0).arrange(DOWN, buff=0.2, aligned_edge=LEFT)).arrange(
            DOWN, buff=0.5, aligned_edge=LEFT)
        stage = VGroup(code, right).arrange(RIGHT, buff=0.6, aligned_edge=UP)
        self.place(stage)
        self.say("This function trained the model; every number that follows was recorded by it.")
        self.play(FadeIn(code), run_time=0.8)
        self.say("The model has one weight tensor, {r} by {c}. Each batch: forward, backward, and one SGD step that edits it in place.",
                 r=b.dim("W0", 0), c=b.dim("W0", 1))
        self.play(FadeIn(model), FadeIn(W0_name), FadeIn(W0))
        self.wait(1.0)
        self.clear_stage()

    def steps(self) -> None:
        self.beat("Every step updates the same weight")
        b = self.b
        table = StepTable(b, "small", self.flat_entry_name)
        self.place(table)
        self.say("Row {z} is the starting weight. Each later row is one batch of {B}: its loss, then the weight after the step.",
                 z=b.index("W_small", 0, 0, base=0), B=b.dim("order_small", 2))
        self.play_table(table, run_time=1.8)
        self.wait(0.5)
        boxes = VGroup(SurroundingRectangle(table.ptr.entries, color=IDENT, buff=0.12),
                       SurroundingRectangle(table.ident.entries, color=IDENT, buff=0.12))
        self.say("The values change at every step; the storage address and the Python id never do.")
        self.play(Create(boxes))
        verdict = b.text("`model.weight` is the same object after every step: {same}", same=b.string("same_small"),
                         font_size=style.NOTE_SIZE).set_color(IDENT)
        verdict.next_to(table, DOWN, buff=0.2)
        if verdict.get_bottom()[1] < style.BOTTOM:
            VGroup(table, boxes).shift(UP * (style.BOTTOM - verdict.get_bottom()[1]))
            verdict.next_to(table, DOWN, buff=0.2)
        self.say("Python's own identity test agrees: {same}.", same=b.string("same_small"))
        self.play(FadeIn(verdict))
        self.wait(0.5)
        self.clear_stage()

    def large(self) -> None:
        self.beat("Larger batches: fewer updates")
        b = self.b
        table = StepTable(b, "large", self.flat_entry_name)
        K, C, N = b.value("steps_large", (), decimals=0), b.dim("order_large", 2), b.dim("X", 0)
        verdict = b.text("{K} steps of batch {C}, the same object throughout: {same}", K=K, C=C,
                         same=b.string("same_large"), font_size=style.NOTE_SIZE).set_color(IDENT)
        stage = VGroup(table, verdict).arrange(DOWN, buff=0.35)
        self.place(stage)
        self.say("Batches of {C}: the same {N} samples make {K} batches, so {K} updates per epoch.", C=C, N=N, K=K)
        self.play_table(table, run_time=1.2)
        self.say("Again one tensor throughout. The batch size sets how often it is updated, not how many there are.")
        self.play(FadeIn(verdict))
        self.wait(0.5)
        self.clear_stage()

    def accumulate(self) -> None:
        self.beat("Accumulated gradients equal the full batch")
        b = self.b
        per = column(b, "grad_batches", GRAD)
        acc = column(b, "grad_accum", GRAD)
        full = column(b, "grad_full", LOSS)
        acc.next_to(per, DOWN, buff=0.3).align_to(per, LEFT)
        full.next_to(acc, DOWN, buff=0.1).align_to(per, LEFT)
        labels = VGroup(*(b.text("batch {k}: $g_{k}$", k=b.index("grad_batches", 0, k), font_size=SIZE)
                          .set_color(batch_color(k)) for k in range(per.n_rows)))
        for k, lab in enumerate(labels):
            a, z = per.slot(k, k + 1, 0, 0)
            lab.move_to([a[0] - 0.25 - lab.width / 2, (a[1] + z[1]) / 2, 0])
        acc_label = b.text("$sum_k g_k dot$ {s}  (`.grad`)", s=b.value("accum_scale", ()), font_size=SIZE).set_color(GRAD)
        full_label = style.note("full batch", size=SIZE, color=LOSS)
        for lab, m in ((acc_label, acc), (full_label, full)):
            a, z = m.slot(0, 1, 0, 0)
            lab.move_to([a[0] - 0.25 - lab.width / 2, (a[1] + z[1]) / 2, 0])
        heads = VGroup()
        for c in range(per.n_cols):
            a, z = per.slot(0, 0, c, c + 1)
            heads.add(self.flat_entry_name(c).move_to([(a[0] + z[0]) / 2 + 0.1, a[1] + 0.25, 0]))
        rule = Rectangle(width=per.width + 0.2, height=0.01, stroke_color=style.MUTED, stroke_width=1.5)
        rule.move_to([per.get_x(), (per.get_bottom()[1] + acc.get_top()[1]) / 2, 0])
        diff = b.text("largest difference, max $|$`.grad` − full$|$ = {d}", d=b.value("grad_diff", (), 2, "g"),
                      font_size=style.NOTE_SIZE)
        exact = float(b.tensors["grad_diff"]) == 0.0
        verdict = style.note("exactly zero" if exact else "float32 rounding: the same sum, added in another order",
                             size=style.NOTE_SIZE - 2, color=style.MUTED)
        table = VGroup(heads, labels, per, rule, acc_label, acc, full_label, full)
        stage = VGroup(table, VGroup(diff, verdict).arrange(DOWN, buff=0.12)).arrange(DOWN, buff=0.4)
        self.place(stage)
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
            end = b.number(ys[-1], SIZE).set_color(color)
            ends.add(end.next_to(plane.to_screen(float(n - 1), b.exact(ys[-1])), RIGHT, buff=0.3))
        ends[1].shift(UP * max(0.0, ends[0].get_top()[1] + 0.05 - ends[1].get_bottom()[1]))
        ticks = VGroup(*(plane.tick(x, "x", font_size=SIZE - 1) for x in xs),
                       plane.tick(b.value("epoch_loss_small", (0,)), "y", font_size=SIZE - 1))
        x_name = style.note("epoch", size=SIZE, color=style.MUTED).next_to(VGroup(*ticks[:n]), DOWN, buff=0.15)
        y_name = style.note("mean loss over all samples", size=SIZE, color=style.MUTED)
        y_name.next_to(plane.to_screen(0.0, top * 1.12), RIGHT, buff=0.15)
        legend = VGroup(
            b.text("batch {B}: {S} updates per epoch", B=b.dim("order_small", 2),
                   S=b.value("steps_small", (), decimals=0), font_size=SIZE).set_color(SMALL),
            b.text("batch {C}: {K} updates per epoch", C=b.dim("order_large", 2),
                   K=b.value("steps_large", (), decimals=0), font_size=SIZE).set_color(LARGE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        legend.next_to(plane.to_screen(float(n - 1) * 0.45, top * 1.05), RIGHT, buff=0.0)
        graph = VGroup(plane, marks, ticks, x_name, y_name, ends, legend)
        self.place(graph)
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
        self.beat("One set of weights for the whole dataset")
        b = self.b
        W = TensorMatrix(b, "weight_small", font_size=style.NUMBER_SIZE, color=WEIGHT)
        W.entries.set_color(WEIGHT)
        name = b.text("`model.weight` after {E} epochs: fixed, used for every sample",
                      E=b.dim("order_small", 0), font_size=style.NOTE_SIZE).set_color(WEIGHT)
        lines = VGroup(
            style.note("• Batches set how often the one weight is updated, not how many weights there are."),
            style.note("• Every step edits the same tensor in place: same address, same id."),
            style.note("• Summing batch gradients weighted by $B slash N$ gives the full-batch gradient."),
            style.note("• After training the weights stay fixed and are shared by all samples, old and new."),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.28)
        stage = VGroup(VGroup(name, W).arrange(DOWN, buff=0.25), lines).arrange(DOWN, buff=0.5)
        self.place(stage)
        self.say("Training leaves one weight tensor for the whole dataset; afterwards it stays fixed and serves every sample.")
        self.play(FadeIn(name), FadeIn(W))
        self.reveal_lines(lines, lag_ratio=0.4, run_time=2.0)
        self.wait(1.5)
