"""Lecture `cnn`: four images in a batch are filtered by one kernel, not four."""

from __future__ import annotations

import numpy as np
from manim import (
    DL,
    DOWN,
    DR,
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
    Line,
    Mobject,
    Succession,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    Write,
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
    beats = ("intro", "batch", "slide", "conv", "shared", "translate", "dense", "pool", "train", "recap")
    roles = {"images": "input", "windows": "input", "kernel": "weight", "fmap_sliding": "output",
             "fmap_conv": "output", "pooled": "output",
             "fmap": "output", "shifted_fmap": "output", "dense_weight": "weight", "dense_row_0": "weight", "image": "input",
             "image_row": "input", "dense_x": "input", "dense_out": "output", "dense_map": "output",
             "kernel_grad": "gradient", "grad_sum": "gradient", "kernel_new": "weight"}

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
        for card in cards:  # one line of names: a descender ('diagonal') must not lift its label
            card[0].align_to(cards[0][0], UP)
        scale = self.image_legend()
        images_shape = VGroup(style.note("images", color=IMAGE), self.shape("images", "B, C, H, W")).arrange(RIGHT)
        under = Group(images_shape, scale).arrange(RIGHT, buff=1.0)
        kern = self.kernel_matrix()
        kern_name = style.note("kernel (designed, not learned)", color=KERNEL)
        kern_shape = self.shape("kernel", "\"out\", \"in\", k_h, k_w")
        info = VGroup(kern_name, kern_shape).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        kgroup = VGroup(kern, info).arrange(RIGHT, buff=0.5)
        style.STAGE.place(Group(cards, under, kgroup).arrange(DOWN, buff=0.5))
        self.say("{B} pictures drawn with torch, {n} by {n} pixels, with a little seeded noise. Teal is high, dark "
                 "is zero, grey is below zero.", B=b.dim("images", 0), n=b.dim("images", 2))
        self.play(LaggedStart(*(FadeIn(c, shift=UP * 0.2) for c in cards), lag_ratio=0.4), FadeIn(images_shape),
                  run_time=2.4)
        self.play(FadeIn(scale, shift=LEFT * 0.3), run_time=0.8)
        self.play(Indicate(scale[2], color=IMAGE), Indicate(scale[0], color=style.MUTED), run_time=1.0)
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
        code = VGroup(*(self.listing(f, size=style.CODE_SIZE * 1.2) for f in (sliding_windows, slide)))
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
            self.say("Compared over all {B} images, not just this one, the largest difference is exactly {d}: every pixel is a "
                     "multiple of {q}, so no sum is ever rounded.", B=b.dim("fmap_conv", 0), d=b.value("conv_max_diff", (), 2, "g"),
                     q=b.value("grey_step", ()))
        else:
            self.say("Compared over all {B} images, not just this one, the largest difference is {d}: float32 rounding"
                     " of the same products.", B=b.dim("fmap_conv", 0), d=b.value("conv_max_diff", (), 2, "g"))
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
        ptrs = VGroup(*(b.number(b.value("kernel_ptrs", (i,), 0), style.NUMBER_SIZE, color=style.MUTED)
                        .next_to(fmaps[i], RIGHT, buff=0.5) for i in range(self.B)))
        top = images.get_top()[1] + 0.3
        heads = VGroup(style.note("image", color=IMAGE).move_to([images.get_x(), top, 0]),
                       style.note("the one kernel", color=KERNEL).next_to(kern, UP, buff=0.2),
                       style.note("feature map", color=FMAP).move_to([fmaps.get_x(), top, 0]),
                       style.note("`weight.data_ptr()`", color=style.MUTED).move_to([ptrs.get_x(), top, 0]))
        def port(side: np.ndarray, i: int) -> np.ndarray:  # one arrow end per image, spread along the bracket
            return kern.get_critical_point(side) + side * 0.15 + UP * ((self.B - 1) / 2 - i) * 0.28
        fan_in = VGroup(*(style.arrow(im.get_right(), port(LEFT, i), buff=0.1) for i, im in enumerate(images)))
        fan_out = VGroup(*(style.arrow(port(RIGHT, i), fm.get_left(), buff=0.1) for i, fm in enumerate(fmaps)))
        main, foot = style.STAGE.rows(6.0, 0.6)
        uses = VGroup(self.prose("used at all", color=style.MUTED),
                      self.prose("{T} windows", color=style.MUTED, T=b.value("windows_total", (), 0))
                      ).arrange(DOWN, buff=0.08).next_to(kern, DOWN, buff=0.3)
        main.place(Group(images, kern, fmaps, names, ptrs, heads, fan_in, fan_out, uses))
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
        self.play(FadeIn(heads[3]), LaggedStart(*(FadeIn(p) for p in ptrs), lag_ratio=0.2), FadeIn(uses), run_time=1.2)
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
        n = int(b.tensors["images"].shape[-1])
        px = min(0.15, 5.4 / (n * n))  # one pixel of the weight heatmap, of the flattened image and of the products
        kern = self.kernel_matrix()
        kname = self.prose("kernel: {k} × {k} = {w} weights", color=KERNEL, k=b.dim("kernel", 2),
                           w=b.value("kernel_params", (), 0))
        W = self.framed_heatmap("dense_weight", "dense_absmax", px * m * m)
        dname = self.prose("dense weight (random): {o} outputs × {i} pixels = {d} weights", color=KERNEL,
                           o=b.dim("dense_weight", 0), i=b.dim("dense_weight", 1), d=b.value("dense_params", (), 0, "n"))
        rows_l = self.prose("a row per output pixel ({m} × {m}), a column per input pixel ({n} × {n})",
                            color=style.MUTED, m=b.dim("fmap_conv", 1), n=b.dim("images", 2))
        scale = self.colour_scale("dense_ramp", "dense_absmax", b.value("dense_ramp", (0, 0)), b.value("dense_absmax", ()),
                                  1.2, role="weight")
        grid = VGroup(*(b.number(b.value("dense_out", (0, c)), style.NUMBER_SIZE, color=FMAP) for c in range(m * m)))
        W.move_to([-0.4, 2.4 - W.height / 2, 0])
        dname.next_to(W, UP, buff=0.15)
        rows_l.next_to(W, DOWN, buff=0.12)
        VGroup(kname, kern).arrange(DOWN, buff=0.3).next_to(W, LEFT, buff=0.6).align_to(W, UP)
        # the m*m outputs of image 1 as an m x m map, right of W
        cell = (0.78, 0.42)
        corner = np.array([W.get_right()[0] + 0.6, W.get_top()[1] - 0.75, 0])
        for c, num in enumerate(grid):
            num.move_to(corner + np.array([(c % m + 0.5) * cell[0], -(c // m + 0.5) * cell[1], 0]))
        frame = SurroundingRectangle(grid, buff=0.12, color=style.MUTED, stroke_width=1.5)
        scale = Group(style.note("weight colours", color=style.MUTED), scale).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        scale.next_to(frame, DOWN, buff=0.5).align_to(frame, LEFT)  # W's own scale, named, away from the kernel
        out_name = self.prose("image {i}'s outputs, as a {m} × {m} map", color=FMAP, i=b.index("images", 0, 0),
                              m=b.dim("fmap_conv", 1)).next_to(frame, UP, buff=0.15)
        # image 1, its rows flying into one long strip under W, the products strip under that
        x = self.framed_heatmap("dense_x_0", "image_absmax", px)
        x.move_to([W.get_x(), rows_l.get_bottom()[1] - 0.62, 0])
        wr = self.framed_heatmap("dense_row_0", "dense_absmax", px).move_to(x).shift(DOWN * 0.58)
        prod = self.framed_heatmap("dense_prod_0", "prod_absmax", px).move_to(wr).shift(DOWN * 0.58)
        img = self.framed_heatmap("image_0", "image_absmax", px * n)
        img.next_to(x, LEFT, buff=0.8).align_to(x, UP).shift(UP * 0.2)
        rows = [b.heatmap(f"image_row_{r}", "image_absmax", px) for r in range(n)]
        for r, row in enumerate(rows):
            row.move_to(img[0].get_top() + DOWN * (r + 0.5) * px)
        x_name = self.prose("image {i}, row after row", color=IMAGE, i=b.index("images", 0, 0)).next_to(x, UP, buff=0.1)
        x_name.align_to(x, LEFT)
        wr_name = self.prose("× row {r} of the weight", color=KERNEL, r=b.index("dense_weight", 0, 0))
        wr_name.next_to(wr, UP, buff=0.1).align_to(wr, LEFT)
        p_name = style.note("= the products, pixel by pixel (grey: below zero)", color=style.MUTED)
        p_name.next_to(prod, DOWN, buff=0.1).align_to(prod, LEFT)
        total = b.number(b.value("dense_out", (0, 0)), style.NUMBER_SIZE, color=FMAP)
        summed = style.note("summed $=$").next_to(prod, RIGHT, buff=0.3)
        total.next_to(summed, RIGHT, buff=0.15)
        wrow = pixel_box(W[0], (m * m, n * n), (0, 1), (0, n * n), MARK, width=2.0)

        self.say("A dense layer from the {n} by {n} image to the {m} by {m} map has one weight per output pixel "
                 "and input pixel.", n=b.dim("images", 2), m=b.dim("fmap_conv", 1))
        self.play(FadeIn(kname), FadeIn(kern), run_time=0.6)
        self.play(FadeIn(W), FadeIn(scale), FadeIn(rows_l), run_time=1.0)
        band = pixel_box(W[0], (m * m, n * n), (0, 1), (0, n * n), MARK, width=2.0)
        self.play(Create(band), run_time=0.4)
        self.play(band.animate.become(pixel_box(W[0], (m * m, n * n), (m * m - 1, m * m), (0, n * n), MARK, width=2.0)),
                  run_time=1.2)
        self.play(band.animate.become(pixel_box(W[0], (m * m, n * n), (0, m * m), (0, 1), MARK, width=2.0)), run_time=0.5)
        self.play(band.animate.become(pixel_box(W[0], (m * m, n * n), (0, m * m), (n * n - 1, n * n), MARK,
                                                width=2.0)), run_time=1.2)
        self.play(FadeOut(band), run_time=0.3)
        self.say("{o} times {i} is {d} weights, random here; the kernel needs {k}.", o=b.dim("dense_weight", 0),
                 i=b.dim("dense_weight", 1), d=b.value("dense_params", (), 0, "n"), k=b.value("kernel_params", (), 0))
        self.play(Write(dname), run_time=1.5)
        self.play(Indicate(kname), run_time=1.0)
        self.say("One output: image {i}'s {p} pixels laid in a row, times row {r} of the weight, summed: {y}.",
                 i=b.index("images", 0, 0), p=b.dim("dense_weight", 1), r=b.index("dense_weight", 0, 0),
                 y=b.value("dense_out", (0, 0)))
        self.play(FadeOut(kname), FadeOut(kern), FadeIn(img), run_time=0.5)
        self.add(*rows)
        self.remove(img[0])
        self.play(LaggedStart(*(row.animate.move_to(x[0].get_left() + RIGHT * (r + 0.5) * n * px)
                                for r, row in enumerate(rows)), lag_ratio=0.3),
                  FadeOut(img[1]), FadeIn(x_name), run_time=1.8)
        self.add(x)
        self.remove(*rows)
        self.play(Create(wrow), run_time=0.5)
        self.play(FadeIn(wr_name), FadeOut(wrow.copy(), target_position=wr), FadeIn(wr), run_time=1.0)
        self.play(self.flow(Group(x.copy(), wr.copy()), prod), FadeIn(p_name), run_time=1.0)
        self.play(FadeOut(prod[0].copy(), target_position=total, scale=0.2), FadeIn(summed), FadeIn(total),
                  run_time=0.9)
        self.play(Create(frame), FadeIn(out_name), self.carry(total, grid[0]), run_time=0.8)
        self.add(total)
        self.say("Each of the {o} rows of the weight gives one output the same way: {o} numbers, image {i}'s map.",
                 o=b.dim("dense_weight", 0), i=b.index("images", 0, 0))
        self.play(Succession(*(AnimationGroup(wrow.animate.move_to(pixel_box(W[0], (m * m, n * n), (r, r + 1),
                                                                              (0, n * n))),
                                              FadeIn(grid[r], shift=DOWN * 0.1)) for r in range(1, m * m))),
                  run_time=0.2 * (m * m - 1))
        self.play(FadeOut(wrow), run_time=0.3)
        self.dense_batch(W, Group(x, x_name, wr, wr_name, prod, p_name, summed, total))

    def dense_batch(self, W: Mobject, strips: Group) -> None:
        """Run every image of the batch through the one dense weight: their output maps, one weight address."""
        b = self.b
        pairs = Group()
        for i in range(self.B):
            pairs.add(Group(self.framed_heatmap(f"image_{i}", "image_absmax", 0.75), style.arrow(LEFT * 0.3, RIGHT * 0.3, buff=0),
                            self.framed_heatmap(f"dense_map_{i}", "out_absmax", 0.75)).arrange(RIGHT, buff=0.15))
        pairs.arrange(RIGHT, buff=0.55).move_to([W.get_x(), strips.get_top()[1] - pairs.height / 2 - 0.1, 0])
        ptr_line = self.prose("`weight.data_ptr()` for images {a} to {z}: {p}, one address",
                              a=b.index("images", 0, 0), z=b.index("images", 0, self.B - 1),
                              p=b.value("dense_ptrs", (0,), 0))
        count = self.prose("distinct dense weight tensors used for the batch: {c}", c=b.value("dense_distinct", (), 0))
        VGroup(ptr_line, count).arrange(DOWN, buff=0.15).next_to(pairs, DOWN, buff=0.35)
        self.say("Every image goes through the one weight matrix: {B} images, {B} output maps, one address.",
                 B=b.dim("images", 0))
        self.play(FadeOut(strips), run_time=0.4)
        self.play(LaggedStart(*(FadeIn(p[:2]) for p in pairs), lag_ratio=0.2), run_time=0.8)
        self.play(LaggedStart(*(self.flow(W[0].copy(), p[2]) for p in pairs), lag_ratio=0.3), run_time=1.6)
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
        picks = VGroup(*(Line(fmap.entry(r, c).get_corner(DL) + DOWN * 0.06, fmap.entry(r, c).get_corner(DR) + DOWN * 0.06,
                              color=style.TEXT, stroke_width=2.5) for r, c in where))  # each maximum underlined
        self.say("Pooling has no weights. Cut the map into {p} by {p} regions and keep each region's largest value.",
                 p=b.dim("regions", 3))
        self.play(FadeIn(fmap), FadeIn(arrow), Create(pooled.brackets), FadeIn(names), run_time=0.8)
        self.play(Create(boxes), run_time=0.8)
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

    def train(self) -> None:
        self.beat("One gradient step for the one kernel")
        b, m, k, B = self.b, self.m, self.k, self.B
        n = int(b.tensors["images"].shape[-1])
        cell = (0.76, 0.4)
        pics = Group(*(self.framed_heatmap(f"image_{i}", "image_absmax", 1.15) for i in range(B))).arrange(RIGHT, buff=0.5)
        tags = VGroup(*(self.prose("image {i}", color=style.MUTED, i=b.index("images", 0, i)).next_to(p, UP, buff=0.1)
                        for i, p in enumerate(pics)))
        loss = self.prose("toy loss = the sum of all {T} responses = {L};   each response is $w dot x$, and"
                          " $partial (w dot x) slash partial w = x$, its window", color=style.MUTED,
                          T=b.value("windows_total", (), 0), L=b.value("loss", ()))
        last = (B - 1, m - 1, m - 1)
        w1, w2, wz = (self.matrix("windows", idx, cell=cell) for idx in ((0, 0, 0), (0, 0, 1), last))
        grad = self.matrix("grad_sum", (), cell=cell)
        plus = [style.note("$+$", size=style.LABEL_SIZE) for _ in range(3)]
        dots = style.note("$dots.c$", size=style.LABEL_SIZE)
        eq = style.note("$=$", size=style.LABEL_SIZE)
        line = VGroup(w1, plus[0], w2, plus[1], dots, plus[2], wz, eq, grad).arrange(RIGHT, buff=0.22)
        places = (b.index("fmap_conv", 2, 0), b.index("fmap_conv", 2, 1), b.value("locations", (), 0))  # 1, 2, m*m
        names = VGroup(*(self.prose("image {i}, place {p}", color=style.MUTED, i=b.index("images", 0, i),
                                    p=q).next_to(mat, UP, buff=0.15)
                         for mat, i, q in ((w1, 0, places[0]), (w2, 0, places[1]), (wz, B - 1, places[2]))))
        gname = style.note("the kernel's gradient", color=style.ROLE["gradient"]).next_to(grad, UP, buff=0.15)
        check = self.prose("`kernel.grad` from autograd vs this sum: largest difference {d}", color=style.MUTED,
                           d=b.value("grad_diff", (), 2, "g"))
        kern = self.matrix("kernel", (0, 0), decimals=0, cell=cell)
        kgrad = self.matrix("kernel_grad", (), cell=cell)
        new = self.matrix("kernel_new", (), cell=cell)
        minus, times, eq2 = style.note("$-$", size=style.LABEL_SIZE), self.math("{r} times", size=style.LABEL_SIZE,
                                                                                 r=b.value("lr", ())), \
            style.note("$=$", size=style.LABEL_SIZE)
        update = VGroup(kern, minus, times, kgrad, eq2, new).arrange(RIGHT, buff=0.25)
        unames = VGroup(style.note("kernel", color=KERNEL).next_to(kern, UP, buff=0.15),
                        style.note("`kernel.grad`", color=style.ROLE["gradient"]).next_to(kgrad, UP, buff=0.15),
                        style.note("after one SGD step", color=KERNEL).next_to(new, UP, buff=0.15))
        top, mid, foot = style.STAGE.rows(2.2, 2.3, 1.0, gap=0.25)
        top.place(Group(pics, tags, loss.next_to(pics, DOWN, buff=0.3)))
        mid.place(VGroup(line, names, gname))
        check.next_to(line, DOWN, buff=0.3)
        update.move_to(line).shift(DOWN * 0.05)
        for lab, mat in zip(unames, (kern, kgrad, new)):
            lab.next_to(mat, UP, buff=0.15)
        boxes = [pixel_box(p[0], (n, n), (0, k), (0, k), MARK) for p in pics]
        T = b.value("windows_total", (), 0)
        self.say("Training: a toy loss, the sum of every response of the batch. Its gradient flows back to the "
                 "one kernel.")
        self.play(FadeIn(pics), FadeIn(tags), run_time=0.8)
        self.play(FadeIn(loss, shift=UP * 0.2), run_time=0.8)
        self.say("Each response enters the loss as it is, so each place hands the kernel its own window as "
                 "gradient: place {a}, place {z}, ...",
                 a=b.index("fmap_conv", 2, 0), z=b.index("fmap_conv", 2, 1))
        self.play(Create(boxes[0]), run_time=0.4)
        self.play(self.flow(boxes[0].copy(), w1), FadeIn(names[0]), run_time=0.9)
        self.play(boxes[0].animate.move_to(pixel_box(pics[0][0], (n, n), (0, k), (1, 1 + k))), run_time=0.4)
        self.play(self.flow(boxes[0].copy(), w2), FadeIn(plus[0]), FadeIn(names[1]), run_time=0.9)
        self.say("All {T} windows of the {B} images add up into one gradient for the {w} shared weights.", T=T,
                 B=b.dim("images", 0), w=b.value("kernel_params", (), 0))
        self.play(*(Create(bx) for bx in boxes[1:]), run_time=0.4)
        spots = [(r, c) for r in range(m) for c in range(m)][2:]
        self.play(Succession(*(AnimationGroup(*(bx.animate.move_to(pixel_box(p[0], (n, n), (r, r + k), (c, c + k)))
                                                for bx, p in zip(boxes, pics)))
                               for r, c in spots)), run_time=0.15 * len(spots))
        self.play(FadeIn(plus[1]), FadeIn(dots), FadeIn(plus[2]), self.flow(boxes[-1].copy(), wz), FadeIn(names[2]),
                  run_time=0.8)
        self.combine([(VGroup(w1.entry(a, z), w2.entry(a, z), wz.entry(a, z), dots), grad.entry(a, z))
                      for a in range(k) for z in range(k)], FadeIn(eq), Create(grad.brackets), FadeIn(gname),
                     lag_ratio=0.6, run_time=2.4)
        self.settle(grad)
        self.say_gap("grad_diff", "torch's autograd finds the same gradient for the one kernel: difference exactly {d}.",
                     "torch's autograd finds the same gradient for the one kernel, up to float32 rounding: {d}.")
        self.play(FadeIn(check, shift=UP * 0.2), run_time=0.6)
        self.say("One SGD step: the kernel minus {r} times its gradient. Every image moved the same {w} weights.",
                 r=b.value("lr", ()), w=b.value("kernel_params", (), 0))
        self.play(FadeOut(VGroup(w1, w2, wz, *plus, dots, eq, names, gname, check)), FadeOut(Group(*boxes)),
                  grad.animate.move_to(kgrad), run_time=0.8)
        self.remove(grad)
        self.add(kgrad)
        self.play(FadeIn(kern), FadeIn(minus), FadeIn(times), FadeIn(eq2), FadeIn(unames[:2]), run_time=0.6)
        self.combine([(VGroup(kern.entry(a, z), kgrad.entry(a, z)), new.entry(a, z)) for a in range(k) for z in range(k)],
                     Create(new.brackets), FadeIn(unames[2]), lag_ratio=0.05, run_time=1.6)
        self.settle(new)
        self.clear_stage()

    def recap(self) -> None:
        """The closing beat; its counts are bound to the tensors."""
        b = self.b
        k = b.value("kernel_params", (), 0)
        self.summarise(
            self.recap_caption,
            self.bullet("Each output pixel is a window's dot product with the kernel; the map equals `F.conv2d`."),
            self.bullet("One kernel of {k} weights serves all {B} images: the same tensor, the same address.",
                        k=k, B=b.dim("images", 0)),
            self.bullet("Move the pattern {s} columns and the response moves {s} columns: one kernel fits every place.",
                        s=b.value("shift", (), 0)),
            self.bullet("A dense layer is shared across the batch too, with {d} weights instead of {k}.",
                        d=b.value("dense_params", (), 0, "n"), k=k),
            self.bullet("Pooling adds no weights: one max, applied to every region."),
            self.bullet("Training: all {T} windows add into one gradient for the {k} shared weights.",
                        T=b.value("windows_total", (), 0), k=k),
            B=b.dim("images", 0),
        )


