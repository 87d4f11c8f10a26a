"""Lecture `cnn`: four images in a batch are filtered by one kernel, not four."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Mobject,
    Succession,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import TensorMatrix
from tensors.cnn import slide, sliding_windows

IMAGE = style.ROLE["E"]
KERNEL = style.ROLE["W"]
FMAP = style.ROLE["Q"]
POOLED = style.ROLE["V"]


class CnnLecture(LectureScene):
    """Slide one kernel over every window of every image; the batch shares it; pooling follows."""

    question_details = ("A convolution layer computed by torch, one window at a time.",)
    question_caption = "A batch of {B} images goes through a convolution layer. Does each image get its own kernel?"
    recap_caption = ("One set of kernel weights is shared across locations and across the images of a batch."
                     " There are not {B} kernels.")
    beats = ("intro", "batch", "slide", "conv", "shared", "pool", "recap")

    # -- helpers ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Read the sizes once: batch B, feature-map side m, kernel side k, pooling-window side p."""
        t = self.b.tensors
        self.B = int(self.result.config.batch)
        self.m, self.k, self.p = int(t["fmap_conv"].shape[1]), int(t["kernel"].shape[-1]), int(t["regions"].shape[-1])

    def image_name(self, i: int, size: float = style.NOTE_SIZE - 2) -> Mobject:
        """Return 'image i: <pattern>' with i one-based and the pattern named at build time."""
        b = self.b
        return self.prose("image {i}: {name}", size, IMAGE, i=b.index("images", 0, i), name=b.string(f"pattern_{i}"))

    def kernel_matrix(self) -> TensorMatrix:
        """Return the one kernel as a matrix of whole numbers."""
        return self.matrix("kernel", (0, 0), color=KERNEL, decimals=0)

    def window_line(self, r: int, c: int) -> VGroup:
        """Return 'window ⊙ kernel = products, sum = value' for output pixel (r, c) of image 1."""
        b = self.b
        window = self.matrix("windows", (0, r, c), color=IMAGE)
        kern = self.kernel_matrix()
        prods = self.matrix("products", (0, r, c))
        total = b.number(b.value("fmap_sliding", (0, r, c)), style.NUMBER_SIZE, color=FMAP)
        odot, eq = style.note("$dot.o$", size=style.LABEL_SIZE), style.note("$=$", size=style.LABEL_SIZE)
        summed = style.note("summed $=$", size=style.NOTE_SIZE)
        line = VGroup(window, odot, kern, eq, prods, summed, total).arrange(RIGHT, buff=0.25)
        line.window, line.kern, line.prods, line.total = window, kern, prods, total
        line.symbols = VGroup(odot, eq, summed)
        return line

    def region_colour(self, i: int, j: int) -> str:
        """Return the colour of pooling region (i, j)."""
        return style.head_color(i * (self.m // self.p) + j)

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
            heat = b.heatmap(f"image_{i}", "image_absmax", height=1.7)
            name = self.image_name(i)
            cards.add(Group(name, heat).arrange(DOWN, buff=0.15))
        cards.arrange(RIGHT, buff=0.45)
        images_shape = VGroup(style.note("images", color=IMAGE), self.shape("images", "B, C, H, W")).arrange(RIGHT)
        images_shape.next_to(cards, DOWN, buff=0.25)
        kern = self.kernel_matrix()
        kern_name = style.note("kernel", color=KERNEL)
        kern_shape = self.shape("kernel", "\"out\", \"in\", k_h, k_w")
        info = VGroup(kern_name, kern_shape).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        kgroup = VGroup(kern, info).arrange(RIGHT, buff=0.5)
        style.STAGE.place(Group(cards, images_shape, kgroup).arrange(DOWN, buff=0.5))
        self.say("{B} small pictures drawn with torch, each {n} by {n} pixels, with a little seeded noise. "
                 "Orange is bright, dark is zero, blue is below zero.",
                 B=b.dim("images", 0), n=b.dim("images", 2))
        self.play(LaggedStart(*(FadeIn(c) for c in cards), lag_ratio=0.25), FadeIn(images_shape), run_time=1.5)
        self.wait(5)
        self.say("One {k} by {k} kernel. Every row is {a}, {c}, {a}, so it answers a bright vertical stroke. "
                 "Its shape has no batch dimension.",
                 k=b.dim("kernel", 2), a=b.value("kernel", (0, 0, 0, 0), 0), c=b.value("kernel", (0, 0, 0, 1), 0))
        self.play(Create(kern.brackets), FadeIn(kern.entries), FadeIn(info), run_time=1.0)
        self.wait(4.5)
        self.clear_stage()

    def slide(self) -> None:
        self.beat("One window, one dot product")
        b, m, k = self.b, self.m, self.k
        image = self.matrix("images", (0, 0), color=IMAGE)
        fmap = self.matrix("fmap_sliding", (0,), color=FMAP)
        top = VGroup(image, fmap).arrange(RIGHT, buff=1.2, aligned_edge=UP)
        names = VGroup(image.label(self.image_name(0), buff=0.3),
                       fmap.label(style.note("feature map", color=FMAP), buff=0.3))
        line = self.window_line(0, 0)
        line.next_to(top, DOWN, buff=0.75)
        parts = VGroup(style.note("window", color=IMAGE), style.note("kernel", color=KERNEL),
                       style.note("products", color=style.MUTED))
        for part, mat in zip(parts, (line.window, line.kern, line.prods)):
            mat.label(part, buff=0.2)
        style.STAGE.place(VGroup(top, names, line, parts))
        self.say("Put the kernel on the top-left {k} by {k} window of image {i}.",
                 k=b.dim("kernel", 2), i=b.index("images", 0, 0))
        self.play(FadeIn(image), Create(fmap.brackets), FadeIn(names), FadeIn(line.kern), FadeIn(parts[1]),
                  run_time=1.0)
        box = image.box(rows=(0, k), cols=(0, k), color=KERNEL)
        self.play(Create(box), run_time=0.5)
        window_cells = VGroup(*(image.entry(r, c) for r in range(k) for c in range(k)))
        self.play(TransformFromCopy(window_cells, line.window.entries), FadeIn(line.window.brackets),
                  FadeIn(parts[0]), FadeIn(line.symbols[0]), run_time=1.2)
        self.say("Multiply entry by entry and add the {n} products: that sum is one pixel of the feature map.",
                 n=b.value("kernel_params", (), 0))
        self.play(FadeIn(line.symbols[1]), FadeIn(line.prods), FadeIn(parts[2]), run_time=0.8)
        self.play(FadeIn(line.symbols[2]), FadeIn(line.total), run_time=0.6)
        self.play(TransformFromCopy(line.total, fmap.entry(0, 0)), run_time=0.7)
        self.wait(2.5)
        self.say("Slide one column right and repeat: the same kernel, a new window.")
        for c in range(1, m):
            new = self.next_window(line, c)
            self.play(box.animate.become(image.box(rows=(0, k), cols=(c, c + k), color=KERNEL)),
                      FadeOut(line.window), FadeOut(line.prods), FadeOut(line.total),
                      FadeIn(new.window), FadeIn(new.prods), FadeIn(new.total), run_time=0.6)
            line.window, line.prods, line.total = new.window, new.prods, new.total
            self.play(TransformFromCopy(new.total, fmap.entry(0, c)), run_time=0.4)
        self.play(FadeOut(VGroup(line.window, line.kern, line.prods, line.total, line.symbols, parts)), run_time=0.4)
        self.say("Every location gets the same treatment: {L} windows, {L} pixels, one kernel.",
                 L=b.value("locations", (), 0))
        for r in range(1, m):
            sweep = [AnimationGroup(box.animate.become(image.box(rows=(r, r + k), cols=(c, c + k), color=KERNEL)),
                                    FadeIn(fmap.entry(r, c), shift=DOWN * 0.1)) for c in range(m)]
            self.play(Succession(*sweep), run_time=0.22 * m)
        self.play(FadeOut(box), run_time=0.3)
        self.wait(1.5)
        self.fmap = fmap
        self.play(FadeOut(image), FadeOut(names), run_time=0.5)

    def next_window(self, line: VGroup, c: int) -> VGroup:
        """Return the window line of output pixel (0, c), scaled and placed over the current one."""
        new = self.window_line(0, c)
        new.scale(line.window.height / new.window.height)
        new.window.move_to(line.window)
        new.prods.move_to(line.prods)
        new.total.move_to(line.total, aligned_edge=LEFT)
        return new

    def conv(self) -> None:
        self.beat("The whole map equals F.conv2d")
        b, left = self.b, self.fmap
        conv = self.matrix("fmap_conv", (0,), color=FMAP)
        code = VGroup(self.listing(sliding_windows, style.CODE_SIZE - 3),
                      self.listing(slide, style.CODE_SIZE - 3)).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        pair_names = VGroup(style.note("by sliding windows", color=FMAP),
                            style.note("`F.conv2d(images, kernel)`", color=FMAP))
        target = left.copy()
        pair = VGroup(target, conv).arrange(RIGHT, buff=2.2)
        for name, mat in zip(pair_names, pair):
            mat.label(name)
        main, foot = style.STAGE.rows(4.9, 1.7)
        main.place(VGroup(code, VGroup(pair, pair_names)).arrange(DOWN, buff=0.4))
        eq = style.note("$=$", size=style.TITLE_SIZE).move_to(pair)
        exact = float(b.tensors["conv_max_diff"]) == 0.0
        diff = self.prose("largest difference over all {B} images: max |sliding − conv| = {d}", style.LABEL_SIZE,
                          B=b.dim("fmap_conv", 0), d=b.value("conv_max_diff", (), 2, "g"))
        verdict = style.note(
            "exactly zero: F.conv2d adds up the very same window products" if exact else
            "float32 rounding only: the same products, added in another order",
            color=style.MUTED,
        )
        foot.place(VGroup(diff, verdict).arrange(DOWN, buff=0.15), align=UP)
        self.say("The sliding code: unfold cuts out every window,")
        self.play(left.animate.move_to(target), FadeIn(code), FadeIn(pair_names[0]), run_time=0.8)
        bar = self.code_line_box(code[0], 4).set_z_index(-1)  # the F.unfold line
        self.play(FadeIn(bar), run_time=0.3)
        self.wait(2)
        self.say("then each window is multiplied by the one kernel and summed.")
        self.play(bar.animate.become(self.code_line_box(code[1], 2)), run_time=0.5)  # the multiply-and-sum line
        self.wait(2)
        self.say("torch's own convolution, F.conv2d, on the same batch and kernel gives the map on the right.")
        self.play(FadeOut(bar), Create(conv.brackets), FadeIn(conv.entries, lag_ratio=0.03), FadeIn(pair_names[1]),
                  FadeIn(eq), run_time=1.0)
        self.wait(4)
        self.say("Compared over the whole batch, the largest difference is {d}: the same map.",
                 d=b.value("conv_max_diff", (), 2, "g"))
        self.play(FadeIn(diff, shift=UP * 0.2), run_time=0.6)
        self.play(FadeIn(verdict), run_time=0.5)
        self.wait(2.5)
        self.clear_stage()

    def shared(self) -> None:
        self.beat("One kernel for every image")
        b = self.b
        images = Group(*(b.heatmap(f"image_{i}", "image_absmax", height=1.0) for i in range(self.B)))
        fmaps = Group(*(b.heatmap(f"fmap_{i}", "fmap_absmax", height=1.0) for i in range(self.B)))
        images.arrange(DOWN, buff=0.3)
        fmaps.arrange(DOWN, buff=0.3)
        kern = self.kernel_matrix()
        Group(images, kern, fmaps).arrange(RIGHT, buff=1.4)
        names = VGroup(*(self.image_name(i).next_to(images[i], LEFT, buff=0.3)
                         for i in range(self.B)))
        ptrs = VGroup(*(b.number(b.value("kernel_ptrs", (i,), 0), style.NUMBER_SIZE, color=KERNEL)
                        .next_to(fmaps[i], RIGHT, buff=0.5) for i in range(self.B)))
        top = images.get_top()[1] + 0.3
        heads = VGroup(style.note("image", color=IMAGE).move_to([images.get_x(), top, 0]),
                       style.note("the one kernel", color=KERNEL).next_to(kern, UP, buff=0.2),
                       style.note("feature map", color=FMAP).move_to([fmaps.get_x(), top, 0]),
                       style.note("`weight.data_ptr()`", color=KERNEL).move_to([ptrs.get_x(), top, 0]))
        fan_in = VGroup(*(Arrow(im.get_right(), kern.get_left(), buff=0.1, color=IMAGE, stroke_width=2.5,
                                max_tip_length_to_length_ratio=0.1) for im in images))
        fan_out = VGroup(*(Arrow(kern.get_right(), fm.get_left(), buff=0.1, color=KERNEL, stroke_width=2.5,
                                 max_tip_length_to_length_ratio=0.1) for fm in fmaps))
        main, foot = style.STAGE.rows(6.0, 0.6)
        main.place(Group(images, kern, fmaps, names, ptrs, heads, fan_in, fan_out))
        count = foot.place(self.prose("distinct weight tensors used for the batch: {n}", style.LABEL_SIZE,
                                      n=b.value("distinct_kernels", (), 0)))
        self.say("Every image of the batch goes through the same kernel. Each map lights up where its image "
                 "has a vertical stroke.")
        self.play(FadeIn(images), FadeIn(names), FadeIn(kern), FadeIn(heads[:3]), run_time=0.8)
        self.play(LaggedStart(*(AnimationGroup(Create(fan_in[i]), Create(fan_out[i]), FadeIn(fmaps[i]))
                                for i in range(self.B)), lag_ratio=0.3), run_time=1.8)
        self.wait(3.5)
        self.say("Run the layer on each image alone and record the address of its weight: the same for all "
                 "{B}. One tensor, {n} weights, used at {T} windows.",
                 B=b.dim("images", 0), n=b.value("kernel_params", (), 0), T=b.value("windows_total", (), 0))
        self.play(FadeIn(heads[3]), LaggedStart(*(FadeIn(p) for p in ptrs), lag_ratio=0.2), run_time=1.2)
        self.play(FadeIn(count, shift=UP * 0.2), run_time=0.6)
        self.wait(5)
        self.clear_stage()

    def pool(self) -> None:
        self.beat("Max-pooling: one rule for every region")
        b, m, p = self.b, self.m, self.p
        fmap = self.matrix("fmap_conv", (0,), color=FMAP)
        pooled = self.matrix("pooled", (0,), color=POOLED)
        arrow = Arrow(LEFT, RIGHT, color=style.MUTED, stroke_width=3)
        VGroup(fmap, arrow, pooled).arrange(RIGHT, buff=0.5)
        names = VGroup(
            fmap.label(self.prose("feature map of image {i}", color=FMAP, i=b.index("images", 0, 0)), buff=0.25),
            pooled.label(style.note("`F.max_pool2d`", color=POOLED), buff=0.25),
        )
        upper, lower = style.STAGE.rows(3.6, 3.0)
        upper.place(VGroup(fmap, arrow, pooled, names))
        q = m // p
        boxes = VGroup(*(fmap.box(rows=(i * p, (i + 1) * p), cols=(j * p, (j + 1) * p), color=self.region_colour(i, j))
                         for i in range(q) for j in range(q)))
        where = [(int(r), int(c)) for r, c in b.tensors["pooled_at"][0].reshape(-1, 2)]  # cells the maxima came from
        picks = VGroup(*(SurroundingRectangle(fmap.entry(r, c), color=self.region_colour(n // q, n % q), buff=0.04,
                                              stroke_width=0, fill_opacity=0.35) for n, (r, c) in enumerate(where)))
        self.say("Pooling has no weights. Cut the map into {p} by {p} regions and keep each region's largest value.",
                 p=b.dim("regions", 3))
        self.play(FadeIn(fmap), FadeIn(arrow), Create(pooled.brackets), FadeIn(names), run_time=0.8)
        self.play(Create(boxes), run_time=0.8)
        picks.set_z_index(-1)  # under the numbers they mark
        anims = [AnimationGroup(FadeIn(picks[n]), TransformFromCopy(fmap.entry(*where[n]), pooled.entry(n // q, n % q)))
                 for n in range(q * q)]
        self.play(LaggedStart(*anims, lag_ratio=0.5), run_time=2.4)
        self.wait(1)
        self.pool_all(lower)

    def pool_all(self, area: style.Region) -> None:
        """Show the pooled maps of every image in area, and the check against hand-cut regions."""
        b = self.b
        cols = VGroup()
        for i in range(self.B):
            cols.add(VGroup(self.image_name(i), self.matrix("pooled", (i,), color=POOLED)).arrange(DOWN, buff=0.15))
        cols.arrange(RIGHT, buff=0.5)
        diff = self.prose("regions cut by hand vs `F.max_pool2d`: max difference {d}",
                          d=b.value("pool_max_diff", (), 2, "g"))
        area.place(VGroup(cols, diff).arrange(DOWN, buff=0.3), align=UP)
        self.say("The same max runs on every region of every image. The strong vertical responses survive, on "
                 "a coarser grid.")
        self.play(LaggedStart(*(FadeIn(c) for c in cols), lag_ratio=0.2), run_time=1.2)
        self.play(FadeIn(diff), run_time=0.5)
        self.wait(3)
        self.clear_stage()

    def recap(self) -> None:
        """The closing beat; its counts are bound to the tensors (bound lines carry their own bullet)."""
        b = self.b
        k = b.value("kernel_params", (), 0)
        self.summarise(
            self.recap_caption,
            self.prose("• One kernel of {k} weights serves all {B} images: the same tensor, the same address.",
                       style.LABEL_SIZE, k=k, B=b.dim("images", 0)),
            "Each output pixel is a window's dot product with it; the map equals `F.conv2d`.",
            self.prose("• A dense layer from {n} × {n} pixels to a {m} × {m} map would need {d} weights; the kernel"
                       " has {k}.", style.LABEL_SIZE, n=b.dim("images", 2), m=b.dim("fmap_conv", 1),
                       d=b.value("dense_params", (), 0), k=k),
            "Pooling adds no weights: one max, applied to every region.",
            B=b.dim("images", 0),
        )
