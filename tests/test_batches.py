"""The batches tensors against independent torch: step counts, one weight object, accumulation, the loss."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from tensors.batches import BatchesConfig, BatchesResult, build
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
LR = 0.05  # the lecture's SGD learning rate, restated here
# (N, small batch, large batch, epochs, d_in, d_out, seed)
SIZES = [(40, 4, 8, 6, 3, 2, 0), (40, 5, 8, 3, 2, 2, 1), (24, 3, 6, 4, 3, 1, 2), (16, 2, 8, 2, 1, 2, 3)]


def config_of(p: tuple[int, ...]) -> BatchesConfig:
    N, b, c, E, d_in, d_out, seed = p
    return BatchesConfig(n_samples=N, small_batch=b, large_batch=c, epochs=E, d_in=d_in, d_out=d_out, seed=seed)


@pytest.fixture(scope="module", params=SIZES, ids=lambda p: "N{}-b{}-c{}-E{}-{}x{}-seed{}".format(*p))
def result(request: pytest.FixtureRequest) -> BatchesResult:
    return build(config_of(request.param), CPU)


# -- independent references: the loader's batches and hand-derived SGD ---------------------------
def loader_batches(n: int, batch: int, epochs: int, seed: int) -> list[list[list[int]]]:
    """The sample indices a seeded DataLoader deals out, epoch by epoch (a plain list as the dataset)."""
    loader = DataLoader(list(range(n)), batch_size=batch, shuffle=True, generator=torch.Generator().manual_seed(seed))
    return [[b.tolist() for b in loader] for _ in range(epochs)]


def mse_grad(W: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of mean((x W^T - y)^2) with respect to W, by hand."""
    return 2.0 * (x @ W.T - y).T @ x / y.numel()


