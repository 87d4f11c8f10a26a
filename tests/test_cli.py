"""The CLI: bad input gets one line on stderr, exit 2 and nothing written; list and help import neither
torch nor Manim; the commands' options are written once; the typed driver functions behind them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import render
from driver import registry

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = render.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "args,needle",
    [
        (["hedas"], "unknown topic 'hedas'. Did you mean 'heads'?"),
        (["heads", "--quality", "ultra"], "'ultra' is not one of"),
        (["heads", "--device", "tpu"], "'tpu' is not one of"),
        (["heads", "--heads", "4", "--head-size", "3"], "--heads 4 x --head-size 3 = 12 columns of W^q is too many"),
        (["heads", "--d-model", "64"], "--d-model 64 is too large: the limit is 5"),
        (["heads", "--seq-len", "1"], "--seq-len 1 is too small: the minimum is 2"),
        (["heads", "--big-d-model", "4096"], "limit is 1024 (one pixel per weight"),
        (["heads", "--seed", "-3"], "--seed must be 0 or more"),
        (["heads", "--seed", "1.5"], "'1.5' is not a valid integer"),
        (["nope"], "unknown topic 'nope'. Topics: bmm, "),
        (["heads", "--format", "mkv"], "unknown format mkv: choose from mp4, webm, gif, png"),
        (["heads", "--resolution", "853x480"], "width and height must be even"),
        (["heads", "--resolution", "1000x1000"], "is not 16:9"),
        (["heads", "--resolution", "huge"], "is not WIDTHxHEIGHT"),
        (["heads", "--resolution", "7680x4320"], "outside 256x144 .. 3840x2160"),
        (["all", "--jobs", "0"], "'--jobs': 0 is not in the range x>=1"),
        (["all", "--jobs", "-1"], "'--jobs': -1 is not in the range x>=1"),
        (["all", "--quality", "ultra"], "'ultra' is not one of"),
        (["all", "--seed", "-3"], "--seed must be 0 or more"),
        (["all", "--dry-run", "--seed", "-3"], "--seed must be 0 or more"),
        (["course", "--device", "tpu"], "'tpu' is not one of"),
        (["course", "--port", "70000"], "'--port': 70000 is not in the range"),
        (["heads", "--seed", "18446744073709551616"], "--seed must be 0 or more and at most 9223372036854775807"),
        (["heads", "--dry-run", "--seed", "9223372036854775808"], "at most 9223372036854775807, got 9223372036854775808"),
        (["all", "--seed", "18446744073709551616"], "--seed must be 0 or more and at most 9223372036854775807"),
        (["all", "--dry-run", "--seed", "18446744073709551616"], "at most 9223372036854775807"),
        (["course", "--seed", "18446744073709551616"], "--seed must be 0 or more and at most 9223372036854775807"),
        (["course", "--serve", "--seed", "-1"], "--seed must be 0 or more"),
        (["HEADS"], "unknown topic 'HEADS'. Did you mean 'heads'?"),
        (["Softmax", "--dry-run"], "unknown topic 'Softmax'. Did you mean 'softmax'?"),
        (["heads", "--d-modle", "3"], "No such option '--d-modle'"),
        (["heads", "--d-model", "x"], "'x' is not a valid integer"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run([*args, "--output-dir", str(out)] if args[0] != "nope" else args, capsys)
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], stderr
    assert "Traceback" not in stderr and stdout == ""
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_unavailable_device_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for device, needle in (("cuda", "device 'cuda' is not available here"), ("mps", "device 'mps' is not available")):
        code, _, stderr = run(["heads", "--device", device, "--output-dir", str(tmp_path / "o")], capsys)
        assert code == 2 and needle in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [["heads"], ["heads", "--dry-run"], ["all"], ["all", "--dry-run"], ["course"],
                                     ["doctor"]])
@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_output_dir_is_refused(command: list[str], value: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--output-dir ""` would mean the current folder: refused, one line, exit 2, nothing written there."""
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run([*command, "--output-dir", value], capsys)
    assert code == 2 and stderr.strip() == "error: --output-dir must not be empty (use . for the current folder)"
    assert stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command,sub", [(["heads"], "low"), (["heads", "--quality", "high"], "high"),
                                         (["heads", "--resolution", "1280x720"], "low-1280x720"),
                                         (["all"], "low"), (["course"], "low"), (["course"], "course"),
                                         (["heads"], ".work"), (["all"], ".work"), (["heads"], ".sets"),
                                         (["course"], ".sets")])
