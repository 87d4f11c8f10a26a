"""publish/formats.py on a small video made here: faststart mp4, VP9 webm, GIF and the poster frame."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from publish.formats import faststart, frame_at, to_gif, to_webm

W, H, FPS, FRAMES = 64, 36, 15, 40


def grey(i: int) -> int:
    """The grey level of frame i: far enough apart to tell frames apart after compression."""
    return 20 + 5 * i


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 64x36, 15 fps H.264 mp4 whose frame i is a flat grey(i), written the ordinary way (index at the end)."""
    path = tmp_path_factory.mktemp("formats") / "in.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        s = out.add_stream("libx264", rate=FPS, options={"crf": "18", "preset": "ultrafast"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(np.full((H, W, 3), grey(i), dtype=np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in s.encode(frame):
                out.mux(packet)
        for packet in s.encode():
            out.mux(packet)
    return path


def top_level_boxes(path: Path) -> list[str]:
    """Return the mp4's top-level box types in file order, read from the bytes."""
    data, names, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
        names.append(kind.decode("latin-1"))
        if size < 8:
            break
        at += size
    return names


def frames_of(path: Path) -> list[np.ndarray]:
    """Decode every frame as RGB."""
    with av.open(str(path)) as inp:
        return [f.to_ndarray(format="rgb24") for f in inp.decode(inp.streams.video[0])]


def test_faststart_moves_the_index_to_the_front_and_keeps_every_frame(video: Path, tmp_path: Path) -> None:
    boxes = top_level_boxes(video)
    assert boxes.index("moov") > boxes.index("mdat")  # the input is the ordinary layout
    out = faststart(video, tmp_path / "fast.mp4")
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")
    before, after = frames_of(video), frames_of(out)
    assert len(after) == FRAMES and all(np.array_equal(a, b) for a, b in zip(before, after))  # copied, not re-encoded
    with av.open(str(out)) as inp:
        s = inp.streams.video[0]
        assert s.codec_context.name == "h264" and (s.codec_context.width, s.codec_context.height) == (W, H)
        assert s.average_rate == FPS


def test_webm_is_vp9_with_the_same_frames(video: Path, tmp_path: Path) -> None:
    out = to_webm(video, tmp_path / "v.webm")
    with av.open(str(out)) as inp:
        s = inp.streams.video[0]
        assert inp.format.name.startswith("matroska") and s.codec_context.name == "vp9"
        assert (s.codec_context.width, s.codec_context.height) == (W, H)
    frames = frames_of(out)
    assert len(frames) == FRAMES
    for i in (0, 17, FRAMES - 1):
        assert abs(float(frames[i].mean()) - grey(i)) < 4, i


def test_gif_drops_to_the_asked_rate_and_width_and_keeps_the_duration(video: Path, tmp_path: Path) -> None:
    """Pillow merges frames that come out identical after the shared palette, adding up their durations."""
    out = to_gif(video, tmp_path / "v.gif", fps=5, width=32)
    step = FPS // 5
    sampled = len(range(0, FRAMES, step))
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.size == (32, 18) and gif.info.get("loop") == 0
        assert 1 < gif.n_frames <= sampled
        total = 0
        for k in range(gif.n_frames):
            gif.seek(k)
            total += gif.info["duration"]
        gif.seek(0)
        first = float(np.asarray(gif.convert("RGB")).mean())
    assert total == sampled * round(1000 * step / FPS)  # as long as the video, at the lower rate
    assert abs(first - grey(0)) < 6


@pytest.mark.parametrize("seconds", [0.0, 1.0, 2.2])
def test_the_poster_is_the_frame_shown_at_that_time(video: Path, tmp_path: Path, seconds: float) -> None:
    out = frame_at(video, seconds, tmp_path / "poster.png")
    with Image.open(out) as png:
        assert png.format == "PNG" and png.size == (W, H)
        level = float(np.asarray(png.convert("RGB")).mean())
    assert abs(level - grey(round(seconds * FPS))) < 3


def test_a_time_past_the_end_gives_the_last_frame(video: Path, tmp_path: Path) -> None:
    out = frame_at(video, 99.0, tmp_path / "late.png")  # the last frame there is
    with Image.open(out) as png:
        assert abs(float(np.asarray(png.convert("RGB")).mean()) - grey(FRAMES - 1)) < 3
