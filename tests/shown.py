"""Check what a scene showed against tensors recomputed independently in a test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import torch


def agrees(shown: str, value: float, decimals: int, style: str) -> bool:
    """Does shown text read as value at that precision (allowing a last-bit different sum)?"""
    if style == "g":
        return float(shown) == pytest.approx(value, rel=0.05, abs=1e-12)
    return abs(float(shown) - value) <= 0.5 * 10 ** -decimals + 1e-6


def check_shown(scene: Any, truth: Mapping[str, torch.Tensor], strings: Mapping[str, str] | None = None) -> int:
    """Assert every number the scene showed equals the recomputed truth; return how many were checked.

    `truth` must hold every tensor the scene bound (a name missing from it fails), recomputed in the
    test with plain torch, not read back from the lecture's result.
    """
    checked = 0
    for point in scene.b.log.points:
        for src, shown in point.shown:
            if src.kind == "string":
                assert strings is not None and shown == strings[src.tensor], (src, shown)
                checked += 1
                continue
            assert src.tensor in truth, f"the test does not recompute {src.tensor}"
            t = truth[src.tensor]
            if src.kind == "dim":
                assert shown == str(t.shape[src.index[0]]), src
            elif src.kind == "index":
                dim, i = src.index
                assert i < t.shape[dim] and shown == str(i + src.base), src
            else:
                value = float(t[src.index])
                assert agrees(shown, value, src.decimals, src.style), (src.describe(), shown, value)
            checked += 1
    return checked


def seen(scene: Any) -> set[tuple[str, tuple[int, ...]]]:
    """Return every (tensor, index) whose value was on screen at some audit."""
    return {(s.tensor, s.index) for p in scene.b.log.points for s, _ in p.shown if s.kind == "value"}
