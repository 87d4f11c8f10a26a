#!/usr/bin/env python3
"""Benchmark every topic against the encoding floor: `.venv/bin/python bench/run.py`.

For each topic and quality it runs real renders (each in its own process, so wall time, CPU time
and peak memory are that render's), the `--dry-run` (scene construction and audit, no frames),
and the encoding floor: PyAV encoding the render's own frames again, at the same size, rate and
encoder settings (libx264, crf 23, yuv420p, the same preset) with frame threads on every core, from
frames already in memory; render and floor runs alternate, so both see the same load. Peak memory of
every render is recorded and checked against the issue's targets, like the ratios. Also the CLI
start-up (`list`, `--help`), a one-beat preview (`heads --beat 3`), `all --jobs 2`, and how the heads
render grows with L.
Prints a Markdown table and writes JSON (default bench/results/latest.json). Not part of the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from driver import registry  # noqa: E402  (the registry imports neither torch nor Manim)
from driver.quality import QUALITIES, X264_CRF, X264_PRESET  # noqa: E402  (what renders use; no torch, no Manim)


def run(args: list[str]) -> dict[str, float]:
    """Run one command in its own process; return its wall, CPU seconds and peak RSS."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=log, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            last = log.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {last}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def summary(samples: list[float]) -> dict[str, float]:
    """Return median, min and max, rounded."""
    return {"median": round(statistics.median(samples), 2), "min": round(min(samples), 2),
            "max": round(max(samples), 2)}


# What a render must get within, as a multiple of the floor, and its peak memory (issue 22).
TARGET_RATIO = {"low": 1.5, "high": 1.2}
TARGET_PEAK_MB = {"low": 1024, "high": 2048}


def encoding_floor(video: Path, frames: int, width: int, height: int, fps: int, chunk: int = 240,
                   threads: int | None = None) -> float:
    """Time PyAV encoding the render's own frame sequence, from frames held in memory, as fast as x264 can.

    The rendered video is decoded `chunk` frames at a time into RGBA arrays (untimed); only the
    encoding of each chunk into one continuous libx264 stream is timed, with the render's crf and
    preset and frame threads on every core (`thread_type = "FRAME"`; PyAV's default, slice threads,
    was 1.48x slower at 1080p and flattered the render). Holds and waits are runs of identical
    frames in the render, which x264 encodes far faster than changing frames, so the floor must see
    the same sequence, not a sample of distinct frames.
    """
    import av
    import numpy as np

    elapsed, sent = 0.0, 0
    with tempfile.TemporaryDirectory() as d, av.open(str(video)) as inp:
        with av.open(str(Path(d) / "floor.mp4"), "w", format="mp4") as out:
            s = out.add_stream("libx264", rate=fps, options={"crf": str(X264_CRF), "preset": X264_PRESET})
            s.pix_fmt, s.width, s.height = "yuv420p", width, height
            s.codec_context.thread_type = "FRAME"
            s.codec_context.thread_count = threads or os.cpu_count() or 1
            decoded = inp.decode(inp.streams.video[0])
            while sent < frames:
                held = [np.ascontiguousarray(f.to_ndarray(format="rgba")) for _, f in zip(range(chunk), decoded)]
                if not held:
                    break
                start = time.perf_counter()
                for pixels in held:
                    f = av.VideoFrame.from_ndarray(pixels, format="rgba")
                    f.pts, f.time_base = sent, Fraction(1, fps)
                    sent += 1
                    for packet in s.encode(f):
                        out.mux(packet)
                elapsed += time.perf_counter() - start
            start = time.perf_counter()
            for packet in s.encode():
                out.mux(packet)
            elapsed += time.perf_counter() - start
    if sent != frames:
        raise RuntimeError(f"{video} decoded to {sent} frames, the manifest says {frames}")
    return elapsed


