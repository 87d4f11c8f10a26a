"""scenes/kit/matrix.py: a matrix cell shows its own entry, sits in its own slot, and boxes hug the glyphs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from manim import DOWN, RIGHT, ImageMobject

from scenes.kit import typst_cache
from scenes.kit.binding import AuditError, Binding
from scenes.kit.matrix import GridSlot, TensorMatrix, glyph_box, number_row, pixel_box


@pytest.fixture
def b() -> Binding:
    typst_cache.install()
    t = torch.tensor([[[0.5, -1.25, 3.0], [0.0, 2.5, -0.125]], [[9.0, 8.0, 7.0], [6.0, 5.0, 4.0]]])
    return Binding({"T": t, "row": torch.tensor([1.0, -2.0, 0.333, 4.0]), "scale": torch.tensor(1.0)})


def inside(point: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Is point within the box lo..hi (x and y)?"""
    return bool(np.all(point[:2] >= lo[:2] - 1e-9) and np.all(point[:2] <= hi[:2] + 1e-9))


def test_cell_r_c_shows_entry_prefix_r_c_rounded(b: Binding) -> None:
    m = TensorMatrix(b, "T", prefix=(0,), decimals=2)
    assert (m.n_rows, m.n_cols) == (2, 3)
    want = [["0.50", "-1.25", "3.00"], ["0.00", "2.50", "-0.12"]]  # -0.125 rounds half to even
    for r in range(2):
        for c in range(3):
            num = m.entry(r, c)
            assert num.bound.sources["v"].tensor == "T" and num.bound.sources["v"].index == (0, r, c)
            assert num.bound.text == want[r][c]
    assert len(m.row(1)) == 3 and len(m.column_band(1, 3)) == 4
    point = b.audit([m], 1, "t", 0.0)
    assert len(point.shown) == 6


def test_cells_sit_in_their_slots_in_reading_order_and_follow_the_matrix(b: Binding) -> None:
    m = TensorMatrix(b, "T", prefix=(1,))
    m.shift(2 * RIGHT + DOWN).scale(0.7)
    for r in range(2):
        for c in range(3):
            a, z = m.slot(r, r + 1, c, c + 1)
            lo, hi = np.minimum(a, z), np.maximum(a, z)
            assert inside(m.entry(r, c).get_center(), lo, hi), (r, c)
    assert m.entry(0, 0).get_center()[0] < m.entry(0, 1).get_center()[0]  # columns left to right
    assert m.entry(0, 0).get_center()[1] > m.entry(1, 0).get_center()[1]  # rows top to bottom
    b.audit([m], 1, "t", 0.0)


def test_planted_swapped_cells_fail(b: Binding) -> None:
    m = TensorMatrix(b, "T", prefix=(0,))
    a, z = m.entry(0, 0), m.entry(0, 1)
    pa, pz = a.get_center().copy(), z.get_center().copy()
    a.move_to(pz)
    z.move_to(pa)
    with pytest.raises(AuditError, match=r"T\[0, 0, [01]\] \(shows -?\d\.\d\d\) is drawn outside its grid slot"
                                         r" \(row 0, column [01] of matrix T\[0\]\)"):
        b.audit([m], 3, "t", 0.0)


def test_planted_cell_bound_to_another_entry_fails(b: Binding) -> None:
    m = TensorMatrix(b, "T", prefix=(0,))
    wrong = b.number(b.value("T", (0, 1, 1))).move_to(m.entry(1, 2))  # the neighbour's value, in this slot
    wrong.grid = GridSlot(m, 1, 2)
    m.entries.remove(m.entry(1, 2))
    m.entries.add(wrong)
    with pytest.raises(AuditError, match=r"cell \(1, 2\) of matrix T\[0\] shows T\[0, 1, 1\] = 2.50"):
        b.audit([m], 1, "t", 0.0)


def test_a_cell_copied_out_of_the_grid_is_checked_as_a_number_only(b: Binding) -> None:
    m = TensorMatrix(b, "T", prefix=(0,))
    copy = m.entry(0, 0).copy().shift(5 * RIGHT)
    assert getattr(copy, "grid", None) is None
    assert [text for _, text in b.audit([copy], 1, "t", 0.0).shown] == ["0.50"]
    b.tensors["T"][0, 0, 0] = 1.0
    with pytest.raises(AuditError, match=r"T\[0, 0, 0\] shows 0.50 but torch says 1.00"):
        b.audit([copy], 2, "t", 0.0)


def test_only_a_2d_slice_is_a_matrix(b: Binding) -> None:
    with pytest.raises(ValueError, match=r"T\[\] is not 2-D \(shape \(2, 2, 3\)\)"):
        TensorMatrix(b, "T")


def test_a_box_encloses_the_glyphs_of_its_cells_and_no_other_cell(b: Binding) -> None:
    m = TensorMatrix(b, "T", prefix=(0,))
    box = m.box(rows=(0, 1), cols=(1, 3), buff=0.05)
    lo, hi = box.get_corner(DOWN + np.array([-1, 0, 0])), box.get_corner(np.array([1, 1, 0]))
    chosen = [m.entry(0, 1), m.entry(0, 2)]
    pts = np.concatenate([n.points for n in chosen])
    assert inside(pts.min(axis=0), lo, hi) and inside(pts.max(axis=0), lo, hi)
    assert box.width == pytest.approx(pts[:, 0].max() - pts[:, 0].min() + 0.1)  # hugs the digits, not the slots
    for r, c in ((0, 0), (1, 1), (1, 2)):
        assert not inside(m.entry(r, c).get_center(), lo, hi), (r, c)
    whole = glyph_box([m.entries], buff=0.0)
    assert whole.width == pytest.approx(m.entries.width) and whole.height == pytest.approx(m.entries.height)


def test_number_row_shows_a_1d_slice_left_to_right(b: Binding) -> None:
    row = number_row(b, "row", decimals=1)
    assert [n.bound.text for n in row] == ["1.0", "-2.0", "0.3", "4.0"]
    xs = [n.get_center()[0] for n in row]
    assert xs == sorted(xs)
    assert len(number_row(b, "row", count=2)) == 2
    assert [n.bound.sources["v"].index for n in number_row(b, "T", prefix=(1, 0))] == [(1, 0, 0), (1, 0, 1), (1, 0, 2)]
    with pytest.raises(ValueError, match="is not 1-D"):
        number_row(b, "T", prefix=(0,))


def test_pixel_box_frames_exactly_the_chosen_pixels() -> None:
    heat = ImageMobject(np.zeros((4, 8, 4), dtype=np.uint8), scale_to_resolution=1)
    heat.height = 2.0  # 8 x 4 pixels: each 0.5 x 0.5
    heat.shift(RIGHT)
    box = pixel_box(heat, (4, 8), rows=(1, 3), cols=(2, 5))
    assert (box.width, box.height) == (pytest.approx(1.5), pytest.approx(1.0))
    left, top = heat.get_left()[0], heat.get_top()[1]
    assert box.get_left()[0] == pytest.approx(left + 2 * 0.5) and box.get_top()[1] == pytest.approx(top - 1 * 0.5)
