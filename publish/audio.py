"""The narration track: every spoken line placed at its caption's start, levelled alike, as long as the video.

Each clip is resampled to 48 kHz mono, scaled to one loudness (RMS of its voiced part) so lines and
lectures sound alike, faded in and out over a few milliseconds (no clicks), and written at its
line's start into silence that lasts exactly as long as the video.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

RATE = 48000
TARGET_RMS_DB = -20.0  # loudness of every line's voiced part, dBFS
PEAK = 0.89  # no sample above -1 dBFS
FADE = 0.008  # seconds of fade at each end of a clip


def decode(path: Path, rate: int = RATE) -> np.ndarray:
    """Return an audio file as float32 mono samples at rate."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    parts: list[np.ndarray] = []
    with av.open(str(path)) as f:
        for frame in f.decode(audio=0):
            parts += [r.to_ndarray().reshape(-1) for r in resampler.resample(frame)]
    parts += [r.to_ndarray().reshape(-1) for r in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def voiced_rms_db(x: np.ndarray, rate: int = RATE) -> float:
    """Return the RMS level in dBFS of the voiced 20 ms windows of x (those within 30 dB of the loudest)."""
    n = max(1, int(0.02 * rate))
    windows = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x.reshape(1, -1)
    rms = np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1) + 1e-20)
    voiced = rms[rms > rms.max() * 10 ** (-30 / 20)]
    return float(20 * np.log10(np.sqrt(np.mean(voiced**2)) + 1e-20))


def level(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Scale a clip to the target loudness (capped so no sample clips) and fade its ends."""
    if not len(x) or not np.any(x):
        return x
    gain = 10 ** ((TARGET_RMS_DB - voiced_rms_db(x, rate)) / 20)
    gain = min(gain, PEAK / float(np.abs(x).max()))
    y = (x * gain).astype(np.float32)
    k = min(len(y) // 2, int(FADE * rate))
    if k:
        ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
        y[:k] *= ramp
        y[-k:] *= ramp[::-1]
    return y


def mix(clips: Iterable[tuple[float, Path]], seconds: float, rate: int = RATE) -> np.ndarray:
    """Return the track: each (start, file) levelled and placed at start, in silence exactly `seconds` long."""
    track = np.zeros(int(round(seconds * rate)), np.float32)
    for start, path in clips:
        y = level(decode(path, rate), rate)
        at = int(round(start * rate))
        end = min(len(track), at + len(y))
        if end > at:
            track[at:end] += y[: end - at]
    np.clip(track, -1.0, 1.0, out=track)
    return track


__all__ = ["RATE", "decode", "level", "mix", "voiced_rms_db"]
