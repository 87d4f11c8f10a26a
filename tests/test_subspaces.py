"""The subspaces tensors and scene against independent torch: one trained head's projections, scores,
attention and output, the plotted points, and the claims the captions make about the trained head.

The trained weights (embedding table, W_q, W_k, W_v of tensors.trained) are taken as given inputs;
everything the lecture computes from them is recomputed here with plain torch, entry by entry.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tensors.common import ConfigError
from tensors.subspaces import SENTENCES, SubspacesConfig, build
from tensors.trained import WORDS, TrainConfig, trained
from tests.conftest import DryRun
from tests.shown import check_shown, positions, seen

CPU = torch.device("cpu")
HEAD = 1  # head 2, 0-based: trained to name the word after



def basis(w: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis of a weight's column space, from its SVD (the lecture uses QR)."""
    return torch.linalg.svd(w, full_matrices=False)[0]


def degrees(cos: torch.Tensor) -> torch.Tensor:
    return torch.tensor([math.degrees(math.acos(min(1.0, float(c)))) for c in cos])


def reference(X: torch.Tensor, W: dict[str, torch.Tensor], accuracy: float, W_q_full: torch.Tensor,
              n: torch.Tensor, i: int = 2, j: int = 3) -> dict[str, torch.Tensor]:
    """Recompute every derived tensor of the lecture from X, the trained weights and the blind direction n."""
    L = X.shape[0]
    Q, K, V = (torch.einsum("ld,dk->lk", X, W[r]) for r in ("Q", "K", "V"))
    terms = torch.tensor([[[float(Q[i, c]) * float(K[j, c]) for c in range(Q.shape[1])] for j in range(L)]
                          for i in range(L)])
    S = torch.tensor([[sum(float(Q[i, c]) * float(K[j, c]) for c in range(Q.shape[1])) for j in range(L)]
                      for i in range(L)])
    S_tied = torch.tensor([[sum(float(Q[i, c]) * float(Q[j, c]) for c in range(Q.shape[1])) for j in range(L)]
                           for i in range(L)])
    S_scaled = S / math.sqrt(Q.shape[1])
    e = torch.exp(S_scaled)
    A = e / e.sum(-1, keepdim=True)
    ticks = []
    for extent in (max(abs(float(v)) for t in (Q, K) for v in t.flatten()), float(V.abs().max())):
        t = max(m * 10.0 ** p for m in (1, 2, 5) for p in range(-4, 4) if m * 10.0 ** p <= 0.8 * extent)
        ticks.append([-t, t])
    return {"accuracy": torch.tensor(100 * accuracy), "head": torch.tensor(HEAD + 1),
            "band": torch.tensor([2 * HEAD + 1, 2 * HEAD + 2]), "X": X, "W_Q": W["Q"], "W_K": W["K"], "W_V": W["V"],
            "Q": Q, "K": K, "V": V, "K_T": K.T, "terms": terms, "S": S, "S_scaled": S_scaled, "A": A, "out": A @ V,
            "S_tied": S_tied, "ranks": torch.tensor([int(torch.linalg.svdvals(W[r]).gt(1e-5).sum()) for r in "QKV"]),
            "ticks": torch.tensor(ticks), "W_q_full": W_q_full,
            "x_terms": torch.tensor([[float(X[i, d]) * float(W["Q"][d, c]) for c in range(2)] for d in range(X.shape[1])]),
            "null": n, "null_maps": torch.stack([n @ W[r] for r in "QKV"]),
            "moved": torch.stack([(X[i] + n) @ W[r] for r in "QKV"]),
            "angles": torch.stack([degrees(torch.linalg.svdvals(basis(W["Q"]).T @ basis(W["K"])))[1],
                                   degrees(torch.linalg.svdvals(basis(W["Q"]).T @ basis(W["V"])))[0]]),
            "lengths": torch.stack([Q[i].norm(), K[j].norm(), S[i, j] / (Q[i].norm() * K[j].norm())]),
            "mix": A[i][:, None] * V,
            "mix_cum": torch.stack([sum((A[i, m] * V[m] for m in range(k)), torch.zeros(2)) for k in range(L + 1)])}


