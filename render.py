#!/usr/bin/env python3
"""Render the FAQ lectures: `python render.py heads --quality high`.

The CLI is thin and lazy: `list` and `--help` read the topic registry only; torch and Manim are
imported after the options have been validated. Exit codes: 0 ok, 1 render or audit failure,
2 usage error, 3 missing dependency, 130 interrupted.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from driver import registry

EXIT_FAILURE, EXIT_USAGE, EXIT_DEPENDENCY, EXIT_INTERRUPTED = 1, 2, 3, 130


@dataclass(frozen=True)
class Quality:
    """One row of the quality table: Manim's preset and what it produces."""

    manim: str
    width: int
    height: int
    fps: int


QUALITIES: dict[str, Quality] = {
    "low": Quality("low_quality", 854, 480, 15),
    "medium": Quality("medium_quality", 1280, 720, 30),
    "high": Quality("high_quality", 1920, 1080, 60),
    "production": Quality("production_quality", 2560, 1440, 60),
    "fourk": Quality("fourk_quality", 3840, 2160, 60),
}


# Measured on heads at 480p (bench/README): overlapping encoding with rendering and x264's veryfast
# preset took a render from 37.6 s to 15.6 s, and the file from 2.22 to 2.08 MB. The variables are
# for benchmarking other settings.
ENCODERS_IN_FLIGHT = int(os.environ.get("FAQ_LECTURES_INFLIGHT", "4"))
X264_PRESET = os.environ.get("FAQ_LECTURES_PRESET", "veryfast")


class Failure(Exception):
    """A failure with an exit code and a one-line message for the user."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Outcome:
    """What one render produced."""

    video: Path | None
    manifest: dict[str, Any]
    scene: Any


# -- the render itself (tests call this directly) ---------------------------------------------
def quality_of(name: str, resolution: str | None = None) -> Quality:
    """Return the quality row, with its frame size replaced by a WxH resolution if one is given."""
    q = QUALITIES[name]
    if resolution is None:
        return q
    width, height = parse_resolution(resolution)
    return Quality(q.manim, width, height, q.fps)


def parse_resolution(text: str) -> tuple[int, int]:
    """Parse WxH; refuse sizes H.264 cannot encode or the 16:9 layout cannot fill."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise Failure(f"--resolution {text!r} is not WIDTHxHEIGHT, e.g. 1280x720", EXIT_USAGE) from None
    if width % 2 or height % 2:
        raise Failure(f"--resolution {width}x{height}: width and height must be even (H.264 yuv420p)", EXIT_USAGE)
    if not (256 <= width <= 3840 and 144 <= height <= 2160):
        raise Failure(f"--resolution {width}x{height} is outside 256x144 .. 3840x2160", EXIT_USAGE)
    if abs(width * 9 - height * 16) > 16:
        raise Failure(f"--resolution {width}x{height} is not 16:9; the lectures are laid out for 16:9", EXIT_USAGE)
    return width, height


def render_topic(
    topic: registry.Topic,
    config: Any,
    quality: str = "low",
    device: str = "cpu",
    output_dir: Path = Path("media"),
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    formats: tuple[str, ...] = ("mp4",),
    resolution: str | None = None,
) -> Outcome:
    """Build the topic's tensors, render and audit its scene, and publish the video atomically."""
    from tensors.common import ConfigError, DeviceError, resolve_device

    q = quality_of(quality, resolution)
    try:
        config.validate()
        torch_device = resolve_device(device)
    except (ConfigError, DeviceError) as err:
        raise Failure(str(err), EXIT_USAGE) from None
    final_dir = output_dir / (quality if resolution is None else f"{quality}-{q.width}x{q.height}")
    if dry_run:
        return _render(topic, config, q, quality, torch_device, Path(tempfile.gettempdir()), None, True, progress,
                       formats)
    _check_writable(output_dir)
    from driver.safety import Busy, clear_stale, topic_lock

    work_root = output_dir / ".work"
    key = f"{topic.name}-{final_dir.name}"
    try:
        with topic_lock(work_root, key):
            clear_stale(work_root, key)
            return _render(topic, config, q, quality, torch_device, work_root, final_dir, False, progress, formats)
    except Busy as err:
        raise Failure(str(err), EXIT_FAILURE) from None
    except OSError as err:
        from publish.outputs import write_error

        raise Failure(write_error(err, output_dir), EXIT_FAILURE) from None


