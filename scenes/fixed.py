"""Lecture `fixed`: frozen W_Q, W_K, W_V, yet "eat" comes out differently in "cat eat mouse" and "mouse eat cat"."""

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
    MoveToTarget,
    Rectangle,
    TransformFromCopy,
    Typst,
    VGroup,
)

from scenes.kit import style, typst_cache
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, label_rows
from tensors.attention import self_attention

FOCUS = "#ffa657"  # the colour of "eat" wherever it is followed
HUG = 0.05  # highlight margin around the digits: clear of the brackets even at 480p
OUT = style.ROLE["V"]  # outputs are mixes of values
MAIN, FOOT = style.STAGE.rows(6, 1)  # the pictures, and the line of torch's verdict under them


class FixedLecture(LectureScene):
    """Fixed weights, changing context: what changes for "eat" between two sentences, and what does not."""

    question = "After training, $W_Q$ is fixed."
    question_details = ("How can fixed weights know the context of a new sentence?",)
    question_caption = ("Training is over: W_Q, W_K and W_V never change again. So how does a new sentence get its"
                        " own context? Follow the word eat through two sentences: the same words, in another order.")
    recap_lines = (
        "After training, $W_Q$, $W_K$, $W_V$ are fixed and shared by every sentence.",
        "The context is computed from the input: each word mixes the values of its whole sentence.",
        "Attention alone ignores order; positions make cat eat mouse differ from mouse eat cat.",
        "$W_Q$ is $D times D$: the vocabulary only sizes the embedding table.",
    )
    recap_caption = "Fixed weights, fresh context: the sentence, with its word order, decides what eat becomes."
    beats = ("intro", "frozen", "same_embedding", "no_positions", "positions", "vocabulary", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def word(self, s: int, i: int) -> str:
        """Return the i-th word of sentence s, read from the token ids."""
        return self.result.words[int(self.result.ids[s, i])]

    def focus(self, s: int) -> int:
        """Return the position of "eat" in sentence s."""
        return int(self.result.focus[s])

    def sentence(self, s: int, size: float = style.LABEL_SIZE) -> VGroup:
        """Return sentence s as words, with "eat" in its colour."""
        n = self.result.ids.shape[1]
        words = [f'#text(fill: rgb("{FOCUS}"))[{self.word(s, i)}]' if i == self.focus(s) else self.word(s, i)
                 for i in range(n)]
        # quoted, as one line: a sentence, not column labels; no colour override, so eat keeps its own
        return VGroup(typst_cache.typst("“" + " ".join(words) + "”", font_size=size))

    def sentence_matrix(self, name: str, s: int, color: str) -> VGroup:
        """Return tensor[name][s] as a matrix with its words to the left; the matrix is `.m`."""
        m = self.matrix(name, (s,), color=color)
        words = [style.note(self.word(s, i), color=FOCUS if i == self.focus(s) else style.TEXT) for i in range(m.n_rows)]
        group = VGroup(m, label_rows(m, words, buff=0.15))
        group.m = m
        return group

    def attention_line(self, name: str, s: int) -> VGroup:
        """Return 'eat looks at' and the focus word's attention weights, each under its word."""
        b = self.b
        f = self.focus(s)
        cells = VGroup()
        for j in range(self.result.ids.shape[1]):
            w = style.note(self.word(s, j), color=FOCUS if j == f else style.MUTED)
            cells.add(VGroup(w, b.number(b.value(name, (s, f, j)), style.NUMBER_SIZE)).arrange(DOWN, buff=0.08))
        cells.arrange(RIGHT, buff=0.4, aligned_edge=DOWN)
        return VGroup(style.note("eat looks at", color=FOCUS), cells).arrange(RIGHT, buff=0.3)

    def gap_line(self, template: str, name: str) -> Typst:
        """Return a 'largest difference' line bound to a scalar tensor."""
        return self.prose(template, style.LABEL_SIZE, d=self.b.value(name, (), 2, "g"))

    def eat_boxes(self, mats: list[TensorMatrix]) -> VGroup:
        """Return a box around eat's row in each sentence's matrix."""
        return VGroup(*(m.box(rows=(self.focus(s), self.focus(s) + 1), color=FOCUS, buff=HUG) for s, m in enumerate(mats)))

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, then the two sentences it follows."""
        self.ask(self.question_caption, self.question, *self.question_details, self.sentence(0), self.sentence(1))

    def frozen(self) -> None:
        self.beat("Frozen weights")
        b = self.b
        mats, labels = VGroup(), VGroup()
        for name, sym in (("W_q", "W_Q"), ("W_k", "W_K"), ("W_v", "W_V")):
            mats.add(self.matrix(name, color=style.ROLE["W"]))
            labels.add(self.prose(f"${sym}$ ({{r}} × {{c}})", style.LABEL_SIZE, style.ROLE["W"], r=b.dim(name, 0),
                                  c=b.dim(name, 1)))
        mats.arrange(RIGHT, buff=0.6)
        for m, lab in zip(mats, labels):
            m.label(lab)
        code = self.listing(self_attention)
        style.STAGE.place(VGroup(VGroup(mats, labels), code).arrange(DOWN, buff=0.6))
        self.say("One attention head's weights, D = {D}. Frozen: every sentence meets exactly these numbers.",
                 D=b.dim("W_q", 0))
        self.play(LaggedStart(*(FadeIn(VGroup(m, lab)) for m, lab in zip(mats, labels)), lag_ratio=0.3), run_time=1.5)
        self.hold_caption()
        self.say("The same function runs for every input. Only x, the sentence, changes.")
        self.play(FadeIn(code, shift=UP * 0.2))
        self.play(FadeIn(self.code_line_box(code, 4)), run_time=0.5)  # return attend(x @ W_q, ...): x meets the weights
        self.hold_caption()
        self.clear_stage()

    def same_embedding(self) -> None:
        self.beat("Same word, same embedding")
        b, r = self.b, self.result
        table = self.matrix("table", color=style.ROLE["E"])
        e = int(r.ids[0, self.focus(0)])  # eat's row of the table
        t_words = label_rows(table, [style.note(w, color=FOCUS if i == e else style.TEXT) for i, w in enumerate(r.words)],
                             buff=0.15)
        t_title = table.label(self.prose("embedding table ({V} × {D})", color=style.ROLE["E"], V=b.dim("table", 0),
                                         D=b.dim("table", 1)))
        xs = VGroup(*(self.sentence_matrix("X", s, style.ROLE["E"]) for s in range(2)))
        titles = VGroup(*(self.sentence(s, style.NOTE_SIZE).next_to(x, UP, buff=0.15, aligned_edge=LEFT)
                          for s, x in enumerate(xs)))
        upper = VGroup(xs[0], titles[0])
        lower = VGroup(xs[1], titles[1]).next_to(upper, DOWN, buff=1.0, aligned_edge=RIGHT)
        left = VGroup(table, t_words, t_title)
        MAIN.place(VGroup(left, VGroup(upper, lower)).arrange(RIGHT, buff=1.4))
        diff = FOOT.place(self.gap_line("largest difference between the two eat rows: {d}", "emb_diff"))
        self.say("An embedding table holds one row of {D} numbers per word; a sentence picks its rows.",
                 D=b.dim("table", 1))
        self.play(FadeIn(table), FadeIn(t_words), FadeIn(t_title))
        n = xs[0].m.n_rows
        rows = [x.m.row(i) for x in xs for i in range(n)]
        picks = [TransformFromCopy(table.row(int(r.ids[s, i])), rows[s * n + i]) for s in range(2) for i in range(n)]
        frames = [VGroup(x[1], x.m.brackets) for x in xs]  # words and brackets, without the numbers
        self.play(FadeIn(titles), *(FadeIn(f) for f in frames), *picks, run_time=1.5)
        self.remove(*rows, *frames)
        self.add(*xs)  # the picked rows are the sentence matrices now
        self.hold_caption()
        boxes = VGroup(table.box(rows=(e, e + 1), color=FOCUS, buff=HUG), *self.eat_boxes([x.m for x in xs]))
        self.say("eat gets the same row in both sentences: before attention, it has no context.")
        self.play(Create(boxes), run_time=1.0)
        self.hold_caption()
        self.say("torch: the two eat rows differ by at most {d}.", d=b.value("emb_diff", (), 2, "g"))
        self.play(FadeIn(diff, shift=UP * 0.2))
        self.hold_caption()
        self.xs, self.titles, self.x_boxes = xs, titles, boxes[1:]  # xs[s].m is sentence s's input matrix
        self.play(FadeOut(left), FadeOut(boxes[0]), FadeOut(diff), run_time=0.5)

    def place_inputs(self) -> None:
        """Move the two sentence inputs to the left, where the outputs have room on their right."""
        group = VGroup(self.xs, self.titles, self.x_boxes)
        group.generate_target()
        MAIN.columns(1, 1)[0].place(group.target, align=LEFT)
        self.play(MoveToTarget(group), run_time=0.6)

    def show_outputs(self, name: str, att: str, gap: str, verdict: str) -> tuple[VGroup, VGroup]:
        """Fade in outputs, eat boxes and eat's weights right of the inputs; return them and the gap lines."""
        outs = [self.matrix(name, (s,), color=OUT) for s in range(2)]
        lines = VGroup()
        for s, (x, o) in enumerate(zip(self.xs, outs)):
            o.next_to(x.m, RIGHT, buff=1.6)
            lines.add(self.attention_line(att, s).next_to(o, DOWN, buff=0.12))
        arrows = VGroup(*(Arrow(x.m.get_right(), o.get_left(), buff=0.15, color=style.MUTED, stroke_width=3,
                                max_tip_length_to_length_ratio=0.15) for x, o in zip(self.xs, outs)))
        head = style.note("self-attention", style.NOTE_SIZE - 4, style.MUTED).next_to(arrows[0], UP, buff=0.08)
        boxes = self.eat_boxes(outs)
        bottom = VGroup(self.gap_line("largest difference between the two eat outputs: {d}", gap),
                        style.note(verdict, color=style.MUTED)).arrange(DOWN, buff=0.12)
        FOOT.place(bottom)
        self.play(Create(arrows), FadeIn(head), *(FadeIn(o) for o in outs), run_time=1.0)
        self.play(Create(boxes), LaggedStart(*(FadeIn(line) for line in lines), lag_ratio=0.3), run_time=1.2)
        return VGroup(arrows, head, *outs, boxes, lines), bottom

    def no_positions(self) -> None:
        self.beat("No positions: the same output")
        b = self.b
        self.place_inputs()
        exact = float(b.tensors["plain_diff"]) == 0.0
        verdict = "exactly zero: the same numbers" if exact else "float32 rounding only: the same sum, added in another order"
        self.say("Attention with embeddings only: eat gives the same weights to the same words, just listed in another order.")
        parts, bottom = self.show_outputs("out_plain", "att_plain", "plain_diff", verdict)
        self.hold_caption()
        if exact:
            self.say("So eat's output is identical: torch finds a difference of {d}. Without positions, attention sees a bag of words.",
                     d=b.value("plain_diff", (), 2, "g"))
        else:
            self.say("eat's output is the same up to {d}, float32 rounding: without positions, attention sees a bag of words.",
                     d=b.value("plain_diff", (), 2, "g"))
        self.play(FadeIn(bottom, shift=UP * 0.2))
        self.hold_caption()
        self.play(FadeOut(parts), FadeOut(bottom), run_time=0.5)

    def position_table(self) -> VGroup:
        """Return PE with 'position p' beside each row and its title above."""
        b = self.b
        pe = self.matrix("PE", color=style.MUTED)
        rows = label_rows(pe, [self.prose("position {p}", color=style.MUTED, p=b.index("PE", 0, i, base=0))
                               for i in range(pe.n_rows)], buff=0.15)
        return VGroup(pe, rows, pe.label(style.note("sinusoidal positions $P E$", color=style.MUTED)))

    def positions(self) -> None:
        self.beat("Positions tell the sentences apart")
        b = self.b
        pe = self.position_table().next_to(self.xs, RIGHT, buff=1.2)
        self.say("Add sinusoidal positions: row p, counted from zero, goes to the word at position p.")
        self.play(FadeIn(pe))
        self.hold_caption()
        new_x = [self.matrix("X_pe", (s,), color=style.ROLE["E"]).move_to(x.m) for s, x in enumerate(self.xs)]
        names = VGroup(*(style.note("$x + P E$", style.NOTE_SIZE - 2, style.MUTED).next_to(m, UP, buff=0.12)
                         .align_to(m, RIGHT) for m in new_x))
        self.say("eat is in the middle both times, so its row stays the same. cat and mouse swapped places, so theirs differ.")
        self.play(*(FadeOut(x.m) for x in self.xs), *(FadeIn(m) for m in new_x), FadeIn(names), run_time=0.8)
        for x, m in zip(self.xs, new_x):  # the words stay; the matrix beside them is now x + PE
            x.remove(x.m)
            x.add(m)
            x.m = m
        self.hold_caption()
        self.play(FadeOut(pe), run_time=0.4)
        self.say("The same frozen weights now give eat different attention weights and a different output.")
        parts, bottom = self.show_outputs("out_pe", "att_pe", "pe_diff", "word order now changes what eat becomes")
        self.hold_caption()
        self.say("torch: the eat outputs differ by up to {d}. The context came from the input, not from new weights.",
                 d=b.value("pe_diff", (), 2, "g"))
        self.play(FadeIn(bottom, shift=UP * 0.2))
        self.hold_caption()
        self.clear_stage()

    def vocabulary(self) -> None:
        self.beat("Vocabulary size and the query weight")
        b = self.b
        rows = VGroup()
        for i, (name, tall) in enumerate((("table", 0.9), ("table_big", 2.0))):
            block = Rectangle(width=0.9, height=tall, stroke_color=style.ROLE["E"], fill_color=style.ROLE["E"],
                              fill_opacity=0.15)
            text = VGroup(
                self.prose("vocabulary of {V} words", V=b.dim(name, 0)),
                self.prose("table ({V} × {D})", color=style.ROLE["E"], V=b.dim(name, 0), D=b.dim(name, 1)),
                self.prose("{p} parameters", color=style.MUTED, p=b.value("table_params", (i,), 0)),
            ).arrange(DOWN, aligned_edge=LEFT, buff=0.1)
            rows.add(VGroup(block, text).arrange(RIGHT, buff=0.3))
        rows.arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        W = self.matrix("W_q", color=style.ROLE["W"])
        w_label = W.label(self.prose("$W_Q$ ({r} × {c}), {p} parameters", color=style.ROLE["W"], r=b.dim("W_q", 0),
                                     c=b.dim("W_q", 1), p=b.value("wq_params", (), 0)))
        w_group = VGroup(W, w_label)
        MAIN.place(VGroup(rows, w_group).arrange(RIGHT, buff=1.8))
        arrows = VGroup(*(Arrow(r[1].get_right(), W.get_left(), buff=0.25, color=style.MUTED, stroke_width=3,
                                max_tip_length_to_length_ratio=0.08) for r in rows))
        note = FOOT.place(style.note("every word's row has $D$ numbers: $W_Q$ only ever sees rows of length $D$",
                                     color=style.MUTED))
        self.say("The vocabulary only sizes the embedding table: {V} words, {V} rows. W_Q sees rows of length D, never word ids.",
                 V=b.dim("table", 0))
        self.play(FadeIn(rows[0]), FadeIn(w_group))
        self.play(Create(arrows[0]), FadeIn(note))
        self.hold_caption()
        self.say("With {V} words the table grows to {p} parameters; W_Q stays {D} by {D}, {w} numbers.",
                 V=b.dim("table_big", 0), p=b.value("table_params", (1,), 0), D=b.dim("W_q", 0), w=b.value("wq_params", (), 0))
        self.play(FadeIn(rows[1]), Create(arrows[1]))
        self.hold_caption()
        self.clear_stage()
