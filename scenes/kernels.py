"""Lecture `kernels`: conv kernels give feature maps, attention heads give head outputs, and five parallels."""

from __future__ import annotations

from types import SimpleNamespace

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Line,
    Mobject,
    Rectangle,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    VMobject,
    Write,
)

from scenes.kit import style
from scenes.kit.binding import BoundNumber, Source
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix

CONV = style.ROLE["E"]  # the convolution side
ATTN = style.ROLE["Q"]  # the attention side
LEFT_X, RIGHT_X = -3.55, 3.55  # centres of the two halves in the side-by-side beats
HALF = 6.5  # usable width of one half


def cells_box(heat: Mobject, shape: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int],
              color: str, width: float = 3.0) -> Rectangle:
    """Return a rectangle around heatmap pixels rows r0:r1, columns c0:c1 (half-open)."""  # candidate for a shared helper
    n_rows, n_cols = shape
    px, py = heat.width / n_cols, heat.height / n_rows
    left, top = heat.get_left()[0], heat.get_top()[1]
    rect = Rectangle(width=(cols[1] - cols[0]) * px, height=(rows[1] - rows[0]) * py, stroke_color=color,
                     stroke_width=width)
    return rect.move_to([left + (cols[0] + cols[1]) / 2 * px, top - (rows[0] + rows[1]) / 2 * py, 0])


def arrow(length: float = 0.5) -> Arrow:
    """Return a short grey arrow pointing right."""
    return Arrow(LEFT, RIGHT, buff=0, color=style.MUTED, stroke_width=3).scale(length)


