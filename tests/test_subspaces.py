"""The subspaces tensors and scene against independent torch: projections, scores, plotted points, CLI."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tensors.subspaces import SubspacesConfig, build
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")


def reference(X: torch.Tensor, W: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Recompute every derived tensor of the lecture from X and the three weights, entry by entry."""
    L = X.shape[0]
    Q, K, V = (torch.einsum("ld,dk->lk", X, W[r]) for r in ("Q", "K", "V"))
    terms = torch.tensor([[[float(Q[i, c]) * float(K[j, c]) for c in range(Q.shape[1])] for j in range(L)]
                          for i in range(L)])
    S = torch.tensor([[sum(float(Q[i, c]) * float(K[j, c]) for c in range(Q.shape[1])) for j in range(L)]
                      for i in range(L)])
    S_tied = torch.tensor([[sum(float(Q[i, c]) * float(Q[j, c]) for c in range(Q.shape[1])) for j in range(L)]
                           for i in range(L)])
    extent = 0.8 * max(abs(float(v)) for t in (Q, K, V) for v in t.flatten())
    tick = max(m * 10.0 ** e for m in (1, 2, 5) for e in range(-4, 4) if m * 10.0 ** e <= extent)
    return {"X": X, "W_Q": W["Q"], "W_K": W["K"], "W_V": W["V"], "Q": Q, "K": K, "V": V, "K_T": K.T,
            "terms": terms, "S": S, "S_tied": S_tied, "ticks": torch.tensor([-tick, tick])}


@pytest.mark.parametrize("L,D,seed", [(4, 4, 0), (2, 2, 3), (5, 5, 1), (3, 4, 7)])
def test_tensors_match_independent_torch(L: int, D: int, seed: int) -> None:
    r = build(SubspacesConfig(seq_len=L, d_model=D, query=1, key=2, seed=seed), CPU)
    assert r.X.shape == (L, D) and all(w.shape == (D, 2) for w in (r.W_Q, r.W_K, r.W_V))
    truth = reference(r.X, {"Q": r.W_Q, "K": r.W_K, "V": r.W_V})
    for name, t in truth.items():
        torch.testing.assert_close(getattr(r, name), t.to(getattr(r, name).dtype), rtol=1e-5, atol=1e-6, msg=name)
    # the convention: W = nn.Linear.weight.T, so X @ W == F.linear(X, weight)
    torch.testing.assert_close(r.Q, F.linear(r.X, r.W_Q.T.contiguous()))
    # the three maps really differ, so one word lands in three different places
    assert not torch.allclose(r.Q, r.K) and not torch.allclose(r.K, r.V) and not torch.allclose(r.Q, r.V)
    # the words: one per row, distinct, and with no digits (they are drawn as prose)
    assert len(r.words) == L == len(set(r.words)) and not any(c.isdigit() for w in r.words for c in w)


def test_inputs_are_seeded_on_the_cpu_generator() -> None:
    r = build(SubspacesConfig(seed=5), CPU)
    g = torch.Generator().manual_seed(5)
    assert torch.equal(r.X, torch.randn((4, 4), generator=g))
    bound = 1 / math.sqrt(4)
    for W in (r.W_Q, r.W_K, r.W_V):  # nn.Linear's init, stored (out, in) = (2, D), shown transposed
        assert torch.equal(W, (torch.rand((2, 4), generator=g) * 2 * bound - bound).T)
    assert not torch.equal(r.X, build(SubspacesConfig(seed=6), CPU).X)


def test_what_the_captions_claim() -> None:
    """S is not symmetric, Q Q^T is, and its diagonal (squared lengths) is never negative."""
    r = build(SubspacesConfig(), CPU)
    i, j = r.config.query - 1, r.config.key - 1
    assert r.words[i] == "cat" and r.words[j] == "mice"
    assert float(r.S[i, j]) != pytest.approx(float(r.S[j, i]), abs=0.01)
    assert float(r.S[i, j]) == pytest.approx(float(r.Q[i] @ r.K[j]))
    assert torch.equal(r.S_tied, r.S_tied.T) or torch.allclose(r.S_tied, r.S_tied.T, atol=1e-7)
    assert torch.all(torch.diagonal(r.S_tied) >= 0)
    torch.testing.assert_close(torch.diagonal(r.S_tied), (r.Q ** 2).sum(-1))
    assert float(r.ticks[1]) <= torch.cat([r.Q, r.K, r.V]).abs().max()  # the tick is inside every plane


def truth_from_manifest(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the scene binds, recomputed from the inputs recorded in the manifest."""
    t = manifest["tensors"]
    X = torch.tensor(t["X"]["values"])
    W = {r: torch.tensor(t[f"W_{r}"]["values"]) for r in ("Q", "K", "V")}
    return reference(X, W)


def test_scene_numbers_equal_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("subspaces")
    manifest, scene = outcome.manifest, outcome.scene
    truth = truth_from_manifest(manifest)
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth)
    assert checked > 1000  # each compared with recomputed torch above
    assert manifest["audit"]["marks_checked"] > 100
    on_screen = seen(scene)
    for name in ("X", "W_Q", "W_K", "W_V", "Q", "K", "V", "K_T", "S", "S_tied"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    i, j = manifest["config"]["query"] - 1, manifest["config"]["key"] - 1
    assert {("terms", (i, j, 0)), ("terms", (i, j, 1)), ("S", (j, i))} <= on_screen


def test_plotted_points_are_the_rows_of_q_k_v(dry: DryRun) -> None:
    """Each dot of the three planes sits at (row[0], row[1]) of its tensor, in the plane's own axes."""
    outcome = dry("subspaces")
    scene, truth = outcome.scene, truth_from_manifest(outcome.manifest)
    assert [p.role for p in scene.planes] == ["Q", "K", "V"]
    for plane, dots in zip(scene.planes, scene.dots):
        role = plane.role
        assert len(dots) == truth[role].shape[0]
        lo, hi = plane.corner_lo.get_center(), plane.corner_hi.get_center()
        (x0, x1), (y0, y1) = plane.x_range, plane.y_range
        for k, dot in enumerate(dots):
            src = dot.bound.sources
            assert (src["x"].tensor, src["x"].index, src["y"].tensor, src["y"].index) == (role, (k, 0), role, (k, 1))
            x, y = (float(v) for v in truth[role][k])
            want = (lo[0] + (x - x0) / (x1 - x0) * (hi[0] - lo[0]), lo[1] + (y - y0) / (y1 - y0) * (hi[1] - lo[1]))
            assert dot.get_center()[:2] == pytest.approx(want, abs=2e-3), (role, k)
