"""The render pipeline behind `render.py`: a typed request in, an audited and published video out.

`render(RenderRequest(...))` validates the config and device, builds the topic's tensors, renders
and audits its scene in a fresh work folder under a per-topic lock, verifies the video and
publishes it with its sidecars atomically. `dry_run_all` and `render_many` are the batch commands.
Importing this module imports neither torch nor Manim (they are imported when a render starts).
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driver import registry
from driver.errors import EXIT_DEPENDENCY, EXIT_FAILURE, EXIT_USAGE, Failure
from driver.quality import (
    ENCODER_THREADS,
    ENCODERS_IN_FLIGHT,
    X264_CRF,
    X264_PRESET,
    Quality,
    folder_name,
    quality_of,
    x264_options,
)

if TYPE_CHECKING:
    import torch

    from scenes.kit.lecture import LectureScene
    from tensors.common import LectureConfig

Report = Callable[[str], None]  # receives one progress line at a time


@dataclass(frozen=True)
class RenderRequest:
    """Everything one render needs: what to render, how, where, and who hears about progress."""

    topic: registry.Topic
    config: LectureConfig
    quality: str = "low"
    device: str = "auto"
    output_dir: Path = Path("media")
    formats: tuple[str, ...] = ("mp4",)
    resolution: str | None = None  # "WxH" overrides the quality's frame size
    dry_run: bool = False  # build and audit the whole scene; draw and write nothing
    beat: str | None = None  # a preview: draw and encode only this beat (number from 1, or name); driver/preview.py
    narration: str = "none"  # none | espeak | a folder of recordings named by line id (driver/voice.py)
    burn_captions: bool = False  # draw the captions into the frames' caption band as well
    progress: Report | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Outcome:
    """What one render produced: the published video (None for a dry run), its manifest and scene."""

    video: Path | None
    manifest: dict[str, Any]
    scene: LectureScene


def render(request: RenderRequest) -> Outcome:
    """Build the topic's tensors, render and audit its scene, and publish the video atomically."""
    q = quality_of(request.quality, request.resolution)
    device = _device(request)
    if request.beat is not None:  # a bad beat is a usage error before anything is built or written
        from driver.preview import beat_index

        _import_manim()
        beat_index(request.topic.name, request.topic.lecture().scene.beats, request.beat)
    if request.narration not in ("none", "espeak"):  # recordings: every line's file, checked before rendering
        from driver.voice import Recordings

        Recordings(Path(request.narration)).check(request.topic.name, [line["id"] for line in script(request)])
    if request.dry_run:
        return _render_in(request, q, device, work_root=Path(tempfile.gettempdir()), final_dir=None)
    sub = folder_name(request.quality, request.resolution)
    check_writable(request.output_dir, sub)
    from driver.safety import Busy, clear_stale, topic_lock

    final_dir = request.output_dir / sub
    work_root = request.output_dir / ".work"
    key = _work_key(request)
    try:
        with topic_lock(work_root, key):
            clear_stale(work_root, key)
            if request.beat is not None:  # a preview never touches the published set
                return _render_in(request, q, device, work_root=work_root, final_dir=final_dir)
            from publish.outputs import clear_unpublished

            clear_unpublished(final_dir, request.topic.name)  # set folders a killed publish left uncommitted
            return _render_in(request, q, device, work_root=work_root, final_dir=final_dir)
    except Busy as err:
        raise Failure(str(err), EXIT_FAILURE) from None
    except Exception as err:  # a write that failed, maybe inside the encoder (RuntimeError from an OSError)
        cause = os_error_in(err)
        if cause is None:
            raise
        from publish.outputs import write_error

        raise Failure(write_error(cause, request.output_dir), EXIT_FAILURE) from None


def os_error_in(err: BaseException) -> OSError | None:
    """Return the OSError behind err (itself, or along its causes and contexts) when a write failed; else None.

    Manim's encoder threads wrap a full disk as "RuntimeError: Failed to finish video segment ..."; the
    disk-full error is its cause.
    """
    seen: set[int] = set()
    found: OSError | None = None
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno is not None:
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                return e
            found = found or e
        e = e.__cause__ or e.__context__
    return found if isinstance(err, OSError) else None


