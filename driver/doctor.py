"""`render.py doctor`: check everything a render needs and say how to fix what is missing."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIX_SETUP = "run ./setup.sh (or: .venv/bin/pip install -e '.[test]')"
FIX_SYSTEM = "sudo apt-get install libcairo2-dev libpango1.0-dev pkg-config, then ./setup.sh"
MIN_FREE = 2 * 2**30  # a high-quality render of every topic needs well under this


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _package(dist: str, module: str, fix: str = FIX_SETUP) -> Check:
    try:
        importlib.import_module(module)
        return Check(dist, True, md.version(dist))
    except Exception as err:  # ImportError, or a missing shared library raising OSError
        return Check(dist, False, f"cannot import {module}: {err}", fix)


def python_version() -> Check:
    """Python 3.11 or newer."""
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, sys.version.split()[0], "" if ok else "install Python 3.11+")


def cairo_pango() -> Check:
    """The system libraries Manim draws with (through pycairo and manimpango)."""
    results = [_package("pycairo", "cairo", FIX_SYSTEM), _package("manimpango", "manimpango", FIX_SYSTEM)]
    bad = [r for r in results if not r.ok]
    if bad:
        return Check("cairo/pango", False, bad[0].detail, FIX_SYSTEM)
    import cairo

    return Check("cairo/pango", True, f"cairo {cairo.cairo_version_string()}")


def typst_compiles() -> Check:
    """Typst compiles a formula (all maths and labels are Typst)."""
    try:
        import typst

        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "t.typ"
            src.write_text("#set page(width: auto, height: auto)\n$sqrt(d_k)$\n")
            svg = typst.compile(str(src), format="svg")
        return Check("typst", len(svg) > 100, f"{md.version('typst')}, compiles a formula")
    except Exception as err:
        return Check("typst", False, f"{type(err).__name__}: {err}", ".venv/bin/pip install typst")


def encoders() -> Check:
    """PyAV can encode H.264 (mp4) and VP9 (webm)."""
    try:
        import av

        missing = []
        for codec in ("libx264", "libvpx-vp9"):
            try:
                av.codec.Codec(codec, "w")
            except Exception:
                missing.append(codec)
        if missing:
            return Check("video encoders", False, f"PyAV {av.__version__} lacks {', '.join(missing)}",
                         ".venv/bin/pip install --force-reinstall av (the wheel bundles FFmpeg)")
        return Check("video encoders", True, f"PyAV {av.__version__}: libx264, libvpx-vp9")
    except Exception as err:
        return Check("video encoders", False, f"cannot import av: {err}", FIX_SETUP)


def devices() -> Check:
    """Which torch devices are available (cpu always; cuda and mps when present)."""
    try:
        import torch

        found = ["cpu"]
        if torch.cuda.is_available():
            found.append(f"cuda ({torch.cuda.get_device_name(0)})")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            found.append("mps")
        return Check("torch devices", True, f"torch {torch.__version__}: {', '.join(found)}")
    except Exception as err:
        return Check("torch devices", False, f"cannot import torch: {err}",
                     ".venv/bin/pip install torch==2.13.0 (CPU wheel), then ./setup.sh")


def output_dir(path: Path) -> Check:
    """The output folder (or its nearest existing parent) is a writable directory."""
    for parent in [path, *path.parents]:
        if parent.exists():
            if not parent.is_dir():
                return Check("output dir", False, f"{parent} is a file", "choose another --output-dir")
            if not os.access(parent, os.W_OK | os.X_OK):
                return Check("output dir", False, f"{parent} is not writable", "choose another --output-dir")
            return Check("output dir", True, f"{path} (writable)")
    return Check("output dir", False, f"no existing parent of {path}", "choose another --output-dir")


def free_disk(path: Path) -> Check:
    """Enough free disk space for renders."""
    where = next(p for p in [path, *path.parents] if p.exists())
    free = shutil.disk_usage(where).free
    ok = free >= MIN_FREE
    return Check("free disk", ok, f"{free / 2**30:.1f} GiB free at {where}", "" if ok else "free at least 2 GiB")


def cache_base() -> Path:
    """Return the per-user cache folder the renders use (XDG_CACHE_HOME, else ~/.cache), without importing them."""
    base = os.environ.get("XDG_CACHE_HOME")
    return Path(base) if base else Path.home() / ".cache"


def _writable_folder(folder: Path) -> str | None:
    """Return why folder cannot be used as a cache (made and written), or None if it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        return f"{err.strerror or err}" + (f" ({err.filename})" if err.filename and Path(err.filename) != folder else "")
    return None