def test_an_output_folder_whose_quality_folder_is_a_file_is_refused_before_rendering(
        command: list[str], sub: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "media"
    out.mkdir()
    (out / sub).write_text("not a folder")
    code, stdout, stderr = run([*command, "--output-dir", str(out), "--device", "cpu"], capsys)
    assert code == 2, stderr
    assert stderr.strip() == (f"error: --output-dir {out}: {out / sub} is a file, not a folder (move it away, or choose"
                              " another --output-dir)")
    assert sorted(p.name for p in out.iterdir()) == [sub] and (out / sub).read_text() == "not a folder"


@pytest.mark.parametrize("env,needle", [
    ({"FAQ_LECTURES_INFLIGHT": "abc"}, "FAQ_LECTURES_INFLIGHT='abc' must be a whole number from 1 to 64"),
    ({"FAQ_LECTURES_INFLIGHT": "0"}, "FAQ_LECTURES_INFLIGHT='0' must be a whole number from 1 to 64"),
    ({"FAQ_LECTURES_PRESET": "bogus"}, "FAQ_LECTURES_PRESET='bogus' is not an x264 preset"),
])
def test_a_bad_tuning_variable_is_one_line_exit_2(env: dict[str, str], needle: str) -> None:
    """The benchmark's variables were read with int() at import: a bad value was a traceback for every command."""
    for args in (["list"], ["heads", "--dry-run"]):
        done = subprocess.run([sys.executable, "render.py", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env={**os.environ, **env})
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: {needle}"), done.stderr


def test_an_output_dir_that_cannot_be_looked_at_is_a_usage_error(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    long = tmp_path / ("a/" * 3000)
    code, _, stderr = run(["heads", "--output-dir", str(long)], capsys)
    assert code == 2 and "cannot be used (File name too long)" in stderr and len(stderr.strip().splitlines()) == 1
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    for args in (["heads"], ["all"], ["course"]):
        code, _, stderr = run([*args, "--output-dir", str(tmp_path / "l1")], capsys)
        assert code == 2 and stderr.strip() == (f"error: --output-dir {tmp_path / 'l1'} is a symlink that leads nowhere"
                                                " (a loop, or its target is gone)")


def test_the_seed_limit_is_torchs(tmp_path: Path) -> None:
    """The CLI checks the seed without torch; its limit is the one tensors.common enforces (torch's int64)."""
    from driver.options import SEED_MAX
    from tensors.common import SEED_MAX as TORCH_SEED_MAX
    from tensors.common import generator

    assert SEED_MAX == TORCH_SEED_MAX
    generator(SEED_MAX)
    with pytest.raises((RuntimeError, OverflowError, ValueError)):
        generator(2**64)  # the seed of the issue: beyond what torch can unpack


def test_output_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, _, stderr = run(["heads", "--output-dir", str(f)], capsys)
    assert code == 2 and "is a file, not a directory" in stderr
    code, _, stderr = run(["heads", "--output-dir", str(f / "sub")], capsys)
    assert code == 2 and "is inside a file" in stderr
    assert f.read_text() == "x"


def test_output_dir_that_cannot_be_written(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = run(["heads", "--output-dir", "/proc/faq-lectures"], capsys)  # not writable even for root
    assert code == 2 and "--output-dir /proc/faq-lectures is not writable" in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_all_refuses_an_unavailable_device_before_starting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = run(["all", "--device", "cuda", "--output-dir", str(tmp_path / "o")], capsys)
    assert code == 2 and "device 'cuda' is not available" in stderr and not (tmp_path / "o").exists()


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(["heads", "--dry-run", "--device", "cpu", "--output-dir", str(out)], capsys)
    assert code == 0 and stdout.strip().splitlines()[-1] == "dry run: nothing written"
    assert "0 mismatches" in stderr
    assert not out.exists()


@pytest.mark.parametrize("args", [["heads", "--help"], ["softmax", "-h"], ["all", "--help"], ["course", "--help"],
                                  ["heads", "--d-modle", "3"], ["heads", "--seed", "99999999999999999999"],
                                  ["HEADS"], ["heads", "--output-dir", ""]])
def test_help_and_bad_options_import_neither_torch_nor_manim(args: list[str]) -> None:
    """`render.py <topic> --help` and a misspelt option answer from the option table, before torch is imported."""
    code = (f"import sys, render; code = render.main({args!r});"
            " print(code, sorted({'torch', 'manim', 'tensors.common'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] in ("0 []", "2 []"), out.stdout[-300:] + out.stderr


def test_the_option_table_matches_the_config_classes() -> None:
    """driver/topic_options.py is what the config classes say; if not, the message names the command to run."""
    from driver import options

    assert options.TABLE.read_text(encoding="utf-8") == options.render_table(), (
        f"{options.TABLE} is out of date: run {options.REGENERATE}")
    for topic in registry.TOPICS:
        assert options.of(topic) == options.from_config(topic), topic.name


def test_topic_help_lists_each_option_with_its_default_and_range(capsys: pytest.CaptureFixture[str]) -> None:
    from driver import options

    for topic in registry.TOPICS:
        code, stdout, _ = run([topic.name, "--help"], capsys)
        flat = " ".join(stdout.split())
        assert code == 0
        for o in options.from_config(topic):
            assert f"{o.flag} INTEGER" in flat and f"[{o.low}..{o.high}]" in flat and f"[default: {o.default}]" in flat, (
                topic.name, o.name)


def test_a_topic_missing_from_the_table_is_described_from_its_config(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A lecture just written by `render.py new` is not in the table yet: its options come from its config class."""
    from driver import options, topic_options

    monkeypatch.setattr(topic_options, "OPTIONS", {k: v for k, v in topic_options.OPTIONS.items() if k != "heads"})
    assert options.of(registry.get("heads")) == options.from_config(registry.get("heads"))
    code, stdout, _ = run(["heads", "--help"], capsys)
    assert code == 0 and "--big-d-model" in stdout


def test_a_stale_table_default_is_not_used(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """Only the options given on the command line reach the config; its own defaults fill the rest."""
    from driver import pipeline, topic_options

    rows = dict(topic_options.OPTIONS)
    rows["heads"] = tuple((n, 99 if n == "d_model" else d, h, lo, hi) for n, d, h, lo, hi in rows["heads"])
    monkeypatch.setattr(topic_options, "OPTIONS", rows)
    seen = []

    def fake_render(request: Any) -> Any:
        seen.append(request.config)
        raise pipeline.Failure("stop here", 1)

    monkeypatch.setattr(pipeline, "render", fake_render)
    code, _, _ = run(["heads", "--dry-run", "--seq-len", "3"], capsys)
    assert code == 1 and seen[0].d_model == registry.get("heads").config()().d_model and seen[0].seq_len == 3


def test_list_imports_neither_torch_nor_manim() -> None:
    """`list` stays fast because it imports only the registry (its time is measured in bench/run.py)."""
    code = "import sys, render; render.main(['list']); print('torch' in sys.modules, 'manim' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    listed = [line.split()[0] for line in out.stdout.splitlines()[:-1]]
    assert listed == registry.names()
    assert out.stdout.splitlines()[-1] == "False False"


@pytest.mark.parametrize("module", ["driver.quality", "driver.errors", "driver.pipeline", "driver.skeleton",
                                    "tensors.devices", "render"])
def test_driver_modules_import_neither_torch_nor_manim(module: str) -> None:
    code = f"import sys, {module}; print(sorted({{'torch', 'manim'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"importing {module} imported {out.stdout.strip()}"


def test_help_lists_topics_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(["--help"], capsys)
    assert code == 0 and "heads" in stdout and "How is W^q_h implemented in practice?" in stdout
    for command in ("list", "all", "course", "doctor", "new"):
        assert f"  {command} " in stdout, command
    code, stdout, _ = run(["heads", "--help"], capsys)
    for flag in ("--quality", "--device", "--seed", "--output-dir", "--dry-run", "--d-model", "--heads", "--seq-len",
                 "--batch"):
        assert flag in stdout


def test_unexpected_error_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from scenes.heads import HeadsLecture

    def broken(self: HeadsLecture) -> None:
        raise RuntimeError("planted crash")

    monkeypatch.delenv("FAQ_LECTURES_DEBUG", raising=False)
    monkeypatch.setattr(HeadsLecture, "intro", broken)
    code, stdout, stderr = run(["heads", "--device", "cpu", "--output-dir", str(tmp_path / "o")], capsys)
    lines = [line for line in stderr.splitlines() if line.startswith("error")]
    assert code == 1 and lines == ["error: render failed: RuntimeError: planted crash (FAQ_LECTURES_DEBUG=1 for details)"]
    assert "Traceback" not in stderr and not (tmp_path / "o" / "low").exists()


@pytest.mark.parametrize("command", ["heads", "all", "course"])
def test_render_commands_share_one_set_of_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run([command, "--help"], capsys)
    assert code == 0
    for flag in ("--quality", "--device", "--seed", "--output-dir"):
        assert flag in stdout, (command, flag)
    assert "[default: auto]" in stdout and "auto|cpu|cuda|mps" in stdout.replace("\n", "").replace(" ", "")


def test_a_typed_request_refuses_bad_sizes_before_any_work() -> None:
    from driver.errors import EXIT_USAGE, Failure
    from driver.pipeline import RenderRequest, render

    topic = registry.get("heads")
    request = RenderRequest(topic, topic.config()(seq_len=4, d_model=5, heads=4), device="cpu", dry_run=True)
    with pytest.raises(Failure, match="too wide") as err:
        render(request)
    assert err.value.code == EXIT_USAGE
    with pytest.raises(Failure, match="is not 16:9"):
        render(RenderRequest(topic, topic.config()(), device="cpu", resolution="1000x1000", dry_run=True))


def test_dry_run_all_is_a_typed_function_that_counts_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    from driver.pipeline import dry_run_all
    from scenes.kit.binding import AuditError

    topics = (registry.get("softmax"), registry.get("heads"))
    lecture = topics[1].lecture()

    def planted(self: object) -> None:
        raise AuditError("planted mismatch")

    monkeypatch.setattr(lecture.scene, lecture.scene.beats[0], planted)
    lines: list[str] = []
    failed = dry_run_all(quality="low", device="cpu", seed=0, report=lines.append, topics=topics)
    assert failed == 1
    assert lines[0].startswith("softmax    ok ") and "0 mismatches" in lines[0]
    assert lines[1].startswith("heads      FAILED ") and lines[1].endswith("planted mismatch")
    assert lines[-1].startswith("dry run of 2 topics: 1 failed in ")


@pytest.mark.render
def test_write_course_is_a_typed_function(heads_low: tuple[Path, Any], tmp_path: Path) -> None:
    """With every topic's files present (narrated as asked) nothing is rendered; the page lists them and is written."""
    from driver.pipeline import write_course

    rendered, _ = heads_low
    (tmp_path / "low").mkdir()
    for f in (rendered / "low").iterdir():
        shutil.copy2(f, tmp_path / "low" / f.name)
    lines: list[str] = []
    index = write_course(quality="low", jobs=1, device="cpu", seed=0, output_dir=tmp_path, report=lines.append,
                         topics=(registry.get("heads"),), narration="espeak")  # conftest narrates heads
    assert index == tmp_path / "course" / "index.html" and "heads.mp4" in index.read_text()
    assert len(lines) == 1 and lines[0].startswith(f"course page: {index} (1 lectures, ")
