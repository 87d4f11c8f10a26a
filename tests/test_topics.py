"""Every registered topic: a dry-run build audited beat by beat (the same audits a render runs); and real
low-quality renders of a few topics checked from the outside (PyAV metadata, captions, manifest, published
files). Rendering all 13 would take the suite past 10 minutes: the renders share one pipeline, and the
dry runs cover every lecture's scene."""

from __future__ import annotations

import json

import av
import pytest
import srt

from driver import registry
from tests.conftest import DryRun, LowRender

TOPICS = registry.names()
RENDERED = ("heads", "bmm", "cnn", "fixed", "scaling")  # narrated; on the course page; heatmaps; trained; plots


@pytest.mark.parametrize("name", TOPICS)
def test_every_topic_follows_the_lecture_contract(name: str) -> None:
    lecture = registry.check_contract(registry.get(name))
    assert lecture.config.__module__ == f"tensors.{name}" and lecture.scene.__module__ == f"scenes.{name}"
    config = lecture.config()
    assert config.seed == 0
    assert "tensors" not in vars(lecture.result)  # named tensors come from the shared base, written once


def test_the_contract_check_refuses_a_broken_lecture(monkeypatch: pytest.MonkeyPatch) -> None:
    import scenes.heads

    monkeypatch.setattr(scenes.heads.HeadsLecture, "beats", ("intro", "no_such_beat"))
    with pytest.raises(registry.ContractError, match="no_such_beat"):
        registry.check_contract(registry.get("heads"))


@pytest.mark.parametrize("name", TOPICS)
def test_dry_run_audits_every_beat(name: str, dry: DryRun) -> None:
    outcome = dry(name)
    scene, manifest = outcome.scene, outcome.manifest
    assert [t for _, t in scene.chapters] == [c["title"] for c in manifest["chapters"]]
    assert len(scene.chapters) == len(type(scene).beats) >= 3
    assert manifest["audit"]["mismatches"] == 0
    assert manifest["audit"]["animations_audited"] >= 2 * len(scene.chapters)
    assert manifest["audit"]["numbers_checked"] > 0
    assert len(manifest["captions"]) >= len(scene.chapters)
    beats_with_numbers = {p.beat for p in scene.b.log.points if p.shown}
    assert len(beats_with_numbers) >= len(scene.chapters) // 2  # most beats show torch's numbers


@pytest.mark.render
@pytest.mark.parametrize("name", RENDERED)
def test_low_quality_render_is_a_real_video(name: str, low: LowRender) -> None:
    out, outcome = low(name)
    video = out / "low" / f"{name}.mp4"
    assert outcome.video == video and video.stat().st_size > 50_000
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (854, 480)
        assert round(float(stream.average_rate)) == 15
        assert stream.codec_context.name == "h264"
        duration = float(container.duration) / 1e6
        frames = sum(1 for _ in container.decode(stream))
    assert 20 < duration < 240
    assert abs(frames - duration * 15) <= 2
    manifest = json.loads((out / "low" / f"{name}.json").read_text())
    assert manifest["topic"] == name
    assert manifest["video"]["duration"] == pytest.approx(duration, abs=0.1)
    assert manifest["quality"] == {"name": "low", "width": 854, "height": 480, "fps": 15}
    assert manifest["audit"]["mismatches"] == 0 and manifest["audit"]["numbers_checked"] > 0
    starts = [c["start"] for c in manifest["chapters"]]
    assert starts[0] == 0 and starts == sorted(starts) and starts[-1] < duration
    assert len(starts) == len(type(outcome.scene).beats)


@pytest.mark.render
@pytest.mark.parametrize("name", RENDERED)
def test_captions_file_matches_the_manifest(name: str, low: LowRender) -> None:
    out, outcome = low(name)
    subs = list(srt.parse((out / "low" / f"{name}.srt").read_text()))
    texts = [c["text"] for c in outcome.manifest["captions"]]
    assert [s.content for s in subs] == texts and len(subs) >= len(outcome.manifest["chapters"])
    assert all(a.end <= b.start for a, b in zip(subs, subs[1:]))  # captions never overlap
    assert subs[-1].end.total_seconds() <= outcome.manifest["video"]["duration"] + 0.05


@pytest.mark.render
@pytest.mark.parametrize("name", RENDERED)
def test_only_the_published_files_are_left(name: str, low: LowRender) -> None:
    out, _ = low(name)
    leftovers = list((out / ".work").rglob("*")) if (out / ".work").exists() else []
    assert leftovers == []
    published = sorted(p.name for p in (out / "low").iterdir())
    assert f"{name}.mp4" in published and f"{name}.json" in published and f"{name}.srt" in published
    assert all(p.startswith(f"{name}.") for p in published)
