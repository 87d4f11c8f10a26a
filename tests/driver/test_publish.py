"""Publishing as a set (publish/outputs.py): a SIGKILL at every step of publishing leaves every reader a whole
old set or a whole new one; readers refuse a mixed set, a symlinked or non-regular file and an invalid
manifest with one line naming the file; the course page escapes every manifest value."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from driver import registry
from driver.errors import Failure
from driver.pipeline import write_course
from publish import page
from publish.outputs import (
    KILL_AT,
    SUFFIX,
    ManifestError,
    SetError,
    SetMissing,
    load_manifest,
    publish,
    read_set,
    sets_dir,
    verify,
)
from tests.driver.sets import contents_of, manifest_for, stage_fake, write_plain

ROOT = Path(__file__).resolve().parents[2]
PUBLISH = """
import sys
from pathlib import Path
from publish.outputs import publish
from tests.driver.sets import contents_of, stage_fake
work, final, tag, kinds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], tuple(sys.argv[4].split(","))
publish(stage_fake(work, "heads", contents_of(tag, kinds)), final)
"""
ALL = ("mp4", "webm", "gif", "png", "srt", "vtt", "chapters", "txt", "npz")
FEWER = ("mp4", "png", "srt", "vtt", "chapters", "txt")


def publish_in_subprocess(work: Path, final: Path, tag: str, kinds: tuple[str, ...],
                          kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop(KILL_AT, None)
    if kill_at is not None:
        env[KILL_AT] = str(kill_at)
    return subprocess.run([sys.executable, "-c", PUBLISH, str(work), str(final), tag, ",".join(kinds)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def tag_of(data: bytes) -> str:
    return data.split(b":", 1)[0].decode()


def whole_set_tag(final: Path) -> str:
    """Read the set back as every reader does; assert each of its files comes from one set; return that set's tag."""
    published = read_set(final, "heads")
    tags = {kind: tag_of(path.read_bytes()) for kind, path in published.files.items() if kind != "json"}
    assert len(set(tags.values())) == 1, f"a mixed set: {tags}"
    (tag,) = set(tags.values())
    assert set(published.manifest["files"]) == {k for k in tags}
    assert verify(final, "heads") == [] or all("is not the file of set" in p for p in verify(final, "heads"))
    return tag


def course_tags(final: Path, out: Path) -> set[str]:
    """Write the course page from the set and return the set tags of the files it copied."""
    entry = page.load_entry("heads", "The heads lecture", "What?", final)
    page.write_course([entry], out)
    return {tag_of(f.read_bytes()) for f in (out / "media").glob("heads.*") if f.suffix not in (".json", ".html")}


@pytest.mark.parametrize("old_kind,new_kinds", [
    ("set", FEWER),  # a render over a set-folder render, dropping formats the old one had
    ("set", ALL),
    ("plain", ALL),  # the first render over a folder rendered before set folders (plain files only)
    ("none", FEWER),  # the first render of all
])
def test_a_sigkill_at_every_publish_step_leaves_a_whole_old_or_new_set(tmp_path: Path, old_kind: str,
                                                                       new_kinds: tuple[str, ...]) -> None:
    step, seen = 0, []
    while True:
        step += 1
        case = tmp_path / f"step{step}"
        final = case / "low"
        if old_kind == "set":
            publish(stage_fake(case / "w0", "heads", contents_of("old", ALL)), final)
        elif old_kind == "plain":
            write_plain(final, "heads", contents_of("old", ALL))
        done = publish_in_subprocess(case / "w1", final, "new", new_kinds, kill_at=step)
        if done.returncode == 0:
            break  # the step count ran past the last step: publishing finished
        assert done.returncode == -signal.SIGKILL, done.stderr
        if old_kind == "none" and not (final / "heads.json").exists():
            with pytest.raises(SetMissing):
                read_set(final, "heads")
            seen.append("none")
        else:
            tag = whole_set_tag(final)
            assert course_tags(final, case / "course") == {tag}
            seen.append(tag)
        # the next render of the topic finds its way whatever was left, and leaves one whole set
        again = publish_in_subprocess(case / "w2", final, "next", new_kinds)
        assert again.returncode == 0, again.stderr
        assert whole_set_tag(final) == "next" and verify(final, "heads") == []
        assert [p.name for p in sets_dir(final).iterdir()] == [read_set(final, "heads").folder.name]
        assert sorted(p.name for p in final.iterdir()) == sorted(
            "heads" + SUFFIX[k] for k in (*new_kinds, "json"))
    assert step > 2 * len(new_kinds), f"only {step - 1} steps were killed"
    first_new = seen.index("new")
    assert set(seen[:first_new]) <= {"old", "none"} and set(seen[first_new:]) == {"new"}, seen
    assert whole_set_tag(final) == "new" and verify(final, "heads") == []