def floor_in_subprocess(video: Path, frames: int, width: int, height: int, fps: int) -> float:
    """Run encoding_floor in its own process.

    The floor holds gigabytes of frames; Linux counts the RSS a process had when it forked into its
    children's peak memory, so the benchmark process itself must stay small.
    """
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import run; "
            f"print(run.encoding_floor(run.Path({str(video)!r}), {frames}, {width}, {height}, {fps}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_topic(name: str, qualities: list[str], runs: int, floor_runs: int) -> dict[str, Any]:
    """Dry runs, renders and floors of one topic."""
    row: dict[str, Any] = {"topic": name}
    dry = [run(["render.py", name, "--dry-run", "--device", "cpu"]) for _ in range(runs)]
    row["dry_run"] = {"wall": summary([r["wall"] for r in dry]), "rss_mb": round(max(r["rss_mb"] for r in dry))}
    for q in qualities:
        width, height, fps = QUALITIES[q].width, QUALITIES[q].height, QUALITIES[q].fps
        samples, manifest, floors = [], {}, []
        with tempfile.TemporaryDirectory() as out:
            for i in range(max(runs, floor_runs)):  # render, floor, render, floor...: both see the same load
                if i < runs:
                    samples.append(run(["render.py", name, "--quality", q, "--device", "cpu", "--output-dir", out]))
                    manifest = json.loads((Path(out) / q / f"{name}.json").read_text())
                if i < floor_runs:
                    floors.append(floor_in_subprocess(Path(out) / q / f"{name}.mp4", int(manifest["video"]["frames"]),
                                                      width, height, fps))
            frames = int(manifest["video"]["frames"])
        wall = summary([s["wall"] for s in samples])
        floor = statistics.median(floors)
        ratio = round(wall["median"] / floor, 2)
        peak = round(max(s["rss_mb"] for s in samples))
        row[q] = {
            "wall": wall, "cpu": summary([s["cpu"] for s in samples]),
            "rss_mb": peak, "frames": frames,
            "video_seconds": manifest["video"]["duration"], "bytes": manifest["files"]["mp4"]["bytes"],
            "frames_per_second": round(frames / wall["median"], 1), "floor": round(floor, 2),
            "floor_runs": summary(floors), "ratio_to_floor": ratio,
            "numbers_checked": manifest["audit"]["numbers_checked"],
            "encoder": manifest.get("render", {}).get("encoder"),
        }
        if q in TARGET_RATIO:
            row[q]["targets"] = {"ratio": TARGET_RATIO[q], "ratio_met": ratio <= TARGET_RATIO[q],
                                 "peak_mb": TARGET_PEAK_MB[q], "peak_met": peak <= TARGET_PEAK_MB[q]}
    return row


def startup(runs: int) -> dict[str, Any]:
    """Time `render.py list` and `render.py --help`."""
    return {cmd: summary([run(["render.py", cmd])["wall"] for _ in range(runs)]) for cmd in ("list", "--help")}


def growth(runs: int) -> dict[str, Any]:
    """Time the heads lecture at low quality as L grows (other sizes default); fit wall time to the numbers drawn.

    L from 2 to 5 at the default D = 4: heads refuses L + D > 9 (larger fails its layout audit at 480p).
    """
    rows = []
    for L in (2, 3, 4, 5):
        with tempfile.TemporaryDirectory() as out:
            walls = []
            for _ in range(runs):
                walls.append(run(["render.py", "heads", "--seq-len", str(L), "--device", "cpu",
                                  "--output-dir", out])["wall"])
            m = json.loads((Path(out) / "low" / "heads.json").read_text())
        rows.append({"seq_len": L, "wall": summary(walls), "distinct_numbers": m["audit"]["distinct_numbers_shown"],
                     "numbers_checked": m["audit"]["numbers_checked"], "frames": m["video"]["frames"]})
    return {"rows": rows, "fit": linear_fit([r["distinct_numbers"] for r in rows],
                                            [r["wall"]["median"] for r in rows])}


def linear_fit(xs: list[float], ys: list[float]) -> dict[str, float]:
    """Least-squares y = a + b x; with R^2 and the largest residual relative to y."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    icpt = my - slope * mx
    res = [y - (icpt + slope * x) for x, y in zip(xs, ys)]
    ss_tot = sum((y - my) ** 2 for y in ys)
    return {"intercept_s": round(icpt, 2), "seconds_per_number": round(slope, 4),
            "r2": round(1 - sum(r * r for r in res) / ss_tot, 3) if ss_tot else 1.0,
            "max_residual_pct": round(100 * max(abs(r) / y for r, y in zip(res, ys)), 1)}


def stop_latency(topic: str = "heads", quality: str = "low",
                 points: tuple[float, ...] = (3.0, 6.0, 9.0)) -> dict[str, Any]:
    """Send SIGTERM to a real render at each point (seconds after start); time until it exits with 130."""
    seconds, ended = [], []
    for at in points:
        with tempfile.TemporaryDirectory() as out:
            proc = subprocess.Popen([sys.executable, "render.py", topic, "--quality", quality, "--device", "cpu",
                                     "--output-dir", out], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(at)
            if proc.poll() is not None:  # finished (or failed) before the signal: nothing to measure
                ended.append(at)
                proc.communicate()
                continue
            sent = time.perf_counter()
            proc.terminate()  # SIGTERM
            _, err = proc.communicate(timeout=600)
            stop = time.perf_counter() - sent
            if proc.returncode != 130:
                last = err.decode(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError(f"{topic} got SIGTERM at {at} s and exited {proc.returncode}, not 130: {last}")
            seconds.append(round(stop, 3))
    return {"topic": topic, "quality": quality, "signal_at_s": list(points), "seconds": seconds,
            "median": round(statistics.median(seconds), 3) if seconds else None,
            "max": max(seconds) if seconds else None, "ended_before_signal_at_s": ended}


def preview(runs: int, topic: str = "heads", beat: str = "3") -> dict[str, Any]:
    """Time a one-beat 480p preview (`--beat`): the whole lecture built and audited, one beat drawn."""
    with tempfile.TemporaryDirectory() as out:
        walls = [run(["render.py", topic, "--beat", beat, "--device", "cpu", "--output-dir", out])["wall"]
                 for _ in range(runs)]
    return {"topic": topic, "beat": beat, "wall": summary(walls)}


def all_jobs(quality: str, jobs: int) -> dict[str, float]:
    """Time `render.py all` with N jobs into a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        r = run(["render.py", "all", "--quality", quality, "--jobs", str(jobs), "--device", "cpu", "--output-dir", out])
    return {"wall": round(r["wall"], 1), "quality": quality, "jobs": jobs}  # type: ignore[dict-item]


