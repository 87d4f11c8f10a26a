"""The quality table, frame sizes, output formats and encoder settings; imports neither torch nor Manim."""

from __future__ import annotations

import os
from dataclasses import dataclass

from driver.errors import EXIT_USAGE, Failure


@dataclass(frozen=True)
class Quality:
    """One row of the quality table: Manim's preset and what it produces."""

    manim: str
    width: int
    height: int
    fps: int


QUALITIES: dict[str, Quality] = {
    "low": Quality("low_quality", 854, 480, 15),
    "medium": Quality("medium_quality", 1280, 720, 30),
    "high": Quality("high_quality", 1920, 1080, 60),
    "production": Quality("production_quality", 2560, 1440, 60),
    "fourk": Quality("fourk_quality", 3840, 2160, 60),
}

FORMATS: tuple[str, ...] = ("mp4", "webm", "gif", "png")  # png: the poster only

# Encoding video segments while the next animations render, with x264's veryfast preset, took heads
# at 480p from 37.6 s to 15.6 s and its file from 2.22 to 2.08 MB when they were introduced. The
# variables let bench/run.py measure other settings (README, "Benchmark").
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                "placebo")
ENV_ERRORS: list[str] = []  # bad values of the variables below; render.py refuses them with exit 2


def _env_inflight() -> int:
    raw = os.environ.get("FAQ_LECTURES_INFLIGHT", "2")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or value > 64:
        ENV_ERRORS.append(f"FAQ_LECTURES_INFLIGHT={raw!r} must be a whole number from 1 to 64")
        return 2
    return value


def _env_preset() -> str:
    raw = os.environ.get("FAQ_LECTURES_PRESET", "veryfast")
    if raw not in X264_PRESETS:
        ENV_ERRORS.append(f"FAQ_LECTURES_PRESET={raw!r} is not an x264 preset: choose from {', '.join(X264_PRESETS)}")
        return "veryfast"
    return raw


def _env_threads() -> str:
    raw = os.environ.get("FAQ_LECTURES_ENCODER_THREADS", "2")
    if raw == "slice" or (raw.isdigit() and 1 <= int(raw) <= 64):
        return raw
    ENV_ERRORS.append(f"FAQ_LECTURES_ENCODER_THREADS={raw!r} must be 'slice' or a whole number from 1 to 64")
    return "slice"


ENCODERS_IN_FLIGHT = _env_inflight()
X264_PRESET = _env_preset()
X264_CRF = 23  # Manim's libx264 quality setting, recorded in the manifest
# Threads inside each segment's encoder: "slice" is PyAV's default (slice threads, as many as x264 likes);
# a number N is x264 frame threads, N per encoder. 2 frame threads with 2 encoders in flight: faster
# than slice threads at 480p, the least memory at 1080p (2 x 4 was at times faster but went over 2 GB
# at 1080p60); measured on 2 cores with bench/encoders.py (README, "Encoder threads").
ENCODER_THREADS = _env_threads()


def x264_options() -> dict[str, str]:
    """Return the libx264 options every video segment is encoded with (besides Manim's crf)."""
    options = {"preset": X264_PRESET}
    if ENCODER_THREADS != "slice":
        options |= {"threads": ENCODER_THREADS, "thread_type": "frame"}
    return options


def parse_resolution(text: str) -> tuple[int, int]:
    """Parse WxH; refuse sizes H.264 cannot encode or the 16:9 layout cannot fill."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise Failure(f"--resolution {text!r} is not WIDTHxHEIGHT, e.g. 1280x720", EXIT_USAGE) from None
    if width % 2 or height % 2:
        raise Failure(f"--resolution {width}x{height}: width and height must be even (H.264 yuv420p)", EXIT_USAGE)
    if not (256 <= width <= 3840 and 144 <= height <= 2160):
        raise Failure(f"--resolution {width}x{height} is outside 256x144 .. 3840x2160", EXIT_USAGE)
    if abs(width * 9 - height * 16) > 16:
        raise Failure(f"--resolution {width}x{height} is not 16:9; the lectures are laid out for 16:9", EXIT_USAGE)
    return width, height


def quality_of(name: str, resolution: str | None = None) -> Quality:
    """Return the quality row, with its frame size replaced by a WxH resolution if one is given."""
    if name not in QUALITIES:
        raise Failure(f"unknown quality {name!r}: choose from {', '.join(QUALITIES)}", EXIT_USAGE)
    q = QUALITIES[name]
    if resolution is None:
        return q
    width, height = parse_resolution(resolution)
    return Quality(q.manim, width, height, q.fps)


def folder_name(name: str, resolution: str | None = None) -> str:
    """Return the output sub-folder of a quality: 'low', or 'low-1280x720' with a resolution."""
    if resolution is None:
        return name
    q = quality_of(name, resolution)
    return f"{name}-{q.width}x{q.height}"


def parse_formats(text: str) -> tuple[str, ...]:
    """Split 'mp4,webm' into formats, duplicates dropped; ValueError naming the known ones otherwise."""
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in text.split(",") if v.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ValueError(f"unknown format {', '.join(unknown) or repr(text)}: choose from {', '.join(FORMATS)}")
    return chosen
