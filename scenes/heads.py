"""Lecture `heads`: W^q is one matrix; its column bands are the per-head W^q_h; a view and a transpose split Q.

The values are random draws (E standard normal, the weight like nn.Linear's initial weight): the
lecture is about shapes and equalities, and says "random" on screen. Heads are told apart by number
and place (style.INDEX greys), never by a role colour.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    Animation,
    Brace,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    Group,
    GrowFromCenter,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    Transform,
    TransformFromCopy,
    VGroup,
    Write,
    config,
)

from scenes.kit import style
from scenes.kit.binding import BoundNumber
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import pixel_box, stack_shadows
from scenes.kit.plot import colour_legend
from tensors.heads import split_heads

CELL = (0.8, 0.4)  # matrix cells at the default sizes: numbers at font size 24 with room
MIN_CELL = (0.64, 0.28)  # the narrowest and flattest cells that keep font-size-24 numbers apart
BOX_BUFF = 0.08  # highlight boxes: clear of the digits, and of the brackets beside the outer columns
PAIR_GAP = 0.4  # between the d_q-wide pieces of the view and transpose grids


class HeadsLecture(LectureScene):
    """How W^q_h is implemented in practice: project once, then view and transpose into heads."""

    roles = {"E": "input", "weight": "weight", "W_q": "weight", "W_q_heads": "weight", "W_big": "weight",
             "Q": "query", "Q_heads": "query", "Q_paper": "query", "terms": "query"}
    question = "How is $W^q_h$ implemented in practice?"
    question_details = ("The paper writes one weight per head. The code keeps one matrix.",)
    question_caption = ("The paper gives every head h its own query weight W^q_h. Code written from it keeps a single"
                        " matrix. Here is why both describe the same numbers.")
    recap_lines = (
        "`nn.Linear` stores the weight as (out, in); the paper's $W^q$ is its transpose.",
        "One big product $E W^q$ fills $Q$ for every head at once.",
        "Head $h$'s $W^q_h$ is a column band of $W^q$; its queries are the same band of $Q$.",
        "`view` and `transpose` group those bands by head, for $Q$, $K$ and $V$ alike.",
    )
    recap_caption = "One projection, one view, one transpose: the paper's per-head weights are column bands of one matrix."
    beats = ("intro", "show_inputs", "project", "bands", "split", "paper", "real_scale", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Size the cells so that E and W^q side by side, and W^q over Q, fit the stage at the sizes asked for."""
        D, L = int(self.result.config.d_model), int(self.result.config.seq_len)
        C = int(self.result.config.heads) * int(self.result.config.d_q)
        cw = max(MIN_CELL[0], min(CELL[0], (style.STAGE.width - 1.6) / (D + max(C, D))))  # the weight is D wide
        ch = max(MIN_CELL[1], min(CELL[1], 5.2 / (D + L + 2.6)))
        self.cell = (cw, ch)

    @property
    def H(self) -> int:
        return int(self.result.config.heads)

    @property
    def dq(self) -> int:
        return int(self.result.config.d_q)

    @property
    def L(self) -> int:
        return int(self.result.config.seq_len)

    def head_label(self, h: int, template: str = '"head" {h}', size: float = style.NOTE_SIZE) -> VGroup:
        """Return a label naming head h (shown 1-based, as in the paper), in its index grey."""
        return self.math(template, size, style.index_colour(h), h=self.b.index("Q_heads", 1, h))

    def token_label(self, l: int) -> VGroup:
        """Return 'token l' (1-based) in muted grey."""
        return self.prose("token {l}", style.NOTE_SIZE, style.MUTED, l=self.b.index("Q", 1, l))

    def number(self, name: str, index: tuple[int, ...], decimals: int = 2) -> BoundNumber:
        """Return one bound number in its tensor's role colour."""
        return self.b.number(self.b.value(name, index, decimals), style.NUMBER_SIZE,
                             color=style.ROLE[self.roles[name]])

    def fixed_frame(self, piece: VGroup, left: float, width: float, height: float, colour: str) -> Rectangle:
        """Return a frame of a fixed size around a piece whose numbers sit right-aligned in slots from x = left."""
        frame = Rectangle(width=width + 0.06, height=height, stroke_color=colour, stroke_width=1.5)
        return frame.move_to([left - 0.02 + (width + 0.06) / 2, piece.get_y(), 0])

    def transpose_in_place(self, n_rows: int, n_cols: int, source: Any, target: Any, extra: Any = None,
                           run_time: float = 0.9) -> None:
        """Play a transpose as a reflection: at step r, row r and column r of the source swing across the diagonal.

        source(i, j) and target(j, i) are mobjects (the target drawn where the reflected cell lands); extra(r)
        returns more animations for step r (labels, brackets). Each moving copy arcs across the diagonal, partners
        of a swap on opposite sides, so no cell flies over the rest of the grid.
        """
        for r in range(min(n_rows, n_cols)):
            cells = [(r, c) for c in range(r, n_cols)] + [(c, r) for c in range(r + 1, n_rows)]
            cells.sort(key=lambda ij: abs(ij[0] - ij[1]))  # the diagonal first, then pairs further and further out
            moves = [ReplacementTransform(source(i, j).copy(), target(j, i), path_arc=0.0 if i == j else PI / 2)
                     for i, j in cells]
            self.remove(*(m for i, j in cells for m in source(i, j).get_family()))
            self.play(LaggedStart(*moves, lag_ratio=0.12), *(extra(r) if extra else ()), run_time=run_time)

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, then H separate weights W^q_h sliding together into the one matrix W^q."""
        self.beat("The question")
        H, dq, D = self.H, self.dq, int(self.result.config.d_model)
        title = style.note(self.question, size=style.TITLE_SIZE)
        unit = min(0.35, 4.0 / (H * dq))
        blocks = VGroup(*(Rectangle(width=dq * unit, height=D * unit, stroke_color=style.ROLE["W"], stroke_width=2.5,
                                    fill_color=style.ROLE["W"], fill_opacity=0.15) for _ in range(H)))
        blocks.arrange(RIGHT, buff=0.7)
        names = VGroup(*(self.head_label(h, "W^q_{h}", style.LABEL_SIZE).next_to(m, DOWN, buff=0.2)
                         for h, m in enumerate(blocks)))
        paper = style.note("the paper: one weight per head", color=style.MUTED)
        group = VGroup(title, VGroup(paper, VGroup(blocks, names)).arrange(DOWN, buff=0.35)).arrange(DOWN, buff=0.7)
        style.STAGE.place(group)
        joined = blocks.copy().arrange(RIGHT, buff=0).move_to(blocks)
        one = self.math("W^q", style.LABEL_SIZE, style.ROLE["W"]).next_to(joined, DOWN, buff=0.2)
        code = style.note("the code: one matrix, cut into bands", color=style.MUTED).move_to(paper)
        self.say("The paper gives every head h its own query weight W^q_h. The code keeps a single matrix."
                 " Both hold the same numbers.")
        self.play(Write(title), run_time=1.0)
        self.play(FadeIn(paper), LaggedStart(*(Create(m) for m in blocks), lag_ratio=0.3), FadeIn(names, lag_ratio=0.3),
                  run_time=1.2)
        self.hold_caption(at_least=0.8)
        self.play(Transform(blocks, joined), names.animate.set_opacity(0.0), FadeIn(one), FadeOut(paper),
                  FadeIn(code), run_time=1.4)
        self.remove(names)
        self.clear_stage()

    def setup_matrices(self) -> None:
        """Lay out the product: W^q top right, Q under it, E left of Q; nn.Linear's weight drawn from W^q's corner."""
        self.W = self.matrix("W_q", cell=self.cell)
        self.weight = self.matrix("weight", cell=self.cell)
        self.Q = self.matrix("Q", (0,), cell=self.cell)
        self.E = self.matrix("E", (0,), cell=self.cell)
        wider = max(0, self.weight.n_cols - self.W.n_cols) * self.cell[0]  # the weight, drawn from W's corner, sticks out
        self.W.to_edge(RIGHT, buff=style.MARGIN + 0.3 + wider).set_y(style.STAGE.top - 0.1 - self.W.height / 2)
        # the same top-left corner: cell (r, c) of the weight lands on cell (c, r) of W^q
        shift = self.W.corner_tl.get_center() - self.weight.corner_tl.get_center()
        self.weight.shift(shift)
        self.Q.next_to(self.W, DOWN, buff=0.6)
        self.E.next_to(self.Q, LEFT, buff=0.9)
        self.E_name = VGroup(self.math("E", style.LABEL_SIZE, style.ROLE["E"]), self.shape("E", "B, L, D"),
                             style.note("random", color=style.MUTED)).arrange(RIGHT, buff=0.25)
        self.E_name.next_to(self.E, UP, buff=0.25).align_to(self.E, RIGHT)
        self.W_name = VGroup(self.math("W^q", style.LABEL_SIZE, style.ROLE["W"]), self.shape("W_q", "D, H dot d_q"),
                             style.note("random", color=style.MUTED)).arrange(RIGHT, buff=0.25)
        self.W_name.next_to(self.W, LEFT, buff=0.5).align_to(self.W, UP)
        self.weight_name = VGroup(self.prose("`nn.Linear.weight`", style.LABEL_SIZE, style.ROLE["W"]),
                                  self.shape("weight", '"out", "in"')).arrange(RIGHT, buff=0.25)
        self.weight_name.next_to(self.W, LEFT, buff=0.5).align_to(self.W, UP)
        self.Q_name = VGroup(self.math("Q = E W^q", style.LABEL_SIZE, style.ROLE["Q"]), self.shape("Q", "B, L, H dot d_q"))
        self.Q_name.arrange(RIGHT, buff=0.25).next_to(self.Q, DOWN, buff=0.2).align_to(self.Q, RIGHT)
        self.shadows = stack_shadows(self.E, min(self.result.config.batch - 1, 3))
        self.foot = style.Region(style.STAGE.left, style.STAGE.right, self.Q_name.get_bottom()[1] - 0.1,
                                 style.STAGE.bottom)

    def show_inputs(self) -> None:
        self.beat("Embeddings and the query weight")
        self.setup_matrices()
        b, W, weight = self.b, self.W, self.weight
        self.say("E holds {L} token embeddings of size D = {D}; the values are random, for this example.",
                 L=b.dim("E", 1), D=b.dim("E", 2))
        self.play(FadeIn(self.shadows), Create(self.E.brackets), FadeIn(self.E.entries, lag_ratio=0.02),
                  FadeIn(self.E_name), run_time=1.0)
        self.settle(self.E)
        self.hold_caption()
        self.say("PyTorch's nn.Linear stores its weight as (out, in) = ({o}, {i}), also random, as at initialisation.",
                 o=b.dim("weight", 0), i=b.dim("weight", 1))
        self.play(Create(weight.brackets), FadeIn(weight.entries, lag_ratio=0.02), FadeIn(self.weight_name))
        self.hold_caption()
        self.say("The paper writes Q = E W^q, so W^q is this weight transposed: each row swings across the diagonal"
                 " into the matching column.")
        n = min(weight.n_rows, weight.n_cols)
        a, z = weight.slot(0, n, 0, n)
        diagonal = DashedLine(a + (a - z) * 0.08, z + (z - a) * 0.08, color=style.MUTED, stroke_width=2,
                              dash_length=0.08, stroke_opacity=0.6).set_z_index(-1)
        diag_name = style.note("diagonal", color=style.MUTED).next_to(diagonal.get_end(), DOWN + RIGHT, buff=0.05)
        room = config.frame_width / 2 - style.SAFE_MARGIN
        if weight.n_rows > n or diag_name.get_right()[0] > room:  # rows in the way, or no room: left of the matrix
            diag_name.next_to(weight, LEFT, buff=0.3).set_y(z[1])
        self.play(Create(diagonal), FadeIn(diag_name), run_time=0.6)
        last = min(weight.n_rows, weight.n_cols) - 1

        def extra(r: int) -> list[Animation]:
            if r < last:
                return []
            return [ReplacementTransform(weight.brackets, W.brackets), FadeOut(self.weight_name),
                    FadeIn(self.W_name)]

        self.transpose_in_place(weight.n_rows, weight.n_cols, weight.entry, W.entry, extra, run_time=1.4)
        self.settle(W)
        self.play(FadeOut(diagonal), FadeOut(diag_name), run_time=0.4)
        self.hold_caption()
        rows_brace = Brace(W.brackets, LEFT, buff=0.12, color=style.MUTED)
        cols_brace = Brace(W.brackets, DOWN, buff=0.08, color=style.MUTED)
        rows = self.prose("D = {D} rows", style.NOTE_SIZE, style.MUTED, D=b.dim("W_q", 0))
        rows.next_to(rows_brace, LEFT, buff=0.15)
        cols = self.prose("H × $d_q$ = {H} × {d} = {C} columns", style.NOTE_SIZE, style.MUTED,
                          H=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3), C=b.dim("W_q", 1))
        cols.next_to(cols_brace, DOWN, buff=0.08)
        self.axes_note = VGroup(rows_brace, cols_brace, rows, cols)
        self.say("W^q has D = {D} rows, one per dimension of E, and H times d_q = {C} columns: one band of d_q"
                 " columns per head.", D=b.dim("W_q", 0), C=b.dim("W_q", 1))
        self.play(GrowFromCenter(rows_brace), FadeIn(rows), run_time=0.6)
        self.play(GrowFromCenter(cols_brace), FadeIn(cols), run_time=0.6)
        self.hold_caption()

    def project(self) -> None:
        self.beat("One projection for every head")
        b, E, W, Q = self.b, self.E, self.W, self.Q
        self.play(Create(Q.brackets), FadeIn(self.Q_name), FadeOut(self.axes_note), run_time=0.6)
        self.say("Each entry of Q is a row of E times a column of W^q: the {D} products of matching numbers,"
                 " summed.", D=b.dim("E", 2))
        row_box = E.box(rows=(0, 1), color=style.ROLE["E"], buff=BOX_BUFF)
        col_box = W.box(cols=(0, 1), color=style.ROLE["W"], buff=BOX_BUFF)
        self.play(Create(row_box), Create(col_box), run_time=0.6)
        line = self.dot_line(0, 0)
        w_column = VGroup(*(W.entry(k, 0) for k in range(W.n_rows)))
        self.play(TransformFromCopy(E.row(0), line.e), TransformFromCopy(w_column, line.w), FadeIn(line.symbols),
                  run_time=1.5)
        self.combine([(VGroup(e, w), p) for e, w, p in zip(line.e, line.w, line.p)], FadeIn(line.sum_symbols),
                     lag_ratio=0.3, run_time=1.6)
        self.combine([(line.p, line.q)], FadeIn(line.total_symbols), run_time=0.8)
        self.play(self.carry(line.q, Q.entry(0, 0)), run_time=0.8)
        self.hold_caption()
        self.say("Column by column, the same row of E meets each column of W^q and fills the first row of Q.")
        for j in range(1, Q.n_cols):
            new = self.dot_line(0, j)
            self.play(Transform(col_box, W.box(cols=(j, j + 1), color=style.ROLE["W"], buff=BOX_BUFF)),
                      FadeOut(VGroup(line.w, line.p, line.q)),
                      TransformFromCopy(VGroup(*(W.entry(k, j) for k in range(W.n_rows))), new.w),
                      line.e.animate.move_to(new.e), Transform(line.symbols, new.symbols),
                      Transform(line.sum_symbols, new.sum_symbols), Transform(line.total_symbols, new.total_symbols),
                      run_time=0.5)
            self.remove(line.q)
            self.combine([(VGroup(e, w), p) for e, w, p in zip(line.e, new.w, new.p)], lag_ratio=0.15, run_time=0.5)
            self.combine([(new.p, new.q)], run_time=0.35)
            self.play(self.carry(new.q, Q.entry(0, j)), run_time=0.4)
            line.w, line.p, line.q = new.w, new.p, new.q
        self.play(FadeOut(VGroup(line.e, line.symbols, line.sum_symbols, line.total_symbols, line.w, line.p, line.q)),
                  FadeOut(col_box), run_time=0.4)
        self.hold_caption()
        self.say("The other rows follow the same way: one matrix product fills Q for all heads together.")
        for i in range(1, Q.n_rows):
            self.play(Transform(row_box, E.box(rows=(i, i + 1), color=style.ROLE["E"], buff=BOX_BUFF)), run_time=0.25)
            self.combine([(VGroup(E.row(i), W.column_band(j, j + 1)), Q.entry(i, j)) for j in range(Q.n_cols)],
                         lag_ratio=0.12, run_time=0.7)
        self.play(FadeOut(row_box), run_time=0.3)
        self.settle(Q)
        self.hold_caption()

    def dot_line(self, i: int, j: int) -> VGroup:
        """Return two rows, '(E row i) ⊙ (W^q column j)' over '= (products) summed = Q[i, j]', from bound numbers.

        The products carry three decimals, so that adding the shown products gives Q[i, j] as shown, rounded.
        """
        D = self.E.n_cols
        buff = 0.2 if D <= 6 else 0.12  # eight-wide rows: tighter, so the whole sum fits the stage
        e = VGroup(*(self.number("E", (0, i, k)) for k in range(D))).arrange(RIGHT, buff=buff)
        w = VGroup(*(self.number("W_q", (k, j)) for k in range(D))).arrange(RIGHT, buff=buff)
        p = VGroup(*(self.number("terms", (0, i, k, j), decimals=3) for k in range(D))).arrange(RIGHT, buff=buff)
        q = self.number("Q", (0, i, j))
        lp1, rp1, odot, lp2, rp2 = (style.note(f"${c}$") for c in ("(", ")", "dot.o", "(", ")"))
        eq1, lp3, rp3 = (style.note(f"${c}$") for c in ("=", "(", ")"))
        summed = style.note("summed $=$")
        top = VGroup(lp1, e, rp1, odot, lp2, w, rp2).arrange(RIGHT, buff=0.12)
        low = VGroup(eq1, lp3, p, rp3, summed, q).arrange(RIGHT, buff=0.12)
        low[4].shift(RIGHT * 0.1)
        q.shift(RIGHT * 0.1)
        line = VGroup(top, low).arrange(DOWN, buff=0.22, aligned_edge=LEFT)
        low.shift(LEFT * (low[0].get_x() - odot.get_x()))  # '=' under '⊙': the products line up under the pairs
        self.foot.place(line, align=LEFT)
        out = cast(Any, line)
        out.e, out.w, out.p, out.q = e, w, p, q
        out.symbols = VGroup(lp1, rp1, odot, lp2, rp2)
        out.sum_symbols = VGroup(eq1, lp3, rp3)
        out.total_symbols = VGroup(summed)
        return line

    def bands(self) -> None:
        self.beat("Column bands are the heads")
        b, W, Q = self.b, self.W, self.Q
        boxes, labels = VGroup(), VGroup()
        for h in range(self.H):
            cols = (h * self.dq, (h + 1) * self.dq)
            boxes.add(W.box(cols=cols, color=style.index_colour(h), buff=BOX_BUFF),
                      Q.box(cols=cols, color=style.index_colour(h), buff=BOX_BUFF))
            label = self.head_label(h)
            labels.add(label.move_to([boxes[-2].get_x(), (W.get_bottom()[1] + Q.get_top()[1]) / 2, 0]))
        self.say("Cut W^q into {H} bands of d_q = {d} columns. Band h is the paper's W^q_h.",
                 H=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3))
        self.play(LaggedStart(*(Create(boxes[2 * h]) for h in range(self.H)), lag_ratio=0.3),
                  FadeIn(labels, lag_ratio=0.3), run_time=1.2)
        self.hold_caption()
        self.say("Band h of W^q writes only the columns of Q under it: those columns are head h's queries.")
        self.play(LaggedStart(*(TransformFromCopy(boxes[2 * h], boxes[2 * h + 1]) for h in range(self.H)),
                              lag_ratio=0.3), run_time=1.2)
        self.hold_caption()
        C = int(self.result.config.heads) * self.dq
        slices = VGroup()
        for h in range(self.H):
            end = b.index("Q", 2, (h + 1) * self.dq, base=0) if (h + 1) * self.dq < C else b.dim("Q", 2)
            slices.add(self.prose("head {h}: `Q[:, :, {a}:{z}]`", style.NOTE_SIZE, style.index_colour(h),
                                  h=b.index("Q_heads", 1, h), a=b.index("Q", 2, h * self.dq, base=0), z=end))
        slices.arrange(RIGHT, buff=0.6)
        rule = self.prose("in code, head $h$ counted from zero is `Q[:, :, h*d_q : h*d_q + d_q]`", style.NOTE_SIZE,
                          style.MUTED)
        foot = VGroup(rule, slices).arrange(DOWN, buff=0.2)
        if foot.width <= self.foot.width and foot.height <= self.foot.height:
            self.foot.place(foot)
        else:  # too wide for one row at the largest sizes: the general rule only
            foot = VGroup(rule)
            self.foot.place(foot)
        self.say("In code, heads count from zero, and head h's queries are the slice of Q from column h times d_q,"
                 " d_q columns wide.")
        self.play(FadeIn(rule), LaggedStart(*(FadeIn(x, shift=UP * 0.1) for x in slices), lag_ratio=0.4),
                  run_time=1.4)
        self.hold_caption()
        self.band_boxes, self.band_labels, self.slices = boxes, labels, foot

    def split(self) -> None:
        self.beat("In practice: view, then transpose")
        b, Q = self.b, self.Q
        code = self.listing(split_heads)
        view_shape = self.math("(B, L, H, d_q) = ({b}, {l}, {h}, {d})", style.NOTE_SIZE, style.MUTED,
                               b=b.dim("Q", 0), l=b.dim("Q", 1), h=b.dim("Q_heads", 1), d=b.dim("Q_heads", 3))
        heads_shape = self.shape("Q_heads", "B, H, L, d_q")
        code.move_to([style.STAGE.left + code.width / 2, style.STAGE.top - code.height / 2, 0])
        bar_view, bar_t = self.code_line_box(code, 3), self.code_line_box(code, 4)
        view_shape.next_to(bar_view, RIGHT, buff=0.3)
        heads_shape.next_to(view_shape, DOWN, buff=0.12).align_to(view_shape, LEFT)

        # cell size and layout of this beat: the transpose drawn as a grid (rows: heads) when it fits,
        # else as H blocks of L x d_q side by side (one head's rows, tokens down)
        cw = self.cell[0]
        gap = PAIR_GAP
        for cw, gap in ((self.cell[0], PAIR_GAP), (MIN_CELL[0], 0.25)):
            grid = 1.4 + self.L * (self.dq * cw + gap) - gap <= style.STAGE.width
            if grid:
                break
        n_rows = self.H if grid else self.L
        ch = max(MIN_CELL[1], min(self.cell[1], (style.STAGE.height - code.height - 1.45) / (self.L + n_rows)))
        pair_w = self.dq * cw
        step = pair_w + gap
        # the view: rows are tokens, each cut into H pieces of d_q
        view_top = code.get_bottom()[1] - 0.6
        grid_width = 1.4 + max(self.L if grid else self.H, self.H) * step - gap  # row labels, then the widest grid
        view_left = style.STAGE.left + 1.4 + max(0.0, (style.STAGE.width - grid_width) / 2)
        view_nums = [[[None] * self.dq for _ in range(self.H)] for _ in range(self.L)]
        for l in range(self.L):
            for h in range(self.H):
                for k in range(self.dq):
                    num = self.number("Q", (0, l, h * self.dq + k))
                    view_nums[l][h][k] = num.move_to(Q.entry(l, h * self.dq + k).get_center())
        view_at = {(l, h, k): np.array([view_left + h * step + (k + 1) * cw - 0.06, view_top - (l + 0.5) * ch, 0.0])
                   for l in range(self.L) for h in range(self.H) for k in range(self.dq)}
        # the transpose: rows are heads, each holding L pieces of d_q, in the view's place (a reflection of the
        # grid); when a row of L pieces is too wide, head blocks side by side under the view
        t_top = view_top if grid else view_top - self.L * ch - 0.55
        if grid:
            t_at = {(h, l, k): np.array([view_left + l * step + (k + 1) * cw - 0.06, t_top - (h + 0.5) * ch, 0.0])
                    for l in range(self.L) for h in range(self.H) for k in range(self.dq)}
        else:
            t_at = {(h, l, k): np.array([view_left + h * step + (k + 1) * cw - 0.06, t_top - (l + 0.5) * ch, 0.0])
                    for l in range(self.L) for h in range(self.H) for k in range(self.dq)}
        c_name = self.math("C = H dot d_q = {c}", style.NOTE_SIZE, style.MUTED, c=b.dim("Q", 2))
        c_name.next_to(self.code_line_box(code, 2), RIGHT, buff=0.3)

        self.play(*(FadeOut(m) for m in [self.E, self.E_name, self.shadows, self.W, self.W_name, self.band_boxes,
                                           self.band_labels, self.Q_name, self.slices]), run_time=0.5)
        self.add(*(n for row in view_nums for piece in row for n in piece))
        self.remove(Q)
        self.play(FadeIn(code), FadeIn(c_name), run_time=0.6)
        self.say("The code never builds W^q_h. With C = H times d_q = {c}, view cuts each row of Q into H pieces of"
                 " d_q numbers.", c=b.dim("Q", 2))
        moves = [view_nums[l][h][k].animate.move_to(view_at[(l, h, k)] + LEFT * view_nums[l][h][k].width / 2)
                 for l in range(self.L) for h in range(self.H) for k in range(self.dq)]
        self.play(FadeIn(bar_view), FadeIn(view_shape), *moves, run_time=1.4)
        pieces = {(l, h): VGroup(*view_nums[l][h]) for l in range(self.L) for h in range(self.H)}
        frames = {(l, h): self.fixed_frame(pieces[(l, h)], view_left + h * step, pair_w, ch - 0.05,
                                           style.index_colour(h)) for l in range(self.L) for h in range(self.H)}
        row_labels = VGroup(*(self.token_label(l).next_to(pieces[(l, 0)], LEFT, buff=0.35) for l in range(self.L)))
        col_labels = VGroup(*(self.head_label(h).next_to(frames[(0, h)], UP, buff=0.2) for h in range(self.H)))
        for lab in row_labels:
            lab.align_to(row_labels, LEFT)
        self.play(Create(VGroup(*frames.values())), FadeIn(row_labels), FadeIn(col_labels), run_time=0.8)
        self.hold_caption()
        t_nums = {(h, l, k): self.number("Q_heads", (0, h, l, k)) for h in range(self.H) for l in range(self.L)
                  for k in range(self.dq)}
        for key, num in t_nums.items():
            num.move_to(t_at[key] + LEFT * num.width / 2)
        t_pieces = {(h, l): VGroup(*(t_nums[(h, l, k)] for k in range(self.dq))) for h in range(self.H)
                    for l in range(self.L)}
        t_frames = {(h, l): self.fixed_frame(t_pieces[(h, l)], view_left + (l if grid else h) * step, pair_w, ch - 0.05,
                                             style.index_colour(h)) for h in range(self.H) for l in range(self.L)}
        if grid:
            t_rows = VGroup(*(self.head_label(h).next_to(t_pieces[(h, 0)], LEFT, buff=0.35)
                              .align_to(row_labels, LEFT) for h in range(self.H)))
            t_cols = VGroup(*(self.token_label(l).next_to(t_frames[(0, l)], UP, buff=0.2) for l in range(self.L)))
        else:
            t_rows = VGroup(*(self.head_label(h).next_to(t_frames[(0, h)], UP, buff=0.2) for h in range(self.H)))
            t_cols = VGroup(*(self.token_label(l).next_to(t_pieces[(0, l)], LEFT, buff=0.35)
                              .align_to(row_labels, LEFT) for l in range(self.L)))
        self.play(Transform(bar_view, bar_t), FadeIn(heads_shape), run_time=0.5)
        if grid:
            self.say("Then transpose swaps the L and H axes, mirrored across the diagonal: token l's piece for head h"
                     " moves to row h, column l.")
            n = min(self.L, self.H)
            a = np.array([view_left - 0.1, view_top + 0.05, 0.0])
            diagonal = DashedLine(a, a + np.array([n * step + 0.2, -n * ch - 0.1, 0.0]), color=style.MUTED,
                                  stroke_width=2, dash_length=0.08, stroke_opacity=0.6).set_z_index(-1)
            self.play(Create(diagonal), run_time=0.5)

            def labels(r: int) -> list[Animation]:
                out: list[Animation] = []
                last = r == n - 1
                for l in range(self.L):
                    if l == r or (last and l > r):
                        out.append(ReplacementTransform(row_labels[l], t_cols[l], path_arc=PI / 2))
                for h in range(self.H):
                    if h == r or (last and h > r):
                        out.append(ReplacementTransform(col_labels[h], t_rows[h], path_arc=PI / 2))
                return out

            self.transpose_in_place(self.L, self.H, lambda l, h: VGroup(pieces[(l, h)], frames[(l, h)]),
                                    lambda h, l: VGroup(t_pieces[(h, l)], t_frames[(h, l)]), labels, run_time=1.0)
            self.play(FadeOut(diagonal), run_time=0.4)
            self.remove(row_labels, col_labels, *row_labels, *col_labels)  # the moved labels are now t_cols, t_rows
            self.add(t_rows, t_cols)
        else:
            self.say("Then transpose swaps the L and H axes: the piece of token l for head h moves to head h's"
                     " block, row l.")
            for h in range(self.H):
                self.play(*(TransformFromCopy(pieces[(l, h)], t_pieces[(h, l)]) for l in range(self.L)),
                          FadeIn(t_rows[h]), *(Create(t_frames[(h, l)]) for l in range(self.L)),
                          *([FadeIn(t_cols)] if h == 0 else []), run_time=1.0)
            self.play(*(FadeOut(m) for m in [*frames.values(), row_labels, col_labels,
                                               *(n for row in view_nums for piece in row for n in piece)]),
                      run_time=0.5)
        self.hold_caption()
        self.say("Row h of the result holds head h's queries: {L} tokens, d_q = {d} numbers each.",
                 L=b.dim("Q_heads", 2), d=b.dim("Q_heads", 3))
        first = [t_frames[(0, l)] for l in range(self.L)]
        self.play(*(f.animate.set_stroke(style.TEXT, width=3.5) for f in first), run_time=0.8)
        self.hold_caption()
        kv = VGroup(self.math("K = E W^k", color=style.ROLE["K"]), style.note("and"),
                    self.math("V = E W^v", color=style.ROLE["V"]),
                    style.note("are split into heads by the same view and transpose")).arrange(RIGHT, buff=0.2)
        grid_bottom = min(m.get_bottom()[1] for m in t_frames.values())
        kv.next_to(VGroup(*t_frames.values()), DOWN, buff=0.5).set_y(min(grid_bottom - 0.5, grid_bottom - 0.5))
        kv.set_x(0)
        if kv.get_bottom()[1] < style.STAGE.bottom:
            kv.arrange(DOWN, buff=0.1).next_to(code, RIGHT, buff=0.5)
        self.say("K and V come from their own weights, W^k and W^v, and are split into heads by the same view and"
                 " transpose.")
        self.play(FadeIn(kv, shift=UP * 0.2), run_time=0.8)
        self.hold_caption()
        self.t_pieces = t_pieces
        self.play(*(FadeOut(m) for m in [code, bar_view, view_shape, heads_shape, c_name, kv]), run_time=0.5)
        self.split_rest = VGroup(*t_frames.values(), t_rows, t_cols)

    def paper(self) -> None:
        self.beat("The paper's way gives the same numbers")
        b, H, L, dq = self.b, self.H, self.L, self.dq
        D = int(self.result.config.d_model)
        # bottom row: E, one band W^q_h, and the H products E W^q_h; top row: W^q (the bands' source) on the left,
        # the heads' rows from the transpose on the right, each over its product
        fixed = (2 + H) * 0.3 + (H - 1) * 0.35 + 1.6  # brackets, gaps between the products, the dot and =
        cw = max(MIN_CELL[0], min(self.cell[0], (style.STAGE.width - fixed) / (D + dq + H * dq)))
        ch = max(MIN_CELL[1], min(self.cell[1], (style.STAGE.height - 2.5) / (L + max(L, D))))
        cell = (cw, ch)
        heads = VGroup(*(self.matrix("Q_heads", (0, h), cell=cell) for h in range(H))).arrange(RIGHT, buff=0.35)
        paper = VGroup(*(self.matrix("Q_paper", (0, h), cell=cell) for h in range(H))).arrange(RIGHT, buff=0.35)
        E = self.matrix("E", (0,), cell=cell)
        W = self.matrix("W_q", cell=cell)
        bands = [self.matrix("W_q_heads", (h,), cell=cell) for h in range(H)]
        dot, eq = style.note("$dot$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        bottom = VGroup(E, dot, bands[0], eq, paper).arrange(RIGHT, buff=0.2)
        E_name = self.math("E", color=style.ROLE["E"]).next_to(E, UP, buff=0.15)
        band_names = [self.head_label(h, "W^q_{h}").next_to(bands[0], UP, buff=0.15) for h in range(H)]
        bot_names = VGroup(*(self.head_label(h, "E W^q_{h}").next_to(m, UP, buff=0.15) for h, m in enumerate(paper)))
        heads.next_to(VGroup(paper, bot_names), UP, buff=0.55)
        for top, low in zip(heads, paper):
            top.set_x(low.get_x())
        top_names = VGroup(*(self.prose("head {h}: $Q_{h}$", style.NOTE_SIZE, style.index_colour(h),
                                        h=b.index("Q_heads", 1, h)).next_to(m, UP, buff=0.15)
                             for h, m in enumerate(heads)))
        W_name = self.math("W^q", color=style.ROLE["W"])
        W.next_to(VGroup(heads, top_names), LEFT, buff=0.8).align_to(heads, DOWN)
        W_name.next_to(W, UP, buff=0.15)
        fits = W.get_left()[0] >= style.STAGE.left and W.width < heads.get_left()[0] - style.STAGE.left - 0.6
        main, foot = style.STAGE.rows(5.6, 0.5, gap=0.2)
        shown = [heads, top_names, bottom, E_name, bot_names, band_names[0]] + ([W, W_name] if fits else [])
        main.place(VGroup(*shown))
        if fits:
            W.next_to(VGroup(heads, top_names), LEFT, buff=0.8).align_to(heads, DOWN)
            W_name.next_to(W, UP, buff=0.15)
        for m, name in zip(bands[1:], band_names[1:]):  # the other bands take the first one's place
            m.move_to(bands[0])
            name.move_to(band_names[0])
        self.say("Each row of the transpose is one head's matrix Q_h: {L} rows, d_q = {d} columns.",
                 L=b.dim("Q_heads", 2), d=b.dim("Q_heads", 3))
        self.play(*(TransformFromCopy(self.t_pieces[(h, l)], heads[h].row(l)) for h in range(H)
                    for l in range(L)), FadeOut(self.split_rest),
                  *(FadeOut(p) for p in self.t_pieces.values()), *(Create(m.brackets) for m in heads),
                  FadeIn(top_names), run_time=1.4)
        self.settle(*heads)
        self.hold_caption()
        self.say("The paper lifts each band W^q_h out of W^q and multiplies E by it alone. Head {h}: row {i} of E"
                 " times column {k} of W^q_{h}.", h=b.index("Q_heads", 1, 0),
                 i=b.index("E", 1, 0), k=b.index("W_q_heads", 2, 0))
        band_box = None
        if fits:
            self.play(FadeIn(W), FadeIn(W_name), run_time=0.6)
            band_box = W.box(cols=(0, dq), color=style.index_colour(0), buff=BOX_BUFF)
            self.play(Create(band_box), run_time=0.4)
            self.play(*(self.carry(W.entry(r, k), bands[0].entry(r, k)) for r in range(D) for k in range(dq)),
                      Create(bands[0].brackets), FadeIn(band_names[0]), FadeIn(E), FadeIn(E_name), FadeIn(dot),
                      FadeIn(eq), *(Create(m.brackets) for m in paper), FadeIn(bot_names), run_time=1.2)
            self.settle(bands[0])
        else:
            self.play(FadeIn(E), FadeIn(E_name), FadeIn(dot), FadeIn(bands[0]), FadeIn(band_names[0]), FadeIn(eq),
                      *(Create(m.brackets) for m in paper), FadeIn(bot_names), run_time=1.0)
        row_box = E.box(rows=(0, 1), color=style.ROLE["E"], buff=BOX_BUFF)
        col_box = bands[0].box(cols=(0, 1), color=style.ROLE["W"], buff=BOX_BUFF)
        line = self.paper_line(0, 0, 0, foot)
        self.play(Create(row_box), Create(col_box), run_time=0.5)
        self.play(TransformFromCopy(E.row(0), line.e), TransformFromCopy(bands[0].column_band(0, 1), line.w),
                  FadeIn(line.symbols), run_time=1.4)
        self.combine([(VGroup(line.e, line.w), line.q)], run_time=0.9)
        self.play(self.carry(line.q, paper[0].entry(0, 0)), run_time=0.8)
        self.hold_caption()
        self.say("Every other entry of E W^q_{h} is a row of E times a column of W^q_{h} in the same way.",
                 h=b.index("Q_heads", 1, 0))
        self.play(FadeOut(VGroup(line.e, line.w, line.q, line.symbols)), FadeOut(row_box), FadeOut(col_box),
                  run_time=0.4)
        rest = [(i, k) for i in range(L) for k in range(dq) if (i, k) != (0, 0)]
        self.combine([(VGroup(E.row(i), bands[0].column_band(k, k + 1)), paper[0].entry(i, k)) for i, k in rest],
                     lag_ratio=0.15, run_time=2.0)
        self.hold_caption()
        if H > 1:
            self.say("Each other head lifts its own band W^q_h out of W^q and does the same: one small product per"
                     " head.")
            for h in range(1, H):
                if fits:
                    assert band_box is not None
                    new_box = W.box(cols=(h * dq, (h + 1) * dq), color=style.index_colour(h), buff=BOX_BUFF)
                    self.play(FadeOut(bands[h - 1]), FadeOut(band_names[h - 1]), Transform(band_box, new_box),
                              run_time=0.5)
                    self.play(*(self.carry(W.entry(r, h * dq + k), bands[h].entry(r, k)) for r in range(D)
                                for k in range(dq)), Create(bands[h].brackets), FadeIn(band_names[h]), run_time=0.9)
                    self.settle(bands[h])
                else:
                    self.play(FadeOut(bands[h - 1]), FadeOut(band_names[h - 1]), FadeIn(bands[h]),
                              FadeIn(band_names[h]), run_time=0.5)
                self.combine([(VGroup(E.row(i), bands[h].column_band(k, k + 1)), paper[h].entry(i, k))
                              for i in range(L) for k in range(dq)], lag_ratio=0.1, run_time=1.4)
            self.hold_caption()
        self.settle(*paper)
        self.say("Compare them row by row: each row of Q_h from the transpose is the same row of E W^q_h.")
        for l in range(L):
            boxes = VGroup(*(m.box(rows=(l, l + 1), color=style.index_colour(h), buff=BOX_BUFF)
                             for group in (heads, paper) for h, m in enumerate(group)))
            self.play(Create(boxes), run_time=0.35)
            self.play(FadeOut(boxes), run_time=0.25)
        exact = float(b.tensors["max_abs_diff"]) == 0.0
        verdict = "exactly zero" if exact else "float32 rounding only"
        diff = self.prose("largest difference over all heads: max $|Q_h - E W^q_h|$ = {d}: " + verdict,
                          style.NOTE_SIZE, d=b.value("max_abs_diff", (), decimals=2, style="g"))
        foot.place(diff)
        self.hold_caption()
        self.say_gap("max_abs_diff", "Torch reports a largest difference of exactly {d}.",
                     "Torch reports a largest difference of {d}: float32 rounding from summing in another order.")
        self.play(FadeIn(diff, shift=UP * 0.2), run_time=1.0)
        self.hold_caption()
        one = self.prose("one matmul $E W^q$: ({D} × {C}) weights, instead of {H} matmuls $E W^q_h$ of ({D} × {d})",
                         style.NOTE_SIZE, style.MUTED, D=b.dim("W_q", 0), C=b.dim("W_q", 1), H=b.dim("Q_heads", 1),
                         d=b.dim("Q_heads", 3))
        self.say("Same numbers, so code runs one big product with all of W^q instead of {H} small ones: what a GPU"
                 " does fastest.", H=b.dim("Q_heads", 1))
        self.play(diff.animate.shift(UP * 0.22), run_time=0.3)
        one.next_to(diff, DOWN, buff=0.12)
        if one.get_bottom()[1] < style.STAGE.bottom or one.width > style.STAGE.width:
            self.play(FadeOut(diff), run_time=0.3)
            foot.place(one)
        self.play(FadeIn(one, shift=UP * 0.2), run_time=0.8)
        self.hold_caption()
        self.clear_stage()

    def recap(self) -> None:
        """The recap's bullets, held a little longer than the minimum: four lines take time to read."""
        self.summarise(self.recap_caption, *self.recap_lines)
        self.hold_caption(at_least=1.5)

    def paper_line(self, h: int, i: int, k: int, region: style.Region) -> VGroup:
        """Return '(E row i) · (W^q_h column k) = (E W^q_h)[i, k]' from bound numbers; parts as attributes."""
        D = int(self.result.config.d_model)
        buff = 0.2 if D <= 6 else 0.12
        e = VGroup(*(self.number("E", (0, i, r)) for r in range(D))).arrange(RIGHT, buff=buff)
        w = VGroup(*(self.number("W_q_heads", (h, r, k)) for r in range(D))).arrange(RIGHT, buff=buff)
        q = self.number("Q_paper", (0, h, i, k))
        lp1, rp1, dot, lp2, rp2, eq = (style.note(f"${c}$") for c in ("(", ")", "dot", "(", ")", "="))
        line = VGroup(lp1, e, rp1, dot, lp2, w, rp2, eq, q).arrange(RIGHT, buff=0.12)
        region.place(line)
        out = cast(Any, line)
        out.e, out.w, out.q = e, w, q
        out.symbols = VGroup(lp1, rp1, dot, lp2, rp2, eq)
        return line

    def real_scale(self) -> None:
        self.beat("At real scale")
        b = self.b
        n_big, d_big = int(b.tensors["W_big_heads"].shape[0]), int(b.tensors["W_big_heads"].shape[2])
        shape = tuple(b.tensors["W_big"].shape)
        crop_rows, crop_cols = tuple(b.tensors["W_big_crop"].shape)
        c0 = int(b.tensors["crop_bounds"][2]) - 1
        heat = b.heatmap("W_big", "W_big_absmax", height=4.0)
        grey = style.INDEX[2]  # one grey for every band: no band looks selected
        bands = VGroup(*(pixel_box(heat, shape, (0, shape[0]), (h * d_big, (h + 1) * d_big), grey, 2)
                         for h in range(n_big)))
        named = [h for h in range(n_big) if n_big <= 10 or h in (0, n_big - 1)]  # narrow bands: the first and last
        numbers = VGroup(*(self.prose("{h}", style.NOTE_SIZE, grey, h=b.index("W_big_heads", 0, h))
                           for h in named))
        top_axis = self.prose("columns: {C} = {H} heads × {d}", style.NOTE_SIZE, style.MUTED,
                              C=b.dim("W_big", 1), H=b.dim("W_big_heads", 0), d=b.dim("W_big_heads", 2))
        left_axis = VGroup(style.note("rows:", color=style.MUTED),
                           self.prose("D = {D}", style.NOTE_SIZE, style.MUTED, D=b.dim("W_big", 0))).arrange(DOWN, buff=0.1)
        # the enlarged corner: the first rows, across the edge between band 1 and band 2
        crop = b.heatmap("W_big_crop", "W_big_absmax", height=2.3)
        crop_frame = Rectangle(width=crop.width, height=crop.height, stroke_color=style.MUTED, stroke_width=1.5)
        edge = Line(UP, DOWN, color=style.TEXT, stroke_width=3)
        halves = VGroup(self.prose("head {h}", style.NOTE_SIZE, style.TEXT, h=b.index("W_big_heads", 0, 0)),
                        self.prose("head {h}", style.NOTE_SIZE, style.TEXT, h=b.index("W_big_heads", 0, 1)))
        where = self.prose("rows {r0}–{r1}, columns {c0}–{c1}: one square is one weight", style.NOTE_SIZE,
                           style.MUTED, r0=b.value("crop_bounds", (0,), decimals=0),
                           r1=b.value("crop_bounds", (1,), decimals=0), c0=b.value("crop_bounds", (2,), decimals=0),
                           c1=b.value("crop_bounds", (3,), decimals=0))
        legend = colour_legend(b, "colour_ramp", "W_big_absmax", decimals=3, font_size=style.NOTE_SIZE)
        title = self.prose("a real $W^q$: {D} × {C}, random", style.LABEL_SIZE, D=b.dim("W_big", 0),
                           C=b.dim("W_big", 1))
        left, right = style.STAGE.columns(7.2, 5.0, gap=0.8)  # the enlarged corner left of band 1: no line crosses a band
        heat.move_to(right.centre + DOWN * 0.1 + RIGHT * 0.3)
        bands.move_to(heat)
        for h, num in zip(named, numbers):
            num.next_to(bands[h], UP, buff=0.08)
        top_axis.next_to(numbers, UP, buff=0.1).set_x(heat.get_x())
        left_axis.next_to(heat, LEFT, buff=0.15).align_to(heat, DOWN)
        halves.arrange(RIGHT, buff=1.0)
        info = Group(title, Group(halves, crop).arrange(DOWN, buff=0.12), where, legend).arrange(DOWN, buff=0.3)
        left.place(info)
        crop_frame.move_to(crop)
        split_at = crop.get_left()[0] + crop.width * (d_big - c0) / crop_cols
        edge.put_start_and_end_on(np.array([split_at, crop.get_top()[1] + 0.05, 0]),
                                  np.array([split_at, crop.get_bottom()[1] - 0.05, 0]))
        halves[0].set_x((crop.get_left()[0] + split_at) / 2)
        halves[1].set_x((crop.get_right()[0] + split_at) / 2)
        mark = pixel_box(heat, shape, (0, crop_rows), (c0, c0 + crop_cols), style.TEXT, 3)
        mark.stretch_to_fit_width(mark.width + 0.1).stretch_to_fit_height(mark.height + 0.1)  # visible at 480p
        zoom = VGroup(Line(mark.get_corner(UP + LEFT), crop_frame.get_corner(UP + RIGHT), color=style.MUTED,
                           stroke_width=1.5),
                      Line(mark.get_corner(DOWN + LEFT), crop_frame.get_corner(DOWN + RIGHT), color=style.MUTED,
                           stroke_width=1.5))
        mark.set_z_index(2)
        zoom.set_z_index(2)  # drawn over the heatmap, from the marked corner
        self.say("A real size: D = {D} and H = {H}, random values as at initialisation. Drawn this small, several"
                 " weights share each pixel.", D=b.dim("W_big", 0), H=b.dim("W_big_heads", 0))
        self.play(FadeIn(heat), FadeIn(left_axis), FadeIn(top_axis), FadeIn(title), run_time=1.0)
        self.hold_caption()
        self.say("Each band of {d} columns is one head's W^q_h.", d=b.dim("W_big_heads", 2))
        self.play(LaggedStart(*(Create(band) for band in bands), lag_ratio=0.1), FadeIn(numbers, lag_ratio=0.1),
                  run_time=1.2)
        self.hold_caption()
        self.say("Enlarged: rows {r0} to {r1}, columns {c0} to {c1}, where head {a}'s band meets head {z}'s. One"
                 " square is one weight.",
                 r0=b.value("crop_bounds", (0,), decimals=0), r1=b.value("crop_bounds", (1,), decimals=0),
                 c0=b.value("crop_bounds", (2,), decimals=0), c1=b.value("crop_bounds", (3,), decimals=0),
                 a=b.index("W_big_heads", 0, 0), z=b.index("W_big_heads", 0, 1))
        self.play(Create(mark), run_time=0.4)
        self.play(Create(zoom), FadeIn(crop), Create(crop_frame), run_time=1.0)
        self.play(Create(edge), FadeIn(halves), FadeIn(where), FadeIn(legend), run_time=0.8)
        self.hold_caption()
        self.clear_stage()


__all__ = ["HeadsLecture"]
