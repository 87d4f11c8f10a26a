"""scenes/kit/plot.py: plotted marks are audited like numbers; a bar, dot, curve or tick off its value fails."""

from __future__ import annotations

import gc

import pytest
import torch
from manim import RIGHT, UP

from scenes.kit import typst_cache
from scenes.kit.binding import AuditError, Binding
from scenes.kit.plot import Plane


@pytest.fixture
def b() -> Binding:
    typst_cache.install()
    return Binding({"p": torch.tensor([0.1, 0.6, 0.3]), "xy": torch.tensor([[-1.0, 2.0], [0.5, -0.25]])})


def test_marks_sit_where_their_values_say(b: Binding) -> None:
    plane = Plane(b, (-0.5, 2.5), (0.0, 1.0), width=3.0, height=2.0)
    bars = plane.bars("p")
    assert bars[1].get_top()[1] == pytest.approx(plane.to_screen(0, 0.6)[1])
    assert bars[1].get_bottom()[1] == pytest.approx(plane.to_screen(0, 0.0)[1])
    assert bars[1].get_center()[0] == pytest.approx(plane.to_screen(1, 0)[0])
    scatter = Plane(b, (-2, 2), (-1, 3))
    dot = scatter.dot(b.value("xy", (0, 0)), b.value("xy", (0, 1)))
    assert dot.get_center()[:2] == pytest.approx(scatter.to_screen(-1.0, 2.0)[:2])
    curve = plane.curve([0, 1, 2], [b.value("p", (i,)) for i in range(3)])
    tick = plane.tick(b.value("p", (1,)), axis="x")
    point = b.audit([plane, bars, scatter, dot, curve, tick], 1, "t", 0.0)
    assert point.plotted == 3 + 1 + 1 + 1
    assert ("p", (1,)) in {(s.tensor, s.index) for s, _ in point.shown}


def test_moving_the_whole_plot_keeps_it_true(b: Binding) -> None:
    plane = Plane(b, (-0.5, 2.5), (0.0, 1.0))
    bars = plane.bars("p")
    plane.add(bars)
    plane.shift(2 * RIGHT + UP).scale(0.5)
    b.audit([plane], 1, "t", 0.0)


@pytest.mark.parametrize("fault", ["stale", "stretched", "moved_alone"])
def test_a_bar_off_its_value_fails(b: Binding, fault: str) -> None:
    plane = Plane(b, (-0.5, 2.5), (0.0, 1.0))
    bars = plane.bars("p")
    if fault == "stale":
        b.tensors["p"][2] = 0.9
    elif fault == "stretched":
        bars[2].stretch(1.5, 1, about_edge=[0, -1, 0])
    else:
        bars[2].shift(0.3 * RIGHT)
    with pytest.raises(AuditError, match=r"bar for p\[2\] = 0.30 is drawn at .* but torch's values put it at"):
        b.audit([plane, bars], 4, "t", 0.0)


def test_a_dot_and_curve_off_their_values_fail(b: Binding) -> None:
    plane = Plane(b, (-2, 2), (-1, 3))
    dot = plane.dot(b.value("xy", (1, 0)), b.value("xy", (1, 1)))
    curve = plane.curve([b.value("xy", (0, 0)), b.value("xy", (1, 0))], [b.value("xy", (0, 1)), b.value("xy", (1, 1))])
    b.tensors["xy"][1, 1] = 1.5
    with pytest.raises(AuditError, match=r"(dot|curve) for .*xy\[1, 1\] = -0.25"):
        b.audit([plane, dot], 1, "t", 0.0)
    with pytest.raises(AuditError, match=r"curve for .*xy\[1, 1\] = -0.25"):
        b.audit([plane, curve], 1, "t", 0.0)


# -- a mark is counted as placed only when its place was checked; its values are always checked -----
def test_a_copy_that_lost_its_plane_is_not_counted_as_placed(b: Binding) -> None:
    plane = Plane(b, (-0.5, 2.5), (0.0, 1.0))
    bars = plane.bars("p")
    copy = bars[1].copy()  # a copy keeps its record but not its plane
    point = b.audit([copy], 1, "t", 0.0)
    assert point.plotted == 0
    assert [(s.tensor, s.index, text) for s, text in point.shown] == [("p", (1,), "0.60")]
    assert b.audit([bars[1]], 2, "t", 0.0).plotted == 1


def test_a_mark_whose_plane_is_gone_is_not_counted_as_placed(b: Binding) -> None:
    plane = Plane(b, (-2, 2), (-1, 3))
    dot = plane.dot(b.value("xy", (0, 0)), b.value("xy", (0, 1)))
    del plane
    gc.collect()
    point = b.audit([dot], 1, "t", 0.0)
    assert point.plotted == 0 and len(point.shown) == 2


def test_a_copy_showing_a_stale_value_fails_though_it_has_no_plane(b: Binding) -> None:
    plane = Plane(b, (-0.5, 2.5), (0.0, 1.0))
    copy = plane.bars("p")[2].copy()
    b.tensors["p"][2] = 0.9
    with pytest.raises(AuditError, match=r"after animation 3 .*: p\[2\] shows 0.30 but torch says 0.90 \(exact 0.89"):
        b.audit([copy], 3, "t", 0.0)


@pytest.mark.parametrize("mark", ["bar", "dot", "tick"])
def test_a_value_changed_below_the_drawing_tolerance_still_fails_on_its_text(b: Binding, mark: str) -> None:
    """0.30 -> 0.306 moves a mark 2e-5 units on a 0..1000 axis (within tolerance), but it reads 0.31 now."""
    plane = Plane(b, (-0.5, 2.5), (0.0, 1000.0), width=3.0, height=3.0)
    if mark == "bar":
        mob = plane.bars("p")[2]
    elif mark == "dot":
        mob = plane.dot(1.0, b.value("p", (2,)))
    else:
        mob = plane.tick(b.value("p", (2,)), axis="y")[0]
    b.tensors["p"][2] = 0.306
    with pytest.raises(AuditError, match=r"p\[2\] shows 0.30 but torch says 0.31"):
        b.audit([plane, mob], 1, "t", 0.0)
