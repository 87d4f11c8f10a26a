"""Lecture `cnn`: four images in a batch are filtered by one kernel, not four."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Create,
    FadeIn,
    FadeOut,
    Group,
    Indicate,
    LaggedStart,
    Mobject,
    Succession,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.layout import highlight
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix, pixel_box
from tensors.cnn import slide, sliding_windows

IMAGE = style.ROLE["input"]
KERNEL = style.ROLE["weight"]
FMAP = style.ROLE["output"]  # feature maps and pooled maps are what the layers return
MARK = style.TEXT  # highlight boxes: "this one", never a role or an index


class CnnLecture(LectureScene):
    """Slide one kernel over every window of every image; the batch shares it; pooling follows."""

    question_details = ("A convolution layer computed by torch, one window at a time.",)
    question_caption = "A batch of {B} images goes through a convolution layer. Does each image get its own kernel?"
    recap_caption = ("One set of kernel weights is shared across locations and across the images of a batch."
                     " There are not {B} kernels.")
    beats = ("intro", "batch", "slide", "conv", "shared", "translate", "dense", "pool", "recap")
    roles = {"images": "input", "windows": "input", "kernel": "weight", "fmap_sliding": "output",
             "fmap_conv": "output", "pooled": "output", "kernel_ptrs": "weight", "dense_ptrs": "weight"}

    # -- helpers ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Read the sizes once: batch B, feature-map side m, kernel side k, pooling-window side p."""
        t = self.b.tensors
        self.B = int(self.result.config.batch)
        self.m, self.k, self.p = int(t["fmap_conv"].shape[1]), int(t["kernel"].shape[-1]), int(t["regions"].shape[-1])
        n = int(t["images"].shape[-1])
        self.cell = (style.CELL_W, style.CELL_H) if n <= 6 else (0.8, 0.4)  # 7 or 8 pixels a side: tighter cells


    def image_name(self, i: int, two_lines: bool = False) -> Mobject:
        """Return 'image i: <pattern>' with i one-based and the pattern named at build time."""
        b = self.b
        if two_lines:
            return VGroup(self.prose("image {i}", i=b.index("images", 0, i)),
                          self.prose("{name}", color=style.MUTED, name=b.string(f"pattern_{i}"))
                          ).arrange(DOWN, buff=0.08)
        return self.prose("image {i}: {name}", i=b.index("images", 0, i), name=b.string(f"pattern_{i}"))


    def image_legend(self) -> Group:
        b = self.b
        return self.colour_scale("image_ramp", "image_absmax", b.value("image_ramp", (0, 0)), b.value("image_absmax", ()))

    def map_legend(self) -> Group:
        b = self.b
        return self.colour_scale("ramp", "fmap_absmax", b.value("ramp", (0, 0)), b.value("fmap_absmax", ()))

    def kernel_matrix(self) -> TensorMatrix:
        """Return the one kernel as a matrix of whole numbers."""
        return self.matrix("kernel", (0, 0), decimals=0, cell=self.cell)

    def window_line(self, r: int, c: int) -> VGroup:
        """Return 'window ⊙ kernel = products, summed = value' for output pixel (r, c) of image 1."""
        b = self.b
        window = self.matrix("windows", (0, r, c), cell=self.cell)
        kern = self.kernel_matrix()
        prods = self.matrix("products", (0, r, c), cell=self.cell)
        total = b.number(b.value("fmap_sliding", (0, r, c)), style.NUMBER_SIZE, color=FMAP)
        return self.window_sum(window, kern, prods, total, summed_size=style.NOTE_SIZE, buff=0.25)

    # -- beats --------------------------------------------------------------------------------
    def intro(self) -> None:
        """The question, its number of images bound to the batch."""
        B = self.b.dim("images", 0)
        title = self.prose("{B} images in a batch: one kernel, or {B} kernels?", style.TITLE_SIZE, B=B)
        self.ask(self.question_caption, title, *self.question_details, B=B)

    def batch(self) -> None:
        self.beat("A batch of images and one kernel")
        b = self.b
        cards = Group()
        for i in range(self.B):
            heat = self.framed_heatmap(f"image_{i}", "image_absmax", 1.9)
            cards.add(Group(self.image_name(i, two_lines=True), heat).arrange(DOWN, buff=0.15))
        cards.arrange(RIGHT, buff=0.6, aligned_edge=DOWN)
        scale = self.image_legend()
        images_shape = VGroup(style.note("images", color=IMAGE), self.shape("images", "B, C, H, W")).arrange(RIGHT)
        under = Group(images_shape, scale).arrange(RIGHT, buff=1.0)
        kern = self.kernel_matrix()
        kern_name = style.note("kernel (designed, not learned)", color=KERNEL)
        kern_shape = self.shape("kernel", "\"out\", \"in\", k_h, k_w")
        info = VGroup(kern_name, kern_shape).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        kgroup = VGroup(kern, info).arrange(RIGHT, buff=0.5)
        style.STAGE.place(Group(cards, under, kgroup).arrange(DOWN, buff=0.5))
        self.say("{B} small pictures drawn with torch, each {n} by {n} pixels, with a little seeded noise. "
                 "Orange is bright, dark is zero, blue is below zero.",
                 B=b.dim("images", 0), n=b.dim("images", 2))
        self.play(LaggedStart(*(FadeIn(c) for c in cards), lag_ratio=0.25), FadeIn(images_shape), FadeIn(scale),
                  run_time=1.5)
        self.say("One {k} by {k} kernel. Every row is {a}, {c}, {a}, so it answers a bright vertical stroke. "
                 "Its shape has no batch dimension.",
                 k=b.dim("kernel", 2), a=b.value("kernel", (0, 0, 0, 0), 0), c=b.value("kernel", (0, 0, 0, 1), 0))
        self.play(Create(kern.brackets), FadeIn(kern.entries), FadeIn(info), run_time=1.0)
        self.clear_stage()

    def compute_entry(self, image: TensorMatrix, fmap: TensorMatrix, line: VGroup, r: int, c: int,
                      first: bool) -> None:
        """Fly the window into the line, multiply it by the kernel entry by entry, sum, drop it in the map."""
        k = self.k
        cells = VGroup(*(image.entry(r + a, c + z) for a in range(k) for z in range(k)))
        self.play(TransformFromCopy(cells, line.window.entries), FadeIn(line.window.brackets),
                  *([FadeIn(line.symbols[0])] if first else []), run_time=1.0)
        pairs = [(VGroup(line.window.entry(a, z), line.kern.entry(a, z)), line.prods.entry(a, z))
                 for a in range(k) for z in range(k)]
        self.combine(pairs, FadeIn(line.prods.brackets), *([FadeIn(line.symbols[1])] if first else []),
                     run_time=1.4)
        self.combine([(line.prods.entries, line.total)], *([FadeIn(line.symbols[2])] if first else []),
                     run_time=0.8)
        self.play(TransformFromCopy(line.total, fmap.entry(r, c)), run_time=0.6)

    def slide(self) -> None:
        self.beat("One window, one dot product")
        b, m, k = self.b, self.m, self.k
        image = self.matrix("images", (0, 0), cell=self.cell)
        fmap = self.matrix("fmap_sliding", (0,), cell=self.cell)
        top = VGroup(image, fmap).arrange(RIGHT, buff=1.2, aligned_edge=UP)
        names = VGroup(style.title_above(image, self.image_name(0), buff=0.2),
                       style.title_above(fmap, style.note("feature map", color=FMAP), buff=0.2))
        line = self.window_line(0, 0)
        line.next_to(top, DOWN, buff=0.65)
        parts = VGroup(style.note("window", color=IMAGE), style.note("kernel", color=KERNEL),
                       style.note("products"))
        for part, mat in zip(parts, (line.window, line.kern, line.prods)):
            style.title_above(mat, part, buff=0.15)
        style.STAGE.place(VGroup(top, names, line, parts))
        self.say("Put the kernel on the top-left {k} by {k} window of image {i}.",
                 k=b.dim("kernel", 2), i=b.index("images", 0, 0))
        self.play(FadeIn(image), Create(fmap.brackets), FadeIn(names), FadeIn(line.kern), FadeIn(parts[1]),
                  run_time=1.0)
        box = highlight(image.box(rows=(0, k), cols=(0, k), color=MARK))
        self.play(Create(box), FadeIn(parts[0]), FadeIn(parts[2]), run_time=0.5)
        self.say("Multiply entry by entry and add the {n} products: that sum, {v}, is one pixel of the feature map.",
                 n=b.value("kernel_params", (), 0), v=b.value("fmap_sliding", (0, 0, 0)))
        self.compute_entry(image, fmap, line, 0, 0, first=True)
        self.say("Slide one column right and repeat: the same kernel, a new window, {v}.",
                 v=b.value("fmap_sliding", (0, 0, 1)))
        new = self.window_line(0, 1)
        for part in ("window", "prods", "total"):
            getattr(new, part).move_to(getattr(line, part))
        self.play(box.animate.become(highlight(image.box(rows=(0, k), cols=(1, 1 + k), color=MARK))),
                  FadeOut(VGroup(line.window, line.prods, line.total)), run_time=0.6)
        new.kern, new.symbols = line.kern, line.symbols
        self.compute_entry(image, fmap, new, 0, 1, first=False)
        self.play(FadeOut(VGroup(new.window, new.prods, new.total, line.kern, line.symbols, parts)), run_time=0.4)
        self.say("Every location gets the same treatment: {L} windows, {L} pixels, one kernel.",
                 L=b.value("locations", (), 0))
        for r in range(m):
            sweep = [AnimationGroup(box.animate.become(highlight(image.box(rows=(r, r + k), cols=(c, c + k),
                                                                           color=MARK))),
                                    FadeIn(fmap.entry(r, c), shift=DOWN * 0.1)) for c in range(m) if (r, c) > (0, 1)]
            if sweep:
                self.play(Succession(*sweep), run_time=0.22 * len(sweep))
        self.play(FadeOut(box), run_time=0.3)
        self.fmap = fmap
        self.play(FadeOut(image), FadeOut(names), run_time=0.5)

    def conv(self) -> None:
        self.beat("The whole map equals F.conv2d")
        b, left = self.b, self.fmap
        code = VGroup(*(self.listing(f) for f in (sliding_windows, slide)))
        code.arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        style.STAGE.place(code)
        self.say("The sliding code: unfold cuts out every window,")
        self.play(FadeOut(left), FadeIn(code), run_time=0.8)
        bar = self.code_line_box(code[0], 4)  # the F.unfold line
        self.play(FadeIn(bar), run_time=0.3)
        self.say("then each window is multiplied by the one kernel and summed.")
        self.play(bar.animate.become(self.code_line_box(code[1], 2)), run_time=0.5)  # the multiply-and-sum line
        self.hold_caption()
        self.play(FadeOut(code), FadeOut(bar), run_time=0.5)
        conv = self.matrix("fmap_conv", (0,), cell=self.cell)
        target = self.matrix("fmap_sliding", (0,), cell=self.cell)
        pair = VGroup(target, conv).arrange(RIGHT, buff=2.2)
        pair_names = VGroup(style.title_above(target, style.note("by sliding windows", color=FMAP)),
                            style.title_above(conv, style.note("`F.conv2d(images, kernel)`", color=FMAP)))
        exact = self.exact("conv_max_diff")
        diff = self.prose("largest difference over all {B} images: {d}", style.LABEL_SIZE,
                          B=b.dim("fmap_conv", 0), d=b.value("conv_max_diff", (), 2, "g"))
        verdict = (self.prose("exactly zero: every pixel is a multiple of {q} and the kernel holds whole numbers,",
                              color=style.MUTED, q=b.value("grey_step", ())),
                   style.note("so every product and every sum is exact in float32, in any order", color=style.MUTED)) \
            if exact else (style.note("float32 rounding only: the same products, added in another order",
                                      color=style.MUTED),)
        notes = VGroup(diff, *verdict).arrange(DOWN, buff=0.15)
        eq = style.note("$=$", size=style.TITLE_SIZE)
        main, foot = style.STAGE.rows(4.2, 1.4)
        main.place(VGroup(pair, pair_names))
        eq.move_to(pair)
        foot.place(notes, align=UP)
        self.say("torch's own convolution, F.conv2d, on the same batch and kernel gives the map on the right.")
        self.play(FadeIn(target), FadeIn(pair_names[0]), run_time=0.6)
        self.play(Create(conv.brackets), FadeIn(conv.entries, lag_ratio=0.03), FadeIn(pair_names[1]), FadeIn(eq),
                  run_time=1.0)
        if exact:
            self.say("Compared over the whole batch the largest difference is exactly {d}: every pixel is a "
                     "multiple of {q}, so no sum is ever rounded.", d=b.value("conv_max_diff", (), 2, "g"),
                     q=b.value("grey_step", ()))
        else:
            self.say("Compared over the whole batch the largest difference is {d}: float32 rounding of the same "
                     "products.", d=b.value("conv_max_diff", (), 2, "g"))
        self.play(FadeIn(notes, shift=UP * 0.2), run_time=0.8)
        self.clear_stage()

    def shared(self) -> None:
        self.beat("One kernel for every image")
        b = self.b
        images = Group(*(self.framed_heatmap(f"image_{i}", "image_absmax", 0.95) for i in range(self.B)))
        fmaps = Group(*(self.framed_heatmap(f"fmap_{i}", "fmap_absmax", 0.95) for i in range(self.B)))
        images.arrange(DOWN, buff=0.25)
        fmaps.arrange(DOWN, buff=0.25)
        kern = self.kernel_matrix()
        Group(images, kern, fmaps).arrange(RIGHT, buff=1.4)
        names = VGroup(*(self.image_name(i).next_to(images[i], LEFT, buff=0.3) for i in range(self.B)))
        ptrs = VGroup(*(b.number(b.value("kernel_ptrs", (i,), 0), style.NUMBER_SIZE, color=KERNEL)
                        .next_to(fmaps[i], RIGHT, buff=0.5) for i in range(self.B)))
        top = images.get_top()[1] + 0.3
        heads = VGroup(style.note("image", color=IMAGE).move_to([images.get_x(), top, 0]),
                       style.note("the one kernel", color=KERNEL).next_to(kern, UP, buff=0.2),
                       style.note("feature map", color=FMAP).move_to([fmaps.get_x(), top, 0]),
                       style.note("`weight.data_ptr()`", color=KERNEL).move_to([ptrs.get_x(), top, 0]))
        fan_in = VGroup(*(style.arrow(im.get_right(), kern.get_left(), buff=0.1) for im in images))
        fan_out = VGroup(*(style.arrow(kern.get_right(), fm.get_left(), buff=0.1) for fm in fmaps))
        main, foot = style.STAGE.rows(6.0, 0.6)
        main.place(Group(images, kern, fmaps, names, ptrs, heads, fan_in, fan_out))
        count = self.prose("distinct weight tensors used for the batch: {n}", n=b.value("distinct_kernels", (), 0))
        scales = Group(self.image_legend(), self.map_legend()).arrange(RIGHT, buff=0.6)
        foot.place(Group(scales, count).arrange(RIGHT, buff=1.0))
        self.say("Every image of the batch goes through the same kernel. Each map lights up where its image "
                 "has a vertical stroke.")
        self.play(FadeIn(images), FadeIn(names), FadeIn(kern), FadeIn(heads[:3]), FadeIn(scales), run_time=0.8)
        self.play(LaggedStart(*(AnimationGroup(Create(fan_in[i]), Create(fan_out[i]), FadeIn(fmaps[i]))
                                for i in range(self.B)), lag_ratio=0.3), run_time=1.8)
        self.say("Run the layer on each image alone and record the address of its weight: the same for all "
                 "{B}. One tensor, {n} weights, used at {T} windows.",
                 B=b.dim("images", 0), n=b.value("kernel_params", (), 0), T=b.value("windows_total", (), 0))
        self.play(FadeIn(heads[3]), LaggedStart(*(FadeIn(p) for p in ptrs), lag_ratio=0.2), run_time=1.2)
        self.play(FadeIn(count, shift=UP * 0.2), run_time=0.6)
        self.clear_stage()

    def translate(self) -> None:
        self.beat("Move the pattern, the response moves")
        b, m, n = self.b, self.m, int(self.b.tensors["images"].shape[-1])
        s = int(self.b.tensors["shift"])
        size = 2.0
        img, fm = self.framed_heatmap("image_0", "image_absmax", size), self.framed_heatmap("fmap_0", "fmap_absmax", size * m / n)
        sh, sfm = self.framed_heatmap("shifted", "image_absmax", size), self.framed_heatmap("shifted_fmap", "fmap_absmax", size * m / n)
        row1 = Group(img, style.arrow(LEFT * 0.5, RIGHT * 0.5, buff=0), fm).arrange(RIGHT, buff=0.4)
        row2 = Group(sh, style.arrow(LEFT * 0.5, RIGHT * 0.5, buff=0), sfm).arrange(RIGHT, buff=0.4)
        rows = Group(row1, row2).arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        tags = VGroup(self.image_name(0).next_to(img, LEFT, buff=0.3),
                      self.prose("moved {s} columns right", s=b.value("shift", (), 0)).next_to(sh, LEFT, buff=0.3))
        p1, p2 = (int(v) - 1 for v in self.b.tensors["peak_cols"])
        peak1 = self.prose("strongest column: {c}", color=style.MUTED, c=b.value("peak_cols", (0,), 0))
        peak2 = self.prose("strongest column: {c}", color=style.MUTED, c=b.value("peak_cols", (1,), 0))
        peak1.next_to(fm, RIGHT, buff=0.4)
        peak2.next_to(sfm, RIGHT, buff=0.4)
        scale = Group(self.image_legend(), self.map_legend()).arrange(RIGHT, buff=0.8)
        shifted = self.prose("old response moved {s} columns right vs new response: largest difference {d}",
                             style.LABEL_SIZE,
                             s=b.value("shift", (), 0), d=b.value("shift_diff", (), 2, "g"))
        picture = Group(tags, rows, peak1, peak2)
        style.STAGE.place(Group(picture, scale, shifted).arrange(DOWN, buff=0.4))
        box1 = pixel_box(fm[0], (m, m), (0, m), (p1, p1 + 1), MARK)
        box2 = pixel_box(sfm[0], (m, m), (0, m), (p2, p2 + 1), MARK)
        self.say("Why one kernel can serve every location: take image {i}, its vertical bar, and its map.",
                 i=b.index("images", 0, 0))
        self.play(FadeIn(img), FadeIn(tags[0]), FadeIn(row1[1]), FadeIn(fm), run_time=0.8)
        self.play(Create(box1), FadeIn(peak1), FadeIn(scale), run_time=0.6)
        self.say("Move the picture {s} columns right. The same kernel gives the same response, moved {s} columns "
                 "right.", s=b.value("shift", (), 0))
        ghost = img.copy()
        self.play(ghost.animate.move_to(sh), run_time=0.6)
        self.play(ghost.animate.shift(RIGHT * s * sh.width / n), FadeIn(tags[1]), run_time=0.8)
        self.play(FadeOut(ghost), FadeIn(sh), FadeIn(row2[1]), run_time=0.4)
        self.play(FadeIn(sfm), TransformFromCopy(box1, box2), FadeIn(peak2), run_time=1.0)
        self.play(FadeIn(shifted, shift=UP * 0.2), run_time=0.6)
        self.clear_stage()

    def dense(self) -> None:
        self.beat("A dense layer: shared too, but far bigger")
        b, m = self.b, self.m
        kern = self.kernel_matrix()
        kname = self.prose("kernel: {k} × {k} = {w} weights", color=KERNEL, k=b.dim("kernel", 2),
                           w=b.value("kernel_params", (), 0))
        W = self.framed_heatmap("dense_weight", "dense_absmax", 3.6 * m * m / int(b.tensors["images"].shape[-1]) ** 2)
        dname = self.prose("dense weight (random): {o} outputs × {i} pixels = {d} weights", color=KERNEL,
                           o=b.dim("dense_weight", 0), i=b.dim("dense_weight", 1), d=b.value("dense_params", (), 0, "n"))
        scale = self.colour_scale("dense_ramp", "dense_absmax", b.value("dense_ramp", (0, 0)), b.value("dense_absmax", ()))
        left = VGroup(kname, kern).arrange(DOWN, buff=0.3)
        right = Group(dname, Group(W, scale).arrange(RIGHT, buff=0.3)).arrange(DOWN, buff=0.3)
        top = Group(left, right).arrange(RIGHT, buff=1.0, aligned_edge=UP)
        minis = Group(*(self.framed_heatmap(f"image_{i}", "image_absmax", 0.6) for i in range(self.B))).arrange(RIGHT, buff=0.4)
        rows_l = self.prose("one row per output pixel ({m} × {m} = {o}), one column per input pixel ({n} × {n} = {i})",
                            color=style.MUTED, m=b.dim("fmap_conv", 1), o=b.dim("dense_weight", 0),
                            n=b.dim("images", 2), i=b.dim("dense_weight", 1))
        ptr_line = self.prose("`weight.data_ptr()` for images {a} to {z}: {p}, one address",
                              a=b.index("images", 0, 0), z=b.index("images", 0, self.B - 1),
                              p=b.value("dense_ptrs", (0,), 0))
        count = self.prose("distinct dense weight tensors used for the batch: {c}", c=b.value("dense_distinct", (), 0))
        facts = VGroup(ptr_line, count).arrange(DOWN, buff=0.2)
        style.STAGE.place(Group(top, minis, rows_l, facts).arrange(DOWN, buff=0.38))
        minis.set_x(W.get_x())
        feeds = VGroup(*(style.arrow(mini.get_top(), [W.get_x() + (mini.get_x() - W.get_x()) * 0.3, W.get_bottom()[1], 0],
                                     buff=0.08) for mini in minis))
        self.say("Compare a dense layer from the {n} by {n} image to the {m} by {m} map: one weight for every "
                 "output pixel and input pixel.", n=b.dim("images", 2), m=b.dim("fmap_conv", 1))
        self.play(FadeIn(left), run_time=0.6)
        self.play(FadeIn(right), FadeIn(rows_l), run_time=1.0)
        self.say("{o} times {i} is {d} weights where the kernel needs {k}. They are random here: only the count "
                 "matters.", o=b.dim("dense_weight", 0), i=b.dim("dense_weight", 1),
                 d=b.value("dense_params", (), 0, "n"), k=b.value("kernel_params", (), 0))
        self.play(Indicate(dname), run_time=0.8)
        self.say("Yet it is shared across the batch just the same: every image goes through the one weight matrix.")
        self.play(FadeIn(minis), run_time=0.5)
        self.play(LaggedStart(*(Create(f) for f in feeds), lag_ratio=0.3), run_time=1.0)
        self.play(FadeIn(ptr_line), FadeIn(count), run_time=0.8)
        self.clear_stage()

    def pool(self) -> None:
        self.beat("Max-pooling: one rule for every region")
        b, m, p = self.b, self.m, self.p
        fmap = self.matrix("fmap_conv", (0,), cell=self.cell)
        pooled = self.matrix("pooled", (0,), cell=self.cell)
        arrow = style.arrow(LEFT, RIGHT)
        VGroup(fmap, arrow, pooled).arrange(RIGHT, buff=0.5)
        names = VGroup(
            style.title_above(fmap, self.prose("feature map of image {i}", color=FMAP, i=b.index("images", 0, 0)), buff=0.25),
            style.title_above(pooled, style.note("`F.max_pool2d`", color=FMAP), buff=0.25),
        )
        upper, lower = style.STAGE.rows(3.4, 2.6)
        upper.place(VGroup(fmap, arrow, pooled, names))
        q = m // p
        boxes = VGroup(*(highlight(fmap.box(rows=(i * p, (i + 1) * p), cols=(j * p, (j + 1) * p), color=MARK))
                         for i in range(q) for j in range(q)))
        where = [(int(r), int(c)) for r, c in b.tensors["pooled_at"][0].reshape(-1, 2)]  # cells the maxima came from
        picks = VGroup(*(SurroundingRectangle(fmap.entry(r, c), color=style.MUTED, buff=0.04, stroke_width=0,
                                              fill_opacity=0.3) for r, c in where))
        self.say("Pooling has no weights. Cut the map into {p} by {p} regions and keep each region's largest value.",
                 p=b.dim("regions", 3))
        self.play(FadeIn(fmap), FadeIn(arrow), Create(pooled.brackets), FadeIn(names), run_time=0.8)
        self.play(Create(boxes), run_time=0.8)
        picks.set_z_index(-1)  # under the numbers they mark
        anims = [AnimationGroup(FadeIn(picks[n]), TransformFromCopy(fmap.entry(*where[n]), pooled.entry(n // q, n % q)))
                 for n in range(q * q)]
        self.play(LaggedStart(*anims, lag_ratio=0.5), run_time=2.4)
        self.pool_all(lower)

    def pool_all(self, area: style.Region) -> None:
        """Show the pooled maps of every image in area, and the check against hand-cut regions."""
        b = self.b
        cols = VGroup()
        for i in range(self.B):
            cols.add(VGroup(self.image_name(i, two_lines=True), self.matrix("pooled", (i,), cell=self.cell)).arrange(DOWN, buff=0.15))
        cols.arrange(RIGHT, buff=0.6, aligned_edge=DOWN)
        diff = self.prose("regions cut by hand vs `F.max_pool2d`: largest difference {d}",
                          d=b.value("pool_max_diff", (), 2, "g"))
        area.place(VGroup(cols, diff).arrange(DOWN, buff=0.3), align=UP)
        self.say("The same max runs on every region of every image. The strong vertical responses survive, on "
                 "a coarser grid.")
        self.play(LaggedStart(*(FadeIn(c) for c in cols), lag_ratio=0.2), run_time=1.2)
        self.play(FadeIn(diff), run_time=0.5)
        self.clear_stage()

    def recap(self) -> None:
        """The closing beat; its counts are bound to the tensors."""
        b = self.b
        k = b.value("kernel_params", (), 0)
        self.summarise(
            self.recap_caption,
            self.bullet("One kernel of {k} weights serves all {B} images: the same tensor, the same address.",
                        k=k, B=b.dim("images", 0)),
            self.bullet("Each output pixel is a window's dot product with it; the map equals `F.conv2d`."),
            self.bullet("Move the pattern {s} columns and the response moves {s} columns: one kernel fits every place.",
                        s=b.value("shift", (), 0)),
            self.bullet("A dense layer is shared across the batch too, with {d} weights instead of {k}.",
                        d=b.value("dense_params", (), 0, "n"), k=k),
            self.bullet("Pooling adds no weights: one max, applied to every region."),
            B=b.dim("images", 0),
        )


