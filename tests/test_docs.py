"""The README's palette table is the palette the lectures use."""

from __future__ import annotations

import re
from pathlib import Path

from scenes.kit import style

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_readme_palette_table_matches_the_style_module() -> None:
    rows = dict(re.findall(r"^\| (\w+) \| `(#[0-9a-f]{6})` \|", README, flags=re.M))
    roles = {k: v for k, v in style.ROLE.items() if k.islower()}
    assert {k: rows[k] for k in roles} == roles
    assert rows["difference"] == style.DIFFERENCE
    assert " ".join(style.INDEX) in README


def test_no_role_hue_is_reused_for_another_role_or_for_text() -> None:
    hues = [v.lower() for k, v in style.ROLE.items() if k.islower()]
    assert len(set(hues)) == len(hues)
    assert not {style.TEXT.lower(), style.MUTED.lower(), style.DIFFERENCE.lower(), *map(str.lower, style.INDEX)} & set(hues)
