"""`render.py all|course --cluster tcp://HOST:PORT` on a real Dask scheduler and two workers on 127.0.0.1.

Everything runs in a copy of the project (the lectures in the shared tree change under us) with two
skeleton lectures from `render.py new` (`demo`, `demob`): small, and passing their audits by
construction. The scheduler and the workers are subprocesses on free ports, each in its own process
group, all stopped by PID at the end, even when a test fails. Waits are bounded generously; nothing is
timed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.render, pytest.mark.xdist_group("cluster")]  # one scheduler for the whole module

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("render.py", "pyproject.toml", "tensors", "scenes", "driver", "publish")
TOPICS = ("demo", "demob")
BIN = Path(sys.executable).parent
WAIT = 300.0  # seconds: generous bound for anything to start or finish on 2 busy cores


def copy_project(dest: Path) -> Path:
    """Copy the project's sources (no media, caches or tests) into dest and add the two skeleton lectures."""
    for name in SOURCES:
        src, dst = ROOT / name, dest / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    (dest / "tests").mkdir()
    for topic in TOPICS:
        made = run(dest, "render.py", "new", topic)
        assert made.returncode == 0, made.stderr
    return dest


def env_for(root: Path) -> dict[str, str]:
    """The environment that makes Python import the project at root (not the shared tree)."""
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}


def run(root: Path, *args: str, timeout: float = WAIT * 2) -> subprocess.CompletedProcess[str]:
    """Run the venv's python with args in root."""
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True, timeout=timeout,
                          env=env_for(root))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A scheduler and its workers, each a process group of ours."""

    root: Path
    address: str
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)  # name -> process (group leader)
    ports: dict[str, int] = field(default_factory=dict)  # worker name -> its worker port

    def start_worker(self, name: str, root: Path | None = None) -> str:
        """Start `dask worker` (with its nanny) from root's code; return its address."""
        port = free_port()
        root = root or self.root
        log = open(self.logs / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-dashboard", "--name", name,
             "--host", "127.0.0.1", "--worker-port", str(port), "--local-directory", str(self.logs / name)],
            cwd=root, env=env_for(root), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.ports[name] = port
        return f"tcp://127.0.0.1:{port}"

    def wait_for(self, addresses: set[str]) -> None:
        """Wait (bounded) until the scheduler knows every worker in addresses."""
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            deadline = time.monotonic() + WAIT
            while not addresses <= set(client.scheduler_info(n_workers=-1)["workers"]):
                dead = [n for n, p in self.procs.items() if p.poll() is not None]
                assert not dead, f"{dead} exited: {self.tail(dead[0])}"
                assert time.monotonic() < deadline, f"workers {addresses} never joined"
                time.sleep(0.5)

    def stop(self, name: str) -> None:
        """Stop one process group by its leader's PID: SIGTERM, then SIGKILL."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
            except ProcessLookupError:
                pass
        try:  # the group's other members (a nanny's worker) go too
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def tail(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def cluster(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pytest.importorskip("distributed", reason="the cluster tests need Dask distributed (in the test extra)")
    logs = tmp_path_factory.mktemp("cluster")
    port = free_port()
    c = Cluster(project, f"tcp://127.0.0.1:{port}", logs)
    try:
        log = open(logs / "scheduler.log", "wb")
        c.procs["scheduler"] = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            cwd=project, env=env_for(project), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + WAIT
        while True:  # the scheduler listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert c.procs["scheduler"].poll() is None, c.tail("scheduler")
                assert time.monotonic() < deadline, "the scheduler never listened"
                time.sleep(0.3)
        c.wait_for({c.start_worker("w1"), c.start_worker("w2")})
        yield c
    finally:
        for name in list(c.procs):
            c.stop(name)


CLIENT = """
import json, sys
from pathlib import Path
from driver.cluster import run_on_cluster
from driver.errors import Failure
address, mode, out, *names = sys.argv[1:]
try:
    failed = run_on_cluster(address, names, quality="low", device="cpu", seed=0, output_dir=Path(out),
                            formats=("mp4",), report=lambda line: print(line, file=sys.stderr, flush=True),
                            dry_run=mode == "dry")
