"""`--beat`: a one-beat preview builds and audits the whole lecture, draws only that beat, publishes nothing.

Light by design: every lecture's beats are resolved by number and name and its (shared) dry run has
one chapter per beat; one real preview, of scaling's shortest beat at 480p, whose frames are compared
with the same beat's frames in the (shared) full render.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import render
from driver import registry
from driver.errors import EXIT_USAGE, Failure
from driver.pipeline import RenderRequest
from driver.pipeline import render as render_request
from driver.preview import beat_index, preview_path
from tests.conftest import DryRun, LowRender

PREVIEWED = "scaling"  # the lecture with the fewest frames


@pytest.mark.parametrize("name", registry.names())
def test_every_beat_resolves_and_is_one_chapter(name: str, dry: DryRun) -> None:
    beats = registry.get(name).lecture().scene.beats
    for i, method in enumerate(beats):
        assert beat_index(name, beats, str(i + 1)) == i
        assert beat_index(name, beats, method) == i
        assert beat_index(name, beats, method.upper()) == i
    # the preview counts chapters to find its beat: every beat method opens exactly one chapter
    assert len(dry(name).scene.chapters) == len(beats)


@pytest.mark.parametrize("bad", ["0", "99", "no_such_beat", ""])
def test_bad_beat_is_one_line_and_exit_2(bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Failure) as err:
        beat_index("heads", registry.get("heads").lecture().scene.beats, bad)
    assert err.value.code == EXIT_USAGE
    code = render.main(["heads", "--beat", bad, "--output-dir", str(tmp_path / "out")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_USAGE and len(lines) == 1 and lines[0].startswith("error: --beat")
    assert not (tmp_path / "out").exists()  # nothing written


def test_dry_run_with_beat_audits_every_beat() -> None:
    topic = registry.get(PREVIEWED)
    out = render_request(RenderRequest(topic, topic.config()(), device="cpu", dry_run=True, beat="2"))
    assert out.video is None
    assert len(out.scene.chapters) == len(topic.lecture().scene.beats)
    assert out.manifest["audit"]["mismatches"] == 0 and out.scene.plays > 10


def _frames(video: Path, start: int = 0, stop: int | None = None) -> list[np.ndarray]:
    with av.open(str(video)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
    return frames[start:stop]


@pytest.mark.xdist_group(PREVIEWED)  # beside the lecture's own tests, so its full render happens once
def test_preview_frames_equal_the_full_renders(low: LowRender, tmp_path: Path) -> None:
    full_dir, full = low(PREVIEWED)
    fps = full.manifest["quality"]["fps"]
    starts = [c["start"] for c in full.manifest["chapters"]]
    total = full.manifest["video"]["frames"]
    bounds = [round(s * fps) for s in starts] + [total]
    spans = [(bounds[i + 1] - bounds[i], i) for i in range(len(starts))]
    frames, index = min(spans)  # the shortest beat keeps the test fast
    topic = registry.get(PREVIEWED)
    beats = topic.lecture().scene.beats
    out = render_request(RenderRequest(topic, topic.config()(), device="cpu", output_dir=tmp_path,
                                       beat=beats[index]))
    assert out.video == preview_path(tmp_path, "low", PREVIEWED, index, beats) and out.video.is_file()
    assert out.manifest["audit"]["mismatches"] == 0
    assert len(out.scene.chapters) == len(beats)  # the whole lecture was built and audited
    assert not (tmp_path / "low").exists() or not any((tmp_path / "low").iterdir())  # nothing published
    mine = _frames(out.video)
    theirs = _frames(full_dir / "low" / f"{PREVIEWED}.mp4", bounds[index], bounds[index + 1])
    assert len(mine) == frames == len(theirs)
    different = [i for i, (a, b) in enumerate(zip(mine, theirs)) if not np.array_equal(a, b)]
    assert not different, f"preview frames {different[:5]} differ from the full render's"
