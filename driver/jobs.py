"""Render many topics at once: one worker process per topic, at most N at a time, with progress.

Workers die with the parent: each asks the kernel for SIGTERM when its parent dies (Linux
prctl PR_SET_PDEATHSIG, through ctypes), so a parent killed with SIGKILL leaves no orphan rendering
on; SIGTERM makes a worker stop, clean its work folder and exit 130 like a render interrupted by hand.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> Callable[[], None] | None:
    """Return a pre-exec hook making the child get SIGTERM when `parent` dies (None where Linux's prctl is missing)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def arm() -> None:  # runs in the child between fork and exec: no Python-level locks, no allocation to speak of
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(EXIT_ORPHAN)

    return arm


EXIT_ORPHAN = 130  # a worker whose parent was already gone: as if interrupted


@dataclass
class Job:
    """One topic's render in its own process."""

    topic: str
    args: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    elapsed: float = 0.0
    state: str = "waiting"  # waiting | running | done | failed | interrupted
    message: str = ""
    output: list[str] = field(default_factory=list)


def run_jobs(topics: Sequence[str], common: list[str], jobs: int, log_dir: Path,
             report: Callable[[str], None]) -> list[Job]:
    """Render topics with up to `jobs` processes; report each change; return the finished jobs."""
    log_dir.mkdir(parents=True, exist_ok=True)
    queue = [Job(t, [sys.executable, str(ROOT / "render.py"), t, *common], log_dir / f"{t}.log") for t in topics]
    waiting, running, finished = list(queue), list[Job](), list[Job]()
    arm = die_with_parent(os.getpid())
    t0 = time.perf_counter()

    def line(job: Job) -> str:
        counts = f"{len(finished)}/{len(queue)} done, {len(running)} running"
        return f"[{time.perf_counter() - t0:6.1f}s] {job.topic:10s} {job.state:8s} {job.message}  ({counts})"

    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                job = waiting.pop(0)
                fh = open(job.log, "wb")
                job.proc = subprocess.Popen(job.args, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
                                            start_new_session=True, preexec_fn=arm)
                fh.close()
                job.started, job.state = time.perf_counter(), "running"
                running.append(job)
                report(line(job))
            time.sleep(0.2)
            for job in list(running):
                assert job.proc is not None
                code = job.proc.poll()
                if code is None:
                    continue
                job.elapsed = time.perf_counter() - job.started
                lines = job.log.read_text(errors="replace").strip().splitlines()
                job.state = "done" if code == 0 else "failed"
                last = lines[-1] if lines else f"exit {code}"
                job.message = f"{job.elapsed:.1f} s  {last}"
                running.remove(job)
                finished.append(job)
                report(line(job))
    except KeyboardInterrupt:
        for job in running:
            if job.proc is not None and job.proc.poll() is None:
                os.killpg(job.proc.pid, signal.SIGTERM)
        deadline = time.perf_counter() + 1.5
        for job in running:
            assert job.proc is not None
            try:
                job.proc.wait(timeout=max(0.05, deadline - time.perf_counter()))
            except subprocess.TimeoutExpired:
                os.killpg(job.proc.pid, signal.SIGKILL)
            job.state = "interrupted"
        raise
    return finished
