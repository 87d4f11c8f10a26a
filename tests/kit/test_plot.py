"""Plotted marks are audited like numbers: a bar, dot, curve or tick drawn off its value fails."""

from __future__ import annotations

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
