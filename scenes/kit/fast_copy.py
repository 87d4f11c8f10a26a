"""Copy a mobject without a trip through `copy.deepcopy` for every number and array it holds (same copy).

Every Transform copies its mobjects when it begins, and Manim's Mobject.__deepcopy__ hands each
attribute to copy.deepcopy: a dispatch per float, string and point array, about 260 per glyph. The
profile of bmm's dry run put a fifth of the main thread's time in those copies. This shares values
that are never changed in place (numbers, strings, enums, paths, colours) and copies numeric arrays
with ndarray.copy, keeps deepcopy's memo so arrays and mobjects shared inside the copied tree stay shared, and
hands everything else to deepcopy as before (tests/kit/test_fast_copy.py). Installed for every
render by the pipeline.
"""

from __future__ import annotations

import copy
from enum import Enum
from pathlib import PurePath
from typing import Any

import numpy as np
from manim import ManimColor, Mobject

_original = Mobject.__deepcopy__
_IMMUTABLE = frozenset({int, float, bool, str, bytes, type(None), complex, np.float64, np.float32, np.int64,
                        np.bool_})
# values never changed in place: enums, paths, and colours (Manim's own ManimColor(colour) shares the array)
_SHARED_KINDS = (Enum, PurePath, ManimColor)
_shared: dict[type, bool] = {}


def _immutable(t: type) -> bool:
    """Decide, once per type, whether its values are copied by reference; remember it in _shared."""
    known = _shared[t] = t in _IMMUTABLE or issubclass(t, _SHARED_KINDS)
    return known


def __deepcopy__(self: Mobject, memo: dict[int, Any]) -> Mobject:
    """Mobject.__deepcopy__ with immutable values shared and numeric arrays copied directly."""
    cls = self.__class__
    result = cls.__new__(cls)
    memo[id(self)] = result
    for k, v in self.__dict__.items():
        t = type(v)
        shared = _shared.get(t)  # the hot path: one dict lookup per attribute
        if shared is None:
            shared = _immutable(t)
        if shared:
            setattr(result, k, v)
        elif t is np.ndarray and v.dtype.kind in "biufc":  # numbers only: object arrays need deepcopy
            seen = memo.get(id(v))
            if seen is None:
                seen = memo[id(v)] = v.copy()
                memo.setdefault(id(memo), []).append(v)  # as deepcopy does: keep the original alive while copying
            setattr(result, k, seen)
        else:
            setattr(result, k, copy.deepcopy(v, memo))
    result.original_id = str(id(self))
    return result


def install() -> None:
    """Use the faster copy for every mobject in this process (idempotent)."""
    Mobject.__deepcopy__ = __deepcopy__  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Back to Manim's own copy."""
    Mobject.__deepcopy__ = _original  # type: ignore[method-assign]
