"""scenes/kit/typst_cache.py: SVGs written atomically, outlines cached and reused, labels copied."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from manim.mobject.text import typst_mobject

from scenes.kit import typst_cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder and an empty in-memory prototype table, for this test only."""
    monkeypatch.setattr(typst_cache, "_prototypes", {})
    monkeypatch.setattr(typst_cache, "_cache_dir", None)
    monkeypatch.setattr(typst_mobject, "typst_to_svg_file", typst_mobject.typst_to_svg_file)
    folder = tmp_path / "typst"
    typst_cache.install(folder)
    return folder


def outline(mob: object) -> np.ndarray:
    """Return every outline point of a label."""
    return np.concatenate([m.points for m in mob.family_members_with_points()])  # type: ignore[attr-defined]


def test_default_cache_is_per_user_and_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert typst_cache.default_cache_dir() == tmp_path / "xdg" / "faq-lectures" / "typst"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert typst_cache.default_cache_dir() == tmp_path / "home" / ".cache" / "faq-lectures" / "typst"


def test_a_label_is_compiled_once_into_the_cache_with_no_temporary_left(cache: Path) -> None:
    mob = typst_cache.typst("x + y", math=True, font_size=30)
    names = sorted(p.name for p in cache.iterdir())
    assert sum(n.endswith(".svg") for n in names) == 1 and sum(n.startswith("geom-") for n in names) == 1
    assert len(names) == 2, names  # no temporary folder or .tmp file left behind
    svg = next(cache.glob("*.svg")).read_text()
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert len(outline(mob))


def test_a_failed_write_leaves_no_svg_a_later_render_would_trust(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_rename(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(typst_cache.os, "replace", no_rename)
    with pytest.raises(OSError, match="No space left"):
        typst_cache.typst("a label", font_size=20)
    assert not list(cache.glob("*.svg")) and not [p for p in cache.iterdir() if p.is_dir()]


def test_cached_outlines_rebuild_the_same_label_without_the_svg(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = typst_cache.typst("W_q = E", math=True, font_size=24)
    monkeypatch.setattr(typst_cache, "_prototypes", {})  # a new process: nothing in memory, the disk cache warm
    for svg in cache.glob("*.svg"):
        svg.unlink()
    again = typst_cache.typst("W_q = E", math=True, font_size=24)
    assert isinstance(again, typst_cache.CachedTypst) and again.typst_code == "W_q = E"
    np.testing.assert_array_equal(outline(again), outline(first))
    assert not list(cache.glob("*.svg"))  # rebuilt from the outlines alone


def test_an_unreadable_outline_file_is_rebuilt(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = typst_cache.typst("label", font_size=20)
    (geom,) = cache.glob("geom-*.pickle")
    geom.write_bytes(b"\x80\x04 truncated")
    monkeypatch.setattr(typst_cache, "_prototypes", {})
    again = typst_cache.typst("label", font_size=20)
    np.testing.assert_array_equal(outline(again), outline(first))
    leaves = pickle.loads(geom.read_bytes())  # written again, whole
    assert isinstance(leaves, list) and len(leaves) == len(first.family_members_with_points())


def test_each_call_returns_a_copy_with_its_own_colour(cache: Path) -> None:
    a = typst_cache.typst("copy me", font_size=20, color="#ff0000")
    b = typst_cache.typst("copy me", font_size=20)
    a.shift([1.0, 0.0, 0.0])
    assert a is not b and not np.allclose(outline(a), outline(b))
    assert a.family_members_with_points()[0].get_fill_color().to_hex().lower() == "#ff0000"
    assert b.family_members_with_points()[0].get_fill_color().to_hex().lower() != "#ff0000"


def test_each_process_imports_from_its_own_copy_of_a_cached_svg(cache: Path) -> None:
    typst_cache.typst("private", font_size=20)
    (svg,) = cache.glob("*.svg")
    copy = typst_cache._private_copy(svg)
    assert copy.read_bytes() == svg.read_bytes() and copy.parent != cache
    assert typst_cache._private_copy(svg) == copy and os.path.commonpath([copy, cache]) != str(cache)
