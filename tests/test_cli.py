"""The CLI: bad input gets one line on stderr, exit 2 and nothing written; list and help import neither
torch nor Manim; the commands' options are written once; the typed driver functions behind them."""

from __future__ import annotations

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
        (["heads", "--d-model", "8", "--heads", "3"], "--d-model 8 is not divisible by --heads 3"),
        (["heads", "--d-model", "64"], "--d-model 64 is too large: the limit is 8"),
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
    request = RenderRequest(topic, topic.config()(d_model=8, heads=3), device="cpu", dry_run=True)
    with pytest.raises(Failure, match="not divisible") as err:
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
    """With every topic's files present nothing is rendered; the page lists them and is written."""
    from driver.pipeline import write_course

    rendered, _ = heads_low
    (tmp_path / "low").mkdir()
    for f in (rendered / "low").iterdir():
        shutil.copy2(f, tmp_path / "low" / f.name)
    lines: list[str] = []
    index = write_course(quality="low", jobs=1, device="cpu", seed=0, output_dir=tmp_path, report=lines.append,
                         topics=(registry.get("heads"),))
    assert index == tmp_path / "course" / "index.html" and "heads.mp4" in index.read_text()
    assert len(lines) == 1 and lines[0].startswith(f"course page: {index} (1 lectures, ")