def _damaged_entries(folder: Path) -> list[Path]:
    """Return the cache entries in folder a render would find damaged: truncated SVGs and outline files."""
    damaged = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    for p in entries:
        try:
            if p.suffix == ".svg":
                with open(p, "rb") as fh:
                    fh.seek(max(0, p.stat().st_size - 64))
                    whole = fh.read().rstrip().endswith(b"</svg>")
            elif p.suffix in (".pickle", ".pt"):
                with open(p, "rb") as fh:  # a pickle ends with STOP ('.'); torch.save writes a zip (ends with its index)
                    size = p.stat().st_size
                    fh.seek(max(0, size - 22))
                    tail = fh.read()
                    whole = size > 0 and (tail.endswith(b".") if p.suffix == ".pickle" else b"PK\x05\x06" in tail)
            else:
                continue
        except OSError:
            whole = False
        if not whole:
            damaged.append(p)
    return damaged


def caches() -> Check:
    """The per-user caches (Typst labels, trained weights): usable, or bypassed with the reason (renders are slower)."""
    try:
        base = cache_base()
    except (RuntimeError, KeyError) as err:
        return Check("caches", False, f"no home folder ({err}): renders compile and train without a cache",
                     "set HOME or XDG_CACHE_HOME to a writable folder", required=False)
    problems = []
    for part in ("typst", "trained"):
        folder = base / "faq-lectures" / part
        why = _writable_folder(folder)
        if why:
            problems.append(f"{folder} is not usable ({why})")
            continue
        damaged = _damaged_entries(folder)
        if damaged:
            problems.append(f"{len(damaged)} damaged entr{'y' if len(damaged) == 1 else 'ies'} in {folder}, e.g."
                            f" {damaged[0].name} (rebuilt by the next render)")
    if problems:
        return Check("caches", False, "; ".join(problems) + ": renders bypass them and are slower",
                     "make the folder writable, or set XDG_CACHE_HOME to one that is", required=False)
    return Check("caches", True, f"{base / 'faq-lectures'} (typst, trained: writable, entries whole)")


def chromium() -> Check:
    """Chromium, for the course page's browser test (optional for rendering)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    return Check("chromium", exe is not None, exe or "not found", "sudo apt-get install chromium", required=False)


def espeak() -> Check:
    """espeak-ng, for --narration espeak (optional: silent renders and recordings need no engine)."""
    from driver.voice import ESPEAK_INSTALL

    exe = shutil.which("espeak-ng")
    return Check("espeak-ng", exe is not None, f"{exe} (for --narration espeak)" if exe else "not found",
                 ESPEAK_INSTALL, required=False)


def run_checks(out: Path) -> list[Check]:
    """Run every check in order."""
    checks: list[Callable[[], Check]] = [
        python_version, cairo_pango, lambda: _package("manim", "manim"), typst_compiles, encoders, devices,
        lambda: _package("numpy", "numpy"), lambda: _package("click", "click"), lambda: _package("srt", "srt"),
        lambda: _package("webvtt-py", "webvtt"), lambda: _package("pillow", "PIL"),
        lambda: output_dir(out), lambda: free_disk(out), caches, chromium, espeak,
    ]
    return [c() for c in checks]
