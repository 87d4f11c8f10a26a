"""Draw the course palette (scenes/kit/style.py) to docs/palette.png: `.venv/bin/python docs/palette.py`."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import manim  # noqa: E402
from manim import DOWN, LEFT, RIGHT, UP, Rectangle, Scene, VGroup  # noqa: E402

from scenes.kit import style, typst_cache  # noqa: E402

ROLES = ("input", "weight", "query", "key", "value", "score", "attention", "output", "position", "gradient")


def swatch(colour: str, label: str, outline: bool = False) -> VGroup:
    """Return a colour chip with its name and hex beside it."""
    chip = Rectangle(width=0.9, height=0.45, stroke_width=2 if outline else 0, stroke_color=colour,
                     fill_color=colour, fill_opacity=0.0 if outline else 1.0)
    hex_code = colour.replace("#", "\\#")
    text = typst_cache.typst(f"{label}  {hex_code}", font_size=26, color=colour)
    return VGroup(chip, text.next_to(chip, RIGHT, buff=0.25))


class Palette(Scene):
    """Roles on the left; indices, difference and text on the right."""

    def construct(self) -> None:
        self.camera.background_color = style.BACKGROUND
        roles = VGroup(*(swatch(style.ROLE[r], r) for r in ROLES)).arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        others = VGroup(*(swatch(c, f"index {i + 1}") for i, c in enumerate(style.INDEX)),
                        swatch(style.DIFFERENCE, "difference"), swatch(style.TEXT, "text"),
                        swatch(style.MUTED, "muted")).arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        VGroup(roles, others).arrange(RIGHT, buff=1.5, aligned_edge=UP).move_to([0, 0, 0])
        self.add(roles, others)


def main() -> None:
    """Render one frame of the palette and copy it to docs/palette.png."""
    typst_cache.install()
    with tempfile.TemporaryDirectory() as tmp:
        with manim.tempconfig({"quality": "low_quality", "write_to_movie": False, "save_last_frame": True,
                               "media_dir": tmp, "verbosity": "ERROR", "output_file": "palette"}):
            Palette().render()
        shutil.copy(next(Path(tmp).rglob("palette.png")), ROOT / "docs" / "palette.png")


if __name__ == "__main__":
    main()