def _render(topic: registry.Topic, config: Any, q: Quality, quality: str, torch_device: Any, work_root: Path,
            final_dir: Path | None, dry_run: bool, progress: Callable[[str], None] | None,
            formats: tuple[str, ...]) -> Outcome:
    """Render in a fresh work folder; verify, stage and publish unless dry_run; always clean up."""
    started = time.perf_counter()
    lecture = topic.lecture()
    result = lecture.build(config, torch_device)
    manim = _import_manim()
    from driver.safety import check_interrupt
    from scenes.kit import typst_cache
    from scenes.kit.binding import AuditError, BindingError
    from driver.manifest import build_manifest

    work_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{topic.name}-{final_dir.name if final_dir else quality}-", dir=work_root))
    try:
        typst_cache.install()
        settings = {
            "quality": q.manim, "pixel_width": q.width, "pixel_height": q.height, "frame_rate": q.fps,
            "media_dir": str(work), "disable_caching": True, "output_file": topic.name,
            "verbosity": "ERROR", "progress_bar": "none", "write_to_movie": not dry_run,
            # encode segments while the next animations render instead of waiting after each one
            "max_inflight_encoders": ENCODERS_IN_FLIGHT,
            "video_encoder_options": {"preset": X264_PRESET},
        }
        with manim.tempconfig(settings):
            scene = lecture.scene(result, dry_run=dry_run)
            scene.progress = progress
            scene.stop_check = check_interrupt
            try:
                scene.render()
            except (AuditError, BindingError) as err:
                _stop_encoders(scene)
                raise Failure(str(err), EXIT_FAILURE) from None
            except BaseException:  # Ctrl-C, SIGTERM, disk full: no encoder thread may outlive the render
                _stop_encoders(scene)
                raise
            movie = None if dry_run else Path(scene.renderer.file_writer.movie_file_path)
        manifest = build_manifest(topic, config, result, scene, quality, q, str(torch_device))
        manifest["render"] = {"wall_seconds": round(time.perf_counter() - started, 3), "dry_run": dry_run,
                              "encoder": {"codec": "libx264", "crf": 23, "preset": X264_PRESET,
                                          "in_flight": ENCODERS_IN_FLIGHT}}
        if dry_run or movie is None or final_dir is None:
            return Outcome(None, manifest, scene)
        from publish.outputs import OutputError, publish, stage, verify_video

        try:
            manifest["video"] = {"file": f"{topic.name}.mp4", **verify_video(movie, q.width, q.height, q.fps)}
            if progress is not None:
                progress(f"encoding {', '.join(formats)} and sidecars")
            big = {k: v.detach().cpu().numpy() for k, v in result.tensors().items() if v.numel() > 4096}
            staged = stage(work, movie, topic.name, manifest, big, formats)
            manifest["render"]["wall_seconds"] = round(time.perf_counter() - started, 3)
            check_interrupt()  # a signal whose exception was swallowed still stops the publish
            video = publish(staged, final_dir)
        except OutputError as err:
            raise Failure(str(err), EXIT_FAILURE) from None
        return Outcome(video, manifest, scene)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stop_encoders(scene: Any) -> None:
    """Discard the open video segment and join Manim's encoder threads (they would keep the process alive)."""
    writer = getattr(getattr(scene, "renderer", None), "file_writer", None)
    if writer is not None and hasattr(writer, "abort_encode_jobs"):
        try:
            writer.abort_encode_jobs()
        except BaseException:  # the render's own error is the one to report
            pass


def _import_manim() -> Any:
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


def _check_writable(output_dir: Path) -> None:
    """Refuse an output folder that is a file, inside a file, or cannot be written; create it if missing."""
    if output_dir.exists() and not output_dir.is_dir():
        raise Failure(f"--output-dir {output_dir} is a file, not a directory", EXIT_USAGE)
    for parent in [output_dir, *output_dir.parents]:
        if parent.exists():
            if parent.is_file():
                raise Failure(f"--output-dir {output_dir} is inside a file ({parent})", EXIT_USAGE)
            break
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as err:
        raise Failure(f"--output-dir {output_dir} is not writable ({err.strerror or err})", EXIT_USAGE) from None


