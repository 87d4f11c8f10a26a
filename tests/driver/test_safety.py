"""driver/safety.py: a key's stale-work cleanup removes its own work folders and nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from driver.safety import clear_stale, new_work_dir


def test_cleanup_of_one_key_keeps_the_live_work_of_a_key_it_prefixes(tmp_path: Path) -> None:
    """heads at low quality must not delete the work of heads at low quality and 1280x720 (another lock)."""
    root = tmp_path / ".work"
    stale = new_work_dir(root, "heads-low")
    (stale / "partial.mp4").write_bytes(b"x")
    live = new_work_dir(root, "heads-low-1280x720")
    (live / "segment.mp4").write_bytes(b"y")
    other = new_work_dir(root, "heads-lowish")
    clear_stale(root, "heads-low")
    assert not stale.exists()
    assert live.exists() and (live / "segment.mp4").read_bytes() == b"y"
    assert other.exists()


def test_cleanup_removes_every_leftover_of_its_key_and_keeps_locks_and_files(tmp_path: Path) -> None:
    root = tmp_path / ".work"
    leftovers = [new_work_dir(root, "bmm-high") for _ in range(3)]
    assert len(set(leftovers)) == 3 and all(p.parent == root and p.is_dir() for p in leftovers)
    lock = root / "bmm-high.lock"
    lock.write_text("123")
    stray = root / "bmm-high@not-a-folder"
    stray.write_text("")
    clear_stale(root, "bmm-high")
    assert sorted(p.name for p in root.iterdir()) == sorted([lock.name, stray.name])


def test_a_folder_named_the_old_way_is_not_taken_for_this_keys_work(tmp_path: Path) -> None:
    """The old cleanup globbed '<key>-*', which also matched another key's 'heads-low-1280x720-…' folder."""
    root = tmp_path / ".work"
    root.mkdir()
    theirs = Path(tempfile.mkdtemp(prefix="heads-low-1280x720-", dir=root))
    clear_stale(root, "heads-low")
    assert theirs.exists()


def test_cleanup_of_a_missing_work_root_does_nothing(tmp_path: Path) -> None:
    clear_stale(tmp_path / "nothing-here", "heads-low")
    assert not (tmp_path / "nothing-here").exists()


@pytest.mark.parametrize("key", ["", "a@b", "a/b"])
def test_a_key_that_could_collide_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="work key"):
        new_work_dir(tmp_path, key)


def test_a_render_works_in_a_folder_its_own_key_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline names its work folder through new_work_dir with the key it locks and cleans: 'heads-low'."""
    from driver import registry, safety
    from driver.pipeline import RenderRequest, render
    from tensors.heads import HeadsConfig

    made: list[Path] = []
    real = safety.new_work_dir

    def spy(work_root: Path, key: str) -> Path:
        made.append(real(work_root, key))
        return made[-1]

    monkeypatch.setattr(safety, "new_work_dir", spy)
    render(RenderRequest(registry.get("heads"), HeadsConfig(), device="cpu", dry_run=True))
    assert len(made) == 1 and made[0].name.startswith("heads-low@")
    assert not made[0].exists()  # removed when the render ended
