#!/usr/bin/env python3
"""Render the FAQ lectures: `python render.py heads --quality high`.

Click commands and error mapping only: each command calls a typed function of `driver/` (the
pipeline in `driver.pipeline`, the quality table in `driver.quality`). `list` and `--help` read the
topic registry and the generated option table (`driver/topic_options.py`) only; torch and Manim are
imported after the options have been validated. Run by an interpreter that lacks the packages, it
runs the same command again with `.venv/bin/python` when that exists (exit 3 naming `./setup.sh`
when not). Exit codes (`driver.errors`): 0 ok, 1 render or audit failure, 2 usage error, 3 missing
dependency, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REQUIRED = ("click", "torch", "manim", "typst", "av", "numpy", "srt", "webvtt")  # top-level modules a render imports
REEXEC_GUARD = "FAQ_LECTURES_REEXEC"  # set while re-running in .venv/bin/python, so it happens at most once


def ensure_packages(argv: list[str]) -> None:
    """Make sure this interpreter has the packages: else re-run argv with .venv/bin/python, or exit 3 naming ./setup.sh.

    Only looks the modules up (importlib.util.find_spec), so a working interpreter pays about a millisecond.
    """
    import importlib.util

    missing = [m for m in REQUIRED if importlib.util.find_spec(m) is None]
    if not missing:
        os.environ.pop(REEXEC_GUARD, None)  # workers started from here need no guard
        return
    here = Path(__file__).resolve().parent
    venv_python = here / ".venv" / "bin" / "python"
    in_venv = Path(sys.prefix).resolve() == (here / ".venv").resolve()
    if venv_python.exists() and not in_venv and REEXEC_GUARD not in os.environ:
        os.environ[REEXEC_GUARD] = sys.executable
        try:
            os.execv(venv_python, [str(venv_python), str(Path(__file__).resolve()), *argv])
        except OSError as err:  # not executable, wrong architecture: say so below
            missing.append(f"and {venv_python} cannot run ({err.strerror})")
    who = str(venv_python) if in_venv or REEXEC_GUARD in os.environ else sys.executable
    print(f"error: {who} lacks {', '.join(missing)}: run ./setup.sh in {here}, then .venv/bin/python render.py"
          f" {' '.join(argv)}".rstrip(), file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    ensure_packages(sys.argv[1:])

import difflib  # noqa: E402  (after the interpreter check, so a foreign python gets one line)
import errno  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import click  # noqa: E402
from click.core import ParameterSource  # noqa: E402

from driver import options, pipeline, registry  # noqa: E402
from driver.errors import EXIT_DEPENDENCY, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, Failure  # noqa: E402
from driver.pipeline import Outcome, RenderRequest  # noqa: E402
from driver.quality import QUALITIES, folder_name, parse_formats, quality_of  # noqa: E402
from tensors.devices import DEVICES  # noqa: E402

F = TypeVar("F", bound=Callable[..., Any])

TOOLS = {
    "list": "List the topics in lecture order.",
    "all": "Render every topic, N at a time, each in its own process.",
    "course": "Write the course page (rendering what is missing); --serve to view it.",
    "doctor": "Check everything a render needs and say how to fix what is missing.",
    "new": "Write the skeleton of a new lecture NAME: tensors, scene, test and registry line.",
}


# -- options, written once ----------------------------------------------------------------------
def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    """Click callback: 'mp4,webm' -> ('mp4', 'webm'), unknown formats refused."""
    try:
        return parse_formats(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _seed(ctx: click.Context, param: click.Parameter, value: int) -> int:
    """Click callback: refuse a seed torch cannot take before anything starts (no torch needed)."""
    if not 0 <= value <= options.SEED_MAX:
        raise click.UsageError(f"--seed must be 0 or more and at most {options.SEED_MAX}, got {value}", ctx)
    return value


def _narration(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Click callback: none, espeak, or an existing folder of recordings."""
    from driver.voice import parse

    try:
        return parse(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


class OutputDir(click.Path):
    """click.Path that keeps an empty argument empty (click.Path turns '' into Path('.'))."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            raise click.UsageError("--output-dir must not be empty (use . for the current folder)", ctx)
        return super().convert(value, param, ctx)


def _decorate(f: F, options: list[Callable[[F], F]]) -> F:
    """Apply click options so that they are listed in the order given."""
    for option in reversed(options):
        f = option(f)
    return f


def render_options(f: F) -> F:
    """The options every render command takes: topic commands, `all` and `course`."""
    return _decorate(f, [
        click.option("--quality", default="low", show_default=True, type=click.Choice(list(QUALITIES)),
                     help="480p15, 720p30, 1080p60, 1440p60 or 2160p60."),
        click.option("--device", default="auto", show_default=True, type=click.Choice(list(DEVICES)),
                     help="Where torch computes (auto: cuda, then mps, then cpu)."),
        click.option("--seed", default=0, show_default=True, type=int, callback=_seed,
                     help=f"Seed of every random input (0 to {options.SEED_MAX})."),
        click.option("--output-dir", default=Path("media"), show_default=True, type=OutputDir(path_type=Path),
                     help="Where videos and their sidecars go (one folder per quality)."),
        click.option("--narration", default="none", show_default=True, metavar="none|espeak|DIR", callback=_narration,
                     help="Speak the captions: none (silent), espeak (offline espeak-ng voice, for drafts and"
                          " timing), or a folder of your recordings named by line id (render.py TOPIC script)."),
        click.option("--burn-captions", is_flag=True,
                     help="Also draw the captions into the picture's caption band, for platforms that show no"
                          " caption tracks (their numbers stay bound and audited)."),
    ])


def format_option(f: F) -> F:
    """--format, for topic commands and `all`."""
    return click.option("--format", "formats", default="mp4", show_default=True, callback=_formats,
                        help="Video formats, comma-separated: mp4 (H.264, faststart), webm (VP9), gif, png (poster"
                             " only). Captions, chapters, poster, transcript and manifest are always written.")(f)


def jobs_option(f: F) -> F:
    """--jobs, for `all` and `course`."""
    return click.option("--jobs", default=os.cpu_count() or 1, show_default=True, type=click.IntRange(min=1),
                        help="Topics rendered at once, one process each.")(f)


def cluster_option(f: F) -> F:
    """--cluster, for `all` and `course` (driver/cluster.py; README: Rendering on a cluster)."""
    return click.option("--cluster", default=None, metavar="tcp://HOST:PORT",
                        help="Render on the workers of this Dask scheduler instead of local processes.")(f)


def _say(line: str) -> None:
    """Report one progress line on stderr."""
    click.echo(line, err=True)


# -- topic commands -----------------------------------------------------------------------------
def _topic_command(topic: registry.Topic) -> click.Command:
    """Make the subcommand of one topic, with its sizes as options (from the generated table: no torch)."""
    sizes_offered = options.of(topic)

    def run(quality: str, device: str, seed: int, output_dir: Path, narration: str, burn_captions: bool,
            formats: tuple[str, ...], resolution: str | None, dry_run: bool, beat: str | None, **sizes: int) -> None:
        ctx = click.get_current_context()
        if ctx.invoked_subcommand is not None:  # `TOPIC [sizes] script`: the subcommand builds from these options
            ctx.obj = {"quality": quality, "device": device, "seed": seed, "resolution": resolution, "sizes": sizes}
            return
        quality_of(quality, resolution)  # refuse a bad size before any work
        if not dry_run:
            pipeline.check_output_dir(output_dir, folder_name(quality, resolution))
        request = RenderRequest(topic, _config(topic, ctx, sizes, seed), quality=quality, device=device,
                                output_dir=output_dir, formats=formats, resolution=resolution, dry_run=dry_run,
                                beat=beat, narration=narration, burn_captions=burn_captions,
                                progress=_stderr_progress(topic.name))
        outcome = pipeline.render(request)
        audit = outcome.manifest["audit"]
        _say(f"{topic.name}: audited {audit['animations_audited']} animations, {audit['numbers_checked']} numbers,"
             f" {audit['heatmaps_checked']} heatmaps, {audit['mismatches']} mismatches"
             f" in {outcome.manifest['render']['wall_seconds']:.1f} s")
        click.echo("dry run: nothing written" if outcome.video is None else str(outcome.video))

    run = render_options(format_option(_decorate(run, [
        click.option("--resolution", default=None, metavar="WxH",
                     help="Override the quality's frame size (16:9, even numbers), e.g. 1280x720."),
        click.option("--dry-run", is_flag=True, help="Build and audit the whole scene; write no frames."),
        click.option("--beat", default=None, metavar="N|NAME",
                     help="Preview one beat (number from 1, or its name): the whole lecture is built and audited,"
                          " only that beat is drawn, into <output-dir>/preview/<quality>/; nothing is published."),
    ])))
    for o in reversed(sizes_offered):
        run = click.option(o.flag, o.name, type=int, default=o.default, show_default=True,
                           help=f"{o.help} [{o.low}..{o.high}]")(run)
    group = click.Group(topic.name, callback=run, help=f"{topic.title}. FAQ: {topic.question}",
                        params=getattr(run, "__click_params__", [])[::-1], invoke_without_command=True)
    group.add_command(_script_command(topic))
    return group


def _config(topic: registry.Topic, ctx: click.Context, sizes: dict[str, int], seed: int) -> Any:
    """Return the topic's config from the sizes given on the command line (the rest: the class defaults)."""
    given = {k: v for k, v in sizes.items() if ctx.get_parameter_source(k) is not ParameterSource.DEFAULT}
    config_cls = topic.config()  # imports torch; the defaults are the config class's own
    try:
        return config_cls(**given, seed=seed)
    except TypeError as err:  # an option of a stale table that the config class no longer has
        raise Failure(f"{topic.name}: {err}; the option table is out of date: run {options.REGENERATE}",
                      EXIT_USAGE) from None


def _script_command(topic: registry.Topic) -> click.Command:
    """`render.py TOPIC script`: the narration script, one line per caption, for an author to record."""

    @click.command("script", help="Print the narration script: one line per caption with its id (name your"
                                  " recordings <id>.wav), beat, the words to speak and their reading time.")
    @click.option("--format", "form", default="txt", show_default=True, type=click.Choice(["txt", "json"]))
    @click.pass_context
    def script(ctx: click.Context, form: str) -> None:
        o = ctx.obj
        quality_of(o["quality"], o["resolution"])
        config = _config(topic, ctx.parent, o["sizes"], o["seed"])  # type: ignore[arg-type]
        request = RenderRequest(topic, config, quality=o["quality"], device=o["device"], resolution=o["resolution"])
        lines = pipeline.script(request)
        if form == "json":
            click.echo(json.dumps({"topic": topic.name, "lines": lines}, indent=1, ensure_ascii=False))
            return
        for x in lines:
            click.echo(f"{x['id']}\t{x['reading_seconds']:.1f} s\t{x['beat']}\n    {x['spoken']}")

    return script


def _stderr_progress(name: str) -> Callable[[str], None]:
    """Return a progress callback printing '[heads   3.2s] message' on stderr."""
    start = time.perf_counter()
    return lambda msg: _say(f"[{name} {time.perf_counter() - start:6.1f}s] {msg}")


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
            known = self.list_commands(ctx)
            same = [k for k in known if k.lower() == name.lower()]  # HEADS -> heads
            close = same or difflib.get_close_matches(name.lower(), known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"unknown topic '{name}'.{hint} Topics: {', '.join(registry.names())}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Topics"):
            formatter.write_dl([(t.name, t.question) for t in registry.TOPICS])
        with formatter.section("Commands"):
            formatter.write_dl(list(TOOLS.items()))


@click.group(cls=LectureGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Render animated lectures whose every number is computed by torch and audited."""


# -- tools --------------------------------------------------------------------------------------
@cli.command("list", help=TOOLS["list"])
def list_topics() -> None:
    for t in registry.TOPICS:
        click.echo(f"{t.name:10s} {t.question}")


@cli.command("all", help=TOOLS["all"] + " Exit code: the number of topics that failed.")
@render_options
@jobs_option
@format_option
@click.option("--dry-run", is_flag=True, help="Build and audit every scene in this process; write nothing.")
@cluster_option
def render_all(quality: str, device: str, seed: int, output_dir: Path, narration: str, burn_captions: bool, jobs: int,
               formats: tuple[str, ...], dry_run: bool, cluster: str | None) -> None:
    _local_only(cluster, narration, burn_captions)
    if cluster is not None:
        from driver import cluster as on_cluster

        if dry_run:
            failed = on_cluster.dry_run_on_cluster(cluster, quality=quality, device=device, seed=seed, report=_say)
        else:
            failed = on_cluster.render_on_cluster(cluster, registry.names(), quality=quality, device=device, seed=seed,
                                                  output_dir=output_dir, formats=formats, report=_say)
    elif dry_run:
        failed = pipeline.dry_run_all(quality=quality, device=device, seed=seed, report=_say, narration=narration)
    else:
        failed = pipeline.render_many(registry.names(), quality=quality, jobs=jobs, device=device, seed=seed,
                                      output_dir=output_dir, formats=formats, report=_say, narration=narration,
                                      burn_captions=burn_captions)
    if failed:
        raise click.exceptions.Exit(min(failed, 125))


@cli.command("course", help=TOOLS["course"])
@render_options
@jobs_option
@click.option("--serve", is_flag=True, help="Serve the page on http://127.0.0.1:PORT until Ctrl-C.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--media-base", default="", metavar="URL",
              help="Where the embed snippets find the media (folder or http(s) URL); default: next to the page.")
@cluster_option
def course(quality: str, device: str, seed: int, output_dir: Path, narration: str, burn_captions: bool, jobs: int,
           serve: bool, port: int, media_base: str, cluster: str | None) -> None:
    httpd = _bind(output_dir / "course", port) if serve else None  # a busy port is refused before any work
    try:
        _local_only(cluster, narration, burn_captions)
        if cluster is not None:
            from driver.cluster import write_course_on_cluster

            index = write_course_on_cluster(cluster, quality=quality, device=device, seed=seed, output_dir=output_dir,
                                            report=_say, media_base=media_base)
        else:
            index = pipeline.write_course(quality=quality, jobs=jobs, device=device, seed=seed,
                                          output_dir=output_dir, report=_say, media_base=media_base,
                                          narration=narration, burn_captions=burn_captions)
        click.echo(str(index))
        if httpd is not None:
            _say(f"serving http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C to stop)")
            httpd.serve_forever()  # Ctrl-C and SIGTERM end it as KeyboardInterrupt: exit 130
    finally:
        if httpd is not None:
            httpd.server_close()


def _local_only(cluster: str | None, narration: str, burn_captions: bool) -> None:
    """Refuse narration and burned captions on a cluster (its workers render silent lectures) before any work."""
    if cluster is not None and (narration != "none" or burn_captions):
        raise click.UsageError("--narration and --burn-captions render locally only; drop --cluster, or render"
                               " the narrated topics with render.py TOPIC --narration ...")


def _bind(root: Path, port: int) -> Any:
    """Return the course server bound to 127.0.0.1:port; a port in use or not ours to take is exit 2."""
    from publish.serve import server

    try:
        return server(root, port)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise Failure(f"--port {port} is in use on 127.0.0.1: choose another --port (0 picks a free one)",
                          EXIT_USAGE) from None
        raise Failure(f"--port {port}: cannot listen on 127.0.0.1 ({err.strerror or err})", EXIT_USAGE) from None


@cli.command("doctor", help=TOOLS["doctor"])
@click.option("--output-dir", default=Path("media"), show_default=True, type=OutputDir(path_type=Path))
def doctor(output_dir: Path) -> None:
    from driver.doctor import run_checks

    checks = run_checks(output_dir)
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        click.echo(f"{mark} {c.name:15s} {c.detail}" + (f"\n     fix: {c.fix}" if not c.ok and c.fix else ""))
    bad = [c for c in checks if c.required and not c.ok]
    slower = [c for c in checks if c.name == "caches" and not c.ok]
    click.echo(f"{len(bad)} problem(s)" if bad else
               "a render will work, without its caches (slower): see caches above" if slower else
               "everything a render needs is here")
    if bad:
        raise click.exceptions.Exit(EXIT_DEPENDENCY)


@cli.command("new", help=TOOLS["new"])
@click.argument("name")
def new(name: str) -> None:
    from driver.skeleton import write_skeleton

    for path in write_skeleton(name, reserved=tuple(TOOLS)):
        _say(f"wrote {path}")
    click.echo(f"next: .venv/bin/python render.py {name} --dry-run && .venv/bin/python -m pytest tests/test_{name}.py"
               f" tests/test_topics.py -k {name}")


def render_topic(topic: registry.Topic, config: Any, quality: str = "low", device: str = "cpu",
                 output_dir: Path = Path("media"), dry_run: bool = False, progress: Callable[[str], None] | None = None,
                 formats: tuple[str, ...] = ("mp4",), resolution: str | None = None) -> Outcome:
    """Old name of `driver.pipeline.render` for callers not yet moved to `RenderRequest` (tests/test_fixed.py)."""
    return pipeline.render(RenderRequest(topic, config, quality=quality, device=device, output_dir=output_dir,
                                         formats=formats, resolution=resolution, dry_run=dry_run, progress=progress))


# -- error mapping ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map failures to one line and an exit code."""
    from driver.safety import interrupt_on_signals

    interrupt_on_signals()
    from driver.quality import ENV_ERRORS

    if ENV_ERRORS:
        _say(f"error: {ENV_ERRORS[0]}")
        return EXIT_USAGE
    try:
        code = cli.main(args=argv, standalone_mode=False, prog_name="render.py")  # Exit(n) comes back as n
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.UsageError as err:
        _say(f"error: {err.format_message()}")
        return EXIT_USAGE
    except click.Abort:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Failure as err:
        _say(f"error: {err}")
        return err.code
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Exception as err:  # one line for users; FAQ_LECTURES_DEBUG=1 shows the traceback
        if os.environ.get("FAQ_LECTURES_DEBUG"):
            raise
        _say(f"error: render failed: {type(err).__name__}: {err} (FAQ_LECTURES_DEBUG=1 for details)")
        return EXIT_FAILURE
    return 0


def _exit(code: int) -> None:
    """Exit with code; an interrupted render exits even if a thread of Manim's encoder is stuck.

    The render's own cleanup (work folder, lock) has run by now; at-exit handlers run too. A thread
    interrupted inside an encoder queue could otherwise keep the process alive after "interrupted".
    """
    if code == EXIT_INTERRUPTED:
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    _exit(main())


__all__ = ["QUALITIES", "Failure", "Outcome", "cli", "main", "render_topic"]
