"""Lecture `fixed`: trained, then frozen W_Q, W_K, W_V, yet "eat" attends to and becomes something else in each sentence."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    MoveToTarget,
    Rectangle,
    ReplacementTransform,
    Typst,
    VGroup,
)

from scenes.kit import style, typst_cache
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, label_rows
from scenes.kit.plot import Plane

HUG = 0.05  # highlight margin around the digits: clear of the brackets even at 480p
MAIN, FOOT = style.STAGE.rows(6, 0.7)  # the pictures, and the line of torch's verdict under them
PAIR = (0, 1)  # eat between other neighbours: cat eat mouse, dog eat fish
SWAP = (0, 2)  # the same words in another order: cat eat mouse, mouse eat cat


class FixedLecture(LectureScene):
    """Fixed weights, changing context: what changes for "eat" from sentence to sentence, and what does not."""

    question = "After training, $W_Q$ is fixed."
    question_details = ("How can fixed weights know the context of a new sentence?",)
    question_caption = ("After training, W_Q, W_K and W_V never change again. So how does a new sentence get its own"
                        " context? Follow the word eat through a few sentences.")
    recap_caption = "Fixed weights, fresh context: the sentence, with its word order, decides what eat attends to and becomes."
    beats = ("intro", "trained", "frozen", "same_input", "context", "order", "vocabulary", "recap")
    roles = {"table": "input", "X": "input", "X_pe": "input", "eat_x": "input", "PE": "position", "W_q": "weight",
             "W_k": "weight", "W_v": "weight", "W_q_heads": "weight", "eat_q": "query", "k": "key", "v": "value",
             "eat_s": "score", "eat_a": "attention", "att_plain": "attention", "eat_o": "output",
             "eat_out": "output", "eat_out_plain": "output"}

    # -- helpers ------------------------------------------------------------------------------
    def word(self, s: int, i: int) -> str:
        """Return the i-th word of sentence s, read from the token ids."""
        return self.words_all[int(self.result.ids[s, i])]

    @property
    def words_all(self) -> tuple[str, ...]:
        """The model's whole vocabulary (ids index it); the drawn table shows its first V rows."""
        from tensors.trained import WORDS
        return WORDS

    def focus(self, s: int) -> int:
        """Return the position of "eat" in sentence s."""
        return int(self.result.focus[s])

    def named(self, s: int, h: int) -> str:
        """Return the word head h's read-out names at eat's position in sentence s."""
        return self.words_all[int(self.result.pred[s, h, self.focus(s)])]

    def label(self, s: int, i: int, size: float = style.NOTE_SIZE) -> Typst:
        """Return word i of sentence s as a label: eat bold and white, the others grey."""
        w = self.word(s, i)
        return style.note(f"*{w}*" if i == self.focus(s) else w, size, style.TEXT if i == self.focus(s) else style.MUTED)

    def sentence(self, s: int, size: float = style.LABEL_SIZE) -> Typst:
        """Return sentence s in quotes, eat in bold."""
        n = self.result.ids.shape[1]
        words = [f"*{self.word(s, i)}*" if i == self.focus(s) else self.word(s, i) for i in range(n)]
        return typst_cache.typst("“" + " ".join(words) + "”", font_size=size, color=style.TEXT)

    def words_beside(self, m: TensorMatrix, s: int) -> VGroup:
        """Return sentence s's words to the left of a matrix with one row per word."""
        return label_rows(m, [self.label(s, i) for i in range(m.n_rows)], buff=0.15)

    def eat_box(self, m: TensorMatrix, s: int) -> Rectangle:
        """Return a white box around eat's row of a matrix with one row per word."""
        f = self.focus(s)
        return m.box(rows=(f, f + 1), color=style.TEXT, buff=HUG)

    def line(self, template: str, color: str = style.TEXT, **fields) -> Typst:
        """Return a bound prose line at label size."""
        return self.prose(template, style.LABEL_SIZE, color, **fields)

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, then two of the sentences it follows."""
        self.ask(self.question_caption, self.question, *self.question_details, self.sentence(0), self.sentence(1))

    def trained(self) -> None:
        self.beat("Trained first")
        b, r = self.b, self.result
        steps = int(r.steps)
        top = float(r.loss_ends[0]) * 1.1
        plane = Plane(b, (0.0, float(steps)), (0.0, top), width=6.0, height=4.0)
        at = [*range(0, steps, 3), steps - 1]  # every third step, and the last
        curve = plane.curve([float(i) for i in at], [b.value("losses", (i,)) for i in at],
                            color=style.TEXT, stroke_width=4)
        ticks = VGroup(plane.tick(b.value("steps", (), 0, "n"), axis="x", font_size=style.NOTE_SIZE),
                       plane.tick(b.value("loss_ends", (0,)), axis="y", font_size=style.NOTE_SIZE),
                       plane.tick(b.value("loss_ends", (1,)), axis="y", font_size=style.NOTE_SIZE))
        x_name = style.note("training step", color=style.MUTED).next_to(plane.axes, DOWN, buff=0.45)
        y_name = style.note("loss", color=style.MUTED).next_to(plane.axes, UP, buff=0.12).align_to(plane.axes, LEFT)
        plot = VGroup(plane, ticks, x_name, y_name, curve)
        text = VGroup(
            style.note("A two-head attention model, trained to name", size=style.LABEL_SIZE),
            self.line("the word before each word (head {h})", style.INDEX[0], h=b.index("eat_q", 1, 0)),
            self.line("and the word after it (head {h})", style.INDEX[1], h=b.index("eat_q", 1, 1)),
            self.line("loss {a} → {z} in {n} steps", style.MUTED, a=b.value("loss_ends", (0,)),
                      z=b.value("loss_ends", (1,)), n=b.value("steps", (), 0, "n")),
            self.line("*{p}% right on sentences it never saw*", p=b.value("accuracy", (), 0)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        style.STAGE.place(VGroup(plot, text).arrange(RIGHT, buff=0.9))
        self.say("First, training. A small two-head attention model learned, at every word, to name the word before"
                 " it and the word after it.")
        self.play(FadeIn(VGroup(plane, ticks, x_name, y_name)), LaggedStart(*(FadeIn(t) for t in text[:3]),
                                                                                 lag_ratio=0.3), run_time=1.2)
        self.play(Create(curve), run_time=2.5)
        self.hold_caption()
        self.say("Its loss fell from {a} to {z} in {n} steps, and on sentences it never saw it is right {p}% of the time.",
                 a=b.value("loss_ends", (0,)), z=b.value("loss_ends", (1,)), n=b.value("steps", (), 0, "n"),
                 p=b.value("accuracy", (), 0))
        self.play(LaggedStart(FadeIn(text[3], shift=UP * 0.2), FadeIn(text[4], shift=UP * 0.2), lag_ratio=0.5),
                  run_time=1.2)
        self.hold_caption()
        self.clear_stage()

    def frozen(self) -> None:
        self.beat("Then frozen")
        b = self.b
        mats, titles, heads = VGroup(), VGroup(), VGroup()
        for name, sym in (("W_q", "W_Q"), ("W_k", "W_K"), ("W_v", "W_V")):
            m = self.matrix(name)
            mats.add(m)
            titles.add(self.prose(f"${sym}$ ({{r}} × {{c}})", style.LABEL_SIZE, style.ROLE["W"], r=b.dim(name, 0),
                                  c=b.dim(name, 1)))
        mats.arrange(RIGHT, buff=0.7)
        d = int(self.result.eat_q.shape[-1])
        lines = VGroup(*(Line(*m.slot(0, m.n_rows, k, k), color=style.MUTED, stroke_width=2)
                         for m in mats for k in range(d, m.n_cols, d)))  # between the heads' column bands
        for m, title in zip(mats, titles):
            tags = VGroup(*(self.prose("head {h}", color=style.INDEX[h], h=b.index("eat_q", 1, h))
                            for h in range(m.n_cols // d)))
            for h, tag in enumerate(tags):
                tag.next_to(m, UP, buff=0.15).set_x(m.column_band(h * d, (h + 1) * d).get_x())
            title.next_to(tags, UP, buff=0.2).set_x(m.get_x())
            heads.add(tags)
        lock = style.note("frozen: no update from here on", size=style.LABEL_SIZE, color=style.MUTED)
        style.STAGE.place(VGroup(VGroup(mats, lines, titles, heads), lock).arrange(DOWN, buff=1.2))
        self.say("Training is over: W_Q, W_K and W_V are frozen at these trained values, D = {D}.", D=b.dim("W_q", 0))
        self.play(LaggedStart(*(FadeIn(VGroup(m, t)) for m, t in zip(mats, titles)), lag_ratio=0.3), run_time=1.5)
        self.hold_caption()
        self.say("Head {h} uses the left {d} columns of each, head {g} the right {d}. Every sentence meets exactly"
                 " these numbers.", d=b.dim("eat_q", 3), h=b.index("eat_q", 1, 0), g=b.index("eat_q", 1, 1))
        self.play(Create(lines), FadeIn(heads), run_time=1.0)
        self.play(FadeIn(lock, shift=UP * 0.2), run_time=0.6)
        self.hold_caption()
        self.clear_stage()

    def same_input(self) -> None:
        self.beat("Same word, same input")
        b, r = self.b, self.result
        table = self.matrix("table")
        e = int(r.ids[0, self.focus(0)])
        t_words = label_rows(table, [style.note(w, color=style.TEXT if i == e else style.MUTED)
                                     for i, w in enumerate(r.words)], buff=0.15)
        t_title = table.label(self.prose("trained embedding table ({V} × {D})", color=style.ROLE["E"],
                                         V=b.dim("table", 0), D=b.dim("table", 1)))
        left = VGroup(table, t_words, t_title)
        xs = [self.matrix("X", (s,)) for s in PAIR]
        sums = [self.matrix("X_pe", (s,)) for s in PAIR]
        x_words = [self.words_beside(x, s) for x, s in zip(xs, PAIR)]
        x_titles = [self.sentence(s, style.NOTE_SIZE).next_to(x, UP, buff=0.15) for x, s in zip(xs, PAIR)]
        right = VGroup(VGroup(xs[0], x_words[0], x_titles[0]), VGroup(xs[1], x_words[1], x_titles[1]))
        right.arrange(DOWN, buff=0.6)
        MAIN.place(VGroup(left, right).arrange(RIGHT, buff=1.6))
        for x, m in zip(xs, sums):
            m.move_to(x)
        self.say("The trained table holds one row of {D} numbers per word; each sentence picks its rows.",
                 D=b.dim("table", 1))
        self.play(FadeIn(left), FadeIn(VGroup(*x_titles, *x_words)), run_time=0.8)
        n = xs[0].n_rows
        self.play(*(ReplacementTransform(table.row(int(r.ids[s, i])).copy(), x.row(i))
                    for x, s in zip(xs, PAIR) for i in range(n)), *(Create(x.brackets) for x in xs), run_time=1.5)
        self.remove(*(x.row(i) for x in xs for i in range(n)), *(x.brackets for x in xs))
        self.add(*xs)
        self.hold_caption()
        # positions replace the table on the left, and each row flies into its word's row
        pe = self.matrix("PE")
        pe_rows = label_rows(pe, [self.prose("position {p}", color=style.ROLE["position"], p=b.index("PE", 0, i))
                                  for i in range(pe.n_rows)], buff=0.15)
        pe_title = pe.label(style.note("sinusoidal positions $P E$", color=style.ROLE["position"]))
        pe_group = VGroup(pe, pe_rows, pe_title).move_to(left).align_to(left, RIGHT)
        self.say("The model also adds its position to every word: row p of the sinusoidal table goes to the p-th word.")
        self.play(FadeOut(left), run_time=0.4)
        self.play(FadeIn(pe_group, shift=RIGHT * 0.2), run_time=0.6)
        for x, m in zip(xs, sums):
            self.play(*(self.flow(pe.row(i), m.row(i)) for i in range(n)), FadeOut(x.entries),
                      *(FadeIn(VGroup(m.brackets)),), run_time=1.2)
            self.remove(x)
            self.add(m)
        names = VGroup(*(style.note("$x + P E$", color=style.MUTED).next_to(m, RIGHT, buff=0.25) for m in sums))
        self.play(FadeIn(names), run_time=0.4)
        self.hold_caption()
        boxes = VGroup(*(self.eat_box(m, s) for m, s in zip(sums, PAIR)))
        diff = FOOT.place(self.line("largest difference between the two eat rows: {d}", d=b.value("in_diff", (), 2, "g")))
        self.say("eat is the second word in both: the same embedding plus the same position. Its input rows differ by {d}.",
                 d=b.value("in_diff", (), 2, "g"))
        self.play(Create(boxes), FadeIn(diff, shift=UP * 0.2), run_time=1.0)
        self.hold_caption()
        self.clear_stage()

    def context(self) -> None:
        self.beat("Same weights, different attention")
        b = self.b
        h = 0  # head 1: the word before
        s0 = PAIR[0]
        # eat's query, once: its input row times head 1's band of W_Q
        x = self.matrix("eat_x", (s0,))
        W = self.matrix("W_q_heads", (h,))
        q = self.matrix("eat_q", (s0, h))
        x_name = x.label(self.math("x_\"eat\"", color=style.ROLE["E"]))
        w_name = W.label(self.prose("$W_Q$, head {h}", color=style.ROLE["W"], h=b.index("eat_q", 1, h)))
        q_name = q.label(self.math("q_\"eat\"", color=style.ROLE["Q"]))
        times = style.note("$times$", size=style.LABEL_SIZE)
        equals = style.note("$=$", size=style.LABEL_SIZE)
        strip = VGroup(VGroup(x, x_name), times, VGroup(W, w_name), equals, VGroup(q, q_name)).arrange(RIGHT, buff=0.35)
        style.STAGE.place(strip)
        self.say("Follow head {h} at eat. Its query is eat's input row times head {h}'s columns of W_Q: the same row,"
                 " the same weights, in every sentence.", h=b.index("eat_q", 1, h))
        self.play(FadeIn(VGroup(x, x_name, times, W, w_name, equals, q_name)), run_time=0.8)
        self.play(self.flow(VGroup(x.entries, W.entries), q), run_time=1.2)
        self.hold_caption()
        # the two sentences, one panel each; eat's query moves to the top left, shared by both
        self.play(FadeOut(VGroup(x, x_name, times, W, w_name, equals)), run_time=0.4)
        q_group = VGroup(q, q_name)
        q_group.generate_target()
        panels = [self.panel(s, h) for s in PAIR]
        body = VGroup(*(p["all"] for p in panels)).arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        top = panels[0]
        heads = VGroup(style.note("keys", color=style.MUTED),
                       self.math("q dot k \\/ sqrt({d})", color=style.MUTED, d=b.dim("eat_q", 3)),
                       style.note("values", color=style.MUTED))
        for head, m in zip(heads, (top["k"], top["s"], top["v"])):
            head.next_to(top["title"], UP, buff=0.2).set_x(m.get_x())
        q_group.target.next_to(body, LEFT, buff=0.45)  # shared by both sentences: between them, on the left
        layout = VGroup(q_group.target, heads, body)
        MAIN.place(layout)
        weights_head = style.note("weights", color=style.MUTED).move_to(heads[1])
        for p in panels:  # the weights take the place of the scores
            p["a"].move_to(p["s"])
        self.say("In cat eat mouse and dog eat fish the keys differ: cat's key is not dog's. Each score is q times a key,"
                 " over the square root of {d}.", d=b.dim("eat_q", 3))
        self.play(MoveToTarget(q_group), FadeIn(heads), *(FadeIn(VGroup(p["words"], p["k"], p["title"])) for p in panels),
                  run_time=1.0)
        for p in panels:
            n = p["k"].n_rows
            self.play(*(self.flow(VGroup(q.entries, p["k"].row(j)), p["s"].row(j)) for j in range(n)),
                      FadeIn(p["s"].brackets), run_time=1.2)
        self.hold_caption()
        a0 = b.value("eat_a", (PAIR[0], h, self.focus(PAIR[0]) - 1, 0))
        a1 = b.value("eat_a", (PAIR[1], h, self.focus(PAIR[1]) - 1, 0))
        self.say(f"Softmax turns scores into weights. Trained to look one word back, eat puts {{a}} on"
                 f" {self.word(PAIR[0], 0)} and {{c}} on {self.word(PAIR[1], 0)}.", a=a0, c=a1)
        self.play(*(ReplacementTransform(p["s"], p["a"]) for p in panels), ReplacementTransform(heads[1], weights_head),
                  run_time=1.2)
        back = VGroup(*(p["a"].box(rows=(self.focus(s) - 1, self.focus(s)), color=style.TEXT, buff=HUG)
                        for p, s in zip(panels, PAIR)))
        self.play(Create(back), run_time=0.6)
        self.hold_caption()
        self.say("eat's output is the weighted sum of the value rows: mostly the value of the word before.")
        self.play(*(FadeIn(VGroup(p["v"], p["arrow"])) for p in panels), run_time=0.6)
        for p in panels:
            self.play(self.flow(VGroup(p["a"].entries, p["v"].entries), p["o"]), run_time=1.2)
        self.hold_caption()
        names = VGroup(*(p["named"] for p in panels))
        verdict = FOOT.place(self.line("same $W_Q$, same $x_\"eat\"$: outputs differ by up to {d}",
                                       d=b.value("ctx_diff", (), 2, "g")))
        self.say(f"Head {{h}}'s read-out names {self.named(PAIR[0], h)} in one sentence and {self.named(PAIR[1], h)} in"
                 f" the other. Head {{g}} does the same for the word after: {self.named(PAIR[0], 1)}, then"
                 f" {self.named(PAIR[1], 1)}.", h=b.index("eat_q", 1, h), g=b.index("eat_q", 1, 1))
        self.play(LaggedStart(*(FadeIn(n, shift=RIGHT * 0.2) for n in names), lag_ratio=0.4), run_time=1.0)
        self.hold_caption()
        self.say("The weights never changed; the sentence did. Context is computed from the input, by fixed weights.")
        self.play(FadeIn(verdict, shift=UP * 0.2), run_time=0.6)
        self.hold_caption()
        self.clear_stage()

    def panel(self, s: int, h: int) -> dict:
        """Return sentence s's keys, scores (then weights), values and output for head h at eat, laid out in a row."""
        b = self.b
        k = self.matrix("k", (s, h))
        sc = self.matrix("eat_s", (s, h))
        a = self.matrix("eat_a", (s, h))
        v = self.matrix("v", (s, h))
        o = self.matrix("eat_o", (s, h))
        VGroup(k, sc, v).arrange(RIGHT, buff=0.35)
        words = self.words_beside(k, s)
        arrow = style.arrow(v.get_right(), v.get_right() + RIGHT * 0.8)
        o.next_to(arrow, RIGHT, buff=0.1)
        o_name = o.label(self.math("o_\"eat\"", color=style.ROLE["output"]))
        o_name.next_to(o, UP, buff=0.15)
        named = VGroup(
            self.prose(f"head {{h}} names *{self.named(s, h)}*", h=b.index("eat_q", 1, h)),
            self.prose(f"head {{h}} names *{self.named(s, h + 1)}*", color=style.MUTED, h=b.index("eat_q", 1, h + 1)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        named.next_to(o, DOWN, buff=0.15)
        title = self.sentence(s, style.NOTE_SIZE).next_to(VGroup(words, k), UP, buff=0.2).align_to(words, LEFT)
        group = VGroup(title, words, k, sc, v, arrow, o, o_name, named)
        return {"all": group, "k": k, "s": sc, "a": a, "v": v, "o": o, "words": words, "title": title,
                "arrow": VGroup(arrow, o_name), "named": named}

    def weight_cells(self, name: str, s: int, h: int) -> VGroup:
        """Return eat's attention weights in sentence s, each under its word."""
        f = self.focus(s)
        cells = VGroup()
        for j in range(self.result.ids.shape[1]):
            num = self.b.number(self.b.value(name, (s, h, f, j)), style.NUMBER_SIZE, color=style.ROLE["attention"])
            cells.add(VGroup(self.label(s, j), num).arrange(DOWN, buff=0.1))
        return cells.arrange(RIGHT, buff=0.45, aligned_edge=DOWN)

    def order(self) -> None:
        self.beat("Word order needs positions")
        b = self.b
        h = 0
        rows = VGroup()
        plain, full = [], []
        for s in SWAP:
            cells = self.weight_cells("att_plain", s, h)
            out = self.matrix("eat_out_plain", (s,))
            title = self.sentence(s, style.NOTE_SIZE)
            rows.add(VGroup(title, cells, out).arrange(RIGHT, buff=0.8))
            plain.append((cells, out))
        rows.arrange(DOWN, buff=1.1, aligned_edge=LEFT)
        heads = VGroup(self.prose("eat's weights, head {h}", color=style.MUTED, h=b.index("eat_q", 1, h))
                       .next_to(rows[0][1], UP, buff=0.3),
                       style.note("eat's output", color=style.MUTED).next_to(rows[0][2], UP, buff=0.3),
                       style.note("inputs: $x$", color=style.MUTED).next_to(rows[0][0], UP, buff=0.3))
        top = max(hd.get_y() for hd in heads)
        for hd in heads:  # one line of column headings
            hd.set_y(top)
        MAIN.place(VGroup(heads, rows))
        with_pe = style.note("inputs: $x + P E$", color=style.ROLE["position"]).move_to(heads[2])
        for (cells, out), s in zip(plain, SWAP):
            full.append((self.weight_cells("att", s, h).move_to(cells), self.matrix("eat_out", (s,)).move_to(out)))
        boxes = VGroup(*(o.box(color=style.TEXT, buff=HUG) for _, o in plain))
        self.say("Now the same words in another order: cat eat mouse, mouse eat cat. First, leave the positions out.")
        self.play(FadeIn(heads), FadeIn(VGroup(*(r[0] for r in rows))), run_time=0.6)
        self.play(LaggedStart(*(FadeIn(VGroup(c, o)) for c, o in plain), lag_ratio=0.4), run_time=1.2)
        self.hold_caption()
        gap = FOOT.place(self.line("without positions, largest difference: {d}", d=b.value("plain_diff", (), 2, "g")))
        self.say_gap("plain_diff",
                     "Without positions eat gives each word the same weight in both orders, so its output is identical:"
                     " a difference of {d}.",
                     "Without positions eat gives each word the same weight in both orders, so its output is the same"
                     " up to {d}, float32 rounding.")
        self.play(Create(boxes), FadeIn(gap, shift=UP * 0.2), run_time=0.8)
        self.hold_caption()
        gap2 = FOOT.place(self.line("with positions, largest difference: {d}", d=b.value("pe_diff", (), 2, "g")))
        self.say("Attention alone sees a bag of words. Add the positions, as the model was trained, and eat's weights and"
                 " output change with the order: the outputs now differ by {d}.", d=b.value("pe_diff", (), 2, "g"))
        self.play(FadeOut(boxes), *(ReplacementTransform(c, nc) for (c, _), (nc, _) in zip(plain, full)),
                  *(ReplacementTransform(o, no) for (_, o), (_, no) in zip(plain, full)),
                  ReplacementTransform(gap, gap2), ReplacementTransform(heads[2], with_pe), run_time=1.2)
        self.hold_caption()
        names = VGroup(*(self.prose(f"names *{self.named(s, h)}*", style.LABEL_SIZE).next_to(no, RIGHT, buff=0.3)
                         for s, (_, no) in zip(SWAP, full)))
        self.say(f"With positions, head {{h}} finds the word before again: {self.named(SWAP[0], h)} in one order,"
                 f" {self.named(SWAP[1], h)} in the other.", h=b.index("eat_q", 1, h))
        self.play(FadeIn(names, shift=RIGHT * 0.2), run_time=0.8)
        self.hold_caption()
        self.clear_stage()

    def vocabulary(self) -> None:
        self.beat("Vocabulary size and the query weight")
        b = self.b
        rows = VGroup()
        for i, (name, tall) in enumerate((("table", 0.8), ("table_big", 2.2))):
            block = Rectangle(width=0.9, height=tall, stroke_color=style.ROLE["E"], fill_color=style.ROLE["E"],
                              fill_opacity=0.15)
            text = VGroup(
                self.prose("a table of {V} words", V=b.value("vocab_sizes", (i,), 0, "n")),
                self.prose("table ({V} × {D})", color=style.ROLE["E"], V=b.value("vocab_sizes", (i,), 0, "n"),
                           D=b.dim(name, 1)),
                self.prose("{p} parameters", color=style.MUTED, p=b.value("table_params", (i,), 0, "n")),
            ).arrange(DOWN, aligned_edge=LEFT, buff=0.1)
            rows.add(VGroup(block, text).arrange(RIGHT, buff=0.3))
        rows.arrange(DOWN, buff=0.5, aligned_edge=LEFT)
        scale = style.note("heights not to scale", color=style.MUTED).next_to(rows, DOWN, buff=0.25).align_to(rows, LEFT)
        W = self.matrix("W_q")
        w_label = W.label(self.prose("$W_Q$ ({r} × {c}), {p} parameters", color=style.ROLE["W"], r=b.dim("W_q", 0),
                                     c=b.dim("W_q", 1), p=b.value("wq_params", (), 0)))
        w_group = VGroup(W, w_label)
        MAIN.place(VGroup(VGroup(rows, scale), w_group).arrange(RIGHT, buff=1.6))
        arrows = VGroup(*(style.arrow(r[1].get_right(), W.get_left(), buff=0.25) for r in rows))
        note = FOOT.place(style.note("every word's row has $D$ numbers: $W_Q$ only ever sees rows of length $D$",
                                     color=style.MUTED))
        self.say("The vocabulary only sizes the embedding table: {V} words, {V} rows. W_Q sees rows of length D,"
                 " never word ids.", V=b.dim("table", 0))
        self.play(FadeIn(rows[0]), FadeIn(w_group))
        self.play(Create(arrows[0]), FadeIn(note))
        self.hold_caption()
        self.say("With {V} words the table grows to {p} parameters; W_Q stays {D} by {D}, {w} numbers.",
                 V=b.value("vocab_sizes", (1,), 0, "n"), p=b.value("table_params", (1,), 0, "n"), D=b.dim("W_q", 0),
                 w=b.value("wq_params", (), 0))
        self.play(FadeIn(rows[1]), FadeIn(scale), Create(arrows[1]))
        self.hold_caption()
        self.clear_stage()

    def recap(self) -> None:
        """The closing bullets, each one a beat the lecture showed, its numbers bound."""
        b = self.b
        lines = (
            self.bullet("Trained to name the word before and after: {p}% right on unseen sentences; then frozen.",
                        p=b.value("accuracy", (), 0)),
            self.bullet(f"Same $W_Q$, same eat: its attention and output come from the sentence"
                        f" ({self.named(PAIR[0], 0)} vs {self.named(PAIR[1], 0)})."),
            self.bullet("Without positions attention ignores word order; positions tell the orders apart."),
            self.bullet("$W_Q$ is $D times D$: the vocabulary only sizes the embedding table."),
        )
        self.summarise(self.recap_caption, *lines)

