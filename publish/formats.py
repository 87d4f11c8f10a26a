"""Video formats browsers play, made from the rendered mp4 with PyAV: faststart mp4, VP9 webm,
GIF, and the PNG poster frame."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

FORMATS = ("mp4", "webm", "gif", "png")
Cue = tuple[float, float, str]  # a caption inside the file: start, end (seconds), text
ASS_HEADER = (  # what libavcodec's text subtitle encoders need to open; players use their own style
    b"[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n[V4+ Styles]\r\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic,"
    b" Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL,"
    b" MarginR, MarginV, Encoding\r\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,"
    b"10,10,10,0\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect,"
    b" Text\r\n")


def _audio_stream(out: Any, codec: str, rate: int) -> Any:
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    stream.bit_rate = 96000
    return stream


def _mux_audio(out: Any, stream: Any, samples: np.ndarray, rate: int) -> None:
    """Encode float32 mono samples into stream, the last frame padded by the encoder, nothing beyond the end."""
    size = stream.codec_context.frame_size or 1024
    for i in range(0, len(samples), size):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[None, i:i + size]), format="flt",
                                           layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def _cue_stream(out: Any, codec: str) -> Any:
    stream = out.add_stream(codec)
    stream.codec_context.subtitle_header = ASS_HEADER
    stream.time_base = Fraction(1, 1000)
    return stream


def _mux_cues(out: Any, stream: Any, cues: Sequence[Cue]) -> None:
    """Write each caption as a timed text packet (ASS dialogue in, mov_text or WebVTT out)."""
    from av.subtitles.subtitle import SubtitleSet

    tb = stream.time_base
    for n, (start, end, text) in enumerate(cues):
        body = text.replace("\\", "/").replace("{", "(").replace("}", ")").replace("\n", "\\N")
        cue = SubtitleSet.create(text=f"{n},0,Default,,0,0,0,,{body}".encode(), start=0,
                                 end=int(round((end - start) / tb)), pts=int(round(start / tb)))
        packet = stream.codec_context.encode_subtitle(cue)
        packet.stream = stream
        out.mux(packet)


def faststart(src: Path, dst: Path, audio: np.ndarray | None = None, audio_rate: int = 48000,
              cues: Sequence[Cue] = ()) -> Path:
    """Copy the H.264 stream into a new mp4 with its index (moov) at the front; add AAC narration and
    mov_text captions when given."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        s_in = inp.streams.video[0]
        s_out = out.add_stream_from_template(s_in)
        a_out = None if audio is None else _audio_stream(out, "aac", audio_rate)
        c_out = _cue_stream(out, "mov_text") if cues else None
        for packet in inp.demux(s_in):
            if packet.dts is None:  # the flush packet
                continue
            packet.stream = s_out
            out.mux(packet)
        if a_out is not None and audio is not None:
            _mux_audio(out, a_out, audio, audio_rate)
        if c_out is not None:
            _mux_cues(out, c_out, cues)
    return dst


def to_webm(src: Path, dst: Path, crf: int = 34, audio: np.ndarray | None = None, audio_rate: int = 48000,
            cues: Sequence[Cue] = ()) -> Path:
    """Re-encode the video as VP9 in WebM (constant quality, fast settings); add Opus narration and WebVTT
    captions when given."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="webm") as out:
        s_in = inp.streams.video[0]
        rate = s_in.average_rate or Fraction(15)
        s_out = out.add_stream("libvpx-vp9", rate=rate, options={
            "crf": str(crf), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1", "threads": "2"})
        s_out.width, s_out.height, s_out.pix_fmt = s_in.codec_context.width, s_in.codec_context.height, "yuv420p"
        a_out = None if audio is None else _audio_stream(out, "libopus", audio_rate)
        c_out = _cue_stream(out, "webvtt") if cues else None
        for i, frame in enumerate(inp.decode(s_in)):
            frame.pts, frame.time_base = i, 1 / Fraction(rate)  # one tick per frame
            for packet in s_out.encode(frame):
                out.mux(packet)
        for packet in s_out.encode():
            out.mux(packet)
        if a_out is not None and audio is not None:
            _mux_audio(out, a_out, audio, audio_rate)
        if c_out is not None:
            _mux_cues(out, c_out, cues)
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
