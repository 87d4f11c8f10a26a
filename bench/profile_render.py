#!/usr/bin/env python3
"""Where a render's main thread spends its time: `.venv/bin/python bench/profile_render.py heads --quality low`.

Runs one render in this process under cProfile timed by the main thread's own CPU clock
(time.thread_time: the encoder threads and other processes on a busy machine do not count), and
prints the top functions and the share of a few groups (Cairo drawing, audits, copies, animation,
scene building). Writes the raw profile to $TMPDIR/profile-<topic>-<quality>.prof. `overdraw()` counts
the per-frame draws of static mobjects above animated ones. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (group, substring of "file:function") -> the cumulative time of the outermost matching function counts
GROUPS = {
    "drawing (Camera.capture_mobjects: Cairo paths, images)": "camera.py:capture_mobjects",
    "static-frame snapshot (save_static_frame_data)": "cairo_renderer.py:save_static_frame_data",
    "frame copy + hand-off to the encoders (add_frame)": "cairo_renderer.py:add_frame",
    "number audit (Binding.audit)": "binding.py:audit",
    "layout audit (check_frame, stage)": "layout.py:check_frame",
    "animations: begin (copies) ": "scene.py:begin_animations",
    "animations: interpolate (update_to_time)": "scene.py:update_to_time",
    "deepcopy anywhere": "copy.py:deepcopy",
    "Typst (compile, SVG to paths)": "typst_cache.py:",
    "lecture build (tensors)": ":build",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic", nargs="?", default="heads")
    parser.add_argument("--quality", default="low")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    from driver import registry
    from driver.pipeline import RenderRequest, render

    topic = registry.get(args.topic)
    prof = cProfile.Profile(time.thread_time)
    wall = time.perf_counter()
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as out:
        request = RenderRequest(topic, topic.config()(), quality=args.quality, device="cpu", output_dir=Path(out))
        prof.enable()
        outcome = render(request)
        prof.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    dest = Path(tempfile.gettempdir()) / f"profile-{args.topic}-{args.quality}.prof"  # for snakeviz, pstats
    prof.dump_stats(str(dest))
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]  # tottime over all = main thread CPU
    frames = outcome.manifest["video"]["frames"]
    print(f"{args.topic} at {args.quality}: {frames} frames, wall {wall:.1f} s, process CPU {cpu:.1f} s,"
          f" main thread CPU {total:.1f} s ({1000 * total / frames:.1f} ms a frame)")
    cum: dict[str, float] = {}
    for (file, _, func), (_, _, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        key = f"{Path(file).name}:{func}"
        for group, pattern in GROUPS.items():
            if pattern in key:
                cum[group] = max(cum.get(group, 0.0), ct)  # outermost (recursive calls share cumtime)
    for group, t in sorted(cum.items(), key=lambda kv: -kv[1]):
        print(f"  {t:7.2f} s  {100 * t / total:5.1f}%  {group}")
    print("top by own time:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()


def overdraw(topic_name: str, quality: str = "low") -> dict[str, float]:
    """Count, over a dry run, the mobjects Cairo would draw every frame and how many of them really animate.

    Manim draws the static part of the stage once per animation and, every frame, every mobject from the
    first animated one onwards in drawing order: static mobjects above an animated one are redrawn too.
    Returns the per-frame draws summed over the lecture: all, animated, and static-but-redrawn.
    """
    import numpy as np
    from manim import Scene
    from static_cache import _animated_ids  # bench/static_cache.py: animated, updated or foreground

    from driver import registry
    from driver.pipeline import RenderRequest, render
    from driver.quality import QUALITIES

    fps = QUALITIES[quality].fps
    totals = {"frames": 0.0, "drawn": 0.0, "animated": 0.0, "static_drawn_once_per_play": 0.0, "plays": 0.0}
    original = Scene.begin_animations

    def counting(self: Scene) -> None:
        original(self)
        frames = len(np.arange(0, self.duration, 1 / fps))
        if frames == 0 or all(getattr(a, "is_static_wait", False) for a in self.animations or ()):
            return
        animated = _animated_ids(self)
        drawn = [m for m in self.moving_mobjects if m.has_points()]
        totals["plays"] += 1
        totals["frames"] += frames
        totals["drawn"] += frames * len(drawn)
        totals["animated"] += frames * sum(id(m) in animated for m in drawn)
        totals["static_drawn_once_per_play"] += len([m for m in self.static_mobjects if m.has_points()])

    Scene.begin_animations = counting  # type: ignore[method-assign]
    try:
        topic = registry.get(topic_name)
        render(RenderRequest(topic, topic.config()(), quality=quality, device="cpu", dry_run=True))
    finally:
        Scene.begin_animations = original  # type: ignore[method-assign]
    totals["redrawn_static"] = totals["drawn"] - totals["animated"]
    return totals
