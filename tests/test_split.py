"""The split tensors and scene against independent torch: wrong way, right way, nn.MultiheadAttention."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tensors.split import SplitConfig, SplitResult, build, multi_head, project_chunks
from tests.conftest import DryRun
from tests.shown import check_published, check_shown, positions, seen

CONFIGS = [SplitConfig(), SplitConfig(seq_len=2, d_model=2, heads=2, seed=1),
           SplitConfig(seq_len=3, d_model=3, heads=3, seed=2), SplitConfig(seq_len=4, d_model=4, heads=2, seed=5)]


def torch_module(W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor, W_o: torch.Tensor, H: int) -> torch.nn.Module:
    """nn.MultiheadAttention built here, in the test, with the lecture's weights."""
    D = W_q.shape[0]
    mha = torch.nn.MultiheadAttention(D, H, bias=False, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight[:D] = W_q.T
        mha.in_proj_weight[D:2 * D] = W_k.T
        mha.in_proj_weight[2 * D:] = W_v.T
        mha.out_proj.weight[:] = W_o.T
    return mha


def heads_of(x: torch.Tensor, H: int) -> torch.Tensor:
    """(1, L, D) -> (1, H, L, d) by slicing columns, one head at a time."""
    d = x.shape[-1] // H
    return torch.stack([x[..., h * d:(h + 1) * d] for h in range(H)], dim=1)


def recompute(E: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor, W_o: torch.Tensor,
              H: int) -> dict[str, torch.Tensor]:
    """Every tensor of the lecture from its inputs, with plain torch (slices and loops, no lecture code)."""
    D = E.shape[-1]
    d = D // H
    Q, K, V = E @ W_q, E @ W_k, E @ W_v
    Qh, Kh, Vh = heads_of(Q, H), heads_of(K, H), heads_of(V, H)
    weights = torch.softmax(Qh @ Kh.transpose(-2, -1) / math.sqrt(d), dim=-1)
    O = weights @ Vh
    concat = torch.cat([O[:, h] for h in range(H)], dim=-1)
    Y = concat @ W_o
    block = lambda k, h: W_q[k * d:(k + 1) * d, h * d:(h + 1) * d]  # noqa: E731
    chunks = heads_of(E, H)
    Q_wrong = torch.stack([chunks[:, h] @ block(h, h) for h in range(H)], dim=1)
    parts = torch.stack([torch.stack([chunks[:, k] @ block(k, h) for h in range(H)], dim=1) for k in range(H)], dim=1)
    gap = (Qh - Q_wrong).abs()
    dots = torch.stack([torch.stack([(Qh[:, :, i] * Kh[:, :, j]).sum(-1) for j in range(Qh.shape[2])], -1)
                        for i in range(Qh.shape[2])], -2)  # q_i . k_j, entry by entry
    scores = dots / math.sqrt(d)
    with torch.no_grad():
        Y_torch, _ = torch_module(W_q, W_k, W_v, W_o, H)(E, E, E, need_weights=False)
    return {
        "E": E, "W_q": W_q, "W_k": W_k, "W_v": W_v, "W_o": W_o, "E_chunks": chunks,
        "blocks": torch.stack([torch.stack([block(k, h) for h in range(H)]) for k in range(H)]),
        "Q_wrong": Q_wrong, "Q": Q, "K": K, "V": V, "Q_heads": Qh, "K_heads": Kh, "V_heads": Vh,
        "gap": gap, "gap_max": gap.max(), "worst": torch.tensor(np.unravel_index(int(gap.argmax()), gap.shape)[1:]),
        "parts": parts, "weights": weights, "O_heads": O, "concat": concat, "Y": Y, "Y_torch": Y_torch,
        "torch_diff": (Y - Y_torch).abs().max(),
        "K_heads_T": Kh.transpose(-2, -1), "dots": dots, "root_d": torch.tensor(math.sqrt(d)),
        "scores": scores,
        "mix": torch.stack([O[:, h] @ W_o[h * d:(h + 1) * d] for h in range(H)], dim=1),
    }


GIVEN = ("ids", "table", "accuracy", "loss_ends")  # the trained model's outputs, taken as given inputs



def truth_of(r: SplitResult) -> dict[str, torch.Tensor]:
    truth = recompute(r.E, r.W_q, r.W_k, r.W_v, r.W_o, r.config.heads)
    truth.update({k: getattr(r, k) for k in GIVEN})
    L, D = r.config.seq_len, r.config.d_model
    truth.update(tok=r.table[r.ids][None], P=positions(L, D)[None])
    return truth


# -- 1. the tensors against independent torch -------------------------------------------------------
@pytest.mark.parametrize("config", CONFIGS)
def test_every_tensor_equals_plain_torch(config: SplitConfig) -> None:
    r = build(config, torch.device("cpu"))
    truth = truth_of(r)
    assert set(truth) == set(r.tensors())
    for name, t in r.tensors().items():
        if name == "torch_diff":  # a float32 rounding residue: only its size is meaningful
            continue
        torch.testing.assert_close(t, truth[name], rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize("config", CONFIGS)
def test_concatenated_output_equals_multihead_attention(config: SplitConfig) -> None:
    r = build(config, torch.device("cpu"))
    mha = torch_module(r.W_q, r.W_k, r.W_v, r.W_o, config.heads)
    with torch.no_grad():
        want, _ = mha(r.E, r.E, r.E, need_weights=False)
    torch.testing.assert_close(r.Y, want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r.Y_torch, want, rtol=0, atol=0)
    # the bound difference is what torch says, and it is rounding only
    assert float(r.torch_diff) == float((r.Y - r.Y_torch).abs().max()) < 1e-5
    # and scaled_dot_product_attention, a third code path, agrees on the per-head outputs
    sdpa = F.scaled_dot_product_attention(r.Q_heads, r.K_heads, r.V_heads)
    torch.testing.assert_close(r.O_heads, sdpa, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("config", CONFIGS)
def test_wrong_way_differs_by_what_torch_says(config: SplitConfig) -> None:
    r = build(config, torch.device("cpu"))
    H, d = config.heads, config.d_head
    right = (r.E @ r.W_q).view(1, config.seq_len, H, d).permute(0, 2, 1, 3)
    wrong = torch.stack([r.E[..., h * d:(h + 1) * d] @ r.W_q[h * d:(h + 1) * d, h * d:(h + 1) * d]
                         for h in range(H)], dim=1)
    diff = (right - wrong).abs()
    assert float(r.gap_max) == pytest.approx(float(diff.max()), abs=1e-6)
    h, i, j = (int(x) for x in r.worst)
    assert float(diff[0, h, i, j]) == pytest.approx(float(diff.max()), abs=1e-6)
    assert float(r.gap_max) > 0.05  # the two ways really give different numbers
    # right = sum of every chunk's share; wrong = the own chunk's share alone
    torch.testing.assert_close(r.parts[0].sum(0), right[0], rtol=1e-5, atol=1e-6)
    for h in range(H):
        torch.testing.assert_close(r.parts[0, h, h], wrong[0, h])


def right_way(E: torch.Tensor, W: torch.Tensor, H: int) -> torch.Tensor:
    """Project all of E, then cut the result into heads: plain torch."""
    return heads_of(E @ W, H)


def wrong_way(E: torch.Tensor, W: torch.Tensor, H: int) -> torch.Tensor:
    """Cut E into chunks, then give chunk h only its own d x d block of W: plain torch."""
    d = E.shape[-1] // H
    return torch.stack([E[..., h * d:(h + 1) * d] @ W[h * d:(h + 1) * d, h * d:(h + 1) * d] for h in range(H)], dim=1)


def test_wrong_way_is_right_only_for_a_block_diagonal_weight() -> None:
    r = build(SplitConfig(), torch.device("cpu"))
    H, d = 2, 2
    W = r.W_q * torch.block_diag(*[torch.ones(d, d)] * H)
    torch.testing.assert_close(wrong_way(r.E, W, H), right_way(r.E, W, H))  # block diagonal: the two agree
    assert (wrong_way(r.E, r.W_q, H) - right_way(r.E, r.W_q, H)).abs().max() > 0.05  # a full W^q: they do not
    for weight in (W, r.W_q):  # the lecture's two functions are those two ways
        torch.testing.assert_close(project_chunks(r.E, weight, H), wrong_way(r.E, weight, H))
        torch.testing.assert_close(multi_head(r.E, weight, r.W_k, r.W_v, r.W_o, H)["Q_heads"],
                                   right_way(r.E, weight, H))


def test_every_head_sees_every_dimension_only_the_right_way() -> None:
    r = build(SplitConfig(), torch.device("cpu"))
    H, d, D = 2, 2, 4
    for dim in range(D):
        E2 = r.E.clone()
        E2[..., dim] += 1.0
        right = right_way(E2, r.W_q, H) - right_way(r.E, r.W_q, H)
        wrong = wrong_way(E2, r.W_q, H) - wrong_way(r.E, r.W_q, H)
        for h in range(H):
            assert right[:, h].abs().max() > 0  # every head reacts to every embedding dimension
            reacts = bool(wrong[:, h].abs().max() > 0)
            assert reacts == (dim // d == h)  # the wrong way's head h only sees its own chunk
        torch.testing.assert_close(project_chunks(E2, r.W_q, H), wrong_way(E2, r.W_q, H))
        torch.testing.assert_close(multi_head(E2, r.W_q, r.W_k, r.W_v, r.W_o, H)["Q_heads"], right_way(E2, r.W_q, H))


def test_seed_reproducible() -> None:
    a, b = build(SplitConfig(seed=3), torch.device("cpu")), build(SplitConfig(seed=3), torch.device("cpu"))
    assert all(torch.equal(a.tensors()[k], b.tensors()[k]) for k in a.tensors())
    assert not torch.equal(a.E, build(SplitConfig(seed=4), torch.device("cpu")).E)


# -- 2. what the scene showed against torch recomputed here ----------------------------------------
def test_scene_numbers_equal_recomputed_torch(dry: DryRun) -> None:
    outcome = dry("split")
    manifest, scene = outcome.manifest, outcome.scene
    values: dict[str, Any] = {k: torch.tensor(v["values"]) for k, v in manifest["tensors"].items()}
    truth = recompute(*(values[n] for n in ("E", "W_q", "W_k", "W_v", "W_o")), manifest["config"]["heads"])
    truth.update({k: values[k] for k in GIVEN})
    L, D = values["E"].shape[1:]
    truth.update(tok=values["table"][values["ids"].long()][None], P=positions(L, D)[None])
    torch.testing.assert_close(truth["tok"] + truth["P"], values["E"], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(values["E"][0], values["table"][values["ids"].long()] + positions(L, D), rtol=1e-5,
                               atol=1e-5)
    words = manifest["training"]["words"]
    strings = {f"word{i}": words[int(w)] for i, w in enumerate(values["ids"])}
    assert set(truth) == set(manifest["tensors"])
    checked = check_shown(scene, truth, strings)  # every (number, text) the audits saw, against torch recomputed here
    assert checked > 1000
    on_screen = seen(scene)
    must = ("E", "W_q", "W_k", "W_v", "Q", "K", "V", "scores", "Q_wrong", "Q_heads", "K_heads", "V_heads", "weights", "O_heads", "concat", "W_o", "Y",
            "Y_torch")
    assert manifest["training"]["held_out_accuracy"] >= 0.95 and "word before" in manifest["training"]["task"]
    for name in must:
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    assert check_published(scene, manifest) >= sum(truth[name].numel() for name in must)
    h, i, j = (int(x) for x in truth["worst"])
    assert {("gap_max", ()), ("torch_diff", ()), ("Q_heads", (0, h, i, j)), ("Q_wrong", (0, h, i, j))} <= on_screen
    assert all(("parts", (0, k, h, i, j)) in on_screen for k in range(manifest["config"]["heads"]))
    # E built from the table rows plus positions; head 1's scores from q . k, then softmax
    for name in ("tok", "P", "K_heads_T"):
        shape = truth[name][0, 0].shape if name == "K_heads_T" else truth[name][0].shape
        prefix = (0, 0) if name == "K_heads_T" else (0,)
        assert all((name, prefix + tuple(i)) in on_screen for i in np.ndindex(*shape)), name
    assert ("dots", (0, 0, 1, 0)) in on_screen and ("root_d", ()) in on_screen
    torch.testing.assert_close(torch.softmax(truth["scores"], -1), truth["weights"])


def test_captions_bind_the_largest_gap(dry: DryRun) -> None:
    outcome = dry("split")
    texts = " ".join(c["text"] for c in outcome.manifest["captions"])
    gap = outcome.manifest["tensors"]["gap_max"]["values"]
    assert f"{gap:.2f}" in texts


# -- 3. validation -----------------------------------------------------------------------------------


# -- 4. the trained weights ----------------------------------------------------------------------
def test_trained_heads_look_one_back_and_one_ahead() -> None:
    """Recomputed here from the trained weights with plain torch: head 1 reads the word before, head 2 the word after."""
    r = build(SplitConfig(), torch.device("cpu"))
    L, H = r.config.seq_len, r.config.heads
    d = r.config.d_head
    Q, K = heads_of(r.E @ r.W_q, H), heads_of(r.E @ r.W_k, H)
    A = torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(d), dim=-1)[0]  # (H, L, L)
    for i in range(1, L):
        assert float(A[0, i, i - 1]) > 0.8, (i, A[0])
    for i in range(L - 1):
        assert float(A[1, i, i + 1]) > 0.8, (i, A[1])
    torch.testing.assert_close(A, r.weights[0])


def test_embeddings_are_the_trained_table_plus_positions() -> None:
    r = build(SplitConfig(), torch.device("cpu"))
    L, D = r.config.seq_len, r.config.d_model
    torch.testing.assert_close(r.E[0], r.table[r.ids] + positions(L, D), rtol=1e-5, atol=1e-5)
    assert len(set(r.ids.tolist())) == L  # distinct words, so "the word before" names one word
    record = r.training()
    assert record is not None and record["held_out_accuracy"] >= 0.95
    assert float(r.loss_ends[1]) < float(r.loss_ends[0]) / 100  # the loss fell


def test_every_output_sums_a_part_from_every_head() -> None:
    r = build(SplitConfig(), torch.device("cpu"))
    torch.testing.assert_close(r.mix.sum(1), r.Y, rtol=1e-5, atol=1e-5)
    assert (r.mix.abs() > 1e-3).all()  # no head's part is nothing


def test_three_heads_need_short_sentences() -> None:
    from tensors.common import ConfigError

    with pytest.raises(ConfigError, match="--seq-len 4 with --heads 3 is too large: the limit is 3"):
        SplitConfig(seq_len=4, d_model=3, heads=3).validate()
