"""The device names a lecture can compute on; torch-free, so the CLI can offer them without importing torch."""

from __future__ import annotations

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")  # auto: cuda, then mps, then cpu
