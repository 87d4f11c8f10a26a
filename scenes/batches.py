"""Lecture `batches`: N samples in batches are N / B updates of one weight, not N / B weights."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Circle,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    Mobject,
    MoveAlongPath,
    Rectangle,
    VGroup,
    linear,
)

from scenes.kit import style
from scenes.kit.binding import Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import label_columns, label_rows
from scenes.kit.plot import Plane
from tensors.batches import record, train_epoch

WEIGHT = style.ROLE["weight"]
GRAD = style.ROLE["gradient"]
SIZE = style.NUMBER_SIZE  # every number and label of the tables
CELL = (0.9, 0.4)
CHIP = (0.62, 0.46)  # one sample number in the dataset grid and in a batch row
RUNS = {"small": style.INDEX[0], "large": style.INDEX[2]}  # the two runs: index greys, told apart by their labels
ROW_LABEL = style.INDEX[1]
LOWER = style.Region(style.STAGE.left, style.STAGE.right, style.STAGE.top - 0.35, style.STAGE.bottom)  # clear of the title


def touches(a: Mobject, z: Mobject, pad: float = 0.05) -> bool:
    """Return True when the boxes of two mobjects come within pad of each other."""
    return bool(a.get_left()[0] < z.get_right()[0] + pad and z.get_left()[0] < a.get_right()[0] + pad
                and a.get_bottom()[1] < z.get_top()[1] + pad and z.get_bottom()[1] < a.get_top()[1] + pad)


def self_cols(lecture: BatchesLecture) -> int:
    """Return the number of weight entries: columns of the step table."""
    return int(lecture.b.tensors["W0"].numel())


class StepTable(VGroup):
    """One run's first epoch, a row per step: step, the batch's samples, its loss, the weight after, data_ptr, id."""

    def __init__(self, lecture: BatchesLecture, run: str) -> None:
        super().__init__()
        b = lecture.b
        members = b.tensors[f"members_{run}"]  # (steps, batch) sample numbers
        steps, batch = (int(n) for n in members.shape)
        nums = [[b.number(b.value(f"members_{run}", (s, i), 0), SIZE, color=ROW_LABEL) for i in range(batch)]
                for s in range(steps)]
        pitch_x, pitch_y = max(n.width for row in nums for n in row) + 0.12, 0.34
        # the samples take the width the other columns leave, on two lines per row when the rows are few;
        # a batch that still does not fit shows its first samples, then "…"
        ptr_w = max(lecture.number_width(f"ptr_tail_{run}"), style.note("`w.data_ptr()`", size=SIZE).width + 0.3)
        id_w = max(lecture.number_width(f"id_tail_{run}"), style.note("`id(w)`", size=SIZE).width + 0.3)
        others = 0.55 + self_cols(lecture) * CELL[0] + CELL[0] + ptr_w + id_w + 0.2 + 0.3 + 0.2 + 0.3
        per_line = max(1, min(batch, int((style.STAGE.width - others) / pitch_x)))
        two = (steps + 1) * (2 * pitch_y + 0.1) + 1.4 <= style.STAGE.height
        lines = min(2 if two else 1, -(-batch // per_line))
        shown = min(batch, per_line * lines)
        cell = (CELL[0], CELL[1] if lines == 1 else pitch_y * lines + 0.1)
        self.W = lecture.matrix(f"W_{run}", size=SIZE, cell=cell, brackets=False)
        self.loss = lecture.matrix(f"loss_{run}", color=style.TEXT, size=SIZE, cell=cell, brackets=False)
        self.ptr = lecture.matrix(f"ptr_tail_{run}", color=style.MUTED, decimals=0, size=SIZE, cell=(ptr_w, cell[1]),
                                  brackets=False)
        self.ident = lecture.matrix(f"id_tail_{run}", color=style.MUTED, decimals=0, size=SIZE, cell=(id_w, cell[1]),
                                    brackets=False)
        self.steps = label_rows(self.W, [b.text("{s}", font_size=SIZE, s=b.index(f"W_{run}", 0, s, base=0))
                                         .set_color(style.MUTED) for s in range(self.W.n_rows)], buff=0.25)
        self.members = VGroup()
        for row in nums:
            block = VGroup()
            for i, num in enumerate(row[:shown] if shown == batch else row[:shown - 1]):
                num.move_to([(i % per_line + 1) * pitch_x - num.width / 2, -(i // per_line) * pitch_y, 0])
                block.add(num)
            if shown < batch:
                block.add(style.note("…", size=SIZE, color=ROW_LABEL).move_to(
                    [(per_line - 0.5) * pitch_x, -(lines - 1) * pitch_y, 0]))
            self.members.add(block)
        left = self.W.get_right()[0] + 0.2
        for s, block in enumerate(self.members):  # lines centred on the row of the weight after that step
            block.shift([left, self.W.entry(s + 1, 0).get_y() + (lines - 1) * pitch_y / 2, 0])
        head = style.note("samples", size=SIZE, color=style.MUTED)
        right = max(self.members.get_right()[0], left + head.width)  # a single sample: the column is its heading's
        self.loss.align_to(self.W, UP).shift(DOWN * cell[1])  # from step 1
        self.loss.shift((right + 0.3 - self.loss.get_left()[0]) * RIGHT)
        self.ptr.next_to(self.loss, RIGHT, buff=0.2).align_to(self.W, UP)
        self.ident.next_to(self.ptr, RIGHT, buff=0.3).align_to(self.W, UP)
        names = label_columns(self.W, [lecture.flat_entry_name(c) for c in range(self.W.n_cols)], buff=0.22)
        self.heads = VGroup(*names)
        self.heads.add(head.move_to([(left + right) / 2, names.get_y(), 0]))
        for text, col in (("step", self.steps), ("batch loss", self.loss), ("`w.data_ptr()`", self.ptr),
                          ("`id(w)`", self.ident)):
            self.heads.add(style.note(text, size=SIZE, color=style.MUTED).move_to(col).set_y(names.get_y()))
        tail = style.note("last six digits", size=SIZE, color=style.MUTED)
        self.heads.add(tail.move_to(VGroup(self.heads[-2], self.heads[-1])).next_to(names, UP, buff=0.12,
                                                                                      coor_mask=np.array([0, 1, 0])))
        self.add(self.heads, self.steps, self.W, self.members, self.loss, self.ptr, self.ident)

    def row(self, s: int) -> VGroup:
        """Return the mobjects of row s (row 0: before training, no batch and no loss)."""
        parts = VGroup(self.steps[s], self.W.row(s), self.ptr.row(s), self.ident.row(s))
        if s > 0:
            parts.add(self.members[s - 1], self.loss.row(s - 1))
        return parts


class BatchesLecture(LectureScene):
    """One weight tensor, trained on batches: the updates counted, the identity kept, the gradients summed."""

    roles = {"W0": "weight", "step_W1": "weight", "step_grad": "gradient", "W_small": "weight", "W_large": "weight", "weight_small": "weight", "W_true": "weight",
             "path_small": "weight",
             "grad_batches": "gradient", "grad_accum": "gradient", "grad_full": "gradient"}
    question = "{n} images, batch size {b}: will there be {g} different weights?"
    question_caption = ("The FAQ asks: {n} images in batches of {b}, will there be {g} different weights? A loader"
                        " makes {s} batches of them. Does each batch get its own weight?")
    recap_lines = (
        "Batches set how often the one weight is updated, not how many weights there are.",
        "Every step edits the same tensor in place: same address, same id.",
        'One step is $W - "lr" dot g$; step after step, the one weight walks toward the map that made the data.',
        "Summing batch gradients weighted by $B slash N$ gives the full-batch gradient.",
    )
    recap_caption = ("Training updates one weight tensor, batch after batch; what it ends with is the one weight"
                     " every sample uses.")
    beats = ("intro", "dataset", "loop", "steps", "nudge", "large", "accumulate", "epochs", "recap")

    # -- helpers ------------------------------------------------------------------------------

    @property
    def cols(self) -> int:
        """Columns of the weight."""
        return int(self.b.tensors["W0"].shape[1])

    def flat_entry_name(self, k: int, color: str = WEIGHT) -> Mobject:
        """Return 'w_(r,c)' (1-based) for entry k of the row-major flattened weight."""
        b = self.b
        return self.math("w_({r},{c})", SIZE, color, r=b.index("W0", 0, k // self.cols),
                         c=b.index("W0", 1, k % self.cols))

    @property
    def faq_case(self) -> bool:
        """Return True when the lecture runs the FAQ's own case (its dataset size and batch size)."""
        t = self.b.tensors
        return bool(int(t["X"].shape[0]) == int(t["faq_samples"]) and int(t["order_small"].shape[2]) == int(t["faq_batch"]))

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
        """The FAQ's question, quoted with its numbers, and the count a loader gives instead."""
        b = self.b
        n, c, g, s = (b.value(name, (), 0) for name in ("faq_samples", "faq_batch", "faq_guess", "faq_steps"))
        title = self.prose(self.question, style.TITLE_SIZE, n=n, b=c, g=g)
        quoted = style.note("the FAQ's question", size=style.LABEL_SIZE, color=style.MUTED)
        count = self.prose("{n} samples in batches of {b} make {s} batches, not {g}", style.LABEL_SIZE, n=n, b=c, s=s,
                           g=g)
        self.ask(self.question_caption, title, quoted, count, n=n, b=c, g=g, s=s)

    def dataset(self) -> None:
        self.beat("Dealing the dataset into batches")
        b = self.b
        N, S, B = b.dim("X", 0), b.value("steps_small", (), decimals=0), b.dim("order_small", 2)
        n = int(b.tensors["X"].shape[0])
        order = b.tensors["order_small"][0].tolist()  # (S, B) sample indices (0-based) of the first epoch
        per_row = 8
        chips = VGroup(*(b.number(b.value("sample_no", (j,), 0), SIZE, color=style.TEXT) for j in range(n)))
        for j, chip in enumerate(chips):
            chip.move_to([(j % per_row) * CHIP[0], -(j // per_row) * CHIP[1], 0])
        pile_name = self.prose("the dataset: {N} samples, numbered", SIZE, style.MUTED, N=N)
        pile = VGroup(pile_name, VGroup(*chips)).arrange(DOWN, buff=0.3)
        slots = VGroup()
        labels = VGroup()
        for k, batch in enumerate(order):
            row = VGroup(*(Rectangle(width=CHIP[0] - 0.08, height=CHIP[1] - 0.08, stroke_width=1.5,
                                     stroke_color=style.MUTED).move_to([i * CHIP[0], -k * CHIP[1], 0])
                           for i in range(len(batch))))
            slots.add(row)
            labels.add(self.prose("batch {k}", SIZE, ROW_LABEL, k=b.index("order_small", 1, k))
                       .next_to(row, RIGHT, buff=0.25))
        deal_name = self.prose("one epoch, as the `DataLoader` deals it", SIZE, style.MUTED)
        deal = VGroup(deal_name, VGroup(labels, slots)).arrange(DOWN, buff=0.25)
        faq = self.faq_case
        yields = (self.prose("the loader yields {S} batches per epoch, not {g}", SIZE, S=S, g=b.value("faq_guess", (), 0))
                  if faq else self.prose("the loader yields {S} batches per epoch", SIZE, S=S))
        count = VGroup(
            yields,
            self.prose("{S} optimizer steps of one weight $W$", SIZE, WEIGHT, S=S),
            self.prose("$W$ is {r} × {c}, shared by all {N} samples", SIZE, WEIGHT, r=b.dim("W0", 0),
                       c=b.dim("W0", 1), N=N),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        left = VGroup(pile, count).arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        style.STAGE.place(VGroup(left, deal).arrange(RIGHT, buff=1.2, aligned_edge=UP))
        self.say("The dataset: {N} samples, numbered from one. A seeded DataLoader shuffles them and deals them out,"
                 " {B} to a batch.", N=N, B=B)
        self.play(FadeIn(pile_name), LaggedStart(*(FadeIn(c) for c in chips), lag_ratio=0.03), run_time=1.2)
        self.play(FadeIn(deal_name), FadeIn(slots), FadeIn(labels), run_time=0.6)
        moves = [[chips[j].animate(path_arc=0.6).move_to(slots[k][i]) for i, j in enumerate(batch)]
                 for k, batch in enumerate(order)]
        self.play(LaggedStart(*moves[0], lag_ratio=0.8), run_time=2.0)  # the first batch, one sample at a time
        self.play(LaggedStart(*(AnimationGroup(*m, lag_ratio=0.25) for m in moves[1:]), lag_ratio=0.5),
                  FadeOut(pile_name), run_time=3.5)
        if faq:
            self.say("The loader counts {S} batches per epoch, not the question's {g}: {S} updates of one weight, not"
                     " {S} weights.", S=S, g=b.value("faq_guess", (), 0))
        else:
            self.say("The loader counts {S} batches per epoch: {S} updates of one weight, not {S} weights.", S=S)
        self.play(LaggedStart(*(FadeIn(x, shift=UP * 0.2) for x in count), lag_ratio=0.4), run_time=1.2)
        self.clear_stage()

    def loop(self) -> None:
        self.beat("A real training loop")
        b = self.b
        code = VGroup(self.listing(train_epoch), self.listing(record)).arrange(
            DOWN, aligned_edge=LEFT, buff=0.35)
        W0 = self.matrix("W0")
        W0_name = style.note("`model.weight` before training (random)", size=SIZE, color=WEIGHT)
        model = VGroup(
            self.prose("`nn.Linear({i}, {o}, bias=False)`", SIZE, i=b.dim("W0", 1), o=b.dim("W0", 0)),
            self.prose("`torch.optim.SGD`, lr = {lr}", SIZE, lr=b.value("lr", ())),
            style.note("loss: mean squared error", size=SIZE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        right = VGroup(model, VGroup(W0_name, W0).arrange(DOWN, buff=0.2, aligned_edge=LEFT)).arrange(
            DOWN, buff=0.5, aligned_edge=LEFT)
        style.STAGE.place(VGroup(code, right).arrange(RIGHT, buff=0.6, aligned_edge=UP))
        step = self.code_line_box(code[0], 6)  # opt.step(): the in-place update
        kept = VGroup(self.code_line_box(code[0], 7),  # steps.append(record(...)), and what record keeps
                      VGroup(self.code_line_box(code[1], 1), self.code_line_box(code[1], 2)))
        self.say("This is the loop that trained the model: for every batch, forward, backward, and one SGD step"
                 " that edits its one weight, {r} by {c}, in place.", r=b.dim("W0", 0), c=b.dim("W0", 1))
        self.play(FadeIn(code[0]), FadeIn(model), FadeIn(W0_name), FadeIn(W0), run_time=0.8)
        self.play(FadeIn(step), run_time=0.4)
        self.say("After each step it records the batch, its loss, a copy of the weight, and the weight's address and"
                 " id. The next table is those records.")
        self.play(FadeOut(step), FadeIn(kept[0]), FadeIn(code[1], shift=UP * 0.2), run_time=0.6)
        self.play(FadeIn(kept[1]), run_time=0.4)
        self.hold_caption()
        self.first_step(VGroup(code, kept, model, W0_name), W0)
        self.clear_stage()

    def first_step(self, leaving: Mobject, W0: Mobject) -> None:
        """Step 1 worked out: batch 1's gradient g, then W0 - lr * g flowing into the weight after the step."""
        b = self.b
        B = b.dim("order_small", 2)
        batch = VGroup(self.prose("batch {k}: samples", SIZE, ROW_LABEL, k=b.index("members_small", 0, 0)),
                       *(b.number(b.value("members_small", (0, i), 0), SIZE, color=ROW_LABEL)
                         for i in range(int(b.tensors["members_small"].shape[1])))).arrange(RIGHT, buff=0.2)
        g = self.matrix("step_grad")
        g_name = g.label(self.prose("$g$: gradient of batch {k}'s mean loss at $W_0$", SIZE, GRAD,
                                    k=b.index("members_small", 0, 0)))
        W = self.matrix("W0")
        W1 = self.matrix("step_W1")
        W_name = W.label(style.note("$W_0$", size=SIZE, color=WEIGHT))
        W1_name = W1.label(self.prose("$W_1$: the weight after step {k}", SIZE, WEIGHT, k=b.index("W_small", 0, 1, base=0)))
        minus = style.note("$-$", size=style.LABEL_SIZE)
        lr = self.prose("{lr} $dot$", style.LABEL_SIZE, lr=b.value("lr", ()))
        equals = style.note("$=$", size=style.LABEL_SIZE)
        line = VGroup(VGroup(W, W_name), minus, lr, VGroup(g, g_name), equals, VGroup(W1, W1_name)).arrange(RIGHT, buff=0.3)
        for m in (W, g, W1):
            m.align_to(line, DOWN)
        for sym in (minus, lr, equals):
            sym.set_y(W.get_y())
        style.STAGE.place(VGroup(batch, line).arrange(DOWN, buff=0.8))
        self.say("Step {k}, worked out: batch {k}'s {B} samples give a loss, and backward gives its gradient g."
                 " SGD subtracts {lr} times g from the weight.", k=b.index("members_small", 0, 0), B=B,
                 lr=b.value("lr", ()))
        self.play(FadeOut(leaving), W0.animate.move_to(W), FadeIn(W_name), FadeIn(batch), run_time=0.8)
        self.remove(W0)
        self.add(W)
        self.play(self.flow(VGroup(*batch[1:]), g), FadeIn(g_name), run_time=1.2)
        self.play(FadeIn(VGroup(minus, lr, equals, W1_name)), run_time=0.4)
        rows, cols = (int(n) for n in b.tensors["W0"].shape)
        self.play(LaggedStart(*(self.flow(VGroup(W.entry(i, j), g.entry(i, j)), W1.entry(i, j))
                                for i in range(rows) for j in range(cols)), lag_ratio=0.3),
                  FadeIn(W1.brackets), run_time=2.4)
        self.settle(W1)
        self.hold_caption()
        self.say("opt.step() writes those numbers into the same tensor, in place. They are row {k} of the next table.",
                 k=b.index("W_small", 0, 1, base=0))
        self.play(Create(W1.box(color=style.TEXT)), run_time=0.6)
        self.hold_caption()

    def steps(self) -> None:
        self.beat("Every step updates the same weight")
        b = self.b
        table = StepTable(self, "small")
        verdict = self.prose("`model.weight` is the same object after every step: {same}", SIZE,
                             same=b.string("same_small"))
        LOWER.place(VGroup(table, verdict).arrange(DOWN, buff=0.25))
        self.say("Row {z} is the starting weight. Each later row is one batch: its {B} sample numbers, their loss, and"
                 " the weight after the step.", z=b.index("W_small", 0, 0, base=0), B=b.dim("order_small", 2))
        self.play_table(table, run_time=2.4)
        losses = b.tensors["loss_small"][:, 0]
        hi, lo = int(losses.argmax()), int(losses.argmin())
        marks = VGroup(table.loss.box(rows=(hi, hi + 1), color=style.TEXT),
                       table.loss.box(rows=(lo, lo + 1), color=style.TEXT))
        self.say("Each batch loss is measured on that batch's own {B} samples, so it jumps: {a} at step {i}, {c} at"
                 " step {j}. The loss over all samples comes later.", B=b.dim("order_small", 2),
                 a=b.value("loss_small", (hi, 0)), i=b.index("loss_small", 0, hi), c=b.value("loss_small", (lo, 0)),
                 j=b.index("loss_small", 0, lo))
        self.play(Create(marks), run_time=0.6)
        boxes = VGroup(table.ptr.box(color=style.TEXT, buff=0.12), table.ident.box(color=style.TEXT, buff=0.12))
        self.say("The weight's values change at every step; its storage address and its Python id never do.")
        self.play(FadeOut(marks), Create(boxes), run_time=0.6)
        self.say("Python's own identity test agrees: {same}.", same=b.string("same_small"))
        self.play(FadeIn(verdict))
        self.clear_stage()

    def nudge(self) -> None:
        self.beat("One weight, nudged step after step")
        b = self.b
        path = b.tensors["path_small"]
        E, S = int(b.tensors["order_small"].shape[0]), int(b.tensors["order_small"].shape[1])
        steps_n, entries = path.shape
        cols = self.cols

        def target(k: int) -> Source:  # entry k of the row-major flattened W_true
            return b.value("W_true", (k // cols, k % cols))

        if entries >= 2:  # two entries of W against each other
            px = [b.value("path_small", (t, 0)) for t in range(steps_n)]
            py = [b.value("path_small", (t, 1)) for t in range(steps_n)]
            gx, gy = target(0), target(1)
            x_name, y_name = self.flat_entry_name(0, style.MUTED), self.flat_entry_name(1, style.MUTED)
        else:  # a single entry: against the update count
            px = [b.value("update", (t,), 0) for t in range(steps_n)]
            py = [b.value("path_small", (t, 0)) for t in range(steps_n)]
            gx, gy = px[-1], target(0)
            x_name, y_name = style.note("update", size=SIZE, color=style.MUTED), self.flat_entry_name(0, style.MUTED)
        xs = [b.exact(v) for v in (*px, gx)]
        ys = [b.exact(v) for v in (*py, gy)]
        pad_x, pad_y = 0.12 * (max(xs) - min(xs)), 0.12 * (max(ys) - min(ys))
        plane = Plane(b, (min(xs) - pad_x, max(xs) + pad_x), (min(ys) - pad_y, max(ys) + pad_y), width=5.6,
                      height=4.4, axes=False)
        lo, hi = plane.to_screen(plane.x_range[0], plane.y_range[0]), plane.to_screen(plane.x_range[1], plane.y_range[1])
        frame = VGroup(Line(lo, [hi[0], lo[1], 0], color=style.MUTED, stroke_width=2),
                       Line(lo, [lo[0], hi[1], 0], color=style.MUTED, stroke_width=2))
        curve = plane.curve(px, py, color=WEIGHT, stroke_width=2)
        steps = VGroup(*(plane.dot(x, y, color=WEIGHT, radius=0.035) for x, y in zip(px, py)))
        ends = VGroup(*(plane.dot(px[e * S], py[e * S], color=WEIGHT, radius=0.07) for e in range(E + 1)))
        mover = plane.dot(px[-1], py[-1], color=WEIGHT, radius=0.11).move_to(plane.to_screen(xs[0], ys[0]))
        goal = plane.dot(gx, gy, color=style.TEXT, radius=0.05)
        ring = Circle(radius=0.16, color=style.TEXT, stroke_width=2.5).move_to(goal)
        ticks = VGroup()
        for axis, pair in (("x", (px[0], gx)), ("y", (py[0], gy))):
            a, z = (plane.tick(v, axis, font_size=SIZE, color=WEIGHT if v.tensor != "update" else style.MUTED)
                    for v in pair)
            ticks.add(VGroup(z) if touches(a[1], z[1]) else VGroup(a, z))  # the target's tick wins when they would touch
        x_name.next_to(ticks[0], DOWN, buff=0.1).set_x(frame.get_x())
        y_name.next_to(ticks[1], LEFT, buff=0.15)
        start = style.note("start: $W_0$", size=SIZE, color=style.MUTED).next_to(ends[0], RIGHT, buff=0.2)
        start.shift(DOWN * 0.12)
        goal_name = VGroup(style.note("target:", size=SIZE), style.note("the map that", size=SIZE),
                           style.note("made the data", size=SIZE)).arrange(DOWN, aligned_edge=LEFT, buff=0.08)
        goal_name.next_to(ring, RIGHT, buff=0.2).align_to(ring, UP)
        key = VGroup(
            self.prose("small dot: $W$ after one step", SIZE, WEIGHT),
            self.prose("big dot: $W$ after each epoch", SIZE, WEIGHT),
            self.prose("{E} epochs, {S} steps each", SIZE, WEIGHT, E=b.dim("order_small", 0), S=b.dim("order_small", 1)),
            self.prose("two of $W$'s {n} entries", SIZE, style.MUTED, n=b.dim("path_small", 1)) if entries >= 2 else
            self.prose("$W$'s only entry, after every update", SIZE, style.MUTED),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        graph = VGroup(plane, frame, curve, steps, ends, goal, ring, ticks, x_name, y_name, start, goal_name)
        style.STAGE.place(VGroup(graph, key).arrange(RIGHT, buff=0.5))
        self.say("Follow the weight itself: two of its entries, plotted after every update. It starts at W0, drawn"
                 " at random.")
        self.play(Create(frame), FadeIn(ticks), FadeIn(x_name), FadeIn(y_name), FadeIn(ends[0]), FadeIn(start),
                  FadeIn(goal), Create(ring), FadeIn(goal_name), FadeIn(key), run_time=0.8)
        self.say("Batch after batch, epoch after epoch, the one weight is nudged toward the map that made the data."
                 " {E} epochs of {S} steps: one path, not {T} weights.", E=b.dim("order_small", 0),
                 S=b.dim("order_small", 1), T=b.value("steps_small", (), 0))
        self.add(mover)
        self.play(MoveAlongPath(mover, curve.copy()), Create(curve), LaggedStart(*(FadeIn(d) for d in steps), lag_ratio=1.0),
                  LaggedStart(*(FadeIn(d) for d in ends[1:]), lag_ratio=1.0), rate_func=linear, run_time=6.0)
        self.clear_stage()

    def large(self) -> None:
        self.beat("Larger batches: fewer updates")
        b = self.b
        table = StepTable(self, "large")
        K, C, N = b.value("steps_large", (), decimals=0), b.dim("order_large", 2), b.dim("X", 0)
        verdict = VGroup(
            self.prose("the first run's weight was another object: `data_ptr` …{p}, `id` …{i}", SIZE, style.MUTED,
                       p=b.value("ptr_tail_small", (0, 0), 0), i=b.value("id_tail_small", (0, 0), 0)),
            self.prose("this fresh model: {K} steps of batch size {C}, all on one object: {same}", SIZE, K=K, C=C,
                       same=b.string("same_large")),
        ).arrange(DOWN, buff=0.15)
        LOWER.place(VGroup(table, verdict).arrange(DOWN, buff=0.35))
        self.say("A second run: a fresh model from the same starting values, batch size {C}. The same {N} samples"
                 " make {K} batches, so {K} updates per epoch.", C=C, N=N, K=K)
        self.play_table(table, run_time=1.4)
        self.say("A fresh model has its own weight, so another address and id than the first run's. Within this run"
                 " they never change: one tensor, updated {K} times.", K=K)
        self.play(FadeIn(verdict), Create(VGroup(table.ptr.box(color=style.TEXT, buff=0.12),
                                                 table.ident.box(color=style.TEXT, buff=0.12))))
        self.clear_stage()

    def accumulate(self) -> None:
        self.beat("Accumulated gradients equal the full batch")
        b = self.b
        per, acc, full = (self.matrix(name, size=SIZE, cell=CELL, brackets=False)
                          for name in ("grad_batches", "grad_accum", "grad_full"))
        acc.next_to(per, DOWN, buff=0.3).align_to(per, LEFT)
        full.next_to(acc, DOWN, buff=0.1).align_to(per, LEFT)
        labels = label_rows(per, [self.prose("batch {k}: $g_{k}$", SIZE, ROW_LABEL, k=b.index("grad_batches", 0, k))
                                  for k in range(per.n_rows)], buff=0.25)
        acc_label = label_rows(acc, [self.prose("`.grad` $= sum_k B slash N dot g_k$, $B slash N =$ {s}", SIZE, GRAD,
                                                s=b.value("accum_scale", ()))], buff=0.25)
        full_label = label_rows(full, [style.note("full batch", size=SIZE, color=GRAD)], buff=0.25)
        heads = label_columns(per, [self.flat_entry_name(c) for c in range(per.n_cols)], buff=0.1)
        rule = Rectangle(width=per.width + 0.2, height=0.01, stroke_color=style.MUTED, stroke_width=1.5)
        rule.move_to(per).set_y((per.get_bottom()[1] + acc.get_top()[1]) / 2)
        diff = self.prose("largest difference, max $|$`.grad` − full$|$ = {d}", SIZE, style.DIFFERENCE,
                          d=b.value("grad_diff", (), 2, "g"))
        exact = self.exact("grad_diff")
        verdict = style.note("exactly zero" if exact else "float32 rounding: the same sum, added in another order",
                             size=SIZE, color=style.MUTED)
        source = style.note("a separate pass, `accumulate()`, at $W_0$: `(loss * B / N).backward()` per batch,"
                            " no `zero_grad()`", size=SIZE, color=style.MUTED)
        table = VGroup(heads, labels, per, rule, acc_label, acc, full_label, full)
        style.STAGE.place(VGroup(source, table, VGroup(diff, verdict).arrange(DOWN, buff=0.12)).arrange(DOWN, buff=0.35))
        self.say("Another way to use the same batches: at the starting weight, take each batch's mean-loss gradient,"
                 " one row per batch of {C}.", C=b.dim("order_accum", 1))
        self.play(FadeIn(source), FadeIn(heads), LaggedStart(*(FadeIn(VGroup(labels[k], per.row(k)))
                                                               for k in range(per.n_rows)), lag_ratio=0.3), run_time=1.4)
        self.say("Weight each by B/N = {s} and add: backward on every scaled loss, without zeroing, sums them in .grad.",
                 s=b.value("accum_scale", ()))
        self.play(Create(rule), FadeIn(acc_label), run_time=0.4)
        self.play(AnimationGroup(*(FadeOut(per.row(k).copy(), target_position=acc.row(0), scale=0.8)
                                   for k in range(per.n_rows)), lag_ratio=0.25),
                  FadeIn(acc), run_time=2.0)
        self.say_gap("grad_diff",
                     "The gradient of the mean loss over all {N} samples is the same: torch reports a difference of"
                     " exactly {d}.",
                     "That is the gradient over all {N} samples: torch reports a largest difference of {d}, float32"
                     " rounding.", N=b.dim("X", 0))
        self.play(FadeIn(full_label), FadeIn(full))
        self.play(FadeIn(diff), FadeIn(verdict))
        self.clear_stage()

    def epochs(self) -> None:
        self.beat("A few epochs: the loss goes down")
        b = self.b
        n = int(b.tensors["epoch"].shape[0])
        top = max(float(b.tensors["epoch_loss_small"].max()), float(b.tensors["epoch_loss_large"].max()))
        plane = Plane(b, (0.0, float(n - 1) + 0.1), (0.0, top * 1.12), width=8.0, height=4.6)
        xs = [b.value("epoch", (e,), decimals=0) for e in range(n)]
        marks = VGroup()
        ends = VGroup()
        for run, color in RUNS.items():
            ys = [b.value(f"epoch_loss_{run}", (e,)) for e in range(n)]
            marks.add(plane.curve(xs, ys, color=color), *(plane.dot(x, y, color=color) for x, y in zip(xs, ys)))
            batch = b.dim(f"order_{run}", 2)
            end = self.prose("{v}  (batch size {B})", SIZE, color, v=ys[-1], B=batch)
            ends.add(end.next_to(plane.to_screen(float(n - 1), b.exact(ys[-1])), RIGHT, buff=0.25))
        floor = plane.to_screen(0.0, 0.0)[1] + 0.15  # clear of the x axis
        for end in ends:
            end.shift(UP * max(0.0, floor - end.get_bottom()[1]))
        lower, upper = sorted(ends, key=lambda m: m.get_y())
        upper.shift(UP * max(0.0, lower.get_top()[1] + 0.05 - upper.get_bottom()[1]))
        ticks = VGroup(*(plane.tick(x, "x", font_size=SIZE) for x in xs),
                       plane.tick(b.value("zero", ()), "y", font_size=SIZE),
                       plane.tick(b.value("epoch_loss_small", (0,)), "y", font_size=SIZE))
        x_name = style.note("epoch", size=SIZE, color=style.MUTED).next_to(VGroup(*ticks[:n]), DOWN, buff=0.15)
        y_name = style.note("mean loss over all samples", size=SIZE, color=style.MUTED)
        y_name.next_to(plane.to_screen(0.0, top * 1.12), RIGHT, buff=0.15)
        legend = VGroup(
            self.prose("batch size {B}: {S} updates per epoch", SIZE, RUNS["small"], B=b.dim("order_small", 2),
                       S=b.value("steps_small", (), decimals=0)),
            self.prose("batch size {C}: {K} updates per epoch", SIZE, RUNS["large"], C=b.dim("order_large", 2),
                       K=b.value("steps_large", (), decimals=0)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        legend.next_to(plane.to_screen(float(n - 1) * 0.3, top * 1.0), RIGHT, buff=0.0)
        style.STAGE.place(VGroup(plane, marks, ticks, x_name, y_name, ends, legend))
        self.say("After each epoch, the training code measures the loss over all {N} samples. Both runs start from"
                 " the same weight, at {a}.", N=b.dim("X", 0), a=b.value("epoch_loss_small", (0,)))
        self.play(Create(plane.axes), FadeIn(ticks), FadeIn(x_name), FadeIn(y_name), FadeIn(legend))
        self.play(Create(marks[0]), LaggedStart(*(FadeIn(d) for d in marks[1:n + 1]), lag_ratio=1.0),
                  Create(marks[n + 1]), LaggedStart(*(FadeIn(d) for d in marks[n + 2:]), lag_ratio=1.0), run_time=2.4)
        self.say("Down to {s} with batch size {B}, to {l} with batch size {C}: more updates per epoch, more progress"
                 " per epoch.", s=b.value("epoch_loss_small", (n - 1,)), B=b.dim("order_small", 2),
                 l=b.value("epoch_loss_large", (n - 1,)), C=b.dim("order_large", 2))
        self.play(FadeIn(ends))
        self.clear_stage()

    def recap(self) -> None:
        """The recap bullets: each one a beat the lecture showed."""
        self.summarise(self.recap_caption, *self.recap_lines, chapter="One set of weights for the whole dataset")
