"""Plots whose marks are audited: dots, bars, curves and ticks placed by tensor values.

A `Plane` maps data coordinates to the screen through two invisible corner points, so it can be
moved and scaled like any mobject. Each mark it makes is bound to its sources; at every audit the
mark's place is recomputed from the tensors and compared with where it is drawn, so a bar that
shows a stale or wrong value fails the render like a wrong number does. A copy of a mark has no
plane (copies are transient); its values are still checked, its place is not, and it is not counted.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, Dot, Group, Line, Mobject, Rectangle, VectorizedPoint, VGroup, VMobject

from scenes.kit import style
from scenes.kit.binding import AuditError, Binding, Bound, Source, centre

TOLERANCE = 2e-3  # screen units, about a fifth of a pixel at 1080p


class _PlaneRef:
    """A mark's weak link to its plane; dropped when the mark is copied (copies are transient)."""

    def __init__(self, plane: Plane) -> None:
        self.plane = weakref.ref(plane)

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None


class Plane(VGroup):
    """Axes for data in x_range x y_range drawn width x height; marks placed from bound values."""

    def __init__(
        self,
        b: Binding,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        width: float = 5.0,
        height: float = 3.0,
        axes: bool = True,
        color: str = style.MUTED,
    ) -> None:
        super().__init__()
        if x_range[1] <= x_range[0] or y_range[1] <= y_range[0]:
            raise ValueError(f"empty plot range {x_range} x {y_range}")
        self.b, self.x_range, self.y_range = b, x_range, y_range
        self.corner_lo = VectorizedPoint([0.0, 0.0, 0.0])  # (x_range[0], y_range[0])
        self.corner_hi = VectorizedPoint([float(width), float(height), 0.0])  # (x_range[1], y_range[1])
        self.add(self.corner_lo, self.corner_hi)
        self.axes = VGroup()
        if axes:
            x0 = min(max(0.0, x_range[0]), x_range[1])
            y0 = min(max(0.0, y_range[0]), y_range[1])
            self.axes.add(
                Line(self.to_screen(x_range[0], y0), self.to_screen(x_range[1], y0), color=color, stroke_width=2),
                Line(self.to_screen(x0, y_range[0]), self.to_screen(x0, y_range[1]), color=color, stroke_width=2),
            )
        self.add(self.axes)

    # -- geometry -----------------------------------------------------------------------------
    def to_screen(self, x: float, y: float) -> np.ndarray:
        """Return the screen point of data point (x, y), following the plane wherever it moved."""
        lo, hi = self.corner_lo.points[0], self.corner_hi.points[0]  # one point each
        fx = (x - self.x_range[0]) / (self.x_range[1] - self.x_range[0])
        fy = (y - self.y_range[0]) / (self.y_range[1] - self.y_range[0])
        return np.array([lo[0] + fx * (hi[0] - lo[0]), lo[1] + fy * (hi[1] - lo[1]), 0.0])

    def baseline(self) -> float:
        """Return the data y that bars grow from: 0 when it is in range, else the bottom."""
        return min(max(0.0, self.y_range[0]), self.y_range[1])

    def _value(self, v: Source | float) -> float:
        return self.b.exact(v) if isinstance(v, Source) else float(v)

    def _bind(self, mob: Mobject, sources: dict[str, Source], check: Callable[[Binding, Mobject, str], bool]) -> None:
        """Bind a mark to its sources' texts and its place check, and link it weakly to this plane."""
        texts = {k: self.b.truth(s) for k, s in sources.items()}
        mob.bound = Bound(sources, "", "", texts, geometry=check)
        mob.plane_ref = _PlaneRef(self)

    # -- marks --------------------------------------------------------------------------------
    def dot(self, x: Source | float, y: Source | float, color: str = style.TEXT, radius: float = 0.06) -> Dot:
        """Return a dot at (x, y); its centre is audited against the values."""
        mob = Dot(self.to_screen(self._value(x), self._value(y)), radius=radius, color=color)
        sources = {k: v for k, v in (("x", x), ("y", y)) if isinstance(v, Source)}

        def check(b: Binding, m: Mobject, where: str) -> bool:
            plane = _plane_of(m)
            if plane is None:  # a copy, or its plane is gone: nothing to place it against, so not counted
                return False
            want = plane.to_screen(plane._value(x), plane._value(y))
            _expect(centre(m), want, m, where, "dot")
            return True

        self._bind(mob, sources, check)
        return mob

    def bar(self, value: Source, x0: Source | float, x1: Source | float, color: str = style.TEXT,
            opacity: float = 0.8) -> Rectangle:
        """Return a bar from the baseline to value, spanning x0..x1; its edges are audited."""

        def corners(plane: Plane) -> tuple[np.ndarray, np.ndarray]:
            base = plane.baseline()
            v = plane._value(value)
            a = plane.to_screen(plane._value(x0), min(base, v))
            z = plane.to_screen(plane._value(x1), max(base, v))
            return a, z

        a, z = corners(self)
        mob = Rectangle(width=max(z[0] - a[0], 1e-4), height=max(z[1] - a[1], 1e-4), stroke_width=1,
                        stroke_color=color, fill_color=color, fill_opacity=opacity)
        mob.move_to((a + z) / 2)
        sources = {k: v for k, v in (("v", value), ("x0", x0), ("x1", x1)) if isinstance(v, Source)}

        def check(b: Binding, m: Mobject, where: str) -> bool:
            plane = _plane_of(m)
            if plane is None:  # a copy, or its plane is gone: nothing to place it against, so not counted
                return False
            a, z = corners(plane)
            got = np.array([m.get_left()[0], m.get_bottom()[1], m.get_right()[0], m.get_top()[1]])
            want = np.array([a[0], a[1], z[0], max(z[1], a[1] + 1e-4)])
            _expect(got, want, m, where, "bar")
            return True

        self._bind(mob, sources, check)
        return mob

    def bars(self, name: str, color: str | Sequence[str] = style.TEXT, width: float = 0.8,
             prefix: Sequence[int] = ()) -> VGroup:
        """Return one bar per entry of the 1-D slice tensor[prefix], bar i centred on x = i."""
        n = int(self.b.tensors[name][tuple(prefix)].shape[0])
        colors = [color] * n if isinstance(color, str) else list(color)
        return VGroup(*(self.bar(self.b.value(name, (*prefix, i)), i - width / 2, i + width / 2, colors[i])
                        for i in range(n)))

    def curve(self, xs: Sequence[Source | float], ys: Sequence[Source | float], color: str = style.TEXT,
              stroke_width: float = 3) -> VMobject:
        """Return a polyline through (xs[i], ys[i]); every vertex is audited."""
        pts = [self.to_screen(self._value(x), self._value(y)) for x, y in zip(xs, ys)]
        mob = VMobject(stroke_color=color, stroke_width=stroke_width)
        mob.set_points_as_corners(pts)
        sources = {f"{axis}{i}": v for i, (x, y) in enumerate(zip(xs, ys))
                   for axis, v in (("x", x), ("y", y)) if isinstance(v, Source)}

        def check(b: Binding, m: Mobject, where: str) -> bool:
            plane = _plane_of(m)
            if plane is None:  # a copy, or its plane is gone: nothing to place it against, so not counted
                return False
            want = np.array([plane.to_screen(plane._value(x), plane._value(y)) for x, y in zip(xs, ys)])
            anchors = m.get_anchors()  # p0, p1, p1, p2, ...: each segment's start and end
            got = np.concatenate([anchors[0::2], anchors[-1:]]) if len(anchors) else anchors
            _expect(got, want, m, where, "curve")
            return True

        self._bind(mob, sources, check)
        return mob

    def tick(self, value: Source, axis: str = "x", font_size: float = style.NOTE_SIZE,
             color: str = style.MUTED) -> VGroup:
        """Return a tick mark and its bound number at a data position on the x or y axis."""
        b = self.b
        num = b.number(value, font_size, color=color)
        v = b.exact(value)
        if axis == "x":
            at = self.to_screen(v, self.y_range[0])
            mark = Line(at, at + 0.08 * DOWN, color=color, stroke_width=2)
            num.next_to(mark, DOWN, buff=0.06)
        else:
            at = self.to_screen(self.x_range[0], v)
            mark = Line(at, at + 0.08 * LEFT, color=color, stroke_width=2)
            num.next_to(mark, LEFT, buff=0.06)

        def check(b: Binding, m: Mobject, where: str) -> bool:
            plane = _plane_of(m)
            if plane is None:  # a copy, or its plane is gone: nothing to place it against, so not counted
                return False
            w = b.exact(value)
            want = plane.to_screen(w, plane.y_range[0]) if axis == "x" else plane.to_screen(plane.x_range[0], w)
            _expect(m.get_start(), want, m, where, f"{axis} tick")
            return True

        self._bind(mark, {"v": value}, check)
        return VGroup(mark, num)