def test_a_killed_publish_before_its_commit_is_cleared_by_the_next_render(tmp_path: Path) -> None:
    """Its set folder, never committed, is removed by the next render of that topic (under its lock)."""
    from publish.outputs import clear_unpublished

    final = tmp_path / "low"
    publish(stage_fake(tmp_path / "w0", "heads", contents_of("old")), final)
    killed = publish_in_subprocess(tmp_path / "w1", final, "new", FEWER, kill_at=3)
    assert killed.returncode == -signal.SIGKILL
    assert len(list(sets_dir(final).iterdir())) == 2 and whole_set_tag(final) == "old"
    clear_unpublished(final, "heads")
    assert [p.name for p in sets_dir(final).iterdir()] == [read_set(final, "heads").folder.name]


def test_readers_refuse_a_mixed_plain_set_naming_the_file(tmp_path: Path) -> None:
    final = tmp_path / "low"
    write_plain(final, "heads", contents_of("old"))
    (final / "heads.mp4").write_bytes(b"new:mp4\n")
    with pytest.raises(SetError, match=r"low/heads\.mp4 is not the file .*low/heads\.json lists"):
        read_set(final, "heads")
    assert verify(final, "heads")[0].startswith(f"{final / 'heads.mp4'} is not the file")


def test_a_mixed_set_folder_is_refused_too(tmp_path: Path) -> None:
    final = tmp_path / "low"
    publish(stage_fake(tmp_path / "w", "heads", contents_of("old")), final)
    folder = read_set(final, "heads").folder
    (folder / "heads.vtt").unlink()
    with pytest.raises(SetError, match=r"heads\.vtt is missing"):
        read_set(final, "heads")


@pytest.mark.parametrize("where", ["plain", "set"])
def test_a_symlinked_sidecar_is_refused_and_never_reaches_the_course(tmp_path: Path, where: str) -> None:
    """`low/heads.txt -> /etc/passwd`: refused with one line naming it; nothing of /etc/passwd is read or linked."""
    out = tmp_path / "media"
    final = out / "low"
    if where == "plain":
        write_plain(final, "heads", contents_of("old"))
        folder = final
    else:
        publish(stage_fake(tmp_path / "w", "heads", contents_of("old")), final)
        folder = read_set(final, "heads").folder
    (folder / "heads.txt").unlink()
    (folder / "heads.txt").symlink_to("/etc/passwd")
    with pytest.raises(Failure) as err:
        write_course(quality="low", jobs=1, device="cpu", seed=0, output_dir=out, report=lambda line: None,
                     topics=(registry.get("heads"),))
    assert err.value.code == 1 and "\n" not in str(err.value)
    assert f"{folder / 'heads.txt'} is a symlink: refused" in str(err.value)
    course = out / "course"
    assert not (course / "index.html").exists()
    copied = [p for p in course.rglob("*") if p.is_file() or p.is_symlink()] if course.exists() else []
    assert all("root:" not in p.read_text(errors="replace") for p in copied if p.is_file())
    assert not any(p.is_symlink() for p in copied)


def test_a_fifo_in_place_of_a_sidecar_is_refused_without_hanging(tmp_path: Path) -> None:
    final = tmp_path / "low"
    write_plain(final, "heads", contents_of("old"))
    (final / "heads.srt").unlink()
    os.mkfifo(final / "heads.srt")
    with pytest.raises(SetError, match="heads.srt is not a regular file"):
        read_set(final, "heads")


