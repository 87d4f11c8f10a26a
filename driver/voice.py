"""Voices for narration: each turns one caption line into an audio clip and says how long it lasts.

`--narration none` has no voice; `espeak` synthesises offline with espeak-ng; a folder holds the
author's own recordings, one file per line id (`render.py TOPIC script` lists the ids). A new local
engine is one more class with `clip(line_id, text) -> Clip`. Importing this module imports neither
torch nor Manim.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from driver.errors import EXIT_DEPENDENCY, EXIT_USAGE, Failure

ENGINES = ("none", "espeak")  # or a folder of recordings
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a")
ESPEAK_INSTALL = "sudo apt-get install espeak-ng"
PAUSE = 0.35  # seconds of silence after each spoken line before the next may start


@dataclass(frozen=True)
class Clip:
    """One spoken line: its audio file, length in seconds and content hash."""

    path: Path
    seconds: float
    sha256: str


class Voice(Protocol):
    """Something that speaks caption lines."""

    name: str

    def clip(self, line_id: str, text: str) -> Clip: ...


def audio_seconds(path: Path) -> float:
    """Return an audio file's length in seconds, decoded to the last sample (ValueError if unreadable)."""
    import av

    try:
        with av.open(str(path)) as f:
            stream = f.streams.audio[0]
            samples = sum(frame.samples for frame in f.decode(stream))
            rate = stream.codec_context.sample_rate
    except (av.error.FFmpegError, IndexError, UnicodeDecodeError) as err:
        raise ValueError(f"{path.name} is not readable audio ({err})") from None
    if not samples or not rate:
        raise ValueError(f"{path.name} holds no audio")
    return samples / rate


def _clip(path: Path) -> Clip:
    return Clip(path, audio_seconds(path), hashlib.sha256(path.read_bytes()).hexdigest())


class Espeak:
    """espeak-ng, offline: fast and robotic; good for drafts and for timing."""

    name = "espeak"

    def __init__(self, folder: Path, voice: str = "en-us", words_per_minute: int = 175) -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise Failure(f"--narration espeak needs espeak-ng, which is not installed: run {ESPEAK_INSTALL}"
                          " (or ./setup.sh)", EXIT_DEPENDENCY)
        self.exe, self.folder, self.voice, self.wpm = exe, folder, voice, words_per_minute
        folder.mkdir(parents=True, exist_ok=True)

    def clip(self, line_id: str, text: str) -> Clip:
        out = self.folder / f"{line_id}.wav"
        subprocess.run([self.exe, "-v", self.voice, "-s", str(self.wpm), "-w", str(out), "--", text], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        return _clip(out)


class Recordings:
    """The author's recordings: <folder>/<line id>.<wav|flac|ogg|opus|mp3|m4a>, checked before rendering."""

    name = "recordings"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find(self, line_id: str) -> Path | None:
        hits = [self.folder / f"{line_id}{s}" for s in AUDIO_SUFFIXES if (self.folder / f"{line_id}{s}").is_file()]
        return hits[0] if hits else None

    def check(self, topic: str, ids: list[str]) -> None:
        """Fail in one line, before anything renders, on missing, extra or unreadable recordings of a topic."""
        missing = [i for i in ids if self.find(i) is None]
        ours = {p for p in self.folder.iterdir() if p.name.startswith(f"{topic}-") and p.suffix in AUDIO_SUFFIXES}
        extra = sorted(p.name for p in ours if p.stem not in ids)
        bad: list[str] = []
        for i in ids:
            path = self.find(i)
            if path is not None:
                if path.resolve().parent != self.folder.resolve():  # a recording is a file here, not a link out
                    bad.append(f"{path.name} (a link out of the folder)")
                    continue
                try:
                    audio_seconds(path)
                except ValueError as err:
                    bad.append(str(err))
        problems = [f"missing {', '.join(f'{i}.wav' for i in missing)}" if missing else "",
                    f"extra {', '.join(extra)}" if extra else "", f"unreadable {'; '.join(bad)}" if bad else ""]
        problems = [p for p in problems if p]
        if problems:
            raise Failure(f"--narration {self.folder}: {topic} has {len(ids)} lines; {'; '.join(problems)}"
                          f" (ids: render.py {topic} script)", EXIT_USAGE)

    def clip(self, line_id: str, text: str) -> Clip:
        path = self.find(line_id)
        if path is None:
            raise Failure(f"--narration {self.folder}: no recording for line {line_id}", EXIT_USAGE)
        return _clip(path)


def parse(value: str) -> str:
    """Check a --narration value: 'none', 'espeak', or an existing folder (ValueError with one line)."""
    if value in ENGINES:
        return value
    path = Path(value)
    if not path.is_dir():
        raise ValueError(f"--narration must be none, espeak or a folder of recordings; {value!r} is not a folder")
    return str(path)


def make(value: str, work: Path) -> Voice | None:
    """Return the voice a --narration value names (None for 'none'); espeak writes its clips under work."""
    if value == "none":
        return None
    if value == "espeak":
        return Espeak(work / "voice")
    return Recordings(Path(value))


__all__ = ["Clip", "ENGINES", "Espeak", "PAUSE", "Recordings", "Voice", "audio_seconds", "make", "parse"]
