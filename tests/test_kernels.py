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
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
SIZES = [
    {},
    {"image_size": 5, "kernel_size": 2, "kernels": 2, "seq_len": 3, "d_model": 4, "heads": 2},
    {"image_size": 7, "kernel_size": 4, "kernels": 3, "seq_len": 6, "d_model": 8, "heads": 1, "seed": 3},
    {"image_size": 7, "kernel_size": 3, "kernels": 1, "seq_len": 2, "d_model": 6, "heads": 3, "seed": 11},
]
NAMES = {"kernel_name_0": "vertical edge", "kernel_name_1": "horizontal edge", "kernel_name_2": "blur"}


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
    torch.testing.assert_close(r.head_out.transpose(1, 2).reshape(1, L, D), want_out, rtol=1e-5, atol=1e-6)
    loop_out, loop_w = heads_by_loop(r.X[0], r.W_q, r.W_k, r.W_v, H)
    torch.testing.assert_close(r.head_out[0], loop_out, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.weights[0], loop_w, rtol=1e-5, atol=1e-6)
    assert 0 < float(r.mha_max_diff) < 1e-5 or float(r.mha_max_diff) == 0.0
    # every row of every head is a distribution over all L tokens
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(1, H, L))
    torch.testing.assert_close(r.row_sums[..., 0], r.weights.sum(-1))
    assert bool((r.weights > 0).all())
    assert torch.equal(r.focus, (r.weights.argmax(-1) + 1).float())


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


def test_stacked_layers_and_reach(result: KernelsResult) -> None:
    r, H, L, D = result, result.config.heads, result.config.seq_len, result.config.d_model
    torch.testing.assert_close(r.maps2, F.conv2d(r.maps[None], r.conv2_weight)[0], rtol=1e-5, atol=1e-5)
    m2 = r.config.image_size - 2 * (r.config.kernel_size - 1)
    assert r.maps2.shape == (r.config.kernels, m2, m2)
    y1, _ = torch_mha(r.X, [r.W_q, r.W_k, r.W_v], H, r.W_o)
    torch.testing.assert_close(r.Y1, y1, rtol=1e-4, atol=1e-5)
    y2, _ = torch_mha(y1, list(r.W2[:3]), H, r.W2[3])
    torch.testing.assert_close(r.Y2, y2, rtol=1e-4, atol=1e-5)
    assert r.Y1.shape == r.Y2.shape == r.X.shape == (1, L, D)
    # a token depends on every token already after one layer: the gradient reaches all of X
    x = r.X.clone().requires_grad_(True)
    out, _ = torch_mha(x, [r.W_q, r.W_k, r.W_v], H, r.W_o)
    (g,) = torch.autograd.grad(out[0, 0].sum(), x)
    assert int((g[0].abs().sum(-1) > 0).sum()) == L
    assert r.attn_reach.tolist() == [L, L]
    torch.testing.assert_close(r.Q, r.X @ r.W_q)
    assert float(r.w_numel) == D * D


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
    a, b, c = (build(KernelsConfig(seed=s), CPU) for s in (5, 5, 6))
    for name in ("image", "X", "W_q", "conv2_weight"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert not torch.equal(a.X, c.X)
    state = torch.get_rng_state()
    build(KernelsConfig(), CPU)
    assert torch.equal(state, torch.get_rng_state())  # the global RNG is left alone


# -- 2. what the scene shows equals torch recomputed from the manifest ---------------------------
@torch.no_grad()
def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch."""
    cfg = manifest["config"]
    n, k, K, H, D = cfg["image_size"], cfg["kernel_size"], cfg["kernels"], cfg["heads"], cfg["d_model"]
    inputs = {name: torch.tensor(manifest["tensors"][name]["values"])
              for name in ("image", "X", "W_q", "W_k", "W_v", "W_o", "W2", "conv2_weight")}
    image, X, W_q, W_k, W_v, W_o, W2, conv2 = inputs.values()
    kernels = designed(k)[:K]
    maps = F.conv2d(image[None, None], kernels[:, None])[0]
    maps2 = F.conv2d(maps[None], conv2)[0]
    L = X.shape[1]
    head_out, weights = heads_by_loop(X[0], W_q, W_k, W_v, H)
    head_out, weights = head_out[None], weights[None]
    ref_out, ref_w = torch_mha(X, [W_q, W_k, W_v], H)
    Y1, _ = torch_mha(X, [W_q, W_k, W_v], H, W_o)
    Y2, _ = torch_mha(Y1, list(W2[:3]), H, W2[3])
    field1 = torch.zeros(n, n)
    field1[:k, :k] = 1
    field2 = torch.zeros(n, n)
    field2[:2 * k - 1, :2 * k - 1] = 1
    Q = X @ W_q
    divisors = [h for h in range(1, D + 1) if D % h == 0]
    truth = {
        "image": image, "kernels": kernels, "maps": maps, "maps_ref": maps,
        "conv_max_diff": torch.tensor(0.0), "conv2_weight": conv2, "maps2": maps2,
        "field1": field1, "field2": field2, "conv_reach": torch.tensor([field1.sum(), field2.sum()]),
        "image_pixels": torch.tensor(float(n * n)), "kernel_numel": torch.tensor(float(k * k)),
        "map_positions": torch.tensor(float((n - k + 1) ** 2)),
        "conv_options": torch.tensor([[K, k, K * k * k, n - k + 1], [2 * K, k, 2 * K * k * k, n - k + 1],
                                      [K, k + 2, K * (k + 2) ** 2, n - k - 1]], dtype=torch.float32),
        "X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "W_o": W_o, "Q": Q, "weights": weights, "head_out": head_out,
        "row_sums": weights.sum(-1, keepdim=True), "focus": (weights.argmax(-1) + 1).float(),
        "mha_max_diff": torch.maximum((head_out.transpose(1, 2).reshape(1, L, D) - ref_out).abs().max(),
                                      (weights - ref_w).abs().max()),
        "Y1": Y1, "W2": W2, "Y2": Y2, "attn_reach": torch.tensor([float(L), float(L)]),
        "w_numel": torch.tensor(float(D * D)),
        "head_options": torch.tensor([[h, D // h, 4 * D * D, D] for h in divisors], dtype=torch.float32),
        "seq_scale": torch.cat([X, Q, Y1, Y2, W_q[None]], dim=1).abs().max(),
        "map_scale": maps.abs().max(), "weight_scale": weights.max(), "one": torch.tensor(1.0),
    }
    truth |= {f"map_{c}": maps[c] for c in range(K)}
    truth |= {f"weights_{h}": weights[0, h] for h in range(H)}
    truth |= {f"{name}_0": truth[name][0] for name in ("X", "Q", "Y1", "Y2")}
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
            torch.testing.assert_close(got, t.float(), rtol=1e-4, atol=1e-5, msg=name)
    assert float(truth["mha_max_diff"]) < 1e-5 and manifest["tensors"]["mha_max_diff"]["values"] < 1e-5
    checked = check_shown(scene, truth, NAMES)
    assert checked > 500  # each compared with recomputed torch above
    assert manifest["audit"]["heatmaps_checked"] > 50
    on_screen = seen(scene)
    for name in ("image", "kernels", "maps", "X", "head_out", "row_sums", "conv_options", "head_options"):
        t = truth[name]
        assert all((name, tuple(i)) in on_screen for i in np.ndindex(*t.shape)), name
    for key in (("conv_max_diff", ()), ("mha_max_diff", ()), ("conv_reach", (1,)), ("attn_reach", (0,))):
        assert key in on_screen, key
