"""Draw the static mobjects that sit above an animated one once per animation, not once per frame.

Manim's Cairo renderer draws the static part of the stage once per animation, but "static" there
means "below the first animated mobject in drawing order": every mobject after that one is drawn
again on every frame, moving or not (in heads at 480p that is half of all per-frame draws). This
hook splits those per-frame draws into the animated ones and the static ones above them. On a frame
where no animated mobject's box comes near a static one's box (a margin for antialiasing and stroke
joins), every pixel is touched by one of the two groups only, so drawing the static ones once into
the background and the animated ones over it gives the same pixels as Manim's order; on any other
frame Manim's own path draws the frame.

An experiment, not used by renders: `.venv/bin/python bench/static_cache.py heads --cache static` renders the topic
at 480p without and with it, twice each, and compares every frame handed to the encoders (sha1) and
the main thread's CPU time. 2026-12-05: frames identical for heads and scaling, but only 139 of
heads' 907 animated frames could use it (most static mobjects above an animated one are the heading
and kept items over clear_stage's full-frame cover, which they always touch) and the main thread's
CPU time did not change beyond noise (15.1-15.2 s off, 14.6-15.3 s on).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools as it
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from manim import Mobject, VMobject
from manim.mobject.types.image_mobject import AbstractImageMobject
from manim.renderer.cairo_renderer import CairoRenderer

MITER_LIMIT = 10.0  # Cairo's default: a mitred join reaches at most this many half line widths out
EDGE_PIXELS = 3.0  # antialiasing and image resampling reach this far past a shape's control points

_original_save = CairoRenderer.save_static_frame_data
_original_update = CairoRenderer.update_frame
stats = {"frames": 0, "cached_frames": 0}


class _Plan:
    """One animation's split of the per-frame draws: animated members, static members above them."""

    def __init__(self, renderer: Any, scene: Any) -> None:
        camera = renderer.camera
        self.moving = scene.moving_mobjects
        self.background = renderer.static_image  # None: the camera's own background
        drawn = camera.get_mobjects_to_display(self.moving)
        animated = _animated_ids(scene)
        self.ok = all(_drawable(m) for m in drawn)
        self.animated = [m for m in drawn if id(m) in animated]
        self.above = [m for m in drawn if id(m) not in animated]
        self.ok = self.ok and bool(self.above) and bool(self.animated)
        self.unit = camera.frame_width / camera.pixel_width  # frame units per pixel
        self.boxes = np.array([_box(m, self.unit) for m in self.above]) if self.ok else np.zeros((0, 4))
        self.image: np.ndarray | None = None

    def disjoint(self) -> bool:
        """Return True when no animated member's box, as drawn now, meets a static member's box above it."""
        a = np.array([_box(m, self.unit) for m in self.animated])
        b = self.boxes
        meet = ((a[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < a[:, None, 2])
                & (a[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < a[:, None, 3]))
        return not bool(meet.any())

    def draw(self, renderer: Any) -> None:
        """Draw this frame: the cached background with the static members above, then the animated ones."""
        camera = renderer.camera
        if self.image is None:
            _start(renderer, self.background)
            _display(camera, self.above)
            self.image = camera.pixel_array.copy()
        camera.set_frame_to_background(self.image)
        _display(camera, self.animated)


def _start(renderer: Any, background: np.ndarray | None) -> None:
    if background is not None:
        renderer.camera.set_frame_to_background(background)
    else:
        renderer.camera.reset()


def _display(camera: Any, members: list[Mobject]) -> None:
    """Draw already-flattened family members in order, as Camera.capture_mobjects does after flattening."""
    for group_type, group in it.groupby(members, camera.type_or_raise):
        camera.display_funcs[group_type](list(group), camera.pixel_array)


def _drawable(m: Mobject) -> bool:
    """Plain vector shapes and images only (background-image vmobjects are composited as a batch)."""
    if isinstance(m, VMobject):
        return not m.get_background_image()
    return isinstance(m, AbstractImageMobject)


def _box(m: Mobject, unit: float) -> tuple[float, float, float, float]:
    """Return the box, in frame units, that drawing m can touch."""
    pts = m.points
    margin = EDGE_PIXELS * unit
    if isinstance(m, VMobject):
        width = max(m.get_stroke_width(), m.get_stroke_width(background=True))
        margin += 0.5 * MITER_LIMIT * width * 0.01  # Camera.cairo_line_width_multiple
    return (float(pts[:, 0].min()) - margin, float(pts[:, 1].min()) - margin,
            float(pts[:, 0].max()) + margin, float(pts[:, 1].max()) + margin)


def _animated_ids(scene: Any) -> set[int]:
    """Ids of every mobject that may change during the current play: animated, updated or in the foreground."""
    from manim import AnimationGroup

    roots: list[Mobject] = []
    todo = list(scene.animations or ())
    while todo:
        anim = todo.pop()
        roots.append(anim.mobject)
        if isinstance(anim, AnimationGroup):
            todo.extend(anim.animations)
    roots += list(scene.foreground_mobjects)
    for top in [*scene.mobjects, *scene.foreground_mobjects]:
        roots += [m for m in top.get_family() if m.updaters]
    return {id(m) for root in roots for m in root.get_family()}


def save_static_frame_data(self: Any, scene: Any, static_mobjects: Any) -> Any:
    image = _original_save(self, scene, static_mobjects)
    self._above_plan = None
    if getattr(scene, "moving_mobjects", None):
        self._above_plan = _Plan(self, scene)
    return image


def update_frame(self: Any, scene: Any, mobjects: Any = None, include_submobjects: bool = True,
                 ignore_skipping: bool = True, **kwargs: Any) -> None:
    plan: _Plan | None = getattr(self, "_above_plan", None)
    if (plan is not None and plan.ok and mobjects is plan.moving and include_submobjects and not kwargs
            and self.static_image is plan.background):
        stats["frames"] += 1
        if plan.disjoint():
            stats["cached_frames"] += 1
            plan.draw(self)
            return
    _original_update(self, scene, mobjects, include_submobjects, ignore_skipping, **kwargs)


def install() -> None:
    """Use the cache in every Cairo render of this process."""
    CairoRenderer.save_static_frame_data = save_static_frame_data  # type: ignore[method-assign]
    CairoRenderer.update_frame = update_frame  # type: ignore[method-assign]


def uninstall() -> None:
    """Back to Manim's own drawing."""
    CairoRenderer.save_static_frame_data = _original_save  # type: ignore[method-assign]
    CairoRenderer.update_frame = _original_update  # type: ignore[method-assign]


def compare(name: str, beat: str | None = None, which: str = "static") -> None:
    """Render topic at 480p without and with a cache (twice each); compare frames and main-thread CPU.

    which: "static" (this module) or "path" (scenes/kit/path_cache.py, which renders use; it is
    switched off for the "off" renders and this module's hooks are not installed then).
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from driver import registry
    from driver.pipeline import RenderRequest, render
    from scenes.kit import path_cache

    cache: Any = sys.modules[__name__] if which == "static" else path_cache
    if which == "static":
        path_cache.install()  # renders use it; compare this module's hook with and without
    pipeline_install = path_cache.install

    hashes: list[tuple[str, int]] = []
    add_frame = CairoRenderer.add_frame

    def hashing(self: Any, frame: np.ndarray, num_frames: int = 1) -> None:
        if not self.skip_animations:
            hashes.append((hashlib.sha1(frame.tobytes()).hexdigest(), num_frames))
        add_frame(self, frame, num_frames)

    CairoRenderer.add_frame = hashing  # type: ignore[method-assign]
    topic = registry.get(name)
    render(RenderRequest(topic, topic.config()(), device="cpu", dry_run=True))  # warm imports and caches
    seen: dict[str, list[tuple[str, int]]] = {}
    for mode in ("off", "on", "off", "on"):
        hashes.clear()
        cache.install() if mode == "on" else cache.uninstall()
        if which == "path":  # the pipeline installs it on every render: keep it off for "off"
            path_cache.install = path_cache.install if mode == "on" else (lambda: None)  # type: ignore[method-assign]
        start = time.thread_time()
        with tempfile.TemporaryDirectory() as out:
            render(RenderRequest(topic, topic.config()(), device="cpu", output_dir=Path(out), beat=beat))
        seen[mode] = list(hashes)
        print(f"{which} cache {mode}: {len(hashes)} frames, main thread CPU {time.thread_time() - start:.1f} s,"
              f" {cache.stats}")
        path_cache.install = pipeline_install  # type: ignore[method-assign]
    differ = [i for i, (a, b) in enumerate(zip(seen["off"], seen["on"])) if a != b]
    print(f"same frame count: {len(seen['off']) == len(seen['on'])}; frames that differ: {len(differ)} {differ[:10]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Compare frames and main-thread CPU without and with a cache.")
    parser.add_argument("topic", nargs="?", default="heads")
    parser.add_argument("--beat", default=None)
    parser.add_argument("--cache", choices=("static", "path"), default="path")
    args = parser.parse_args()
    compare(args.topic, args.beat, args.cache)
