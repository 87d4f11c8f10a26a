"""Lecture `subspaces`: one trained head's W^Q, W^K and W^V send the same words to three different planes."""

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
    Indicate,
    LaggedStart,
    Rectangle,
    ReplacementTransform,
    TransformFromCopy,
    VGroup,
    VMobject,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, glyph_box, label_columns, label_rows
from scenes.kit.plot import Plane
from scenes.kit.style import Region

PLANE_SIZE = 3.0  # side of each square plane
WORD_SIZE = style.NOTE_SIZE  # word labels beside dots and matrix rows
HUG = 0.09  # highlight margin around the digits: clear of the brackets even at 480p
TOP, BOTTOM = style.STAGE.rows(2.3, 4.3)  # the Q, K, V matrices (or a formula) over their planes
UPPER, LOWER = TOP.columns(1, 1, 1), BOTTOM.columns(1, 1, 1)  # one column per role: Q, K, V
AXIS = {"Q": "q", "K": "k", "V": "v"}  # the letter of each plane's coordinates
PLANE_WORD = {"Q": "query", "K": "key", "V": "value"}


class RolePlane(Plane):
    """A plane that plots the rows of one role (Q, K or V) and carries its title."""

    role: str
    title: VMobject
    size: float
    axis_names: tuple[VMobject, VMobject]


