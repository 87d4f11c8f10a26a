"""The heads tensors against independent torch: slices, the reshape, the blocks, the convention."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tensors.heads import HeadsConfig, HeadsResult, build, split_heads


def test_convention_is_paper_right_multiplication(heads_result: HeadsResult) -> None:
    r = heads_result
    assert r.W_q.shape == (r.config.d_model, r.config.heads * r.config.d_q)
    assert torch.equal(r.W_q, r.weight.T)
    torch.testing.assert_close(r.Q, r.E @ r.W_q)
    torch.testing.assert_close(r.Q, torch.nn.functional.linear(r.E, r.weight))


def test_every_head_slice_is_E_times_its_band(heads_result: HeadsResult) -> None:
    r = heads_result
    d = r.config.d_q
    for h in range(r.config.heads):
        band = r.W_q[:, h * d:(h + 1) * d]
        assert torch.equal(r.W_q_heads[h], band)
        torch.testing.assert_close(r.Q_heads[:, h], r.E @ band)
        torch.testing.assert_close(r.Q_paper[:, h], r.E @ band, rtol=0, atol=0)
        assert torch.equal(r.Q_heads[:, h], r.Q[:, :, h * d:(h + 1) * d])


def test_max_abs_diff_is_what_torch_says(heads_result: HeadsResult) -> None:
    r = heads_result
    d = r.config.d_q
    slices = torch.stack([r.Q[:, :, h * d:(h + 1) * d] for h in range(r.config.heads)], dim=1)
    per_head = torch.stack([r.E @ r.W_q[:, h * d:(h + 1) * d] for h in range(r.config.heads)], dim=1)
    assert float(r.max_abs_diff) == float((per_head - slices).abs().max())
    assert float(r.max_abs_diff) < 1e-5


@pytest.mark.parametrize("B,L,D,H", [(1, 4, 6, 3), (2, 5, 8, 2), (3, 3, 8, 4), (1, 2, 4, 1)])
def test_split_matches_multihead_attention(B: int, L: int, D: int, H: int) -> None:
    """Attention computed on our head split equals nn.MultiheadAttention with the same weights."""
    torch.manual_seed(B * 100 + D)
    mha = torch.nn.MultiheadAttention(D, H, bias=False, batch_first=True)
    x = torch.randn(B, L, D)
    want, _ = mha(x, x, x, need_weights=False)
    w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
    q, k, v = (split_heads(F.linear(x, w), H) for w in (w_q, w_k, w_v))  # (B, H, L, d)
    att = torch.softmax(q @ k.transpose(-2, -1) / (D // H) ** 0.5, dim=-1)
    y = (att @ v).transpose(1, 2).reshape(B, L, D)
    torch.testing.assert_close(F.linear(y, mha.out_proj.weight), want, rtol=1e-5, atol=1e-6)


def test_default_weight_is_not_square_so_out_in_shows(heads_result: HeadsResult) -> None:
    """With the default sizes D differs from H * d_q: nn.Linear's (out, in) and the paper's W^q differ in shape."""
    r = heads_result
    D, C = r.config.d_model, r.config.heads * r.config.d_q
    assert D != C
    assert r.weight.shape == (C, D) and r.W_q.shape == (D, C)


@pytest.mark.parametrize("D,H,d", [(4, 3, 2), (4, 2, 2), (3, 2, 3), (2, 4, 1)])
def test_any_head_size_splits_like_the_paper(D: int, H: int, d: int) -> None:
    r = build(HeadsConfig(d_model=D, heads=H, head_size=d), torch.device("cpu"))
    assert r.Q_heads.shape == (1, H, r.config.seq_len, d)
    for h in range(H):
        torch.testing.assert_close(r.Q_heads[:, h], r.E @ r.weight.T[:, h * d:(h + 1) * d])


def test_real_scale_bands(heads_result: HeadsResult) -> None:
    r = heads_result
    assert r.W_big.shape == (512, 512)
    assert r.W_big_heads.shape == (8, 512, 64)
    assert torch.equal(r.W_big_heads[3], r.W_big[:, 192:256])
    assert float(r.W_big_absmax) == float(r.W_big.abs().max())
    bound = 1 / 512 ** 0.5
    assert float(r.W_big.abs().max()) <= bound
    # the enlarged corner: rows 1-12 and columns 49-80 (1-based), across the edge of head 1's band at 64
    assert torch.equal(r.W_big_crop, r.W_big[:12, 48:80])
    assert r.crop_bounds.tolist() == [1, 12, 49, 80]


MPS = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
AVAILABLE = ["cpu", *(["cuda"] if torch.cuda.is_available() else []), *(["mps"] if MPS else [])]


@pytest.mark.parametrize("device", AVAILABLE)
def test_same_seed_same_inputs_on_each_available_device_and_float32_matches_float64(device: str) -> None:
    """Only the devices this machine has (often just cpu): inputs equal the CPU draw bit for bit; the
    float32 products computed there equal a float64 recomputation to float32 precision."""
    cpu = build(HeadsConfig(seed=7), torch.device("cpu"))
    r = build(HeadsConfig(seed=7), torch.device(device))
    for name in ("E", "weight", "W_big"):
        assert torch.equal(getattr(r, name).cpu(), getattr(cpu, name)), name
    assert not torch.equal(cpu.E, build(HeadsConfig(seed=8), torch.device("cpu")).E)
    E64, W64 = r.E.cpu().double(), r.weight.cpu().double().T
    d = r.config.d_q
    assert r.Q.dtype == torch.float32
    torch.testing.assert_close(r.Q.cpu().double(), E64 @ W64, rtol=1e-5, atol=1e-6)
    for h in range(r.config.heads):
        torch.testing.assert_close(r.Q_paper[:, h].cpu().double(), E64 @ W64[:, h * d:(h + 1) * d], rtol=1e-5,
                                   atol=1e-6)
    assert float(r.max_abs_diff) < 1e-5  # float32 rounding at most, between two float32 computations


def test_view_then_transpose_moves_piece_l_h_to_h_l(heads_result: HeadsResult) -> None:
    """The lecture's view grid shows Q[0, l, h*d:(h+1)*d] as piece (l, h); the transpose puts it at (h, l)."""
    r = heads_result
    d, H, L = r.config.d_q, r.config.heads, r.config.seq_len
    view = r.Q.view(r.config.batch, L, H, d)
    for l in range(L):
        for h in range(H):
            assert torch.equal(view[0, l, h], r.Q[0, l, h * d:(h + 1) * d])
            assert torch.equal(r.Q_heads[0, h, l], view[0, l, h])


