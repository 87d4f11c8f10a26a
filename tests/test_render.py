"""One real low-quality render: the video, its manifest and captions, checked from the outside."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
import srt

import render


@pytest.mark.render
def test_low_quality_render_is_a_real_video(heads_low: tuple[Path, render.Outcome]) -> None:
    out, outcome = heads_low
    video = out / "low" / "heads.mp4"
    assert outcome.video == video and video.stat().st_size > 100_000
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (854, 480)
        assert round(float(stream.average_rate)) == 15
        assert stream.codec_context.name == "h264"
        duration = float(container.duration) / 1e6
        frames = sum(1 for _ in container.decode(stream))
    assert 40 < duration < 180
    assert abs(frames - duration * 15) <= 2
    manifest = json.loads((out / "low" / "heads.json").read_text())
    assert manifest["video"]["duration"] == pytest.approx(duration, abs=0.1)
    assert manifest["quality"] == {"name": "low", "width": 854, "height": 480, "fps": 15}
    assert manifest["audit"]["mismatches"] == 0 and manifest["audit"]["numbers_checked"] > 1000
    assert manifest["chapters"][0]["start"] == 0 and len(manifest["chapters"]) == 9
    assert all(c["start"] < duration for c in manifest["chapters"])


@pytest.mark.render
def test_captions_file_matches_the_manifest(heads_low: tuple[Path, render.Outcome]) -> None:
    out, outcome = heads_low
    subs = list(srt.parse((out / "low" / "heads.srt").read_text()))
    texts = [c["text"] for c in outcome.manifest["captions"]]
    assert [s.content for s in subs] == texts and len(subs) >= 9
    ends = [s.end.total_seconds() for s in subs]
    assert all(a.end <= b.start for a, b in zip(subs, subs[1:]))  # captions never overlap
    assert ends[-1] <= outcome.manifest["video"]["duration"] + 0.05


@pytest.mark.render
def test_no_work_files_left_behind(heads_low: tuple[Path, render.Outcome]) -> None:
    out, _ = heads_low
    leftovers = [p for p in (out / ".work").rglob("*")] if (out / ".work").exists() else []
    assert leftovers == []
    assert sorted(p.name for p in (out / "low").iterdir()) == [
        "heads.json", "heads.mp4", "heads.srt", "heads.tensors.npz"]
