"""Render on a Dask cluster: `render.py all|course --cluster tcp://HOST:PORT`.

One task per topic goes to a Dask scheduler (`dask scheduler`); a worker (`dask worker tcp://HOST:PORT`)
renders it with `driver.pipeline.render` into a temporary folder of its own and sends the finished
files' bytes back (video, sidecars, manifest). This client then checks them as a local render checks
its own (PyAV opens and decodes the video; size, rate and frame count; every file's size and sha256
against the manifest; the audit's 0 mismatches) and publishes them with `publish.outputs.publish`,
holding the topic's lock from `driver.safety` from before the task is sent until its files are in
place. No shared filesystem is assumed: the workers need only the same code.

Same code: before anything is sent, `client.run` asks every worker for its fingerprint (project version,
a hash of the tensors/, scenes/, driver/ and publish/ sources, torch and Manim versions) and a worker
whose fingerprint differs is refused with one line naming both; tasks go to matching workers only, and
each task checks again on its worker before rendering.

Retries: a worker that dies mid-task is the scheduler's business: it runs the task again on another
worker, up to `distributed.scheduler.allowed-failures` times (3 by default, a setting of the scheduler)
before the topic fails with KilledWorker. A task that raises (not a render or audit failure, which comes
back as a result and is not retried: it would fail again) is retried RETRIES times. Nothing reaches the
output folder before the client has received and verified a whole set.

Importing this module imports neither distributed, torch nor Manim.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driver import registry
from driver.errors import EXIT_DEPENDENCY, EXIT_FAILURE, EXIT_USAGE, Failure
from driver.quality import folder_name, quality_of

Report = Callable[[str], None]

RETRIES = 2  # a task that raised runs at most 1 + RETRIES times (worker deaths: the scheduler's allowed-failures)
CONNECT_TIMEOUT = 5.0  # seconds to reach the scheduler before giving up
WORKER_WAIT = 20.0  # seconds to wait for the first worker to be connected
NO_WORKER_WAIT = 120.0  # seconds without any matching worker, mid-run, before the remaining topics fail
EVENT_TOPIC = "faq-lectures"  # the Dask event topic carrying "running on worker X" from the tasks
INSTALL = ".venv/bin/pip install -e '.[cluster]'"
ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("tensors", "scenes", "driver", "publish")
ADDRESS = re.compile(r"^tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*):(\d{1,5})$")


# -- the same code on both sides ------------------------------------------------------------------
def project_version(root: Path = ROOT) -> str:
    """Return the version in pyproject.toml beside the sources (the installed metadata when there is none)."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, ValueError):
            pass
    from importlib import metadata

    try:
        return metadata.version("faq-lectures")
    except metadata.PackageNotFoundError:
        return "unknown"


