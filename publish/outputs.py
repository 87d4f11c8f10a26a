"""A render's file set: check the video, stage every format and sidecar, publish them as one set, read it back.

Publishing is all or nothing, whatever instant the process dies at (even SIGKILL):

- every file of a render, the manifest last, is staged in its work folder, then moved in one rename
  into its own set folder `<output-dir>/.sets/<quality>/<topic>@<id>/`;
- the commit is one rename: `<quality>/<topic>.json`, the manifest, replaced by a link to the new
  set's manifest, which names its set (`"set": "<topic>@<id>"`) and lists every file with its size and
  sha256;
- then the plain names (`<quality>/<topic>.mp4`, ...) are replaced one by one by links to the set's
  files, names the new set does not have are removed, and the earlier set folder goes.

A reader (`read_set`: the course page, `verify`) follows `<topic>.json` to its set folder and checks
every file there against the manifest, so it sees the whole old set (killed before the commit) or
the whole new one (after it). Files are read only if they are regular files inside their folder
(never through a symlink); a set whose files are not the ones its manifest lists is refused with one
line naming the file. A manifest is read through `load_manifest`, which refuses one that is not JSON
or does not match the schema (one line naming the file and the field). A set without a set folder (a
copy of the plain files, or a render made before set folders) is read from the plain names, checked
the same way.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class OutputError(RuntimeError):
    """The video or a sidecar could not be made or written."""


class ManifestError(OutputError):
    """A manifest that cannot be read or does not match the schema; the message names the file."""


class SetError(OutputError):
    """A published set that is not whole: a file missing, replaced, a symlink; the message names it."""


class SetMissing(SetError):
    """No manifest at all: the topic was never published in this folder."""


# -- the files of a set -------------------------------------------------------------------------
SUFFIX = {"mp4": ".mp4", "webm": ".webm", "gif": ".gif", "png": ".png", "srt": ".srt", "vtt": ".vtt",
          "chapters": ".chapters.vtt", "txt": ".txt", "npz": ".tensors.npz", "json": ".json"}
VIDEO_KINDS = ("mp4", "webm", "gif")
SETS = ".sets"  # beside the quality folders: .sets/<quality>/<topic>@<id>/, one folder per published set
_SET_NAME = re.compile(r"[a-z][a-z0-9_]*@[A-Za-z0-9]{4,64}")
_TOPIC = re.compile(r"[a-z][a-z0-9_]*")
MAX_MANIFEST = 256 * 2**20  # bytes: far above any real manifest (large tensors go to the .npz)


def sets_dir(quality_dir: Path) -> Path:
    """Return the folder of the set folders published into quality_dir: <output-dir>/.sets/<quality>."""
    return quality_dir.parent / SETS / quality_dir.name


def file_name(name: str, kind: str) -> str:
    """Return the file name of a kind of file of topic name: ('heads', 'chapters') -> 'heads.chapters.vtt'."""
    return name + SUFFIX[kind]


def verify_video(movie: Path, width: int, height: int, fps: int) -> dict[str, Any]:
    """Open a video with PyAV, check its size and rate, decode a frame; return its metadata."""
    import av

    if not movie.exists() or movie.stat().st_size == 0:
        raise OutputError(f"no video was written at {movie}")
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        w, h = stream.codec_context.width, stream.codec_context.height
        rate = float(stream.average_rate or 0)
        duration = float(container.duration or 0) / 1_000_000
        frames = stream.frames
        next(container.decode(stream))
    if (w, h) != (width, height) or round(rate) != fps:
        raise OutputError(f"video is {w}x{h} at {rate:g} fps, expected {width}x{height} at {fps}")
    return {"width": w, "height": h, "fps": round(rate, 3), "duration": round(duration, 3), "frames": frames}


def sha256(path: Path) -> str:
    """Return the SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- the manifest schema ------------------------------------------------------------------------