def colour_legend(b: Binding, ramp: str, scale: str, decimals: int = 2, font_size: float = style.NOTE_SIZE,
                  width: float = 3.0, role: str | None = None) -> Group:
    """Return a heatmap legend: the ramp tensor as a strip (tinted like `role`'s heatmaps), its ends bound to
    -scale and +scale."""
    strip = b.heatmap(ramp, scale, height=0.3, tint=style.ROLE[role] if role else None)
    strip.stretch_to_fit_width(width)
    lo = b.text("−{a}", a=b.value(scale, (), decimals), font_size=font_size).next_to(strip, DOWN, buff=0.1)
    hi = b.text("{a}", a=b.value(scale, (), decimals), font_size=font_size).next_to(strip, DOWN, buff=0.1)
    lo.align_to(strip, LEFT)
    hi.align_to(strip, RIGHT)
    return Group(strip, lo, hi)


def _plane_of(mob: Mobject) -> Plane | None:
    ref = getattr(mob, "plane_ref", None)
    return ref.plane() if ref is not None else None


def _expect(got: np.ndarray, want: np.ndarray, mob: Mobject, where: str, kind: str) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape or not np.allclose(got, want, atol=TOLERANCE):
        bound: Bound = mob.bound  # type: ignore[attr-defined]
        what = ", ".join(f"{s.describe()} = {bound.shown.get(k, '?')}" for k, s in bound.sources.items()) or "a value"
        raise AuditError(
            f"audit failed {where}: {kind} for {what} is drawn at {np.round(got, 3).tolist()}"
            f" but torch's values put it at {np.round(want, 3).tolist()}"
        )


__all__ = ["Plane", "colour_legend", "heatmap_with_notes"]


def heatmap_with_notes(heat: Mobject, notes: VGroup, legend: Mobject) -> Group:
    """Place a heatmap (with its marks) on the stage, its notes and colour legend stacked on its right."""
    side = Group(notes.arrange(DOWN, aligned_edge=LEFT, buff=0.25), legend).arrange(DOWN, aligned_edge=LEFT, buff=0.5)
    return style.STAGE.place(Group(heat, side).arrange(RIGHT, buff=0.6))