def test_heads_values_are_random_draws_not_trained(heads_result: HeadsResult) -> None:
    """The heads lecture says "random": its result records no training."""
    assert heads_result.training() is None
    bound = 1 / heads_result.config.d_model ** 0.5
    assert float(heads_result.weight.abs().max()) <= bound  # nn.Linear's initial range


def test_terms_are_the_products_summed_into_Q(heads_result: HeadsResult) -> None:
    """The lecture writes Q[0, 0, j] term by term: E[0, 0, k] * W^q[k, j], summed over k, is Q's entry."""
    r = heads_result
    E, W = r.E.cpu(), r.weight.cpu().T
    want = torch.einsum("blk,kj->blkj", E, W)
    torch.testing.assert_close(r.terms.cpu(), want, rtol=0, atol=0)
    torch.testing.assert_close(r.terms.sum(dim=2), r.Q, rtol=1e-6, atol=1e-6)
    # the shown products (three decimals) add up to the shown entry (two decimals) once rounded
    shown = sum(round(float(x), 3) for x in want[0, 0, :, 0])
    assert f"{shown:.2f}" == f"{float(E[0, 0] @ W[:, 0]):.2f}"


def test_scene_shows_terms_slices_and_the_transposes(heads_dry) -> None:  # type: ignore[no-untyped-def]
    """The dry-run scene showed every product of the first row of Q; its captions speak of the diagonal and of K, V."""
    from tests.shown import seen

    scene = heads_dry.scene
    r = scene.result
    on_screen = seen(scene)
    D, C = r.config.d_model, r.config.heads * r.config.d_q
    terms = {idx for name, idx in on_screen if name == "terms"}
    assert {(0, 0, k, j) for k in range(D) for j in range(C)} <= terms
    texts = " ".join(t for line in scene.lines for t in [line["line"].text])
    assert "across the diagonal" in texts and "K and V" in texts