def _work_key(request: RenderRequest) -> str:
    """Return the name of a render's lock and work folders: topic and output sub-folder, e.g. 'heads-low'."""
    key = f"{request.topic.name}-{folder_name(request.quality, request.resolution)}"
    return key if request.beat is None else f"{key}-preview"  # a preview renders alongside the full render


def _render_in(request: RenderRequest, q: Quality, device: torch.device, *, work_root: Path,
               final_dir: Path | None) -> Outcome:
    """Render in a fresh work folder; verify, stage and publish unless a dry run; always clean up."""
    started = time.perf_counter()
    topic, dry_run, progress = request.topic, request.dry_run, request.progress
    manim = _import_manim()  # first: the scene modules import Manim, and a missing library is exit 3 with the fix
    lecture = topic.lecture()
    result = lecture.build(request.config, device)
    from driver.manifest import INLINE_LIMIT, build_manifest
    from driver.safety import check_interrupt, new_work_dir
    from scenes.kit import family, fast_copy, path_cache, subpaths, typst_cache
    from scenes.kit.binding import AuditError, BindingError

    work = new_work_dir(work_root, _work_key(request))
    try:
        typst_cache.install()
        path_cache.install()  # a Cairo path whose points did not change is not rebuilt (same pixels)
        subpaths.install()  # a shape's subpaths cut in one numpy pass (the same subpaths)
        fast_copy.install()  # mobject copies without a deepcopy call per number (the same copies)
        family.install()  # a mobject's family listed with a stack, not nested generators (the same list)
        settings = {
            "quality": q.manim, "pixel_width": q.width, "pixel_height": q.height, "frame_rate": q.fps,
            "media_dir": str(work), "disable_caching": True, "output_file": topic.name,
            "verbosity": "ERROR", "progress_bar": "none", "write_to_movie": not dry_run,
            # encode segments while the next animations render instead of waiting after each one
            "max_inflight_encoders": ENCODERS_IN_FLIGHT,
            "video_encoder_options": x264_options(),
        }
        with manim.tempconfig(settings):
            scene = lecture.scene(result, dry_run=dry_run)
            scene.progress = progress
            scene.stop_check = check_interrupt
            from driver import voice

            scene.voice = voice.make(request.narration, work)
            scene.voice_pause = voice.PAUSE
            scene.burn_captions = request.burn_captions
            if request.beat is not None:
                from driver.preview import beat_index

                scene.preview_beat = beat_index(topic.name, lecture.scene.beats, request.beat)
            try:
                scene.render()
            except (AuditError, BindingError) as err:
                _stop_encoders(scene)
                raise Failure(str(err), EXIT_FAILURE) from None
            except BaseException:  # Ctrl-C, SIGTERM, disk full: no encoder thread may outlive the render
                _stop_encoders(scene)
                raise
            movie = None if dry_run else Path(scene.renderer.file_writer.movie_file_path)
        manifest = build_manifest(topic, request.config, result, scene, request.quality, q, str(device))
        manifest["render"] = {"wall_seconds": round(time.perf_counter() - started, 3), "dry_run": dry_run,
                              "encoder": {"codec": "libx264", "crf": X264_CRF, "preset": X264_PRESET,
                                          "in_flight": ENCODERS_IN_FLIGHT, "threads": ENCODER_THREADS}}
        if movie is None or final_dir is None:
            return Outcome(None, manifest, scene)
        if scene.preview_beat is not None:
            from driver.preview import place, preview_path
            from publish.outputs import OutputError, verify_video

            try:
                shown = verify_video(movie, q.width, q.height, q.fps)
            except OutputError as err:
                raise Failure(str(err), EXIT_FAILURE) from None
            target = preview_path(request.output_dir, final_dir.name, topic.name, scene.preview_beat,
                                  lecture.scene.beats)
            manifest["preview"] = {"beat": scene.preview_beat + 1, "name": lecture.scene.beats[scene.preview_beat],
                                   "file": str(target)}
            return Outcome(place(_preview_with_sound(scene, movie, shown), target), manifest, scene)
        from publish.outputs import OutputError, publish, stage, verify_video

        try:
            manifest["video"] = {"file": f"{topic.name}.mp4", **verify_video(movie, q.width, q.height, q.fps)}
            if progress is not None:
                progress(f"encoding {', '.join(request.formats)} and sidecars")
            big = {k: v.detach().cpu().numpy() for k, v in result.tensors().items() if v.numel() > INLINE_LIMIT}
            staged = stage(work, movie, topic.name, manifest, big, request.formats, audio=_narration_track(scene, manifest["video"]))
            manifest["render"]["wall_seconds"] = round(time.perf_counter() - started, 3)
            check_interrupt()  # a signal whose exception was swallowed still stops the publish
            video = publish(staged, final_dir)
        except OutputError as err:
            raise Failure(str(err), EXIT_FAILURE) from None
        return Outcome(video, manifest, scene)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _preview_with_sound(scene: Any, movie: Path, video: dict[str, Any]) -> Path:
    """Return the preview video with its beat's spoken lines and captions, placed from the beat's first frame."""
    from publish.audio import mix
    from publish.formats import faststart

    index = scene.preview_beat
    start = scene.chapters[index][0]
    end = scene.chapters[index + 1][0] if index + 1 < len(scene.chapters) else scene.time
    cues = [(s - start, min(e, end) - start, text) for s, e, text in scene.caption_spans if start <= s < end]
    audio = None
    if scene.voice is not None:  # the beat's lines, as long as the preview's frames, like the full track
        clips = [(e["start"] - start, e["clip"].path) for e in scene.lines
                 if e["clip"] is not None and start <= e["start"] < end]
        audio = mix(clips, video["frames"] / video["fps"])
    if audio is None and not cues:
        return movie
    return faststart(movie, movie.with_name(f"sound-{movie.name}"), audio=audio, cues=cues)