except Failure as err:
    print(f"error: {err}", file=sys.stderr)
    sys.exit(err.code)
sys.exit(failed)
"""


def on_cluster(project: Path, address: str, mode: str, out: Path, *names: str) -> subprocess.CompletedProcess[str]:
    """Run driver.cluster.run_on_cluster in the project copy (a client process of its own)."""
    return run(project, "-c", CLIENT, address, mode, str(out), *names)


def manifest(folder: Path, topic: str) -> dict:
    return json.loads((folder / "low" / f"{topic}.json").read_text())


def local_render(project: Path, out: Path, topic: str) -> dict:
    """Render topic locally (one process, the way `render.py TOPIC` does) and return its manifest."""
    done = run(project, "render.py", topic, "--device", "cpu", "--output-dir", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    return manifest(out, topic)


def published_names(folder: Path) -> list[str]:
    """Every file and folder under folder/low, relative, sorted (set folders' names reduced to topic@)."""
    names = []
    for p in sorted((folder / "low").rglob("*")):
        rel = p.relative_to(folder / "low").as_posix()
        names.append("/".join(part.split("@")[0] + "@" if "@" in part else part for part in rel.split("/")))
    return sorted(names)


def assert_no_leftovers(out: Path) -> None:
    """Nothing half done: no work folder, temporary or lock file left; every published set whole."""
    work = out / ".work"
    assert not work.exists() or not [p.name for p in work.iterdir() if p.name != "logs"], list(work.iterdir())
    assert not [p for p in (out / "low").rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")
                and p.name != ".sets"]


def test_unreachable_scheduler_is_one_line_exit_2(project: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    port = free_port()  # nothing listens there
    done = on_cluster(project, f"tcp://127.0.0.1:{port}", "real", tmp_path / "media", "demo")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} (Connection refused); start one with"
        f" `dask scheduler --port {port}`, or check --cluster"]
    assert not (tmp_path / "media" / "low").exists()


def test_a_bad_address_is_exit_2(project: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    done = on_cluster(project, "127.0.0.1:8786", "real", tmp_path / "media", "demo")
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "error: --cluster '127.0.0.1:8786' is not tcp://HOST:PORT (the address `dask scheduler` prints)"]


def test_missing_distributed_is_exit_3_with_the_install_command(project: Path, tmp_path: Path) -> None:
    hide = "import sys; sys.modules['distributed'] = None; sys.argv = ['-c', *sys.argv[1:]]; exec(sys.argv.pop(1))"
    done = run(project, "-c", hide, CLIENT, "tcp://127.0.0.1:8786", "real", str(tmp_path / "media"), "demo")
    assert done.returncode == 3, done.stderr
    line, = done.stderr.strip().splitlines()
    assert line.startswith("error: --cluster needs Dask distributed (") and line.endswith(
        "run .venv/bin/pip install -e '.[cluster]'")


def test_dry_run_on_the_cluster_audits_as_a_local_dry_run(project: Path, cluster: Cluster) -> None:
    done = on_cluster(project, cluster.address, "dry", project / "unused", *TOPICS)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    for topic in TOPICS:
        local = run(project, "render.py", topic, "--dry-run", "--device", "cpu")
        assert local.returncode == 0, local.stderr
        numbers = next(ln for ln in local.stderr.splitlines() if ln.startswith(f"{topic}: audited")).split(", ")[1]
        mine = [ln for ln in lines if f"] {topic:10s} done" in ln]
        assert len(mine) == 1 and f"{numbers}, 0 mismatches" in mine[0], (numbers, lines)
        assert any(f"] {topic:10s} running  on tcp://127.0.0.1:" in ln for ln in lines)
    assert lines[-1].startswith(f"dry run of {len(TOPICS)} topics: 0 failed in ")
    assert not (project / "unused").exists()


