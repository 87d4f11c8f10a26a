"""What the heads scene shows equals torch, recomputed here; planted faults fail the render."""

from __future__ import annotations

import hashlib
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from manim import DecimalNumber, MathTypst, Transform, tempconfig

import render
from driver.pipeline import Outcome
from scenes.heads import HeadsLecture
from scenes.kit.binding import AuditError
from tensors.heads import HeadsConfig, build
from tests.shown import check_published, check_shown, seen


def recompute(manifest: dict[str, Any], W_big: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch."""
    cfg = manifest["config"]
    H, d = cfg["heads"], cfg["head_size"]
    E = torch.tensor(manifest["tensors"]["E"]["values"])
    weight = torch.tensor(manifest["tensors"]["weight"]["values"])
    W_q = weight.T
    Q = E @ W_q
    Q_heads = torch.stack([Q[:, :, h * d:(h + 1) * d] for h in range(H)], dim=1)
    Q_paper = torch.stack([E @ W_q[:, h * d:(h + 1) * d] for h in range(H)], dim=1)
    Hb = cfg["big_heads"]
    db = W_big.shape[1] // Hb
    absmax = W_big.abs().max()
    return {
        "E": E, "weight": weight, "W_q": W_q, "Q": Q, "Q_heads": Q_heads, "Q_paper": Q_paper,
        "terms": E[..., :, None] * W_q,  # every product E[b, l, k] W^q[k, j] that Q's entries sum
        "W_q_heads": torch.stack([W_q[:, h * d:(h + 1) * d] for h in range(H)]),
        "max_abs_diff": (Q_paper - Q_heads).abs().max(), "W_big": W_big,
        "W_big_crop": W_big[:12, db - 16:db + 16], "crop_bounds": torch.tensor([1, 12, db - 15, db + 16]),
        "W_big_heads": torch.stack([W_big[:, h * db:(h + 1) * db] for h in range(Hb)]), "W_big_absmax": absmax,
        "colour_ramp": torch.linspace(-float(absmax), float(absmax), 256)[None, :],
    }


def redraw_inputs(cfg: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw E, the small weight and W_big again from the seed, as specified: one CPU generator seeded
    with the config's seed; E standard normal (B, L, D); then each weight like nn.Linear's default,
    uniform in +-1/sqrt(in) and stored (out, in): the small one (H*d_q, D), then the big one, transposed."""
    g = torch.Generator().manual_seed(cfg["seed"])
    D, n = cfg["d_model"], cfg["big_d_model"]
    E = torch.randn(cfg["batch"], cfg["seq_len"], D, generator=g)
    small, big = 1 / math.sqrt(D), 1 / math.sqrt(n)
    weight = torch.rand(cfg["heads"] * cfg["head_size"], D, generator=g) * 2 * small - small
    W_big = (torch.rand(n, n, generator=g) * 2 * big - big).T
    return E, weight, W_big


def test_every_number_shown_equals_recomputed_torch(heads_dry: Outcome) -> None:
    manifest, scene = heads_dry.manifest, heads_dry.scene
    E, weight, W_big = redraw_inputs(manifest["config"])
    # the re-draw follows the lecture's draws: the small inputs equal the manifest's own values
    torch.testing.assert_close(E, torch.tensor(manifest["tensors"]["E"]["values"]), rtol=0, atol=0)
    torch.testing.assert_close(weight, torch.tensor(manifest["tensors"]["weight"]["values"]), rtol=0, atol=0)
    entry = manifest["tensors"]["W_big"]  # too big to inline: the manifest has its checksum
    assert entry["shape"] == [manifest["config"]["big_d_model"]] * 2
    assert hashlib.sha256(W_big.contiguous().numpy().tobytes()).hexdigest() == entry["sha256"]
    torch.testing.assert_close(scene.b.tensors["W_big"], W_big, rtol=0, atol=0)
    truth = recompute(manifest, W_big)
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth)  # every (number, text) the audits saw, against torch recomputed here
    assert checked > 1000
    assert manifest["audit"]["animations_audited"] == len(scene.b.log.points) > 50
    # every entry of E, W^q and Q appears on screen at some point, and the manifest lists it
    on_screen = seen(scene)
    must = ("E", "W_q", "Q", "Q_heads", "Q_paper")
    for name in must:
        t = truth[name]
        idx = [tuple(i) for i in np.ndindex(*t.shape)]
        assert all((name, i) in on_screen for i in idx), name
    assert check_published(scene, manifest) >= sum(truth[name].numel() for name in must)


