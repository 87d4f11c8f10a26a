"""Captions and chapters from the manifest: SRT with `srt`, WebVTT with `webvtt-py`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import srt
import webvtt


def _td(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=round(seconds, 3))


def _stamp(seconds: float) -> str:
    """Return seconds as a WebVTT timestamp HH:MM:SS.mmm."""
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def subtitles(manifest: dict[str, Any]) -> list[srt.Subtitle]:
    """Return the lecture's captions as SRT subtitles."""
    return [srt.Subtitle(i + 1, _td(c["start"]), _td(c["end"]), c["text"]) for i, c in enumerate(manifest["captions"])]


def write_srt(manifest: dict[str, Any], path: Path) -> Path:
    """Write the captions as SubRip."""
    path.write_text(srt.compose(subtitles(manifest)), encoding="utf-8")
    return path


def _write_vtt(cues: list[tuple[float, float, str]], path: Path) -> Path:
    vtt = webvtt.WebVTT()
    for start, end, text in cues:
        vtt.captions.append(webvtt.Caption(_stamp(start), _stamp(end), text))
    vtt.save(str(path))
    return path


def write_vtt(manifest: dict[str, Any], path: Path) -> Path:
    """Write the captions as WebVTT (what browsers' <track> reads)."""
    return _write_vtt([(c["start"], c["end"], c["text"]) for c in manifest["captions"]], path)


def chapter_spans(manifest: dict[str, Any]) -> list[tuple[float, float, str]]:
    """Return (start, end, title) of each beat; a chapter ends where the next begins."""
    chapters = manifest["chapters"]
    end = manifest["video"]["duration"]
    starts = [c["start"] for c in chapters]
    return [(s, (starts[i + 1] if i + 1 < len(starts) else end), c["title"]) for i, (s, c) in
            enumerate(zip(starts, chapters))]


def write_chapters(manifest: dict[str, Any], path: Path) -> Path:
    """Write one WebVTT chapter cue per beat, titled by the beat."""
    return _write_vtt(chapter_spans(manifest), path)
