"""driver/manifest.py: tensors inline or by checksum, the poster frame, and the audit summary."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace

import torch

from driver.manifest import INLINE_LIMIT, build_manifest, poster, tensor_entry
from driver.pipeline import Outcome
from scenes.kit.binding import AuditLog, AuditPoint, Source


def test_a_small_tensor_is_inline_with_shape_and_dtype() -> None:
    t = torch.tensor([[1.5, -2.0], [0.25, 3.0]])
    assert tensor_entry("t", t) == {"shape": [2, 2], "dtype": "float32", "values": [[1.5, -2.0], [0.25, 3.0]]}
    assert tensor_entry("n", torch.tensor(7)) == {"shape": [], "dtype": "int64", "values": 7}


def test_a_large_tensor_is_named_by_the_checksum_of_its_values_in_order() -> None:
    t = torch.arange(INLINE_LIMIT + 1, dtype=torch.float32).reshape(1, -1)
    entry = tensor_entry("big", t)
    assert entry["shape"] == [1, INLINE_LIMIT + 1] and "values" not in entry and entry["values_file"] == "npz"
    assert entry["sha256"] == hashlib.sha256(t.numpy().tobytes()).hexdigest()
    square = torch.randn(70, 70, generator=torch.Generator().manual_seed(0))
    transposed = tensor_entry("T", square.T)  # a view: the checksum is of its values in row-major order
    assert transposed["sha256"] == hashlib.sha256(square.T.contiguous().numpy().tobytes()).hexdigest()
    assert transposed["sha256"] != tensor_entry("S", square)["sha256"]
    assert "values" in tensor_entry("edge", torch.zeros(INLINE_LIMIT))  # the limit itself is still inline


def point(animation: int, time: float, numbers: int, heatmaps: int = 0, plotted: int = 0) -> AuditPoint:
    """An audit point with `numbers` distinct shown values of tensor x."""
    shown = [(Source("x", (k,)), f"{k}.00") for k in range(numbers)]
    return AuditPoint(animation, f"beat {animation}", time, shown, heatmaps, plotted)


def test_the_poster_is_the_last_frame_of_the_fullest_animation() -> None:
    log = AuditLog([point(1, 0.0, 50), point(2, 2.0, 5), point(3, 4.0, 3, heatmaps=1), point(4, 6.0, 12)])
    scene = SimpleNamespace(b=SimpleNamespace(log=log))
    # animation 1 is at t = 0 (nothing drawn yet); 3 scores 3 + 10 for its heatmap, 4 scores 12
    assert poster(scene, 15) == {"time": round(4.0 - 1 / 15, 3), "numbers_on_screen": 3, "beat": "beat 3"}
    log.points.append(point(5, 8.0, 13))  # a tie goes to the earlier animation
    assert poster(scene, 15)["beat"] == "beat 3"
    assert poster(SimpleNamespace(b=SimpleNamespace(log=AuditLog())), 15) == {
        "time": 0.0, "numbers_on_screen": 0, "beat": ""}


@dataclass(frozen=True)
class Config:
    seed: int = 3
    d_model: int = 4


def test_the_manifest_summarises_what_the_audits_saw() -> None:
    twice = Source("x", (0,))
    log = AuditLog([
        AuditPoint(1, "intro", 0.5, [(twice, "1.00"), (Source("x", (1,)), "2.00")], 0),
        AuditPoint(2, "bands", 1.5, [(twice, "1.00"), (Source("x", (0,), "dim"), "3"),
                                     (Source("msg", (), "string"), "boom")], 1, 4),
    ])
    scene = SimpleNamespace(b=SimpleNamespace(log=log), chapters=[(0.0, "intro"), (1.2345, "bands")],
                            caption_spans=[(0.1, 1.23456, "hello")], layout_audit=False,
                            layout=SimpleNamespace(summary=lambda: {}), lines=[], voice=None)
    result = SimpleNamespace(tensors=lambda: {"x": torch.tensor([1.0, 2.0, 3.0])}, strings=lambda: {"msg": "boom"},
                             training=lambda: None)
    topic = SimpleNamespace(name="demo", title="Demo", question="Why?")
    q = SimpleNamespace(width=854, height=480, fps=15)
    m = build_manifest(topic, Config(), result, scene, "low", q, "cpu")
    assert (m["topic"], m["title"], m["question"], m["seed"], m["device"]) == ("demo", "Demo", "Why?", 3, "cpu")
    assert m["config"] == {"seed": 3, "d_model": 4}
    assert m["quality"] == {"name": "low", "width": 854, "height": 480, "fps": 15}
    assert m["chapters"] == [{"start": 0.0, "title": "intro"}, {"start": 1.234, "title": "bands"}]
    assert m["captions"] == [{"start": 0.1, "end": 1.235, "text": "hello"}]
    assert m["tensors"] == {"x": {"shape": [3], "dtype": "float32", "values": [1.0, 2.0, 3.0]}}
    assert m["strings"] == {"msg": "boom"}
    audit = m["audit"]
    # counted here from the two points above: 2 + 3 texts compared, 4 distinct things, 1 heatmap, 4 marks
    assert (audit["animations_audited"], audit["numbers_checked"], audit["distinct_numbers_shown"]) == (2, 5, 4)
    assert (audit["heatmaps_checked"], audit["marks_checked"], audit["mismatches"]) == (1, 4, 0)
    assert audit["shown"] == [
        {"tensor": "x", "index": [0], "kind": "value", "text": "1.00"},
        {"tensor": "x", "index": [1], "kind": "value", "text": "2.00"},
        {"tensor": "x", "index": [0], "kind": "dim", "text": "3"},
        {"tensor": "msg", "index": [], "kind": "string", "text": "boom"},
    ]
    assert m["narration"] == {"voice": "none", "lines": []}  # a silent lecture
    assert json.loads(json.dumps(m)) == m


def test_a_real_manifest_is_plain_json_and_names_every_tensor(heads_dry: Outcome) -> None:
    m = heads_dry.manifest
    assert m["narration"]["voice"] == "none"  # silent, its lines still listed as they would be spoken
    assert [x["text"] for x in m["narration"]["lines"]] == [c["text"] for c in m["captions"]]
    assert json.loads(json.dumps(m)) == m
    tensors = heads_dry.scene.b.tensors
    assert set(m["tensors"]) == set(tensors)
    for key, t in tensors.items():
        entry = m["tensors"][key]
        assert entry["shape"] == list(t.shape), key
        if "values" in entry:
            assert torch.equal(torch.tensor(entry["values"], dtype=t.dtype), t), key
        else:
            assert entry["sha256"] == hashlib.sha256(t.contiguous().numpy().tobytes()).hexdigest(), key
