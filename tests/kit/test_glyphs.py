"""scenes/kit/glyphs.py: a number is one filled path made of Typst's own outline of each character."""

from __future__ import annotations

import numpy as np
import pytest
from manim import DEFAULT_FONT_SIZE, RIGHT, VMobject

from scenes.kit import glyphs, typst_cache


@pytest.fixture(autouse=True)
def _typst() -> None:
    typst_cache.install()


def spelled(text: str, font_size: float = DEFAULT_FONT_SIZE) -> VMobject:
    """Return a fresh VMobject spelling text."""
    mob = VMobject()
    glyphs.spell(mob, text, font_size)
    return mob


def typst_char(char: str) -> np.ndarray:
    """Return Typst's outline points of one character typeset as maths, at the default size."""
    mob = typst_cache.typst(char, math=True, font_size=DEFAULT_FONT_SIZE)
    return np.concatenate([m.points for m in mob.family_members_with_points()])


def test_a_number_is_one_filled_path_centred_on_the_origin() -> None:
    mob = spelled("-12.50")
    assert not mob.submobjects and len(mob.points)
    assert mob.get_fill_opacity() == 1.0 and mob.get_stroke_width() == 0
    lo, hi = mob.points.min(axis=0), mob.points.max(axis=0)
    np.testing.assert_allclose((lo + hi)[:2] / 2, 0.0, atol=1e-9)


@pytest.mark.parametrize("text", ["0", "7.25", "-0.03", "1024"])
def test_each_character_is_typsts_outline_of_it_in_reading_order(text: str) -> None:
    mob = spelled(text)
    sizes = [len(typst_char(c)) for c in text]
    assert len(mob.points) == sum(sizes)
    parts = np.split(mob.points, np.cumsum(sizes)[:-1])
    for char, part in zip(text, parts):
        ref = typst_char(char)
        # the same outline, moved: compare after putting both corners at the origin
        np.testing.assert_allclose(part - part.min(axis=0), ref - ref.min(axis=0), atol=1e-9)
    lefts = [part[:, 0].min() for part in parts]
    rights = [part[:, 0].max() for part in parts]
    assert all(r < next_l for r, next_l in zip(rights, lefts[1:]))  # left to right, no overlap


def test_a_minus_sits_at_the_height_of_the_digits_middle() -> None:
    mob = spelled("-8")
    minus, eight = np.split(mob.points, [len(typst_char("-"))])
    mid = lambda p: (p[:, 1].min() + p[:, 1].max()) / 2  # noqa: E731
    assert mid(minus) == pytest.approx(mid(eight), abs=1e-9)


def test_size_scales_with_font_size_and_texts_differ() -> None:
    small, big = spelled("3.14", 24), spelled("3.14", 48)
    assert big.height == pytest.approx(2 * small.height) and big.width == pytest.approx(2 * small.width)
    assert spelled("0.25").width < spelled("10.25").width
    a, b = spelled("0.25"), spelled("0.52")
    assert a.points.shape == b.points.shape and not np.allclose(a.points, b.points)


def test_moving_a_number_leaves_the_cached_layout_alone() -> None:
    first = spelled("4.2")
    first.shift(3 * RIGHT).scale(2)
    again = spelled("4.2")
    lo, hi = again.points.min(axis=0), again.points.max(axis=0)
    np.testing.assert_allclose((lo + hi)[:2] / 2, 0.0, atol=1e-9)
    assert again.width == pytest.approx(first.width / 2)


@pytest.mark.parametrize("text", ["1e5", "x", "1_000", "+1"])
def test_only_digits_point_minus_and_comma_can_be_spelled(text: str) -> None:
    with pytest.raises(ValueError, match="cannot draw .* as a number glyph"):
        spelled(text)


def test_a_thousands_comma_hangs_below_the_digits_baseline() -> None:
    digits, counted = spelled("1000"), spelled("1,000")
    assert counted.width > digits.width  # the comma takes room
    assert counted.height > digits.height * 1.05  # and hangs below the digits' baseline, as a comma does
