"""The sharing tensors against independent torch: one weight serves the batch, bit for bit."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tensors.sharing import SharingConfig, SharingResult, build, watched_call
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
SIZES = [(4, 3, 3, 0), (2, 2, 2, 1), (4, 4, 4, 2), (3, 2, 4, 3)]


@pytest.fixture(scope="module", params=SIZES, ids=lambda p: "N{}-T{}-d{}-seed{}".format(*p))
def result(request: pytest.FixtureRequest) -> SharingResult:
    N, T, d, seed = request.param
    return build(SharingConfig(batch=N, seq_len=T, d_model=d, seed=seed), CPU)


def weights(r: SharingResult) -> list[torch.Tensor]:
    return [r.weight_q, r.weight_k, r.weight_v]


def test_batched_equals_each_sample_alone_exactly(result: SharingResult) -> None:
    """A fresh nn.Linear holding the same weight: per-sample calls == the batched call, difference 0."""
    r = result
    N, T, d = r.X.shape
    for i, w in enumerate(weights(r)):
        layer = torch.nn.Linear(d, d, bias=False)
        with torch.no_grad():
            layer.weight.copy_(w)
            batched = layer(r.X)  # (N, T, d)
            alone = torch.stack([layer(r.X[n]) for n in range(N)])
        assert batched.shape == (N, T, d)
        torch.testing.assert_close(batched, r.X @ w.detach().T)  # the paper's X W with W = weight.T
        assert float((alone - batched).abs().max()) == 0.0  # as torch reports it on the CPU
        assert torch.equal(alone, batched)
        want = (alone - batched).abs().amax(dim=(1, 2))
        assert torch.equal(r.diff[i], want)
    assert float(r.max_diff) == float(r.diff.max()) == 0.0


def test_lecture_products_are_the_paper_products(result: SharingResult) -> None:
    r = result
    assert torch.equal(r.W_Q, r.weight_q.detach().T)
    for n in range(r.X.shape[0]):
        torch.testing.assert_close(r.Q[n], r.X[n] @ r.W_Q, rtol=1e-6, atol=1e-6)
        assert torch.equal(r.Q_alone[n], F.linear(r.X[n], r.weight_q.detach()))
    assert torch.equal(r.Q, F.linear(r.X, r.weight_q.detach()))


def test_every_call_used_the_same_weight_object(result: SharingResult) -> None:
    r = result
    N = r.X.shape[0]
    assert r.ptr.dtype == torch.int64 and r.ptr.shape == (N, 3) and r.ptr_batch.shape == (1, 3)
    for i, w in enumerate(weights(r)):
        assert isinstance(w, torch.nn.Parameter)
        assert all(int(p) == w.data_ptr() for p in r.ptr[:, i])  # per-sample calls read this very storage
        assert int(r.ptr_batch[0, i]) == w.data_ptr()
    assert len({w.data_ptr() for w in weights(r)}) == 3  # three different weights, each shared
    assert r.strings() == {"same_q": "True", "same_k": "True", "same_v": "True"}


def test_the_hook_tells_copies_apart() -> None:
    """The evidence can fail: a per-sample copy of the layer shows another weight and another address."""
    layer = torch.nn.Linear(3, 3, bias=False)
    twin = copy.deepcopy(layer)
    x = torch.randn(2, 3)
    _, w_a = watched_call(layer, x)
    _, w_b = watched_call(twin, x)
    _, w_c = watched_call(layer, x)
    assert w_a is w_c and w_a.data_ptr() == w_c.data_ptr()
    assert w_a is not w_b and w_a.data_ptr() != w_b.data_ptr()


def test_parameter_counts(result: SharingResult) -> None:
    r = result
    N, _, d = r.X.shape
    mha = torch.nn.MultiheadAttention(d, 1, bias=False)  # torch's own W_Q, W_K, W_V, stacked
    assert int(r.n_shared) == mha.in_proj_weight.numel() == 3 * d * d
    assert r.numel.tolist() == [d * d] * 3
    assert int(r.n_per_sample) == N * 3 * d * d
    assert int(r.big_shared) == 3 * 512 * 512 == 786432
    assert int(r.big_per_sample) == 32 * 786432


def test_real_scale_follows_the_config() -> None:
    r = build(SharingConfig(big_d_model=64, big_batch=8), CPU)
    assert (int(r.big_d), int(r.big_batch)) == (64, 8)
    assert int(r.big_shared) == 3 * 64 * 64 and int(r.big_per_sample) == 8 * 3 * 64 * 64


def test_seed_reproducible() -> None:
    a, b, c = (build(SharingConfig(seed=s), CPU) for s in (5, 5, 6))
    assert torch.equal(a.X, b.X) and torch.equal(a.weight_q, b.weight_q) and torch.equal(a.Q, b.Q)
    assert not torch.equal(a.X, c.X)


# -- the scene against torch, recomputed from the manifest -------------------------------------
def recompute(manifest: dict[str, Any], live: SharingResult) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch."""
    cfg, tensors = manifest["config"], manifest["tensors"]
    N = cfg["batch"]
    X = torch.tensor(tensors["X"]["values"])
    ws = [torch.tensor(tensors[f"weight_{r}"]["values"]) for r in "qkv"]
    batched = [torch.einsum("ntc,oc->nto", X, w) for w in ws]  # another code path than nn.Linear
    alone = [torch.stack([X[n] @ w.T for n in range(N)]) for w in ws]
    diff = torch.stack([(a - b).abs().amax(dim=(1, 2)) for a, b in zip(alone, batched)])
    # the addresses cannot come from a file: ask torch for the storage of the weights the scene was built from
    ptrs = torch.tensor([w.data_ptr() for w in (live.weight_q, live.weight_k, live.weight_v)], dtype=torch.int64)
    numel = torch.tensor([w.numel() for w in ws])
    big_shared = 3 * cfg["big_d_model"] ** 2
    return {
        "X": X, "weight_q": ws[0], "weight_k": ws[1], "weight_v": ws[2], "W_Q": ws[0].T, "Q": batched[0],
        "Q_alone": alone[0], "diff": diff, "max_diff": diff.max(), "ptr": ptrs.expand(N, 3), "ptr_batch": ptrs[None],
        "numel": numel, "n_shared": numel.sum(), "n_per_sample": N * numel.sum(),
        "big_d": torch.tensor(cfg["big_d_model"]), "big_batch": torch.tensor(cfg["big_batch"]),
        "big_shared": torch.tensor(big_shared), "big_per_sample": torch.tensor(cfg["big_batch"] * big_shared),
    }


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("sharing")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest, scene.result)
    assert set(truth) == set(manifest["tensors"])
    assert manifest["tensors"]["ptr"]["values"] == truth["ptr"].tolist()  # recorded == what torch says now
    checked = check_shown(scene, truth, strings={"same_q": "True", "same_k": "True", "same_v": "True"})
    assert checked == manifest["audit"]["numbers_checked"] > 500
    on_screen = seen(scene)
    for name in ("X", "W_Q", "Q", "Q_alone", "ptr", "ptr_batch", "numel"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    for name in ("max_diff", "n_shared", "n_per_sample", "big_shared", "big_per_sample"):
        assert (name, ()) in on_screen, name
    assert all(("diff", (0, n)) in on_screen for n in range(manifest["config"]["batch"]))
    strings = {s.tensor for p in scene.b.log.points for s, _ in p.shown if s.kind == "string"}
    assert strings == {"same_q", "same_k", "same_v"}


def test_difference_is_shown_as_torch_reports_it(dry: DryRun) -> None:
    outcome = dry("sharing")
    shown = {(s.tensor, s.index): text for p in outcome.scene.b.log.points for s, text in p.shown}
    assert shown[("max_diff", ())] == "0"  # exactly zero on the CPU, and the scene says so
    captions = " ".join(c["text"] for c in outcome.manifest["captions"])
    assert "exactly 0" in captions
