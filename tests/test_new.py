"""`render.py new NAME` in a copy of the project: the skeleton renders, passes its own tests and the
per-topic suite unchanged; bad names are refused with one line and exit 2, nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("render.py", "pyproject.toml", "tensors", "scenes", "driver", "publish",
           "tests/__init__.py", "tests/conftest.py", "tests/shown.py", "tests/test_topics.py")


def copy_project(dest: Path) -> Path:
    """Copy the project's source (no media, caches or other tests) into dest; return it."""
    for name in SOURCES:
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    return dest


def run(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the venv's python with args in root."""
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True, timeout=timeout)


def pytest_in(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in root on one process, its temporary files kept inside root."""
    return run(root, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", f"--basetemp={root / '.tmp'}", *args,
               timeout=900)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project in which `render.py new demo` has run."""
    root = copy_project(tmp_path_factory.mktemp("project"))
    made = run(root, "render.py", "new", "demo")
    assert made.returncode == 0, made.stderr
    return root


def test_new_writes_the_three_files_and_the_registry_line(project: Path) -> None:
    for path in ("tensors/demo.py", "scenes/demo.py", "tests/test_demo.py"):
        assert (project / path).is_file(), path
    listed = run(project, "render.py", "list")
    assert listed.returncode == 0 and listed.stdout.splitlines()[-1].split()[0] == "demo"
    assert (ROOT / "driver" / "registry.py").read_text() != (project / "driver" / "registry.py").read_text()


@pytest.mark.render
def test_the_skeleton_dry_runs_and_passes_its_tests(project: Path) -> None:
    dry = run(project, "render.py", "demo", "--dry-run", "--device", "cpu")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().splitlines()[-1] == "dry run: nothing written" and "0 mismatches" in dry.stderr
    own = pytest_in(project, "tests/test_demo.py")
    assert own.returncode == 0, own.stdout[-3000:]
    # the per-topic suite every lecture meets: contract, beats audited, a real 480p render checked with PyAV
    suite = pytest_in(project, "tests/test_topics.py", "-k", "demo")
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and " failed" not in suite.stdout


@pytest.mark.parametrize(
    "name,needle",
    [("Demo", "is not a lowercase Python identifier"), ("2d", "is not a lowercase Python identifier"),
     ("my-topic", "is not a lowercase Python identifier"), ("class", "is not a lowercase Python identifier"),
     ("heads", "'heads' exists already (driver/registry.py, tensors/heads.py"),
     ("demo", "'demo' exists already"), ("common", "'common' exists already (tensors/common.py)"),
     ("kit", "'kit' exists already (scenes/kit)"), ("all", "'all' is a command of render.py"),
     ("new", "'new' is a command of render.py")],
)
def test_bad_names_are_refused_with_one_line(project: Path, name: str, needle: str) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*.py"))
    registry = (project / "driver" / "registry.py").read_text()
    refused = run(project, "render.py", "new", name)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: new: "), refused.stderr
    assert needle in lines[0] and refused.stdout == ""
    assert sorted(p.relative_to(project) for p in project.rglob("*.py")) == before
    assert (project / "driver" / "registry.py").read_text() == registry


def test_the_skeleton_passes_ruff_and_mypy(project: Path) -> None:
    files = ["tensors/demo.py", "scenes/demo.py", "tests/test_demo.py"]
    for tool in ("ruff", "mypy"):
        pytest.importorskip(tool)
        args = ["check", *files] if tool == "ruff" else files
        checked = run(project, "-m", tool, *args)
        assert checked.returncode == 0, checked.stdout[-3000:]
