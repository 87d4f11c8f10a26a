"""Check what a scene showed against tensors recomputed independently in a test.

Nothing here reuses the binding's formatting: a shown value is parsed as a decimal number and must
equal the recomputed value to the precision it shows; a shown size or position is parsed as a whole
number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
import torch

_WHOLE = re.compile(r"0|[1-9][0-9]*")  # a size or a position: no sign, no leading zero, no spaces


def whole(shown: str) -> int:
    """Parse a shown size or position; fail the test if it is not written as a plain whole number."""
    assert _WHOLE.fullmatch(shown), f"{shown!r} is not a plain whole number"
    return int(shown)


def agrees(shown: str, value: float, decimals: int, style: str) -> bool:
    """Does shown, parsed as a number, read as value at that precision (allowing a last-bit different sum)?"""
    if style == "n":  # a count with thousands separators: 50,257 (checked before the decimal parse)
        sign, digits = ("-", shown[1:]) if shown.startswith("-") else ("", shown)
        groups = digits.split(",")
        well_formed = groups[0].isdigit() and len(groups[0]) <= 3 and all(g.isdigit() and len(g) == 3 for g in groups[1:])
        return well_formed and int(sign + "".join(groups)) == round(value)
    try:
        number = Decimal(shown)
    except InvalidOperation:
        return False
    if not number.is_finite() or shown != shown.strip() or (number.is_zero() and number.is_signed()):
        return False  # no spaces, and no "-0.00": a zero has no sign
    if style == "g":  # two significant digits
        return len(number.normalize().as_tuple().digits) <= decimals and float(number) == pytest.approx(
            value, rel=0.05, abs=1e-12)
    written = max(0, -int(number.as_tuple().exponent))  # digits after the point, as written
    return written == decimals and abs(float(number) - value) <= 0.5 * 10 ** -decimals + 1e-6


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
                assert whole(shown) == t.shape[src.index[0]], src
            elif src.kind == "index":  # position i of a dimension, counted from 0 (code) or 1 (prose) as asked
                dim, i = src.index
                assert i < t.shape[dim] and src.base in (0, 1) and whole(shown) == i + src.base, (src, shown)
            else:
                value = float(t[src.index])
                assert agrees(shown, value, src.decimals, src.style), (src.describe(), shown, value)
            checked += 1
    return checked


def seen(scene: Any) -> set[tuple[str, tuple[int, ...]]]:
    """Return every (tensor, index) whose value was on screen at some audit."""
    return {(s.tensor, s.index) for p in scene.b.log.points for s, _ in p.shown if s.kind == "value"}


def check_published(scene: Any, manifest: Mapping[str, Any]) -> int:
    """Assert the manifest lists each (tensor, index, kind) shown, once, with a text it had on screen; count them."""
    on_screen: dict[tuple[str, tuple[int, ...], str], set[str]] = {}
    for point in scene.b.log.points:
        for src, text in point.shown:
            on_screen.setdefault((src.tensor, tuple(src.index), src.kind), set()).add(text)
    published = manifest["audit"]["shown"]
    keys = [(e["tensor"], tuple(e["index"]), e["kind"]) for e in published]
    assert len(keys) == len(set(keys)), "an entry is listed twice"
    assert set(keys) == set(on_screen), set(keys) ^ set(on_screen)
    for key, entry in zip(keys, published):
        assert entry["text"] in on_screen[key], (key, entry["text"], on_screen[key])
    return len(keys)


def positions(L: int, D: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The paper's sinusoidal encoding written out entry by entry (independent of tensors.attention).

    PE[p, i] = sin(p / 10000^(i/D)) for even i, cos(p / 10000^((i-1)/D)) for odd i.
    """
    pe = torch.zeros(L, D, dtype=dtype)
    for p in range(L):
        for i in range(0, D, 2):
            angle = p / 10000 ** (i / D)
            pe[p, i] = math.sin(angle)
            if i + 1 < D:
                pe[p, i + 1] = math.cos(angle)
    return pe
