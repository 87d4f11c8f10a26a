"""publish/captions.py: SRT, WebVTT captions and chapters, checked against texts written out here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from publish.captions import chapter_spans, subtitles, write_chapters, write_srt, write_vtt


@pytest.fixture
def manifest() -> dict[str, Any]:
    return {
        "captions": [
            {"start": 0.5, "end": 2.25, "text": "Q = E W^q, entry by entry."},
            {"start": 2.25, "end": 3725.5, "text": "√d_k = 8 − and “quotes” survive."},
        ],
        "chapters": [{"start": 0.0, "title": "the question"}, {"start": 2.0, "title": "bands are heads"},
                     {"start": 61.125, "title": "recap"}],
        "video": {"duration": 70.0},
    }


def test_subtitles_are_numbered_from_one_with_millisecond_times(manifest: dict[str, Any]) -> None:
    subs = subtitles(manifest)
    assert [s.index for s in subs] == [1, 2]
    assert subs[0].start == dt.timedelta(milliseconds=500) and subs[0].end == dt.timedelta(milliseconds=2250)
    assert subs[1].end == dt.timedelta(hours=1, minutes=2, seconds=5, milliseconds=500)
    assert subs[1].content == manifest["captions"][1]["text"]


def test_srt_file_is_subrip_in_utf8(manifest: dict[str, Any], tmp_path: Path) -> None:
    path = write_srt(manifest, tmp_path / "t.srt")
    assert path.read_text(encoding="utf-8") == (
        "1\n00:00:00,500 --> 00:00:02,250\nQ = E W^q, entry by entry.\n\n"
        "2\n00:00:02,250 --> 01:02:05,500\n√d_k = 8 − and “quotes” survive.\n\n"
    )


def test_vtt_file_is_webvtt_with_the_same_cues(manifest: dict[str, Any], tmp_path: Path) -> None:
    text = write_vtt(manifest, tmp_path / "t.vtt").read_text(encoding="utf-8")
    blocks = [b.strip() for b in text.strip().split("\n\n")]
    assert blocks[0] == "WEBVTT"
    assert blocks[1:] == ["00:00:00.500 --> 00:00:02.250\nQ = E W^q, entry by entry.",
                          "00:00:02.250 --> 01:02:05.500\n√d_k = 8 − and “quotes” survive."]


def test_each_chapter_ends_where_the_next_begins_and_the_last_at_the_end(manifest: dict[str, Any]) -> None:
    assert chapter_spans(manifest) == [(0.0, 2.0, "the question"), (2.0, 61.125, "bands are heads"),
                                       (61.125, 70.0, "recap")]
    assert chapter_spans({**manifest, "chapters": []}) == []


def test_chapters_file_has_one_titled_cue_per_beat(manifest: dict[str, Any], tmp_path: Path) -> None:
    text = write_chapters(manifest, tmp_path / "c.vtt").read_text(encoding="utf-8")
    blocks = [b.strip() for b in text.strip().split("\n\n")]
    assert blocks == ["WEBVTT", "00:00:00.000 --> 00:00:02.000\nthe question",
                      "00:00:02.000 --> 00:01:01.125\nbands are heads", "00:01:01.125 --> 00:01:10.000\nrecap"]