def mse(W: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((x @ W.T - y) ** 2).mean()


def sgd(W0: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, order: torch.Tensor) -> dict[str, torch.Tensor]:
    """Plain SGD by hand over the given batches (E, S, B); return the first epoch's steps and the epoch losses."""
    W = W0.clone()
    weights, losses, epoch_loss, path = [W.flatten()], [], [mse(W, X, Y)], [W.flatten()]
    for e, epoch in enumerate(order):
        for idx in epoch:
            x, y = X[idx], Y[idx]
            if e == 0:
                losses.append(mse(W, x, y))
            W = W - LR * mse_grad(W, x, y)
            path.append(W.flatten())
            if e == 0:
                weights.append(W.flatten())
        epoch_loss.append(mse(W, X, Y))
    return {"W": torch.stack(weights), "loss": torch.stack(losses)[:, None], "epoch_loss": torch.stack(epoch_loss),
            "final": W, "path": torch.stack(path)}


# -- tensors vs independent torch ---------------------------------------------------------------
def test_step_counts_come_from_a_real_loader(result: BatchesResult) -> None:
    cfg = result.config
    for batch, steps, order in ((cfg.small_batch, result.steps_small, result.order_small),
                                (cfg.large_batch, result.steps_large, result.order_large)):
        loader = DataLoader(list(range(cfg.n_samples)), batch_size=batch, shuffle=True)
        assert int(steps) == len(list(loader)) == order.shape[1]
        assert order.shape == (cfg.epochs, int(steps), batch)


def test_the_faq_numbers() -> None:
    """40 samples: batch 8 gives 5 updates; batch 5 gives 8; the question's batch 4 gives 10, not 8."""
    r = build(BatchesConfig(n_samples=40, small_batch=4, large_batch=8), CPU)
    assert (int(r.steps_small), int(r.steps_large)) == (10, 5)
    r = build(BatchesConfig(n_samples=40, small_batch=5, large_batch=8), CPU)
    assert (int(r.steps_small), int(r.steps_large)) == (8, 5)
    assert r.W_small.shape[0] == 8 + 1 and r.W_large.shape[0] == 5 + 1


def test_batches_are_what_the_seeded_loader_deals(result: BatchesResult) -> None:
    cfg = result.config
    small = loader_batches(cfg.n_samples, cfg.small_batch, cfg.epochs, cfg.seed)
    large = loader_batches(cfg.n_samples, cfg.large_batch, cfg.epochs, cfg.seed)
    assert result.order_small.tolist() == small
    assert result.order_large.tolist() == large
    assert result.order_accum.tolist() == large[0]
    for epoch in result.order_small:  # every epoch visits every sample once
        assert sorted(epoch.flatten().tolist()) == list(range(cfg.n_samples))
    assert not torch.equal(result.order_small[0], result.order_small[1])  # reshuffled each epoch


def test_training_matches_sgd_by_hand(result: BatchesResult) -> None:
    r = result
    for run, order, weight in (("small", r.order_small, r.weight_small), ("large", r.order_large, r.weight_large)):
        want = sgd(r.W0, r.X, r.Y, order)
        torch.testing.assert_close(getattr(r, f"W_{run}"), want["W"], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(getattr(r, f"loss_{run}"), want["loss"], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(getattr(r, f"epoch_loss_{run}"), want["epoch_loss"], rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(weight.detach(), want["final"], rtol=1e-4, atol=1e-6)
        if run == "small":  # the plotted path: every step of every epoch
            torch.testing.assert_close(r.path_small, want["path"], rtol=1e-4, atol=1e-6)
    assert torch.equal(r.W_small[0], r.W0.flatten()) and torch.equal(r.W_large[0], r.W0.flatten())
    S = r.W_small.shape[0] - 1
    assert torch.equal(r.path_small[:S + 1], r.W_small)  # the path's first epoch is the step table
    assert torch.equal(r.path_small[-1], r.weight_small.detach().flatten())


def test_the_weight_walks_toward_the_map_that_made_the_data(result: BatchesResult) -> None:
    """What the nudge beat claims: each epoch ends nearer the target map than the one before."""
    r = result
    S = r.W_small.shape[0] - 1
    ends = r.path_small[::S]  # start, then the end of every epoch
    dist = (ends - r.W_true.flatten()).norm(dim=1)
    assert bool((dist[1:] < dist[:-1]).all()), dist
    # the target made the data: Y = X W_true^T + noise of std 0.1
    assert float((r.Y - r.X @ r.W_true.T).std()) < 0.2


def test_samples_are_numbered_from_one(result: BatchesResult) -> None:
    assert r_list(result.sample_no) == list(range(1, result.config.n_samples + 1))


def r_list(t: torch.Tensor) -> list[int]:
    return [int(v) for v in t.tolist()]


def test_every_step_changes_the_values(result: BatchesResult) -> None:
    for W in (result.W_small, result.W_large):
        assert all(not torch.equal(a, b) for a, b in itertools.pairwise(W))


def test_one_weight_object_at_every_step(result: BatchesResult) -> None:
    r = result
    for run, weight in (("small", r.weight_small), ("large", r.weight_large)):
        assert isinstance(weight, torch.nn.Parameter)
        ptr, ident = getattr(r, f"ptr_{run}"), getattr(r, f"id_{run}")
        assert ptr.dtype == ident.dtype == torch.int64
        assert set(ptr.flatten().tolist()) == {weight.data_ptr()}  # the live trained weight's storage
        assert set(ident.flatten().tolist()) == {id(weight)}
    assert r.weight_small.data_ptr() != r.weight_large.data_ptr()  # two models, two weights
    assert r.strings() == {"same_small": "True", "same_large": "True"}


def test_sgd_steps_in_place_and_a_copy_would_show() -> None:
    """The evidence can fail: torch's SGD keeps storage and object; a copied weight has another address."""
    layer = torch.nn.Linear(3, 2, bias=False)
    opt = torch.optim.SGD(layer.parameters(), lr=LR)
    w, ptr = layer.weight, layer.weight.data_ptr()
    before = w.detach().clone()
    torch.nn.functional.mse_loss(layer(torch.randn(4, 3)), torch.randn(4, 2)).backward()
    opt.step()
    assert layer.weight is w and w.data_ptr() == ptr and not torch.equal(w.detach(), before)
    twin = copy.deepcopy(layer)
    assert twin.weight.data_ptr() != ptr and id(twin.weight) != id(w)


def test_accumulated_gradient_is_the_full_batch_gradient(result: BatchesResult) -> None:
    r = result
    N, C = r.config.n_samples, r.config.large_batch
    per = torch.stack([mse_grad(r.W0, r.X[idx], r.Y[idx]).flatten() for idx in r.order_accum])
    full = mse_grad(r.W0, r.X, r.Y).flatten()
    torch.testing.assert_close(r.grad_batches, per, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.grad_accum[0], (per * C / N).sum(0), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.grad_full[0], full, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.grad_accum, r.grad_full, rtol=0, atol=1e-5)
    assert float(r.accum_scale) == pytest.approx(C / N)
    assert float(r.grad_diff) == float((r.grad_accum - r.grad_full).abs().max()) < 1e-5
    # in float64 the same sums agree to rounding of float64: the float32 difference is only rounding
    X, Y, W0 = r.X.double(), r.Y.double(), r.W0.double()
    acc64 = sum(mse_grad(W0, X[idx], Y[idx]) * len(idx) / N for idx in r.order_accum)
    assert float((acc64 - mse_grad(W0, X, Y)).abs().max()) < 1e-12


def test_loss_goes_down(result: BatchesResult) -> None:
    for losses in (result.epoch_loss_small, result.epoch_loss_large):
        assert losses.shape == (result.config.epochs + 1,)
        assert bool((losses[1:] < losses[:-1]).all()), losses
    # more updates per epoch: the small batches end lower after the same epochs
    assert float(result.epoch_loss_small[-1]) < float(result.epoch_loss_large[-1])
    assert float(result.epoch_loss_small[0]) == float(result.epoch_loss_large[0])  # same start


def test_inputs_and_heatmap(result: BatchesResult) -> None:
    r = result
    assert torch.equal(r.X_cols, r.X.T) and float(r.X_absmax) == float(r.X.abs().max())
    assert torch.equal(r.epoch, torch.arange(r.config.epochs + 1, dtype=torch.float32))


def test_seed_reproducible() -> None:
    a, b, c = (build(BatchesConfig(seed=s), CPU) for s in (5, 5, 6))
    assert torch.equal(a.X, b.X) and torch.equal(a.W_small, b.W_small) and torch.equal(a.order_small, b.order_small)
    assert not torch.equal(a.X, c.X) and not torch.equal(a.order_small, c.order_small)


# -- the scene against torch, recomputed from the manifest -------------------------------------
def recompute(manifest: dict[str, Any], live: BatchesResult) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch."""
    cfg, t = manifest["config"], manifest["tensors"]
    N, b, c, E = cfg["n_samples"], cfg["small_batch"], cfg["large_batch"], cfg["epochs"]
    X, Y, W0, W_true = (torch.tensor(t[k]["values"]) for k in ("X", "Y", "W0", "W_true"))
    order_small = torch.tensor(loader_batches(N, b, E, cfg["seed"]))
    order_large = torch.tensor(loader_batches(N, c, E, cfg["seed"]))
    small, large = sgd(W0, X, Y, order_small), sgd(W0, X, Y, order_large)
    per = torch.stack([mse_grad(W0, X[idx], Y[idx]).flatten() for idx in order_large[0]])
    acc = (per * c / N).sum(0, keepdim=True)
    full = mse_grad(W0, X, Y).flatten()[None]
    diff = autograd_accumulation_diff(W0, X, Y, order_large[0])
    # addresses cannot come from a file: ask torch for the storage and id of the weights the scene was built from
    ptr = {run: torch.full((n + 1, 1), w.data_ptr(), dtype=torch.int64)
           for run, n, w in (("small", N // b, live.weight_small), ("large", N // c, live.weight_large))}
    ident = {run: torch.full((n + 1, 1), id(w), dtype=torch.int64)
             for run, n, w in (("small", N // b, live.weight_small), ("large", N // c, live.weight_large))}
    return {
        "X": X, "Y": Y, "X_cols": X.T, "X_absmax": X.abs().max(), "W0": W0, "lr": torch.tensor(LR),
        "sample_no": torch.arange(1.0, N + 1), "W_true": W_true, "zero": torch.tensor(0.0), "path_small": small["path"],
        "update": torch.arange(float(len(small["path"]))),
        "order_small": order_small, "order_large": order_large, "order_accum": order_large[0],
        "steps_small": torch.tensor(len(DataLoader(range(N), batch_size=b))),
        "steps_large": torch.tensor(len(DataLoader(range(N), batch_size=c))),
        "W_small": small["W"], "W_large": large["W"], "loss_small": small["loss"], "loss_large": large["loss"],
        "ptr_small": ptr["small"], "ptr_large": ptr["large"], "id_small": ident["small"], "id_large": ident["large"],
        "epoch": torch.arange(E + 1.0), "epoch_loss_small": small["epoch_loss"], "epoch_loss_large": large["epoch_loss"],
        "weight_small": small["final"], "weight_large": large["final"],
        "grad_batches": per, "accum_scale": torch.tensor(c / N), "grad_accum": acc, "grad_full": full,
        "grad_diff": diff,
        "members_small": order_small[0].float() + 1, "members_large": order_large[0].float() + 1,
        # the FAQ's question, restated: "40 images and batch size of 4. Will there be 8 different weights"
        "faq_samples": torch.tensor(40.0), "faq_batch": torch.tensor(4.0), "faq_guess": torch.tensor(8.0),
        "faq_steps": torch.tensor(float(len(DataLoader(range(40), batch_size=4)))),
        # the table prints the last six digits of the addresses and ids
        "ptr_tail_small": ptr["small"] % 10**6, "ptr_tail_large": ptr["large"] % 10**6,
        "id_tail_small": ident["small"] % 10**6, "id_tail_large": ident["large"] % 10**6,
        # step 1 worked out: the first batch's gradient at W0, and W0 - lr * g
        "step_grad": mse_grad(W0, X[order_small[0, 0]], Y[order_small[0, 0]]),
        "step_W1": W0 - LR * mse_grad(W0, X[order_small[0, 0]], Y[order_small[0, 0]]),
    }


def autograd_accumulation_diff(W0: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, batches: torch.Tensor) -> torch.Tensor:
    """max |accumulated .grad - full-batch .grad| as torch's autograd rounds it in float32 (hand sums round otherwise)."""
    N = len(X)
    w_acc = W0.clone().requires_grad_()
    for idx in batches:
        (((X[idx] @ w_acc.T - Y[idx]) ** 2).mean() * len(idx) / N).backward()
    w_full = W0.clone().requires_grad_()
    ((X @ w_full.T - Y) ** 2).mean().backward()
    assert w_acc.grad is not None and w_full.grad is not None
    return (w_acc.grad - w_full.grad).abs().max()


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("batches")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest, scene.result)
    assert set(truth) == set(manifest["tensors"])
    assert manifest["tensors"]["ptr_small"]["values"] == truth["ptr_small"].tolist()  # recorded == live now
    assert manifest["tensors"]["id_large"]["values"] == truth["id_large"].tolist()
    checked = check_shown(scene, truth, strings={"same_small": "True", "same_large": "True"})
    assert checked > 1000  # each compared with recomputed torch above
    on_screen = seen(scene)
    for name in ("W_small", "W_large", "loss_small", "loss_large", "ptr_tail_small", "ptr_tail_large", "id_tail_small",
                 "id_tail_large", "grad_batches", "grad_accum", "grad_full", "epoch_loss_small", "epoch_loss_large",
                 "W0", "step_grad", "step_W1", "sample_no", "members_small", "members_large"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    for name in ("steps_small", "steps_large", "grad_diff", "accum_scale", "lr", "zero", "faq_samples", "faq_batch",
                 "faq_guess", "faq_steps"):
        assert (name, ()) in on_screen, name
    assert {("W_true", (0, 0)), ("W_true", (0, 1))} <= on_screen
    steps = truth["path_small"].shape[0]  # the nudge plot: entries w_11 and w_12 after every update
    assert all(("path_small", (t, c)) in on_screen for t in range(steps) for c in (0, 1))
    assert ("W_true", (0, 1)) in on_screen  # the target, at the same two entries
    strings = {s.tensor for p in scene.b.log.points for s, _ in p.shown if s.kind == "string"}
    assert strings == {"same_small", "same_large"}
    assert scene.b.log.marks_checked > 0


def test_captions_say_where_each_number_comes_from(dry: DryRun) -> None:
    """The step table is the loop's record; the gradients come from a separate pass; the second run is a fresh model."""
    captions = " ".join(c["text"] for c in dry("batches").manifest["captions"])
    assert "every number that follows was recorded" not in captions
    assert "The next table is those records" in captions
    assert "fresh model" in captions and "another address" in captions
    assert "batch 4" not in captions  # a batch size is "batch size 4"; "batch k" names the k-th batch


def test_difference_is_shown_as_torch_reports_it(dry: DryRun) -> None:
    outcome = dry("batches")
    shown = {(s.tensor, s.index): text for p in outcome.scene.b.log.points for s, text in p.shown}
    diff = float(outcome.scene.b.tensors["grad_diff"])
    assert 0 < diff < 1e-5  # float32 rounding on this machine, not exactly zero
    assert shown[("grad_diff", ())] == f"{diff:.2g}"
    captions = " ".join(c["text"] for c in outcome.manifest["captions"])
    assert f"largest difference of {diff:.2g}, float32 rounding" in captions
    assert "10 batches per epoch" in captions and "5 updates per epoch" in captions


def test_the_faq_guess_and_the_loader_count_are_both_on_screen(dry: DryRun) -> None:
    """The question's 8 and the loader's 10 are shown together, in the question and when the batches are counted."""
    outcome = dry("batches")
    captions = " ".join(c["text"] for c in outcome.manifest["captions"])
    assert "will there be 8 different weights? A loader makes 10 batches" in captions
    assert "10 batches per epoch, not the question's 8" in captions
    assert int(DataLoader(range(40), batch_size=4).__len__()) == 10  # what the loader counts, not 8


def test_each_step_row_shows_its_batch(result: BatchesResult) -> None:
    """The step table's sample numbers are the loader's batches of the first epoch, counted from 1."""
    cfg = result.config
    for run, batch in (("small", cfg.small_batch), ("large", cfg.large_batch)):
        want = torch.tensor(loader_batches(cfg.n_samples, batch, 1, cfg.seed)[0]).float() + 1
        assert torch.equal(getattr(result, f"members_{run}"), want)


def test_step_one_is_W0_minus_lr_times_the_first_batch_gradient(result: BatchesResult) -> None:
    """The worked step: g from batch 1 at W0 by hand, and W0 - lr * g is the loop's recorded row 1."""
    r = result
    idx = r.order_small[0, 0]
    g = mse_grad(r.W0, r.X[idx], r.Y[idx])
    torch.testing.assert_close(r.step_grad, g, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.step_W1.flatten(), r.W_small[1], rtol=0, atol=0)
    torch.testing.assert_close(r.step_W1, r.W0 - LR * g, rtol=1e-5, atol=1e-6)