def test_inputs_shown_exactly(heads_dry: Outcome) -> None:
    """E and W^q are shown as their float32 values rounded to two decimals: no slack, no '-0.00'."""
    tensors = heads_dry.manifest["tensors"]
    inputs = {"E": torch.tensor(tensors["E"]["values"]), "W_q": torch.tensor(tensors["weight"]["values"]).T}
    count = 0
    for point in heads_dry.scene.b.log.points:
        for src, shown in point.shown:
            if src.tensor in inputs and src.kind == "value":
                assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", shown) and shown != "-0.00", shown
                value = Decimal(float(inputs[src.tensor][src.index]))  # the float's exact value
                assert abs(Decimal(shown) - value) <= Decimal("0.005"), (src.describe(), shown, value)
                count += 1
    assert count >= sum(t.numel() for t in inputs.values())


# -- planted faults --------------------------------------------------------------------------------
def dry_render(scene_cls: type, config: HeadsConfig | None = None) -> Any:
    result = build(config or HeadsConfig(), torch.device("cpu"))
    with tempconfig({"quality": "low_quality", "disable_caching": True, "verbosity": "ERROR",
                     "progress_bar": "none", "write_to_movie": False, "media_dir": "/tmp/faq-test-media"}):
        scene = scene_cls(result, dry_run=True)
        scene.render()
    return scene


class StaleTensor(HeadsLecture):
    """The tensor changes after its numbers were drawn."""

    def bands(self) -> None:
        self.b.tensors["Q"][0, 1, 2] += 0.5
        super().bands()


class MorphedNumber(HeadsLecture):
    """A Transform turns one bound number's glyphs into another number's."""

    beats = ("show_inputs", "morph")

    def morph(self) -> None:
        self.play(Transform(self.E.entry(0, 0), self.E.entry(1, 1).copy()))


class UnboundNumber(HeadsLecture):
    beats = ("intro", "sneak")

    def sneak(self) -> None:
        self.play(self.add_decimal())

    def add_decimal(self) -> Any:
        from manim import FadeIn

        return FadeIn(DecimalNumber(0.5, mob_class=MathTypst))


class SwappedCells(HeadsLecture):
    beats = ("show_inputs", "swap")

    def swap(self) -> None:
        a, b = self.E.entry(0, 0), self.E.entry(0, 1)
        pa, pb = a.get_center().copy(), b.get_center().copy()
        self.play(a.animate.move_to(pb), b.animate.move_to(pa))


class TamperedHeatmap(HeadsLecture):
    beats = ("real_scale",)

    def clear_stage(self, keep: tuple = ()) -> None:
        heat = next(m for m in self.mobjects if getattr(getattr(m, "bound", None), "heatmap", None))
        heat.pixel_array[10, 20, :3] = 255 - heat.pixel_array[10, 20, :3]
        self.wait(0.1)


@pytest.mark.parametrize(
    "scene_cls,pattern",
    [
        (StaleTensor, r"Q\[0, 1, 2\] shows -?\d\.\d\d but torch says -?\d\.\d\d \(exact"),
        (MorphedNumber, r"E\[0, 0, 0\] glyphs no longer spell"),
        (UnboundNumber, r"number 0.5 on screen has no source"),
        (SwappedCells, r"E\[0, 0, [01]\] \(shows -?\d\.\d\d\) is drawn outside its grid slot \(row 0, column [01]"),
        (TamperedHeatmap, r"heatmap W_big\[10, 20\] shows colour"),
    ],
)
def test_planted_fault_fails_the_render(scene_cls: type, pattern: str) -> None:
    with pytest.raises(AuditError, match=pattern) as err:
        dry_render(scene_cls)
    assert "\n" not in str(err.value)
    assert "after animation" in str(err.value)


def test_audit_failure_exits_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    original = HeadsLecture.bands

    def stale(self: HeadsLecture) -> None:
        self.b.tensors["Q"][0, 1, 2] += 0.5
        original(self)

    monkeypatch.setattr(HeadsLecture, "bands", stale)
    code = render.main(["heads", "--device", "cpu", "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("error: audit failed") and "Q[0, 1, 2]" in err[-1]
    assert not (tmp_path / "out" / "low").exists()  # no video for a failed audit