class KernelsLecture(LectureScene):
    """Multi-head attention next to a conv layer: same input, several filters, several outputs."""

    beats = ("intro", "conv", "attention", "local_global", "sharing", "views", "stacking", "sizes", "recap")

    # -- helpers ------------------------------------------------------------------------------
    @property
    def K(self) -> int:
        return int(self.result.config.kernels)

    @property
    def H(self) -> int:
        return int(self.result.config.heads)

    def size(self, name: str, d: int) -> int:
        """Return one dimension of a tensor (for layout only)."""
        return int(self.b.tensors[name].shape[d])

    def matrix(self, name: str, prefix: tuple[int, ...] = (), cell: tuple[float, float] = (0.6, 0.42),
               color: str = style.TEXT, size: float = 22, decimals: int | None = None) -> TensorMatrix:
        """Return a coloured TensorMatrix; no decimals when every entry is a whole number, else two."""
        if decimals is None:
            t = self.b.tensors[name][prefix]
            decimals = 0 if bool((t == t.round()).all()) else 2
        m = TensorMatrix(self.b, name, prefix, decimals=decimals, font_size=size, cell=cell)
        m.entries.set_color(color)
        return m

    def num(self, src: Source, size: float, color: str) -> BoundNumber:
        """Return one bound number in a colour."""
        return self.b.number(src, size).set_color(color)

    def heat(self, name: str, scale: str, height: float) -> Group:
        """Return a heatmap with a thin frame, as a Group (heat, frame)."""
        img = self.b.heatmap(name, scale, height)
        frame = SurroundingRectangle(img, buff=0.02, color=style.MUTED, stroke_width=1.5)
        return Group(img, frame)

    def label(self, template: str, size: float = style.NOTE_SIZE, color: str = style.MUTED, **fields: Source) -> VMobject:
        """Return a bound label (Typst markup, numbers through fields)."""
        return self.b.text(template, False, size, **fields).set_color(color)

    def head_label(self, h: int) -> VMobject:
        """Return 'head h' (one-based) in the head's colour."""
        return self.label("head {h}", color=style.head_color(h), h=self.b.index("weights", 1, h))

    def kernel_name(self, c: int) -> VMobject:
        """Return the name of kernel c in its colour."""
        return self.label("{s}", size=style.NOTE_SIZE - 2, color=style.head_color(c), s=self.b.string(f"kernel_name_{c}"))

    def side_titles(self) -> VGroup:
        """Return the 'Convolution' and 'Attention' column titles of the side-by-side beats."""
        left = style.note("*Convolution*", size=style.LABEL_SIZE, color=CONV).move_to([LEFT_X, 3.0, 0])
        right = style.note("*Attention*", size=style.LABEL_SIZE, color=ATTN).move_to([RIGHT_X, 3.0, 0])
        divider = Line([0, 3.2, 0], [0, -2.8, 0], color=style.MUTED, stroke_width=1.5).set_opacity(0.5)
        return VGroup(left, right, divider)

    def side_text(self, mob: VMobject, x: float, y: float) -> VMobject:
        """Fit a line of text into one half and centre it at (x, y)."""
        style.fit(mob, width=HALF).move_to([x, y, 0])
        return mob

    def centre(self, group: Mobject) -> None:
        """Fit a full-width stage into the frame below the heading and centre it."""
        style.fit(group, height=style.TOP - style.BOTTOM - 0.1)
        group.move_to([0, (style.TOP + style.BOTTOM) / 2, 0])

    # -- beat 1 ---------------------------------------------------------------------------------
    def intro(self) -> None:
        self.beat("Kernels and heads")
        b = self.b
        title = style.note("Multi-head attention works like the kernels of a CNN", size=style.TITLE_SIZE)
        conv = self.label("a conv layer: {K} kernels → {K} feature maps", size=style.LABEL_SIZE, color=CONV,
                          K=b.dim("maps", 0))
        attn = self.label("an attention layer: {H} heads → {H} head outputs", size=style.LABEL_SIZE, color=ATTN,
                          H=b.dim("head_out", 1))
        VGroup(title, conv, attn).arrange(DOWN, buff=0.45)
        self.say("A conv layer: several kernels, one feature map each. Multi-head attention: several heads, "
                 "one output each.")
        self.play(Write(title), run_time=1.0)
        self.play(FadeIn(conv, shift=UP * 0.2), FadeIn(attn, shift=UP * 0.2), run_time=0.8)
        self.hold_caption()
        self.play(FadeOut(title), FadeOut(conv), FadeOut(attn), run_time=0.4)

    # -- beat 2 ---------------------------------------------------------------------------------
    def conv_stage(self) -> SimpleNamespace:
        """Lay out the image, one row per kernel (kernel → map) and the F.conv2d check."""
        b = self.b
        s = SimpleNamespace()
        s.image = self.matrix("image", cell=(0.5, 0.42), color=CONV)
        s.kernels = [self.matrix("kernels", (c,), cell=(0.64, 0.42)) for c in range(self.K)]
        s.maps = [self.matrix("maps", (c,), cell=(0.68, 0.42), color=style.head_color(c)) for c in range(self.K)]
        s.names = [self.kernel_name(c).next_to(s.kernels[c], UP, buff=0.1) for c in range(self.K)]
        s.arrows = [arrow() for _ in range(self.K)]
        rows = VGroup(*(VGroup(VGroup(s.kernels[c], s.names[c]), s.arrows[c], s.maps[c]).arrange(RIGHT, buff=0.35)
                        for c in range(self.K))).arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        s.image_label = self.label("image: {n} × {n}", n=b.dim("image", 0))
        stage = VGroup(VGroup(s.image_label, s.image).arrange(DOWN, buff=0.2), rows).arrange(RIGHT, buff=1.0)
        s.check = self.label("max |maps − `F.conv2d(image, kernels)`| = {d}", d=b.value("conv_max_diff", (), 2, "g"))
        self.centre(VGroup(stage, s.check).arrange(DOWN, buff=0.3))
        s.feeds = [Line(s.image.get_right() + RIGHT * 0.1, row[0].get_left() + LEFT * 0.1, color=style.MUTED,
                        stroke_width=1.5).set_opacity(0.6) for row in rows]
        return s

    def conv(self) -> None:
        self.beat("Kernels make feature maps")
        b, s = self.b, self.conv_stage()
        self.say("A {n} by {n} image of zeros and ones, and a vertical-edge kernel.", n=b.dim("image", 0))
        self.play(FadeIn(s.image), FadeIn(s.image_label), Create(s.feeds[0]), FadeIn(s.kernels[0]), FadeIn(s.names[0]),
                  FadeIn(s.arrows[0]), Create(s.maps[0].brackets), run_time=1.0)
        self.slide_first_kernel(s)
        self.say("Every other kernel gives its own map: {K} kernels, {K} maps.",
                 K=b.dim("maps", 0))
        for c in range(1, self.K):
            self.play(Create(s.feeds[c]), FadeIn(s.kernels[c]), FadeIn(s.names[c]), FadeIn(s.arrows[c]),
                      FadeIn(s.maps[c]), run_time=0.9)
        self.say("F.conv2d agrees: the largest difference is {d}.", d=b.value("conv_max_diff", (), 2, "g"))
        self.play(FadeIn(s.check, shift=UP * 0.2), run_time=0.6)
        self.clear_stage()

    def slide_first_kernel(self, s: SimpleNamespace) -> None:
        """Compute two entries of the first map from their windows, then show the rest."""
        b, image, fmap = self.b, s.image, s.maps[0]
        k, color = self.size("kernels", 1), style.head_color(0)
        win = image.box(rows=(0, k), cols=(0, k), color=color)
        kbox = s.kernels[0].box(color=color)
        out = fmap.box(rows=(0, 1), cols=(0, 1), color=color)
        self.say("Window times kernel, entry by entry, then summed: one map entry, {v}.",
                 v=b.value("maps", (0, 0, 0), 0))
        self.play(Create(win), Create(kbox), Create(out), run_time=0.6)
        for j in (0, 1):
            if j:
                self.say("Slide the same kernel step by step to fill the {m} by {m} map.",
                         m=b.dim("maps", 1))
                self.play(win.animate.move_to(image.box(rows=(0, k), cols=(j, j + k))),
                          out.animate.move_to(fmap.box(rows=(0, 1), cols=(j, j + 1))), run_time=0.5)
            window = VGroup(*(image.entry(r, c + j) for r in range(k) for c in range(k)))
            self.play(FadeOut(window.copy(), target_position=fmap.entry(0, j), scale=0.3), FadeIn(fmap.entry(0, j)),
                      run_time=0.8)
        rest = [fmap.entry(r, c) for r in range(fmap.n_rows) for c in range(fmap.n_cols) if (r, c) > (0, 1)]
        self.play(LaggedStart(*(FadeIn(m) for m in rest), lag_ratio=0.08), FadeOut(win), FadeOut(kbox), FadeOut(out),
                  run_time=1.4)

    # -- beat 3 ---------------------------------------------------------------------------------
    def attention_stage(self) -> SimpleNamespace:
        """Lay out X, one row per head (weights heatmap, row sums → head output) and the nn check."""
        b = self.b
        s = SimpleNamespace(heats=[], sums=[], outs=[], names=[], arrows=[])
        L, row_h = self.size("X", 1), 0.33
        s.X = self.matrix("X", (0,), cell=(0.72, 0.4), color=style.ROLE["E"])
        s.X_label = self.label("tokens $X$: {L} × {D}", L=b.dim("X", 1), D=b.dim("X", 2))
        s.formula = style.note('$"softmax"(Q_h K_h^T \\/ sqrt(d)) V_h$', color=style.MUTED)
        row_list = []
        for h in range(self.H):
            s.heats.append(self.heat(f"weights_{h}", "weight_scale", height=L * row_h))
            s.sums.append(self.matrix("row_sums", (0, h), cell=(0.62, row_h), color=style.MUTED, size=20, decimals=2))
            s.outs.append(self.matrix("head_out", (0, h), cell=(0.72, row_h), color=style.head_color(h), size=20))
            s.names.append(self.head_label(h))
            s.arrows.append(arrow(0.4))
            row_list.append(Group(s.names[h], s.heats[h], s.sums[h], s.arrows[h], s.outs[h]).arrange(RIGHT, buff=0.3))
        rows = Group(*row_list).arrange(DOWN, buff=0.3, aligned_edge=RIGHT)
        s.titles = VGroup(*(self.label(t).next_to(col, UP, buff=0.15) for t, col in
                            (("weights", s.heats[0]), ("row sums", s.sums[0]), ("head outputs", s.outs[0]))))
        s.check = self.label("max |head outputs, weights − `nn.MultiheadAttention`| = {d}",
                             d=b.value("mha_max_diff", (), 2, "g"))
        left = Group(VGroup(s.X_label, s.X).arrange(DOWN, buff=0.2), s.formula).arrange(DOWN, buff=0.5)
        stage = Group(left, Group(s.titles, rows)).arrange(RIGHT, buff=0.8)
        self.centre(Group(stage, s.check).arrange(DOWN, buff=0.35))
        return s

    def attention(self) -> None:
        self.beat("Heads make head outputs")
        b, s = self.b, self.attention_stage()
        self.say("{L} tokens, D = {D}. Each of {H} heads owns d = {d} columns of W^q, W^k, W^v.",
                 L=b.dim("X", 1), D=b.dim("X", 2), H=b.dim("head_out", 1), d=b.dim("head_out", 3))
        self.play(FadeIn(s.X), FadeIn(s.X_label), FadeIn(s.formula), FadeIn(s.titles), run_time=0.9)
        self.say("Each head: a {L} by {L} weight heatmap, rows summing to {s}, mixing values into its output.",
                 L=b.dim("weights", 2), s=b.value("row_sums", (0, 0, 0, 0)))
        for h in range(self.H):
            self.play(FadeIn(s.names[h]), FadeIn(s.heats[h]), FadeIn(s.sums[h]), FadeIn(s.arrows[h]),
                      FadeIn(s.outs[h].entries, shift=RIGHT * 0.2), Create(s.outs[h].brackets), run_time=1.0)
        self.say("nn.MultiheadAttention with the same weights agrees to {d}.", d=b.value("mha_max_diff", (), 2, "g"))
        self.play(FadeIn(s.check, shift=UP * 0.2), run_time=0.6)
        self.clear_stage()

    # -- beat 4 ---------------------------------------------------------------------------------
    def window_side(self) -> tuple[Group, VGroup, Mobject]:
        """Return image → first map heatmaps, the window and output boxes, and the count line."""
        b = self.b
        n, m, k = self.size("image", 0), self.size("maps", 1), self.size("kernels", 1)
        img, fmap = self.heat("image", "one", 2.8), self.heat("map_0", "map_scale", 2.8 * m / n)
        pics = Group(img, arrow(0.4), fmap).arrange(RIGHT, buff=0.35).move_to([LEFT_X, 0.7, 0])
        boxes = VGroup(cells_box(img[0], (n, n), (0, k), (0, k), style.head_color(0)),
                       cells_box(fmap[0], (m, m), (0, 1), (0, 1), style.head_color(0)))
        text = self.label("one output reads {k} × {k} = {w} of {N} pixels", size=style.LABEL_SIZE, color=style.TEXT,
                          k=b.dim("kernels", 1), w=b.value("conv_reach", (0,), 0), N=b.value("image_pixels", (), 0))
        return pics, boxes, self.side_text(text, LEFT_X, -1.75)

    def row_side(self) -> tuple[Group, Rectangle, VGroup, VMobject]:
        """Return head 1's weights heatmap with its name, the first row's box, its numbers and the count line."""
        b, L = self.b, self.size("X", 1)
        wmap = self.heat("weights_0", "weight_scale", 2.8).move_to([RIGHT_X, 0.7, 0])
        pic = Group(wmap, self.head_label(0).next_to(wmap, UP, buff=0.12))
        row = cells_box(wmap[0], (L, L), (0, 1), (0, L), style.head_color(0))
        nums = VGroup(*(self.num(b.value("weights", (0, 0, 0, j), 2, "g"), 24, style.head_color(0))
                        for j in range(L))).arrange(RIGHT, buff=0.35)
        style.fit(nums, width=HALF).next_to(wmap, DOWN, buff=0.3)
        text = self.label("query {i} gives weight to {r} of {L} tokens", size=style.LABEL_SIZE, color=style.TEXT,
                          i=b.index("weights", 2, 0), r=b.value("attn_reach", (0,), 0), L=b.dim("X", 1))
        return pic, row, nums, self.side_text(text, RIGHT_X, -1.75)

    def local_global(self) -> None:
        self.beat("Local and global")
        b = self.b
        pics, boxes, conv_text = self.window_side()
        wmap, row, nums, attn_text = self.row_side()
        self.say("Local: one map entry reads a {k} by {k} window, {w} of the {N} pixels.", k=b.dim("kernels", 1),
                 w=b.value("conv_reach", (0,), 0),
                 N=b.value("image_pixels", (), 0))
        self.play(FadeIn(self.side_titles()), FadeIn(pics), FadeIn(wmap), run_time=0.8)
        self.play(Create(boxes), FadeIn(conv_text), run_time=0.8)
        self.say("Global: the weights of query {i} reach all {L} tokens, near or far.", i=b.index("weights", 2, 0),
                 L=b.dim("X", 1))
        self.play(Create(row), FadeIn(nums, shift=DOWN * 0.1), FadeIn(attn_text), run_time=0.9)
        self.clear_stage()

    # -- beat 5 ---------------------------------------------------------------------------------
    def kernel_side(self) -> SimpleNamespace:
        """Lay out kernel, image and map with the window, output and kernel boxes."""
        b, s = self.b, SimpleNamespace()
        n, m, k = self.size("image", 0), self.size("maps", 1), self.size("kernels", 1)
        kernel = self.matrix("kernels", (0,), cell=(0.56, 0.42))
        s.img, s.fmap = self.heat("image", "one", 2.2), self.heat("map_0", "map_scale", 2.2 * m / n)
        pics = Group(kernel, s.img, s.fmap).arrange(RIGHT, buff=0.4).move_to([LEFT_X, 0.5, 0])
        tags = VGroup(*(style.note(t, color=style.MUTED).next_to(mob, UP, buff=0.12)
                        for t, mob in (("kernel", kernel), ("image", s.img), ("map", s.fmap))))
        s.shown = Group(pics, tags)
        s.win = cells_box(s.img[0], (n, n), (0, k), (0, k), style.head_color(0))
        s.pix = cells_box(s.fmap[0], (m, m), (0, 1), (0, 1), style.head_color(0))
        s.kbox = kernel.box(color=style.head_color(0))
        s.value = self.num(b.value("maps", (0, 0, 0), 0), 26, style.head_color(0)).next_to(s.fmap, DOWN, buff=0.3)
        s.tag = style.note("output", color=style.MUTED).next_to(s.value, LEFT, buff=0.15)
        VGroup(s.tag, s.value).shift(RIGHT * s.tag.width / 2)
        s.text = self.side_text(self.label("the same {w} weights at all {P} positions", size=style.LABEL_SIZE,
                                           color=style.TEXT, w=b.value("kernel_numel", (), 0),
                                           P=b.value("map_positions", (), 0)), LEFT_X, -2.0)
        s.spots = [(m // 2, m - 1), (m - 1, 0)]
        return s

    def projection_side(self) -> SimpleNamespace:
        """Lay out X × W^q = Q heatmaps with a token row box on X and Q and a box on W^q."""
        b, s = self.b, SimpleNamespace()
        L, D = self.size("X", 1), self.size("X", 2)
        s.X, W, s.Q = (self.heat(name, "seq_scale", 0.27 * rows) for name, rows in (("X_0", L), ("W_q", D), ("Q_0", L)))
        pics = Group(s.X, style.note("$times$"), W, style.note("$=$"), s.Q).arrange(RIGHT, buff=0.25)
        pics.move_to([RIGHT_X, 0.5, 0])
        names = VGroup(*(style.note(f"${t}$", color=style.MUTED).next_to(mob, UP, buff=0.12)
                         for t, mob in (("X", s.X), ("W^q", W), ("Q", s.Q))))
        s.shown = Group(pics, names)
        s.xrow = cells_box(s.X[0], (L, D), (0, 1), (0, D), style.head_color(1))
        s.qrow = cells_box(s.Q[0], (L, D), (0, 1), (0, D), style.head_color(1))
        s.wbox = SurroundingRectangle(W, buff=0.04, color=style.head_color(1), stroke_width=3)
        s.text = self.side_text(self.label("the same $W^q$ ({D} × {D} = {w} weights) for all {L} tokens",
                                           size=style.LABEL_SIZE, color=style.TEXT, D=b.dim("W_q", 0),
                                           w=b.value("w_numel", (), 0), L=b.dim("X", 1)), RIGHT_X, -2.0)
        s.tokens = [L // 2, L - 1]
        return s

    def sharing(self) -> None:
        self.beat("Weight sharing")
        b = self.b
        c, a = self.kernel_side(), self.projection_side()
        n, m, k = self.size("image", 0), self.size("maps", 1), self.size("kernels", 1)
        L, D = self.size("X", 1), self.size("X", 2)
        self.say("Weight sharing: the same {w} kernel weights at all {P} positions.", w=b.value("kernel_numel", (), 0),
                 P=b.value("map_positions", (), 0))
        self.play(FadeIn(self.side_titles()), FadeIn(c.shown), FadeIn(a.shown), run_time=0.8)
        self.play(Create(c.win), Create(c.pix), Create(c.kbox), FadeIn(c.value), FadeIn(c.tag), Create(a.xrow),
                  Create(a.qrow), Create(a.wbox), FadeIn(c.text), run_time=0.8)
        self.say("Likewise one W^q makes the query of each of the {L} tokens.", L=b.dim("X", 1))
        for (r, col), t in zip(c.spots, a.tokens):
            new = self.num(b.value("maps", (0, r, col), 0), 26, style.head_color(0)).move_to(c.value)
            self.play(c.win.animate.move_to(cells_box(c.img[0], (n, n), (r, r + k), (col, col + k), style.TEXT)),
                      c.pix.animate.move_to(cells_box(c.fmap[0], (m, m), (r, r + 1), (col, col + 1), style.TEXT)),
                      a.xrow.animate.move_to(cells_box(a.X[0], (L, D), (t, t + 1), (0, D), style.TEXT)),
                      a.qrow.animate.move_to(cells_box(a.Q[0], (L, D), (t, t + 1), (0, D), style.TEXT)),
                      FadeOut(c.value), FadeIn(new), run_time=0.8)
            c.value = new
        self.play(FadeIn(a.text), run_time=0.5)
        self.clear_stage()

    # -- beat 6 ---------------------------------------------------------------------------------
    def maps_side(self) -> tuple[Group, Mobject]:
        """Return the feature maps as heatmaps with their kernel names, and the count line."""
        maps = [self.heat(f"map_{c}", "map_scale", 1.8) for c in range(self.K)]
        pics = Group(*(Group(mp, self.kernel_name(c).next_to(mp, DOWN, buff=0.15)) for c, mp in enumerate(maps)))
        style.fit(pics.arrange(RIGHT, buff=0.3, aligned_edge=UP), width=HALF).move_to([LEFT_X, 0.9, 0])
        text = self.label("{K} kernels, {K} different maps of one image", size=style.LABEL_SIZE, color=style.TEXT,
                          K=self.b.dim("maps", 0))
        return pics, self.side_text(text, LEFT_X, -1.9)

    def patterns_side(self, top: float) -> tuple[Mobject, Mobject, Mobject]:
        """Return every head's weights with its most-weighted tokens, the note under them and the count line."""
        b, L = self.b, self.size("X", 1)
        heads = []
        for h in range(self.H):
            w = self.heat(f"weights_{h}", "weight_scale", 1.8)
            focus = VGroup(*(self.num(b.value("focus", (0, h, i), 0), 24, style.head_color(h)) for i in range(L)))
            heads.append(Group(self.head_label(h).next_to(w, UP, buff=0.1), w,
                               focus.arrange(RIGHT, buff=0.2).next_to(w, DOWN, buff=0.18)))
        pics = style.fit(Group(*heads).arrange(RIGHT, buff=0.3, aligned_edge=UP), width=HALF)
        pics.move_to([RIGHT_X, 0, 0]).shift(UP * (top - pics.get_top()[1]))
        note = style.fit(style.note("under each head: the token each query weights most", color=style.MUTED),
                         width=HALF).next_to(pics, DOWN, buff=0.35)
        text = self.label("{H} heads, {H} weightings of one sequence", size=style.LABEL_SIZE, color=style.TEXT,
                          H=b.dim("weights", 1))
        return pics, note, self.side_text(text, RIGHT_X, -1.9)

    def views(self) -> None:
        self.beat("Several views of one input")
        maps, conv_text = self.maps_side()
        heads, note, attn_text = self.patterns_side(maps.get_top()[1] + 0.35)
        self.say("Several views: each kernel finds something else in the same image.")
        self.play(FadeIn(self.side_titles()), LaggedStart(*(FadeIn(g) for g in maps), lag_ratio=0.3),
                  FadeIn(conv_text), run_time=1.2)
        self.say("Each head weights the same tokens its own way: the most-weighted token differs.")
        self.play(LaggedStart(*(FadeIn(g) for g in heads), lag_ratio=0.3), FadeIn(note), FadeIn(attn_text),
                  run_time=1.2)
        self.clear_stage()

    # -- beat 7 ---------------------------------------------------------------------------------
    def fields_side(self) -> SimpleNamespace:
        """Return the receptive fields of one and two conv layers, the shape chain and a note."""
        b, s = self.b, SimpleNamespace()
        s.f1, s.f2 = self.heat("field1", "one", 2.3), self.heat("field2", "one", 2.3)
        s.l1, s.l2 = (self.label("layer {j} reads {a} pixels", j=b.index("conv_reach", 0, j),
                                 a=b.value("conv_reach", (j,), 0)) for j in (0, 1))
        Group(Group(s.f1, s.l1).arrange(DOWN, buff=0.15), Group(s.f2, s.l2).arrange(DOWN, buff=0.15)).arrange(
            RIGHT, buff=0.6).move_to([LEFT_X, 0.9, 0])
        chain = self.label("({n}, {n}) → ({K}, {m}, {m}) → ({K2}, {p}, {p})", size=style.LABEL_SIZE, color=style.TEXT,
                           n=b.dim("image", 0), K=b.dim("maps", 0), m=b.dim("maps", 1), K2=b.dim("maps2", 0),
                           p=b.dim("maps2", 1))
        s.chain = self.side_text(chain, LEFT_X, -1.4)
        s.note = self.side_text(style.note("each layer widens the view: edges, then shapes", color=style.MUTED),
                                LEFT_X, -2.0)
        return s

    def layers_side(self) -> SimpleNamespace:
        """Return X, layer 1 and layer 2 outputs as heatmaps with their shapes, the reach line and a note."""
        b, s, L = self.b, SimpleNamespace(), self.size("X", 1)
        tags = [style.note("$X$")] + [self.label("layer {j}", j=b.index("attn_reach", 0, j)) for j in (0, 1)]
        s.seqs = Group(*(Group(tag.set_color(style.MUTED), self.heat(name, "seq_scale", 0.3 * L)).arrange(DOWN, buff=0.1)
                         for name, tag in zip(("X_0", "Y1_0", "Y2_0"), tags)))
        s.seqs.arrange(RIGHT, buff=0.4, aligned_edge=DOWN).move_to([RIGHT_X, 0.9, 0])
        s.shapes = VGroup(*(self.label("({L}, {D})", L=b.dim(t, 1), D=b.dim(t, 2)).next_to(g, DOWN, buff=0.15)
                            for t, g in zip(("X", "Y1", "Y2"), s.seqs)))
        reach = self.label("query {i} reads {a} of {L} tokens after layer {j}, {c} after layer {k}", color=style.TEXT,
                           i=b.index("weights", 2, 0), a=b.value("attn_reach", (0,), 0), c=b.value("attn_reach", (1,), 0),
                           L=b.dim("X", 1), j=b.index("attn_reach", 0, 0), k=b.index("attn_reach", 0, 1))
        s.reach = self.side_text(reach, RIGHT_X, -1.4)
        s.note = self.side_text(style.note("same shape in and out: layers stack", color=style.MUTED), RIGHT_X, -2.0)
        return s

    def stacking(self) -> None:
        self.beat("Stacking layers")
        b, c, a = self.b, self.fields_side(), self.layers_side()
        self.say("Stacking: after two conv layers one output reads {a} pixels, not {w}.", a=b.value("conv_reach", (1,), 0),
                 w=b.value("conv_reach", (0,), 0))
        self.play(FadeIn(self.side_titles()), FadeIn(c.f1), FadeIn(c.l1), run_time=0.7)
        self.play(TransformFromCopy(c.f1, c.f2), FadeIn(c.l2), FadeIn(c.chain), FadeIn(c.note), run_time=1.0)
        self.say("Attention keeps the shape ({L}, {D}), so layers stack; each already reads all {L} tokens.",
                 L=b.dim("X", 1), D=b.dim("X", 2))
        self.play(LaggedStart(*(FadeIn(g) for g in a.seqs), lag_ratio=0.3), FadeIn(a.shapes), FadeIn(a.reach),
                  FadeIn(a.note), run_time=1.2)
        self.clear_stage()

    # -- beat 8 ---------------------------------------------------------------------------------
    def options_table(self, name: str, color: str, words: tuple[str, ...], ours: int, x: float) -> VGroup:
        """Return a table of layer choices with column headers and a box on the row this lecture used."""
        table = self.matrix(name, cell=(1.1, 0.5), color=color, size=24).move_to([x, 0.3, 0])
        table.to_edge(UP, buff=2.3)
        top = table.slot(0, 0, 0, 1)[0][1]
        headers = VGroup(*(style.note(word, color=style.MUTED).move_to(
            [table.entry(0, j).get_right()[0], top + 0.32, 0], aligned_edge=RIGHT) for j, word in enumerate(words)))
        return VGroup(table, headers, table.box(rows=(ours, ours + 1), color=style.head_color(0)))

    def sizes(self) -> None:
        self.beat("Choosing how many and how big")
        b = self.b
        heads = [int(h) for h in b.tensors["head_options"][:, 0]]
        conv = self.options_table("conv_options", CONV, ("kernels", "side", "weights", "map side"), 0, LEFT_X)
        attn = self.options_table("head_options", ATTN, ("heads", "size $d$", "weights", "output"),
                                  heads.index(self.H), RIGHT_X)
        conv_note = self.side_text(style.note("more or bigger kernels: more weights", size=style.LABEL_SIZE), LEFT_X, -1.8)
        attn_note = self.side_text(style.note("more heads: same weights, smaller heads", size=style.LABEL_SIZE),
                                   RIGHT_X, -1.8)
        boxed = style.note("boxed: the layers shown in this lecture", color=style.MUTED).move_to([0, -3.2, 0])
        self.say("Sizes: more kernels, more maps and weights; a bigger kernel, like stride or pooling, shrinks the map.")
        self.play(FadeIn(self.side_titles()), FadeIn(conv[:2]), Create(conv[2]), FadeIn(conv_note), FadeIn(boxed),
                  run_time=1.0)
        self.say("With attention, D = {D} fixes the weights at {w}; more heads just shrink each head.",
                 D=b.dim("X", 2), w=b.value("head_options", (0, 2), 0))
        self.play(FadeIn(attn[:2]), Create(attn[2]), FadeIn(attn_note), run_time=1.0)
        self.clear_stage()

    # -- beat 9 ---------------------------------------------------------------------------------
    def recap(self) -> None:
        self.beat("Recap")
        lines = VGroup(
            style.note("• *Local and global*: a kernel reads a window; a head weights the whole sequence."),
            style.note("• *Weight sharing*: one kernel at every pixel; one $W^q$ at every token."),
            style.note("• *Several views*: one feature map per kernel; one output per head."),
            style.note("• *Stacking*: conv layers widen the view; attention layers keep the shape."),
            style.note("• *Sizes*: more kernels add weights; more heads split a fixed $D$."),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        style.fit(lines)
        self.say("Several filters, shared weights, one output each, stacked, sized by design.")
        self.reveal_lines(lines, lag_ratio=0.4, run_time=2.0)
