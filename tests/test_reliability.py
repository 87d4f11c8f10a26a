"""Nothing lost: interrupted, concurrent and failing renders never break an earlier good video;
missing pieces give one line, exit 3, and the fix."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import render
from driver import registry
from driver.quality import QUALITIES
from publish.outputs import verify_video
from tests.conftest import LowRender

ROOT = Path(__file__).resolve().parent.parent


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(ROOT / "render.py"), *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


def hidden(tmp_path: Path, module: str) -> dict[str, str]:
    """Return an environment in which importing `module` fails as if it were not installed."""
    fake = tmp_path / "hide"
    fake.mkdir(exist_ok=True)
    (fake / f"{module}.py").write_text(f'raise ImportError("No module named {module!r} (hidden by the test)")\n')
    return {"PYTHONPATH": str(fake)}


STOP_BOUND = 60.0  # seconds: generous for a busy machine, far short of a render that ignores the signal


def work_leftovers(out: Path) -> list[str]:
    work = out / ".work"
    return sorted(p.name for p in work.iterdir()) if work.exists() else []


@pytest.mark.parametrize("module,needle", [
    ("typst", "cannot import typst"),
    ("cairo", "sudo apt-get install libcairo2-dev libpango1.0-dev pkg-config"),
])
def test_missing_dependency_is_exit_3_with_the_fix(tmp_path: Path, module: str, needle: str) -> None:
    proc = cli("heads", "--dry-run", "--device", "cpu", env=hidden(tmp_path, module))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and needle in lines[-1] and "Traceback" not in err


BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)  # this interpreter without the venv's packages


def foreign(*args: str, cwd: Path = ROOT, script: Path = ROOT / "render.py",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python render.py args` with an interpreter that lacks the packages (-S: no site-packages)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FAQ_LECTURES_REEXEC", "VIRTUAL_ENV")}
    return subprocess.run([BASE_PYTHON, "-S", str(script), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**clean, **(env or {})})


def test_the_interpreter_under_test_lacks_the_packages() -> None:
    done = subprocess.run([BASE_PYTHON, "-S", "-c", "import click"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "No module named 'click'" in done.stderr


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="no .venv beside render.py")
def test_a_python_without_the_packages_runs_the_command_in_the_venv() -> None:
    """`python render.py ...` after ./setup.sh works as typed: it runs again with .venv/bin/python."""
    listed = foreign("list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == registry.names()
    bad = foreign("heads", "--seed", "-1")  # the venv's own answer: one line, exit 2
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --seed must be 0 or more and at most" \
        " 9223372036854775807, got -1"
    dry = foreign("heads", "--dry-run", "--device", "cpu", "--d-model", "2", "--heads", "1", "--seq-len", "2",
                  "--big-d-model", "8", "--big-heads", "1", cwd=Path("/"))
    assert "ModuleNotFoundError" not in dry.stderr and "lacks" not in dry.stderr, dry.stderr


def test_without_a_venv_a_python_without_the_packages_names_setup_sh(tmp_path: Path) -> None:
    script = tmp_path / "render.py"
    script.write_bytes((ROOT / "render.py").read_bytes())
    done = foreign("heads", "--quality", "high", script=script, cwd=tmp_path)
    assert done.returncode == 3 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {BASE_PYTHON} lacks ") and "torch" in lines[0]
    assert f"run ./setup.sh in {tmp_path}, then .venv/bin/python render.py heads --quality high" in lines[0]


def test_a_venv_that_lacks_the_packages_too_is_not_run_again_and_again(tmp_path: Path) -> None:
    """The re-run happens at most once: a .venv whose python lacks the packages gives one line, exit 3."""
    script = tmp_path / "render.py"
    script.write_bytes((ROOT / "render.py").read_bytes())
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    count = tmp_path / "runs"
    fake.write_text(f'#!/bin/sh\necho run >> {count}\nexec {BASE_PYTHON} -S "$@"\n')
    fake.chmod(0o755)
    done = foreign("list", script=script, cwd=tmp_path)
    assert done.returncode == 3 and count.read_text() == "run\n"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {fake} lacks ") and "run ./setup.sh" in lines[0]


def test_doctor_names_a_hidden_dependency_and_its_fix(tmp_path: Path) -> None:
    ok = cli("doctor", "--output-dir", str(tmp_path / "o"))
    out, _ = ok.communicate(timeout=120)
    assert ok.returncode == 0 and "everything a render needs is here" in out
    for name in ("python", "cairo/pango", "typst", "video encoders", "torch devices", "output dir", "free disk"):
        assert any(line.startswith("ok") and name in line for line in out.splitlines()), name
    bad = cli("doctor", "--output-dir", str(tmp_path / "o"), env=hidden(tmp_path, "typst"))
    out, _ = bad.communicate(timeout=120)
    assert bad.returncode == 3
    assert "FAIL typst" in out and "fix: .venv/bin/pip install typst" in out and "1 problem(s)" in out


def test_full_disk_while_encoding_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from manim.scene.scene_file_writer import SceneFileWriter

    original = SceneFileWriter.write_frame
    written = {"n": 0}

    def write_frame(self: SceneFileWriter, *args: object, **kwargs: object) -> None:
        written["n"] += 1
        if written["n"] > 40:
            raise OSError(errno.ENOSPC, "No space left on device", "heads.mp4")
        original(self, *args, **kwargs)

    monkeypatch.setattr(SceneFileWriter, "write_frame", write_frame)
    out = tmp_path / "out"
    code = render.main(["heads", "--device", "cpu", "--output-dir", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith("error: disk full") and "free some space" in err[-1]
    assert not (out / "low").exists() and work_leftovers(out) == []


@pytest.mark.render
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_render_exits_130_by_itself_and_keeps_the_earlier_video(sig: signal.Signals,
                                                                          low: LowRender) -> None:
    """Stops on its own with exit 130 well within STOP_BOUND; how fast it stops is measured by bench/run.py."""
    out, outcome = low("heads")
    video = out / "low" / "heads.mp4"
    before = {p.name: sha(p) for p in (out / "low").iterdir()}
    delay = random.Random(f"{sig.name}-{os.getpid()}").uniform(3.0, 12.0)
    proc = cli("heads", "--device", "cpu", "--output-dir", str(out))
    time.sleep(delay)
    assert proc.poll() is None, "the render ended before it could be interrupted"
    proc.send_signal(sig)
    try:  # a render that ignored the signal would run on to exit 0 (failing below) or hang (failing here)
        _, err = proc.communicate(timeout=STOP_BOUND)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {STOP_BOUND:.0f} s after {sig.name} (sent {delay:.1f} s into the render)")
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert {p.name: sha(p) for p in (out / "low").iterdir()} == before
    assert sha(video) == before["heads.mp4"]
    assert work_leftovers(out) == []
    after = cli("heads", "--device", "cpu", "--output-dir", str(out))  # the next render is not poisoned
    _, err = after.communicate(timeout=600)
    assert after.returncode == 0, err
    q = QUALITIES["low"]
    assert verify_video(video, q.width, q.height, q.fps)["frames"] == outcome.manifest["video"]["frames"]
    assert work_leftovers(out) == []


@pytest.mark.render
def test_same_topic_twice_refuses_and_other_topics_render_alongside(tmp_path: Path) -> None:
    """One heads render holds the lock; a second is refused at once; bmm renders at the same time."""
    out = tmp_path / "media"
    first = cli("heads", "--device", "cpu", "--output-dir", str(out))
    lock = out / ".work" / "heads-low.lock"
    deadline = time.time() + 60
    while not lock.exists() and time.time() < deadline:
        time.sleep(0.1)
    other = cli("bmm", "--device", "cpu", "--output-dir", str(out))
    second = cli("heads", "--device", "cpu", "--output-dir", str(out))
    _, err2 = second.communicate(timeout=60)
    assert second.returncode == 1 and "already rendering heads at low quality" in err2
    assert len(err2.strip().splitlines()) == 1
    _, err1 = first.communicate(timeout=600)
    _, err3 = other.communicate(timeout=600)
    assert first.returncode == 0, err1
    assert other.returncode == 0, err3
    for name in ("heads", "bmm"):
        q = QUALITIES["low"]
        assert verify_video(out / "low" / f"{name}.mp4", q.width, q.height, q.fps)["frames"] > 100
    assert work_leftovers(out) == []
