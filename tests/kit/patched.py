"""Call something with Manim's own code and then with one of the kit's exact replacements installed."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any


def both(patch: ModuleType, call: Callable[[], Any]) -> tuple[Any, Any]:
    """Return (Manim's result, the patched result) of call; the patch is uninstalled afterwards.

    Pass a lambda that looks the method up when called: a bound method taken beforehand keeps Manim's own.
    """
    patch.uninstall()
    theirs = call()
    patch.install()
    try:
        ours = call()
    finally:
        patch.uninstall()
    return theirs, ours
