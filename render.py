#!/usr/bin/env python3
"""Render the FAQ lectures: `python render.py heads --quality high`.

The CLI is thin and lazy: `list` and `--help` read the topic registry only; torch and Manim are
imported after the options have been validated. Exit codes: 0 ok, 1 render or audit failure,
2 usage error, 3 missing dependency, 130 interrupted.
"""

from __future__ import annotations

import difflib
import json
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

from scenes import registry

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
def render_topic(
    topic: registry.Topic,
    config: Any,
    quality: str = "low",
    device: str = "cpu",
    output_dir: Path = Path("media"),
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Build the topic's tensors, render and audit its scene, and publish the video atomically."""
    from tensors.common import ConfigError, DeviceError, resolve_device

    try:
        config.validate()
        torch_device = resolve_device(device)
    except (ConfigError, DeviceError) as err:
        raise Failure(str(err), EXIT_USAGE) from None
    q = QUALITIES[quality]
    final_dir = output_dir / quality
    if not dry_run:
        _check_writable(output_dir)
    started = time.perf_counter()
    result = topic.load_builder()(config, torch_device)
    manim = _import_manim()
    from scenes import typst_cache
    from scenes.binding import AuditError, BindingError
    from scenes.manifest import build_manifest

    work_root = Path(tempfile.gettempdir()) if dry_run else output_dir / ".work"
    work_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{topic.name}-{quality}-", dir=work_root))
    try:
        typst_cache.install()
        settings = {
            "quality": q.manim, "media_dir": str(work), "disable_caching": True, "output_file": topic.name,
            "verbosity": "ERROR", "progress_bar": "none", "write_to_movie": not dry_run,
        }
        with manim.tempconfig(settings):
            scene = topic.load_scene()(result, dry_run=dry_run)
            scene.progress = progress
            try:
                scene.render()
            except (AuditError, BindingError) as err:
                raise Failure(str(err), EXIT_FAILURE) from None
            movie = None if dry_run else Path(scene.renderer.file_writer.movie_file_path)
        manifest = build_manifest(topic, config, result, scene, quality, q, str(torch_device))
        manifest["render"] = {"wall_seconds": round(time.perf_counter() - started, 3), "dry_run": dry_run}
        if dry_run or movie is None:
            return Outcome(None, manifest, scene)
        info = _verify_video(movie, q)
        manifest["video"] = {"file": f"{topic.name}.mp4", **info}
        staged = _stage(work, movie, topic.name, manifest, result)
        video = _publish(staged, final_dir, topic.name)
        return Outcome(video, manifest, scene)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _import_manim() -> Any:
    try:
        import manim
    except ImportError as err:  # pycairo / manimpango need the cairo and pango system libraries
        raise Failure(
            f"cannot import manim ({err}); run ./setup.sh, or: sudo apt-get install libcairo2-dev"
            " libpango1.0-dev pkg-config && .venv/bin/pip install -e .",
            EXIT_DEPENDENCY,
        ) from None
    return manim


def _check_writable(output_dir: Path) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise Failure(f"--output-dir {output_dir} is a file, not a directory", EXIT_USAGE)
    for parent in [output_dir, *output_dir.parents]:
        if parent.exists():
            if parent.is_file():
                raise Failure(f"--output-dir {output_dir} is inside a file ({parent})", EXIT_USAGE)
            if not os.access(parent, os.W_OK | os.X_OK):
                raise Failure(f"--output-dir {output_dir} is not writable ({parent})", EXIT_USAGE)
            return


def _verify_video(movie: Path, q: Quality) -> dict[str, Any]:
    """Open the finished video with PyAV and check its size, rate and that it decodes."""
    import av

    if not movie.exists() or movie.stat().st_size == 0:
        raise Failure(f"Manim produced no video at {movie}")
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        fps = float(stream.average_rate or 0)
        duration = float(container.duration or 0) / 1_000_000
        frames = stream.frames
        next(container.decode(stream))
    if (width, height) != (q.width, q.height) or round(fps) != q.fps:
        raise Failure(f"video is {width}x{height} at {fps:g} fps, expected {q.width}x{q.height} at {q.fps}")
    return {"width": width, "height": height, "fps": round(fps, 3), "duration": round(duration, 3), "frames": frames,
            "bytes": movie.stat().st_size}


def _stage(work: Path, movie: Path, stem: str, manifest: dict[str, Any], result: Any) -> dict[str, Path]:
    """Write the sidecars next to the finished video inside the work dir."""
    import numpy as np

    out = work / "publish"
    out.mkdir()
    files = {"mp4": out / f"{stem}.mp4"}
    shutil.move(str(movie), files["mp4"])
    srt = movie.with_suffix(".srt")
    if srt.exists():
        files["srt"] = out / f"{stem}.srt"
        shutil.move(str(srt), files["srt"])
    big = {k: v.detach().cpu().numpy() for k, v in result.tensors().items() if v.numel() > 4096}
    if big:
        files["npz"] = out / f"{stem}.tensors.npz"
        with open(files["npz"], "wb") as fh:
            np.savez_compressed(fh, **big)
    files["json"] = out / f"{stem}.json"
    files["json"].write_text(json.dumps(manifest, indent=1) + "\n")
    return files


def _publish(files: dict[str, Path], final_dir: Path, stem: str) -> Path:
    """Move sidecars, then the video last, into place with atomic renames."""
    final_dir.mkdir(parents=True, exist_ok=True)
    for kind, path in files.items():
        if kind != "mp4":
            os.replace(path, final_dir / path.name)
    video = final_dir / files["mp4"].name
    os.replace(files["mp4"], video)
    return video


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
        click.option("--dry-run", is_flag=True, help="Build and audit the whole scene; write no frames."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _topic_command(topic: registry.Topic) -> click.Command:
    """Make the subcommand of one topic, with its sizes as options."""
    config_cls = topic.load_config()
    from tensors.common import options_of

    def run(quality: str, device: str, seed: int, output_dir: Path, dry_run: bool, **sizes: int) -> None:
        config = config_cls(**sizes, seed=seed)
        say = _stderr_progress(topic.name)
        outcome = render_topic(topic, config, quality, device, output_dir, dry_run, progress=say)
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
        return [*registry.names(), "list"]

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
        rows = [(t.name, t.question) for t in registry.TOPICS] + [("list", "List the topics in lecture order.")]
        with formatter.section("Topics"):
            formatter.write_dl(rows)


@click.group(cls=LectureGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Render animated lectures whose every number is computed by torch and audited."""


@cli.command("list")
def list_topics() -> None:
    """List the topics in lecture order."""
    for t in registry.TOPICS:
        click.echo(f"{t.name:10s} {t.question}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map failures to one line and an exit code."""
    try:
        cli.main(args=argv, standalone_mode=False, prog_name="render.py")
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