def _narration_track(scene: Any, video: dict[str, Any]) -> Any:
    """Return the spoken lines mixed into one track exactly as long as the video (None when silent)."""
    if scene.voice is None:
        return None
    from publish.audio import mix

    clips = [(e["start"], e["clip"].path) for e in scene.lines if e["clip"] is not None]
    seconds = video["frames"] / video["fps"] if video.get("frames") else video["duration"]
    return mix(clips, seconds)


def _voice_name(narration: str) -> str:
    """Return the voice a --narration value records in the manifest: none, espeak or recordings."""
    return narration if narration in ("none", "espeak") else "recordings"


def script(request: RenderRequest) -> list[dict[str, Any]]:
    """Return a lecture's narration script: a silent dry run's lines (id, beat, text, spoken words, reading time)."""
    from dataclasses import replace

    from scenes.kit.layout import reading_seconds

    silent = replace(request, dry_run=True, narration="none", beat=None, progress=None)
    lines = _render_in(silent, quality_of(request.quality, request.resolution), _device(request),
                       work_root=Path(tempfile.gettempdir()), final_dir=None).manifest["narration"]["lines"]
    return [{"id": x["id"], "beat": x["beat"], "text": x["text"], "spoken": x["spoken"],
             "reading_seconds": round(reading_seconds(x["text"]), 1)} for x in lines]


def _device(request: RenderRequest) -> Any:
    """Validate the config and resolve the device (exit 2 with one line when either is bad)."""
    from tensors.common import ConfigError, DeviceError, resolve_device

    try:
        request.config.validate()
        return resolve_device(request.device)
    except (ConfigError, DeviceError) as err:
        raise Failure(str(err), EXIT_USAGE) from None


def _stop_encoders(scene: Any) -> None:
    """Discard the open video segment and join Manim's encoder threads (they would keep the process alive)."""
    writer = getattr(getattr(scene, "renderer", None), "file_writer", None)
    if writer is not None and hasattr(writer, "abort_encode_jobs"):
        try:
            writer.abort_encode_jobs()
        except BaseException:  # the render's own error is the one to report
            pass