def test_a_render_on_the_cluster_equals_a_local_render(project: Path, cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "cluster"
    done = on_cluster(project, cluster.address, "real", out, *TOPICS)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"rendering {len(TOPICS)} topics at low quality on {cluster.address}, 2 worker(s)"
    assert lines[-1].startswith(f"{len(TOPICS)} done, 0 failed in ")
    assert {ln.split("s on ")[1].split()[0] for ln in lines if " done " in ln and "s on " in ln} <= {
        f"tcp://127.0.0.1:{p}" for p in cluster.ports.values()}
    for topic in TOPICS:
        theirs = manifest(out, topic)
        ours = local_render(project, tmp_path / "local", topic)
        assert theirs["tensors"] == ours["tensors"]  # values inline, or the sha256 of the large ones
        for key in ("width", "height", "frames", "fps", "duration"):
            assert theirs["video"][key] == ours["video"][key], key
        assert theirs["audit"]["mismatches"] == ours["audit"]["mismatches"] == 0
        assert theirs["audit"]["numbers_checked"] == ours["audit"]["numbers_checked"]
        assert set(theirs["files"]) == set(ours["files"])
        for kind, entry in theirs["files"].items():  # every file is the one the manifest lists
            from publish.outputs import sha256

            path = out / "low" / entry["name"]
            assert path.stat().st_size == entry["bytes"] and sha256(path) == entry["sha256"], kind
    assert published_names(out) == published_names(tmp_path / "local")
    assert_no_leftovers(out)


def test_a_worker_with_other_code_is_refused_by_name(project: Path, cluster: Cluster, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(project, other, ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "tensors" / "common.py", "a") as fh:
        fh.write("\n# an edit this worker has and the client has not\n")
    stale = cluster.start_worker("stale", other)
    try:
        cluster.wait_for({stale})
        done = on_cluster(project, cluster.address, "dry", tmp_path / "unused", "demo")
        assert done.returncode == 0, done.stderr
        refused = [ln for ln in done.stderr.splitlines() if ln.startswith("refusing worker")]
        assert len(refused) == 1, done.stderr
        assert refused[0].startswith(f"refusing worker {stale}: it runs sources ")
        assert ", this client sources " in refused[0] and refused[0].endswith("(restart it with this code)")
        assert f"on {stale}" not in done.stderr  # nothing ran there
    finally:
        cluster.stop("stale")


def render_py(project: Path, *args: str, hide_distributed: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `render.py ARGS` in the project copy (optionally as if distributed were not installed)."""
    hide = "import sys; sys.modules['distributed'] = None; " if hide_distributed else "import sys; "
    code = hide + "import runpy; sys.argv = ['render.py', *sys.argv[1:]]; runpy.run_path('render.py', run_name='__main__')"
    return run(project, "-c", code, *args)


@pytest.mark.parametrize("command", [["all"], ["all", "--dry-run"], ["course"]])
def test_cli_cluster_errors_are_one_line(project: Path, tmp_path: Path, command: list[str]) -> None:
    out = ["--output-dir", str(tmp_path / "media")]
    port = free_port()
    hidden = render_py(project, *command, "--cluster", f"tcp://127.0.0.1:{port}", *out, hide_distributed=True)
    assert hidden.returncode == 3, hidden.stderr
    assert hidden.stderr.strip().splitlines() == [
        "error: --cluster needs Dask distributed (import of distributed halted; None in sys.modules): run"
        " .venv/bin/pip install -e '.[cluster]'"]
    pytest.importorskip("distributed")
    gone = render_py(project, *command, "--cluster", f"tcp://127.0.0.1:{port}", *out)
    assert gone.returncode == 2, gone.stderr
    assert len(gone.stderr.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in gone.stderr
    assert not (tmp_path / "media" / "low").exists()


def test_cli_all_dry_run_on_the_cluster(project: Path, cluster: Cluster) -> None:
    """Every registered topic (the lectures, whatever state they are in, and the two skeletons) gets one line."""
    done = render_py(project, "all", "--dry-run", "--device", "cpu", "--cluster", cluster.address)
    lines = done.stderr.splitlines()
    names = run(project, "render.py", "list").stdout.split("\n")
    topics = [ln.split()[0] for ln in names if ln.strip()]
    ended = {t: [ln for ln in lines if f"] {t:10s} done " in ln or f"] {t:10s} failed " in ln] for t in topics}
    assert all(len(v) == 1 for v in ended.values()), done.stderr
    failed = [t for t, v in ended.items() if " failed " in v[0]]
    assert done.returncode == len(failed), done.stderr  # the exit code of local `all`: how many failed
    assert not {"demo", "demob"} & set(failed), done.stderr
    assert lines[-1 - len(failed)].startswith(f"dry run of {len(topics)} topics: {len(failed)} failed in ")


def test_course_on_the_cluster(project: Path, cluster: Cluster, tmp_path: Path) -> None:
    """`course --cluster` renders what is missing on the workers (mp4 and webm), then writes the page."""
    code = """
import sys
from pathlib import Path
from driver import registry
from driver.cluster import write_course_on_cluster
index = write_course_on_cluster(sys.argv[1], quality="low", device="cpu", seed=0, output_dir=Path(sys.argv[2]),
                                report=lambda line: print(line, file=sys.stderr),
                                topics=[registry.get(n) for n in sys.argv[3:]])
print(index)
"""
    out = tmp_path / "media"
    done = run(project, "-c", code, cluster.address, str(out), *TOPICS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / "course" / "index.html")
    for topic in TOPICS:
        m = manifest(out, topic)
        assert {"mp4", "webm"} <= set(m["files"]) and m["audit"]["mismatches"] == 0
        assert f'{topic}.mp4' in (out / "course" / "index.html").read_text()
    again = run(project, "-c", code, cluster.address, str(out), *TOPICS)  # nothing missing: nothing sent
    assert again.returncode == 0 and "rendering" not in again.stderr, again.stderr
    assert_no_leftovers(out)


def test_a_worker_killed_mid_render_is_retried_elsewhere(project: Path, cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "media"
    client = subprocess.Popen([sys.executable, "-c", CLIENT, cluster.address, "real", str(out), *TOPICS],
                              cwd=project, env=env_for(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    lines: list[str] = []
    killed = ""
    try:
        assert client.stderr is not None
        for line in client.stderr:  # ends when the client exits (bounded by the cluster's own limits)
            lines.append(line.rstrip("\n"))
            if not killed and f"] {TOPICS[0]:10s} running  on tcp://127.0.0.1:" in line:
                killed = line.split(" on ")[1].split()[0]
                name = next(n for n, p in cluster.ports.items() if killed == f"tcp://127.0.0.1:{p}")
                os.killpg(cluster.procs[name].pid, signal.SIGKILL)  # the worker and its nanny, mid-render
        code = client.wait(timeout=WAIT * 2)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    text = "\n".join(lines)
    assert killed, text
    assert code == 0, text
    for topic in TOPICS:
        assert len([ln for ln in lines if f"] {topic:10s} done " in ln]) == 1, text  # published once
        assert (out / "low" / f"{topic}.mp4").is_file()
    again = [ln for ln in lines if f"] {TOPICS[0]:10s} running " in ln]  # retried on the other worker
    assert len(again) == 2 and killed not in again[1] and "attempt 2" in again[1], text
    for topic in TOPICS:  # a whole set each, exactly the files its manifest lists
        m = manifest(out, topic)
        assert m["audit"]["mismatches"] == 0
        plain = sorted(p.name for p in (out / "low").iterdir() if p.is_file() and p.name.startswith(f"{topic}."))
        assert plain == sorted([*(e["name"] for e in m["files"].values()), f"{topic}.json"])
    assert_no_leftovers(out)
