"""The kernels lecture against independent torch: conv maps, attention heads, the parallels' numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import render
from tensors.kernels import KernelsConfig, KernelsResult, build
from tensors.trained import TrainConfig, trained
from tests.conftest import DryRun
from tests.shown import check_shown, positions, seen

CPU = torch.device("cpu")
SIZES = [
    {},
    {"image_size": 5, "kernel_size": 2, "kernels": 2, "seq_len": 3, "d_model": 4, "heads": 2},
    {"image_size": 7, "kernel_size": 4, "kernels": 3, "seq_len": 6, "d_model": 8, "heads": 1, "seed": 3},
    {"image_size": 7, "kernel_size": 3, "kernels": 1, "seq_len": 2, "d_model": 6, "heads": 3, "seed": 11},
]
NAMES = {"kernel_name_0": "vertical edge", "kernel_name_1": "horizontal edge", "kernel_name_2": "blur",
         "word_0": "dog", "word_1": "see", "word_2": "cat", "word_3": "eat", "word_4": "fish",
         "look_0": "one back", "look_1": "one ahead", "look_2": "two back"}
VOCAB = ("cat", "eat", "mouse", "dog", "fish", "bird", "see", "run")
OFFSET = (-1, 1, -2)  # what head 1, 2, 3 were trained to read



def designed(k: int) -> torch.Tensor:
    """The three kernels written out by hand: +1 left of the middle, -1 right; its transpose; a box blur."""
    row = [1.0 if 2 * c < k - 1 else -1.0 if 2 * c > k - 1 else 0.0 for c in range(k)]
    vertical = torch.tensor([row] * k)
    return torch.stack([vertical, vertical.T, torch.ones(k, k) / k ** 2])


def windows(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Slide a kernel over an image with two loops: sum of window * kernel at each place."""
    k, n = kernel.shape[0], image.shape[0]
    m = n - k + 1
    out = torch.zeros(m, m)
    for i in range(m):
        for j in range(m):
            out[i, j] = (image[i:i + k, j:j + k] * kernel).sum()
    return out