def source_hash(root: Path = ROOT) -> str:
    """Return the sha256 of the sources a render runs: every file under tensors/, scenes/, driver/, publish/."""
    h = hashlib.sha256()
    for top in SOURCE_DIRS:
        for path in sorted((root / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


_fingerprint: dict[str, str] | None = None
_fingerprint_lock = threading.Lock()


def fingerprint() -> dict[str, str]:
    """Return this process's code fingerprint, computed once (so a later edit of the files cannot pass for loaded code)."""
    global _fingerprint
    with _fingerprint_lock:
        if _fingerprint is None:
            _fingerprint = {"faq-lectures": project_version(), "sources": source_hash()[:12],
                            "torch": _package_version("torch"), "manim": _package_version("manim")}
        return dict(_fingerprint)


def describe(fp: dict[str, str]) -> str:
    """'faq-lectures 0.1.0, sources 3f2a91c0d1e2, torch 2.13.0, manim 0.22.0'."""
    return ", ".join(f"{k} {v}" for k, v in fp.items())


def mismatch(worker: str, theirs: dict[str, str] | BaseException, mine: dict[str, str]) -> str | None:
    """Return the one line refusing a worker whose code differs from this client's (None when it matches)."""
    if isinstance(theirs, BaseException):
        return (f"refusing worker {worker}: it cannot run this project ({type(theirs).__name__}: {theirs});"
                f" this client runs {describe(mine)}")
    if theirs == mine:
        return None
    keys = [k for k in mine if theirs.get(k) != mine[k]] or list(mine)
    them = ", ".join(f"{k} {theirs.get(k, 'missing')}" for k in keys)
    us = ", ".join(f"{k} {mine[k]}" for k in keys)
    return f"refusing worker {worker}: it runs {them}, this client {us} (restart it with this code)"


# -- the worker's side ---------------------------------------------------------------------------
_render_lock = threading.Lock()  # Manim's config is global: one render at a time per worker process


def _worker_fingerprint() -> dict[str, str]:
    """What `client.run` calls on every worker."""
    return fingerprint()


def render_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Render one topic on this worker in a temporary folder; return its files' bytes, or the failure.

    A render or audit failure is returned (not raised), so Dask does not retry what would fail again.
    """
    from distributed import get_worker

    from driver.pipeline import RenderRequest, render

    worker = get_worker()
    where = {"worker": worker.address, "host": socket.gethostname()}
    line = mismatch(worker.address, fingerprint(), spec["fingerprint"])
    if line is not None:
        return {"ok": False, "code": EXIT_FAILURE, "message": line, "seconds": 0.0, **where}
    with _render_lock:
        worker.log_event(EVENT_TOPIC, {"run": spec["run"], "topic": spec["topic"], "state": "running", **where})
        started = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix="faq-lectures-", dir=worker.local_directory))
        try:
            topic = registry.get(spec["topic"])
            request = RenderRequest(topic, topic.config()(seed=spec["seed"]), quality=spec["quality"],
                                    device=spec["device"], output_dir=tmp / "media", formats=tuple(spec["formats"]),
                                    dry_run=spec["dry_run"])
            try:
                outcome = render(request)
            except Failure as err:
                return {"ok": False, "code": err.code, "message": str(err),
                        "seconds": time.perf_counter() - started, **where}
            audit = {k: v for k, v in outcome.manifest["audit"].items() if k != "shown"}
            files: dict[str, bytes] = {}
            if outcome.video is not None:
                folder = outcome.video.parent
                names = [f["name"] for f in outcome.manifest["files"].values()] + [f"{topic.name}.json"]
                files = {name: (folder / name).read_bytes() for name in names}
            return {"ok": True, "audit": audit, "files": files, "seconds": time.perf_counter() - started, **where}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# -- the client's side ---------------------------------------------------------------------------
def check_address(address: str) -> str:
    """Refuse an address that is not tcp://HOST:PORT (exit 2)."""
    m = ADDRESS.match(address.strip())
    if m is None or not 0 < int(m.group(2)) < 65536:
        raise Failure(f"--cluster {address!r} is not tcp://HOST:PORT (the address `dask scheduler` prints)", EXIT_USAGE)
    return address.strip()


def _import_distributed() -> Any:
    """Import Dask distributed, or fail with exit 3 and the install command."""
    try:
        import distributed
    except ImportError as err:
        raise Failure(f"--cluster needs Dask distributed ({err}): run {INSTALL}", EXIT_DEPENDENCY) from None
    return distributed


def _probe(address: str, timeout: float) -> None:
    """Fail at once (exit 2) when nothing listens at address: Dask's own connect retries until its timeout."""
    m = ADDRESS.match(address)
    assert m is not None
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__.replace("TimeoutError", "timed out")
        raise Failure(f"cannot reach the Dask scheduler at {address} ({reason}); start one with"
                      f" `dask scheduler --port {port}`, or check --cluster", EXIT_USAGE) from None


@contextmanager
def connect(address: str, *, timeout: float = CONNECT_TIMEOUT, worker_wait: float = WORKER_WAIT) -> Iterator[Any]:
    """Yield a Client of the scheduler at address with at least one worker; one line and exit 2 when unreachable."""
    distributed = _import_distributed()
    address = check_address(address)
    quiet = not os.environ.get("FAQ_LECTURES_DEBUG")
    logger = logging.getLogger("distributed")
    level = logger.level
    if quiet:
        logger.setLevel(logging.CRITICAL)  # our own lines say what happened; Dask's log lines are multi-line
    _probe(address, timeout)
    client = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Dask's package-version table: our fingerprint check is the one enforced
            try:
                client = distributed.Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as err:
                reason = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise Failure(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({reason}); start"
                              f" one with `dask scheduler --port PORT`, or check --cluster", EXIT_USAGE) from None
        try:
            client.wait_for_workers(1, timeout=worker_wait)
        except (TimeoutError, OSError):
            raise Failure(f"no Dask worker is connected to {address} (waited {worker_wait:g} s); start one with"
                          f" `dask worker {address} --nthreads 1`", EXIT_USAGE) from None
        yield client
    finally:
        if client is not None:
            try:
                client.close(timeout=5)
            except Exception:  # closing a broken connection must not hide the run's own outcome
                pass
        logger.setLevel(level)


def check_workers(client: Any, mine: dict[str, str], report: Report, workers: Sequence[str] | None = None) -> list[str]:
    """Return the workers (of `workers`, or all) whose fingerprint equals this client's; report each refused one."""
    answers = client.run(_worker_fingerprint, workers=list(workers) if workers is not None else None,
                         on_error="return")
    good: list[str] = []
    info = client.scheduler_info(n_workers=-1)["workers"]
    for addr in sorted(answers):
        line = mismatch(addr, answers[addr], mine)
        if line is None:
            good.append(addr)
            threads = info.get(addr, {}).get("nthreads", 1)
            if threads > 1:
                report(f"worker {addr} has {threads} threads: it renders one topic at a time (start workers with"
                       " --nthreads 1, and --nworkers N for more)")
        else:
            report(line)
    return good


@dataclass
class Task:
    """One topic on the cluster: its future, where it runs, what became of it."""

    topic: str
    future: Any = None
    state: str = "waiting"  # waiting | running | done | failed
    worker: str = ""
    allowed: list[str] = field(default_factory=list)  # the workers its current future may run on
    attempts: int = 0
    message: str = ""
    locks: ExitStack = field(default_factory=ExitStack)


def _verify_and_publish(result: dict[str, Any], task: Task, *, quality: str, seed: int, output_dir: Path,
                        formats: Sequence[str]) -> Path:
    """Check a worker's files as a local render checks its own, then publish them by atomic renames."""
    from driver.safety import new_work_dir
    from publish.outputs import OutputError, Staged, publish, sha256, verify_video

    q = quality_of(quality)
    name = task.topic
    work = new_work_dir(output_dir / ".work", f"{name}-{folder_name(quality)}")
    try:
        incoming = work / "publish"
        incoming.mkdir()
        files: dict[str, bytes] = result["files"]
        for fname, data in files.items():
            if "/" in fname or "\\" in fname or not fname.startswith(f"{name}.") or fname in (".", ".."):
                raise Failure(f"{name}: the worker sent a file named {fname!r}")
            (incoming / fname).write_bytes(data)
        manifest = _parse_manifest(files.get(f"{name}.json"), f"{name}.json from {result['worker']}")
        want = {"topic": name, "seed": seed}
        got = {"topic": manifest.get("topic"), "seed": manifest.get("seed")}
        if got != want or manifest.get("quality", {}).get("name") != quality:
            raise Failure(f"{name}: the worker rendered {got} at {manifest.get('quality')}, not {want} at {quality}")
        set_name = manifest.get("set")
        if not isinstance(set_name, str) or set_name.rpartition("@")[0] != name:
            raise Failure(f"{name}: the worker's manifest names no set of {name} ({set_name!r})")
        mismatches = manifest.get("audit", {}).get("mismatches")
        if mismatches != 0:
            raise Failure(f"{name}: the manifest's audit has {mismatches} mismatches")
        listed = manifest.get("files", {})
        staged: dict[str, Path] = {}
        for kind, entry in listed.items():
            path = incoming / entry["name"]
            if not path.is_file():
                raise Failure(f"{name}: the worker did not send {entry['name']}")
            if path.stat().st_size != entry["bytes"] or sha256(path) != entry["sha256"]:
                raise Failure(f"{name}: {entry['name']} is not the file its manifest describes (size or sha256)")
            staged[kind] = path
        staged["json"] = incoming / f"{name}.json"
        extra = set(files) - {p.name for p in staged.values()}
        if extra:
            raise Failure(f"{name}: the worker sent files its manifest does not list: {', '.join(sorted(extra))}")
        missing = [f for f in formats if f in ("mp4", "webm", "gif") and f not in staged]
        if missing:
            raise Failure(f"{name}: the worker sent no {', '.join(missing)}")
        video = next((staged[k] for k in ("mp4", "webm") if k in staged), None)
        if video is not None:
            try:
                meta = verify_video(video, q.width, q.height, q.fps)
            except OutputError as err:
                raise Failure(f"{name}: {err}") from None
            recorded = manifest.get("video", {})
            if any(meta[k] != recorded.get(k) for k in ("width", "height", "frames")):
                raise Failure(f"{name}: {video.name} has {meta['width']}x{meta['height']}, {meta['frames']} frames;"
                              f" its manifest says {recorded}")
        from driver.safety import check_interrupt

        check_interrupt()
        try:
            return publish(Staged(name, set_name, incoming, staged), output_dir / folder_name(quality))
        except OutputError as err:
            raise Failure(f"{name}: {err}") from None
    except OSError as err:
        from publish.outputs import write_error

        raise Failure(write_error(err, output_dir)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parse_manifest(raw: bytes | None, where: str) -> dict[str, Any]:
    """Read a manifest the worker sent through the readers' own schema check (one line naming it)."""
    from publish.outputs import OutputError, parse_manifest

    if raw is None:
        raise Failure(f"the worker sent no manifest ({where})")
    try:
        return parse_manifest(raw, where)
    except OutputError as err:
        raise Failure(str(err)) from None


def run_on_cluster(address: str, names: Sequence[str], *, quality: str, device: str, seed: int, output_dir: Path,
                   formats: Sequence[str], report: Report, dry_run: bool = False) -> int:
    """Render (or dry-run) topics on the Dask cluster at address; publish each verified set; return how many failed."""
    from driver.pipeline import check_seed, check_writable
    from tensors.devices import DEVICES

    _import_distributed()
    check_address(address)
    unknown = [n for n in names if n not in registry.names()]
    if unknown:
        raise Failure(f"unknown topic {', '.join(unknown)}: topics are {', '.join(registry.names())}", EXIT_USAGE)
    quality_of(quality)
    if device not in DEVICES:
        raise Failure(f"unknown device {device!r}: choose from {', '.join(DEVICES)}", EXIT_USAGE)
    check_seed(seed)
    sub = folder_name(quality)
    if not dry_run:
        check_writable(output_dir, sub)
    mine = fingerprint()
    start = time.perf_counter()
    with connect(address) as client:
        verified = check_workers(client, mine, report)
        if not verified:
            raise Failure(f"no worker at {address} runs this code ({describe(mine)}); start workers from the same"
                          " checkout", EXIT_USAGE)
        checked = set(client.scheduler_info(n_workers=-1)["workers"])
        run = uuid.uuid4().hex[:8]
        what = "dry-running" if dry_run else "rendering"
        report(f"{what} {len(names)} topics at {quality} quality on {address}, {len(verified)} worker(s)")
        events: queue.Queue[dict[str, Any]] = queue.Queue()
        client.subscribe_topic(EVENT_TOPIC, lambda event: events.put(event[1]))
        tasks = [Task(n) for n in names]
        finished: list[Task] = []

        def line(task: Task) -> None:
            # one render at a time per worker: a worker that started a topic has finished its previous one
            running = len({t.worker for t in tasks if t.state == "running"})
            counts = f"{len(finished)}/{len(tasks)} done, {running} running"
            report(f"[{time.perf_counter() - start:6.1f}s] {task.topic:10s} {task.state:8s} {task.message}  ({counts})")

        def submit(task: Task, workers: list[str]) -> None:
            spec = {"run": run, "topic": task.topic, "quality": quality, "device": device, "seed": seed,
                    "formats": list(formats), "dry_run": dry_run, "fingerprint": mine}
            task.future = client.submit(render_task, spec, key=f"faq-{task.topic}-{sub}-{run}-{uuid.uuid4().hex[:6]}",
                                        workers=workers, allow_other_workers=False, retries=RETRIES, pure=False,
                                        priority=len(tasks) - tasks.index(task))  # in lecture order, as local `all`
            task.allowed = list(workers)

        def finish(task: Task, ok: bool, message: str) -> None:
            task.state, task.message = ("done" if ok else "failed"), message
            task.locks.close()
            finished.append(task)
            line(task)

        try:
            if not dry_run:  # the topic's lock from before its task is sent until its files are in place
                from driver.safety import Busy, clear_stale, topic_lock
                from publish.outputs import clear_unpublished

                work_root = output_dir / ".work"
                for task in tasks:
                    key = f"{task.topic}-{sub}"
                    try:
                        task.locks.enter_context(topic_lock(work_root, key))
                    except Busy as err:
                        finish(task, False, str(err))
                        continue
                    clear_stale(work_root, key)
                    clear_unpublished(output_dir / sub, task.topic)
            for task in tasks:
                if task.state == "waiting":
                    submit(task, verified)
            last_poll, lonely_since = 0.0, None
            while any(t.state in ("waiting", "running") for t in tasks):
                time.sleep(0.2)
                for task in tasks:
                    if task.state in ("waiting", "running") and task.future is not None and task.future.done():
                        _collect(task, finish, quality=quality, seed=seed, output_dir=output_dir, formats=formats,
                                 dry_run=dry_run)
                        task.future = None
                while not events.empty():
                    msg = events.get()
                    found = next((t for t in tasks if t.topic == msg.get("topic") and msg.get("run") == run), None)
                    if found is None or found.state not in ("waiting", "running"):
                        continue
                    task = found
                    task.attempts += 1
                    task.state, task.worker = "running", msg["worker"]
                    task.message = f"on {msg['worker']} ({msg['host']})" + (
                        f", attempt {task.attempts}" if task.attempts > 1 else "")
                    line(task)
                if time.perf_counter() - last_poll < 1.0:
                    continue
                last_poll = time.perf_counter()
                alive = set(client.scheduler_info(n_workers=-1)["workers"])
                for task in tasks:
                    if task.state == "running" and task.worker and task.worker not in alive:
                        task.state, task.message = "waiting", (f"worker {task.worker} left mid-render; the scheduler"
                                                               " runs it again on another worker")
                        line(task)
                        task.worker = ""
                new = sorted(alive - checked)
                if new:
                    checked |= set(new)
                    verified += check_workers(client, mine, report, new)
                usable = [w for w in verified if w in alive]
                if usable:
                    lonely_since = None
                    for task in tasks:  # restricted to workers that are all gone: matching newcomers take it over
                        if task.state == "waiting" and task.future is not None and not set(task.allowed) & alive:
                            client.cancel(task.future)
                            submit(task, usable)
                    continue
                if lonely_since is None:
                    lonely_since = time.perf_counter()
                    report(f"no worker running this code is connected to {address}; waiting up to"
                           f" {NO_WORKER_WAIT:g} s for one (`dask worker {address} --nthreads 1`)")
                elif time.perf_counter() - lonely_since > NO_WORKER_WAIT:
                    for task in tasks:
                        if task.state in ("waiting", "running"):
                            if task.future is not None:
                                client.cancel(task.future)
                                task.future = None
                            finish(task, False, f"no worker running this code for {NO_WORKER_WAIT:g} s")
        except BaseException:
            for task in tasks:
                if task.future is not None:
                    client.cancel(task.future)
                task.locks.close()
            raise
    failed = [t for t in tasks if t.state != "done"]
    if dry_run:
        report(f"dry run of {len(tasks)} topics: {len(failed)} failed in {time.perf_counter() - start:.1f} s")
    else:
        report(f"{len(tasks) - len(failed)} done, {len(failed)} failed in {time.perf_counter() - start:.1f} s")
    for task in failed:
        report(f"failed: {task.topic}: {task.message}")
    return len(failed)


def _collect(task: Task, finish: Callable[[Task, bool, str], None], *, quality: str, seed: int, output_dir: Path,
             formats: Sequence[str], dry_run: bool) -> None:
    """Take a finished future's result: verify and publish it, or report why the topic failed."""
    future = task.future
    try:
        result = future.result()
    except Exception as err:  # KilledWorker, a task that raised 1 + RETRIES times, a lost connection
        text = str(err).splitlines()[0] if str(err) else ""
        finish(task, False, f"{type(err).__name__}: {text}")
        return
    finally:
        future.release()
    seconds = f"{result.get('seconds', 0.0):.1f} s on {result['worker']}"
    if not result["ok"]:
        finish(task, False, f"{seconds}  error: {result['message']}")
        return
    audit = result["audit"]
    if dry_run:
        finish(task, audit["mismatches"] == 0,
               f"{seconds}  {audit['numbers_checked']} numbers, {audit['mismatches']} mismatches")
        return
    try:
        video = _verify_and_publish(result, task, quality=quality, seed=seed, output_dir=output_dir, formats=formats)
    except Failure as err:
        finish(task, False, f"{seconds}  error: {err}")
        return
    finish(task, True, f"{seconds}  {video}")


def render_on_cluster(address: str, names: Sequence[str], *, quality: str, device: str, seed: int,
                      output_dir: Path, formats: Sequence[str], report: Report) -> int:
    """`render.py all --cluster`: render topics on the cluster, publish them here; return how many failed."""
    return run_on_cluster(address, names, quality=quality, device=device, seed=seed, output_dir=output_dir,
                          formats=formats, report=report)


def dry_run_on_cluster(address: str, *, quality: str, device: str, seed: int, report: Report,
                       topics: Sequence[registry.Topic] = registry.TOPICS) -> int:
    """`render.py all --dry-run --cluster`: build and audit every scene on the workers; return how many failed."""
    return run_on_cluster(address, [t.name for t in topics], quality=quality, device=device, seed=seed,
                          output_dir=Path("media"), formats=("mp4",), report=report, dry_run=True)


def write_course_on_cluster(address: str, *, quality: str, device: str, seed: int, output_dir: Path, report: Report,
                            topics: Sequence[registry.Topic] = registry.TOPICS, media_base: str = "") -> Path:
    """`render.py course --cluster`: render the missing topics on the cluster, then write the course page."""
    from driver import pipeline
    from publish import page

    _import_distributed()  # a missing library, a bad or silent address: one line before anything else
    _probe(check_address(address), CONNECT_TIMEOUT)
    pipeline.check_seed(seed)
    pipeline.check_writable(output_dir, quality, "course", "course/media")
    todo = [t.name for t in topics if page.missing(output_dir / quality, t.name)]
    if todo:
        report(f"missing at {quality} quality: {', '.join(todo)}")
        failed = render_on_cluster(address, todo, quality=quality, device=device, seed=seed, output_dir=output_dir,
                                   formats=("mp4", "webm"), report=report)
        if failed:
            raise Failure(f"{failed} topic(s) failed to render; the course page was not written")
    return pipeline.write_course(quality=quality, jobs=1, device=device, seed=seed, output_dir=output_dir,
                                 report=report, topics=topics, media_base=media_base)