class SubspacesLecture(LectureScene):
    """Queries, keys and values: one sentence, three trained maps, three planes, one score matrix."""

    question = "What are the different subspaces of $Q$, $K$ and $V$?"
    question_caption = ("{L} words, read by head {h} of a small model trained to name the word after each word."
                        " Attention sends every word through three linear maps.")
    recap_caption = ("Queries and keys decide who listens to whom; values decide what is heard. Three trained maps,"
                     " three planes, three jobs.")
    beats = ("intro", "three_maps", "three_planes", "one_score", "score_matrix", "values", "why_separate", "recap")
    roles = {"X": "input", "W_Q": "weight", "W_K": "weight", "W_V": "weight", "Q": "query", "K": "key", "K_T": "key",
             "V": "value", "S": "score", "S_tied": "score", "terms": "score", "A": "attention", "out": "output",
             "W_q_full": "weight", "x_terms": "query", "mix": "value", "mix_cum": "output"}

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

    @property
    def ahead(self) -> bool:
        """True when the followed key is the word right after the followed query: the pattern head 2 learned."""
        return self.j == self.i + 1

    def word(self, k: int, size: float = WORD_SIZE) -> VMobject:
        """Return word k as a label: the followed two in white, the others grey (prose: words carry no digits)."""
        return style.note(self.words[k], size=size, color=style.TEXT if k in (self.i, self.j) else style.MUTED)

    def row_words(self, m: TensorMatrix) -> VGroup:
        """Return the words beside the rows of a matrix with one row per word."""
        return label_rows(m, [self.word(k) for k in range(m.n_rows)])

    def column_words(self, m: TensorMatrix) -> VGroup:
        """Return the words above the columns of a matrix with one column per word."""
        return label_columns(m, [self.word(k) for k in range(m.n_cols)])

    def reach(self, role: str) -> float:
        """Return the half-width of a plane: a margin past its farthest coordinate (Q and K share one scale)."""
        names = ("V",) if role == "V" else ("Q", "K")
        return 1.2 * max(abs(v) for n in names for v in self.b.tensors[n].flatten().tolist())

    def plane(self, role: str, region: Region, size: float = PLANE_SIZE) -> RolePlane:
        """Return a framed square plane for one role, placed in region, with named axes and ticks at -t and t."""
        b, r = self.b, self.reach(role)
        row = 1 if role == "V" else 0
        plane = RolePlane(b, (-r, r), (-r, r), width=size, height=size)
        frame = Rectangle(width=size, height=size, stroke_color=style.MUTED, stroke_width=1.5,
                          stroke_opacity=0.5).move_to(plane.axes)
        plane.add(frame)
        for k in range(2):
            plane.add(plane.tick(b.value("ticks", (row, k), style="g"), axis="x", font_size=style.NOTE_SIZE))
        plane.add(plane.tick(b.value("ticks", (row, 1), style="g"), axis="y", font_size=style.NOTE_SIZE))
        letter = AXIS[role]
        x_name = self.math(f"{letter}_1", color=style.MUTED).next_to(frame, RIGHT, buff=0.08)
        x_name.set_y(plane.to_screen(0.0, 0.0)[1])
        y_name = self.math(f"{letter}_2", color=style.MUTED).next_to(frame, UP, buff=0.08)
        y_name.set_x(plane.to_screen(0.0, 0.0)[0])
        plane.add(x_name, y_name)
        plane.axis_names = (x_name, y_name)
        region.place(plane)
        plane.size = frame.width
        plane.title = style.note(f"{PLANE_WORD[role]} plane", size=style.NOTE_SIZE, color=style.ROLE[role])
        plane.title.next_to(frame, UP, buff=0.1).align_to(frame, LEFT)
        plane.role = role
        return plane

    def marks(self, plane: RolePlane) -> tuple[VGroup, VGroup]:
        """Return the dot of every word at its row of Q, K or V, and the word labels beside them.

        Each label takes the first of right/left (away from the origin), above, below, the other side that
        stays inside the frame and clear of the labels already placed.
        """
        b, role = self.b, plane.role
        dots, labels = VGroup(), VGroup()
        cx, cy = plane.to_screen(0.0, 0.0)[:2]
        half = plane.size / 2 - 0.05

        def box(m: VMobject) -> tuple[float, float, float, float]:
            return m.get_left()[0], m.get_right()[0], m.get_bottom()[1], m.get_top()[1]

        def fits(m: VMobject, placed: list[tuple[float, float, float, float]]) -> bool:
            x0, x1, y0, y1 = box(m)
            if x0 < cx - half or x1 > cx + half or y0 < cy - half or y1 > cy + half:
                return False
            return all(x1 + 0.04 < a or x0 - 0.04 > z or y1 + 0.04 < c or y0 - 0.04 > d for a, z, c, d in placed)

        placed: list[tuple[float, float, float, float]] = []
        for k in range(len(self.words)):
            dot = plane.dot(b.value(role, (k, 0)), b.value(role, (k, 1)), color=style.ROLE[role], radius=0.085)
            label = self.word(k)
            side = RIGHT if dot.get_x() >= cx else LEFT  # away from the arrows drawn from the origin
            for way in (side, UP, DOWN, -side):
                label.next_to(dot, way, buff=0.08 if way[0] else 0.05)
                if fits(label, placed):
                    break
            else:
                label.next_to(dot, side, buff=0.08)
            placed.append(box(label))
            dots.add(dot)
            labels.add(label)
        return dots, labels

    def arrow(self, plane: Plane, role: str, k: int, color: str) -> VGroup:
        """Return an arrow from the origin to word k's point of `role` on `plane`, its tip an audited dot."""
        b = self.b
        tip = plane.dot(b.value(role, (k, 0)), b.value(role, (k, 1)), color=color, radius=0.07)
        shaft = Arrow(plane.to_screen(0.0, 0.0), tip.get_center(), buff=0, color=color, stroke_width=5,
                      max_tip_length_to_length_ratio=0.18)
        return VGroup(shaft, tip)

    def point(self, role: str, k: int) -> VGroup:
        """Return '(x, y)' of word k's row of Q, K or V, its two numbers separate bound mobjects."""
        b = self.b
        color = style.ROLE[self.roles[role]]
        nums = [b.number(b.value(role, (k, c)), style.NUMBER_SIZE, color=color) for c in range(2)]
        parts = VGroup(style.note("(", color=color), nums[0], style.note(",", color=color), nums[1],
                       style.note(")", color=color)).arrange(RIGHT, buff=0.06)
        parts[2].align_to(nums[0], DOWN)
        parts.nums = nums
        return parts

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, the sentence, the three maps and the training they come from."""
        b = self.b
        sentence = VGroup(*(style.note(w, size=style.TITLE_SIZE) for w in self.words)).arrange(RIGHT, buff=0.35)
        maps = self.math("Q = X W^Q, quad K = X W^K, quad V = X W^V", style.LABEL_SIZE + 4)
        trained = self.prose("head {h} of a model trained to name the word after: {p}% right on unseen sentences",
                             style.LABEL_SIZE, style.MUTED, h=b.value("head", (), 0), p=b.value("accuracy", (), 0))
        self.ask(self.question_caption, self.question, sentence, maps, trained, L=b.dim("X", 0),
                 h=b.value("head", (), 0))

    def three_maps(self) -> None:
        self.beat("Three trained maps")
        b = self.b
        X = self.matrix("X")
        Ms = [self.matrix(role) for role in ("Q", "K", "V")]
        Ws = [self.matrix(f"W_{role}") for role in ("Q", "K", "V")]
        row = VGroup(X, *Ms).arrange(RIGHT, buff=0.6, aligned_edge=UP)
        for M, W in zip(Ms, Ws):
            W.next_to(M, UP, buff=0.75)
        x_words = self.row_words(X)
        x_name = self.prose("$X$ ({L} × {D})", style.LABEL_SIZE, style.ROLE["E"], L=b.dim("X", 0),
                            D=b.dim("X", 1)).next_to(X, UP, buff=0.2)
        w_names = VGroup(*(self.prose(f"$W^{role}$ ({{D}} × {{d}})", style.LABEL_SIZE, style.ROLE["W"],
                                      D=b.dim("W_Q", 0), d=b.dim("W_Q", 1)).next_to(W, UP, buff=0.12)
                           for role, W in zip("QKV", Ws)))
        m_names = VGroup(*(self.math(f"{role} = X W^{role}", color=style.ROLE[role]).next_to(M, DOWN, buff=0.2)
                           for role, M in zip("QKV", Ms)))
        x_note = style.note("trained embedding + position", color=style.MUTED).next_to(X, DOWN, buff=0.2)
        origin = VGroup(
            self.prose("head {h}'s columns {c} to {e}", color=style.MUTED, h=b.value("head", (), 0),
                       c=b.value("band", (0,), 0), e=b.value("band", (1,), 0)),
            style.note("of the trained $W_Q$, $W_K$, $W_V$", color=style.MUTED),
        ).arrange(DOWN, aligned_edge=RIGHT, buff=0.1)
        origin.next_to(w_names, LEFT, buff=0.5).align_to(w_names, UP)
        style.STAGE.place(VGroup(row, *Ws, x_words, x_name, x_note, w_names, m_names, origin))
        self.say("X holds each word's input: its trained embedding plus its position, D = {D} numbers. W^Q, W^K and W^V"
                 " are head {h}'s columns {c} to {e} of the trained W_Q, W_K, W_V.", D=b.dim("X", 1),
                 h=b.value("head", (), 0), c=b.value("band", (0,), 0), e=b.value("band", (1,), 0))
        self.play(FadeIn(X), FadeIn(x_words), FadeIn(x_name), FadeIn(x_note))
        self.play(LaggedStart(*(FadeIn(VGroup(W, n)) for W, n in zip(Ws, w_names)), lag_ratio=0.3), FadeIn(origin),
                  run_time=1.5)
        self.hold_caption()
        # one query computed in full: dog's row of X times each column of W^Q, term by term
        i, wi, Q, WQ = self.i, self.words[self.i], Ms[0], Ws[0]
        lines = VGroup()
        for c in range(2):
            terms = [b.number(b.value("x_terms", (d, c)), style.NUMBER_SIZE, color=style.ROLE["Q"])
                     for d in range(WQ.n_rows)]
            parts: list[VMobject] = [self.prose(f"{wi}'s row · column {{c}} $=$", color=style.MUTED,
                                                c=b.index("W_Q", 1, c))]
            for d, t in enumerate(terms):
                parts += ([] if d == 0 else [self.math("+")]) + [t]
            total = b.number(b.value("Q", (i, c)), style.NUMBER_SIZE, color=style.ROLE["Q"])
            parts += [self.math("="), total]
            line = VGroup(*parts).arrange(RIGHT, buff=0.1)
            line.terms, line.total = terms, total
            lines.add(line)
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        lines.next_to(VGroup(X, *Ms, x_note, m_names), DOWN, buff=0.35).align_to(X, LEFT)
        if lines.get_bottom()[1] < style.BOTTOM + 0.05:  # room under the matrices: lift everything
            everything = VGroup(row, *Ws, x_words, x_name, x_note, w_names, m_names, origin, lines)
            everything.shift(UP * (style.BOTTOM + 0.05 - lines.get_bottom()[1]))
        self.say(f"Take {wi}'s row of X. Times W^Q's first column, entry by entry and summed, it gives {{a}}; times"
                 f" the second, {{c}}. That pair is {wi}'s query.", a=b.value("Q", (i, 0)), c=b.value("Q", (i, 1)))
        row_box = glyph_box([X.row(i)], color=style.TEXT, buff=0.08)
        self.play(Create(row_box), FadeIn(Q.brackets), FadeIn(m_names[0]), run_time=0.5)
        for c, line in enumerate(lines):
            col_box = glyph_box([WQ.entry(d, c) for d in range(WQ.n_rows)], color=style.TEXT, buff=0.08)
            self.play(Create(col_box), FadeIn(line[0]), run_time=0.5)
            symbols = [m for m in line[1:-1] if m not in line.terms]
            self.combine([(VGroup(X.entry(i, d), WQ.entry(d, c)), t) for d, t in enumerate(line.terms)],
                         *(FadeIn(m) for m in symbols), lag_ratio=0.25, run_time=1.8)
            self.combine([(VGroup(*line.terms), line.total)], run_time=0.8)
            self.play(self.carry(line.total, Q.entry(i, c)), FadeOut(col_box), run_time=0.7)
            self.add(line.total)
        self.hold_caption()
        self.say("The same for every word, and with W^K and W^V: each word gets a query, a key and a value, D' = {d}"
                 " numbers each.", d=b.dim("W_Q", 1))
        self.play(FadeOut(row_box), FadeOut(lines), run_time=0.4)
        for n, (M, W, name) in enumerate(zip(Ms, Ws, m_names)):
            w_box = glyph_box([W.entries], color=style.TEXT, buff=0.08)
            rows = [k for k in range(M.n_rows) if n or k != i]
            self.play(Create(w_box), *([] if n == 0 else [FadeIn(M.brackets), FadeIn(name)]), run_time=0.4)
            self.play(LaggedStart(*(self.carry(X.row(k), M.row(k)) for k in rows), lag_ratio=0.25),
                      FadeOut(w_box), run_time=1.4)
        self.settle(*Ms)
        self.hold_caption()
        self.Ms = Ms
        self.m_names = m_names
        self.clear_stage(keep=tuple(Ms) + tuple(m_names))

    def three_planes(self) -> None:
        self.beat("Same words, three places")
        b, i = self.b, self.i
        self.planes = [self.plane(role, region) for role, region in zip("QKV", LOWER)]
        tops = []
        for M, name, region in zip(self.Ms, self.m_names, UPPER):  # each matrix keeps its name and its words
            ghost = M.copy()
            words = self.row_words(ghost)
            top = VGroup(ghost, words, name.copy().next_to(ghost, RIGHT, buff=0.3))
            region.place(top)
            tops.append(top)
        words = [t[1] for t in tops]
        self.play(*(M.animate.move_to(t[0]) for M, t in zip(self.Ms, tops)),
                  *(n.animate.move_to(t[2]) for n, t in zip(self.m_names, tops)),
                  *(FadeIn(p) for p in self.planes), run_time=1.0)
        self.play(*(FadeIn(w) for w in words), run_time=0.4)
        self.say("With D' = {d}, each row is a point (x, y): Q's rows in the query plane, K's in the key plane, V's in"
                 " the value plane.", d=b.dim("W_Q", 1))
        self.play(*(FadeIn(p.title) for p in self.planes), run_time=0.3)
        self.dots, self.labels = [], []
        for p, M in zip(self.planes, self.Ms):
            dots, labels = self.marks(p)
            self.play(LaggedStart(*(TransformFromCopy(M.row(k), d) for k, d in enumerate(dots)), lag_ratio=0.15),
                      run_time=1.1)
            self.play(FadeIn(labels), run_time=0.3)
            self.remove(*dots, labels)
            p.add(*dots, *labels)  # from here on the marks move with their plane
            self.dots.append(dots)
            self.labels.append(labels)
        self.hold_caption()
        # where each plane comes from: its weight's two columns give its two coordinates
        Ws, cols, names = VGroup(), VGroup(), VGroup()
        for role, region in zip("QKV", UPPER):
            W = self.matrix(f"W_{role}", cell=(style.CELL_W, 0.38))
            col = label_columns(W, [self.math(f"{AXIS[role]}_{c}", color=style.ROLE[role]) for c in (1, 2)], buff=0.1)
            name = self.math(f"W^{role}", style.LABEL_SIZE, style.ROLE["W"]).next_to(W, LEFT, buff=0.25)
            region.place(VGroup(W, col, name))
            Ws.add(W), cols.add(col), names.add(name)
        self.say("Where do the planes come from? x times W's first column is a point's first coordinate, x times the"
                 " second column its second coordinate.")
        self.play(FadeOut(VGroup(*self.Ms, *self.m_names, *words)), run_time=0.5)
        self.play(FadeIn(Ws), FadeIn(names), FadeIn(cols), run_time=0.8)
        axes = [m for p in self.planes for m in p.axis_names]
        self.play(*(TransformFromCopy(c, a) for c, a in zip([m for col in cols for m in col], axes)), run_time=1.2)
        self.hold_caption()
        # the subspace: the plane of R^D a map reads; a direction off it is invisible to that map
        wi = self.words[i]
        colours = [style.ROLE[r] for r in "QKV"]
        definition = VGroup(
            self.prose("$x W^Q$ reads $x$ only along $W^Q$'s two columns: a plane inside $RR^{D}$, the query subspace",
                       style.LABEL_SIZE, D=b.dim("W_Q", 0)),
            self.prose("$n$ = ({a}, {c}, {e}, {f}) is off that plane: $n W^Q$ = ({g}, {h})", color=style.MUTED,
                       a=b.value("null", (0,)), c=b.value("null", (1,)), e=b.value("null", (2,)),
                       f=b.value("null", (3,)), g=b.value("null_maps", (0, 0)), h=b.value("null_maps", (0, 1))),
            self.prose("but $n W^K$ = ({g}, {h}) and $n W^V$ = ({p}, {q})", color=style.MUTED,
                       g=b.value("null_maps", (1, 0)), h=b.value("null_maps", (1, 1)),
                       p=b.value("null_maps", (2, 0)), q=b.value("null_maps", (2, 1))),
        ).arrange(DOWN, buff=0.15)
        TOP.place(definition)
        self.say("Each map reads x through its own two columns: a plane inside R^{D}, its subspace. Here is a direction n"
                 " that W^Q maps to zero: the query cannot see it.", D=b.dim("W_Q", 0))
        self.play(FadeOut(VGroup(Ws, cols, names)), run_time=0.5)
        self.play(FadeIn(definition[0], shift=DOWN * 0.2), run_time=0.8)
        self.play(FadeIn(definition[1]), run_time=0.6)
        self.hold_caption()
        rings = VGroup()
        for r, p in enumerate(self.planes):
            ring = p.dot(b.value("moved", (r, 0)), b.value("moved", (r, 1)), color=colours[r], radius=0.13)
            ring.set_fill(opacity=0).set_stroke(colours[r], width=3)
            rings.add(ring)
        self.say(f"Add n to {wi}'s x. Its query stays exactly where it was, its key barely moves, and its value moves"
                 " a long way.")
        starts = [dots[i].copy().set_fill(opacity=0).set_stroke(c, width=3).scale(1.5) for dots, c in
                  zip(self.dots, colours)]
        self.play(FadeIn(definition[2]), *(FadeIn(m) for m in starts), run_time=0.6)
        self.play(*(ReplacementTransform(m, ring) for m, ring in zip(starts, rings)), run_time=2.0)
        self.hold_caption()
        angles = self.prose("angle between the query and key subspaces: at most {a}°; query and value: at least {c}°",
                            color=style.TEXT, a=b.value("angles", (0,), 1), c=b.value("angles", (1,), 1))
        angles.next_to(definition, DOWN, buff=0.15)
        self.say("So in this trained head, queries and keys read the same plane of R^{D}, within {a} degrees. Values"
                 " read another one, {c} degrees away or more.", D=b.dim("W_Q", 0), a=b.value("angles", (0,), 1),
                 c=b.value("angles", (1,), 1))
        self.play(FadeIn(angles), run_time=0.6)
        self.hold_caption()
        self.definition = VGroup(definition, angles, rings)

    def one_score(self) -> None:
        self.beat("One score: a query meets a key")
        b, i, j = self.b, self.i, self.j
        qp, kp, vp = self.planes
        wq, wk = self.words[i], self.words[j]
        self.play(FadeOut(self.definition), FadeOut(vp), FadeOut(vp.title), run_time=0.6)
        half = (LOWER[1].centre - LOWER[0].centre) / 2  # half a column: the two planes centred on the stage
        self.play(VGroup(qp, kp, qp.title, kp.title).animate.shift(half), run_time=0.6)
        q_vec = self.arrow(qp, "Q", i, style.ROLE["Q"])
        k_vec = self.arrow(kp, "K", j, style.ROLE["K"])
        q_at = self.point("Q", i).next_to(qp, LEFT, buff=0.3)
        k_at = self.point("K", j).next_to(kp, RIGHT, buff=0.3)
        q_tag = self.math(f'q_"{wq}"', color=style.ROLE["Q"]).next_to(q_at, UP, buff=0.12)
        k_tag = self.math(f'k_"{wk}"', color=style.ROLE["K"]).next_to(k_at, UP, buff=0.12)
        self.say(f"How much does {wq} attend to {wk}? Take {wq}'s query from the query plane and {wk}'s key from the"
                 " key plane.")
        self.play(Create(q_vec), Create(k_vec), FadeIn(VGroup(q_at, q_tag, k_at, k_tag)), run_time=1.2)
        self.hold_caption()
        # the dot product, its four numbers carried in from the two points
        a, c = (b.number(b.value("Q", (i, k)), style.NUMBER_SIZE, color=style.ROLE["Q"]) for k in range(2))
        bb, d = (b.number(b.value("K", (j, k)), style.NUMBER_SIZE, color=style.ROLE["K"]) for k in range(2))
        sym = lambda t: self.math(t)  # noqa: E731
        line1 = VGroup(self.math(f'q_"{wq}" dot k_"{wk}" ='), sym("("), a, sym(")("), bb, sym(") + ("), c, sym(")("), d,
                       sym(")")).arrange(RIGHT, buff=0.08)
        p0 = b.number(b.value("terms", (i, j, 0)), style.NUMBER_SIZE, color=style.ROLE["score"])
        p1 = b.number(b.value("terms", (i, j, 1)), style.NUMBER_SIZE, color=style.ROLE["score"])
        total = b.number(b.value("S", (i, j)), style.NUMBER_SIZE, color=style.ROLE["score"])
        line2 = VGroup(sym("="), p0, sym("+"), p1, sym("="), total,
                       style.note("the raw score", color=style.MUTED)).arrange(RIGHT, buff=0.12)
        line3 = self.math("= |q| |k| cos theta = {a} times {c} times {e}", color=style.MUTED,
                          a=b.value("lengths", (0,)), c=b.value("lengths", (1,)), e=b.value("lengths", (2,)))
        TOP.place(VGroup(line1, line2, line3).arrange(DOWN, aligned_edge=LEFT, buff=0.2))
        self.say("The dot product multiplies matching coordinates, first with first and second with second, and"
                 " adds them: a raw score of {s}.", s=b.value("S", (i, j)))
        self.play(FadeIn(VGroup(line1[0], *line1[1::2])), TransformFromCopy(q_at.nums[0], a),
                  TransformFromCopy(k_at.nums[0], bb), TransformFromCopy(q_at.nums[1], c),
                  TransformFromCopy(k_at.nums[1], d), run_time=1.4)
        self.play(self.flow(VGroup(a, bb), p0), self.flow(VGroup(c, d), p1), FadeIn(VGroup(line2[0], line2[2])),
                  run_time=1.0)
        self.play(self.flow(VGroup(p0, p1), total), FadeIn(line2[4]), FadeIn(line2[6]), run_time=0.8)
        self.hold_caption()
        k_on_q = self.arrow(qp, "K", j, style.ROLE["K"])
        k_on_q.set_z_index(-1)  # under the query plane's dots: q's own dot stays visible
        on_q_tag = self.math(f'k_"{wk}"', color=style.ROLE["K"])
        avoid = [*self.dots[0], *self.labels[0], *qp.axis_names, q_vec[1]]
        cx, cy = qp.to_screen(0.0, 0.0)[:2]
        for way in (DOWN, UP, RIGHT, LEFT, DOWN + RIGHT, DOWN + LEFT, UP + RIGHT, UP + LEFT):
            on_q_tag.next_to(k_on_q[1], way, buff=0.15)
            clear_axes = (on_q_tag.get_left()[0] > cx + 0.05 or on_q_tag.get_right()[0] < cx - 0.05) and \
                (on_q_tag.get_bottom()[1] > cy + 0.05 or on_q_tag.get_top()[1] < cy - 0.05)
            if clear_axes and not any(_touch(on_q_tag, m) for m in avoid):
                break
        if self.ahead:
            verdict = f" Drawn in one plane, {wq}'s query and {wk}'s key point the same way: a high score."
        else:
            verdict = f" Drawn in one plane: the more {wq}'s query and {wk}'s key point the same way, the higher the score."
        self.say("So the key plane's axes pair up with the query plane's: training fitted W^Q and W^K to each other."
                 + verdict)
        self.play(TransformFromCopy(k_vec, k_on_q), FadeIn(on_q_tag), run_time=1.2)
        self.say("Their lengths are {a} and {c}, and the cosine of the angle between them is {e}: nearly parallel, so"
                 " the score is nearly as large as it can be.", a=b.value("lengths", (0,)), c=b.value("lengths", (1,)),
                 e=b.value("lengths", (2,)))
        self.play(FadeIn(line3, shift=UP * 0.1), run_time=0.6)
        self.hold_caption()
        self.clear_stage()

    def score_matrix(self) -> None:
        self.beat("Every score at once")
        b, i, j = self.b, self.i, self.j
        Q = self.matrix("Q")
        KT = self.matrix("K_T")
        S = self.matrix("S")
        S.next_to(Q, RIGHT, buff=0.9).align_to(Q, UP)
        KT.next_to(S, UP, buff=0.45).align_to(S, LEFT)
        q_words = self.row_words(Q)
        k_words = self.column_words(KT)
        q_name = self.math("Q", style.LABEL_SIZE, style.ROLE["Q"]).next_to(Q, UP, buff=0.2)
        kt_name = self.math("K^T", style.LABEL_SIZE, style.ROLE["K"]).next_to(KT, LEFT, buff=0.35)
        s_name = self.math("Q K^T", style.LABEL_SIZE, style.ROLE["score"]).next_to(S, DOWN, buff=0.25)
        asks = style.note("rows: the word asking (its query)", color=style.MUTED)
        offers = style.note("columns: the word asked (its key)", color=style.MUTED)
        raw = self.prose("raw scores: not yet divided by $sqrt({d})$", color=style.MUTED, d=b.dim("W_Q", 1))
        legend = VGroup(asks, offers, raw).arrange(DOWN, aligned_edge=LEFT, buff=0.15).next_to(S, RIGHT, buff=0.6)
        style.STAGE.place(VGroup(Q, KT, S, q_words, k_words, q_name, kt_name, s_name, legend))
        self.say("Every pair at once: the raw scores Q K^T, {L} by {L}. Each row holds one word's query against every"
                 " word's key.",
                 L=b.dim("S", 0))
        self.play(FadeIn(Q), FadeIn(q_words), FadeIn(q_name), FadeIn(KT), FadeIn(k_words), FadeIn(kt_name),
                  run_time=0.8)
        self.play(LaggedStart(*(self.flow(VGroup(Q.row(k), KT.entries), S.row(k)) for k in range(S.n_rows)),
                              lag_ratio=0.3), Create(S.brackets), FadeIn(s_name), FadeIn(legend), run_time=2.0)
        self.hold_caption()
        boxes = VGroup(Q.box(rows=(i, i + 1), color=style.TEXT, buff=HUG),
                       KT.box(cols=(j, j + 1), color=style.TEXT, buff=HUG),
                       S.box(rows=(i, i + 1), cols=(j, j + 1), color=style.TEXT, buff=HUG))
        best = [int(self.result.S[k].argmax()) for k in range(S.n_rows)]
        peaks = VGroup(*(S.box(rows=(k, k + 1), cols=(best[k], best[k] + 1), color=style.MUTED, buff=HUG)
                         for k in range(S.n_rows - 1) if k != i))  # the last word has no word after it
        self.say(f"The white box is our {{s}}, {self.words[i]} asking {self.words[j]}. The grey boxes: every row but the"
                 f" last peaks at the word after, the pattern head {{h}} was trained for.", s=b.value("S", (i, j)),
                 h=b.value("head", (), 0))
        self.play(Create(boxes), run_time=0.8)
        self.play(Create(peaks), run_time=0.8)
        self.hold_caption()
        self.clear_stage()

    def values(self) -> None:
        self.beat("The value plane: what is handed over")
        b, i = self.b, self.i
        left, right = style.STAGE.columns(1, 1)
        vp = self.plane("V", left, size=4.3)
        vp.move_to(left.centre)
        vp.title.next_to(vp, UP, buff=0.1)
        dots, labels = self.marks(vp)
        vp.add(*dots, *labels)
        L = len(self.words)
        grid = VGroup()
        for name, role in (("S", "score"), ("S_scaled", "score"), ("A", "attention")):
            grid.add(VGroup(*(b.number(b.value(name, (i, k)), style.NUMBER_SIZE, color=style.ROLE[role])
                              for k in range(L))))
        tops = VGroup(*(self.word(k) for k in range(L)))
        for r, row in enumerate(grid):
            for k, num in enumerate(row):
                num.move_to(RIGHT * 1.0 * k + DOWN * 0.55 * r)
        for k, w in enumerate(tops):
            w.move_to(RIGHT * 1.0 * k + UP * 0.5)
        heads = VGroup(self.math("Q K^T", color=style.ROLE["score"]),
                       self.math("Q K^T slash sqrt({d})", color=style.ROLE["score"], d=b.dim("W_Q", 1)),
                       style.note("softmax", color=style.ROLE["attention"]))
        for hd, row in zip(heads, grid):
            hd.next_to(grid, LEFT, buff=0.35).set_y(row.get_y())
        head = style.note(f"{self.words[i]}'s row of scores", color=style.MUTED)
        table = VGroup(tops, grid, heads)
        head.next_to(table, UP, buff=0.3)
        out_at = self.point("out", i)
        out_tag = self.math(f'o_"{self.words[i]}"', color=style.ROLE["output"])
        out_line = VGroup(out_tag, self.math("="), out_at).arrange(RIGHT, buff=0.12)
        side = VGroup(VGroup(head, table), out_line).arrange(DOWN, buff=0.6)
        right.place(side)
        m = int(self.result.A[i].argmax())  # the word the query gives most weight to
        self.say(f"Before the softmax, {self.words[i]}'s raw scores are divided by the square root of {{d}}. Softmax"
                 f" turns those into weights: {{a}} on {self.words[m]}.", d=b.dim("W_Q", 1), a=b.value("A", (i, m)))
        self.play(FadeIn(vp), FadeIn(vp.title), FadeIn(head), FadeIn(tops), FadeIn(heads[0]), FadeIn(grid[0]),
                  run_time=0.8)
        self.play(*(self.flow(grid[0][k], grid[1][k]) for k in range(L)), FadeIn(heads[1]), run_time=1.0)
        self.play(*(self.flow(grid[1], grid[2][k]) for k in range(L)), FadeIn(heads[2]), run_time=1.0)
        self.hold_caption()
        out = vp.dot(b.value("out", (i, 0)), b.value("out", (i, 1)), color=style.ROLE["output"], radius=0.11)
        out.set_fill(opacity=0).set_stroke(style.ROLE["output"], width=3)  # a ring: the value under it stays visible
        o_tag = self.math(f'o_"{self.words[i]}"', color=style.ROLE["output"])
        for k, label in enumerate(labels):  # a word's label that the output's ring would touch steps aside
            if _touch(label, out, 0.08):
                for way in (UP, DOWN, LEFT, RIGHT):
                    label.next_to(dots[k], way, buff=0.06)
                    if not _touch(label, out, 0.08) and not any(_touch(label, o) for o in labels if o is not label):
                        break
        first = RIGHT if out.get_x() < vp.to_screen(0.0, 0.0)[0] else LEFT
        for way in (first, DOWN, UP, -first):  # beside the output dot, clear of the words' labels and dots
            o_tag.next_to(out, way, buff=0.12)
            if not any(_touch(o_tag, m) for m in (*labels, *dots)):
                break
        A = self.result.A[i]
        m2 = int(A.argsort(descending=True)[1])
        rest = " The other words weigh almost nothing." if float(1 - A[m] - A[m2]) < 0.01 else ""
        self.say(f"{self.words[i]}'s output is the weighted sum of the values, drawn tip to tail: {{a}} times"
                 f" {self.words[m]}'s value plus {{c}} times {self.words[m2]}'s." + rest,
                 a=b.value("A", (i, m)), c=b.value("A", (i, m2)))
        origin = (b.value("mix_cum", (0, 0)), b.value("mix_cum", (0, 1)))
        for k in range(L):
            tip = (b.value("mix_cum", (k + 1, 0)), b.value("mix_cum", (k + 1, 1)))
            step = vp.curve([b.value("mix_cum", (k, 0)), tip[0]], [b.value("mix_cum", (k, 1)), tip[1]],
                            color=style.ROLE["V"], stroke_width=5)
            whole = vp.curve([origin[0], b.value("V", (k, 0))], [origin[1], b.value("V", (k, 1))],
                             color=style.ROLE["V"], stroke_width=5)
            if float(A[k]) < 0.01:  # too short to draw: the value shrinks into the running tip
                self.play(FadeIn(whole), run_time=0.3)
                self.play(ReplacementTransform(whole, step), run_time=0.5)
            else:
                self.play(FadeIn(whole), Indicate(dots[k], scale_factor=1.3), run_time=0.5)
                self.play(ReplacementTransform(whole, step), run_time=1.8)
            vp.add(step)
        self.play(Create(out), FadeIn(o_tag), FadeIn(out_line), run_time=0.8)
        self.hold_caption()
        self.clear_stage()

    def why_separate(self) -> None:
        self.beat("Why not one map for queries and keys?")
        b, i, j = self.b, self.i, self.j
        wi, wj = self.words[i], self.words[j]
        S, T = self.matrix("S"), self.matrix("S_tied")
        VGroup(S, T).arrange(RIGHT, buff=2.6)
        s_rows, t_rows = self.row_words(S), self.row_words(T)
        s_cols, t_cols = self.column_words(S), self.column_words(T)
        s_name = self.math("Q K^T", style.LABEL_SIZE, style.ROLE["score"]).next_to(S, DOWN, buff=0.3)
        t_name = self.math("Q Q^T", style.LABEL_SIZE, style.ROLE["score"]).next_to(T, DOWN, buff=0.3)
        s_note = style.note("separate $W^K$", color=style.MUTED).next_to(s_name, DOWN, buff=0.12)
        t_note = style.note("keys made with $W^Q$ too", color=style.MUTED).next_to(t_name, DOWN, buff=0.12)
        t_diag = style.note("diagonal: $q_i dot q_i$, never negative", color=style.MUTED).next_to(t_note, DOWN, buff=0.12)
        style.STAGE.place(VGroup(S, T, s_rows, t_rows, s_cols, t_cols, s_name, t_name, s_note, t_note, t_diag))
        self.say(
            f"Q K^T is not symmetric: {wi} scoring {wj} gives {{a}}, {wj} scoring {wi} gives {{c}}."
            + (f" {wi} looks ahead at {wj}; {wj} does not look back." if self.ahead else
               " A word can ask for something other than what it offers."),
            a=b.value("S", (i, j)), c=b.value("S", (j, i)),
        )
        self.play(FadeIn(S), FadeIn(s_rows), FadeIn(s_cols), FadeIn(s_name), FadeIn(s_note), run_time=0.8)
        pair = VGroup(S.box(rows=(i, i + 1), cols=(j, j + 1), color=style.TEXT, buff=HUG),
                      S.box(rows=(j, j + 1), cols=(i, i + 1), color=style.TEXT, buff=HUG))
        self.play(Create(pair), run_time=0.8)
        self.hold_caption()
        self.say("With one shared map the scores would be Q Q^T: mirror-symmetric, so looking ahead would force looking"
                 " back just as much, and each word would score itself by its squared length.")
        self.play(LaggedStart(*(FadeIn(T.row(k), shift=RIGHT * 0.15) for k in range(T.n_rows)), lag_ratio=0.2),
                  FadeIn(T.brackets), FadeIn(t_rows), FadeIn(t_cols), FadeIn(t_name), FadeIn(t_note), run_time=1.2)
        mirror = VGroup(T.box(rows=(i, i + 1), cols=(j, j + 1), color=style.TEXT, buff=HUG),
                        T.box(rows=(j, j + 1), cols=(i, i + 1), color=style.TEXT, buff=HUG))
        diagonal = VGroup(*(T.box(rows=(k, k + 1), cols=(k, k + 1), color=style.MUTED, buff=HUG)
                            for k in range(T.n_rows)))
        self.play(Create(mirror), run_time=0.8)
        self.play(Create(diagonal), FadeIn(t_diag), run_time=0.8)
        self.hold_caption()
        self.clear_stage()

    def recap(self) -> None:
        """The three planes again, each recap line under the plane of its role."""
        jobs = ("query: what the word looks for", "key: what it offers to be found", "value: what it hands over")
        columns = VGroup()
        for role, region, job in zip("QKV", LOWER, jobs):
            p = self.plane(role, region)
            p.add(*self.marks(p))
            note = style.note(job, color=style.ROLE[role]).next_to(p, DOWN, buff=0.35)
            columns.add(VGroup(p.title, p, note))
        style.STAGE.place(columns)
        self.summarise(self.recap_caption, columns, chapter="Recap: three subspaces, three jobs")


def _touch(a: VMobject, b: VMobject, gap: float = 0.04) -> bool:
    """Return True if the boxes of a and b come closer than gap."""
    return not (a.get_right()[0] + gap < b.get_left()[0] or a.get_left()[0] - gap > b.get_right()[0]
                or a.get_top()[1] + gap < b.get_bottom()[1] or a.get_bottom()[1] - gap > b.get_top()[1])
