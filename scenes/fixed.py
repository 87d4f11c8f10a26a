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
    Rectangle,
    ReplacementTransform,
    Typst,
    VGroup,
    VMobject,
)

from scenes.kit import style, typst_cache
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, glyph_box, label_columns, label_rows
from scenes.kit.plot import Plane

HUG = 0.1  # highlight margin around the digits (the kit default): clear of the brackets and the neighbours at 480p
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
    beats = ("intro", "trained", "frozen", "same_input", "context", "readout", "order", "vocabulary", "recap")
    roles = {"table": "input", "X": "input", "X_pe": "input", "eat_x": "input", "PE": "position", "W_q": "weight",
             "W_k": "weight", "W_v": "weight", "W_q_heads": "weight", "eat_q": "query", "k": "key", "v": "value",
             "eat_s": "score", "eat_a": "attention", "att": "attention", "W_k_heads": "weight", "eat_terms": "score", "eat_raw": "score",
             "read": "weight", "logits": "output", "att_plain": "attention", "eat_o": "output",
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
            self.line("the word before each word (head {h})", style.TEXT, h=b.index("eat_q", 1, 0)),
            self.line("and the word after it (head {h})", style.TEXT, h=b.index("eat_q", 1, 1)),
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

    def expr(self, *parts) -> VGroup:
        """Return a line of maths pieces and bound numbers, side by side (each number in its tensor's colour)."""
        line = VGroup()
        for part in parts:
            if isinstance(part, str):
                line.add(self.math(part))
            elif isinstance(part, VMobject):
                line.add(part)
            else:
                role = self.roles.get(part.tensor) if part.kind == "value" else None
                line.add(self.b.number(part, style.NUMBER_SIZE, color=style.ROLE[role] if role else style.TEXT))
        line.arrange(RIGHT, buff=0.1)
        texts = [p if isinstance(p, str) else None for p in parts]
        for i in range(1, len(line)):  # brackets hug the numbers they enclose: "(1.55)(−2.56)", "exp(8.25)"
            tight = (texts[i - 1] or "").endswith("(") or (texts[i] or "").startswith(")")
            line[i].next_to(line[i - 1], RIGHT, buff=0.04 if tight else 0.1)
        return line

    def context(self) -> None:
        self.beat("Same weights, different attention")
        b = self.b
        h = 0  # head 1: the word before
        s0, s1 = PAIR
        hd = b.index("eat_q", 1, h)
        # 1) eat's query, once: its input row times head 1's band of W_Q
        x = self.matrix("eat_x", (s0,))
        W = self.matrix("W_q_heads", (h,))
        q = self.matrix("eat_q", (s0, h))
        x_name = x.label(self.math("x_\"eat\"", color=style.ROLE["E"]))
        w_name = W.label(self.prose("$W_Q$, head {h}", color=style.ROLE["W"], h=hd))
        q_name = q.label(self.math("q_\"eat\"", color=style.ROLE["Q"]))
        times = style.note("$times$", size=style.LABEL_SIZE)
        equals = style.note("$=$", size=style.LABEL_SIZE)
        strip = VGroup(VGroup(x, x_name), times, VGroup(W, w_name), equals, VGroup(q, q_name)).arrange(RIGHT, buff=0.35)
        style.STAGE.place(strip)
        self.say("Follow head {h} at eat. Its query is eat's input row times head {h}'s columns of W_Q: the same row,"
                 " the same weights, in every sentence.", h=hd)
        self.play(FadeIn(VGroup(x, x_name, times, W, w_name, equals, q_name)), run_time=0.8)
        # its first entry, worked out: eat's row against the first column of the band, term by term
        D = x.n_cols
        parts = [self.math("q_1 =")]
        for c in range(D):
            parts += ["(", b.value("eat_x", (s0, 0, c)), ")(", b.value("W_q_heads", (h, c, 0)), ")" + (" +" if c < D - 1 else " =")]
        parts.append(b.value("eat_q", (s0, h, 0, 0)))
        sum1 = FOOT.place(self.expr(*parts))
        col = W.box(cols=(0, 1), color=style.TEXT)
        self.play(Create(col), FadeIn(VGroup(sum1[0], *(sum1[1 + 5 * c] for c in range(D)),
                                             *(sum1[3 + 5 * c] for c in range(D)), *(sum1[5 + 5 * c] for c in range(D)))),
                  *(self.carry(x.entry(0, c), sum1[2 + 5 * c]) for c in range(D)),
                  *(self.carry(W.entry(c, 0), sum1[4 + 5 * c]) for c in range(D)), run_time=1.5)
        self.play(self.flow(VGroup(*(sum1[2 + 5 * c] for c in range(D)), *(sum1[4 + 5 * c] for c in range(D))), sum1[-1]),
                  run_time=0.8)
        self.play(self.carry(sum1[-1], q.entry(0, 0)), FadeIn(q.brackets), run_time=0.8)
        self.play(FadeOut(col), self.flow(VGroup(x.entries, W.column_band(1, 2)), q.entry(0, 1)), run_time=0.8)
        self.settle(q)
        self.hold_caption()
        self.play(FadeOut(VGroup(x, x_name, times, W, w_name, equals, q, q_name, sum1)), run_time=0.5)

        # 2) the keys of both sentences: their input rows, stacked, times head 1's band of W_K
        Wk = self.matrix("W_k_heads", (h,))
        wk_name = Wk.label(self.prose("$W_K$, head {h}", color=style.ROLE["W"], h=hd))
        xs = [self.matrix("X_pe", (s,)) for s in PAIR]
        ks = [self.matrix("k", (s, h)) for s in PAIR]
        stack = VGroup(*xs).arrange(DOWN, buff=0.65)
        times, equals = style.note("$times$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        kstack = VGroup(*ks).arrange(DOWN, buff=0.65)
        row = VGroup(stack, times, VGroup(Wk, wk_name), equals, kstack).arrange(RIGHT, buff=0.28)
        for x_s, k_s in zip(xs, ks):
            k_s.set_y(x_s.get_y())
        words = VGroup(*(self.words_beside(x_s, s) for x_s, s in zip(xs, PAIR)))
        titles = VGroup(*(self.sentence(s, style.NOTE_SIZE).next_to(x_s, UP, buff=0.12) for x_s, s in zip(xs, PAIR)))
        x_head = style.note("inputs $x + P E$", color=style.ROLE["E"]).next_to(titles[0], UP, buff=0.15)
        k_head = self.math("K", color=style.ROLE["K"]).next_to(ks[0], UP, buff=0.15).set_y(x_head.get_y())
        MAIN.place(VGroup(row, words, titles, x_head, k_head))
        self.say("The keys come from the whole sentence: every input row times head {h}'s columns of W_K, the same"
                 " weights for both sentences.", h=hd)
        self.play(FadeIn(VGroup(*xs, words, titles, x_head, times, Wk, wk_name, equals, k_head)), run_time=0.8)
        n = ks[0].n_rows
        for x_s, k_s in zip(xs, ks):  # one sentence at a time: no copies crossing each other
            self.play(LaggedStart(*(self.flow(VGroup(x_s.row(i), Wk.entries), k_s.row(i)) for i in range(n)),
                                  lag_ratio=0.3), FadeIn(k_s.brackets), run_time=1.2)
        self.settle(*ks)
        self.hold_caption()
        f0, f1 = self.focus(s0), self.focus(s1)
        marks = VGroup(*(k_s.box(rows=(f - 1, f), color=style.TEXT, buff=HUG) for k_s, f in zip(ks, (f0, f1))))
        self.say(f"eat's own key is the same in both. But {self.word(s0, f0 - 1)}'s key is not"
                 f" {self.word(s1, f1 - 1)}'s: other neighbours, other keys.")
        self.play(Create(marks), run_time=0.6)
        self.hold_caption()

        # 3) one panel per sentence: keys, scores, weights, values, eat's output
        panels = [self.panel(s, h) for s in PAIR]
        body = VGroup(*(p["all"] for p in panels)).arrange(DOWN, buff=0.45, aligned_edge=LEFT)
        top = panels[0]
        heads = VGroup(style.note("keys", color=style.MUTED),
                       self.math("q dot k \\/ sqrt({d})", color=style.MUTED, d=b.dim("eat_q", 3)),
                       style.note("softmax", color=style.MUTED),
                       style.note("values", color=style.MUTED))
        for head, m in zip(heads, (top["k"], top["s"], top["a"], top["v"])):
            head.next_to(top["title"], UP, buff=0.2).set_x(m.get_x())
        q_group = VGroup(self.matrix("eat_q", (s0, h)), self.math("q_\"eat\"", color=style.ROLE["Q"]))
        q_group[1].next_to(q_group[0], UP, buff=0.15)
        q_group.next_to(body, LEFT, buff=0.3)
        MAIN.place(VGroup(q_group, heads, body))
        self.play(FadeOut(VGroup(*xs, words, titles, x_head, times, Wk, wk_name, equals, k_head, marks)),
                  *(k_s.animate.move_to(p["k"]) for k_s, p in zip(ks, panels)), run_time=0.8)
        self.remove(*ks)
        self.add(*(p["k"] for p in panels))
        # the first score, worked out: q_eat . k_before = sum of products, then over sqrt(d)
        j = f0 - 1
        qm, km = q_group[0], panels[0]["k"]
        nums = [b.value("eat_q", (s0, h, 0, c)) for c in range(2)]
        kv = [b.value("k", (s0, h, j, c)) for c in range(2)]
        dot = self.expr(f'q_"eat" dot k_"{self.word(s0, j)}" = (', nums[0], ")(", kv[0], ") + (", nums[1], ")(",
                        kv[1], ") =", b.value("eat_terms", (s0, h, j, 0)), "+", b.value("eat_terms", (s0, h, j, 1)),
                        "=", b.value("eat_raw", (s0, h, j, 0)))
        scaled = self.expr(self.math(", quad slash sqrt({d}) =", d=b.dim("eat_q", 3)), b.value("eat_s", (s0, h, j, 0)))
        FOOT.place(VGroup(dot, scaled).arrange(RIGHT, buff=0.15))
        self.say("Each score is eat's query dotted with one key, then divided by the square root of {d}. For"
                 f" {self.word(s0, j)}: {{r}}, over the root of {{d}}, gives {{s}}.", d=b.dim("eat_q", 3),
                 r=b.value("eat_raw", (s0, h, j, 0)), s=b.value("eat_s", (s0, h, j, 0)))
        self.play(FadeIn(VGroup(q_group[1], *heads[:2], *(VGroup(p["words"], p["title"]) for p in panels))),
                  FadeIn(q_group[0]), run_time=0.6)
        self.play(FadeIn(VGroup(*dot[0::2])), self.carry(qm.entry(0, 0), dot[1]), self.carry(km.entry(j, 0), dot[3]),
                  self.carry(qm.entry(0, 1), dot[5]), self.carry(km.entry(j, 1), dot[7]), run_time=1.2)
        self.play(self.flow(VGroup(dot[1], dot[3]), dot[9]), self.flow(VGroup(dot[5], dot[7]), dot[11]), run_time=0.8)
        self.play(self.flow(VGroup(dot[9], dot[11]), dot[13]), run_time=0.6)
        self.play(FadeIn(scaled[0]), self.carry(dot[13], scaled[1]), run_time=0.8)
        for p in panels:
            m = p["k"].n_rows
            self.play(*(self.flow(VGroup(q_group[0].entries, p["k"].row(i)), p["s"].row(i)) for i in range(m)),
                      FadeIn(p["s"].brackets), run_time=1.0)
        self.hold_caption()
        # 4) softmax, worked out for the same entry
        se = [b.value("eat_s", (s0, h, i, 0)) for i in range(n)]
        soft = self.expr(f'w_"{self.word(s0, j)}" = exp (', se[j], ") slash (" + "exp (", *sum(
            ([se[i], ") + exp ("] for i in range(n)), [])[:-1], "))", "=", b.value("eat_a", (s0, h, j, 0)))
        FOOT.place(soft)
        a0 = b.value("eat_a", (s0, h, f0 - 1, 0))
        a1 = b.value("eat_a", (s1, h, f1 - 1, 0))
        self.say(f"Softmax turns the scores into weights: exp of each score over the sum of all. eat puts {{a}} on"
                 f" {self.word(s0, 0)} and {{c}} on {self.word(s1, 0)}.", a=a0, c=a1)
        self.play(FadeOut(VGroup(dot, scaled)), FadeIn(heads[2]), run_time=0.5)
        self.play(FadeIn(soft), run_time=0.6)
        for p in panels:
            self.play(*(self.flow(p["s"].entries, p["a"].row(i)) for i in range(n)), FadeIn(p["a"].brackets),
                      run_time=1.0)
        back = VGroup(*(p["a"].box(rows=(self.focus(s) - 1, self.focus(s)), color=style.TEXT, buff=HUG)
                        for p, s in zip(panels, PAIR)))
        self.play(Create(back), run_time=0.6)
        self.hold_caption()
        # 5) the weighted sum of the values
        mix = self.expr('o_"eat" =', *sum(([b.value("eat_a", (s0, h, i, 0)), f'v_"{self.word(s0, i)}" +']
                                           for i in range(n)), [])[:-1], f'v_"{self.word(s0, n - 1)}"')
        FOOT.place(mix)
        self.say("eat's output is the weighted sum of the value rows: mostly the value of the word before.")
        self.play(FadeOut(soft), FadeIn(heads[3]), *(FadeIn(VGroup(p["v"], p["arrow"])) for p in panels), run_time=0.6)
        self.play(FadeIn(mix), run_time=0.5)
        for p in panels:
            self.play(self.flow(VGroup(p["a"].entries, p["v"].entries), p["o"]), run_time=1.2)
        self.hold_caption()
        self.clear_stage()

    def readout(self) -> None:
        self.beat("Reading the output as a word")
        b = self.b
        h = 0
        hd = b.index("eat_q", 1, h)
        R = self.matrix("read", (h,))
        r_words = label_columns(R, [style.note(w, color=style.MUTED) for w in self.words_all])
        r_name = self.prose("head {h}'s trained read-out", color=style.ROLE["W"], h=hd)
        os_ = [self.matrix("eat_o", (s, h)) for s in PAIR]
        ls = [self.matrix("logits", (s, h)) for s in PAIR]
        VGroup(*ls).arrange(DOWN, buff=0.35).next_to(R, DOWN, buff=0.5).align_to(R, LEFT)
        arrows = VGroup()
        for o, lg in zip(os_, ls):
            o.next_to(lg, LEFT, buff=1.0)
            arrows.add(style.arrow(o.get_right(), lg.get_left(), buff=0.1))
        o_head = self.math("o_\"eat\"", color=style.ROLE["output"]).next_to(os_[0], UP, buff=0.15)
        r_name.next_to(r_words, UP, buff=0.15).align_to(R, LEFT)
        titles = VGroup(*(self.sentence(s, style.NOTE_SIZE).next_to(o, LEFT, buff=0.3) for o, s in zip(os_, PAIR)))
        times = style.note("$times$ read-out $=$ a score per word", color=style.MUTED).next_to(ls[-1], DOWN, buff=0.3)
        MAIN.place(VGroup(R, r_words, r_name, *os_, *ls, arrows, o_head, titles, times))
        self.say("How does the model turn eat's output into a word? It multiplies it by head {h}'s trained read-out:"
                 " one score for every word it knows.", h=hd)
        self.play(FadeIn(VGroup(R, r_words, r_name)), FadeIn(VGroup(*os_, o_head, titles)), run_time=0.8)
        for o, lg, ar in zip(os_, ls, arrows):
            self.play(Create(ar), *(self.flow(VGroup(o.entries, R.column_band(c, c + 1)), lg.entry(0, c))
                                    for c in range(lg.n_cols)), FadeIn(lg.brackets), run_time=1.2)
            self.settle(lg)
        self.play(FadeIn(times), run_time=0.4)
        self.hold_caption()
        best = [int(self.result.logits[s, h, 0].argmax()) for s in PAIR]
        tops = VGroup(*(lg.box(cols=(c, c + 1), color=style.TEXT, buff=HUG) for lg, c in zip(ls, best)),
                      *(glyph_box([r_words[c]], color=style.TEXT, buff=HUG) for c in set(best)))
        self.say(f"The highest score names the word: {self.words_all[best[0]]}, {{a}}, in one sentence,"
                 f" {self.words_all[best[1]]}, {{c}}, in the other. The word before eat, each time.",
                 a=b.value("logits", (PAIR[0], h, 0, best[0])), c=b.value("logits", (PAIR[1], h, 0, best[1])))
        self.play(Create(tops), run_time=0.8)
        self.hold_caption()
        verdict = FOOT.place(self.line("same $W_Q$, same $x_\"eat\"$: head {h}'s outputs differ by up to {d}",
                                       h=hd, d=b.value("ctx_diff", (), 2, "g")))
        self.say("The weights never changed; the sentence did. Context is computed from the input, by fixed weights.")
        self.play(FadeIn(verdict, shift=UP * 0.2), run_time=0.6)
        self.hold_caption()
        self.clear_stage()

    def panel(self, s: int, h: int) -> dict:
        """Return sentence s's keys, scores, weights, values and output for head h at eat, laid out in a row."""
        k = self.matrix("k", (s, h))
        sc = self.matrix("eat_s", (s, h))
        a = self.matrix("eat_a", (s, h))
        v = self.matrix("v", (s, h))
        o = self.matrix("eat_o", (s, h))
        VGroup(k, sc, a, v).arrange(RIGHT, buff=0.25)
        words = self.words_beside(k, s)
        arrow = style.arrow(v.get_right(), v.get_right() + RIGHT * 0.5, buff=0.1)
        o.next_to(arrow, RIGHT, buff=0.05)
        o_name = o.label(self.math("o_\"eat\"", color=style.ROLE["output"]))
        o_name.next_to(o, UP, buff=0.15)
        title = self.sentence(s, style.NOTE_SIZE).next_to(VGroup(words, k), UP, buff=0.2).align_to(words, LEFT)
        group = VGroup(title, words, k, sc, a, v, arrow, o, o_name)
        return {"all": group, "k": k, "s": sc, "a": a, "v": v, "o": o, "words": words, "title": title,
                "arrow": VGroup(arrow, o_name)}

    def weight_cells(self, name: str, s: int, h: int) -> VGroup:
        """Return eat's attention weights in sentence s, each under its word."""
        f = self.focus(s)
        cells = VGroup()
        for j in range(self.result.ids.shape[1]):
            num = self.b.number(self.b.value(name, (s, h, f, j)), style.NUMBER_SIZE, color=style.ROLE["attention"])
            cells.add(VGroup(self.label(s, j), num).arrange(DOWN, buff=0.2))
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
        d = int(self.result.eat_q.shape[-1])
        first = rows[0][2]
        tags = VGroup(*(self.prose("head {h}", color=style.INDEX[g], h=b.index("eat_q", 1, g))
                        .next_to(first, UP, buff=0.12).set_x(first.column_band(g * d, (g + 1) * d).get_x())
                        for g in range(first.n_cols // d)))
        dividers = VGroup(*(Line(*r[2].slot(0, 1, k, k), color=style.MUTED, stroke_width=2)
                            for r in rows for k in range(d, r[2].n_cols, d)))  # between the heads' halves
        heads = VGroup(self.prose("eat's weights, head {h}", color=style.MUTED, h=b.index("eat_q", 1, h))
                       .next_to(rows[0][1], UP, buff=0.3),
                       style.note("eat's output, both heads", color=style.MUTED).next_to(tags, UP, buff=0.12),
                       style.note("inputs: $x$", color=style.MUTED).next_to(rows[0][0], UP, buff=0.3))
        top = max(hd.get_y() for hd in heads)
        for hd in heads:  # one line of column headings
            hd.set_y(top)
        MAIN.place(VGroup(heads, tags, dividers, rows))
        with_pe = style.note("inputs: $x + P E$", color=style.ROLE["position"]).move_to(heads[2])
        for (cells, out), s in zip(plain, SWAP):
            full.append((self.weight_cells("att", s, h).move_to(cells), self.matrix("eat_out", (s,)).move_to(out)))
        boxes = VGroup(*(o.box(color=style.TEXT, buff=HUG) for _, o in plain))
        self.say("Now the same words in another order: cat eat mouse, mouse eat cat. First, leave the positions out.")
        self.play(FadeIn(heads), FadeIn(tags), FadeIn(VGroup(*(r[0] for r in rows))), run_time=0.6)
        self.play(LaggedStart(*(FadeIn(VGroup(c, o)) for c, o in plain), lag_ratio=0.4), FadeIn(dividers), run_time=1.2)
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
        back = VGroup(*(glyph_box([cells[self.focus(s) - 1][1]], color=style.TEXT, buff=HUG)
                        for s, (cells, _) in zip(SWAP, full)))
        self.say(f"With positions, head {{h}} looks one word back again: {{a}} on {self.word(SWAP[0], self.focus(SWAP[0]) - 1)}"
                 f" in one order, {{c}} on {self.word(SWAP[1], self.focus(SWAP[1]) - 1)} in the other.",
                 h=b.index("eat_q", 1, h), a=b.value("att", (SWAP[0], h, self.focus(SWAP[0]), self.focus(SWAP[0]) - 1)),
                 c=b.value("att", (SWAP[1], h, self.focus(SWAP[1]), self.focus(SWAP[1]) - 1)))
        self.play(Create(back), run_time=0.8)
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