# A spec is a type (str, int, float for any finite number, bool, dict or list for any such value), a
# dict of key -> spec (keys ending in '?' are optional; other keys are allowed and not checked), a
# one-element list [spec] for a list of such items, or ('map', spec) for a dict of str -> spec.
Spec = Any
_NUMBER = float
_FILE: Spec = {"name": str, "bytes": int, "sha256": "sha256"}
SCHEMA: Spec = {
    "topic": "topic", "title": str, "question": str, "seed": int, "device?": str, "config?": dict,
    "versions?": ("map", str), "set?": "set",
    "quality": {"name": str, "width": "size", "height": "size", "fps": int},
    "poster?": {"time": _NUMBER, "numbers_on_screen?": int, "beat?": str},
    "chapters": [{"start": _NUMBER, "title": str}],
    "captions": [{"start": _NUMBER, "end": _NUMBER, "text": str}],
    "tensors?": ("map", {"shape": [int], "dtype": str}),
    "strings?": ("map", str),
    "audit": {"animations_audited": int, "numbers_checked": int, "heatmaps_checked?": int, "marks_checked?": int,
              "distinct_numbers_shown?": int, "mismatches": int,
              "shown": [{"tensor": str, "index": [int], "kind": str, "text": str}]},
    "layout?": dict,
    "narration?": {"voice": str, "lines": [{"id": str, "beat": str, "start": _NUMBER, "end": _NUMBER, "text": str,
                                            "spoken": str, "audio_seconds?": _NUMBER, "audio_sha256?": "sha256",
                                            "numbers": [{"tensor": str, "index": [int], "shown": str,
                                                         "spoken": str}]}]},
    "render?": {"wall_seconds?": _NUMBER, "dry_run?": bool, "encoder?": dict},
    "video": {"file": str, "width": "size", "height": "size", "fps": _NUMBER, "duration": _NUMBER, "frames": int},
    "files": ("map", _FILE),
}
_NAMED = {str: "a string", int: "a whole number", _NUMBER: "a number", bool: "true or false", dict: "an object",
          list: "a list", "topic": "a topic name (a-z, 0-9, _)", "set": "a set name (<topic>@<id>)",
          "size": "a whole number from 1 to 16384", "sha256": "64 hexadecimal digits"}