def inputs(L: int, seed: int = 0) -> tuple[torch.Tensor, dict[str, torch.Tensor], float]:
    """The trained model's input rows for the sentence of length L, and head 2's column band of each weight."""
    t = trained(TrainConfig(d_model=4, heads=2, seed=seed))
    ids = torch.tensor([WORDS.index(w) for w in SENTENCES[L]])
    X = t.table[ids] + positions(L, 4)
    W = {r: getattr(t, f"W_{r.lower()}")[:, 2 * HEAD:2 * HEAD + 2] for r in ("Q", "K", "V")}
    return X, W, t.accuracy


@pytest.mark.parametrize("L,seed", [(4, 0), (2, 3), (5, 1), (3, 7)])
def test_tensors_match_independent_torch(L: int, seed: int) -> None:
    r = build(SubspacesConfig(seq_len=L, query=1, key=2, seed=seed), CPU)
    X, W, acc = inputs(L, seed)
    blind_check(r.null, W)
    truth = reference(X, W, acc, trained(TrainConfig(d_model=4, heads=2, seed=seed)).W_q, r.null, 0, 1)
    for name, t in truth.items():
        tol = 0.05 if name == "angles" else 1e-5  # arccos near 1 loses digits: degrees within 0.05
        torch.testing.assert_close(getattr(r, name), t.to(getattr(r, name).dtype), rtol=1e-5, atol=tol, msg=name)
    torch.testing.assert_close(r.A, F.softmax(r.S / math.sqrt(2), dim=-1))
    # the convention: W = nn.Linear.weight.T, so X @ W == F.linear(X, weight)
    torch.testing.assert_close(r.Q, F.linear(r.X, r.W_Q.T.contiguous()))
    assert not torch.allclose(r.Q, r.K) and not torch.allclose(r.K, r.V) and not torch.allclose(r.Q, r.V)
    assert len(r.words) == L == len(set(r.words)) and set(r.words) <= set(WORDS)
    rec = r.training()
    assert rec["seed"] == seed and "the word after (head 2)" in rec["task"] and rec["held_out_accuracy"] >= 0.95


def test_what_the_captions_claim() -> None:
    """Head 2 looks one word ahead; S is not symmetric, Q Q^T is, its diagonal is never negative."""
    r = build(SubspacesConfig(), CPU)
    i, j = r.config.query - 1, r.config.key - 1
    assert (r.words[i], r.words[j]) == ("dog", "run") and j == i + 1
    L = r.S.shape[0]
    for k in range(L - 1):  # every row peaks at the word after, with most of the weight there
        assert int(r.S[k].argmax()) == k + 1 and float(r.A[k, k + 1]) > 0.8
    assert float(r.S[i, j]) > 0 > float(r.S[j, i])  # dog looks ahead at run; run does not look back
    assert float(r.S[i, j]) == pytest.approx(float(r.Q[i] @ r.K[j]))
    torch.testing.assert_close(r.S_tied, r.S_tied.T)
    assert torch.all(torch.diagonal(r.S_tied) >= 0)
    # dog's output lands next to run's value: nearer to it than to any other word's value
    dist = (r.V - r.out[i]).norm(dim=-1)
    assert int(dist.argmin()) == j and float(dist[j]) < 0.25 * float(dist.sort().values[1])
    for role in ("Q", "K", "V"):  # the ticks sit inside every plane
        extent = (torch.cat([r.Q, r.K]) if role != "V" else r.V).abs().max()
        assert float(r.ticks[1 if role == "V" else 0, 1]) <= extent