def test_a_symlinked_manifest_or_set_folder_is_refused(tmp_path: Path) -> None:
    final = tmp_path / "low"
    publish(stage_fake(tmp_path / "w", "heads", contents_of("old")), final)
    folder = read_set(final, "heads").folder
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere)
    with pytest.raises(SetError, match="is a symlink: refused"):
        read_set(final, "heads")
    other = tmp_path / "other"
    write_plain(other, "heads", contents_of("x"))
    (final / "heads.json").unlink()
    (final / "heads.json").symlink_to(other / "heads.json")
    with pytest.raises(SetError, match=r"heads\.json is a symlink: refused"):
        read_set(final, "heads")


# -- the manifest schema ------------------------------------------------------------------------
def _set(m: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        m = m[key]
    if value is KeyError:
        del m[path[-1]]
    else:
        m[path[-1]] = value


@pytest.mark.parametrize("path,value,needle", [
    (("quality",), KeyError, "quality is missing"),
    (("files",), KeyError, "files is missing"),
    (("video", "duration"), KeyError, "video.duration is missing"),
    (("quality", "width"), '854" onloadstart="alert(1)', "quality.width must be a whole number from 1 to 16384"),
    (("quality", "width"), 0, "quality.width must be a whole number"),
    (("quality", "height"), 1.5, "quality.height must be a whole number"),
    (("video", "duration"), "4.0", "video.duration must be a number"),
    (("video", "duration"), -1, "video.duration must be a number (0 or more)"),
    (("audit", "numbers_checked"), True, "audit.numbers_checked must be a whole number"),
    (("audit", "mismatches"), None, "audit.mismatches must be a whole number"),
    (("chapters",), {"start": 0}, "chapters must be a list"),
    (("chapters", 0, "title"), 7, "chapters[0].title must be a string"),
    (("captions", 1, "end"), "soon", "captions[1].end must be a number"),
    (("title",), ["x"], "title must be a string"),
    (("topic",), "../etc", "topic must be a topic name"),
    (("set",), "../../etc", "set must be a set name"),
    (("files", "mp4", "name"), "../../../etc/passwd", "files.mp4.name must be 'heads.mp4'"),
    (("files", "mp4", "sha256"), "x" * 64, "files.mp4.sha256 must be 64 hexadecimal digits"),
    (("files", "exe"), {"name": "heads.exe", "bytes": 1, "sha256": "0" * 64}, "files.exe is not a kind of file"),
    (("video", "file"), 7, "video.file must be a string"),
])
def test_a_manifest_that_does_not_match_the_schema_is_one_line_naming_file_and_field(
        tmp_path: Path, path: tuple[Any, ...], value: Any, needle: str) -> None:
    m = manifest_for("heads", contents_of("old"))
    _set(m, path, value)
    f = tmp_path / "heads.json"
    f.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(ManifestError) as err:
        load_manifest(f)
    assert str(err.value) == f"invalid manifest {f}: {needle}" or (
        str(err.value).startswith(f"invalid manifest {f}: ") and needle in str(err.value)), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("raw,needle", [
    (b"", "the file is empty"),
    (b"  \n", "the file is empty"),
    (b'{"topic": "heads", "title": "The he', "not JSON (Unterminated string"),
    (b"[1, 2", "not JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[]", "the manifest must be an object"),
    (b"null", "the manifest must be an object"),
    (b"[" * 100000, "not JSON"),
])
def test_an_empty_truncated_or_foreign_manifest_is_one_line_naming_the_file(tmp_path: Path, raw: bytes,
                                                                            needle: str) -> None:
    f = tmp_path / "heads.json"
    f.write_bytes(raw)
    with pytest.raises(ManifestError) as err:
        load_manifest(f)
    assert str(err.value).startswith(f"invalid manifest {f}: ") and needle in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_a_truncated_manifest_is_one_line_from_course(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`render.py course` on a folder holding every topic, one of whose manifests was cut short (nothing renders)."""
    import render

    out = tmp_path / "media"
    for name in registry.names():
        write_plain(out / "low", name, contents_of(name, ("mp4", "webm", "png", "srt", "vtt", "chapters", "txt")))
    ok = render.main(["course", "--output-dir", str(out)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert ok == 0 and lines[-1].startswith("course page: "), lines
    bad = out / "low" / "softmax.json"
    for raw in (bad.read_bytes()[:200], b""):
        bad.write_bytes(raw)
        code = render.main(["course", "--output-dir", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(err) == 1, err
        assert err[0].startswith(f"error: invalid manifest {bad}: ") and "render it again: render.py softmax" in err[0]
        assert "Traceback" not in err[0]


# -- escaping on the course page ------------------------------------------------------------------
MARK = '"><script>window.planted=1</script><img src=x onerror=alert(1)>'
CONSTRAINED = {("topic",), ("set",), ("video", "file")}  # the schema allows no markup there (tested above)


def strings_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the path of every string value in a manifest."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in strings_in(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in strings_in(v, (*path, i))]
    return [path] if isinstance(value, str) else []


def test_markup_planted_in_every_manifest_field_comes_out_escaped(tmp_path: Path) -> None:
    contents = contents_of("old")
    contents["txt"] = f"transcript {MARK}\n".encode()
    m = manifest_for("heads", contents)
    planted = []
    for path in strings_in(m):
        if path in CONSTRAINED or path[0] == "files":
            continue
        _set(m, path, str(_get(m, path)) + MARK)
        planted.append(path)
    assert len(planted) > 20
    final = tmp_path / "low"
    write_plain(final, "heads", contents)
    (final / "heads.json").write_text(json.dumps(m), encoding="utf-8")
    entry = page.load_entry("heads", "The heads lecture", "What?", final)
    entry = page.Entry(entry.name, str(m["title"]), str(m["question"]), entry.manifest)  # the manifest's own texts
    index = page.write_course([entry], tmp_path / "course")
    for f in (index, tmp_path / "course" / "media" / "heads.html"):
        text = f.read_text(encoding="utf-8")
        assert "<script>window.planted" not in text and "<img src=x" not in text, f
        assert "&lt;script&gt;window.planted=1&lt;/script&gt;" in text, f


def _get(m: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        m = m[key]
    return m


@pytest.mark.parametrize("path", [("quality", "width"), ("quality", "height"), ("video", "duration"),
                                  ("audit", "numbers_checked"), ("audit", "animations_audited"),
                                  ("audit", "mismatches"), ("chapters", 0, "start"), ("video", "fps")])
def test_markup_in_a_number_field_is_refused_before_any_html(tmp_path: Path, path: tuple[Any, ...]) -> None:
    contents = contents_of("old")
    m = manifest_for("heads", contents)
    _set(m, path, "854" + MARK)
    final = tmp_path / "low"
    write_plain(final, "heads", contents)
    (final / "heads.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"heads\.json: " + ".".join(map(str, path)).replace(".0", r"\[0\]")):
        page.load_entry("heads", "T", "Q", final)


def test_the_course_copies_only_the_files_the_set_lists(tmp_path: Path) -> None:
    """A file beside the set that its manifest does not list (a planted heads.srt) is not copied."""
    final = tmp_path / "low"
    contents = contents_of("old", ("mp4", "webm", "png", "vtt", "chapters", "txt"))
    write_plain(final, "heads", contents)
    (final / "heads.srt").symlink_to("/etc/passwd")
    index = page.write_course([page.load_entry("heads", "T", "Q", final)], tmp_path / "course")
    assert not (index.parent / "media" / "heads.srt").exists()
    assert sorted(p.name for p in (index.parent / "media").iterdir()) == sorted(
        ["heads.html", "heads.json", *("heads" + SUFFIX[k] for k in contents)])


def test_the_sphinx_directive_reads_sets_the_same_way(tmp_path: Path) -> None:
    """publish.sphinx copies a lecture's files only from a whole set: a symlinked sidecar fails the build, naming it."""
    pytest.importorskip("sphinx")
    media = tmp_path / "media" / "low"
    write_plain(media, "heads", contents_of("old", ("mp4", "webm", "png", "srt", "vtt", "chapters", "txt")))
    src = tmp_path / "site"
    src.mkdir()
    (src / "conf.py").write_text(f"extensions = ['publish.sphinx']\nlecture_media = {str(media)!r}\n")
    (src / "index.rst").write_text("Lecture\n=======\n\n.. lecture:: heads\n")

    def build(out: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(tmp_path / out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    ok = build("ok")
    assert ok.returncode == 0, ok.stderr
    (media / "heads.txt").unlink()
    (media / "heads.txt").symlink_to("/etc/passwd")
    bad = build("bad")
    assert bad.returncode != 0 and f"{media / 'heads.txt'} is a symlink: refused" in bad.stderr, bad.stderr
    assert not any("root:" in p.read_text(errors="replace") for p in (tmp_path / "bad").rglob("*.txt"))


def test_a_reader_during_many_publishes_always_sees_a_whole_set(tmp_path: Path) -> None:
    """A course page written while the topic is published again and again: every read is whole (old or new),
    none fails, though each publish removes the set folder a reader may have just been pointed at."""
    import threading

    final = tmp_path / "low"
    publish(stage_fake(tmp_path / "w0", "heads", contents_of("v0")), final)
    done = threading.Event()
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            for i in range(1, 40):
                publish(stage_fake(tmp_path / f"w{i}", "heads", contents_of(f"v{i}", FEWER if i % 2 else ALL)), final)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)
        finally:
            done.set()

    thread = threading.Thread(target=publisher)
    thread.start()
    reads = 0
    while not done.is_set() or reads < 5:
        for _ in range(3):  # a set replaced after read_set returned: its folder may go; read the new one
            published = read_set(final, "heads")  # raises on a mixed set
            try:
                tags = {tag_of(p.read_bytes()) for k, p in published.files.items() if k != "json"}
                break
            except FileNotFoundError:
                continue
        assert len(tags) == 1, tags
        reads += 1
    thread.join(timeout=120)
    assert not errors and reads >= 5


def test_the_course_page_written_during_publishes_is_whole(tmp_path: Path) -> None:
    """A set replaced while the page is written (its folder removed) is read again: the page is whole."""
    import threading
    import time

    out = tmp_path / "media"
    final = out / "low"
    publish(stage_fake(tmp_path / "w0", "heads", contents_of("v0")), final)
    done = threading.Event()

    def publisher() -> None:
        try:
            for i in range(1, 30):
                publish(stage_fake(tmp_path / f"w{i}", "heads", contents_of(f"v{i}")), final)
                time.sleep(0.05)  # a real render publishes every 10 s at most; the page is written in between
        finally:
            done.set()

    thread = threading.Thread(target=publisher)
    thread.start()
    pages = 0
    while not done.is_set() or pages < 3:
        index = write_course(quality="low", jobs=1, device="cpu", seed=0, output_dir=out, report=lambda line: None,
                             topics=(registry.get("heads"),))
        media = index.parent / "media"
        tags = {tag_of(f.read_bytes()) for f in media.glob("heads.*") if f.suffix not in (".json", ".html")}
        manifest = json.loads((media / "heads.json").read_text())
        assert len(tags) == 1 and manifest["set"] in json.dumps(manifest), tags
        pages += 1
    thread.join(timeout=120)


@pytest.mark.parametrize("kinds", [("png", "srt", "vtt", "chapters", "txt"), ("gif", "png", "srt", "vtt", "chapters",
                                                                              "txt")])
def test_a_set_without_an_mp4_is_whole(tmp_path: Path, kinds: tuple[str, ...]) -> None:
    """--format png (the poster only) or gif: the manifest still describes the rendered mp4 under video."""
    final = tmp_path / "low"
    staged = stage_fake(tmp_path / "w", "heads", contents_of("old", kinds), video={
        "file": "heads.mp4", "width": 854, "height": 480, "fps": 15.0, "duration": 4.0, "frames": 60})
    assert publish(staged, final).name == ("heads.gif" if "gif" in kinds else "heads.png")
    assert whole_set_tag(final) == "old"


def test_two_topics_publishing_into_one_folder_both_stay_whole(tmp_path: Path) -> None:
    """heads and bmm published again and again at once into one quality folder: neither touches the other's set."""
    import threading

    final = tmp_path / "low"
    failures: list[BaseException] = []

    def run(name: str) -> None:
        try:
            for i in range(15):
                publish(stage_fake(tmp_path / f"{name}{i}", name, contents_of(f"{name}{i}")), final)
        except BaseException as err:  # pragma: no cover - reported below
            failures.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("heads", "bmm", "heads_x")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures
    for name in ("heads", "bmm", "heads_x"):
        published = read_set(final, name)
        assert {tag_of(p.read_bytes()) for k, p in published.files.items() if k != "json"} == {f"{name}14"}
        assert verify(final, name) == []
    assert sorted(p.name.split("@")[0] for p in sets_dir(final).iterdir()) == ["bmm", "heads", "heads_x"]
