"""Video formats browsers play, made from the rendered mp4 with PyAV: faststart mp4, VP9 webm,
GIF, and the PNG poster frame."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

FORMATS = ("mp4", "webm", "gif", "png")


def faststart(src: Path, dst: Path) -> Path:
    """Copy the H.264 stream into a new mp4 with its index (moov) at the front."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        s_in = inp.streams.video[0]
        s_out = out.add_stream_from_template(s_in)
        for packet in inp.demux(s_in):
            if packet.dts is None:  # the flush packet
                continue
            packet.stream = s_out
            out.mux(packet)
    return dst


def to_webm(src: Path, dst: Path, crf: int = 34) -> Path:
    """Re-encode the video as VP9 in WebM (constant quality, fast settings)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="webm") as out:
        s_in = inp.streams.video[0]
        rate = s_in.average_rate or Fraction(15)
        s_out = out.add_stream("libvpx-vp9", rate=rate, options={
            "crf": str(crf), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1", "threads": "2"})
        s_out.width, s_out.height, s_out.pix_fmt = s_in.codec_context.width, s_in.codec_context.height, "yuv420p"
        for i, frame in enumerate(inp.decode(s_in)):
            frame.pts, frame.time_base = i, 1 / Fraction(rate)  # one tick per frame
            for packet in s_out.encode(frame):
                out.mux(packet)
        for packet in s_out.encode():
            out.mux(packet)
    return dst


def to_gif(src: Path, dst: Path, fps: int = 10, width: int = 640) -> Path:
    """Write an animated GIF at a lower rate and size, with one palette for the whole lecture."""
    frames: list[Image.Image] = []
    with av.open(str(src)) as inp:
        s_in = inp.streams.video[0]
        src_fps = float(s_in.average_rate or fps)
        step = max(1, round(src_fps / fps))
        for i, frame in enumerate(inp.decode(s_in)):
            if i % step == 0:
                img = frame.to_image()
                frames.append(img.resize((width, round(img.height * width / img.width)), Image.Resampling.LANCZOS))
    sample = Image.new("RGB", (frames[0].width, frames[0].height * 4))
    for k, i in enumerate(range(0, len(frames), max(1, len(frames) // 4))):
        if k < 4:
            sample.paste(frames[i], (0, k * frames[0].height))
    palette = sample.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    pal_frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    pal_frames[0].save(dst, save_all=True, append_images=pal_frames[1:], duration=round(1000 * step / src_fps), loop=0,
                       optimize=False, disposal=1)
    return dst


def frame_at(src: Path, seconds: float, dst: Path) -> Path:
    """Save the frame shown at `seconds` as PNG."""
    with av.open(str(src)) as inp:
        s_in = inp.streams.video[0]
        inp.seek(max(0, int(seconds / s_in.time_base)), stream=s_in, backward=True)
        chosen = None
        for frame in inp.decode(s_in):
            chosen = frame
            if frame.time is not None and frame.time >= seconds - 1e-3:
                break
        if chosen is None:
            raise ValueError(f"no frame at {seconds:.2f} s in {src}")
        chosen.to_image().save(dst, optimize=True)
    return dst