@pytest.mark.parametrize("L,seed", [(2, 0), (3, 0), (5, 0), (5, 2), (4, 5)])
def test_every_row_but_the_last_peaks_at_the_word_after(L: int, seed: int) -> None:
    """The score-matrix caption holds for every drawable sentence and these seeds."""
    r = build(SubspacesConfig(seq_len=L, query=1, key=2, seed=seed), CPU)
    for k in range(L - 1):
        assert int(r.S[k].argmax()) == k + 1 and float(r.A[k, k + 1]) > 0.8, k


@pytest.mark.parametrize("kwargs,message", [({"d_model": 3}, "the trained model has D = 4"),
                                            ({"seq_len": 3}, "--key 4 is past the end")])
def test_sizes_the_trained_head_cannot_show_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SubspacesConfig(**kwargs).validate()


def blind_check(n: torch.Tensor, W: dict[str, torch.Tensor]) -> None:
    """n is a unit direction W^Q cannot see, and among those the one W^V sees most."""
    assert float(n.norm()) == pytest.approx(1.0, abs=1e-5)
    assert float((n @ W["Q"]).abs().max()) < 1e-5
    P = torch.eye(W["Q"].shape[0]) - basis(W["Q"]) @ basis(W["Q"]).T  # projector onto what W^Q cannot see
    assert float((n @ W["V"]).norm()) == pytest.approx(float(torch.linalg.svdvals(P @ W["V"])[0]), rel=1e-4)


def truth_from_manifest(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the scene binds, recomputed from the trained inputs recorded in the manifest."""
    t, cfg = manifest["tensors"], manifest["config"]
    X = torch.tensor(t["X"]["values"])
    W = {r: torch.tensor(t[f"W_{r}"]["values"]) for r in ("Q", "K", "V")}
    n = torch.tensor(t["null"]["values"])
    blind_check(n, W)
    return reference(X, W, manifest["training"]["held_out_accuracy"], torch.tensor(t["W_q_full"]["values"]), n,
                     cfg["query"] - 1, cfg["key"] - 1)


def test_scene_numbers_equal_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("subspaces")
    manifest, scene = outcome.manifest, outcome.scene
    truth = truth_from_manifest(manifest)
    assert set(truth) == set(manifest["tensors"])
    X, W, _ = inputs(manifest["config"]["seq_len"], manifest["config"]["seed"])  # the manifest's inputs are the trained ones
    torch.testing.assert_close(truth["X"], X) and torch.testing.assert_close(truth["W_Q"], W["Q"])
    checked = check_shown(scene, truth)
    assert checked > 1000  # each compared with recomputed torch above
    assert manifest["audit"]["marks_checked"] > 100
    on_screen = seen(scene)
    for name in ("X", "W_Q", "W_K", "W_V", "Q", "K", "V", "K_T", "S", "S_tied"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    i, j = manifest["config"]["query"] - 1, manifest["config"]["key"] - 1
    assert {("terms", (i, j, 0)), ("terms", (i, j, 1)), ("S", (j, i)), ("out", (i, 0)), ("out", (i, 1))} <= on_screen
    assert all(("A", (i, k)) in on_screen for k in range(truth["A"].shape[1]))
    assert all((name, (i, k)) in on_screen for name in ("S", "S_scaled") for k in range(truth["S"].shape[1]))
    assert truth["ranks"].tolist() == [2, 2, 2]  # every map reads a whole plane of R^4
    assert {("angles", (0,)), ("angles", (1,))} <= on_screen
    assert all(("null_maps", (r, c)) in on_screen for r in range(3) for c in range(2))
    assert all(("x_terms", (d, c)) in on_screen for d in range(4) for c in range(2))
    assert float(truth["angles"][0]) < 5 < 60 < float(truth["angles"][1])  # the caption: Q and K share a plane, V not
    assert manifest["training"]["task"].endswith("the word after (head 2)")
    texts = [c["text"] for c in manifest["captions"]]
    assert any("trained to name the word after" in x for x in texts) and not any("random" in x for x in texts)


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
