"""Lecture `subspaces`: W^Q, W^K and W^V send the same words to three different places."""

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
    Rectangle,
    TransformFromCopy,
    VGroup,
    VMobject,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, label_columns, label_rows
from scenes.kit.plot import Plane
from scenes.kit.style import Region

TOKENS = ["#7ee787", "#ffa657", "#56d4dd", "#f778ba", "#a5a0ff"]  # one colour per word, in every picture
PLANE_SIZE = 3.3  # side of each square plane
WORD_SIZE = style.NOTE_SIZE - 2  # word labels beside dots and matrix rows
DIAGONAL = style.ROLE["W"]  # the self-scores of Q Q^T
HUG = 0.05  # highlight margin around the digits: clear of the brackets even at 480p
TOP, BOTTOM = style.STAGE.rows(2.0, 4.6)  # the Q, K, V matrices (or a formula) over their planes
UPPER, LOWER = TOP.columns(1, 1, 1), BOTTOM.columns(1, 1, 1)  # one column per role: Q, K, V


class RolePlane(Plane):
    """A plane that plots the rows of one role (Q, K or V) and carries its title."""

    role: str
    title: VMobject


def token_color(i: int) -> str:
    """Return the colour of word i (0-based), the same in every plane and matrix."""
    return TOKENS[i % len(TOKENS)]


