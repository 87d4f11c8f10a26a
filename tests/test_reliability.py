"""Nothing lost: interrupted, concurrent and failing renders never break an earlier good video;
missing pieces give one line, exit 3, and the fix."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
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
    after = cli("heads", "--device", "cpu", "--output-dir", str(out), "--narration", "espeak")  # not poisoned
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


# -- caches that cannot be used -------------------------------------------------------------------
@pytest.fixture
def fresh_typst(monkeypatch: pytest.MonkeyPatch) -> object:
    """typst_cache as in a new process: nothing in memory, no cache chosen, not bypassed."""
    from manim.mobject.text import typst_mobject

    from scenes.kit import typst_cache

    monkeypatch.setattr(typst_cache, "_prototypes", {})
    monkeypatch.setattr(typst_cache, "_cache_dir", None)
    monkeypatch.setattr(typst_cache, "_bypass", None)
    monkeypatch.setattr(typst_mobject, "typst_to_svg_file", typst_mobject.typst_to_svg_file)
    typst_cache.install()
    return typst_cache


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


@pytest.mark.parametrize("home", ["file", "proc"])
def test_a_home_that_cannot_hold_the_cache_is_bypassed_with_one_warning(
        home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        fresh_typst: object) -> None:
    """HOME a file, or a folder nobody may write (/proc, even for root): labels still build; one warning line."""
    from scenes.kit import typst_cache

    if home == "file":
        (tmp_path / "home").write_text("a file, not a folder")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
    else:
        monkeypatch.setenv("HOME", "/proc")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    first = typst_cache.typst("x + y", math=True, font_size=30)
    second = typst_cache.typst("a label", font_size=20)
    assert first.family_members_with_points() and second.family_members_with_points()
    lines = warnings_in(capsys.readouterr().err)
    assert len(lines) == 1 and "is not usable" in lines[0] and "bypassed" in lines[0], lines


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a read-only file system")
def test_a_read_only_home_is_bypassed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], fresh_typst: object) -> None:
    from scenes.kit import typst_cache

    home = tmp_path / "ro"
    home.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(home)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        assert typst_cache.typst("read only", font_size=20).family_members_with_points()
        lines = warnings_in(capsys.readouterr().err)
        assert len(lines) == 1 and "Read-only file system" in lines[0]
    finally:
        subprocess.run(["umount", str(home)])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "not svg"])
def test_a_damaged_svg_in_the_cache_is_rebuilt_with_one_warning(
        damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        fresh_typst: object) -> None:
    from scenes.kit import typst_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    typst_cache.typst("W_q = E", math=True, font_size=24)
    cache = typst_cache.default_cache_dir()
    svgs = list(cache.glob("*.svg"))
    whole = {p: p.read_bytes() for p in svgs}
    for p in svgs:
        data = whole[p]
        p.write_bytes({"garbage": b"\x00\xff" * 100, "truncated": data[: len(data) // 2], "empty": b"",
                       "not svg": b"<html></html>"}[damage])
    for geom in cache.glob("geom-*"):
        geom.unlink()  # a new process without outlines: it must read the SVG
    monkeypatch.setattr(typst_cache, "_prototypes", {})
    capsys.readouterr()
    again = typst_cache.typst("W_q = E", math=True, font_size=24)
    assert again.family_members_with_points()
    lines = warnings_in(capsys.readouterr().err)
    assert len(lines) == len(svgs) and all("was damaged" in line and "rebuilt" in line for line in lines), lines
    assert {p: p.read_bytes() for p in svgs} == whole  # rebuilt whole


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "foreign"])
def test_a_damaged_outline_file_is_rebuilt_with_one_warning(
        damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        fresh_typst: object) -> None:
    import pickle

    from scenes.kit import typst_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    typst_cache.typst("label", font_size=20)
    (geom,) = typst_cache.default_cache_dir().glob("geom-*.pickle")
    data = geom.read_bytes()
    geom.write_bytes({"truncated": data[: len(data) // 3], "garbage": b"\x80\x05\x95" + b"\xff" * 64, "empty": b"",
                      "foreign": pickle.dumps({"not": "outlines"})}[damage])
    monkeypatch.setattr(typst_cache, "_prototypes", {})
    capsys.readouterr()
    assert typst_cache.typst("label", font_size=20).family_members_with_points()
    lines = warnings_in(capsys.readouterr().err)
    assert len(lines) == 1 and "was damaged" in lines[0], lines
    assert geom.read_bytes() == data  # written again, whole


def test_doctor_reports_caches_it_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("a file")
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": ""}
    proc = cli("doctor", "--output-dir", str(tmp_path / "o"), env=env)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert "everything a render needs is here" not in out
    line = next(line for line in out.splitlines() if line.startswith("warn caches"))
    assert f"{tmp_path / 'home'}/.cache/faq-lectures/typst is not usable (Not a directory)" in line
    assert out.strip().splitlines()[-1] == "a render will work, without its caches (slower): see caches above"


def test_doctor_reports_damaged_cache_entries(tmp_path: Path) -> None:
    typst = tmp_path / "xdg" / "faq-lectures" / "typst"
    typst.mkdir(parents=True)
    (typst / "0123.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><path d='M0 0")
    proc = cli("doctor", "--output-dir", str(tmp_path / "o"), env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0 and "everything a render needs is here" not in out
    assert "1 damaged entry in" in out and "0123.svg (rebuilt by the next render)" in out


# -- full disks -----------------------------------------------------------------------------------
class FullDisk:
    """Stands in for the os module: every write fails with ENOSPC."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    @staticmethod
    def write(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_leaves_no_empty_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from driver import safety

    monkeypatch.setattr(safety, "os", FullDisk())
    out = tmp_path / "out"
    code = render.main(["heads", "--device", "cpu", "--output-dir", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == [f"error: {err[0][7:]}"] and err[0].startswith(f"error: disk full at {out}")
    assert work_leftovers(out) == []  # no stale heads-low.lock


def test_a_full_disk_inside_the_encoder_is_the_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Manim's encoder thread wraps the OSError: 'RuntimeError: Failed to finish video segment ...'."""
    from manim.scene.video_segment_encoder import VideoSegmentEncoder

    from scenes.kit.lecture import LectureScene

    def full(self: object, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(VideoSegmentEncoder, "write_frame", full)
    monkeypatch.setattr(LectureScene, "layout_audit", False)  # this test is about the disk, not the layout
    out = tmp_path / "out"
    code = render.main(["heads", "--device", "cpu", "--output-dir", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith("error: disk full at ") and "free some space" in err[-1], err[-1]
    assert "RuntimeError" not in err[-1] and "Traceback" not in "\n".join(err)
    assert not (out / "low").exists() and work_leftovers(out) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small file system")
def test_a_really_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    """A 400 KiB tmpfs: the render fails with the one line, leaves no lock, no work folder, nothing published."""
    from scenes.kit.lecture import LectureScene

    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        monkeypatch.setattr(LectureScene, "layout_audit", False)
        out = disk / "media"
        code = render.main(["heads", "--device", "cpu", "--output-dir", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and err[-1].startswith("error: disk full at ") and "free some space" in err[-1], err[-1]
        assert work_leftovers(out) == [] and not (out / "low").exists()
        with open(disk / "fill", "wb", buffering=0) as fh:  # now fill it to the brim: the lock's own write fails
            try:
                while True:
                    fh.write(b"\0" * 4096)
            except OSError:
                pass
        code = render.main(["heads", "--device", "cpu", "--output-dir", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and err[-1].startswith("error: disk full at "), err
        assert work_leftovers(out) == []
    finally:
        subprocess.run(["umount", str(disk)])


# -- `all` workers die with their parent ----------------------------------------------------------
def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan's zombie may wait for a reaper that never comes)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_all_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "media"
    parent = cli("all", "--jobs", "2", "--device", "cpu", "--output-dir", str(out))
    deadline = time.time() + 120
    while len(children(parent.pid)) < 2 and time.time() < deadline and parent.poll() is None:
        time.sleep(0.2)
    workers = children(parent.pid)
    assert len(workers) == 2, "the two workers never started"
    time.sleep(3.0)  # into their imports or their renders
    parent.kill()
    parent.communicate(timeout=60)
    deadline = time.time() + 120
    while any(alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.2)
    still = [w for w in workers if alive(w)]
    for w in still:
        os.kill(w, signal.SIGKILL)
    assert still == [], "workers kept rendering after their parent was killed"
    deadline = time.time() + 30  # they stopped as interrupted renders do: work folders and locks removed
    while [p for p in work_leftovers(out) if p != "logs"] and time.time() < deadline:
        time.sleep(0.2)
    assert [p for p in work_leftovers(out) if p != "logs"] == []


def test_a_worker_whose_parent_is_already_gone_does_not_start(tmp_path: Path) -> None:
    from driver.jobs import die_with_parent

    arm = die_with_parent(os.getpid() + 10_000_000)  # not our parent: as if it had died before the exec
    if arm is None:
        pytest.skip("no prctl here")
    done = subprocess.run([sys.executable, "-c", "print('started')"], preexec_fn=arm, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 130 and done.stdout == ""


# -- a SIGKILL while a real render publishes ------------------------------------------------------
@pytest.mark.render
def test_a_real_render_killed_while_publishing_leaves_a_whole_set(low: LowRender, tmp_path: Path) -> None:
    """The CLI render, SIGKILLed before its commit and after it: readers see the whole old, then the whole new set."""
    from publish import page
    from publish.outputs import KILL_AT, read_set, verify

    rendered, _ = low("heads")
    out = tmp_path / "media"
    shutil.copytree(rendered, out, symlinks=True)
    old = read_set(out / "low", "heads")
    for step, expect_new in ((2, False), (5, True)):
        proc = cli("heads", "--device", "cpu", "--output-dir", str(out), "--format", "mp4,webm",
                   env={KILL_AT: str(step)})
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == -signal.SIGKILL, err
        now = read_set(out / "low", "heads")  # every file checked against the manifest it follows
        assert (now.manifest["set"] != old.manifest["set"]) is expect_new
        index = page.write_course([page.load_entry("heads", "T", "Q", out / "low")], tmp_path / f"course{step}")
        assert f"{now.manifest['audit']['numbers_checked']:,} checks" in index.read_text()
        old = now
    done = cli("heads", "--device", "cpu", "--output-dir", str(out))
    _, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    assert verify(out / "low", "heads") == [] and work_leftovers(out) == []
    assert sorted(p.name for p in (out / "low").iterdir()) == sorted(
        f.name for f in read_set(out / "low", "heads").files.values())


def test_no_home_no_tmpdir_and_the_c_locale_still_render(tmp_path: Path) -> None:
    """What held must keep holding: HOME unset, TMPDIR missing and LC_ALL=C (a dry run builds every label)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME")}
    env.update({"TMPDIR": str(tmp_path / "missing"), "LC_ALL": "C", "LANG": "C"})
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "softmax", "--dry-run", "--device", "cpu"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "dry run: nothing written" and "Traceback" not in done.stderr