def _check(value: Any, spec: Spec, at: str) -> str | None:
    """Return what is wrong with value against spec ('<where> must be ...'), or None."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{at or 'the manifest'} must be an object"
        for key, sub in spec.items():
            name, optional = key.rstrip("?"), key.endswith("?")
            if name not in value:
                if optional:
                    continue
                return f"{at + '.' if at else ''}{name} is missing"
            problem = _check(value[name], sub, f"{at + '.' if at else ''}{name}")
            if problem:
                return problem
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{at} must be a list"
        for i, item in enumerate(value):
            problem = _check(item, spec[0], f"{at}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(spec, tuple):  # ('map', spec)
        if not isinstance(value, dict):
            return f"{at} must be an object"
        for key, item in value.items():
            problem = _check(item, spec[1], f"{at}.{key}")
            if problem:
                return problem
        return None
    ok: bool
    if spec is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif spec is _NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    elif spec == "size":
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 16384
    elif spec == "topic":
        ok = isinstance(value, str) and _TOPIC.fullmatch(value) is not None
    elif spec == "set":
        ok = isinstance(value, str) and _SET_NAME.fullmatch(value) is not None
    elif spec == "sha256":
        ok = isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None
    else:
        ok = isinstance(value, spec) and not (spec is not bool and isinstance(value, bool))
    if ok:
        return None
    return f"{at} must be {_NAMED.get(spec, str(spec))}" + (" (0 or more)" if spec in (int, _NUMBER) else "")


def validate_manifest(data: Any, where: Path | str) -> dict[str, Any]:
    """Return data if it matches the manifest schema; else ManifestError naming the file and the field."""
    problem = _check(data, SCHEMA, "")
    if problem is None:
        for kind, entry in data["files"].items():
            if kind not in SUFFIX or kind == "json":
                problem = f"files.{kind} is not a kind of file a render writes ({', '.join(k for k in SUFFIX if k != 'json')})"
                break
            if entry["name"] != file_name(data["topic"], kind):
                problem = f"files.{kind}.name must be {file_name(data['topic'], kind)!r}"
                break
    if problem is not None:
        raise ManifestError(f"invalid manifest {where}: {problem}")
    return data  # type: ignore[no-any-return]


def parse_manifest(raw: bytes, where: Path | str) -> dict[str, Any]:
    """Parse and validate a manifest's bytes; ManifestError (one line naming `where`) if it is not one."""
    if not raw.strip():
        raise ManifestError(f"invalid manifest {where}: the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ManifestError(f"invalid manifest {where}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError
        detail = f"{err.msg} at line {err.lineno} column {err.colno}" if isinstance(err, json.JSONDecodeError) else str(err)
        raise ManifestError(f"invalid manifest {where}: not JSON ({detail}; truncated?)") from None
    return validate_manifest(data, where)


def _open_regular(path: Path) -> int:
    """Open path for reading only if it is a regular file reached without a symlink at its end; return the fd."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        if err.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink
            raise SetError(f"{path} is a symlink: refused (a published file must be a regular file in its folder)") \
                from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SetError(f"{path} is not a regular file: refused")
    return fd


def _read_fd(fd: int, limit: int | None = None) -> bytes:
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1 if limit is not None else -1)
    return data


def load_manifest(path: Path) -> dict[str, Any]:
    """Read and validate the manifest at path (a regular file, not a symlink); ManifestError naming it if invalid.

    FileNotFoundError when there is none; SetError when it is a symlink or not a regular file.
    """
    raw = _read_fd(_open_regular(path), MAX_MANIFEST)
    if len(raw) > MAX_MANIFEST:
        raise ManifestError(f"invalid manifest {path}: larger than {MAX_MANIFEST // 2**20} MiB")
    return parse_manifest(raw, path)


# -- staging and publishing ---------------------------------------------------------------------
@dataclass(frozen=True)
class Staged:
    """A render's complete set of files in its work folder, ready to publish."""

    name: str  # the topic, stem of every file name
    set_name: str  # '<topic>@<id>': the set folder it becomes
    folder: Path  # holds every file below
    files: dict[str, Path]  # kind -> file, the manifest ('json') included


def new_set_name(name: str) -> str:
    """Return a fresh set name for topic name: 'heads@3f9c0a1b2c4d'."""
    return f"{name}@{secrets.token_hex(6)}"


def stage(work: Path, movie: Path, stem: str, manifest: dict[str, Any], big: dict[str, Any],
          wanted: Iterable[str], audio: Any = None) -> Staged:
    """Write the requested formats and every sidecar into work/publish; the manifest, written last, lists them.

    `audio` (float32 mono samples at 48 kHz, as long as the video) becomes the videos' sound track; the
    captions always go inside the videos too (mov_text in mp4, WebVTT in webm).
    """
    import numpy as np

    from publish import captions, formats, transcript

    wanted = list(dict.fromkeys(wanted))
    out = work / "publish"
    out.mkdir()
    files: dict[str, Path] = {}
    try:
        cues = [(c["start"], c["end"], c["text"]) for c in manifest["captions"]]
        if "mp4" in wanted:
            files["mp4"] = formats.faststart(movie, out / f"{stem}.mp4", audio=audio, cues=cues)
        if "webm" in wanted:
            files["webm"] = formats.to_webm(movie, out / f"{stem}.webm", audio=audio, cues=cues)
        if "gif" in wanted:
            files["gif"] = formats.to_gif(movie, out / f"{stem}.gif")
        files["png"] = formats.frame_at(movie, manifest["poster"]["time"], out / f"{stem}.png")
        files["srt"] = captions.write_srt(manifest, out / f"{stem}.srt")
        files["vtt"] = captions.write_vtt(manifest, out / f"{stem}.vtt")
        files["chapters"] = captions.write_chapters(manifest, out / f"{stem}.chapters.vtt")
        files["txt"] = transcript.write_transcript(manifest, out / f"{stem}.txt")
        if big:
            files["npz"] = out / f"{stem}.tensors.npz"
            with open(files["npz"], "wb") as fh:
                np.savez_compressed(fh, **big)
        manifest["files"] = {kind: {"name": p.name, "bytes": p.stat().st_size, "sha256": sha256(p)}
                             for kind, p in files.items()}
        manifest["set"] = new_set_name(stem)
        text = json.dumps(manifest, indent=1) + "\n"
        validate_manifest(json.loads(text), f"{stem}.json (being written)")  # what readers will accept
        files["json"] = out / f"{stem}.json"
        files["json"].write_text(text, encoding="utf-8")
    except OSError as err:
        raise OutputError(write_error(err, out)) from None
    return Staged(stem, manifest["set"], out, files)


KILL_AT = "FAQ_LECTURES_TEST_KILL_AT_PUBLISH_STEP"  # tests: SIGKILL this process at step N of publish (1, 2, ...)
_step_count = 0


def _step(what: str) -> None:
    """Mark the end of one publishing step; the test hook kills the process here when asked to."""
    global _step_count
    _step_count += 1
    want = os.environ.get(KILL_AT)
    if want and want.isdigit() and int(want) == _step_count:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link_over(src: Path, dst: Path) -> None:
    """Make dst the same file as src in one rename (a copy where hard links are not possible)."""
    try:
        if os.path.samefile(src, dst) and not dst.is_symlink():
            return  # already that file: renaming a link over its twin would do nothing
    except OSError:
        pass
    tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    _step(f"linked {tmp.name}")
    os.replace(tmp, dst)


def publish(staged: Staged, final_dir: Path) -> Path:
    """Publish a staged set into final_dir as one set (see the module's doc); return the main video's path.

    Ctrl-C and SIGTERM wait until it is done; a SIGKILL at any point leaves readers the whole old set or the
    whole new one.
    """
    global _step_count
    _step_count = 0
    name = staged.name
    try:
        final_dir.mkdir(parents=True, exist_ok=True)
        sets = sets_dir(final_dir)
        sets.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(write_error(err, final_dir)) from None
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        _step("start")
        for f in staged.files.values():  # durable before anything points at them
            _fsync(f)
        folder = sets / staged.set_name
        try:
            os.rename(staged.folder, folder)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
            tmp = sets / f".{staged.set_name}.tmp"  # the quality folder is on another file system
            shutil.copytree(staged.folder, tmp)
            os.rename(tmp, folder)
        _fsync(sets, directory=True)
        _step("set folder in place")
        # the commit: the plain manifest now names the new set
        _link_over(folder / file_name(name, "json"), final_dir / file_name(name, "json"))
        _fsync(final_dir, directory=True)
        _step("committed")
        kinds = [k for k in staged.files if k not in VIDEO_KINDS and k != "json"] + \
                [k for k in VIDEO_KINDS if k in staged.files]
        for kind in kinds:
            _link_over(folder / file_name(name, kind), final_dir / file_name(name, kind))
            _step(f"view {kind}")
        for kind in SUFFIX:  # a format the earlier set had and this one has not
            if kind not in staged.files and (final_dir / file_name(name, kind)).is_file():
                (final_dir / file_name(name, kind)).unlink()
                _step(f"removed {kind}")
        for gone in stale_sets(final_dir, name, keep=staged.set_name):
            shutil.rmtree(gone, ignore_errors=True)
            _step(f"removed {gone.name}")
        for tmp in final_dir.glob(f".{glob.escape(name)}.*.tmp"):  # links a killed publish left behind
            if _is_own_tmp(tmp.name, name):
                tmp.unlink(missing_ok=True)
    except OSError as err:
        raise OutputError(write_error(err, final_dir)) from None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    main = next((k for k in VIDEO_KINDS if k in staged.files), "png")
    return final_dir / file_name(name, main)


def _is_own_tmp(tmp: str, name: str) -> bool:
    """Tell whether tmp is one of this topic's temporary links ('.heads.mp4.1a2b3c4d.tmp'), not another topic's."""
    return any(re.fullmatch(re.escape(f".{file_name(name, k)}.") + r"[0-9a-f]{8}\.tmp", tmp) for k in SUFFIX)


def stale_sets(final_dir: Path, name: str, keep: str | None) -> list[Path]:
    """Return the set folders of topic name in final_dir other than keep (a killed or replaced render's)."""
    sets = sets_dir(final_dir)
    if not sets.is_dir():
        return []
    found = []
    for p in sets.iterdir():
        base = p.name.removeprefix(".").removesuffix(".tmp")
        if base.rpartition("@")[0] == name and base != keep and _SET_NAME.fullmatch(base):
            found.append(p)
    return sorted(found)


def clear_unpublished(final_dir: Path, name: str) -> None:
    """Remove set folders of name that the current manifest does not name (a render killed before its commit).

    Call under the topic's lock.
    """
    try:
        current = load_manifest(final_dir / file_name(name, "json")).get("set")
    except (OSError, OutputError):
        return  # no readable manifest: leave everything for a person to look at
    for gone in stale_sets(final_dir, name, keep=current):
        shutil.rmtree(gone, ignore_errors=True)


# -- reading a set back -------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedSet:
    """A topic's published set, checked whole: every file listed is a regular file with its size and sha256."""

    name: str
    folder: Path  # where the files are: the set folder, or the quality folder for a set without one
    manifest: dict[str, Any]
    files: dict[str, Path]  # kind -> checked file, the manifest ('json') included


def _check_file(path: Path, entry: dict[str, Any], manifest_path: Path) -> None:
    """Check one file against its manifest entry; SetError naming both when it is not that file."""
    fd = _open_regular(path)
    h = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    if size != entry["bytes"] or h.hexdigest() != entry["sha256"]:
        raise SetError(f"{path} is not the file {manifest_path} lists ({size} bytes, sha256 {h.hexdigest()[:12]}…"
                       f" instead of {entry['bytes']} bytes, {entry['sha256'][:12]}…): a mixed or damaged set")


def read_set(source: Path, name: str, attempts: int = 5) -> PublishedSet:
    """Return topic name's published set in the quality folder source, every file checked.

    SetMissing if it has no manifest; ManifestError or SetError (one line naming the file) if the set is
    not whole. A set replaced while it is read (its folder removed by a newer publish) is read again.
    """
    if not _TOPIC.fullmatch(name):
        raise SetError(f"{name!r} is not a topic name")
    pointer = source / file_name(name, "json")
    for attempt in range(attempts):
        try:
            raw = _read_fd(_open_regular(pointer), MAX_MANIFEST)
        except FileNotFoundError:
            raise SetMissing(f"{pointer} does not exist: {name} is not rendered in {source}") from None
        except OSError as err:
            raise SetError(f"cannot read {pointer}: {err.strerror or err}") from None
        if len(raw) > MAX_MANIFEST:
            raise ManifestError(f"invalid manifest {pointer}: larger than {MAX_MANIFEST // 2**20} MiB")
        manifest = parse_manifest(raw, pointer)
        folder = source
        set_name = manifest.get("set")
        if isinstance(set_name, str) and set_name.rpartition("@")[0] == name:
            candidate = sets_dir(source) / set_name
            try:
                st = os.lstat(candidate)
                if stat.S_ISDIR(st.st_mode):
                    folder = candidate
                elif not stat.S_ISLNK(st.st_mode):
                    raise SetError(f"{candidate} is not a folder")
                else:
                    raise SetError(f"{candidate} is a symlink: refused")
            except FileNotFoundError:
                folder = source  # a copy of the plain files: check them instead (or a set just replaced)
        try:
            files: dict[str, Path] = {}
            for kind, entry in manifest["files"].items():
                path = folder / file_name(name, kind)
                _check_file(path, entry, pointer)
                files[kind] = path
            json_path = folder / file_name(name, "json")
            if folder != source and _read_fd(_open_regular(json_path), MAX_MANIFEST) != raw:
                raise SetError(f"{pointer} and {json_path} differ: a mixed set")
            files["json"] = json_path
            return PublishedSet(name, folder, manifest, files)
        except (FileNotFoundError, SetError) as err:
            if attempt + 1 < attempts and _changed(pointer, raw):
                continue  # replaced by a newer render while we read it: read the new one
            if isinstance(err, SetError):
                raise
            raise SetError(f"{err.filename} is missing: {pointer} lists it (a mixed or damaged set;"
                           f" render {name} again)") from None
    raise SetError(f"{pointer} kept changing while it was read")  # unreachable with attempts >= 1


def _changed(pointer: Path, raw: bytes) -> bool:
    """Tell whether the manifest at pointer is no longer raw (a newer set was committed meanwhile)."""
    try:
        return _read_fd(_open_regular(pointer), MAX_MANIFEST) != raw
    except (OSError, OutputError):
        return True


def verify(source: Path, name: str) -> list[str]:
    """Check topic name's set in source and its plain names; return what is wrong (empty when all is whole).

    The set itself must be whole (else the first problem is returned); a plain name that is not the set's
    file (a publish killed after its commit, before it replaced them all) is listed too: the next render of
    the topic puts them back in step.
    """
    try:
        published = read_set(source, name)
    except OutputError as err:
        return [str(err)]
    problems = []
    if published.folder != source:
        for path in published.files.values():
            plain = source / path.name
            try:
                same = os.path.samefile(plain, path) or sha256(plain) == sha256(path)
            except OSError:
                same = False
            if not same or plain.is_symlink():
                problems.append(f"{plain} is not the file of set {published.folder.name}")
    return problems


def write_error(err: OSError, where: Path) -> str:
    """Return the one-line message for a failed write under `where`; a full disk says how much is free."""
    what = err.filename or where
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        existing = next((p for p in [where, *where.parents] if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free
        return f"disk full at {what} ({free // 2**20} MiB free there): free some space and render again"
    return f"cannot write {what}: {err.strerror or err}"