def table(result: dict[str, Any]) -> str:
    """Return the Markdown table of a benchmark result."""
    qs = result["qualities"]
    head = ["topic", "dry-run s"] + [f"{q} {k}" for q in qs
                                     for k in ("wall s (min-max)", "floor s", "x floor", "peak MB")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["topics"]:
        if "error" in row:
            lines.append(f"| {row['topic']} | failed: {row['error'][:160]} |")
            continue
        cells = [row["topic"], f"{row['dry_run']['wall']['median']:.1f}"]
        for q in qs:
            r = row[q]
            w = r["wall"]
            t = r.get("targets", {})
            mark = lambda met: "" if met in (None, True) else " (over)"  # noqa: E731
            cells += [f"{w['median']:.1f} ({w['min']:.1f}-{w['max']:.1f})", f"{r['floor']:.1f}",
                      f"{r['ratio_to_floor']:.2f}{mark(t.get('ratio_met'))}", f"{r['rss_mb']}{mark(t.get('peak_met'))}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """Per quality: worst ratio to the floor and peak memory, and which topics miss the targets."""
    out: dict[str, Any] = {}
    for q in result["qualities"]:
        rows = [r for r in result["topics"] if "targets" in r.get(q, {})]  # failed topics have no row
        if not rows:
            continue
        out[q] = {"ratio_target": TARGET_RATIO[q], "worst_ratio": max(r[q]["ratio_to_floor"] for r in rows),
                  "ratio_over": [r["topic"] for r in rows if not r[q]["targets"]["ratio_met"]],
                  "peak_target_mb": TARGET_PEAK_MB[q], "worst_peak_mb": max(r[q]["rss_mb"] for r in rows),
                  "peak_over": [r["topic"] for r in rows if not r[q]["targets"]["peak_met"]]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", default=",".join(registry.names()))
    parser.add_argument("--qualities", default="low,high")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--floor-runs", type=int, default=3)
    parser.add_argument("--skip-extras", action="store_true", help="skip start-up, growth and `all` timings")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    qualities = args.qualities.split(",")
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(), "runs": args.runs, "qualities": qualities, "topics": [],
    }
    for name in [t for t in args.topics.split(",") if t]:  # --topics "" runs the extras only
        try:
            row = bench_topic(name, qualities, args.runs, args.floor_runs)
        except RuntimeError as err:  # a render that fails (its audit) is reported; the other topics still run
            row = {"topic": name, "error": str(err)}
        result["topics"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    if not args.skip_extras:
        result["startup"] = startup(5)
        result["preview"] = preview(args.runs)
        result["growth"] = growth(args.runs)
        result["all_low_jobs2"] = all_jobs("low", 2)
        result["all_dry_run"] = summary([run(["render.py", "all", "--dry-run", "--device", "cpu"])["wall"]
                                         for _ in range(args.runs)])
        result["stop_latency"] = stop_latency()  # SIGTERM -> exit 130, 3, 6 and 9 s into a heads render
    result["dry_run_all_seconds"] = round(sum(r["dry_run"]["wall"]["median"] for r in result["topics"] if "dry_run" in r), 1)
    result["targets"] = targets(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    for key in ("targets", "startup", "preview", "growth", "all_low_jobs2", "all_dry_run", "stop_latency", "dry_run_all_seconds"):
        if key in result:
            print(f"{key}: {json.dumps(result[key])}")


if __name__ == "__main__":
    main()
