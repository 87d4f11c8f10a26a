"""One-beat previews (`render.py heads --beat 3`): which beat, and where its video goes.

The whole lecture is built and audited as in a full render (every beat: state and audit stay
right); only the chosen beat is drawn and encoded (`LectureScene.preview_beat`). The video goes to
`<output-dir>/preview/<quality>/<topic>-<N>-<beat>.mp4`, never to the published set. Imports
neither torch nor Manim.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

from driver.errors import EXIT_USAGE, Failure

FOLDER = "preview"  # under --output-dir; one sub-folder per quality, like the published videos


def beat_index(topic: str, beats: Sequence[str], text: str) -> int:
    """Return the 0-based index of the beat `text` names: its number from 1, or its name; else exit 2, one line."""
    wanted = text.strip()
    if wanted.isdigit():
        n = int(wanted)
        if 1 <= n <= len(beats):
            return n - 1
        raise Failure(f"--beat {wanted}: {topic} has beats 1 to {len(beats)} ({', '.join(beats)})", EXIT_USAGE)
    lowered = [b.lower() for b in beats]
    if wanted.lower() in lowered:
        return lowered.index(wanted.lower())
    close = difflib.get_close_matches(wanted.lower(), lowered, n=1)
    hint = f" Did you mean '{beats[lowered.index(close[0])]}'?" if close else ""
    raise Failure(f"--beat {wanted!r} is not a beat of {topic}.{hint} Beats: 1 to {len(beats)} or"
                  f" {', '.join(beats)}", EXIT_USAGE)


def preview_path(output_dir: Path, sub: str, topic: str, index: int, beats: Sequence[str]) -> Path:
    """Return where the preview of beat `index` (0-based) goes: preview/<sub>/<topic>-<N>-<beat>.mp4."""
    return output_dir / FOLDER / sub / f"{topic}-{index + 1}-{beats[index]}.mp4"


def place(movie: Path, target: Path) -> Path:
    """Move the verified preview video to target in one rename (same filesystem: the work folder is in output_dir)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(movie, target)
    return target
