"""Narration: recordings drive the timing, the voice is in the file as long as the video, captions are in the file
timed to the lines, and every spoken number is the shown value of its tensor entry."""

from __future__ import annotations

import json
import math
import struct
import wave
from pathlib import Path
from typing import Any

import av
import pytest

from driver import registry
from driver.errors import EXIT_USAGE, Failure
from driver.pipeline import RenderRequest, render, script
from driver.voice import PAUSE, Recordings, audio_seconds
from render import main
from scenes.kit.speech import canonical, read
from tests.conftest import LowRender

TOPIC = "sharing"  # the script and recordings tests dry-run this lecture


def tone(path: Path, seconds: float, rate: int = 16000) -> Path:
    """Write a quiet sine tone as 16-bit mono WAV with the standard library (a stand-in for a recording)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = round(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * i / rate))) for i in range(n)))
    return path


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    topic = registry.get(TOPIC)
    return script(RenderRequest(topic, topic.config()(), device="cpu"))


def test_the_script_has_one_line_per_caption_with_stable_ids(lines: list[dict[str, Any]], capsys: Any) -> None:
    ids = [x["id"] for x in lines]
    assert len(ids) == len(set(ids)) >= 10 and all(i.startswith(f"{TOPIC}-") for i in ids)
    assert all(x["spoken"] and x["reading_seconds"] > 0 for x in lines)
    assert main([TOPIC, "script", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [x["id"] for x in printed["lines"]] == ids  # the same ids on every run


def test_recordings_drive_the_timing(lines: list[dict[str, Any]], tmp_path: Path) -> None:
    lengths = {x["id"]: 1.0 + 0.37 * (k % 7) for k, x in enumerate(lines)}  # some shorter, some longer than reading
    for line_id, seconds in lengths.items():
        tone(tmp_path / f"{line_id}.wav", seconds)
    topic = registry.get(TOPIC)
    out = render(RenderRequest(topic, topic.config()(), device="cpu", dry_run=True, narration=str(tmp_path)))
    spoken = out.manifest["narration"]
    assert spoken["voice"] == "recordings"
    assert [x["id"] for x in spoken["lines"]] == list(lengths)
    for x in spoken["lines"]:
        assert x["audio_seconds"] == pytest.approx(lengths[x["id"]], abs=1e-3)
        assert x["end"] - x["start"] >= lengths[x["id"]] + PAUSE - 1e-6  # the caption waits for its voice
    for a, b in zip(spoken["lines"], spoken["lines"][1:]):
        assert b["start"] >= a["end"] - 1e-6  # one line at a time


def test_missing_extra_or_unreadable_recordings_fail_in_one_line(lines: list[dict[str, Any]], tmp_path: Path,
                                                                 capsys: Any) -> None:
    ids = [x["id"] for x in lines]
    for line_id in ids[1:]:
        tone(tmp_path / f"{line_id}.wav", 0.5)
    (tmp_path / f"{ids[2]}.wav").write_bytes(b"RIFF not really")
    tone(tmp_path / f"{TOPIC}-99-01.wav", 0.5)
    with pytest.raises(Failure) as err:
        Recordings(tmp_path).check(TOPIC, ids)
    message = str(err.value)
    assert "\n" not in message and err.value.code == EXIT_USAGE
    assert f"missing {ids[0]}.wav" in message and f"extra {TOPIC}-99-01.wav" in message
    assert f"unreadable {ids[2]}.wav" in message
    assert main([TOPIC, "--narration", str(tmp_path), "--output-dir", str(tmp_path / "out")]) == EXIT_USAGE
    assert f"missing {ids[0]}.wav" in capsys.readouterr().err
    assert not (tmp_path / "out" / "low").exists()  # nothing rendered, nothing written


def test_a_missing_espeak_is_one_line_with_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                               capsys: Any) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on it
    assert main([TOPIC, "--dry-run", "--narration", "espeak"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sudo apt-get install espeak-ng" in err


@pytest.mark.render
@pytest.mark.xdist_group("heads")  # the session's narrated heads render, made once on that worker
def test_narrated_render_carries_voice_and_captions_inside_the_files(low: LowRender) -> None:
    out, outcome = low("heads")  # conftest renders heads with --narration espeak
    manifest = json.loads((out / "low" / "heads.json").read_text())
    spoken = manifest["narration"]
    assert spoken["voice"] == "espeak" and len(spoken["lines"]) == len(manifest["captions"])
    for video, codec, subs in (("heads.mp4", "aac", "mov_text"), ("heads.webm", "opus", "webvtt")):
        with av.open(str(out / "low" / video)) as f:
            a, s = f.streams.audio[0], f.streams.subtitles[0]
            assert (a.codec_context.name, s.codec_context.name) == (codec, subs)
            cues = [(p.pts * p.time_base, bytes(p)) for p in f.demux(s) if p.size > 2]
        video_s = manifest["video"]["frames"] / manifest["video"]["fps"]
        assert audio_seconds(out / "low" / video) == pytest.approx(video_s, abs=0.03)  # as long as the video
        assert len(cues) == len(spoken["lines"])
        for (at, body), line in zip(cues, spoken["lines"]):
            assert float(at) == pytest.approx(line["start"], abs=0.002)
            assert line["text"].encode() in body
    for line in spoken["lines"]:  # every spoken number is its tensor entry as shown
        assert line["end"] - line["start"] >= line["audio_seconds"] + PAUSE - 1e-6
        for n in line["numbers"]:
            assert canonical(n["shown"]) == read(n["spoken"]) and n["spoken"] in line["spoken"]
            if n["kind"] == "value" and "values" in manifest["tensors"][n["tensor"]]:
                value = manifest["tensors"][n["tensor"]]["values"]
                for i in n["index"]:
                    value = value[i]
                assert float(n["shown"].replace(",", "")) == pytest.approx(value, abs=_half_step(n["shown"]))


def _half_step(shown: str) -> float:
    """Return half the last shown digit's place: '0.31' -> 0.005, '1.8e+07' -> 5e5."""
    mantissa, _, exp = shown.replace(",", "").partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (int(exp or 0) - decimals) * (1 + 1e-9)


