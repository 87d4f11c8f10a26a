"""The manifest written beside each video: what was shown, from which tensors, and the audit."""

from __future__ import annotations

import dataclasses
import hashlib
import platform
from typing import Any

INLINE_LIMIT = 4096  # tensors larger than this go to <topic>.tensors.npz


def tensor_entry(name: str, t: Any) -> dict[str, Any]:
    """Describe one tensor: shape, dtype, and its values inline or by checksum."""
    cpu = t.detach().cpu()
    entry: dict[str, Any] = {"shape": list(cpu.shape), "dtype": str(cpu.dtype).removeprefix("torch.")}
    if cpu.numel() <= INLINE_LIMIT:
        entry["values"] = cpu.tolist()
    else:
        entry["values_file"] = "npz"
        entry["sha256"] = hashlib.sha256(cpu.contiguous().numpy().tobytes()).hexdigest()
    return entry


def poster(scene: Any, fps: int) -> dict[str, Any]:
    """Pick the poster frame: the last frame of the animation that shows the most bound numbers."""
    points = [p for p in scene.b.log.points if p.time > 0]
    if not points:
        return {"time": 0.0, "numbers_on_screen": 0, "beat": ""}
    best = max(points, key=lambda p: (len(p.shown) + 10 * p.heatmaps + p.plotted, -p.time))
    return {"time": round(max(0.0, best.time - 1.0 / fps), 3), "numbers_on_screen": len(best.shown), "beat": best.beat}


def build_manifest(topic: Any, config: Any, result: Any, scene: Any, quality: str, q: Any, device: str) -> dict[str, Any]:
    """Return the manifest of one rendered (or dry-run) lecture."""
    import manim
    import torch

    log = scene.b.log
    shown: dict[tuple[str, tuple[int, ...], str], str] = {}
    for point in log.points:
        for src, text in point.shown:
            shown.setdefault((src.tensor, src.index, src.kind), text)
    return {
        "topic": topic.name,
        "title": topic.title,
        "question": topic.question,
        "seed": config.seed,
        "device": device,
        "config": dataclasses.asdict(config),
        "versions": {"torch": torch.__version__, "manim": manim.__version__, "python": platform.python_version()},
        "quality": {"name": quality, "width": q.width, "height": q.height, "fps": q.fps},
        "poster": poster(scene, q.fps),
        "chapters": [{"start": round(t, 3), "title": title} for t, title in scene.chapters],
        "captions": [{"start": round(a, 3), "end": round(z, 3), "text": text} for a, z, text in scene.caption_spans],
        "tensors": {name: tensor_entry(name, t) for name, t in result.tensors().items()},
        "strings": result.strings(),
        "training": result.training(),  # None: the lecture's weights are random draws, and it says so
        "audit": {
            "animations_audited": len(log.points),
            "numbers_checked": log.numbers_checked,
            "heatmaps_checked": log.pixels_checked,
            "marks_checked": log.marks_checked,
            "distinct_numbers_shown": len(shown),
            "mismatches": 0,
            "shown": [{"tensor": k[0], "index": list(k[1]), "kind": k[2], "text": v} for k, v in shown.items()],
        },
        "layout": {"enabled": bool(scene.layout_audit), **scene.layout.summary()},
        "narration": narration(scene),
    }


def narration(scene: Any) -> dict[str, Any]:
    """Describe each caption line as spoken: its id, time, text, spoken words and numbers, and audio clip."""
    lines = []
    for entry in scene.lines:
        line, clip = entry["line"], entry["clip"]
        item = {"id": line.id, "beat": entry["beat"], "start": round(entry["start"], 3),
                "end": round(entry["end"] if entry["end"] is not None else entry["start"], 3),
                "text": line.text, "spoken": line.spoken, "numbers": line.numbers()}
        if clip is not None:
            item |= {"audio_seconds": round(clip.seconds, 3), "audio_sha256": clip.sha256}
        lines.append(item)
    return {"voice": getattr(scene.voice, "name", "none"), "lines": lines}
