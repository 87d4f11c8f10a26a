"""The cnn tensors against independent torch; the scene's numbers against torch recomputed here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tensors.cnn import CnnConfig, CnnResult, build, weight_pointers
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
CONFIGS = [CnnConfig(), CnnConfig(batch=2, size=5, pool=3, seed=3), CnnConfig(batch=3, size=8, pool=2, seed=1),
           CnnConfig(batch=4, size=8, pool=3, seed=7)]


def loop_windows(images: torch.Tensor, k: int) -> torch.Tensor:
    """Every k x k window, cut with plain indexing (no unfold)."""
    B, _, n, _ = images.shape
    m = n - k + 1
    out = torch.empty(B, m, m, k, k)
    for b in range(B):
        for r in range(m):
            for c in range(m):
                out[b, r, c] = images[b, 0, r:r + k, c:c + k]
    return out


def loop_pool(fmap: torch.Tensor, p: int) -> torch.Tensor:
    """Max of every p x p region, by plain indexing."""
    B, m, _ = fmap.shape
    out = torch.empty(B, m // p, m // p)
    for b in range(B):
        for i in range(m // p):
            for j in range(m // p):
                out[b, i, j] = fmap[b, i * p:(i + 1) * p, j * p:(j + 1) * p].max()
    return out


@pytest.fixture(scope="module", params=range(len(CONFIGS)), ids=lambda i: f"cfg{i}")
def result(request: pytest.FixtureRequest) -> CnnResult:
    return build(CONFIGS[request.param], CPU)


def test_every_output_pixel_is_a_window_dot_kernel(result: CnnResult) -> None:
    r = result
    kernel = r.kernel[0, 0]
    windows = loop_windows(r.images, 3)
    assert torch.equal(r.windows, windows)
    assert torch.equal(r.products, windows * kernel)
    dots = torch.tensor([[[float((w * kernel).sum()) for w in row] for row in img] for img in windows])
    assert torch.equal(r.fmap_sliding, dots)


def test_sliding_map_equals_conv2d_exactly(result: CnnResult) -> None:
    r = result
    conv = torch.nn.Conv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        conv.weight.copy_(r.kernel)
        want = conv(r.images)[:, 0]
    assert torch.equal(r.fmap_conv, want)
    assert torch.equal(r.fmap_conv, F.conv2d(r.images, r.kernel)[:, 0])
    assert float(r.conv_max_diff) == 0.0  # quarter-step pixels: every sum is exact in any order
    assert torch.equal(r.fmap_sliding, r.fmap_conv)
    assert bool(((r.images * 4).round() == r.images * 4).all())


def test_one_kernel_for_the_whole_batch(result: CnnResult) -> None:
    r = result
    B = r.config.batch
    assert r.kernel.shape == (1, 1, 3, 3)  # (out, in, kh, kw): no batch dimension
    assert torch.equal(r.kernel[0, 0], torch.tensor([[-1.0, 2.0, -1.0]] * 3))
    assert r.kernel_ptrs.shape == (B,) and len(set(r.kernel_ptrs.tolist())) == 1
    assert int(r.distinct_kernels) == 1
    # an independent hook on nn.Conv2d: one weight address whatever image goes through
    layer = torch.nn.Conv2d(1, 1, 3, bias=False)
    seen_ptrs: list[int] = []
    layer.register_forward_pre_hook(lambda mod, args: seen_ptrs.append(mod.weight.data_ptr()))
    with torch.no_grad():
        for image in r.images:
            layer(image[None])
    assert len(seen_ptrs) == B and len(set(seen_ptrs)) == 1
    again = weight_pointers(r.images, r.kernel)
    assert again.shape == (B,) and len(set(again.tolist())) == 1
    # the check can tell weights apart: separate layers have separate addresses
    layers = [torch.nn.Conv2d(1, 1, 3, bias=False) for _ in range(B)]
    assert len({layer.weight.data_ptr() for layer in layers}) == B


def test_feature_maps_find_vertical_strokes(result: CnnResult) -> None:
    r = result
    n = r.config.size
    bar = n // 4  # image 0: vertical bar in this column; output column bar - 1 covers it centred
    col_means = r.fmap_conv[0].mean(dim=0)
    assert int(col_means.argmax()) == bar - 1 and float(col_means.max()) > 4
    img_cols = r.images[0, 0].mean(dim=0)
    assert int(img_cols.argmax()) == bar
    # a horizontal bar gives no strong response anywhere
    assert float(r.fmap_conv[1].abs().max()) < 0.5 * float(r.fmap_conv[0].max())
    assert int(r.images[1, 0].mean(dim=1).argmax()) == n - 1 - n // 4


def test_pooling_is_one_max_per_region(result: CnnResult) -> None:
    r = result
    p = r.config.pool
    want = loop_pool(r.fmap_conv, p)
    assert torch.equal(r.pooled, want) and torch.equal(r.pooled_regions, want)
    assert torch.equal(r.pooled, F.max_pool2d(r.fmap_conv[:, None], p)[:, 0])
    assert float(r.pool_max_diff) == 0.0
    B, q = r.config.batch, r.pooled.shape[1]
    for b in range(B):
        for i in range(q):
            for j in range(q):
                row, col = r.pooled_at[b, i, j].tolist()
                assert i * p <= row < (i + 1) * p and j * p <= col < (j + 1) * p  # inside its own region
                assert float(r.fmap_conv[b, row, col]) == float(r.pooled[b, i, j])


def test_counts(result: CnnResult) -> None:
    r = result
    n, B = r.config.size, r.config.batch
    m = n - 2
    assert r.fmap_conv.shape == (B, m, m)
    assert int(r.locations) == m * m and int(r.windows_total) == B * m * m
    assert int(r.kernel_params) == 9 and int(r.dense_params) == n * n * m * m
    assert float(r.image_absmax) == float(r.images.abs().max())
    assert float(r.fmap_absmax) == float(r.fmap_conv.abs().max())


def test_a_shifted_pattern_gives_the_shifted_response(result: CnnResult) -> None:
    r = result
    m, s = r.fmap_conv.shape[-1], int(r.shift)
    assert s == m // 2 >= 1
    moved = torch.zeros_like(r.images[0, 0])
    moved[:, s:] = r.images[0, 0, :, :-s]  # zeros come in on the left
    assert torch.equal(r.shifted, moved)
    response = F.conv2d(moved[None, None], r.kernel)[0, 0]
    assert torch.equal(r.shifted_fmap, response)
    assert torch.equal(response[:, s:], r.fmap_conv[0][:, :m - s]) and float(r.shift_diff) == 0.0
    before, after = (int(x) for x in r.peak_cols)
    assert before == int(r.fmap_conv[0].mean(0).argmax()) + 1 and after == before + s


def test_a_dense_layer_is_shared_too_and_far_bigger(result: CnnResult) -> None:
    r = result
    n, B = r.config.size, r.config.batch
    m = n - 2
    dense = torch.nn.Linear(n * n, m * m, bias=False)
    assert r.dense_weight.shape == dense.weight.shape
    assert int(r.dense_params) == sum(p.numel() for p in dense.parameters()) == int(r.image_pixels) * m * m
    assert float(r.dense_weight.abs().max()) <= 1 / n  # nn.Linear's init bound 1/sqrt(n*n): random, as said
    assert r.dense_ptrs.shape == (B,) and len(set(r.dense_ptrs.tolist())) == 1 and int(r.dense_distinct) == 1
    assert float(r.grey_step) == 0.25 and bool(((r.images / r.grey_step).round() == r.images / r.grey_step).all())


def test_one_sgd_step_sums_every_window(result: CnnResult) -> None:
    r = result
    kernel = r.kernel.clone().requires_grad_(True)
    loss = F.conv2d(r.images, kernel).sum()  # d loss / d response = 1 at every place of every image
    loss.backward()
    want = loop_windows(r.images, 3).sum(dim=(0, 1, 2))  # each place hands the kernel its window
    assert torch.equal(kernel.grad[0, 0], want) and torch.equal(r.kernel_grad, want) and torch.equal(r.grad_sum, want)
    assert float(r.grad_diff) == 0.0 and float(r.loss) == float(loss.detach())
    torch.testing.assert_close(r.kernel_new, r.kernel[0, 0] - 0.04 * want)
    assert not torch.equal(r.kernel_new, r.kernel[0, 0])  # the one kernel moved
    assert torch.equal(r.kernel[0, 0], torch.tensor([[-1.0, 2.0, -1.0]] * 3))  # the lecture's kernel is untouched


def test_dense_outputs_are_rows_of_the_weight_times_the_pixels(result: CnnResult) -> None:
    r = result
    x = r.images.reshape(r.config.batch, -1)
    assert torch.equal(r.dense_x, x)
    torch.testing.assert_close(r.dense_out, x @ r.dense_weight.T)
    torch.testing.assert_close(r.dense_out[0, 0], (r.dense_weight[0] * x[0]).sum())
    assert torch.equal(r.dense_prod, r.dense_weight[0] * x[0])
    assert float(r.dense_out_diff) < 1e-5


def test_seed_reproducible() -> None:
    a, b, c = build(CnnConfig(seed=5), CPU), build(CnnConfig(seed=5), CPU), build(CnnConfig(seed=6), CPU)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)


# -- the scene ------------------------------------------------------------------------------
PATTERN_NAMES = {"pattern_0": "vertical bar", "pattern_1": "horizontal bar", "pattern_2": "diagonal",
                 "pattern_3": "cross"}


def recompute(manifest: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the manifest's inputs, with plain torch and loops."""
    cfg = manifest["config"]
    B, n, p = cfg["batch"], cfg["size"], cfg["pool"]
    m = n - 2
    tensors = manifest["tensors"]
    images = torch.tensor(tensors["images"]["values"])
    kernel = torch.tensor(tensors["kernel"]["values"])
    windows = loop_windows(images, 3)
    products = windows * kernel[0, 0]
    sliding = products.sum(dim=(-2, -1))
    conv = F.conv2d(images, kernel)[:, 0]
    pooled, where = F.max_pool2d(conv[:, None], p, return_indices=True)
    regions = conv.view(B, m // p, p, m // p, p).transpose(2, 3)
    ptrs = torch.tensor(tensors["kernel_ptrs"]["values"])  # an observation, not a computation
    assert len(set(ptrs.tolist())) == 1
    truth = {
        "images": images, "kernel": kernel, "windows": windows, "products": products, "fmap_sliding": sliding,
        "fmap_conv": conv, "conv_max_diff": (sliding - conv).abs().max(), "kernel_ptrs": ptrs,
        "distinct_kernels": torch.tensor(1), "regions": regions, "pooled_regions": loop_pool(conv, p),
        "pooled": pooled[:, 0], "pooled_at": torch.stack((where[:, 0] // m, where[:, 0] % m), dim=-1),
        "pool_max_diff": (loop_pool(conv, p) - pooled[:, 0]).abs().max(),
        "locations": torch.tensor(m * m), "windows_total": torch.tensor(B * m * m), "kernel_params": torch.tensor(9),
        "dense_params": torch.tensor(n * n * m * m), "image_absmax": images.abs().max(),
        "fmap_absmax": conv.abs().max(),
    }
    dense = torch.tensor(tensors["dense_weight"]["values"])  # random draws: an input
    dptrs = torch.tensor(tensors["dense_ptrs"]["values"])  # an observation
    assert len(set(dptrs.tolist())) == 1
    s = m // 2
    shifted = torch.zeros(n, n)
    shifted[:, s:] = images[0, 0, :, :-s]
    sconv = F.conv2d(shifted[None, None], kernel)[0, 0]
    a, da, ia = conv.abs().max(), dense.abs().max(), images.abs().max()
    truth |= {
        "image_pixels": torch.tensor(n * n), "dense_weight": dense, "dense_ptrs": dptrs,
        "dense_distinct": torch.tensor(1), "grey_step": torch.tensor(0.25), "shift": torch.tensor(s),
        "shifted": shifted, "shifted_fmap": sconv, "shift_diff": (sconv[:, s:] - conv[0][:, :m - s]).abs().max(),
        "peak_cols": torch.stack([conv[0].mean(0).argmax(), sconv.mean(0).argmax()]) + 1,
        "dense_absmax": da, "dense_ramp": torch.linspace(-float(da), float(da), 64)[None],
        "ramp": torch.linspace(-float(a), float(a), 64)[None],
        "image_ramp": torch.linspace(-float(ia), float(ia), 64)[None],
    }
    for i in range(B):
        truth[f"image_{i}"], truth[f"fmap_{i}"], truth[f"pooled_{i}"] = images[i, 0], conv[i], pooled[i, 0]
    # the dense layer worked out: image 1 flattened, row 1 of the weight times it, every output by nn.Linear
    x = images.reshape(B, n * n)
    linear = torch.nn.Linear(n * n, m * m, bias=False)
    with torch.no_grad():
        linear.weight.copy_(dense)
        out = linear(x)
    by_hand = torch.tensor([[sum(float(dense[o, j]) * float(x[i, j]) for j in range(n * n)) for o in range(m * m)]
                            for i in range(B)])
    torch.testing.assert_close(out, by_hand, rtol=0, atol=1e-5)
    truth |= {"dense_x": x, "dense_prod": dense[0] * x[0], "dense_out": out, "dense_out_ref": out,
              "dense_out_diff": torch.tensor(0.0), "prod_absmax": (dense[0] * x[0]).abs().max(),
              "out_absmax": out.abs().max(), "dense_x_0": x[:1], "dense_prod_0": (dense[0] * x[0])[None],
              "dense_row_0": dense[0:1]}
    for i in range(B):
        truth[f"dense_map_{i}"] = out[i].view(m, m)
    for r in range(n):
        truth[f"image_row_{r}"] = images[0, 0, r:r + 1]
    # one SGD step on the toy loss 'sum of every response', by autograd on an nn.Conv2d of our own
    conv_layer = torch.nn.Conv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        conv_layer.weight.copy_(kernel)
    loss = conv_layer(images).sum()
    loss.backward()
    grad = conv_layer.weight.grad[0, 0]
    truth |= {"loss": loss.detach(), "kernel_grad": grad, "grad_sum": windows.sum(dim=(0, 1, 2)),
              "grad_diff": torch.tensor(0.0), "lr": torch.tensor(0.04), "kernel_new": kernel[0, 0] - 0.04 * grad}
    return truth


CLOSE = {"dense_out", "dense_out_ref", "dense_out_diff", "out_absmax", "kernel_new", "lr"}  # float32 rounding apart
for _i in range(4):
    CLOSE.add(f"dense_map_{_i}")


def test_every_number_shown_equals_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("cnn")
    manifest, scene = outcome.manifest, outcome.scene
    truth = recompute(manifest)
    assert set(truth) == set(manifest["tensors"])
    for name, t in truth.items():
        got = torch.tensor(manifest["tensors"][name]["values"])
        if name.endswith("ramp") or name in CLOSE:  # linspace, matmul order, SGD's add: the same to float32 rounding
            torch.testing.assert_close(got.to(t.dtype), t, msg=name)
            continue
        assert torch.equal(got.to(t.dtype), t), name
    strings = {k: v for k, v in PATTERN_NAMES.items() if k in manifest["strings"]}
    assert manifest["strings"] == strings
    checked = check_shown(scene, truth, strings)
    assert checked == manifest["audit"]["numbers_checked"] > 500
    assert manifest["audit"]["heatmaps_checked"] > 0
    on_screen = seen(scene)
    for name, prefix in (("images", (0, 0)), ("kernel", (0, 0)), ("fmap_sliding", (0,)), ("fmap_conv", (0,))):
        t = truth[name][prefix]
        assert all((name, prefix + tuple(i)) in on_screen for i in np.ndindex(*t.shape)), name
    assert all(("pooled", tuple(i)) in on_screen for i in np.ndindex(*truth["pooled"].shape))
    assert all(("kernel_ptrs", (i,)) in on_screen for i in range(manifest["config"]["batch"]))
    for name in ("conv_max_diff", "pool_max_diff", "distinct_kernels", "dense_params", "grey_step", "shift_diff",
                 "dense_distinct", "shift"):
        assert (name, ()) in on_screen, name
    m = manifest["config"]["size"] - 2
    assert all(("dense_out", (0, c)) in on_screen for c in range(m * m))  # image 1's dense outputs, every one
    for name in ("grad_sum", "kernel_grad", "kernel_new"):  # the gradient step, all nine weights
        assert all((name, (r, c)) in on_screen for r in range(3) for c in range(3)), name
    assert ("grad_diff", ()) in on_screen and ("loss", ()) in on_screen and ("lr", ()) in on_screen
    # the two windows worked out on screen, entry by entry, and their products
    assert all((name, (0, 0, c, r, s)) in on_screen for name in ("windows", "products") for c in range(2)
               for r in range(3) for s in range(3))