def _import_manim() -> Any:
    """Import Manim and Typst, or fail with exit 3 and the install command."""
    try:
        import manim
    except ImportError as err:  # pycairo / manimpango need the cairo and pango system libraries
        raise Failure(
            f"cannot import manim ({err}); run ./setup.sh, or: sudo apt-get install libcairo2-dev"
            " libpango1.0-dev pkg-config && .venv/bin/pip install -e .",
            EXIT_DEPENDENCY,
        ) from None
    try:
        import typst  # noqa: F401
    except ImportError as err:
        raise Failure(f"cannot import typst ({err}); run ./setup.sh, or: .venv/bin/pip install typst",
                      EXIT_DEPENDENCY) from None
    return manim


def check_output_dir(output_dir: Path, *subfolders: str) -> None:
    """Refuse, writing nothing, an output folder that is a file or inside one, or whose sub-folders are files (exit 2).

    `subfolders` are the folders a command writes in it ('low', 'course'); `.work` and `.sets` are always checked.
    """
    try:
        _check_output_dir(output_dir, subfolders)
    except OSError as err:  # a name too long, a symlink loop, a folder we may not look into
        raise Failure(f"--output-dir {output_dir} cannot be used ({err.strerror or err})", EXIT_USAGE) from None


def _check_output_dir(output_dir: Path, subfolders: tuple[str, ...]) -> None:
    if output_dir.is_symlink() and not output_dir.exists():
        raise Failure(f"--output-dir {output_dir} is a symlink that leads nowhere (a loop, or its target is gone)",
                      EXIT_USAGE)
    if output_dir.exists() and not output_dir.is_dir():
        raise Failure(f"--output-dir {output_dir} is a file, not a directory", EXIT_USAGE)
    for parent in [output_dir, *output_dir.parents]:
        if parent.exists():
            if parent.is_file():
                raise Failure(f"--output-dir {output_dir} is inside a file ({parent})", EXIT_USAGE)
            break
    for sub in (*subfolders, ".work", ".sets"):
        path = output_dir / sub
        if (path.exists() or path.is_symlink()) and not path.is_dir():
            raise Failure(f"--output-dir {output_dir}: {path} is a file, not a folder (move it away, or choose another"
                          " --output-dir)", EXIT_USAGE)


def check_writable(output_dir: Path, *subfolders: str) -> None:
    """Refuse an output folder that `check_output_dir` refuses or that cannot be written; create it if missing."""
    check_output_dir(output_dir, *subfolders)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as err:
        raise Failure(f"--output-dir {output_dir} is not writable ({err.strerror or err})", EXIT_USAGE) from None


def check_seed(seed: int) -> None:
    """Refuse a seed torch cannot take (exit 2), without importing torch."""
    from driver.options import SEED_MAX

    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= SEED_MAX:
        raise Failure(f"--seed must be 0 or more and at most {SEED_MAX}, got {seed}", EXIT_USAGE)


def check_batch(device: str, seed: int) -> None:
    """Refuse a bad seed or an unavailable device before a batch starts (exit 2)."""
    from tensors.common import DeviceError, resolve_device

    check_seed(seed)
    try:
        resolve_device(device)
    except DeviceError as err:
        raise Failure(str(err), EXIT_USAGE) from None


# -- batches ------------------------------------------------------------------------------------
def dry_run_all(*, quality: str, device: str, seed: int, report: Report,
                topics: Sequence[registry.Topic] = registry.TOPICS, narration: str = "none") -> int:
    """Build and audit every topic's scene one after another in this process; return how many failed."""
    check_batch(device, seed)
    start, failed = time.perf_counter(), 0
    for topic in topics:
        t0 = time.perf_counter()
        try:
            request = RenderRequest(topic, topic.config()(seed=seed), quality=quality, device=device, dry_run=True,
                                    narration=narration)
            manifest = render(request).manifest
            audit, layout = manifest["audit"], manifest["layout"]
            report(f"{topic.name:10s} ok      {time.perf_counter() - t0:5.1f} s  {audit['numbers_checked']} numbers,"
                   f" {audit['mismatches']} mismatches; layout {sum(layout['checks'].values())} checks,"
                   f" {layout['violations']} violations (blank <= {layout['longest_blank_seconds']} s,"
                   f" captions <= {layout['fastest_caption_cps']} chars/s, recap held {layout['recap_hold_seconds']} s)")
        except Failure as err:
            if err.code == EXIT_USAGE:
                raise
            failed += 1
            report(f"{topic.name:10s} FAILED  {time.perf_counter() - t0:5.1f} s  {err}")
    report(f"dry run of {len(topics)} topics: {failed} failed in {time.perf_counter() - start:.1f} s")
    return failed