def heads_by_loop(x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor,
                  H: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention head by head, each on its own column slice of the weights: (H, L, d), (H, L, L)."""
    d = W_q.shape[1] // H
    outs, weights = [], []
    for h in range(H):
        cols = slice(h * d, (h + 1) * d)
        q, k, v = x @ W_q[:, cols], x @ W_k[:, cols], x @ W_v[:, cols]
        w = torch.softmax(q @ k.T / math.sqrt(d), dim=-1)
        outs.append(w @ v)
        weights.append(w)
    return torch.stack(outs), torch.stack(weights)


def torch_mha(x: torch.Tensor, W: list[torch.Tensor], H: int, W_o: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.MultiheadAttention with given (D, D) weights (paper convention); identity output unless W_o."""
    D = x.shape[-1]
    mha = torch.nn.MultiheadAttention(D, H, bias=False, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([w.T for w in W]))
        mha.out_proj.weight.copy_(torch.eye(D) if W_o is None else W_o.T)
    return mha(x, x, x, need_weights=True, average_attn_weights=False)


@pytest.fixture(scope="module", params=range(len(SIZES)), ids=lambda i: f"sizes{i}")
def result(request: pytest.FixtureRequest) -> KernelsResult:
    return build(KernelsConfig(**SIZES[request.param]), CPU)


# -- 1. tensors against independent torch --------------------------------------------------------
def test_image_and_kernels_are_as_designed(result: KernelsResult) -> None:
    n, k, K = result.config.image_size, result.config.kernel_size, result.config.kernels
    img = result.image
    assert set(img.unique().tolist()) <= {0.0, 1.0}
    assert int(img.sum()) == ((n + 1) // 2) ** 2  # one square of ones
    assert img[0].sum() == 0 and img[-1].sum() == 0 and img[:, 0].sum() == 0 and img[:, -1].sum() == 0
    assert torch.equal(result.kernels, designed(k)[:K])


def test_feature_maps_equal_conv2d_and_a_loop(result: KernelsResult) -> None:
    img, kern = result.image, result.kernels
    ref = F.conv2d(img[None, None], kern[:, None])[0]
    torch.testing.assert_close(result.maps, ref, rtol=0, atol=1e-6)
    for c in range(kern.shape[0]):
        torch.testing.assert_close(result.maps[c], windows(img, kern[c]), rtol=0, atol=1e-6)
    assert float(result.conv_max_diff) == float((result.maps - ref).abs().max()) < 1e-6
    # edge kernels on a 0/1 image give whole numbers; the vertical edge kernel fires at both sides
    assert torch.equal(result.maps[0], result.maps[0].round())
    assert result.maps[0].max() > 0 > result.maps[0].min()


def test_heads_match_multihead_attention(result: KernelsResult) -> None:
    r, H = result, result.config.heads
    L, D = r.config.seq_len, r.config.d_model
    want_out, want_w = torch_mha(r.X, [r.W_q, r.W_k, r.W_v], H)
    torch.testing.assert_close(r.weights, want_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.head_out.transpose(1, 2).reshape(1, L, D), want_out, rtol=1e-5, atol=1e-5)
    loop_out, loop_w = heads_by_loop(r.X[0], r.W_q, r.W_k, r.W_v, H)
    torch.testing.assert_close(r.head_out[0], loop_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(r.weights[0], loop_w, rtol=1e-5, atol=1e-6)
    assert 0 < float(r.mha_max_diff) < 1e-4 or float(r.mha_max_diff) == 0.0
    # every row of every head is a distribution over all L tokens
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(1, H, L))
    torch.testing.assert_close(r.row_sums[..., 0], r.weights.sum(-1))
    assert bool((r.weights > 0).all())
    d = D // H
    torch.testing.assert_close(r.terms, r.weights[0, 0][:, :, None] * (r.X[0] @ r.W_v[:, :d])[None])
    torch.testing.assert_close(r.terms.sum(1), r.head_out[0, 0], rtol=1e-5, atol=1e-4)


def test_the_weights_are_the_trained_ones(result: KernelsResult) -> None:
    """X is the trained embedding of the sentence's words plus positions; W_q, W_k, W_v are the trained ones."""
    r, L, D, H = result, result.config.seq_len, result.config.d_model, result.config.heads
    model = trained(TrainConfig(d_model=D, heads=H, seq_len=6))
    words = ["dog", "see", "cat", "eat", "fish", "run"][:L]
    assert [VOCAB[int(t)] for t in r.tokens] == words
    torch.testing.assert_close(r.E[0], model.table[[VOCAB.index(w) for w in words]])
    torch.testing.assert_close(r.P, positions(L, D), rtol=0, atol=1e-5)
    torch.testing.assert_close(r.X, r.E + r.P[None])
    for name in ("W_q", "W_k", "W_v"):
        assert torch.equal(getattr(r, name), getattr(model, name))
    record = r.training()
    assert record["heads"] == H and record["held_out_accuracy"] > 0.95 and record["last_loss"] < record["first_loss"]
    assert float(r.accuracy) == pytest.approx(100 * model.accuracy)
    assert float(r.last_loss) < 0.05 < 1.0 < float(r.first_loss)


@pytest.mark.parametrize("sizes", [{}, {"seq_len": 6}, {"seq_len": 4, "d_model": 4, "heads": 2},
                                   {"d_model": 8, "heads": 1}, {"d_model": 8, "heads": 2}, {"d_model": 5, "heads": 1},
                                   {"d_model": 7, "heads": 1}, {"d_model": 6, "heads": 2}])
def test_each_trained_head_reads_its_offset(sizes: dict[str, int]) -> None:
    """The claim on screen: head 1 looks one back, head 2 one ahead, head 3 two back.

    Each query that has such a word gives it its largest weight, above 0.7; at the default sizes above 0.9.
    """
    r = build(KernelsConfig(**sizes), CPU)
    L, H = r.config.seq_len, r.config.heads
    floor = 0.9 if not sizes else 0.7
    for h in range(H):
        for i in range(L):
            j = i + OFFSET[h]
            if 0 <= j < L:
                assert int(r.weights[0, h, i].argmax()) == j and float(r.weights[0, h, i, j]) > floor, (h, i, j)
    assert r.strings()["look_0"] == "one back"
    assert r.training()["held_out_accuracy"] > 0.99
    if not sizes:  # the caption: the first word, with none before it, keeps mostly its own value
        assert int(r.weights[0, 0, 0].argmax()) == 0 and float(r.weights[0, 0, 0, 0]) > 0.5


def test_receptive_fields_by_autograd(result: KernelsResult) -> None:
    """The pixels one output reads are where its gradient is nonzero (all-ones kernels: no accidental zeros)."""
    n, k = result.config.image_size, result.config.kernel_size
    x = torch.rand(1, 1, n, n, requires_grad=True)
    ones = torch.ones(1, 1, k, k)
    one_layer = F.conv2d(x, ones)
    (g1,) = torch.autograd.grad(one_layer[0, 0, 0, 0], x)
    (g2,) = torch.autograd.grad(F.conv2d(F.conv2d(x, ones), ones)[0, 0, 0, 0], x)
    assert torch.equal(result.field1, (g1[0, 0] != 0).float())
    assert torch.equal(result.field2, (g2[0, 0] != 0).float())
    assert result.conv_reach.tolist() == [k * k, (2 * k - 1) ** 2]
    assert float(result.image_pixels) == n * n
    assert float(result.kernel_numel) == k * k and float(result.map_positions) == (n - k + 1) ** 2


def test_windows_products_and_the_vertical_edge_map(result: KernelsResult) -> None:
    r, k = result, result.config.kernel_size
    m = r.maps.shape[-1]
    for i in range(m):
        for j in range(m):
            win = r.image[i:i + k, j:j + k]
            assert torch.equal(r.windows[i, j], win)
            assert torch.equal(r.products[i, j], win * r.kernels[0])
            assert float(r.products[i, j].sum()) == float(r.maps[0, i, j])
            # non-zero only where the window straddles a vertical edge: its columns differ
            straddles = bool((win != win[:, :1]).any())
            assert (float(r.maps[0, i, j]) != 0) <= straddles


def test_two_stacked_one_back_heads_reach_two_back(result: KernelsResult) -> None:
    r, L = result, result.config.seq_len
    A = r.weights[0, 0]
    torch.testing.assert_close(r.rollout, A @ A)
    torch.testing.assert_close(r.rollout.sum(-1), torch.ones(L))
    if L >= 3:  # what the stacking beat shows: the last word reaches the word before, then two before
        assert int(A[L - 1].argmax()) == L - 2 and int(r.rollout[L - 1].argmax()) == L - 3
    D, H = r.config.d_model, r.config.heads
    assert float(r.head_numel) == D * (D // H) and float(r.matrices) == 4


def test_parameter_counts_are_those_of_torch_modules(result: KernelsResult) -> None:
    n, k, K, D = result.config.image_size, result.config.kernel_size, result.config.kernels, result.config.d_model
    for count, side, weights, map_side in result.conv_options.tolist():
        conv = torch.nn.Conv2d(1, int(count), int(side), bias=False)
        assert weights == sum(p.numel() for p in conv.parameters())
        assert map_side == conv(torch.zeros(1, 1, n, n)).shape[-1]
    assert result.conv_options[0, :2].tolist() == [K, k]
    rows = result.head_options.tolist()
    assert [int(h) for h, *_ in rows] == [h for h in range(1, D + 1) if D % h == 0]
    for heads, size, weights, width in rows:
        mha = torch.nn.MultiheadAttention(D, int(heads), bias=False, batch_first=True)
        assert weights == sum(p.numel() for p in mha.parameters()) == 4 * D * D
        assert size == mha.head_dim and width == mha(torch.zeros(1, 2, D), torch.zeros(1, 2, D), torch.zeros(1, 2, D))[0].shape[-1]


def test_seed_reproducible_and_changes_inputs() -> None:
    a, b = (build(KernelsConfig(seed=s), CPU) for s in (5, 5))
    for name in ("image", "X", "W_q", "weights"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    images = {tuple(build(KernelsConfig(seed=s), CPU).image.flatten().tolist()) for s in range(6)}
    assert len(images) > 1  # the seed places the square
    state = torch.get_rng_state()
    build(KernelsConfig(), CPU)
    assert torch.equal(state, torch.get_rng_state())  # the global RNG is left alone


# -- 2. what the scene shows equals torch recomputed from the manifest ---------------------------
@torch.no_grad()
def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs (image, trained E and weights), with plain torch."""
    cfg = manifest["config"]
    n, k, K, H, D, L = (cfg[key] for key in ("image_size", "kernel_size", "kernels", "heads", "d_model", "seq_len"))
    inputs = {name: torch.tensor(manifest["tensors"][name]["values"])
              for name in ("image", "tokens", "E", "W_q", "W_k", "W_v")}
    image, tokens, E, W_q, W_k, W_v = inputs.values()
    kernels = designed(k)[:K]
    maps = F.conv2d(image[None, None], kernels[:, None])[0]
    m = n - k + 1
    windows = torch.stack([torch.stack([image[i:i + k, j:j + k] for j in range(m)]) for i in range(m)])
    P = positions(L, D)
    X = E + P[None]
    head_out, weights = heads_by_loop(X[0], W_q, W_k, W_v, H)
    head_out, weights = head_out[None], weights[None]
    ref_out, ref_w = torch_mha(X, [W_q, W_k, W_v], H)
    field1 = torch.zeros(n, n)
    field1[:k, :k] = 1
    field2 = torch.zeros(n, n)
    field2[:2 * k - 1, :2 * k - 1] = 1
    Q, K_, V = X @ W_q, X @ W_k, X @ W_v
    d = D // H
    A = weights[0, 0]
    divisors = [h for h in range(1, D + 1) if D % h == 0]
    seq_scale = torch.cat([X[0], W_q, W_k, W_v]).abs().max()
    map_scale = maps.abs().max()
    model = trained(TrainConfig(d_model=D, heads=H, seq_len=6))
    truth = {
        "image": image, "kernels": kernels, "windows": windows, "products": windows * kernels[0],
        "maps": maps, "maps_ref": maps, "conv_max_diff": torch.tensor(0.0),
        "field1": field1, "field2": field2, "conv_reach": torch.tensor([field1.sum(), field2.sum()]),
        "image_pixels": torch.tensor(float(n * n)), "kernel_numel": torch.tensor(float(k * k)),
        "map_positions": torch.tensor(float(m ** 2)),
        "conv_options": torch.tensor([[K, k, K * k * k, n - k + 1], [2 * K, k, 2 * K * k * k, n - k + 1],
                                      [K, k + 2, K * (k + 2) ** 2, n - k - 1]], dtype=torch.float32),
        "tokens": tokens, "E": E, "P": P, "X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "Q": Q, "K": K_, "V": V,
        "weights": weights, "head_out": head_out,
        "terms": A[:, :, None] * V[0, :, :d][None],
        "row_sums": weights.sum(-1, keepdim=True),
        "mha_max_diff": torch.maximum((head_out.transpose(1, 2).reshape(1, L, D) - ref_out).abs().max(),
                                      (weights - ref_w).abs().max()),
        "rollout": A @ A, "head_numel": torch.tensor(float(D * d)), "matrices": torch.tensor(4.0),
        "head_options": torch.tensor([[h, D // h, 4 * D * D, D] for h in divisors], dtype=torch.float32),
        "first_loss": model.losses[0], "last_loss": model.losses[-1],
        "accuracy": torch.tensor(100.0 * model.accuracy),
        "seq_scale": seq_scale, "map_scale": map_scale, "one": torch.tensor(1.0),
        "unit_ramp": torch.linspace(0, 1, 32)[None],
        "map_ramp": torch.linspace(-float(map_scale), float(map_scale), 64)[None],
        "seq_ramp": torch.linspace(-float(seq_scale), float(seq_scale), 64)[None],
    }
    scales = maps.abs().amax(dim=(1, 2))
    ramps = torch.stack([torch.linspace(-float(a), float(a), 64) for a in scales])
    truth |= {"map_scales": scales, "map_ramps": ramps}
    for c in range(K):
        truth |= {f"map_{c}": maps[c], f"map_scale_{c}": scales[c], f"map_ramp_{c}": ramps[c][None]}
    for h in range(H):
        truth[f"weights_{h}"] = weights[0, h]
        truth |= {f"{t}_{h}": M[0, :, h * d:(h + 1) * d] for t, M in (("Q", Q), ("K", K_), ("V", V))}
        truth[f"Wq_{h}"] = W_q[:, h * d:(h + 1) * d]
        shown = min(d, 2)
        truth |= {f"{t}s_{h}": M[0, :, h * d:h * d + shown] for t, M in (("Q", Q), ("K", K_), ("V", V))}
        truth[f"outs_{h}"] = head_out[0, h, :, :shown]
    truth["X_0"] = X[0]
    # the softmax written out: scores per head by a loop over heads, e^s, their row sums; softmax = the weights
    S = torch.stack([Q[0, :, h * d:(h + 1) * d] @ K_[0, :, h * d:(h + 1) * d].T / math.sqrt(d)
                     for h in range(H)])[None]  # (1, H, L, L)
    torch.testing.assert_close(torch.exp(S) / torch.exp(S).sum(-1, keepdim=True), weights, rtol=1e-4, atol=1e-6)
    terms = (A[:, :, None] * V[0, :, :d][None])[:, :, 0]  # (L, L) the products summed into output column 1

    def two(v: float) -> float:
        return float(f"{v:.2f}")

    gaps = [abs(round(sum(two(float(x)) for x in terms[r]) - two(float(head_out[0, 0, r, 0])), 2)) for r in range(L)]
    truth |= {"dots": S * math.sqrt(d), "out_scale": head_out.abs().max(),
              "out_ramp": torch.linspace(-float(head_out.abs().max()), float(head_out.abs().max()), 64)[None]}
    truth |= {f"out_{h}": head_out[0, h] for h in range(H)}
    truth |= {"scores": S, "exp_scores": torch.exp(S), "exp_sums": torch.exp(S).sum(-1, keepdim=True),
              "terms_gap": torch.tensor(gaps)}
    return truth


@pytest.fixture(scope="module")
def kernels_dry(dry: DryRun) -> render.Outcome:
    return dry("kernels")


def test_every_number_shown_equals_recomputed_torch(kernels_dry: render.Outcome) -> None:
    manifest, scene = kernels_dry.manifest, kernels_dry.scene
    truth = recompute(manifest)
    assert set(truth) == set(manifest["tensors"])
    for name, t in truth.items():  # heatmaps too: every tensor the lecture names, within float32 rounding
        got = torch.tensor(manifest["tensors"][name]["values"], dtype=torch.float32)
        assert got.shape == t.shape, name
        if name != "mha_max_diff":  # rounding noise itself: only its size is checked
            torch.testing.assert_close(got, t.float(), rtol=1e-4, atol=1e-4, msg=name)
    assert float(truth["mha_max_diff"]) < 1e-4 and manifest["tensors"]["mha_max_diff"]["values"] < 1e-4
    checked = check_shown(scene, truth, NAMES)
    assert checked > 500  # each compared with recomputed torch above
    assert manifest["audit"]["heatmaps_checked"] > 50
    assert manifest["training"]["task"].startswith("name the word before (head 1)")
    on_screen = seen(scene)
    L = manifest["config"]["seq_len"]
    for name, prefix in (("image", ()), ("kernels", (0,)), ("maps", (0,)), ("weights", (0, 0)),
                         ("outs_0", ()), ("Vs_0", ()), ("conv_options", ()), ("head_options", ())):
        t = truth[name][prefix]
        assert all((name, prefix + tuple(i)) in on_screen for i in np.ndindex(*t.shape)), name
    for key in (("conv_max_diff", ()), ("mha_max_diff", ()), ("conv_reach", (1,)), ("rollout", (L - 1, L - 3)),
                ("products", (0, 1, 2, 2)), ("head_numel", ())):
        assert key in on_screen, key
    i = min(2, L - 1)  # the query whose softmax and weighted sum are written out
    for key in [("scores", (0, 0, i, j)) for j in range(L)] + [("exp_scores", (0, 0, i, j)) for j in range(L)] + \
            [("terms", (i, j, 0)) for j in range(L)] + [("exp_sums", (0, 0, i, 0)), ("head_out", (0, 0, i, 0))]:
        assert key in on_screen, key
