"""A plain-text transcript: the captions by chapter, then the values the lecture shows."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

from publish.captions import chapter_spans

MAX_TABLE = 64  # tensors with more shown entries are summarised, not listed


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def transcript(manifest: dict[str, Any]) -> str:
    """Return the transcript text of one lecture."""
    lines = [manifest["title"], "=" * len(manifest["title"]), "", f"Question: {manifest['question']}", ""]
    lines.append("The video is silent; this is everything it says, chapter by chapter.")
    for start, end, title in chapter_spans(manifest):
        lines += ["", f"[{_clock(start)}] {title}"]
        for c in manifest["captions"]:
            if start <= c["start"] < end:
                lines += textwrap.wrap(c["text"], 96, initial_indent="  ", subsequent_indent="  ")
    lines += ["", "Values shown on screen (computed by torch, as displayed)", ""]
    by_tensor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in manifest["audit"]["shown"]:
        if entry["kind"] == "value":
            by_tensor[entry["tensor"]].append(entry)
    for name, entries in by_tensor.items():
        shape = manifest["tensors"].get(name, {}).get("shape", [])
        lines.append(f"{name}  shape ({', '.join(map(str, shape))})")
        if len(entries) > MAX_TABLE:
            lines.append(f"  {len(entries)} entries shown; full values in the manifest")
            continue
        for e in sorted(entries, key=lambda e: e["index"]):
            index = ", ".join(map(str, e["index"]))
            lines.append(f"  {name}[{index}] = {e['text']}")
    texts = [e for e in manifest["audit"]["shown"] if e["kind"] == "string"]
    for e in texts:
        lines.append(f"{e['tensor']}: {manifest.get('strings', {}).get(e['tensor'], e['text'])}")
    return "\n".join(lines) + "\n"


def write_transcript(manifest: dict[str, Any], path: Path) -> Path:
    """Write the transcript beside the video."""
    path.write_text(transcript(manifest), encoding="utf-8")
    return path