def render_many(names: Sequence[str], *, quality: str, jobs: int, device: str, seed: int, output_dir: Path,
                formats: tuple[str, ...], report: Report, narration: str = "none", burn_captions: bool = False) -> int:
    """Render topics in worker processes, `jobs` at a time; report progress and a summary; return how many failed."""
    from driver.jobs import run_jobs

    check_batch(device, seed)
    check_writable(output_dir, quality)
    common = ["--quality", quality, "--device", device, "--seed", str(seed), "--output-dir", str(output_dir),
              "--format", ",".join(formats), "--narration", narration, *(["--burn-captions"] if burn_captions else [])]
    report(f"rendering {len(names)} topics at {quality} quality, {jobs} at a time")
    start = time.perf_counter()
    log_dir = output_dir / ".work" / "logs"
    finished = run_jobs(names, common, jobs, log_dir, report)
    failed = [j for j in finished if j.state != "done"]
    report(f"{len(finished) - len(failed)} done, {len(failed)} failed in {time.perf_counter() - start:.1f} s"
           + (f"; logs in {log_dir}" if failed else ""))
    for job in failed:
        report(f"failed: {job.topic}: {job.message}")
    if not failed:
        shutil.rmtree(log_dir, ignore_errors=True)
    return len(failed)


def write_course(*, quality: str, jobs: int, device: str, seed: int, output_dir: Path, report: Report,
                 topics: Sequence[registry.Topic] = registry.TOPICS, media_base: str = "",
                 narration: str = "none", burn_captions: bool = False) -> Path:
    """Render the topics missing at this quality, then write the course page; return its index.html.

    The page's embed snippets point at media_base ('' means next to the page)."""
    from publish import page

    check_seed(seed)
    check_writable(output_dir, quality, "course", "course/media")
    from publish.outputs import OutputError

    source = output_dir / quality

    def read(reader: Callable[..., Any], topic: registry.Topic, *args: Any) -> Any:
        """Run a reader of a topic's set; a set that is not whole is one line naming the file, exit 1."""
        try:
            return reader(*args)
        except OutputError as err:
            raise Failure(f"{err}; render it again: render.py {topic.name} --quality {quality}"
                          f" --output-dir {output_dir}", EXIT_FAILURE) from None

    todo = [t.name for t in topics if read(page.missing, t, source, t.name, _voice_name(narration))]
    if todo:
        check_batch(device, seed)
        report(f"missing at {quality} quality: {', '.join(todo)}")
        failed = render_many(todo, quality=quality, jobs=jobs, device=device, seed=seed, output_dir=output_dir,
                             formats=("mp4", "webm"), report=report, narration=narration, burn_captions=burn_captions)
        if failed:
            raise Failure(f"{failed} topic(s) failed to render; the course page was not written")
    for attempt in range(3):
        entries = [read(page.load_entry, t, t.name, t.title, t.question, source) for t in topics]
        try:
            index = page.write_course(entries, output_dir / "course", media_base=media_base)
            break
        except FileNotFoundError as err:  # a render published a newer set of that topic meanwhile: read again
            if attempt == 2:
                raise Failure(f"{err.filename} vanished while the course page was written (renders publishing"
                              " into the same folder?): run course again", EXIT_FAILURE) from None
    size = sum(f.stat().st_size for f in index.parent.rglob("*") if f.is_file())
    report(f"course page: {index} ({len(entries)} lectures, {size / 2**20:.1f} MiB)")
    return index
