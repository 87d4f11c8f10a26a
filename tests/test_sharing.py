"""The sharing tensors against independent torch: one weight serves the batch, bit for bit."""

from __future__ import annotations

import copy
import re
from types import SimpleNamespace
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
    live = [layer.weight for layer in r.layers]
    for i, w in enumerate(live):
        assert isinstance(w, torch.nn.Parameter)
        assert all(int(p) == w.data_ptr() for p in r.ptr[:, i])  # per-sample calls read this very storage
        assert int(r.ptr_batch[0, i]) == w.data_ptr()
    assert len({w.data_ptr() for w in live}) == 3  # three different weights, each shared
    assert int(r.ptr_step[0]) == int(r.ptr_step[1]) == live[0].data_ptr()  # the step updated W_Q in place
    texts = r.strings()
    assert {k: texts[k] for k in ("same_q", "same_k", "same_v")} == {"same_q": "True", "same_k": "True", "same_v": "True"}
    want = f"0x…{live[0].data_ptr() % 16 ** 6:06x}"  # the end of W_Q's address, recomputed from the live weight
    assert texts["addr_batch"] == texts["addr_before"] == texts["addr_after"] == want
    assert all(texts[f"addr_{n + 1}"] == want for n in range(N))


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


def test_one_step_updates_the_shared_weight_from_every_sample(result: SharingResult) -> None:
    """Recompute the step with plain tensors: per-sample losses, their gradients, their sum, the update."""
    r = result
    N = r.X.shape[0]
    W = r.W_Q.clone().requires_grad_(True)  # the paper's layout: X @ W
    each = torch.stack([((r.X[n] @ W - r.Y[n]) ** 2).mean() for n in range(N)])
    torch.testing.assert_close(r.loss_each, each.detach())
    torch.testing.assert_close(r.loss, each.detach().mean())
    shares = torch.stack([torch.autograd.grad(each[n] / N, W, retain_graph=True)[0] for n in range(N)])
    torch.testing.assert_close(r.grad_each, shares)
    (grad,) = torch.autograd.grad(((r.X @ W - r.Y) ** 2).mean(), W)  # the batch loss, in one expression
    torch.testing.assert_close(r.grad, grad)
    torch.testing.assert_close(shares.sum(0), grad)  # the batch gradient is the sum of the samples' shares
    assert float(r.grad_gap) == float((r.grad_each.sum(0) - r.grad).abs().max()) < 1e-6
    torch.testing.assert_close(r.W_Q_new, r.W_Q - float(r.lr) * grad)
    torch.testing.assert_close(r.W_Q_new, r.layers[0].weight.detach().T)  # the live layer holds the new values
    torch.testing.assert_close(r.loss_each_new, ((r.X @ r.W_Q_new - r.Y) ** 2).mean(dim=(1, 2)))
    assert float(r.loss_new) < float(r.loss)


def test_default_step_lowers_every_sample_loss() -> None:
    r = build(SharingConfig(), CPU)  # the lecture says so for its default sizes
    assert bool((r.loss_each_new < r.loss_each).all())


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
    ptrs = torch.tensor([layer.weight.data_ptr() for layer in live.layers], dtype=torch.int64)
    numel = torch.tensor([w.numel() for w in ws])
    Y = torch.tensor(tensors["Y"]["values"])
    lr = torch.tensor(tensors["lr"]["values"])
    W = ws[0].T.clone().requires_grad_(True)
    each = torch.stack([((X[n] @ W - Y[n]) ** 2).mean() for n in range(N)])
    shares = torch.stack([torch.autograd.grad(each[n] / N, W, retain_graph=True)[0] for n in range(N)])
    (grad,) = torch.autograd.grad(((X @ W - Y) ** 2).mean(), W)
    W_new = (W - lr * grad).detach()
    each_new = ((X @ W_new - Y) ** 2).mean(dim=(1, 2))
    step = {
        "Y": Y, "lr": lr, "loss_each": each.detach(), "loss": each.detach().mean(), "grad_each": shares,
        "grad": grad, "grad_gap": (shares.sum(0) - grad).abs().max(), "W_Q_new": W_new,
        "ptr_step": ptrs[:1].expand(2), "loss_each_new": each_new, "loss_new": each_new.mean(),
    }
    big_shared = 3 * cfg["big_d_model"] ** 2
    return {
        **step, "W_K": ws[1].T, "W_V": ws[2].T,
        "X": X, "weight_q": ws[0], "weight_k": ws[1], "weight_v": ws[2], "W_Q": ws[0].T, "Q": batched[0],
        "Q_alone": alone[0], "diff": diff, "max_diff": diff.max(), "ptr": ptrs.expand(N, 3), "ptr_batch": ptrs[None],
        "numel": numel, "n_shared": numel.sum(), "n_per_sample": N * numel.sum(),
        "big_d": torch.tensor(cfg["big_d_model"]), "big_batch": torch.tensor(cfg["big_batch"]),
        "big_shared": torch.tensor(big_shared), "big_per_sample": torch.tensor(cfg["big_batch"] * big_shared),
    }


