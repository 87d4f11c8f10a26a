"""Published sets made by hand for the publishing tests: a schema-valid manifest listing the given files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from publish.outputs import SUFFIX, Staged, new_set_name


def manifest_for(name: str, contents: dict[str, bytes], **extra: Any) -> dict[str, Any]:
    """Return a manifest of topic name listing contents (kind -> bytes) the way a render writes one."""
    video = next(k for k in ("mp4", "webm", "gif", "png") if k in contents)
    m: dict[str, Any] = {
        "topic": name, "title": f"The {name} lecture", "question": f"What does {name} show?", "seed": 0,
        "device": "cpu", "config": {"seed": 0}, "versions": {"torch": "2.13.0", "manim": "0.22.0", "python": "3.11"},
        "quality": {"name": "low", "width": 854, "height": 480, "fps": 15},
        "poster": {"time": 1.0, "numbers_on_screen": 3, "beat": "one"},
        "chapters": [{"start": 0.0, "title": "One"}, {"start": 2.0, "title": "Two"}],
        "captions": [{"start": 0.0, "end": 1.5, "text": "First caption."}, {"start": 2.0, "end": 3.0, "text": "Second."}],
        "tensors": {"X": {"shape": [2, 2], "dtype": "float32", "values": [[1.0, 2.0], [3.0, 4.0]]}},
        "strings": {"err": "RuntimeError: shapes differ"},
        "audit": {"animations_audited": 4, "numbers_checked": 10, "heatmaps_checked": 0, "marks_checked": 0,
                  "distinct_numbers_shown": 2, "mismatches": 0,
                  "shown": [{"tensor": "X", "index": [0, 1], "kind": "value", "text": "2.00"},
                            {"tensor": "err", "index": [], "kind": "string", "text": "RuntimeError"}]},
        "layout": {"enabled": True},
        "render": {"wall_seconds": 1.0, "dry_run": False, "encoder": {"codec": "libx264"}},
        "video": {"file": name + SUFFIX[video], "width": 854, "height": 480, "fps": 15.0, "duration": 4.0,
                  "frames": 60},
        "files": {k: {"name": name + SUFFIX[k], "bytes": len(v), "sha256": hashlib.sha256(v).hexdigest()}
                  for k, v in contents.items()},
    }
    m.update(extra)
    return m


def contents_of(tag: str, kinds: tuple[str, ...] = ("mp4", "webm", "png", "srt", "vtt", "chapters", "txt")) -> dict[
        str, bytes]:
    """Return file contents for a set: each file says which set (tag) and kind it belongs to."""
    return {k: f"{tag}:{k}\n".encode() * (3 if k in ("mp4", "webm") else 1) for k in kinds}


def stage_fake(work: Path, name: str, contents: dict[str, bytes], **extra: Any) -> Staged:
    """Write a staged set into work/publish as `publish.outputs.stage` would; return it."""
    out = work / "publish"
    out.mkdir(parents=True)
    files = {}
    for kind, data in contents.items():
        files[kind] = out / (name + SUFFIX[kind])
        files[kind].write_bytes(data)
    set_name = new_set_name(name)
    manifest = manifest_for(name, contents, set=set_name, **extra)
    files["json"] = out / (name + ".json")
    files["json"].write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return Staged(name, set_name, out, files)


def write_plain(folder: Path, name: str, contents: dict[str, bytes], **extra: Any) -> dict[str, Any]:
    """Write a set as plain files only (a copy, or a render from before set folders); return its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, data in contents.items():
        (folder / (name + SUFFIX[kind])).write_bytes(data)
    manifest = manifest_for(name, contents, **extra)
    (folder / (name + ".json")).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest
