"""The scaling tensors against independent torch: variances, histograms, saturation and its gradient."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from tensors.scaling import ScalingConfig, ScalingResult, build
from tests.conftest import DryRun
from tests.shown import check_published, check_shown, seen

CPU = torch.device("cpu")


# -- an independent recomputation: plain torch, its own code path ------------------------------------
def redraw(cfg: dict[str, Any]) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor], tuple[torch.Tensor, ...]]:
    """Draw the lecture's inputs again from its seed: q and k per d_k (q first), then the saturation q, K, v."""
    g = torch.Generator().manual_seed(cfg["seed"])
    qs, ks = [], []
    for d in (cfg["d_small"], cfg["d_medium"], cfg["d_large"]):
        qs.append(torch.randn(cfg["samples"], d, generator=g))
        ks.append(torch.randn(cfg["samples"], d, generator=g))
    sat = (torch.randn(cfg["d_large"], generator=g), torch.randn(cfg["keys"], cfg["d_large"], generator=g),
           torch.randn(cfg["keys"], generator=g))
    dots = [torch.einsum("nd,nd->n", q, k) for q, k in zip(qs, ks)]
    return qs, ks, dots, sat


def bin_by_hand(x: torch.Tensor, lo: float, hi: float, bins: int) -> torch.Tensor:
    """Count x in `bins` equal bins over [lo, hi], the last bin closed, without torch.histc."""
    idx = torch.floor((x.double() - lo) / (hi - lo) * bins).long().clamp(0, bins - 1)
    return torch.bincount(idx, minlength=bins).double()


def saturation(q: torch.Tensor, K: torch.Tensor, v: torch.Tensor) -> dict[str, torch.Tensor]:
    """Recompute the saturation example in float64: scores, softmax by hand, autograd gradient."""
    q, K, v = q.double(), K.double(), v.double()
    raw = torch.mv(K, q)  # (L,)
    rows = torch.stack([raw, raw / math.sqrt(q.shape[0])])  # (2, L)
    weights, grads = [], []
    for s in rows:
        leaf = s.clone().requires_grad_(True)
        e = torch.exp(leaf - leaf.max())
        w = e / e.sum()
        (w * v).sum().backward()
        weights.append(w.detach())
        grads.append(leaf.grad)
    w, gr = torch.stack(weights), torch.stack(grads)
    top, best = w.sort(dim=-1, descending=True).values, rows.sort(dim=-1, descending=True).values
    norm = gr.pow(2).sum(-1).sqrt()
    return {"sat_q": q, "sat_k": K, "sat_v": v, "sat_scores": rows, "sat_weights": w, "sat_max": top[:, 0],
            "sat_next": top[:, 1], "sat_gap": best[:, 0] - best[:, 1], "sat_extremes": best[0, [-1, 0]],
            "sat_grad": gr, "sat_grad_norm": norm, "sat_grad_ratio": norm[1] / norm[0]}


def variance_tolerance(d: int, n: int) -> float:
    """Return five standard errors of a sample variance of q . k: Var(s^2) = 2 d^2 + 6 d for unit normals."""
    return 5 * math.sqrt((2 * d * d + 6 * d) / n)


@pytest.fixture(scope="module")
def result() -> ScalingResult:
    return build(ScalingConfig(), CPU)


# -- 1. tensors against independent torch ------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"d_small": 2, "d_medium": 16, "d_large": 128, "samples": 8000, "seed": 3},
                                    {"d_small": 8, "d_medium": 100, "d_large": 1024, "samples": 4000, "seed": 11}])
def test_measured_variance_is_d_k(kwargs: dict[str, int]) -> None:
    cfg = ScalingConfig(**kwargs)
    r = build(cfg, CPU)
    _, _, dots, _ = redraw(vars(cfg))
    for k, d in enumerate(cfg.d_ks):
        torch.testing.assert_close(r.samples[k], dots[k], rtol=1e-5, atol=1e-4)
        var = float(dots[k].double().var())
        assert abs(var - d) < variance_tolerance(d, cfg.samples), (d, var)
        assert float(r.var[k]) == pytest.approx(var, rel=1e-4)
        assert float(r.std[k]) == pytest.approx(math.sqrt(var), rel=1e-4)
        assert float(r.sqrt_dk[k]) == pytest.approx(math.sqrt(d), rel=1e-6)
        assert abs(float(r.std[k]) / math.sqrt(d) - 1) < 0.05
        # after dividing by sqrt(d_k) the spread is one, whatever d_k
        assert abs(float(r.scaled_std[k]) - 1) < 0.05
        torch.testing.assert_close(r.scaled[k], dots[k] / math.sqrt(d), rtol=1e-5, atol=1e-5)
    # the std grows by the ratio of the square roots
    assert float(r.std[2] / r.std[0]) == pytest.approx(math.sqrt(cfg.d_large / cfg.d_small), rel=0.06)


def test_histogram_counts_are_the_samples_binned(result: ScalingResult) -> None:
    r, bins = result, result.config.bins
    reach = float(r.scaled.abs().max())
    assert r.scaled_edges.shape == (bins + 1,) and float(r.scaled_edges[0]) == -reach
    torch.testing.assert_close(r.scaled_edges.double(), torch.linspace(-reach, reach, bins + 1, dtype=torch.float64),
                               rtol=1e-6, atol=1e-5)
    roots = torch.tensor([math.sqrt(d) for d in r.config.d_ks], dtype=torch.float64)
    # row k's unscaled bins are the scaled bins times sqrt(d_k): dividing by sqrt(d_k) squeezes bar onto bar
    torch.testing.assert_close(r.edges.double(), r.scaled_edges.double()[None] * roots[:, None], rtol=1e-5, atol=1e-4)
    for k in range(3):
        for x, edges, counts in ((r.scaled[k], r.scaled_edges, r.scaled_counts[k]),
                                 (r.samples[k], r.edges[k], r.counts[k])):
            lo, hi = float(edges[0]), float(edges[-1])
            assert torch.equal(counts, torch.histc(x, bins=bins, min=lo, max=hi))
            by_hand = bin_by_hand(x, lo, hi, bins)
            assert (counts.double() - by_hand).abs().sum() <= 2, (k, (counts.double() - by_hand).abs().max())
            assert float(counts.sum()) == r.config.samples  # every sample counted once
        # the squeeze is honest: the unscaled samples over row k's bins are counted as the scaled ones
        assert torch.equal(r.counts[k], r.scaled_counts[k])
    assert r.ticks.tolist() == [-float(r.edges[-1, -1]), 0.0, float(r.edges[-1, -1])]
    assert r.scaled_ticks.tolist() == [float(r.scaled_edges[0]), 0.0, float(r.scaled_edges[-1])]
    # on the shared unscaled axis the largest d_k's histogram is sqrt(d_large / d_small) times wider
    assert float(r.edges[2, -1] / r.edges[0, -1]) == pytest.approx(math.sqrt(r.config.d_large / r.config.d_small),
                                                                   rel=1e-5)


def test_one_score_is_a_sum_of_unit_variance_products(result: ScalingResult) -> None:
    r = result
    qs, ks, _, _ = redraw(vars(r.config))
    assert torch.equal(r.example_q, qs[0][0]) and torch.equal(r.example_k, ks[0][0])
    assert float(r.example_dot) == pytest.approx(float(torch.dot(qs[0][0], ks[0][0])), abs=1e-6)
    assert float(r.example_prod.sum()) == pytest.approx(float(r.example_dot), abs=1e-6)
    prods = (qs[0] * ks[0]).double().flatten()
    assert abs(float(prods.mean())) < 0.03  # mean zero
    assert float(r.prod_var) == pytest.approx(float(prods.var()), rel=1e-4)
    assert abs(float(r.prod_var) - 1) < 5 * math.sqrt(8 / prods.numel())  # Var((q k)^2) = 9 - 1


def test_unscaled_softmax_saturates_and_its_gradient_vanishes(result: ScalingResult) -> None:
    r = result
    _, _, _, (q, K, v) = redraw(vars(r.config))
    truth = saturation(q, K, v)
    for name in ("sat_scores", "sat_weights", "sat_max", "sat_next", "sat_gap", "sat_extremes", "sat_grad",
                 "sat_grad_norm"):
        torch.testing.assert_close(getattr(r, name), truth[name], rtol=1e-6, atol=1e-12)
    # the saturation, measured here: max weight next to one, the gradient next to zero
    assert float(truth["sat_max"][0]) > 1 - 1e-6 and float(truth["sat_max"][1]) < 0.7
    assert float(truth["sat_grad_norm"][0]) < 1e-6
    assert float(truth["sat_grad_norm"][1]) > 0.1
    assert float(r.sat_grad_ratio) == pytest.approx(float(truth["sat_grad_ratio"]), rel=1e-6)
    # the same gradient from the softmax Jacobian diag(w) - w w^T, by hand
    for row in range(2):
        w = truth["sat_weights"][row]
        jac = torch.diag(w) - torch.outer(w, w)
        torch.testing.assert_close(r.sat_grad[row], jac @ v.double(), rtol=1e-6, atol=1e-15)


@pytest.mark.parametrize("seed", [1, 2, 5, 7, 9])
def test_saturation_holds_for_other_seeds(seed: int) -> None:
    cfg = ScalingConfig(seed=seed, samples=2000)
    _, _, _, (q, K, v) = redraw(vars(cfg))
    truth = saturation(q, K, v)
    r = build(cfg, CPU)
    torch.testing.assert_close(r.sat_grad_norm, truth["sat_grad_norm"], rtol=1e-6, atol=1e-15)
    assert float(truth["sat_max"][0]) > 0.9
    assert float(truth["sat_max"][1]) < 0.7
    assert float(truth["sat_grad_norm"][0]) < 0.5 * float(truth["sat_grad_norm"][1])


def test_seed_reproducible() -> None:
    a, b = build(ScalingConfig(samples=2000), CPU), build(ScalingConfig(samples=2000), CPU)
    c = build(ScalingConfig(samples=2000, seed=1), CPU)
    assert torch.equal(a.samples, b.samples) and torch.equal(a.sat_k, b.sat_k)
    assert not torch.equal(a.samples, c.samples)


# -- 2. what the scene showed against torch recomputed here --------------------------------------------
def test_scene_numbers_equal_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("scaling")
    manifest, scene = outcome.manifest, outcome.scene
    cfg = manifest["config"]
    qs, ks, dots, (q, K, v) = redraw(cfg)
    recorded = {k: torch.tensor(e["values"]) for k, e in manifest["tensors"].items() if "values" in e}
    for name, drawn in (("sat_q", q), ("sat_k", K), ("sat_v", v)):  # the recorded inputs are the seeded draws
        assert torch.equal(recorded[name].float(), drawn), name
    truth: dict[str, torch.Tensor] = saturation(recorded["sat_q"], recorded["sat_k"], recorded["sat_v"])
    d_ks = [cfg["d_small"], cfg["d_medium"], cfg["d_large"]]
    samples = torch.stack(dots).double()
    scaled = samples / torch.tensor(d_ks, dtype=torch.float64).sqrt()[:, None]
    truth["d_k"] = torch.tensor(d_ks)
    truth["sqrt_dk"] = torch.tensor([math.sqrt(d) for d in d_ks])
    truth["example_q"], truth["example_k"] = qs[0][0], ks[0][0]
    truth["example_prod"] = qs[0][0] * ks[0][0]
    truth["example_dot"] = torch.dot(qs[0][0], ks[0][0])
    truth["prod_var"] = (qs[0] * ks[0]).double().var()
    truth["samples"], truth["scaled"] = samples, scaled
    truth["var"] = samples.var(dim=-1)
    for prefix, x, span in (("", samples, "std_span"), ("scaled_", scaled, "scaled_span")):
        std = x.std(dim=-1)
        truth[f"{prefix}std"] = std
        truth[span] = torch.stack([-std, std], dim=-1)
    reach = float(scaled.abs().max())
    roots = torch.tensor(d_ks, dtype=torch.float64).sqrt()
    truth["scaled_edges"] = torch.linspace(-reach, reach, cfg["bins"] + 1, dtype=torch.float64)
    truth["scaled_counts"] = torch.stack([bin_by_hand(row, -reach, reach, cfg["bins"]) for row in scaled])
    truth["scaled_ticks"] = torch.tensor([-reach, 0.0, reach])
    truth["edges"] = truth["scaled_edges"][None] * roots[:, None]
    truth["counts"] = truth["scaled_counts"]  # the same bins, squeezed: counted once, the same counts
    truth["ticks"] = torch.tensor([-reach * roots[-1], 0.0, reach * roots[-1]])
    truth["sat_weight_ratio"] = truth["sat_max"] / truth["sat_next"]
    truth["sat_exp_gap"] = truth["sat_gap"].exp()  # e to the gap, computed here, not taken from the ratio
    truth["sat_pair"] = torch.argsort(truth["sat_scores"][0], descending=True)[:2]
    truth["unit"] = torch.tensor([0.0, 1.0])
    truth["grad_tick"] = truth["sat_grad"].abs().max()
    truth["sat_out"] = (truth["sat_weights"] * truth["sat_v"]).sum(dim=-1)  # o = w . v, summed by hand
    truth["n_samples"] = torch.tensor(float(cfg["samples"]))
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth)  # every (number, text) the audits saw, against torch recomputed here
    assert checked > 1000
    on_screen = seen(scene)
    bins, L = cfg["bins"], cfg["keys"]
    must = (("counts", (3, bins)), ("edges", (3, bins + 1)), ("std", (3,)), ("sqrt_dk", (3,)), ("scaled_std", (3,)),
            ("std_span", (3, 2)), ("d_k", (3,)), ("sat_v", (L,)), ("sat_weight_ratio", (2,)), ("ticks", (3,)),
            ("sat_gap", (2,)), ("sat_exp_gap", (2,)),
            ("scaled_ticks", (3,)), ("example_q", (cfg["d_small"],)),
            ("example_k", (cfg["d_small"],)), ("example_prod", (cfg["d_small"],)),
            ("sat_scores", (2, L)), ("sat_weights", (2, L)), ("sat_grad", (2, L)),
            ("sat_grad_norm", (2,)), ("sat_max", (2,)), ("sat_next", (2,)), ("sat_out", (2,)))
    for name, shape in must:
        assert all((name, tuple(i)) in on_screen for i in np.ndindex(*shape)), name
    assert {("example_dot", ()), ("prod_var", ()), ("n_samples", ())} <= on_screen
    assert check_published(scene, manifest) >= sum(math.prod(shape) for _, shape in must) + 2
    # the plotted bars are the counts: every bar of every histogram was checked against its value
    assert manifest["audit"]["marks_checked"] > 6 * bins
    # the chain on screen: e to the shown gap and the shown weight ratio read the same, on both sides
    shown = {(s.tensor, s.index): text for p in scene.b.log.points for s, text in p.shown if s.kind == "value"}
    for row in range(2):
        assert shown[("sat_exp_gap", (row,))] == shown[("sat_weight_ratio", (row,))]


def test_captions_bind_the_measured_numbers(dry: DryRun) -> None:
    manifest = dry("scaling").manifest
    texts = " ".join(c["text"] for c in manifest["captions"])
    t = manifest["tensors"]
    assert f"{t['std']['values'][-1]:.2f} against {t['sqrt_dk']['values'][-1]:.2f}" in texts
    assert f"{t['sat_max']['values'][0]:.2f}" in texts and f"{t['sat_grad_norm']['values'][0]:.2g}" in texts
    assert f"about {t['sat_grad_ratio']['values']:.2g} times larger" in texts
    gap = t["sat_gap"]["values"]
    assert f"beats the next by {gap[0]:.2f}" in texts and f"the gap is {gap[1]:.2f}" in texts
    ratio = t["sat_weight_ratio"]["values"]
    assert f"the top weight is {ratio[0]:.2g} times the next" in texts
    lo, hi = t["sat_extremes"]["values"]
    assert f"range from {lo:.2g} to {hi:.2g}" in texts
    out = t["sat_out"]["values"]
    assert f"{out[0]:.2f} unscaled, {out[1]:.2f} scaled" in texts
    assert f"{t['d_k']['values'][0]} stays a little peakier" in texts  # the zoom's caption does not claim a match
    assert "same bins" not in texts and "coincide" not in texts and "keeps learning" not in texts


# -- 3. validation -------------------------------------------------------------------------------------
