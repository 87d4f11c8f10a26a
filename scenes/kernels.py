"""Lecture `kernels`: conv kernels give feature maps, trained attention heads give head outputs, and five parallels.

The comparison, said once and kept: one kernel of a conv layer is set beside one head of an attention
layer (its columns of W^q, W^k, W^v). The attention weights are those of a small model really trained
(tensors.trained): head 1 to name the word before, head 2 the word after, head 3 the word two before.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Create,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    Indicate,
    LaggedStart,
    Line,
    Mobject,
    Succession,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
)

from scenes.kit import style
from scenes.kit.layout import highlight
from scenes.kit.lecture import LectureScene
from scenes.kit.matrix import label_columns, label_rows, pixel_box
from tensors.trained import OFFSETS

# The side-by-side beats: a title row, the pictures, a line under them, a note; each row cut in two halves.
TITLE, PICTURE, LINE, NOTE = style.STAGE.rows(0.45, 4.1, 0.5, 0.45, gap=0.2)
MARK = style.TEXT  # the one highlight colour: boxes mark "this one", never a role or an index
BIG = 28  # the font size of the numbers of the convolution worked out by hand


def halves(row: style.Region) -> list[style.Region]:
    """Return the convolution (left) and attention (right) halves of a row of the stage."""
    return row.columns(1, 1, gap=0.5)


class KernelsLecture(LectureScene):
    """Multi-head attention next to a conv layer: same input, several filters, several outputs."""

    beats = ("intro", "conv", "attention", "views", "local_global", "sharing", "stacking", "sizes", "recap")
    roles = {"image": "input", "windows": "input", "kernels": "weight", "maps": "output", "X": "input", "Wq": "weight",
             "W_q": "weight", "W_k": "weight", "W_v": "weight", "weights": "attention", "head_out": "output", "out": "output",
             "rollout": "attention", "V_0": "value", "Q_0": "query", "K_0": "key", "weights_0": "attention",
             "Qs_0": "query", "Ks_0": "key", "Vs_0": "value", "outs_0": "output", "scores": "score",
             "exp_scores": "score", "exp_sums": "score", "terms": "output"}
    question = "Multi-head attention works like the kernels of a CNN"
    question_caption = ("A conv layer: several kernels, one feature map each. Multi-head attention: several heads, "
                        "one output each. We set one kernel beside one head.")
    recap_caption = "Several filters, shared weights, one output each, stacked, sized by design."

    # -- helpers ------------------------------------------------------------------------------

    def size(self, name: str, d: int) -> int:
        """Return one dimension of a tensor (for layout only)."""
        return int(self.b.tensors[name].shape[d])


    def unit_legend(self, width: float = 1.6, role: str = "attention") -> Group:
        """Return the 0 .. 1 colour scale, tinted like the heatmaps it explains (image: input, weights: attention)."""
        b = self.b
        return self.colour_scale("unit_ramp", "one", b.value("unit_ramp", (0, 0), 0), b.value("one", (), 0), width,
                                 role=role)

    def map_legend(self, width: float = 1.6) -> Group:
        """Return the colour scale of the feature maps (grey negative, the output tint positive)."""
        b = self.b
        return self.colour_scale("map_ramp", "map_scale", b.value("map_ramp", (0, 0), 0), b.value("map_scale", (), 0),
                                 width, role="output")

    def seq_legend(self, width: float = 1.6, role: str = "weight") -> Group:
        """Return the colour scale of X (role input) or of the weight matrices (role weight)."""
        b = self.b
        return self.colour_scale("seq_ramp", "seq_scale", b.value("seq_ramp", (0, 0)), b.value("seq_scale", ()), width,
                                 role=role)

    def axes(self, heat: Mobject, rows: str = "query", cols: str = "key") -> VGroup:
        """Return axis names of a heatmap: columns named above (→), rows named on the left (↓)."""
        top = style.note(f"{cols} →", color=style.MUTED).next_to(heat, UP, buff=0.1).align_to(heat, LEFT)
        side = style.note(f"{rows} ↓", color=style.MUTED).next_to(heat, LEFT, buff=0.15)
        return VGroup(top, side.align_to(heat, UP))


    def word(self, i: int, color: str = style.TEXT) -> Mobject:
        """Return word i of the sentence."""
        return self.prose("{w}", color=color, w=self.b.string(f"word_{i}"))

    def on_baseline(self, label: Mobject, i: int, y: float) -> Mobject:
        """Move word label i so that its baseline (not its lowest glyph) sits at height y."""
        ink, plain = style.note("ag"), style.note("a")
        depth = ink.height - plain.height  # how far g, j, p, q, y reach below the baseline
        low = bool(set(self.b.strings[f"word_{i}"]) & set("gjpqy"))
        return label.shift(UP * (y - label.get_bottom()[1] - (depth if low else 0.0)))


    def head_name(self, h: int, stacked: bool = False) -> Mobject:
        """Return 'head h: one back' (one-based; what the head was trained to read), on one line or two."""
        b = self.b
        if stacked:
            return VGroup(self.prose("head {h}", h=b.index("weights", 1, h)),
                          self.prose("{s}", color=style.MUTED, s=b.string(f"look_{h}"))).arrange(DOWN, buff=0.1)
        return self.prose("head {h}: {s}", h=b.index("weights", 1, h), s=b.string(f"look_{h}"))

    def kernel_name(self, c: int) -> Mobject:
        """Return the name of kernel c."""
        return self.prose("{s}", s=self.b.string(f"kernel_name_{c}"))

    def side_titles(self) -> VGroup:
        """Return the 'Convolution: a kernel' and 'Attention: a head' column titles, and a divider."""
        left, right = halves(TITLE)
        titles = VGroup(left.place(style.note("*Convolution*: a kernel", size=style.LABEL_SIZE)),
                        right.place(style.note("*Attention*: a head", size=style.LABEL_SIZE)))
        x = style.STAGE.centre[0]
        divider = Line([x, TITLE.top, 0], [x, LINE.bottom, 0], color=style.MUTED, stroke_width=1.5).set_opacity(0.5)
        return VGroup(titles, divider)

    # -- beat 1 ---------------------------------------------------------------------------------
    def intro(self) -> None:
        b = self.b
        conv = self.prose("a conv layer: {K} kernels → {K} feature maps", style.LABEL_SIZE, K=b.dim("maps", 0))
        attn = self.prose("an attention layer: {H} heads → {H} head outputs", style.LABEL_SIZE,
                          H=b.dim("head_out", 1))
        pair = style.note("compared here: one kernel ↔ one head", size=style.LABEL_SIZE, color=style.MUTED)
        self.ask(self.question_caption, self.question, conv, attn, pair, chapter="Kernels and heads")

    # -- beat 2 ---------------------------------------------------------------------------------
    def conv_stage(self) -> SimpleNamespace:
        """Lay out image, kernel 1 and its map on top, the window line under them, the check at the foot."""
        b, s = self.b, SimpleNamespace()
        size, narrow, wide = self.conv_sizes()
        s.image = self.matrix("image", decimals=0, size=size, cell=narrow)
        s.kernel = self.matrix("kernels", (0,), decimals=0, size=size, cell=wide)
        s.map = self.matrix("maps", (0,), decimals=0, size=size, cell=wide)
        s.arrow = style.arrow(LEFT, RIGHT)
        top = VGroup(s.image, s.kernel, s.arrow, s.map).arrange(RIGHT, buff=0.7)
        s.image_label = self.prose("image, {n} × {n}: {o} bright, {z} dark", color=style.MUTED, n=b.dim("image", 0),
                                   o=b.value("one", (), 0), z=b.value("unit_ramp", (0, 0), 0))
        s.kernel_label = self.prose("kernel {c}: {s}", c=b.index("kernels", 0, 0), s=b.string("kernel_name_0"))
        s.map_label = self.prose("feature map {c}", c=b.index("maps", 0, 0))
        for label, mat in ((s.image_label, s.image), (s.kernel_label, s.kernel), (s.map_label, s.map)):
            label.next_to(mat, UP, buff=0.15)
        s.line = self.window_line(0, 0)
        s.check = self.prose("all {K} maps against `F.conv2d`: largest difference {d}", style.LABEL_SIZE,
                             K=b.dim("maps", 0), d=b.value("conv_max_diff", (), 2, "g"))
        k = self.size("kernels", 1)
        upper, middle, foot = style.STAGE.rows(*((3.4, 1.6, 0.4) if k <= 3 else (3.2, 1.8, 0.4)), gap=0.3)
        upper.place(VGroup(top, s.image_label, s.kernel_label, s.map_label))
        middle.place(s.line)
        foot.place(s.check)
        return s

    def conv_sizes(self) -> tuple[float, tuple[float, float], tuple[float, float]]:
        """Return the font size and the narrow (0/1 pixels) and wide cells of the worked convolution."""
        if self.size("image", 0) <= 6 and self.size("kernels", 1) <= 3:
            return BIG, (0.55, 0.48), (0.7, 0.48)
        return style.NUMBER_SIZE, (0.45, 0.4), (0.6, 0.4)  # a 7-pixel image or a 4 x 4 kernel: smaller, still legible

    def window_line(self, r: int, c: int) -> VGroup:
        """Return 'window ⊙ kernel = products, summed = entry' for map pixel (r, c) of kernel 1."""
        b = self.b
        size, narrow, wide = self.conv_sizes()
        window = self.matrix("windows", (r, c), decimals=0, size=size, cell=narrow)
        kern = self.matrix("kernels", (0,), decimals=0, size=size, cell=wide)
        prods = self.matrix("products", (r, c), decimals=0, size=size, cell=wide)
        total = b.number(b.value("maps", (0, r, c), 0), style.LABEL_SIZE, color=style.ROLE["output"])
        return self.window_sum(window, kern, prods, total)

    def compute_entry(self, s: SimpleNamespace, line: VGroup, r: int, c: int, first: bool) -> None:
        """Fly the window and the kernel into the line, multiply entry by entry, sum, and drop it in the map."""
        k = self.size("kernels", 1)
        cells = VGroup(*(s.image.entry(r + a, c + z) for a in range(k) for z in range(k)))
        anims = [TransformFromCopy(cells, line.window.entries), FadeIn(line.window.brackets)]
        if first:
            anims += [TransformFromCopy(s.kernel.entries, line.kern.entries), FadeIn(line.kern.brackets),
                      FadeIn(line.symbols[0])]
        self.play(*anims, run_time=1.0)
        pairs = [(VGroup(line.window.entry(a, z), line.kern.entry(a, z)), line.prods.entry(a, z))
                 for a in range(k) for z in range(k)]
        extra = [FadeIn(line.symbols[1])] if first else []
        self.combine(pairs, FadeIn(line.prods.brackets), *extra, run_time=1.4)
        self.combine([(line.prods.entries, line.total)], *([FadeIn(line.symbols[2])] if first else []), run_time=0.8)
        self.play(TransformFromCopy(line.total, s.map.entry(r, c)), run_time=0.6)

    def conv(self) -> None:
        self.beat("Kernels make feature maps")
        b, s = self.b, self.conv_stage()
        k, m = self.size("kernels", 1), self.size("maps", 1)
        self.say("A {n} by {n} image of zeros and ones, and kernel {c}, a vertical-edge detector.",
                 n=b.dim("image", 0), c=b.index("kernels", 0, 0))
        self.play(FadeIn(s.image), FadeIn(s.image_label), FadeIn(s.kernel), FadeIn(s.kernel_label), Create(s.arrow),
                  Create(s.map.brackets), FadeIn(s.map_label), run_time=1.0)
        win = highlight(s.image.box(rows=(0, k), cols=(0, k), color=MARK))
        self.say("Window times kernel, entry by entry: {w} products. Their sum, {v}, is one map entry.",
                 w=b.value("kernel_numel", (), 0), v=b.value("maps", (0, 0, 0), 0))
        self.play(Create(win), run_time=0.5)
        self.compute_entry(s, s.line, 0, 0, first=True)
        self.say("Slide one step right: the same kernel on the next window gives the next entry, {v}.",
                 v=b.value("maps", (0, 0, 1), 0))
        line = self.window_line(0, 1)
        for part in ("window", "prods", "total"):
            getattr(line, part).move_to(getattr(s.line, part))
        self.play(win.animate.become(highlight(s.image.box(rows=(0, k), cols=(1, 1 + k), color=MARK))), run_time=0.6)
        self.gone(s.line.window, s.line.prods, s.line.total)
        line.kern, line.symbols = s.line.kern, s.line.symbols
        self.compute_entry(s, line, 0, 1, first=False)
        self.say("Sliding over all {P} places fills the map: non-zero only where the window straddles a "
                 "vertical edge of the square.", P=b.value("map_positions", (), 0))
        self.gone(line.window, line.prods, line.total, line.kern, line.symbols)
        for r in range(m):
            sweep = [AnimationGroup(win.animate.become(highlight(s.image.box(rows=(r, r + k), cols=(c, c + k),
                                                                             color=MARK))),
                                    FadeIn(s.map.entry(r, c), shift=DOWN * 0.1))
                     for c in range(m) if (r, c) > (0, 1)]
            if sweep:
                self.play(Succession(*sweep), run_time=0.25 * len(sweep))
        self.play(FadeOut(win), run_time=0.3)
        self.say_gap("conv_max_diff", "torch's F.conv2d gives the same map: the largest difference is exactly {d}.",
                     "torch's F.conv2d gives the same map up to float32 rounding: {d}.")
        self.play(FadeIn(s.check, shift=UP * 0.2), run_time=0.6)
        n = self.size("image", 0)
        pic = self.framed_heatmap("image", "one", s.image.height * 0.95)
        pic.move_to(s.image)
        scale = self.unit_legend(1.4, role="input").next_to(pic, DOWN, buff=0.3)
        self.say("From here on the image is drawn as a picture: each pixel's colour is its value, {z} dark, {o} bright.",
                 z=b.value("unit_ramp", (0, 0), 0), o=b.value("one", (), 0))
        self.play(FadeTransform(VGroup(s.image.entries, s.image.brackets), pic), FadeOut(s.image_label),
                  FadeIn(scale), run_time=1.2)
        self.image_pic = (pic, scale, n)
        self.clear_stage()

    # -- beat 3 ---------------------------------------------------------------------------------
    def attention_inputs(self) -> SimpleNamespace:
        """Lay out the words, X and W^q, W^k, W^v as heatmaps with the heads' column bands."""
        b, s = self.b, SimpleNamespace()
        L, D, H = self.size("X", 1), self.size("X", 2), self.size("weights", 1)
        s.X = self.framed_heatmap("X_0", "seq_scale", min(0.36 * L, 1.8))
        s.words = label_rows_heat(s.X[0], [self.word(i) for i in range(L)], L)
        s.X_name = self.prose("$X$ = embedding + position, {L} × {D}", color=style.MUTED, L=b.dim("X", 1),
                              D=b.dim("X", 2))
        s.W = [self.framed_heatmap(name, "seq_scale", min(0.3 * D, 1.7)) for name in ("W_q", "W_k", "W_v")]
        s.W_names = [style.note(f"$W^{t}$") for t in ("q", "k", "v")]
        ws = Group(*s.W).arrange(RIGHT, buff=0.45)
        left = Group(s.words, s.X)
        Group(left, ws).arrange(RIGHT, buff=max(1.0, s.X_name.width - left.width + 0.6), aligned_edge=UP)
        for name, w in zip(s.W_names, s.W):
            name.next_to(w, UP, buff=0.12)
        s.X_name.next_to(s.X, UP, buff=0.12).align_to(s.words, LEFT)
        s.bands = VGroup()
        s.band_labels = VGroup()
        for w in s.W:
            heat = w[0]
            for h in range(1, H):
                x = heat.get_left()[0] + heat.width * h / H
                s.bands.add(Line([x, heat.get_top()[1], 0], [x, heat.get_bottom()[1], 0], color=style.TEXT,
                                 stroke_width=2.5))
            for h in range(H):
                x = heat.get_left()[0] + heat.width * (h + 0.5) / H
                s.band_labels.add(self.math("{h}", color=style.MUTED, h=b.index("weights", 1, h))
                                  .move_to([x, heat.get_bottom()[1] - 0.25, 0]))
        s.heads_word = style.note("head", color=style.MUTED).next_to(s.band_labels[0], LEFT, buff=0.2)
        s.boxes = VGroup(*(pixel_box(w[0], (D, D), (0, D), (0, D // H), MARK) for w in s.W))
        s.scale = self.seq_legend(1.2).next_to(ws, RIGHT, buff=0.5)
        s.xscale = self.seq_legend(1.2, role="input").next_to(s.X, DOWN, buff=0.3)
        s.sizes = self.prose("each {D} × {D}; a head owns d = {d} columns", color=style.MUTED, D=b.dim("W_q", 0),
                             d=b.dim("head_out", 3)).next_to(s.band_labels, DOWN, buff=0.2).set_x(ws.get_center()[0])
        s.trained = self.prose("trained weights: training loss {a} → {z}, held-out accuracy {p} %", color=style.MUTED,
                               a=b.value("first_loss", ()), z=b.value("last_loss", ()), p=b.value("accuracy", (), 0))
        s.group = Group(left, ws, s.X_name, *s.W_names, s.bands, s.band_labels, s.heads_word, s.scale, s.xscale,
                        s.sizes, s.boxes)
        return s  # the boxes ride in the group: placing the group moves them onto their heatmaps

    def head_stage(self) -> SimpleNamespace:
        """Lay out Q1, K1, A1 (query words on the left, key words on top), V1 and the output of head 1."""
        b, s = self.b, SimpleNamespace()
        L = self.size("X", 1)
        cell, wide = (0.85, 0.42), (1.0, 0.42)  # V and the output reach two-digit values: wider columns
        wa = 0.85 if L < 6 else 0.76
        s.Q, s.K = (self.matrix(f"{t}s_0", cell=cell) for t in ("Q", "K"))
        s.V = self.matrix("Vs_0", cell=wide)
        s.A = self.matrix("weights", (0, 0), cell=(wa, 0.42))
        s.out = self.matrix("outs_0", cell=wide)
        row = VGroup(s.Q, s.K, s.A, s.V).arrange(RIGHT, buff=0.35 if L < 6 else 0.25)
        s.out.next_to(s.V, RIGHT, buff=0.4)  # off to the right until Q and K have made room
        h = b.index("weights", 1, 0)
        s.names = VGroup(*(style.title_above(m, self.math(t, h=h)) for m, t in
                           ((s.Q, "Q_{h}"), (s.K, "K_{h}"), (s.V, "V_{h}"))))
        s.out_name = self.math("A_{h} V_{h}", h=h)  # placed over the output once it has its place
        s.keys = label_columns(s.A, [self.word(j, style.MUTED) for j in range(L)], buff=0.15)
        for j, key in enumerate(s.keys):
            self.on_baseline(key, j, s.A.get_top()[1] + 0.2)
        s.A_name = self.math('A_{h} = "softmax"(S_{h})', color=style.TEXT, h=h)
        s.A_name.next_to(s.keys, UP, buff=0.15)
        s.S = self.matrix("scores", (0, 0), cell=(wa, 0.42)).move_to(s.A)
        s.S_name = self.math("S_{h} = Q_{h} K_{h}^T \\/ sqrt(d)", color=style.TEXT, h=h).move_to(s.A_name)
        s.queries = label_rows(s.Q, [self.word(i, style.MUTED) for i in range(L)], buff=0.2)
        s.group = VGroup(row, s.names, s.keys, s.A_name, s.queries, s.S, s.S_name)
        d = self.size("head_out", 3)
        s.part = VGroup()
        if d > s.Q.n_cols:  # a wide head: say which columns are written out
            s.part = self.prose("written out: the first {c} of the d = {d} columns of $Q_{h}$, $K_{h}$, $V_{h}$ and the output",
                                color=style.MUTED, c=b.dim("Qs_0", 1), d=b.dim("head_out", 3), h=b.index("weights", 1, 0))
            s.part.next_to(row, DOWN, buff=0.2)
            s.group.add(s.part)
        return s

    def row_table(self, i: int, area: style.Region) -> SimpleNamespace:
        """Lay out query i's softmax and weighted sum as a table under the stage, one column per key word.

        Rows: scores s, e^s (with their sum), weights; later the weights move up and values and products
        take the rows below, with the products' sum on the right.
        """
        b, t = self.b, SimpleNamespace()
        L = self.size("X", 1)
        num = b.number

        def cells(name: str, index, role: str) -> VGroup:
            return VGroup(*(num(b.value(name, index(c)), style.NUMBER_SIZE, color=style.ROLE[role]) for c in range(L)))

        t.s = cells("scores", lambda c: (0, 0, i, c), "score")
        t.e = cells("exp_scores", lambda c: (0, 0, i, c), "score")
        t.w = cells("weights", lambda c: (0, 0, i, c), "attention")
        t.v = cells("V_0", lambda c: (c, 0), "value")
        t.p = cells("terms", lambda c: (i, c, 0), "output")
        t.total = num(b.value("exp_sums", (0, 0, i, 0)), style.NUMBER_SIZE, color=style.ROLE["score"])
        t.wsum = num(b.value("row_sums", (0, 0, i, 0)), style.NUMBER_SIZE, color=style.ROLE["attention"])
        t.sigma3 = style.note("$Sigma =$")
        t.out = num(b.value("head_out", (0, 0, i, 0)), style.NUMBER_SIZE, color=style.ROLE["output"])
        t.sigma, t.sigma2 = style.note("$Sigma =$"), style.note("$Sigma =$")
        t.heads = VGroup(*(self.word(c, style.MUTED) for c in range(L)))
        t.names = VGroup(self.prose("{q}'s scores $s$", color=style.MUTED, q=b.string(f"word_{i}")),
                         style.note("$e^s$", color=style.MUTED),
                         style.note("weights $e^s \\/ Sigma$", color=style.MUTED))
        t.more = VGroup(style.note("values $v$", color=style.MUTED), style.note("products", color=style.MUTED))
        t.note = style.note("products of the unrounded numbers, then rounded", color=style.MUTED)
        widest = max(m.width for m in (*t.s, *t.e, *t.w, *t.v, *t.p))
        step = max(1.2, widest + 0.4)
        pitch = 0.55
        label_w = max(m.width for m in (*t.names, *t.more))
        right_w = t.sigma.width + 0.15 + max(t.total.width, t.out.width)
        width = label_w + 0.4 + L * step + 0.3 + right_w
        x0 = area.centre[0] - width / 2 + label_w + 0.4  # left edge of the first column
        y0 = area.top - 0.25
        t.xs = [x0 + (c + 0.5) * step for c in range(L)]
        t.ys = [y0 - k * pitch for k in range(4)]
        for c in range(L):
            self.on_baseline(t.heads[c].set_x(t.xs[c]), c, t.ys[0] - 0.08)
        for k, group in ((1, t.s), (2, t.e), (3, t.w), (2, t.v), (3, t.p)):
            for c, m in enumerate(group):
                m.move_to([t.xs[c], t.ys[k], 0])
        for k, label in ((1, t.names[0]), (2, t.names[1]), (3, t.names[2]), (2, t.more[0]), (3, t.more[1])):
            label.move_to([x0 - 0.4 - label.width / 2, t.ys[k], 0])
        xr = x0 + L * step + 0.3
        for sig, tot, k in ((t.sigma, t.total, 2), (t.sigma2, t.out, 3), (t.sigma3, t.wsum, 3)):
            sig.move_to([xr + sig.width / 2, t.ys[k], 0])
            tot.next_to(sig, RIGHT, buff=0.15)
        t.note.move_to([area.centre[0], t.ys[3] - pitch - 0.05, 0])
        t.lift = UP * (t.ys[1] - t.ys[3])
        t.rest = lambda: VGroup(t.heads, t.names[2], t.w, t.more, t.v, t.p, t.sigma2, t.out, t.note)
        return t

    def tasks(self) -> VGroup:
        """Return one line per head: what it was trained to name, with an example from the sentence."""
        b = self.b
        L, H = self.size("X", 1), self.size("weights", 1)
        i = min(2, L - 1)
        lines = VGroup()
        for h in range(H):
            off = OFFSETS[h]
            q = next((p for p in [i, *range(L)] if 0 <= p + off < L), None)
            if q is None:
                lines.add(self.head_name(h))
                continue
            lines.add(self.prose("head {h} names the word {s}:   {q} → {k}", style.LABEL_SIZE,
                                 h=b.index("weights", 1, h), s=b.string(f"look_{h}"), q=b.string(f"word_{q}"),
                                 k=b.string(f"word_{q + off}")))
        return lines.arrange(DOWN, buff=0.3, aligned_edge=LEFT)

    def qk_line(self, t: SimpleNamespace, i: int, j: int) -> VGroup:
        """Return 'q1 × k1 + q2 × k2 = dot,  / √d = score' for query word i and key word j of head 1."""
        b = self.b
        num = b.number
        c = t.Q.n_cols
        parts, pairs = [], []
        for a in range(c):
            qa = num(b.value("Qs_0", (i, a)), style.NUMBER_SIZE, color=style.ROLE["query"])
            ka = num(b.value("Ks_0", (j, a)), style.NUMBER_SIZE, color=style.ROLE["key"])
            if a:
                parts.append(style.note("$+$"))
            parts += [qa, style.note("$times$"), ka]
            pairs += [(t.Q.entry(i, a), qa), (t.K.entry(j, a), ka)]
        if self.size("head_out", 3) > c:
            parts.append(style.note("$+ dots$"))
        dot = num(b.value("dots", (0, 0, i, j)), style.NUMBER_SIZE, color=style.ROLE["score"])
        over = self.math("\\/ sqrt({d}) =", d=b.dim("head_out", 3))
        score = num(b.value("scores", (0, 0, i, j)), style.NUMBER_SIZE, color=style.ROLE["score"])
        parts += [style.note("$=$"), dot, over, score]
        line = VGroup(*parts).arrange(RIGHT, buff=0.15)
        it = cast(Any, line)
        it.pairs, it.dot, it.score, it.terms = pairs, dot, score, VGroup(*(p for _, p in pairs))
        it.symbols = VGroup(*(m for m in parts if m not in (dot, score) and m not in it.terms and m is not over))
        it.over = over
        return line

    def attention(self) -> None:
        self.beat("One head, step by step")
        b = self.b
        L, H = self.size("X", 1), self.size("weights", 1)
        s = self.attention_inputs()
        t = self.head_stage()
        first = Group(t.Q, t.K, t.V, t.names, t.queries, t.part)  # what the inputs flow into
        t.group.move_to(style.STAGE.centre).shift(UP * (style.STAGE.bottom + 0.05 - first.get_bottom()[1]))
        upper = style.Region(style.STAGE.left, style.STAGE.right, style.STAGE.top, first.get_top()[1] + 0.25)
        upper.place(s.group)
        tasks = self.tasks()
        s.trained.next_to(tasks, DOWN, buff=0.5)
        style.STAGE.place(VGroup(tasks, s.trained))
        looks = [f"{{l{h}}}" for h in range(H)]
        said = looks[0] if H == 1 else ", ".join(looks[:-1]) + " and " + looks[-1]
        self.say("A small attention model, really trained: {H} heads, to name the word " + said + ".",
                 H=b.dim("weights", 1), **{f"l{h}": b.string(f"look_{h}") for h in range(H)})
        self.play(LaggedStart(*(FadeIn(line, shift=RIGHT * 0.2) for line in tasks), lag_ratio=0.4),
                  FadeIn(s.trained, shift=UP * 0.2), run_time=1.4)
        self.say("Its input X: each word's embedding plus its position, one row per word.")
        self.play(FadeOut(tasks), FadeOut(s.trained), run_time=0.4)
        self.play(FadeIn(s.X), FadeIn(s.X_name), FadeIn(s.xscale), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(w, shift=RIGHT * 0.2) for w in s.words), lag_ratio=0.3), run_time=1.0)
        self.say("W^q, W^k and W^v are {D} by {D}; each of the {H} heads owns d = {d} of their columns.",
                 D=b.dim("W_q", 0), H=b.dim("weights", 1), d=b.dim("head_out", 3))
        self.play(LaggedStart(*(FadeIn(Group(w, n)) for w, n in zip(s.W, s.W_names)), lag_ratio=0.3),
                  FadeIn(s.scale), run_time=1.0)
        self.play(Create(s.bands), FadeIn(s.band_labels), FadeIn(s.heads_word), FadeIn(s.sizes), run_time=0.8)
        self.play(Create(s.boxes), run_time=0.6)
        self.say("Head {h} multiplies X by its own columns: Q{h}, K{h} and V{h}, one row per word.",
                 h=b.index("weights", 1, 0))
        self.play(FadeIn(t.queries), *(self.flow(Group(s.X, box), m) for box, m in zip(s.boxes, (t.Q, t.K, t.V))),
                  FadeIn(t.names), FadeIn(t.part), run_time=1.4)
        self.gone(s.group, run_time=0.5)
        lift = UP * (style.STAGE.top - 0.1 - t.group.get_top()[1])
        for hidden in (t.A, t.S, t.keys, t.A_name, t.S_name, t.out):  # not on stage yet: placed, not animated
            hidden.shift(lift)
        self.play(first.animate.shift(lift), run_time=0.8)
        below = style.Region(style.STAGE.left, style.STAGE.right, t.group.get_bottom()[1] - 0.2, style.STAGE.bottom)
        h = b.index("weights", 1, 0)
        i = min(2, L - 1)
        j = max(i - 1, 0)
        qk = self.qk_line(t, i, j)
        qk.move_to([style.STAGE.centre[0], below.top - 0.5, 0])
        boxes = VGroup(highlight(t.Q.box(rows=(i, i + 1), color=MARK)), highlight(t.K.box(rows=(j, j + 1), color=MARK)))
        self.say("One score: {q}'s query row times {k}'s key row, term by term, summed, over √d: {s}.",
                 q=b.string(f"word_{i}"), k=b.string(f"word_{j}"), s=b.value("scores", (0, 0, i, j)))
        self.play(Create(boxes), FadeIn(t.S.brackets), FadeIn(t.keys), FadeIn(t.S_name), run_time=0.6)
        self.combine(qk.pairs, FadeIn(qk.symbols), run_time=1.0)
        self.combine([(qk.terms, qk.dot)], run_time=0.6)
        self.combine([(qk.dot, qk.score)], FadeIn(qk.over), run_time=0.6)
        self.combine([(qk.score, t.S.entry(i, j))], run_time=0.6)
        self.say("Every query row times every key row, row by row. A row of S is a query word, a column a key word.")
        self.gone(qk, boxes, run_time=0.3)
        for r in range(L):
            self.combine([(VGroup(t.Q.row(r), t.K.row(c)), t.S.entry(r, c)) for c in range(L) if (r, c) != (i, j)],
                         lag_ratio=0.1, run_time=0.5)
        self.settle(t.S)
        tab = self.row_table(i, below)
        srow = highlight(t.S.box(rows=(i, i + 1), color=MARK))
        self.say("Softmax turns {q}'s scores into weights: e to each score, each divided by their sum, {z}.",
                 q=b.string(f"word_{i}"), z=b.value("exp_sums", (0, 0, i, 0)))
        self.play(Create(srow), FadeIn(tab.heads), FadeIn(tab.names[:3]), run_time=0.6)
        self.combine([(t.S.entry(i, c), tab.s[c]) for c in range(L)], run_time=0.9)
        self.combine([(tab.s[c], tab.e[c]) for c in range(L)], run_time=0.9)
        self.combine([(tab.e, tab.total)], FadeIn(tab.sigma), run_time=0.8)
        self.combine([(VGroup(tab.e[c], tab.total), tab.w[c]) for c in range(L)], run_time=1.0)
        self.say("{q}'s weights sum to {s}. Every row the same way gives head {h}'s weights, A{h}.", h=h,
                 q=b.string(f"word_{i}"), s=b.value("row_sums", (0, 0, i, 0)))
        self.combine([(tab.w, tab.wsum)], FadeIn(tab.sigma3), run_time=0.8)
        self.combine([(tab.w[c], t.A.entry(i, c)) for c in range(L)], FadeOut(t.S.row(i)), FadeOut(srow),
                     run_time=0.9)
        rows = [r for r in range(L) if r != i]
        self.combine([(t.S.entry(r, c), t.A.entry(r, c)) for r in rows for c in range(L)],
                     *(FadeOut(t.S.row(r)) for r in rows), FadeOut(t.S.brackets), FadeIn(t.A.brackets),
                     FadeOut(t.S_name), FadeIn(t.A_name), lag_ratio=0.03, run_time=1.4)
        self.remove(t.S)
        self.settle(t.A)
        row = highlight(t.A.box(rows=(i, i + 1), color=MARK))
        self.say("Trained to name the word before, head {h} gives {w} of {q}'s weight to {k}, the word before it.",
                 h=h, w=b.value("weights", (0, 0, i, j)), q=b.string(f"word_{i}"), k=b.string(f"word_{j}"))
        self.play(Create(row), FadeOut(VGroup(tab.s, tab.e, tab.total, tab.sigma, tab.names[:2], tab.wsum, tab.sigma3)),
                  run_time=0.8)
        # Q and K are done: A and V move left, the output takes their place on the right
        dx = t.Q.get_left()[0] - t.A.get_left()[0]
        moving = VGroup(t.A, t.keys, t.A_name, t.V, t.names[2], row)
        t.out.shift(RIGHT * dx)
        t.out.next_to(t.V.copy().shift(RIGHT * dx), RIGHT, buff=0.4)
        t.out_name.next_to(t.out, UP, buff=0.1)
        t.out_name.set_y(t.names[2].get_y())
        vcol = highlight(t.V.box(cols=(0, 1), color=MARK)).shift(RIGHT * dx)
        exact = self.exact("terms_gap", (i,))
        self.say("Output: each weight times its word's value, then the products summed: {o}, mostly {k}'s value."
                 if exact else "Output: each weight times its word's value; the unrounded products sum to {o}, "
                 "mostly {k}'s value.", o=b.value("head_out", (0, 0, i, 0)), k=b.string(f"word_{j}"))
        self.play(FadeOut(VGroup(t.Q, t.K, t.names[:2])), moving.animate.shift(RIGHT * dx), run_time=0.7)
        self.play(Create(vcol), Create(t.out.brackets), FadeIn(t.out_name), tab.w.animate.shift(tab.lift),
                  tab.names[2].animate.shift(tab.lift), run_time=0.7)
        self.play(FadeIn(tab.more[0]), run_time=0.3)
        self.combine([(t.V.entry(c, 0), tab.v[c]) for c in range(L)], run_time=0.9)
        self.combine([(VGroup(tab.w[c], tab.v[c]), tab.p[c]) for c in range(L)], FadeIn(tab.more[1]), run_time=1.0)
        self.combine([(tab.p, tab.out)], FadeIn(tab.sigma2), FadeIn(tab.note), run_time=0.8)
        self.play(TransformFromCopy(tab.out, t.out.entry(i, 0)), run_time=0.7)
        self.say("Every entry the same way: each word's output is nearly the value of the word before it; {w}, the "
                 "first word, has none and keeps mostly its own.", w=b.string("word_0"))
        self.play(FadeOut(vcol), FadeOut(row), FadeOut(tab.rest()), run_time=0.4)
        for r in range(L):
            todo = [(VGroup(t.A.row(r), t.V.column_band(c, c + 1)), t.out.entry(r, c))
                    for c in range(t.out.n_cols) if (r, c) != (i, 0)]
            if todo:
                self.combine(todo, lag_ratio=0.3, run_time=0.5)
        self.clear_stage()

    # -- beat 4 ---------------------------------------------------------------------------------
    def views(self) -> None:
        self.beat("Several views of one input")
        b = self.b
        K, H = self.size("maps", 0), self.size("weights", 1)
        left, right = halves(PICTURE)
        maps = Group(*(Group(self.framed_heatmap(f"map_{c}", f"map_scale_{c}", 1.7), self.kernel_name(c),
                             self.colour_scale(f"map_ramp_{c}", f"map_scale_{c}", b.value(f"map_ramp_{c}", (0, 0), 2, "g"),
                                         b.value(f"map_scale_{c}", (), 2, "g"), 0.8, role="output")).arrange(DOWN, buff=0.2)
                       for c in range(K))).arrange(RIGHT, buff=0.35, aligned_edge=UP)
        heads = Group(*(Group(self.framed_heatmap(f"weights_{h}", "one", 1.6), self.head_name(h, stacked=True))
                        .arrange(DOWN, buff=0.15)
                        for h in range(H))).arrange(RIGHT, buff=0.3, aligned_edge=UP)
        heads_scale = self.unit_legend()
        conv_pic = left.place(maps)
        axes = self.axes(heads[0][0])
        attn_pic = right.place(Group(heads, heads_scale.next_to(heads, DOWN, buff=0.5), axes))
        conv_pic.align_to(attn_pic, UP)
        conv_text = halves(LINE)[0].place(self.prose("{K} kernels, {K} different maps of one image", style.LABEL_SIZE,
                                                     K=b.dim("maps", 0)))
        attn_text = halves(LINE)[1].place(self.prose("{H} heads, {H} different weightings of one sentence",
                                                     style.LABEL_SIZE, H=b.dim("weights", 1)))
        check = NOTE.place(self.prose("largest |head outputs, weights − `nn.MultiheadAttention`| = {d}",
                                      color=style.MUTED, d=b.value("mha_max_diff", (), 2, "g")))
        L = self.size("X", 1)
        queries = label_rows_heat(heads[0][0][0], [self.word(i, style.MUTED) for i in range(L)], L)
        axes[1].next_to(queries, UP, buff=0.1).align_to(queries, RIGHT)
        # the heads' outputs: one L x d heatmap in the place of each head's weights, then pushed side by side
        outs = [self.framed_heatmap(f"out_{h}", "out_scale", heads[h][0].height).move_to(heads[h][0]) for h in range(H)]
        block = Group(*(o.copy() for o in outs)).arrange(RIGHT, buff=0.04).move_to(Group(*(g[0] for g in heads)))
        tags = VGroup(*(self.math("{h}", color=style.MUTED, h=b.index("weights", 1, h))
                        .next_to(block[h], DOWN, buff=0.12) for h in range(H)))
        tags.add(style.note("head", color=style.MUTED).next_to(tags[0], LEFT, buff=0.2))
        out_scale = self.colour_scale("out_ramp", "out_scale", b.value("out_ramp", (0, 0)), b.value("out_scale", ()),
                                      1.2, role="output").move_to(heads_scale)
        joined = self.prose("side by side: {L} × {D}, one row per word", color=style.MUTED, L=b.dim("X", 1),
                            D=b.dim("X", 2)).next_to(block, UP, buff=0.25)
        out_text = halves(LINE)[1].place(self.prose("{H} heads, {H} outputs of {L} × {d}", style.LABEL_SIZE,
                                                    H=b.dim("weights", 1), L=b.dim("X", 1), d=b.dim("head_out", 3)))
        w_o = self.prose("usually then × a {D} × {D} $W^o$; this model has none", color=style.MUTED,
                         D=b.dim("X", 2)).next_to(tags, DOWN, buff=0.25).set_x(block.get_center()[0])
        looks = ", ".join(f"{{l{h}}}" for h in range(H))
        self.say("Several views: each kernel finds something else in one image: vertical edges, horizontal edges, "
                 "a blur.")
        self.play(FadeIn(self.side_titles()), LaggedStart(*(FadeIn(g) for g in maps), lag_ratio=0.3),
                  FadeIn(conv_text), LaggedStart(*(FadeIn(g) for g in heads), lag_ratio=0.3), FadeIn(axes),
                  FadeIn(queries), FadeIn(heads_scale), FadeIn(attn_text), run_time=1.6)
        self.say("Each trained head weights the words its own way: " + looks + ". Bright is weight near {o}.",
                 o=b.value("one", (), 0), **{f"l{h}": b.string(f"look_{h}") for h in range(H)})
        self.play(LaggedStart(*(Indicate(g[0][1], scale_factor=1.05, color=MARK) for g in heads), lag_ratio=0.5),
                  run_time=1.5)
        self.say("Like each kernel's map, each head gives its own output, {L} by {d}: set side by side, {L} by {D}.",
                 L=b.dim("X", 1), d=b.dim("head_out", 3), D=b.dim("X", 2))
        self.play(*(FadeOut(g[0]) for g in heads), *(FadeIn(o) for o in outs), FadeOut(axes), FadeOut(queries),
                  FadeOut(heads_scale), FadeIn(out_scale), FadeOut(attn_text), FadeIn(out_text), run_time=1.0)
        self.play(*(o.animate.move_to(c) for o, c in zip(outs, block)), FadeOut(Group(*(g[1] for g in heads))),
                  FadeIn(tags), FadeIn(joined), run_time=1.0)
        self.say_gap("mha_max_diff", "torch's nn.MultiheadAttention, with no W^o mixing the heads, agrees exactly: {d}.",
                     "torch's nn.MultiheadAttention, with no W^o mixing the heads, agrees to float32 rounding: {d}.")
        self.play(FadeIn(w_o, shift=UP * 0.2), FadeIn(check, shift=UP * 0.2), run_time=0.6)
        self.clear_stage()

    # -- beat 5 ---------------------------------------------------------------------------------
    def local_global(self) -> None:
        self.beat("Local and global")
        b = self.b
        n, m, k = self.size("image", 0), self.size("maps", 1), self.size("kernels", 1)
        L = self.size("X", 1)
        left, right = halves(PICTURE)
        img, fmap = self.framed_heatmap("image", "one", 2.4), self.framed_heatmap("map_0", "map_scale", 2.4 * m / n)
        pics = Group(img, style.arrow(LEFT * 0.5, RIGHT * 0.5, buff=0), fmap).arrange(RIGHT, buff=0.35)
        scales = Group(self.unit_legend(1.2, role="input").next_to(img, DOWN, buff=0.3),
                       self.map_legend(1.0).next_to(fmap, DOWN, buff=0.3))
        scales[1].set_y(scales[0].get_y())
        conv = left.place(Group(pics, scales))
        win = pixel_box(img[0], (n, n), (0, k), (0, k), MARK)
        pix = pixel_box(fmap[0], (m, m), (0, 1), (0, 1), MARK)
        conv_text = halves(LINE)[0].place(self.prose("one entry reads {k} × {k} = {w} of {N} pixels",
                                                     style.LABEL_SIZE, k=b.dim("kernels", 1),
                                                     w=b.value("conv_reach", (0,), 0), N=b.value("image_pixels", (), 0)))
        wmap = self.framed_heatmap("weights_0", "one", min(0.6 * L, 3.0))
        keys = VGroup(*(self.word(j, style.MUTED) for j in range(L)))
        queries = VGroup(*(self.word(i, style.MUTED) for i in range(L)))
        i = L - 1
        nums = VGroup(*(b.number(b.value("weights", (0, 0, i, j)), style.NUMBER_SIZE, color=style.ROLE["attention"])
                        for j in range(L)))
        px = wmap.width / L
        for j, (key, num) in enumerate(zip(keys, nums)):
            x = wmap.get_left()[0] + (j + 0.5) * px
            self.on_baseline(key.set_x(x), j, wmap.get_top()[1] + 0.15)
            num.move_to([x, wmap.get_bottom()[1] - 0.3, 0])
        for r, q in enumerate(queries):
            q.next_to(wmap, LEFT, buff=0.15).set_y(wmap.get_top()[1] - (r + 0.5) * px)
        axes = VGroup(style.note("key →", color=style.MUTED).next_to(keys, UP, buff=0.15).align_to(wmap, LEFT),
                      style.note("query ↓", color=style.MUTED).next_to(queries, UP, buff=0.15).align_to(queries, RIGHT))
        name = self.head_name(0).next_to(wmap, RIGHT, buff=0.3).align_to(wmap, UP)
        scale = self.unit_legend(1.2).next_to(name, DOWN, buff=0.5).align_to(name, LEFT)
        right.place(Group(wmap, keys, queries, nums, axes, name, scale))
        row = pixel_box(wmap[0], (L, L), (i, i + 1), (0, L), MARK)
        attn_text = halves(LINE)[1].place(self.prose("{q} may weight all {L} words; it puts {w} on {k}",
                                                     style.LABEL_SIZE, q=b.string(f"word_{i}"), L=b.dim("X", 1),
                                                     w=b.value("weights", (0, 0, i, max(i - 1, 0))),
                                                     k=b.string(f"word_{max(i - 1, 0)}")))
        self.say("Local: one map entry reads a {k} by {k} window of the image, {w} of its {N} pixels.",
                 k=b.dim("kernels", 1), w=b.value("conv_reach", (0,), 0), N=b.value("image_pixels", (), 0))
        self.play(FadeIn(self.side_titles()), FadeIn(conv), FadeIn(wmap), FadeIn(keys), FadeIn(queries), FadeIn(name),
                  FadeIn(axes), FadeIn(scale), run_time=0.8)
        self.play(Create(win), Create(pix), FadeIn(conv_text), run_time=0.8)
        self.say("Global: a head may weight any word, near or far. Training taught head {h} to pick the word before.",
                 h=b.index("weights", 1, 0))
        self.play(Create(row), run_time=0.5)
        self.combine([(row.copy(), num) for num in nums], FadeIn(attn_text), run_time=1.2)
        self.clear_stage()

    # -- beat 6 ---------------------------------------------------------------------------------
    def sharing(self) -> None:
        self.beat("Weight sharing")
        b = self.b
        n, m, k = self.size("image", 0), self.size("maps", 1), self.size("kernels", 1)
        L, D, H = self.size("X", 1), self.size("X", 2), self.size("weights", 1)
        d = D // H
        left, right = halves(PICTURE)
        kernel = self.matrix("kernels", (0,), decimals=0, cell=(0.55, 0.42))
        side = 2.2 if k <= 3 else 1.8  # a 4 x 4 kernel takes more of the half
        img, fmap = self.framed_heatmap("image", "one", side), self.framed_heatmap("map_0", "map_scale", side * m / n)
        conv = Group(kernel, img, fmap).arrange(RIGHT, buff=0.4)
        tags = VGroup(*(style.note(t, color=style.MUTED).next_to(mob, UP, buff=0.12)
                        for t, mob in (("kernel", kernel), ("image", img), ("map", fmap))))
        conv_scales = Group(self.unit_legend(1.0, role="input").next_to(img, DOWN, buff=0.3),
                            self.map_legend(0.8).next_to(fmap, DOWN, buff=0.3))
        conv_scales[1].set_y(conv_scales[0].get_y())
        left.place(Group(conv, tags, conv_scales))
        win = pixel_box(img[0], (n, n), (0, k), (0, k), MARK)
        pix = pixel_box(fmap[0], (m, m), (0, 1), (0, 1), MARK)
        px = min(0.36, 2.2 / max(L, D), 5.0 / (D + 2 * d))  # X, W^q_h and Q_h side by side in half the stage
        X, W, Qh = self.framed_heatmap("X_0", "seq_scale", px * L), self.framed_heatmap("Wq_0", "seq_scale", px * D), \
            self.framed_heatmap("Q_0", "seq_scale", px * L)
        times, eq = style.note("$times$"), style.note("$=$")
        attn = Group(X, times, W, eq, Qh).arrange(RIGHT, buff=0.25)
        h = b.index("weights", 1, 0)
        names = VGroup(*(self.math(t, color=style.MUTED, **f).next_to(mob, UP, buff=0.12)
                         for t, mob, f in (("X", X, {}), ("W^q_{h}", W, {"h": h}), ("Q_{h}", Qh, {"h": h}))))
        right.place(Group(attn, names))
        xrow = pixel_box(X[0], (L, D), (0, 1), (0, D), MARK)
        qrow = pixel_box(Qh[0], (L, d), (0, 1), (0, d), MARK)
        wbox = SurroundingRectangle(W, buff=0.05, color=MARK, stroke_width=3)
        conv_text = halves(LINE)[0].place(self.prose("the same {w} weights at all {P} places", style.LABEL_SIZE,
                                                     w=b.value("kernel_numel", (), 0), P=b.value("map_positions", (), 0)))
        attn_text = halves(LINE)[1].place(self.prose("the same {D} × {d} = {w} weights for all {L} words",
                                                     style.LABEL_SIZE, D=b.dim("W_q", 0), d=b.dim("head_out", 3),
                                                     w=b.value("head_numel", (), 0), L=b.dim("X", 1)))
        note = NOTE.place(self.prose("(and likewise head {h}'s columns of $W^k$ and $W^v$)", color=style.MUTED, h=h))
        self.say("Weight sharing: the same {w} kernel weights at all {P} places of the image.",
                 w=b.value("kernel_numel", (), 0), P=b.value("map_positions", (), 0))
        self.play(FadeIn(self.side_titles()), FadeIn(conv), FadeIn(tags), FadeIn(conv_scales), FadeIn(attn),
                  FadeIn(names), run_time=0.8)
        self.play(Create(win), Create(pix), FadeIn(conv_text), run_time=0.6)
        spots = [(0, c) for c in range(1, m)] + [(r, m - 1) for r in range(1, m)]
        self.play(Succession(*(AnimationGroup(win.animate.move_to(pixel_box(img[0], (n, n), (r, r + k), (c, c + k))),
                                              pix.animate.move_to(pixel_box(fmap[0], (m, m), (r, r + 1), (c, c + 1))))
                               for r, c in spots)), run_time=0.35 * len(spots))
        self.say("Likewise head {h}'s columns of W^q make the query of each of the {L} words: one matrix, every word.",
                 h=h, L=b.dim("X", 1))
        self.play(Create(xrow), Create(qrow), Create(wbox), FadeIn(attn_text), FadeIn(note), run_time=0.6)
        self.play(Succession(*(AnimationGroup(xrow.animate.move_to(pixel_box(X[0], (L, D), (t, t + 1), (0, D))),
                                              qrow.animate.move_to(pixel_box(Qh[0], (L, d), (t, t + 1), (0, d))))
                               for t in range(1, L))), run_time=0.4 * (L - 1))
        self.clear_stage()

    # -- beat 7 ---------------------------------------------------------------------------------
    def stacking(self) -> None:
        self.beat("Stacking layers")
        b = self.b
        L = self.size("X", 1)
        left, right = halves(PICTURE)
        f1, f2 = self.framed_heatmap("field1", "one", 2.3), self.framed_heatmap("field2", "one", 2.3)
        l1, l2 = (self.prose("after layer {j}: {a} pixels", color=style.MUTED, j=b.index("conv_reach", 0, j),
                             a=b.value("conv_reach", (j,), 0)) for j in (0, 1))
        fields = Group(Group(f1, l1).arrange(DOWN, buff=0.15), Group(f2, l2).arrange(DOWN, buff=0.15))
        fields.arrange(RIGHT, buff=0.6)
        left.place(fields)
        a1, a2 = self.framed_heatmap("weights_0", "one", 2.3), self.framed_heatmap("rollout", "one", 2.3)
        i = L - 1
        j1, j2 = max(i - 1, 0), max(i - 2, 0)
        m1 = self.prose("{q} → {k}: {w}", color=style.MUTED, q=b.string(f"word_{i}"), k=b.string(f"word_{j1}"),
                        w=b.value("weights", (0, 0, i, j1)))
        m2 = self.prose("{q} → {k}: {w}", color=style.MUTED, q=b.string(f"word_{i}"), k=b.string(f"word_{j2}"),
                        w=b.value("rollout", (i, j2)))
        h = b.index("weights", 1, 0)
        n1, n2 = self.math("A_{h}", h=h), self.math("A_{h} A_{h}", h=h)
        pair = Group(Group(n1, a1, m1).arrange(DOWN, buff=0.15), Group(n2, a2, m2).arrange(DOWN, buff=0.15))
        pair.arrange(RIGHT, buff=0.6)
        axes = self.axes(a1)
        attn_scale = self.unit_legend(1.4).next_to(pair, DOWN, buff=0.35)
        right.place(Group(pair, axes, attn_scale))
        box1 = pixel_box(a1[0], (L, L), (i, i + 1), (j1, j1 + 1), MARK)
        box2 = pixel_box(a2[0], (L, L), (i, i + 1), (j2, j2 + 1), MARK)
        chain = halves(LINE)[0].place(self.prose("each layer widens the view: {a} → {c} pixels", style.LABEL_SIZE,
                                                 a=b.value("conv_reach", (0,), 0), c=b.value("conv_reach", (1,), 0)))
        shape = halves(LINE)[1].place(self.prose("shape ({L}, {D}) in and out: layers stack", style.LABEL_SIZE,
                                                 L=b.dim("X", 1), D=b.dim("X", 2)))
        self.say("Stacking: after two conv layers one output reads {c} pixels, not {a}.",
                 c=b.value("conv_reach", (1,), 0), a=b.value("conv_reach", (0,), 0))
        self.play(FadeIn(self.side_titles()), FadeIn(fields[0]), FadeIn(pair[0]), FadeIn(axes), FadeIn(attn_scale),
                  run_time=0.7)
        self.play(TransformFromCopy(f1, f2), FadeIn(l2), FadeIn(chain), run_time=1.2)
        self.say("Attention keeps the shape ({L}, {D}), so layers stack. If a second layer attended like head {h}, "
                 "the weights would multiply: {q} would reach {k}, two back, with {w}.", L=b.dim("X", 1),
                 D=b.dim("X", 2), h=h, q=b.string(f"word_{i}"), k=b.string(f"word_{j2}"), w=b.value("rollout", (i, j2)))
        self.play(FadeIn(shape), Create(box1), run_time=0.6)
        self.play(TransformFromCopy(a1, a2), FadeIn(n2), FadeIn(m2), run_time=1.2)
        self.play(Create(box2), run_time=0.4)
        self.clear_stage()

    # -- beat 8 ---------------------------------------------------------------------------------
    def options_table(self, name: str, words: tuple[str, ...], ours: int, side: int) -> VGroup:
        """Return a table of layer choices with column headers and a box on the row this lecture used."""
        table = self.matrix(name, decimals=0, cell=(1.3, 0.55), brackets=False)
        top = table.slot(0, 0, 0, 1)[0][1]
        headers = VGroup(*(style.note(word, color=style.MUTED).move_to(table.column_band(j, j + 1))
                           .set_y(top + 0.32) for j, word in enumerate(words)))
        box = table.box(rows=(ours, ours + 1), color=MARK)
        return halves(PICTURE)[side].place(VGroup(table, headers, box))

    def sizes(self) -> None:
        self.beat("Choosing how many and how big")
        b = self.b
        heads = [int(h) for h in b.tensors["head_options"][:, 0]]
        conv = self.options_table("conv_options", ("kernels", "side", "weights", "map"), 0, 0)
        attn = self.options_table("head_options", ("heads", "$d$", "weights", "output"),
                                  heads.index(self.size("weights", 1)), 1)
        left, right = halves(LINE)
        conv_note = left.place(self.prose("weights = kernels × side × side", style.LABEL_SIZE))
        attn_note = right.place(self.prose("$W^q, W^k, W^v, W^o$: {n} × {D} × {D} = {w}", style.LABEL_SIZE,
                                           n=b.value("matrices", (), 0), D=b.dim("W_q", 0),
                                           w=b.value("head_options", (0, 2), 0)))
        boxed = NOTE.place(style.note("boxed: the layers shown in this lecture", color=style.MUTED))
        self.say("Sizes: more kernels give more maps and more weights; a bigger kernel has more weights and a "
                 "smaller map.")
        self.play(FadeIn(self.side_titles()), FadeIn(conv[:2]), Create(conv[2]), FadeIn(conv_note), FadeIn(boxed),
                  FadeIn(attn[:2]), run_time=1.0)
        self.say("Attention: W^q, W^k, W^v and W^o are each {D} by {D}, {w} weights in all, whatever the heads; "
                 "more heads only make each narrower.", D=b.dim("X", 2), w=b.value("head_options", (0, 2), 0))
        self.play(Create(attn[2]), FadeIn(attn_note), run_time=1.0)
        self.clear_stage()

    # -- beat 9 ---------------------------------------------------------------------------------
    def recap(self) -> None:
        b = self.b
        self.summarise(
            self.recap_caption,
            self.bullet("*Local and global*: a kernel reads a {k} × {k} window; a head weights every word.",
                        k=b.dim("kernels", 1)),
            self.bullet("*Weight sharing*: one kernel at all {P} places; one head's weights for all {L} words.",
                        P=b.value("map_positions", (), 0), L=b.dim("X", 1)),
            self.bullet("*Several views*: {K} kernels, {K} maps; {H} trained heads, {H} patterns.",
                        K=b.dim("maps", 0), H=b.dim("weights", 1)),
            self.bullet("*Stacking*: {a} → {c} pixels; attention keeps its shape, so layers stack.",
                        a=b.value("conv_reach", (0,), 0), c=b.value("conv_reach", (1,), 0)),
            self.bullet("*Sizes*: conv weights grow with kernels; attention's stay {w} however many heads.",
                        w=b.value("head_options", (0, 2), 0)),
        )


def label_rows_heat(heat: Mobject, labels: list[Mobject], n_rows: int) -> VGroup:
    """Put labels[k] left of a heatmap, level with its pixel row k; return them."""
    px = heat.height / n_rows
    for k, label in enumerate(labels):
        label.next_to(heat, LEFT, buff=0.15).set_y(heat.get_top()[1] - (k + 0.5) * px)
    return VGroup(*labels)