class SubspacesLecture(LectureScene):
    """Queries, keys and values: one sentence, three learned maps, three planes, one score matrix."""

    question = "What are the different subspaces of $Q$, $K$ and $V$?"
    question_caption = ("A sentence of {L} words. Before comparing anything, attention sends every word through three"
                        " separate learned linear maps.")
    recap_lines = ("query: what the word looks for", "key: what it offers to be found", "value: what it hands over")
    recap_caption = ("Queries and keys decide who listens to whom; values decide what is heard. Three maps, three"
                     " separate jobs.")
    beats = ("intro", "three_maps", "three_planes", "one_score", "score_matrix", "why_separate", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def words(self) -> tuple[str, ...]:
        """The sentence; word i owns row i of X, Q, K and V."""
        return tuple(self.result.words)

    @property
    def i(self) -> int:
        """The followed query word, 0-based."""
        return int(self.result.config.query) - 1

    @property
    def j(self) -> int:
        """The followed key word, 0-based."""
        return int(self.result.config.key) - 1

    def word(self, k: int, size: float = WORD_SIZE) -> VMobject:
        """Return word k as a label in its colour (prose: words carry no digits)."""
        return style.note(self.words[k], size=size, color=token_color(k))

    def row_words(self, m: TensorMatrix) -> VGroup:
        """Return the words beside the rows of a matrix with one row per word."""
        return label_rows(m, [self.word(k) for k in range(m.n_rows)])

    def column_words(self, m: TensorMatrix) -> VGroup:
        """Return the words above the columns of a matrix with one column per word."""
        return label_columns(m, [self.word(k) for k in range(m.n_cols)])

    def reach(self) -> float:
        """Return the half-width of every plane: a margin past the farthest projected coordinate (layout only)."""
        values = [abs(v) for name in ("Q", "K", "V") for v in self.b.tensors[name].flatten().tolist()]
        return 1.15 * max(values)

    def plane(self, role: str, region: Region) -> RolePlane:
        """Return a framed square plane for one role, placed in region, with ticks at -t and t on both axes."""
        b, r = self.b, self.reach()
        plane = RolePlane(b, (-r, r), (-r, r), width=PLANE_SIZE, height=PLANE_SIZE)
        frame = Rectangle(width=PLANE_SIZE, height=PLANE_SIZE, stroke_color=style.MUTED, stroke_width=1.5,
                          stroke_opacity=0.5).move_to(plane.axes)
        plane.add(frame)
        for k in range(2):
            plane.add(plane.tick(b.value("ticks", (k,), style="g"), axis="x"))
            plane.add(plane.tick(b.value("ticks", (k,), style="g"), axis="y"))
        region.place(plane)
        plane.title = self.math(role, style.LABEL_SIZE + 2, style.ROLE[role])
        plane.title.next_to(frame, UP, buff=0.08).align_to(frame, LEFT).shift(0.08 * RIGHT)
        plane.role = role
        return plane

    def marks(self, plane: RolePlane) -> tuple[VGroup, VGroup]:
        """Return the dot of every word at its row of Q, K or V, and the word labels beside them."""
        b, role = self.b, plane.role
        dots, labels = VGroup(), VGroup()
        for k in range(len(self.words)):
            dot = plane.dot(b.value(role, (k, 0)), b.value(role, (k, 1)), color=token_color(k), radius=0.085)
            label = self.word(k)
            centre = plane.to_screen(0.0, 0.0)[0]
            side = RIGHT if dot.get_x() >= centre else LEFT  # away from the arrows drawn from the origin
            label.next_to(dot, side, buff=0.08)
            if abs(label.get_center()[0] - centre) + label.width / 2 > plane.axes.width / 2:  # past the frame: flip
                label.next_to(dot, -side, buff=0.08)
            dots.add(dot)
            labels.add(label)
        return dots, labels

    def vector(self, plane: Plane, role: str, k: int, color: str) -> VMobject:
        """Return the segment from the origin to word k's point of `role`, drawn on `plane` (audited)."""
        b = self.b
        return plane.curve([0.0, b.value(role, (k, 0))], [0.0, b.value(role, (k, 1))], color=color, stroke_width=5)

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, the sentence in its word colours, and the three maps."""
        sentence = VGroup(*(self.word(k, size=style.TITLE_SIZE) for k in range(len(self.words)))).arrange(RIGHT, buff=0.35)
        maps = self.math("Q = X W^Q, quad K = X W^K, quad V = X W^V", style.LABEL_SIZE + 4)
        self.ask(self.question_caption, self.question, sentence, maps, L=self.b.dim("X", 0))

    def three_maps(self) -> None:
        self.beat("Three learned maps")
        b = self.b
        X = self.matrix("X", color=style.ROLE["E"])
        Ms = [self.matrix(role, color=style.ROLE[role]) for role in ("Q", "K", "V")]
        Ws = [self.matrix(f"W_{role}", color=style.ROLE["W"]) for role in ("Q", "K", "V")]
        row = VGroup(X, *Ms).arrange(RIGHT, buff=0.9, aligned_edge=UP)
        for M, W in zip(Ms, Ws):
            W.next_to(M, UP, buff=0.75)
        x_words = self.row_words(X)
        x_name = self.math("X", style.LABEL_SIZE, style.ROLE["E"]).next_to(X, UP, buff=0.2)
        x_shape = self.math("(L, D) = ({L}, {D})", color=style.MUTED, L=b.dim("X", 0),
                            D=b.dim("X", 1)).next_to(x_name, UP, buff=0.15)
        w_names = VGroup(*(self.math(f"W^{role}", style.LABEL_SIZE, style.ROLE["W"]).next_to(W, UP, buff=0.12)
                           for role, W in zip("QKV", Ws)))
        m_names = VGroup(*(self.math(f"{role} = X W^{role}", color=style.ROLE[role]).next_to(M, DOWN, buff=0.2)
                           for role, M in zip("QKV", Ms)))
        w_shape = self.math("D times D' = {D} times {d}", color=style.MUTED, D=b.dim("W_Q", 0), d=b.dim("W_Q", 1))
        w_shape.next_to(Ws[0], LEFT, buff=0.5).align_to(Ws[0], UP)
        style.STAGE.place(VGroup(row, *Ws, x_words, x_name, x_shape, w_names, m_names, w_shape))
        self.say(
            "X holds one embedding row per word, D = {D} numbers. W^Q, W^K and W^V are three separate learned"
            " D × D' weights; here D' = {d}.",
            D=b.dim("X", 1), d=b.dim("W_Q", 1),
        )
        self.play(FadeIn(X), FadeIn(x_words), FadeIn(x_name), FadeIn(x_shape))
        self.play(LaggedStart(*(FadeIn(VGroup(W, n)) for W, n in zip(Ws, w_names)), lag_ratio=0.3),
                  FadeIn(w_shape), run_time=1.5)
        self.wait(1.5)
        self.say(
            "Each weight gives every word a new row: its query in Q, its key in K, its value in V."
        )
        for M, W, name in zip(Ms, Ws, m_names):
            box = W.box(color=style.ROLE["W"], buff=HUG)
            self.play(Create(box), Create(M.brackets), LaggedStart(*(FadeIn(M.row(k), shift=RIGHT * 0.15)
                                                                      for k in range(M.n_rows)), lag_ratio=0.15),
                      FadeIn(name), run_time=1.0)
            self.play(FadeOut(box), run_time=0.3)
        self.Ms = Ms
        self.clear_stage(keep=tuple(Ms))

    def three_planes(self) -> None:
        self.beat("Same words, three places")
        b = self.b
        self.planes = [self.plane(role, region) for role, region in zip("QKV", LOWER)]
        self.play(*(M.animate.move_to(region.centre) for M, region in zip(self.Ms, UPPER)),
                  *(FadeIn(p) for p in self.planes), run_time=1.0)
        for p, M in zip(self.planes, self.Ms):
            p.title.next_to(M, LEFT, buff=0.35)
        self.say(
            "With D' = {d}, each row is a point (x, y). Every word keeps its colour in all three planes,"
            " drawn to one scale.",
            d=b.dim("W_Q", 1),
        )
        self.play(*(FadeIn(p.title) for p in self.planes), run_time=0.3)
        self.dots, self.labels = [], []
        for p, M in zip(self.planes, self.Ms):
            dots, labels = self.marks(p)
            recolour = [M.row(k).animate.set_color(token_color(k)) for k in range(M.n_rows)]
            self.play(*recolour, LaggedStart(*(TransformFromCopy(M.row(k), d) for k, d in enumerate(dots)),
                                             lag_ratio=0.15), run_time=1.1)
            self.play(FadeIn(labels), run_time=0.3)
            self.remove(*dots, labels)
            p.add(*dots, *labels)  # from here on the marks move with their plane
            self.dots.append(dots)
            self.labels.append(labels)
        self.say(
            "One word, three places: what it asks for, what it offers, what it carries. These weights are random;"
            " training would move the points."
        )
        self.wait(2.0)

    def one_score(self) -> None:
        self.beat("One score: a query meets a key")
        b, i, j = self.b, self.i, self.j
        qp, kp, vp = self.planes
        wq, wk = self.words[i], self.words[j]
        self.play(*(FadeOut(VGroup(M, p.title)) for M, p in zip(self.Ms, self.planes)), FadeOut(vp), run_time=0.6)
        half = (LOWER[1].centre - LOWER[0].centre) / 2  # half a column: the two planes centred on the stage
        self.play(VGroup(qp, kp).animate.shift(half), run_time=0.6)
        for p in (qp, kp):
            p.title.next_to(p, UP, buff=0.1).align_to(p, LEFT)
        q_vec = self.vector(qp, "Q", i, style.ROLE["Q"])
        k_vec = self.vector(kp, "K", j, style.ROLE["K"])
        self.say(
            f"How much does {wq} attend to {wk}? Compare {wq}'s query with {wk}'s key, copied into the query plane."
        )
        self.play(FadeIn(qp.title), FadeIn(kp.title), Create(q_vec), Create(k_vec), run_time=1.0)
        k_on_q = self.vector(qp, "K", j, style.ROLE["K"])
        k_tip = qp.dot(b.value("K", (j, 0)), b.value("K", (j, 1)), color=token_color(j), radius=0.06)
        away = UP if k_tip.get_y() >= qp.to_screen(0.0, 0.0)[1] else DOWN  # off the end of the arrow
        k_tag = self.math(f'k_"{wk}"', WORD_SIZE, style.ROLE["K"]).next_to(k_tip, away, buff=0.06)
        self.play(TransformFromCopy(k_vec, k_on_q), FadeIn(k_tip), FadeIn(k_tag), run_time=1.0)
        line1 = self.math(
            f'q_"{wq}" dot k_"{wk}" = ({{a}}) times ({{b}}) + ({{c}}) times ({{d}})', style.LABEL_SIZE,
            a=b.value("Q", (i, 0)), b=b.value("K", (j, 0)), c=b.value("Q", (i, 1)), d=b.value("K", (j, 1)),
        )
        line2 = self.math("= {p} + {r} = {s}", style.LABEL_SIZE, p=b.value("terms", (i, j, 0)),
                          r=b.value("terms", (i, j, 1)), s=b.value("S", (i, j)))
        TOP.place(VGroup(line1, line2).arrange(DOWN, aligned_edge=LEFT, buff=0.2))
        self.say(
            "Their dot product multiplies matching coordinates and adds: {s}. Arrows pointing the same way score high.",
            s=b.value("S", (i, j)),
        )
        self.play(FadeIn(line1, shift=DOWN * 0.15), run_time=0.8)
        self.play(FadeIn(line2, shift=DOWN * 0.15), run_time=0.8)
        self.wait(1.5)
        self.clear_stage()

    def score_matrix(self) -> None:
        self.beat("Every score at once")
        b, i, j = self.b, self.i, self.j
        Q = self.matrix("Q", color=style.ROLE["Q"])
        KT = self.matrix("K_T", color=style.ROLE["K"])
        S = self.matrix("S")
        S.next_to(Q, RIGHT, buff=0.9).align_to(Q, UP)
        KT.next_to(S, UP, buff=0.45).align_to(S, LEFT)
        q_words = self.row_words(Q)
        k_words = self.column_words(KT)
        q_name = self.math("Q", style.LABEL_SIZE, style.ROLE["Q"]).next_to(Q, UP, buff=0.2)
        kt_name = self.math("K^T", style.LABEL_SIZE, style.ROLE["K"]).next_to(KT, LEFT, buff=0.35)
        s_name = self.math("S = Q K^T", style.LABEL_SIZE).next_to(S, DOWN, buff=0.25)
        asks = style.note("rows: the word asking (its query)", color=style.MUTED)
        offers = style.note("columns: the word asked (its key)", color=style.MUTED)
        legend = VGroup(asks, offers).arrange(DOWN, aligned_edge=LEFT, buff=0.15).next_to(S, RIGHT, buff=0.6)
        style.STAGE.place(VGroup(Q, KT, S, q_words, k_words, q_name, kt_name, s_name, legend))
        self.say(
            "Every pair at once: S = Q K^T, {L} × {L}. Row i holds word i's query against every word's key.",
            L=b.dim("S", 0),
        )
        self.play(FadeIn(Q), FadeIn(q_words), FadeIn(q_name), FadeIn(KT), FadeIn(k_words), FadeIn(kt_name),
                  run_time=0.8)
        self.play(LaggedStart(*(FadeIn(S.row(k), shift=DOWN * 0.1) for k in range(S.n_rows)), lag_ratio=0.2),
                  Create(S.brackets), FadeIn(s_name), FadeIn(legend), run_time=1.4)
        boxes = VGroup(Q.box(rows=(i, i + 1), color=token_color(i), buff=HUG),
                       KT.box(cols=(j, j + 1), color=token_color(j), buff=HUG),
                       S.box(rows=(i, i + 1), cols=(j, j + 1), color=style.TEXT, buff=HUG))
        self.say(
            f"The boxed entry is our {{s}}, {self.words[i]} asking {self.words[j]}. Softmax later turns each row"
            " into attention weights.",
            s=b.value("S", (i, j)),
        )
        self.play(Create(boxes), run_time=0.8)
        self.wait(1.5)
        self.clear_stage()

    def why_separate(self) -> None:
        self.beat("Why not one map for queries and keys?")
        b, i, j = self.b, self.i, self.j
        wi, wj = self.words[i], self.words[j]
        S, T = self.matrix("S"), self.matrix("S_tied")
        VGroup(S, T).arrange(RIGHT, buff=2.6)
        s_rows, t_rows = self.row_words(S), self.row_words(T)
        s_cols, t_cols = self.column_words(S), self.column_words(T)
        s_name = self.math("Q K^T", style.LABEL_SIZE).next_to(S, DOWN, buff=0.3)
        t_name = self.math("Q Q^T", style.LABEL_SIZE).next_to(T, DOWN, buff=0.3)
        s_note = style.note("separate $W^K$", color=style.MUTED).next_to(s_name, DOWN, buff=0.12)
        t_note = style.note("keys made with $W^Q$ too", color=style.MUTED).next_to(t_name, DOWN, buff=0.12)
        t_diag = style.note("diagonal: $q_i dot q_i$, never negative", color=DIAGONAL).next_to(t_note, DOWN, buff=0.12)
        style.STAGE.place(VGroup(S, T, s_rows, t_rows, s_cols, t_cols, s_name, t_name, s_note, t_note, t_diag))
        self.say(
            f"S is not symmetric: {wi} scoring {wj} gives {{a}}, {wj} scoring {wi} gives {{c}}."
            " A word can ask for something other than what it offers.",
            a=b.value("S", (i, j)), c=b.value("S", (j, i)),
        )
        self.play(FadeIn(S), FadeIn(s_rows), FadeIn(s_cols), FadeIn(s_name), FadeIn(s_note), run_time=0.8)
        pair = VGroup(S.box(rows=(i, i + 1), cols=(j, j + 1), color=token_color(i), buff=HUG),
                      S.box(rows=(j, j + 1), cols=(i, i + 1), color=token_color(j), buff=HUG))
        self.play(Create(pair), run_time=0.8)
        self.wait(1.5)
        self.say(
            "With one shared map the scores would be Q Q^T: mirror-symmetric, and each word scores itself by its"
            " squared length, never negative."
        )
        self.play(FadeIn(T), FadeIn(t_rows), FadeIn(t_cols), FadeIn(t_name), FadeIn(t_note), run_time=0.8)
        mirror = VGroup(T.box(rows=(i, i + 1), cols=(j, j + 1), color=token_color(i), buff=HUG),
                        T.box(rows=(j, j + 1), cols=(i, i + 1), color=token_color(j), buff=HUG))
        diagonal = VGroup(*(T.entry(k, k) for k in range(T.n_rows)))
        self.play(Create(mirror), run_time=0.8)
        self.play(diagonal.animate.set_color(DIAGONAL), FadeIn(t_diag), run_time=0.8)
        self.wait(1.5)
        self.clear_stage()

    def recap(self) -> None:
        """The three planes again, each recap line under the plane of its role."""
        columns = VGroup()
        for role, region, job in zip("QKV", LOWER, self.recap_lines):
            p = self.plane(role, region)
            p.add(*self.marks(p))
            p.title.next_to(p, UP, buff=0.1).align_to(p, LEFT)
            note = style.note(job, color=style.ROLE[role]).next_to(p, DOWN, buff=0.45)
            columns.add(VGroup(p.title, p, note))
        self.summarise(self.recap_caption, columns, chapter="Recap: three subspaces, three jobs")