# -- the CLI ----------------------------------------------------------------------------------
def _common_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Attach the options every topic accepts."""
    options = [
        click.option("--quality", default="low", show_default=True, type=click.Choice(list(QUALITIES)),
                     help="480p15, 720p30, 1080p60, 1440p60 or 2160p60."),
        click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda", "mps"]),
                     help="Where torch computes (auto: cuda, then mps, then cpu)."),
        click.option("--seed", default=0, show_default=True, type=int, help="Seed of every random input."),
        click.option("--output-dir", default=Path("media"), show_default=True, type=click.Path(path_type=Path),
                     help="Where videos and their sidecars go (one folder per quality)."),
        click.option("--format", "formats", default="mp4", show_default=True, callback=_parse_formats,
                     help="Video formats, comma-separated: mp4 (H.264, faststart), webm (VP9), gif, png (poster"
                          " only). Captions, chapters, poster, transcript and manifest are always written."),
        click.option("--resolution", default=None, metavar="WxH",
                     help="Override the quality's frame size (16:9, even numbers), e.g. 1280x720."),
        click.option("--dry-run", is_flag=True, help="Build and audit the whole scene; write no frames."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


FORMATS = ("mp4", "webm", "gif", "png")


def _parse_formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    """Split 'mp4,webm' into formats; refuse unknown ones with the list of known ones."""
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or repr(value)}: choose from {', '.join(FORMATS)}")
    return chosen


def _topic_command(topic: registry.Topic) -> click.Command:
    """Make the subcommand of one topic, with its sizes as options."""
    config_cls = topic.config()
    from tensors.common import options_of

    def run(quality: str, device: str, seed: int, output_dir: Path, formats: tuple[str, ...], resolution: str | None,
            dry_run: bool, **sizes: int) -> None:
        config = config_cls(**sizes, seed=seed)
        say = _stderr_progress(topic.name)
        if resolution is not None:
            quality_of(quality, resolution)  # refuse a bad size before any work
        outcome = render_topic(topic, config, quality, device, output_dir, dry_run, progress=say, formats=formats,
                               resolution=resolution)
        audit = outcome.manifest["audit"]
        click.echo(
            f"{topic.name}: audited {audit['animations_audited']} animations, {audit['numbers_checked']} numbers,"
            f" {audit['heatmaps_checked']} heatmaps, {audit['mismatches']} mismatches"
            f" in {outcome.manifest['render']['wall_seconds']:.1f} s",
            err=True,
        )
        click.echo("dry run: nothing written" if outcome.video is None else str(outcome.video))

    run = _common_options(run)
    for field, meta in reversed(options_of(config_cls)):
        default = field.default
        run = click.option("--" + field.name.replace("_", "-"), field.name, type=int, default=default,
                           show_default=True, help=f"{meta.help} [{meta.low}..{meta.high}]")(run)
    return click.Command(topic.name, callback=run, help=f"{topic.title}. FAQ: {topic.question}",
                         params=getattr(run, "__click_params__", [])[::-1])


def _stderr_progress(name: str) -> Callable[[str], None]:
    start = time.perf_counter()
    return lambda msg: click.echo(f"[{name} {time.perf_counter() - start:6.1f}s] {msg}", err=True)


class LectureGroup(click.Group):
    """A group whose topic commands are built only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*registry.names(), *TOOLS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        try:
            return _topic_command(registry.get(name))
        except KeyError:
            return None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"unknown topic '{name}'.{hint} Topics: {', '.join(registry.names())}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(t.name, t.question) for t in registry.TOPICS]
        with formatter.section("Topics"):
            formatter.write_dl(rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, TOOLS[name]) for name in TOOLS])


@click.group(cls=LectureGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Render animated lectures whose every number is computed by torch and audited."""


TOOLS = {
    "list": "List the topics in lecture order.",
    "all": "Render every topic, N at a time, each in its own process.",
    "course": "Write the course page (rendering what is missing); --serve to view it.",
    "doctor": "Check everything a render needs and say how to fix what is missing.",
}


@cli.command("list", help=TOOLS["list"])
def list_topics() -> None:
    for t in registry.TOPICS:
        click.echo(f"{t.name:10s} {t.question}")


def _batch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by `all` and `course`."""
    options = [
        click.option("--quality", default="low", show_default=True, type=click.Choice(list(QUALITIES))),
        click.option("--jobs", default=os.cpu_count() or 1, show_default=True, type=click.IntRange(min=1),
                     help="Topics rendered at once, one process each."),
        click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda", "mps"])),
        click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0)),
        click.option("--output-dir", default=Path("media"), show_default=True, type=click.Path(path_type=Path)),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _render_many(names: list[str], quality: str, jobs: int, device: str, seed: int, output_dir: Path,
                 formats: tuple[str, ...]) -> int:
    """Render topics in worker processes; print progress and a summary; return how many failed."""
    from driver.jobs import run_jobs
    from tensors.common import DeviceError, resolve_device

    try:
        resolve_device(device)
    except DeviceError as err:
        raise Failure(str(err), EXIT_USAGE) from None
    _check_writable(output_dir)
    common = ["--quality", quality, "--device", device, "--seed", str(seed), "--output-dir", str(output_dir),
              "--format", ",".join(formats)]
    click.echo(f"rendering {len(names)} topics at {quality} quality, {jobs} at a time", err=True)
    start = time.perf_counter()
    log_dir = output_dir / ".work" / "logs"
    finished = run_jobs(names, common, jobs, log_dir, lambda line: click.echo(line, err=True))
    failed = [j for j in finished if j.state != "done"]
    click.echo(f"{len(finished) - len(failed)} done, {len(failed)} failed in {time.perf_counter() - start:.1f} s"
               + (f"; logs in {log_dir}" if failed else ""), err=True)
    for job in failed:
        click.echo(f"failed: {job.topic}: {job.message}", err=True)
    if not failed:
        shutil.rmtree(log_dir, ignore_errors=True)
    return len(failed)