def test_burned_captions_are_bound_and_pass_the_layout_audit() -> None:
    topic = registry.get(TOPIC)
    plain = render(RenderRequest(topic, topic.config()(), device="cpu", dry_run=True)).manifest
    burned = render(RenderRequest(topic, topic.config()(), device="cpu", dry_run=True, burn_captions=True)).manifest
    assert burned["layout"]["violations"] == 0 and burned["audit"]["mismatches"] == 0
    assert burned["captions"] == plain["captions"]  # the same lines at the same times, now also in the picture
    assert burned["audit"]["numbers_checked"] > plain["audit"]["numbers_checked"]  # their numbers audited too


def test_narration_on_a_cluster_is_refused_before_any_work(capsys: Any) -> None:
    assert main(["all", "--cluster", "tcp://127.0.0.1:9", "--narration", "espeak"]) == EXIT_USAGE
    assert "render locally only" in capsys.readouterr().err


@pytest.mark.xdist_group("heads")  # beside the narrated heads render it compares with
def test_a_narrated_preview_carries_its_beats_voice_and_captions(low: LowRender, tmp_path: Path) -> None:
    _, full = low("heads")
    fps = full.manifest["quality"]["fps"]
    starts = [c["start"] for c in full.manifest["chapters"]] + [full.manifest["video"]["duration"]]
    spoken = full.manifest["narration"]["lines"]
    beats = [(b - a, i) for i, (a, b) in enumerate(zip(starts, starts[1:]))
             if any(a <= x["start"] < b for x in spoken)]
    _, index = min(beats)  # the shortest beat that speaks
    begin, end = starts[index], starts[index + 1]
    mine = [x for x in spoken if begin <= x["start"] < end]
    topic = registry.get("heads")
    out = render(RenderRequest(topic, topic.config()(), device="cpu", output_dir=tmp_path, beat=str(index + 1),
                               narration="espeak"))
    assert out.video is not None
    with av.open(str(out.video)) as f:
        frames = f.streams.video[0].frames
        s = f.streams.subtitles[0]
        cues = [(float(p.pts * p.time_base), bytes(p)) for p in f.demux(s) if p.size > 2]
        f.seek(0)
        samples = [fr.to_ndarray().reshape(-1) for fr in f.decode(f.streams.audio[0])]
    import numpy as np

    track = np.concatenate(samples)
    rate = 48000
    assert len(track) / rate == pytest.approx(frames / fps, abs=0.03)  # as long as the preview's frames
    assert [round(at, 2) for at, _ in cues] == [round(x["start"] - begin, 2) for x in mine]
    assert all(x["text"].encode() in body for (_, body), x in zip(cues, mine))
    voiced = np.zeros(len(track), bool)
    for x in mine:  # each line is heard where it starts in the beat, and nothing is heard between lines
        a, b = round((x["start"] - begin) * rate), round((x["start"] - begin + x["audio_seconds"]) * rate)
        assert np.sqrt(np.mean(track[a:b] ** 2)) > 0.01
        voiced[max(0, a - rate // 20): b + rate // 20] = True
    assert np.abs(track[~voiced]).max() < 0.01
