"""Renders that never clobber each other: a per-topic lock, signals as interrupts, stale work."""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


class Busy(RuntimeError):
    """Another process is rendering the same topic at the same quality into the same folder."""


@contextmanager
def topic_lock(work_root: Path, key: str) -> Iterator[None]:
    """Hold an exclusive lock named key in work_root for the duration; raise Busy if taken."""
    work_root.mkdir(parents=True, exist_ok=True)
    path = work_root / f"{key}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise Busy(f"already rendering {key.replace('-', ' at ', 1)} quality into {work_root.parent}"
                       f" (process {holder}); wait for it, or use another --output-dir") from None
        try:  # the file we locked must still be the one at path (a finishing holder unlinks it)
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:  # from here on the file is ours: removed however we leave (a full disk fails the write below)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


WORK_SEP = "@"  # between a work folder's key and its random part; never in a key, so keys cannot collide


def new_work_dir(work_root: Path, key: str) -> Path:
    """Create and return a fresh work folder owned by key (named key@random) in work_root."""
    if WORK_SEP in key or "/" in key or not key:
        raise ValueError(f"work key {key!r} is empty or contains {WORK_SEP!r} or '/'")
    work_root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{key}{WORK_SEP}", dir=work_root))


def clear_stale(work_root: Path, key: str) -> None:
    """Remove the work folders an interrupted or killed render of exactly this key left; call under its lock."""
    for old in work_root.glob(f"{glob.escape(key)}{WORK_SEP}*"):
        if old.is_dir() and old.name.rpartition(WORK_SEP)[0] == key:
            shutil.rmtree(old, ignore_errors=True)


_received: str | None = None  # the signal that asked us to stop, once one has


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    global _received
    _received = signal.Signals(signum).name
    raise KeyboardInterrupt(_received)


def check_interrupt() -> None:
    """Raise KeyboardInterrupt if a signal arrived (its exception can be swallowed, e.g. in a weakref callback)."""
    if _received is not None:
        raise KeyboardInterrupt(_received)


def interrupt_on_signals() -> None:
    """Make Ctrl-C, SIGTERM and SIGHUP unwind, clean up and exit 130, and remember that they came."""
    global _received
    _received = None
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