def _dry_run_all(quality: str, device: str, seed: int) -> int:
    """Build and audit every topic's scene one after another in this process; return how many failed."""
    start, failed = time.perf_counter(), 0
    for topic in registry.TOPICS:
        t0 = time.perf_counter()
        try:
            outcome = render_topic(topic, topic.config()(seed=seed), quality, device, dry_run=True)
            audit = outcome.manifest["audit"]
            click.echo(f"{topic.name:10s} ok      {time.perf_counter() - t0:5.1f} s  {audit['numbers_checked']} numbers,"
                       f" {audit['mismatches']} mismatches", err=True)
        except Failure as err:
            if err.code == EXIT_USAGE:
                raise
            failed += 1
            click.echo(f"{topic.name:10s} FAILED  {time.perf_counter() - t0:5.1f} s  {err}", err=True)
    click.echo(f"dry run of {len(registry.TOPICS)} topics: {failed} failed in {time.perf_counter() - start:.1f} s",
               err=True)
    return failed


@cli.command("all", help=TOOLS["all"] + " Exit code: the number of topics that failed.")
@_batch_options
@click.option("--format", "formats", default="mp4", show_default=True, callback=_parse_formats,
              help="Video formats, comma-separated: mp4, webm, gif, png.")
@click.option("--dry-run", is_flag=True, help="Build and audit every scene in this process; write nothing.")
def render_all(quality: str, jobs: int, device: str, seed: int, output_dir: Path, formats: tuple[str, ...],
               dry_run: bool) -> None:
    if dry_run:
        failed = _dry_run_all(quality, device, seed)
    else:
        failed = _render_many(registry.names(), quality, jobs, device, seed, output_dir, formats)
    if failed:
        raise click.exceptions.Exit(min(failed, 125))


@cli.command("course", help=TOOLS["course"])
@_batch_options
@click.option("--serve", is_flag=True, help="Serve the page on http://127.0.0.1:PORT until Ctrl-C.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def course(quality: str, jobs: int, device: str, seed: int, output_dir: Path, serve: bool, port: int) -> None:
    from publish import page

    _check_writable(output_dir)
    source = output_dir / quality
    todo = [t.name for t in registry.TOPICS if page.missing(source, t.name)]
    if todo:
        click.echo(f"missing at {quality} quality: {', '.join(todo)}", err=True)
        failed = _render_many(todo, quality, jobs, device, seed, output_dir, ("mp4", "webm"))
        if failed:
            raise Failure(f"{failed} topic(s) failed to render; the course page was not written")
    entries = [page.load_entry(t.name, t.title, t.question, source) for t in registry.TOPICS]
    index = page.write_course(entries, output_dir / "course")
    size = sum(f.stat().st_size for f in index.parent.rglob("*") if f.is_file())
    click.echo(f"course page: {index} ({len(entries)} lectures, {size / 2**20:.1f} MiB)", err=True)
    click.echo(str(index))
    if serve:
        from publish.serve import server

        httpd = server(index.parent, port)
        click.echo(f"serving http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C to stop)", err=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            httpd.server_close()


@cli.command("doctor", help=TOOLS["doctor"])
@click.option("--output-dir", default=Path("media"), show_default=True, type=click.Path(path_type=Path))
def doctor(output_dir: Path) -> None:
    from driver.doctor import run_checks

    checks = run_checks(output_dir)
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        click.echo(f"{mark} {c.name:15s} {c.detail}" + (f"\n     fix: {c.fix}" if not c.ok and c.fix else ""))
    bad = [c for c in checks if c.required and not c.ok]
    click.echo(f"{len(bad)} problem(s)" if bad else "everything a render needs is here")
    if bad:
        raise click.exceptions.Exit(EXIT_DEPENDENCY)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map failures to one line and an exit code."""
    from driver.safety import interrupt_on_signals

    interrupt_on_signals()
    try:
        code = cli.main(args=argv, standalone_mode=False, prog_name="render.py")  # Exit(n) comes back as n
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.UsageError as err:
        click.echo(f"error: {err.format_message()}", err=True)
        return EXIT_USAGE
    except click.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Failure as err:
        click.echo(f"error: {err}", err=True)
        return err.code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as err:  # one line for users; FAQ_LECTURES_DEBUG=1 shows the traceback
        if os.environ.get("FAQ_LECTURES_DEBUG"):
            raise
        click.echo(f"error: render failed: {type(err).__name__}: {err} (FAQ_LECTURES_DEBUG=1 for details)", err=True)
        return EXIT_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["QUALITIES", "Failure", "Outcome", "cli", "main", "render_topic"]