def check_counts(scene: Any, truth: dict[str, torch.Tensor]) -> int:
    """Check every number shown with thousands separators ('n'): digits in groups of three, equal to torch's."""
    checked = 0
    for point in scene.b.log.points:
        for src, shown in point.shown:
            if src.kind == "value" and src.style == "n":
                assert re.fullmatch(r"[1-9][0-9]{0,2}(,[0-9]{3})*", shown), shown
                assert int(shown.replace(",", "")) == int(truth[src.tensor][src.index]), (src.describe(), shown)
                checked += 1
    return checked


def without_counts(scene: Any) -> Any:
    """Return a view of the scene whose audit log leaves out the 'n' numbers (tests.shown reads them as decimals)."""
    points = [SimpleNamespace(shown=[(s, t) for s, t in p.shown if not (s.kind == "value" and s.style == "n")])
              for p in scene.b.log.points]
    return SimpleNamespace(b=SimpleNamespace(log=SimpleNamespace(points=points)))


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("sharing")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest, scene.result)
    assert set(truth) == set(manifest["tensors"])
    assert manifest["tensors"]["ptr"]["values"] == truth["ptr"].tolist()  # recorded == what torch says now
    counts = check_counts(scene, truth)  # parameter counts, written with thousands separators
    # W_Q's address as torch reports it now for the weight the scene was built from: its last six hex digits
    addr = f"0x…{int(truth['ptr'][0, 0]) % 16 ** 6:06x}"
    N = manifest["config"]["batch"]
    texts = {"same_q": "True", "same_k": "True", "same_v": "True", "addr_batch": addr, "addr_before": addr,
             "addr_after": addr, **{f"addr_{n + 1}": addr for n in range(N)}}
    checked = check_shown(without_counts(scene), truth, strings=texts)
    assert counts >= 4 and checked + counts == manifest["audit"]["numbers_checked"] > 500
    on_screen = seen(scene)
    for name in ("X", "W_Q", "W_K", "W_V", "Q", "Q_alone", "numel", "diff", "grad_each", "grad",
                 "W_Q_new", "loss_each", "loss_each_new"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    for name in ("n_shared", "n_per_sample", "big_shared", "big_per_sample", "lr"):
        assert (name, ()) in on_screen, name
    strings = {s.tensor for p in scene.b.log.points for s, _ in p.shown if s.kind == "string"}
    assert strings == set(texts)  # every call's address, the batched call's, before and after the step


def test_difference_is_shown_as_torch_reports_it(dry: DryRun) -> None:
    outcome = dry("sharing")
    shown = {(s.tensor, s.index): text for p in outcome.scene.b.log.points for s, text in p.shown}
    N = outcome.manifest["config"]["batch"]
    assert all(shown[("diff", (i, n))] == "0" for i in range(3) for n in range(N))  # exactly zero on the CPU
    captions = " ".join(c["text"] for c in outcome.manifest["captions"])
    assert "exactly 0" in captions


def test_weights_shown_after_the_step_are_the_updated_ones(dry: DryRun) -> None:
    """Once the SGD step has changed W_Q, every W_Q on screen is the new one; W_K and W_V are unchanged by it."""
    outcome = dry("sharing")
    points = outcome.scene.b.log.points
    beats = [p.beat for p in points]
    after = [p for p in points[beats.index("Training updates the one weight"):] if p.beat != "Training updates the one weight"]
    assert after, "no beat after the gradient step"
    tensors = {s.tensor for p in after for s, _ in p.shown if s.kind == "value"}
    assert "W_Q" not in tensors and {"W_Q_new", "W_K", "W_V"} <= tensors
    # the gradient shares G_n are defined on screen: their labels bind the batch size N of L_n / N
    labels = {s.tensor for p in points if p.beat == "Training updates the one weight" for s, _ in p.shown
              if s.kind == "dim"}
    assert "X" in labels

