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
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import pixel_box

CONV = style.ROLE["E"]  # the convolution side
ATTN = style.ROLE["Q"]  # the attention side
# The side-by-side beats: a title, the pictures, a line under them, a note, a foot; each row cut in two halves.
TITLE, PICTURE, LINE, NOTE, FOOT = style.STAGE.rows(0.4, 3.8, 0.5, 0.5, 0.6)


def halves(row: style.Region) -> list[style.Region]:
    """Return the convolution (left) and attention (right) halves of a row of the stage."""
    return row.columns(1, 1, gap=0.4)


def arrow(length: float = 0.5) -> Arrow:
    """Return a short grey arrow pointing right."""
    return Arrow(LEFT, RIGHT, buff=0, color=style.MUTED, stroke_width=3).scale(length)


class KernelsLecture(LectureScene):
    """Multi-head attention next to a conv layer: same input, several filters, several outputs."""

    beats = ("intro", "conv", "attention", "local_global", "sharing", "views", "stacking", "sizes", "recap")
    question = "Multi-head attention works like the kernels of a CNN"
    question_caption = ("A conv layer: several kernels, one feature map each. Multi-head attention: several heads, "
                        "one output each.")
    recap_lines = (
        "*Local and global*: a kernel reads a window; a head weights the whole sequence.",
        "*Weight sharing*: one kernel at every pixel; one $W^q$ at every token.",
        "*Several views*: one feature map per kernel; one output per head.",
        "*Stacking*: conv layers widen the view; attention layers keep the shape.",
        "*Sizes*: more kernels add weights; more heads split a fixed $D$.",
    )
    recap_caption = "Several filters, shared weights, one output each, stacked, sized by design."

    # -- helpers ------------------------------------------------------------------------------
    def size(self, name: str, d: int) -> int:
        """Return one dimension of a tensor (for layout only)."""
        return int(self.b.tensors[name].shape[d])

    def decimals(self, name: str, prefix: tuple[int, ...] = ()) -> int:
        """Return 0 when every entry of tensor[name][prefix] is a whole number, else 2."""
        t = self.b.tensors[name][prefix]
        return 0 if bool((t == t.round()).all()) else 2

    def heat(self, name: str, scale: str, height: float) -> Group:
        """Return a heatmap with a thin frame, as a Group (heat, frame)."""
        img = self.b.heatmap(name, scale, height)
        frame = SurroundingRectangle(img, buff=0.02, color=style.MUTED, stroke_width=1.5)
        return Group(img, frame)

    def head_label(self, h: int) -> Mobject:
        """Return 'head h' (one-based) in the head's colour."""
        return self.prose("head {h}", color=style.head_color(h), h=self.b.index("weights", 1, h))

    def kernel_name(self, c: int) -> Mobject:
        """Return the name of kernel c in its colour."""
        return self.prose("{s}", style.NOTE_SIZE - 2, style.head_color(c), s=self.b.string(f"kernel_name_{c}"))

    def side_titles(self) -> VGroup:
        """Return the 'Convolution' and 'Attention' column titles of the side-by-side beats, and a divider."""
        left, right = halves(TITLE)
        titles = VGroup(left.place(style.note("*Convolution*", size=style.LABEL_SIZE, color=CONV)),
                        right.place(style.note("*Attention*", size=style.LABEL_SIZE, color=ATTN)))
        x = style.STAGE.centre[0]
        divider = Line([x, TITLE.top, 0], [x, NOTE.bottom, 0], color=style.MUTED, stroke_width=1.5).set_opacity(0.5)
        return VGroup(titles, divider)

    # -- beat 1 ---------------------------------------------------------------------------------
    def intro(self) -> None:
        b = self.b
        conv = self.prose("a conv layer: {K} kernels → {K} feature maps", style.LABEL_SIZE, CONV, K=b.dim("maps", 0))
        attn = self.prose("an attention layer: {H} heads → {H} head outputs", style.LABEL_SIZE, ATTN,
                          H=b.dim("head_out", 1))
        self.ask(self.question_caption, self.question, conv, attn, chapter="Kernels and heads")

    # -- beat 2 ---------------------------------------------------------------------------------

    def conv_stage(self) -> SimpleNamespace:
        """Lay out the image, one row per kernel (kernel → map) and the F.conv2d check."""
        b = self.b
        s = SimpleNamespace()
        K = self.size("maps", 0)
        s.image = self.matrix("image", color=CONV, decimals=0, cell=(0.5, 0.42))
        s.kernels = [self.matrix("kernels", (c,), decimals=self.decimals("kernels", (c,)), cell=(0.64, 0.42))
                     for c in range(K)]
        s.maps = [self.matrix("maps", (c,), color=style.head_color(c), decimals=self.decimals("maps", (c,)),
                              cell=(0.68, 0.42)) for c in range(K)]
        s.names = [self.kernel_name(c).next_to(s.kernels[c], UP, buff=0.1) for c in range(K)]
        s.arrows = [arrow() for _ in range(K)]
        rows = VGroup(*(VGroup(VGroup(s.kernels[c], s.names[c]), s.arrows[c], s.maps[c]).arrange(RIGHT, buff=0.35)
                        for c in range(K))).arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        s.image_label = self.prose("image: {n} × {n}", color=style.MUTED, n=b.dim("image", 0))
        stage = VGroup(VGroup(s.image_label, s.image).arrange(DOWN, buff=0.2), rows).arrange(RIGHT, buff=1.0)
        s.check = self.prose("max |maps − `F.conv2d(image, kernels)`| = {d}", color=style.MUTED,
                             d=b.value("conv_max_diff", (), 2, "g"))
        style.STAGE.place(VGroup(stage, s.check).arrange(DOWN, buff=0.3))
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
        for c in range(1, len(s.maps)):
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
                self.play(Transform(win, image.box(rows=(0, k), cols=(j, j + k), color=color)),
                          Transform(out, fmap.box(rows=(0, 1), cols=(j, j + 1), color=color)), run_time=0.5)
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
        s.X = self.matrix("X", (0,), color=style.ROLE["E"], cell=(0.72, 0.4))
        s.X_label = self.prose("tokens $X$: {L} × {D}", color=style.MUTED, L=b.dim("X", 1), D=b.dim("X", 2))
        s.formula = style.note('$"softmax"(Q_h K_h^T \\/ sqrt(d)) V_h$', color=style.MUTED)
        row_list = []
        for h in range(self.size("weights", 1)):
            s.heats.append(self.heat(f"weights_{h}", "weight_scale", height=L * row_h))
            s.sums.append(self.matrix("row_sums", (0, h), color=style.MUTED, size=20, cell=(0.62, row_h)))
            s.outs.append(self.matrix("head_out", (0, h), color=style.head_color(h), size=20, cell=(0.72, row_h)))
            s.names.append(self.head_label(h))
            s.arrows.append(arrow(0.4))
            row_list.append(Group(s.names[h], s.heats[h], s.sums[h], s.arrows[h], s.outs[h]).arrange(RIGHT, buff=0.3))
        rows = Group(*row_list).arrange(DOWN, buff=0.3, aligned_edge=RIGHT)
        s.titles = VGroup(*(self.prose(t, color=style.MUTED).next_to(col, UP, buff=0.15) for t, col in
                            (("weights", s.heats[0]), ("row sums", s.sums[0]), ("head outputs", s.outs[0]))))
        s.check = self.prose("max |head outputs, weights − `nn.MultiheadAttention`| = {d}", color=style.MUTED,
                             d=b.value("mha_max_diff", (), 2, "g"))
        left = Group(VGroup(s.X_label, s.X).arrange(DOWN, buff=0.2), s.formula).arrange(DOWN, buff=0.5)
        stage = Group(left, Group(s.titles, rows)).arrange(RIGHT, buff=0.8)
        style.STAGE.place(Group(stage, s.check).arrange(DOWN, buff=0.35))
        return s

    def attention(self) -> None:
        self.beat("Heads make head outputs")
        b, s = self.b, self.attention_stage()
        self.say("{L} tokens, D = {D}. Each of {H} heads owns d = {d} columns of W^q, W^k, W^v.",
                 L=b.dim("X", 1), D=b.dim("X", 2), H=b.dim("head_out", 1), d=b.dim("head_out", 3))
        self.play(FadeIn(s.X), FadeIn(s.X_label), FadeIn(s.formula), FadeIn(s.titles), run_time=0.9)
        self.say("Each head: a {L} by {L} weight heatmap, rows summing to {s}, mixing values into its output.",
                 L=b.dim("weights", 2), s=b.value("row_sums", (0, 0, 0, 0)))
        for h in range(len(s.outs)):
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
        pics = halves(PICTURE)[0].place(Group(img, arrow(0.4), fmap).arrange(RIGHT, buff=0.35))
        boxes = VGroup(pixel_box(img[0], (n, n), (0, k), (0, k), style.head_color(0)),
                       pixel_box(fmap[0], (m, m), (0, 1), (0, 1), style.head_color(0)))
        text = self.prose("one output reads {k} × {k} = {w} of {N} pixels", style.LABEL_SIZE, k=b.dim("kernels", 1),
                          w=b.value("conv_reach", (0,), 0), N=b.value("image_pixels", (), 0))
        return pics, boxes, halves(LINE)[0].place(text)

    def row_side(self) -> tuple[Group, Mobject, VGroup, Mobject]:
        """Return head 1's weights heatmap with its name, the first row's box, its numbers and the count line."""
        b, L = self.b, self.size("X", 1)
        wmap = halves(PICTURE)[1].place(self.heat("weights_0", "weight_scale", 2.8))
        pic = Group(wmap, self.head_label(0).next_to(wmap, UP, buff=0.12))
        row = pixel_box(wmap[0], (L, L), (0, 1), (0, L), style.head_color(0))
        nums = VGroup(*(b.number(b.value("weights", (0, 0, 0, j), 2, "g"), 24, color=style.head_color(0))
                        for j in range(L))).arrange(RIGHT, buff=0.35)
        style.fit(nums, width=halves(PICTURE)[1].width).next_to(wmap, DOWN, buff=0.3)
        text = self.prose("query {i} gives weight to {r} of {L} tokens", style.LABEL_SIZE, i=b.index("weights", 2, 0),
                          r=b.value("attn_reach", (0,), 0), L=b.dim("X", 1))
        return pic, row, nums, halves(LINE)[1].place(text)

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
        kernel = self.matrix("kernels", (0,), decimals=self.decimals("kernels", (0,)), cell=(0.56, 0.42))
        s.img, s.fmap = self.heat("image", "one", 2.2), self.heat("map_0", "map_scale", 2.2 * m / n)
        pics = halves(PICTURE)[0].place(Group(kernel, s.img, s.fmap).arrange(RIGHT, buff=0.4))
        tags = VGroup(*(style.note(t, color=style.MUTED).next_to(mob, UP, buff=0.12)
                        for t, mob in (("kernel", kernel), ("image", s.img), ("map", s.fmap))))
        s.shown = Group(pics, tags)
        s.win = pixel_box(s.img[0], (n, n), (0, k), (0, k), style.head_color(0))
        s.pix = pixel_box(s.fmap[0], (m, m), (0, 1), (0, 1), style.head_color(0))
        s.kbox = kernel.box(color=style.head_color(0))
        s.value = b.number(b.value("maps", (0, 0, 0), 0), 26, color=style.head_color(0)).next_to(s.fmap, DOWN, buff=0.3)
        s.tag = style.note("output", color=style.MUTED).next_to(s.value, LEFT, buff=0.15)
        VGroup(s.tag, s.value).shift(RIGHT * s.tag.width / 2)
        s.text = halves(LINE)[0].place(self.prose("the same {w} weights at all {P} positions", style.LABEL_SIZE,
                                                  w=b.value("kernel_numel", (), 0), P=b.value("map_positions", (), 0)))
        s.spots = [(m // 2, m - 1), (m - 1, 0)]
        return s

    def projection_side(self) -> SimpleNamespace:
        """Lay out X × W^q = Q heatmaps with a token row box on X and Q and a box on W^q."""
        b, s = self.b, SimpleNamespace()
        L, D = self.size("X", 1), self.size("X", 2)
        s.X, W, s.Q = (self.heat(name, "seq_scale", 0.27 * rows) for name, rows in (("X_0", L), ("W_q", D), ("Q_0", L)))
        pics = Group(s.X, style.note("$times$"), W, style.note("$=$"), s.Q).arrange(RIGHT, buff=0.25)
        halves(PICTURE)[1].place(pics)
        names = VGroup(*(style.note(f"${t}$", color=style.MUTED).next_to(mob, UP, buff=0.12)
                         for t, mob in (("X", s.X), ("W^q", W), ("Q", s.Q))))
        s.shown = Group(pics, names)
        s.xrow = pixel_box(s.X[0], (L, D), (0, 1), (0, D), style.head_color(1))
        s.qrow = pixel_box(s.Q[0], (L, D), (0, 1), (0, D), style.head_color(1))
        s.wbox = SurroundingRectangle(W, buff=0.04, color=style.head_color(1), stroke_width=3)
        text = self.prose("the same $W^q$ ({D} × {D} = {w} weights) for all {L} tokens", style.LABEL_SIZE,
                          D=b.dim("W_q", 0), w=b.value("w_numel", (), 0), L=b.dim("X", 1))
        s.text = halves(LINE)[1].place(text)
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
            new = b.number(b.value("maps", (0, r, col), 0), 26, color=style.head_color(0)).move_to(c.value)
            self.play(c.win.animate.move_to(pixel_box(c.img[0], (n, n), (r, r + k), (col, col + k))),
                      c.pix.animate.move_to(pixel_box(c.fmap[0], (m, m), (r, r + 1), (col, col + 1))),
                      a.xrow.animate.move_to(pixel_box(a.X[0], (L, D), (t, t + 1), (0, D))),
                      a.qrow.animate.move_to(pixel_box(a.Q[0], (L, D), (t, t + 1), (0, D))),
                      FadeOut(c.value), FadeIn(new), run_time=0.8)
            c.value = new
        self.play(FadeIn(a.text), run_time=0.5)
        self.clear_stage()

    # -- beat 6 ---------------------------------------------------------------------------------
    def maps_side(self) -> tuple[Group, Mobject]:
        """Return the feature maps as heatmaps with their kernel names, and the count line."""
        maps = [self.heat(f"map_{c}", "map_scale", 1.8) for c in range(self.size("maps", 0))]
        pics = Group(*(Group(mp, self.kernel_name(c).next_to(mp, DOWN, buff=0.15)) for c, mp in enumerate(maps)))
        halves(PICTURE)[0].place(pics.arrange(RIGHT, buff=0.3, aligned_edge=UP))
        text = self.prose("{K} kernels, {K} different maps of one image", style.LABEL_SIZE, K=self.b.dim("maps", 0))
        return pics, halves(LINE)[0].place(text)

    def patterns_side(self, top: float) -> tuple[Mobject, Mobject, Mobject]:
        """Return every head's weights with its most-weighted tokens, the note under them and the count line."""
        b, L = self.b, self.size("X", 1)
        heads = []
        for h in range(self.size("weights", 1)):
            w = self.heat(f"weights_{h}", "weight_scale", 1.8)
            focus = VGroup(*(b.number(b.value("focus", (0, h, i), 0), 24, color=style.head_color(h)) for i in range(L)))
            heads.append(Group(self.head_label(h).next_to(w, UP, buff=0.1), w,
                               focus.arrange(RIGHT, buff=0.2).next_to(w, DOWN, buff=0.18)))
        right = halves(PICTURE)[1]
        pics = right.place(Group(*heads).arrange(RIGHT, buff=0.3, aligned_edge=UP))
        pics.shift(UP * (top - pics.get_top()[1]))  # heatmaps level with the maps on the left
        note = style.fit(style.note("under each head: the token each query weights most", color=style.MUTED),
                         width=right.width).next_to(pics, DOWN, buff=0.35)
        text = self.prose("{H} heads, {H} weightings of one sequence", style.LABEL_SIZE, H=b.dim("weights", 1))
        return pics, note, halves(LINE)[1].place(text)

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
        s.l1, s.l2 = (self.prose("layer {j} reads {a} pixels", color=style.MUTED, j=b.index("conv_reach", 0, j),
                                 a=b.value("conv_reach", (j,), 0)) for j in (0, 1))
        halves(PICTURE)[0].place(Group(Group(s.f1, s.l1).arrange(DOWN, buff=0.15),
                                       Group(s.f2, s.l2).arrange(DOWN, buff=0.15)).arrange(RIGHT, buff=0.6))
        chain = self.prose("({n}, {n}) → ({K}, {m}, {m}) → ({K2}, {p}, {p})", style.LABEL_SIZE, n=b.dim("image", 0),
                           K=b.dim("maps", 0), m=b.dim("maps", 1), K2=b.dim("maps2", 0), p=b.dim("maps2", 1))
        s.chain = halves(LINE)[0].place(chain)
        s.note = halves(NOTE)[0].place(style.note("each layer widens the view: edges, then shapes", color=style.MUTED))
        return s

    def layers_side(self) -> SimpleNamespace:
        """Return X, layer 1 and layer 2 outputs as heatmaps with their shapes, the reach line and a note."""
        b, s, L = self.b, SimpleNamespace(), self.size("X", 1)
        tags = [style.note("$X$", color=style.MUTED)] + [
            self.prose("layer {j}", color=style.MUTED, j=b.index("attn_reach", 0, j)) for j in (0, 1)]
        s.seqs = Group(*(Group(tag, self.heat(name, "seq_scale", 0.3 * L)).arrange(DOWN, buff=0.1)
                         for name, tag in zip(("X_0", "Y1_0", "Y2_0"), tags)))
        halves(PICTURE)[1].place(s.seqs.arrange(RIGHT, buff=0.4, aligned_edge=DOWN))
        s.shapes = VGroup(*(self.prose("({L}, {D})", color=style.MUTED, L=b.dim(t, 1), D=b.dim(t, 2))
                            .next_to(g, DOWN, buff=0.15) for t, g in zip(("X", "Y1", "Y2"), s.seqs)))
        reach = self.prose("query {i} reads {a} of {L} tokens after layer {j}, {c} after layer {k}",
                           i=b.index("weights", 2, 0), a=b.value("attn_reach", (0,), 0), c=b.value("attn_reach", (1,), 0),
                           L=b.dim("X", 1), j=b.index("attn_reach", 0, 0), k=b.index("attn_reach", 0, 1))
        s.reach = halves(LINE)[1].place(reach)
        s.note = halves(NOTE)[1].place(style.note("same shape in and out: layers stack", color=style.MUTED))
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
    def options_table(self, name: str, color: str, words: tuple[str, ...], ours: int, side: int) -> VGroup:
        """Return a table of layer choices with column headers and a box on the row this lecture used."""
        table = self.matrix(name, color=color, decimals=0, size=24, cell=(1.1, 0.5))
        top = table.slot(0, 0, 0, 1)[0][1]
        headers = VGroup(*(style.note(word, color=style.MUTED).move_to(table.entry(0, j), aligned_edge=RIGHT)
                           .set_y(top + 0.32) for j, word in enumerate(words)))
        box = table.box(rows=(ours, ours + 1), color=style.head_color(0))
        return halves(PICTURE)[side].place(VGroup(table, headers, box), align=UP)

    def sizes(self) -> None:
        self.beat("Choosing how many and how big")
        b = self.b
        heads = [int(h) for h in b.tensors["head_options"][:, 0]]
        conv = self.options_table("conv_options", CONV, ("kernels", "side", "weights", "map side"), 0, 0)
        attn = self.options_table("head_options", ATTN, ("heads", "size $d$", "weights", "output"),
                                  heads.index(self.size("weights", 1)), 1)
        left, right = halves(LINE)
        conv_note = left.place(style.note("more or bigger kernels: more weights", size=style.LABEL_SIZE))
        attn_note = right.place(style.note("more heads: same weights, smaller heads", size=style.LABEL_SIZE))
        boxed = FOOT.place(style.note("boxed: the layers shown in this lecture", color=style.MUTED))
        self.say("Sizes: more kernels, more maps and weights; a bigger kernel, like stride or pooling, shrinks the map.")
        self.play(FadeIn(self.side_titles()), FadeIn(conv[:2]), Create(conv[2]), FadeIn(conv_note), FadeIn(boxed),
                  run_time=1.0)
        self.say("With attention, D = {D} fixes the weights at {w}; more heads just shrink each head.",
                 D=b.dim("X", 2), w=b.value("head_options", (0, 2), 0))
        self.play(FadeIn(attn[:2]), Create(attn[2]), FadeIn(attn_note), run_time=1.0)
        self.clear_stage()
