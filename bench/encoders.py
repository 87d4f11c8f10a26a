#!/usr/bin/env python3
"""Which segment encoders are fastest here: threads per encoder x encoders in flight, on real renders.

`.venv/bin/python bench/encoders.py --topic scaling --quality high --rounds 2`
renders the topic once per combination per round (rounds alternate the combinations, so drift in
the machine's load hits all of them alike), each in its own process with FAQ_LECTURES_ENCODER_THREADS
and FAQ_LECTURES_INFLIGHT set, and prints each combination's median wall and CPU time and its ratio
to the fastest. "slice" is PyAV's default (slice threads); a number is x264 frame threads per encoder.
Results go to bench/results/encoders-<quality>.json. Not part of the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, run  # noqa: E402

COMBOS = "slice:4,slice:2,1:1,1:2,1:4,2:1,2:2,2:4"


def measure(topic: str, quality: str, combos: list[tuple[str, int]], rounds: int,
            resolution: str | None = None) -> list[dict[str, Any]]:
    """Render topic at quality once per combination per round; return per-combination samples."""
    samples: dict[tuple[str, int], list[dict[str, float]]] = {c: [] for c in combos}
    for r in range(rounds):
        order = combos if r % 2 == 0 else combos[::-1]
        for threads, inflight in order:
            env = {"FAQ_LECTURES_ENCODER_THREADS": threads, "FAQ_LECTURES_INFLIGHT": str(inflight)}
            with tempfile.TemporaryDirectory() as out:
                old = {k: os.environ.get(k) for k in env}
                os.environ.update(env)
                try:
                    s = run(["render.py", topic, "--quality", quality, "--device", "cpu", "--output-dir", out,
                             *(["--resolution", resolution] if resolution else [])])
                except RuntimeError as err:  # a failed render (the lecture changed under us): skip it, say so
                    print(f"round {r + 1}: threads {threads} in flight {inflight}: {err}", file=sys.stderr, flush=True)
                    continue
                finally:
                    for k, v in old.items():
                        if v is None:
                            os.environ.pop(k, None)
                        else:
                            os.environ[k] = v
                s["bytes"] = next(Path(out).glob(f"{quality}*/{topic}.mp4")).stat().st_size
            samples[(threads, inflight)].append(s)
            print(f"round {r + 1}: threads {threads} in flight {inflight}: {s['wall']:.1f} s wall,"
                  f" {s['cpu']:.1f} s CPU, {s['rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    rows = []
    for (threads, inflight), ss in samples.items():
        if not ss:
            continue
        rows.append({"threads": threads, "in_flight": inflight,
                     "wall": round(statistics.median(x["wall"] for x in ss), 2),
                     "walls": [round(x["wall"], 2) for x in ss],
                     "cpu": round(statistics.median(x["cpu"] for x in ss), 2),
                     "rss_mb": round(max(x["rss_mb"] for x in ss)), "bytes": ss[-1]["bytes"]})
    best = min(r["wall"] for r in rows)
    for row in rows:
        row["x_best"] = round(row["wall"] / best, 3)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="scaling")
    parser.add_argument("--quality", default="high")
    parser.add_argument("--combos", default=COMBOS, help="threads:in_flight,... (threads: 'slice' or a number)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--resolution", help="WxH, e.g. 1920x1080 with --quality low: 1080p frames at 15 fps, a"
                                             " quarter of 1080p60's frames at the same cost per frame")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    combos = [(c.split(":")[0], int(c.split(":")[1])) for c in args.combos.split(",")]
    rows = measure(args.topic, args.quality, combos, args.rounds, args.resolution)
    result = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "load_at_end": os.getloadavg()[0],
              "topic": args.topic, "quality": args.quality, "resolution": args.resolution, "rounds": args.rounds,
              "rows": rows}
    tag = args.quality + (f"-{args.resolution}" if args.resolution else "")
    out = args.out or ROOT / "bench" / "results" / f"encoders-{tag}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print("| threads per encoder | in flight | wall s (median) | CPU s | peak MB | x best |")
    print("|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: r["wall"]):
        print(f"| {r['threads']} | {r['in_flight']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss_mb']} | {r['x_best']:.2f} |")


if __name__ == "__main__":
    main()
