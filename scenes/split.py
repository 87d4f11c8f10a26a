"""Lecture `split`: cut the projected Q into heads, never the embeddings; then the full pipeline."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UL,
    UP,
    Animation,
    AnimationGroup,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix
from tensors.split import torch_mha

WRONG = "#b392f0"  # violet: far from the head colours, which are red, cyan and yellow
RIGHT_WAY = "#3fb950"


class SplitLecture(LectureScene):
    """Do not split the embeddings into heads: project all of E, then split Q; then the four steps."""

    question = "Cut the embeddings into heads, or the projections?"
    question_caption = ("A common mix-up: are the embeddings cut into heads before or after the projection?"
                        " We try both.")
    recap_lines = (
        "Never cut $E$: a chunk could only meet a diagonal block of $W^q$.",
        "Project all of $E$, then cut $Q$, $K$, $V$ into heads.",
        "Each head's band of $W^q$ has a row for every dimension of $E$.",
        "Attend per head, concatenate, multiply by $W^o$: that is `nn.MultiheadAttention`.",
    )
    recap_caption = ("Project first, split second: every head sees the whole embedding, through its own slice of"
                     " the weights.")
    beats = ("intro", "wrong_way", "right_way", "compare", "why", "shares", "step_project", "step_split", "step_attend",
             "step_concat", "against_torch", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Read the sizes once: H heads of d columns each."""
        self.H, self.d = int(self.result.config.heads), int(self.result.config.d_head)

    def band(self, h: int) -> tuple[int, int]:
        """Return the half-open column range of head h."""
        return h * self.d, (h + 1) * self.d

    def head_mats(self, name: str) -> VGroup:
        """Return one matrix per head of a (1, H, L, d) tensor, each in its head's colour."""
        return VGroup(*(self.matrix(name, (0, h), color=style.head_color(h)) for h in range(self.H)))

    def head_math(self, template: str, h: int, size: float = style.NOTE_SIZE) -> VGroup:
        """Return a maths label naming head h (shown 1-based), in the head's colour."""
        return self.math(template, size, style.head_color(h), h=self.b.index("Q_heads", 1, h))

    def grid_lines(self, W: TensorMatrix) -> VGroup:
        """Return lines cutting a square matrix into its H x H blocks of d x d."""
        lines = VGroup()
        for k in range(1, self.H):
            a, z = W.slot(0, W.n_rows, k * self.d, k * self.d)
            lines.add(Line(a, z, color=style.MUTED, stroke_width=2))
            a, z = W.slot(k * self.d, k * self.d, 0, W.n_cols)
            lines.add(Line(a, z, color=style.MUTED, stroke_width=2))
        return lines

    def paint_bands(self, m: TensorMatrix) -> list[Animation]:
        """Return animations colouring each head's column band of a matrix."""
        return [m.column_band(*self.band(h)).animate.set_color(style.head_color(h)) for h in range(self.H)]

    def flow(self, sources: VGroup, target: VGroup) -> AnimationGroup:
        """Return copies of sources flying into target and fading while target fades in (no glyph morphing)."""
        return AnimationGroup(FadeOut(sources.copy(), target_position=target, scale=0.6), FadeIn(target))

    def band_boxes(self, m: TensorMatrix) -> VGroup:
        """Return one coloured box per head around its column band."""
        return VGroup(*(m.box(cols=self.band(h), color=style.head_color(h)) for h in range(self.H)))

    # -- the misconception --------------------------------------------------------------------
    def intro(self) -> None:
        """The question, with both answers in the colours the lecture gives them."""
        ways = VGroup(style.note("✗  cut $E$ into $H$ pieces, then project each piece", style.LABEL_SIZE, WRONG),
                      style.note("✓  project all of $E$ with $W^q$, then cut $Q$ into $H$ heads", style.LABEL_SIZE,
                                 RIGHT_WAY))
        ways.arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        self.ask(self.question_caption, self.question, ways, chapter="The misconception")

    def setup_inputs(self) -> None:
        """Lay out E and W^q side by side in the top band of the stage, the product area below."""
        self.E = self.matrix("E", (0,), color=style.ROLE["E"])
        self.W = self.matrix("W_q", color=style.ROLE["W"])
        self.W.add(self.grid_lines(self.W))
        VGroup(self.E, self.W).arrange(RIGHT, buff=1.6, aligned_edge=UP)
        self.E_name = VGroup(self.math("E", style.LABEL_SIZE, style.ROLE["E"]),
                             self.shape("E", "B, L, D", style.NOTE_SIZE - 2))
        self.W_name = VGroup(self.math("W^q", style.LABEL_SIZE, style.ROLE["W"]),
                             self.shape("W_q", "D, D", style.NOTE_SIZE - 2))
        for name, m in ((self.E_name, self.E), (self.W_name, self.W)):
            name.arrange(RIGHT, buff=0.2).next_to(m, DOWN, buff=0.2)
        self.inputs = VGroup(self.E, self.W, self.E_name, self.W_name)
        style.STAGE.rows(2.9, 3.7)[0].place(self.inputs)

    def wrong_way(self) -> None:
        self.beat("The wrong way: cut E first")
        self.setup_inputs()
        b, E, W = self.b, self.E, self.W
        self.say(
            "Wrong way: cut E into {H} chunks of {d} columns and project each alone.",
            H=b.dim("E_chunks", 1), d=b.dim("E_chunks", 3),
        )
        self.play(FadeIn(E), FadeIn(W), FadeIn(self.E_name), FadeIn(self.W_name), run_time=0.8)
        chunk_names = VGroup(*(self.head_math("E_{h}", h).next_to(E.box(cols=self.band(h)), UP, buff=0.08)
                               for h in range(self.H)))
        self.play(*self.paint_bands(E), FadeIn(chunk_names), run_time=0.8)
        self.wait(0.8)
        diag = VGroup(*(W.box(rows=self.band(h), cols=self.band(h), color=style.head_color(h)) for h in range(self.H)))
        off = VGroup(*(W.entry(r, c) for r in range(W.n_rows) for c in range(W.n_cols) if r // self.d != c // self.d))
        note = self.prose(
            "A chunk $E_h$ is {L} × {d}, so it can only meet a {d} × {d} weight: \\\n"
            "the wrong way uses the diagonal blocks $B_(h,h)$ of $W^q$ and drops the rest.",
            color=WRONG, L=b.dim("E_chunks", 2), d=b.dim("E_chunks", 3),
        ).next_to(self.inputs, DOWN, buff=0.3)
        self.say(
            "A chunk of {d} columns only fits a {d} by {d} weight: a diagonal block of W^q. The rest go unused.",
            d=b.dim("E_chunks", 3),
        )
        self.play(Create(diag), off.animate.set_opacity(0.25), FadeIn(note), run_time=0.9)
        outs = self.head_mats("Q_wrong")
        outs.arrange(RIGHT, buff=0.8).next_to(note, DOWN, buff=0.45)
        names = VGroup(*(self.head_math("E_{h} B_({h},{h})", h).next_to(m, UP, buff=0.1) for h, m in enumerate(outs)))
        self.play(LaggedStart(*(self.flow(VGroup(E.column_band(*self.band(h)), diag[h]), outs[h].entries)
                                for h in range(self.H)), lag_ratio=0.3),
                  *(Create(m.brackets) for m in outs), FadeIn(names), run_time=1.2)
        self.wait(1)
        self.wrong = VGroup(diag, note, outs, names)
        self.chunk_names, self.off = chunk_names, off

    def right_way(self) -> None:
        self.beat("The right way: project, then cut")
        b, E, W = self.b, self.E, self.W
        self.play(FadeOut(self.wrong), FadeOut(self.chunk_names), self.off.animate.set_opacity(1),
                  E.entries.animate.set_color(style.ROLE["E"]), run_time=0.6)
        Q = self.matrix("Q", (0,), color=style.ROLE["Q"]).next_to(self.inputs, DOWN, buff=0.55)
        Q_name = self.math("Q = E W^q", style.LABEL_SIZE, style.ROLE["Q"]).next_to(Q, LEFT, buff=0.3)
        note = style.note("✓ all of $E$ times all of $W^q$ first; only then cut $Q$ into heads", color=RIGHT_WAY)
        note.next_to(Q, DOWN, buff=0.6)
        self.say("Right way: multiply all of E by all of W^q first.")
        self.play(self.flow(VGroup(E.entries, W.entries), Q.entries), Create(Q.brackets), FadeIn(Q_name),
                  FadeIn(note), run_time=1.2)
        self.wait(0.5)
        self.say("Then cut Q into {H} bands of {d} columns; band h is head h's queries.",
                 H=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3))
        w_boxes, q_boxes = self.band_boxes(W), self.band_boxes(Q)
        names = VGroup(*(self.head_math("Q_{h}", h).next_to(q_boxes[h], DOWN, buff=0.08) for h in range(self.H)))
        self.play(*self.paint_bands(Q), Create(w_boxes), Create(q_boxes), FadeIn(names), run_time=0.9)
        self.wait(1)

    def compare(self) -> None:
        self.beat("Two different answers")
        self.clear_stage()
        b = self.b
        wrong, right = (self.head_mats(name).arrange(RIGHT, buff=0.8) for name in ("Q_wrong", "Q_heads"))
        VGroup(wrong, right).arrange(DOWN, buff=0.9)
        heads = VGroup(*(self.head_math('"head" {h}', h).next_to(m, UP, buff=0.1) for h, m in enumerate(wrong)))
        w_label = style.note("✗ wrong: $E_h B_(h,h)$", color=WRONG).next_to(wrong, LEFT, buff=0.6)
        r_label = style.note("✓ right: $Q_h$, cut from $E W^q$", color=RIGHT_WAY).next_to(right, LEFT, buff=0.6)
        edge = min(wrong.get_left()[0], right.get_left()[0]) - 0.5
        for lab in (w_label, r_label):
            lab.shift((edge - lab.get_right()[0]) * RIGHT)
        main, foot = style.STAGE.rows(4.6, 2.0)
        main.place(VGroup(wrong, right, heads, w_label, r_label))
        self.say("Same shapes, different numbers.")
        self.play(FadeIn(wrong), FadeIn(heads), FadeIn(w_label), run_time=0.7)
        self.play(FadeIn(right), FadeIn(r_label), run_time=0.7)
        h, i, j = (int(x) for x in self.result.worst)
        marks = VGroup(wrong[h].box(rows=(i, i + 1), cols=(j, j + 1)), right[h].box(rows=(i, i + 1), cols=(j, j + 1)))
        fields = dict(h=b.index("Q_heads", 1, h), i=b.index("Q_heads", 2, i), j=b.index("Q_heads", 3, j),
                      r=b.value("Q_heads", (0, h, i, j)), w=b.value("Q_wrong", (0, h, i, j)), g=b.value("gap_max", ()))
        verdict = self.prose("largest difference: head {h}, row {i}, column {j}: right {r}, wrong {w}, gap {g}",
                             style.LABEL_SIZE - 2, **fields)
        foot.place(verdict)
        self.say("Largest gap: head {h}, row {i}, column {j}: {r} right, {w} wrong, a difference of {g}.",
                 **fields)
        self.play(Create(marks), FadeIn(verdict, shift=UP * 0.2), run_time=0.8)
        self.wait(1.5)

    def why_stage(self) -> None:
        """Build E (chunks coloured) and W^q (blocks, row labels) in the top band of the stage."""
        self.E = self.matrix("E", (0,), color=style.ROLE["E"])
        self.W = W = self.matrix("W_q", color=style.ROLE["W"])
        W.add(self.grid_lines(W))
        VGroup(self.E, W).arrange(RIGHT, buff=2.6, aligned_edge=UP)
        for k in range(self.H):
            self.E.column_band(*self.band(k)).set_color(style.head_color(k))
        names = VGroup(self.math("E", style.LABEL_SIZE, style.ROLE["E"]).next_to(self.E, DOWN, buff=0.15),
                       self.math("W^q", style.LABEL_SIZE, style.ROLE["W"]).next_to(W, DOWN, buff=0.15))
        rows = VGroup(*(self.head_math("E_{h}", k).next_to(W.brackets, LEFT, buff=0.15)
                        .set_y(W.box(rows=self.band(k)).get_y()) for k in range(self.H)))
        self.top = VGroup(self.E, W, rows, names)
        style.STAGE.rows(2.5, 4.1)[0].place(self.top)

    def why(self) -> None:
        self.beat("Why: every head sees every dimension")
        self.clear_stage()
        b = self.b
        h = int(self.result.worst[0])
        self.why_stage()
        W = self.W
        band = W.box(cols=self.band(h), color=style.head_color(h), fill=0.12, buff=0.16)
        own = DashedVMobject(W.box(rows=self.band(h), cols=self.band(h), color=WRONG, buff=0.1), num_dashes=28)
        self.legend = VGroup(
            self.prose("▮ head {h}'s band of $W^q$ has all {D} rows: it reads every dimension of $E$",
                       color=style.head_color(h), h=b.index("Q_heads", 1, h), D=b.dim("W_q", 0)),
            self.prose("┆ the wrong way keeps only the dashed block: {d} of those {D} rows",
                       color=WRONG, d=b.dim("blocks", 2), D=b.dim("W_q", 0)),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        self.legend.next_to(self.top, DOWN, buff=0.35)
        self.say("Each row of W^q weighs one dimension of E. Head {h}'s band spans all {D}; "
                 "the wrong way keeps the dashed block only.", h=b.index("Q_heads", 1, h), D=b.dim("W_q", 0))
        self.play(FadeIn(self.top), run_time=0.7)
        self.play(Create(band), FadeIn(self.legend[0]), run_time=0.8)
        self.play(Create(own), FadeIn(self.legend[1]), run_time=0.8)
        self.wait(1)

    def shares(self) -> None:
        self.beat("One entry, chunk by chunk")
        b = self.b
        h, i, j = (int(x) for x in self.result.worst)
        formula = style.note("$Q_h = E W^q_h = sum_k E_k B_(k,h)$, one share per chunk $k$")
        lines = VGroup(*(self.prose("chunk $E_{k}$ through $B_({k},{h})$: {p}", color=style.head_color(k),
                                    k=b.index("parts", 1, k), h=b.index("parts", 2, h),
                                    p=b.value("parts", (0, k, h, i, j))) for k in range(self.H)))
        right = self.prose("✓ sum of all shares, the right way: {q}", color=RIGHT_WAY,
                           q=b.value("Q_heads", (0, h, i, j)))
        wrong = self.prose("✗ own chunk's share only, the wrong way: {w}", color=WRONG,
                           w=b.value("Q_wrong", (0, h, i, j)))
        table = VGroup(formula, *lines, right, wrong).arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        below = style.Region(self.legend.get_left()[0], style.STAGE.right, self.legend.get_bottom()[1] - 0.35,
                             style.STAGE.bottom)
        below.place(table, align=UL)
        e_row = self.E.box(rows=(i, i + 1))
        col = self.W.box(cols=(h * self.d + j, h * self.d + j + 1), buff=0.05)  # inside the band and dashed boxes
        self.say("Row {i}, column {j} of head {h}: the right value sums every chunk's share, the wrong one keeps one. "
                 "Rounded to two decimals.",
                 i=b.index("Q_heads", 2, i), j=b.index("Q_heads", 3, j), h=b.index("Q_heads", 1, h))
        self.play(Create(e_row), Create(col), FadeIn(formula), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(x, shift=RIGHT * 0.2) for x in table[1:]), lag_ratio=0.3), run_time=1.5)
        self.wait(1.5)

    # -- the four steps -----------------------------------------------------------------------
    def step_project(self) -> None:
        self.beat("Step one: project all of E into Q, K, V")
        self.clear_stage()
        E = self.matrix("E", (0,), color=style.ROLE["E"])
        qkv = VGroup(*(self.matrix(n, (0,), color=style.ROLE[n]) for n in "QKV")).arrange(DOWN, buff=0.4)
        names = VGroup(*(self.math(f"{n} = E W^{n.lower()}", color=style.ROLE[n]).next_to(m, LEFT, buff=0.3)
                         for n, m in zip("QKV", qkv)))
        E.next_to(VGroup(qkv, names), LEFT, buff=1.2)
        E_name = self.math("E", style.LABEL_SIZE, style.ROLE["E"]).next_to(E, UP, buff=0.15)
        style.STAGE.place(VGroup(E, E_name, qkv, names))
        self.say("The full pipeline. Step one: project all of E with W^q, W^k and W^v.")
        self.play(FadeIn(E), FadeIn(E_name), run_time=0.5)
        self.play(LaggedStart(*(self.flow(E.entries, m.entries) for m in qkv), lag_ratio=0.3),
                  *(Create(m.brackets) for m in qkv), FadeIn(names), run_time=1.5)
        self.wait(1)
        self.qkv, self.qkv_names, self.E_step = qkv, names, VGroup(E, E_name)

    def step_split(self) -> None:
        self.beat("Step two: split Q, K, V into heads")
        b, qkv = self.b, self.qkv
        left = VGroup(qkv, self.qkv_names)
        grid = VGroup(*(VGroup(*(self.matrix(f"{n}_heads", (0, h), color=style.head_color(h)) for n in "QKV"))
                        .arrange(RIGHT, buff=0.6) for h in range(self.H))).arrange(DOWN, buff=0.5)
        names = VGroup(*(self.head_math(f"{n}_{{h}}", h).next_to(m, UP, buff=0.08)
                         for h, row in enumerate(grid) for n, m in zip("QKV", row)))
        right = VGroup(grid, names)
        left_area, right_area = style.STAGE.columns(left.width, style.STAGE.width - left.width - 0.9, gap=0.9)
        right_area.place(right, align=LEFT)
        self.play(FadeOut(self.E_step), left.animate.move_to(left_area.centre), run_time=0.7)
        self.say("Step two: cut Q, K and V into {H} heads. Row h is all head h gets.",
                 H=b.dim("Q_heads", 1))
        self.play(*(a for m in qkv for a in self.paint_bands(m)), run_time=0.6)
        for h, row in enumerate(grid):
            self.play(*(TransformFromCopy(m.column_band(*self.band(h)), t.entries) for m, t in zip(qkv, row)),
                      *(Create(t.brackets) for t in row), FadeIn(names[3 * h:3 * h + 3]), run_time=0.9)
        self.wait(1)
        self.qkv_left = left
        self.head_grid = VGroup(grid, names)
        self.grid = grid

    def attention_layout(self, area: style.Region) -> tuple[VGroup, VGroup, VGroup]:
        """Return where the head grid goes and the matrices A_h and O_h beside each head's row, fitted in area."""
        s = self.grid[0][0].height / self.matrix("Q_heads", (0, 0)).height  # the grid's current scale
        A, O = (VGroup(*(m.scale(s) for m in self.head_mats(name))) for name in ("weights", "O_heads"))
        target = self.head_grid.copy()
        for h in range(self.H):
            A[h].next_to(target[0][h], RIGHT, buff=0.8)
            O[h].next_to(A[h], RIGHT, buff=0.7)
        area.place(VGroup(target, A, O), align=LEFT)
        return target, A, O

    def step_attend(self) -> None:
        self.beat("Step three: attention inside each head")
        grid = self.grid
        foot = style.note('$A_h = "softmax"(Q_h K_h^T \\/ sqrt(d))$: each row sums to one.  $O_h = A_h V_h$.',
                          size=style.LABEL_SIZE, color=style.MUTED)
        body, foot_area = style.STAGE.rows(6.0, 0.6)
        foot_area.place(foot)
        target, A, O = self.attention_layout(body)
        a_names = VGroup(*(self.head_math("A_{h}", h).next_to(m, UP, buff=0.08) for h, m in enumerate(A)))
        o_names = VGroup(*(self.head_math("O_{h} = A_{h} V_{h}", h).next_to(m, UP, buff=0.08) for h, m in enumerate(O)))
        self.say("Step three: each head attends on its own slice: A_h from Q_h and K_h, then O_h = A_h V_h.")
        self.play(FadeOut(self.qkv_left), run_time=0.4)
        self.play(self.head_grid.animate.become(target), FadeIn(foot), run_time=0.6)
        for h in range(self.H):
            self.play(self.flow(VGroup(grid[h][0].entries, grid[h][1].entries), A[h].entries),
                      Create(A[h].brackets), FadeIn(a_names[h]), run_time=0.8)
            self.play(self.flow(VGroup(A[h].entries, grid[h][2].entries), O[h].entries),
                      Create(O[h].brackets), FadeIn(o_names[h]), run_time=0.8)
        self.settle(*O)
        self.wait(1)
        self.O, self.O_names = O, o_names

    def settle(self, *mats: TensorMatrix) -> None:
        """Replace a matrix drawn piece by piece (entries, brackets) by the whole matrix; nothing moves."""
        for m in mats:
            self.remove(m.entries, m.brackets)
            self.add(m)

    def step_concat(self) -> None:
        self.beat("Step four: concatenate, then the output projection")
        b = self.b
        self.clear_stage(keep=(*self.O, *self.O_names))
        keep = VGroup(*(VGroup(m, n) for m, n in zip(self.O, self.O_names)))
        concat = self.matrix("concat", (0,))
        Wo = self.matrix("W_o", color=style.ROLE["W"])
        Y = self.matrix("Y", (0,), color=style.ROLE["Q"])
        times, equals = style.note("$times$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        row = VGroup(concat, times, Wo, equals, Y).arrange(RIGHT, buff=0.35)
        c_name = style.note("$O$: heads side by side", color=style.MUTED).next_to(concat, DOWN, buff=0.2)
        w_name = self.math("W^o", style.LABEL_SIZE, style.ROLE["W"]).next_to(Wo, DOWN, buff=0.2)
        y_name = self.math("Y = O W^o", style.LABEL_SIZE, style.ROLE["Q"]).next_to(Y, DOWN, buff=0.2)
        upper, lower = style.STAGE.rows(2.4, 3.3)
        lower.place(VGroup(row, c_name, w_name, y_name))
        top = upper.place(keep.copy().arrange(RIGHT, buff=0.8))
        self.play(keep.animate.become(top), run_time=0.6)
        self.say("Step four: put the {H} head outputs side by side again, shape ({L}, {D}),",
                 H=b.dim("O_heads", 1), L=b.dim("concat", 1), D=b.dim("concat", 2))
        self.play(*(TransformFromCopy(m.entries, concat.column_band(*self.band(h)))
                    for h, m in enumerate(self.O)), Create(concat.brackets), FadeIn(c_name), run_time=1.0)
        self.play(*self.paint_bands(concat), run_time=0.4)
        self.wait(0.5)
        self.say("then multiply by W^o, so every output mixes all heads.")
        self.play(FadeIn(times), FadeIn(Wo), FadeIn(w_name), run_time=0.5)
        self.play(self.flow(VGroup(concat.entries, Wo.entries), Y.entries), Create(Y.brackets),
                  FadeIn(equals), FadeIn(y_name), run_time=1.0)
        self.wait(1)

    def against_torch(self) -> None:
        self.beat("Same as torch.nn.MultiheadAttention")
        self.clear_stage()
        b = self.b
        code = self.listing(torch_mha)
        Y = self.matrix("Y", (0,), color=style.ROLE["Q"])
        T = self.matrix("Y_torch", (0,), color=style.ROLE["Q"])
        pair = VGroup(Y, T).arrange(RIGHT, buff=1.5)
        y_name = style.note("ours: four steps", color=style.MUTED).next_to(Y, UP, buff=0.15)
        t_name = style.note("`nn.MultiheadAttention`", color=style.MUTED).next_to(T, UP, buff=0.15)
        diff = self.prose('largest difference: max $|Y - Y_"torch"|$ = {d}', style.LABEL_SIZE,
                          d=b.value("torch_diff", (), 2, "g"))
        style.STAGE.place(VGroup(code, VGroup(pair, y_name, t_name), diff).arrange(DOWN, buff=0.45))
        weights = VGroup(*(self.code_line_box(code, line).set_z_index(-1) for line in (6, 7)))  # the four weights
        self.say("nn.MultiheadAttention, given the same four weights and the same E.")
        self.play(FadeIn(code), run_time=0.6)
        self.play(FadeIn(weights), run_time=0.4)
        self.play(FadeIn(Y), FadeIn(y_name), FadeIn(T), FadeIn(t_name), run_time=0.8)
        self.wait(0.5)
        if float(b.tensors["torch_diff"]) == 0.0:
            self.say("Largest difference: exactly {d}.", d=b.value("torch_diff", (), 2, "g"))
        else:
            self.say("Largest difference: {d}, float32 rounding.", d=b.value("torch_diff", (), 2, "g"))
        self.play(FadeOut(weights), FadeIn(diff, shift=UP * 0.2), run_time=0.6)
        self.wait(1.5)
