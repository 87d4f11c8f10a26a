"""Check the rendered mp4, stage every requested format and sidecar, and publish them in place."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import av

from publish import captions, formats, transcript


class OutputError(RuntimeError):
    """The video or a sidecar could not be made or written."""


def verify_video(movie: Path, width: int, height: int, fps: int) -> dict[str, Any]:
    """Open a video with PyAV, check its size and rate, decode a frame; return its metadata."""
    if not movie.exists() or movie.stat().st_size == 0:
        raise OutputError(f"no video was written at {movie}")
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        w, h = stream.codec_context.width, stream.codec_context.height
        rate = float(stream.average_rate or 0)
        duration = float(container.duration or 0) / 1_000_000
        frames = stream.frames
        next(container.decode(stream))
    if (w, h) != (width, height) or round(rate) != fps:
        raise OutputError(f"video is {w}x{h} at {rate:g} fps, expected {width}x{height} at {fps}")
    return {"width": w, "height": h, "fps": round(rate, 3), "duration": round(duration, 3), "frames": frames}


def sha256(path: Path) -> str:
    """Return the SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stage(work: Path, movie: Path, stem: str, manifest: dict[str, Any], big: dict[str, Any],
          wanted: Iterable[str]) -> dict[str, Path]:
    """Write the requested formats and every sidecar into work/publish; the manifest lists them."""
    import numpy as np

    wanted = list(dict.fromkeys(wanted))
    out = work / "publish"
    out.mkdir()
    files: dict[str, Path] = {}
    try:
        if "mp4" in wanted:
            files["mp4"] = formats.faststart(movie, out / f"{stem}.mp4")
        if "webm" in wanted:
            files["webm"] = formats.to_webm(movie, out / f"{stem}.webm")
        if "gif" in wanted:
            files["gif"] = formats.to_gif(movie, out / f"{stem}.gif")
        files["png"] = formats.frame_at(movie, manifest["poster"]["time"], out / f"{stem}.png")
        files["srt"] = captions.write_srt(manifest, out / f"{stem}.srt")
        files["vtt"] = captions.write_vtt(manifest, out / f"{stem}.vtt")
        files["chapters"] = captions.write_chapters(manifest, out / f"{stem}.chapters.vtt")
        files["txt"] = transcript.write_transcript(manifest, out / f"{stem}.txt")
        if big:
            files["npz"] = out / f"{stem}.tensors.npz"
            with open(files["npz"], "wb") as fh:
                np.savez_compressed(fh, **big)
        manifest["files"] = {kind: {"name": p.name, "bytes": p.stat().st_size, "sha256": sha256(p)}
                             for kind, p in files.items()}
        files["json"] = out / f"{stem}.json"
        files["json"].write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    except OSError as err:
        raise OutputError(write_error(err, out)) from None
    return files


VIDEO_KINDS = ("mp4", "webm", "gif")


def publish(files: dict[str, Path], final_dir: Path) -> Path:
    """Move sidecars, then the videos last, into final_dir by atomic renames, signals held off.

    Each file is replaced in one rename, so a reader sees the old or the new file, never a partial
    one; Ctrl-C and SIGTERM wait until the few renames are done, so the set is never left half-new.
    """
    try:
        final_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(write_error(err, final_dir)) from None
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        order = [k for k in files if k not in VIDEO_KINDS] + [k for k in VIDEO_KINDS if k in files]
        for kind in order:
            os.replace(files[kind], final_dir / files[kind].name)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    main = next((k for k in VIDEO_KINDS if k in files), "png")
    return final_dir / files[main].name


def write_error(err: OSError, where: Path) -> str:
    """Return the one-line message for a failed write under `where`; a full disk says how much is free."""
    what = err.filename or where
    if err.errno == errno.ENOSPC:
        existing = next((p for p in [where, *where.parents] if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free
        return f"disk full while writing {what} ({free // 2**20} MiB free): free some space and render again"
    return f"cannot write {what}: {err.strerror or err}"
