"""The fixed tensors against independent torch: frozen weights, the permutation property, positions, vocabulary."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from driver import registry
from driver.pipeline import Outcome, RenderRequest, render
from tensors.fixed import FixedConfig, FixedResult, build
from tests.conftest import DryRun
from tests.shown import check_shown, seen

CPU = torch.device("cpu")
CAT, EAT, MOUSE = 0, 1, 2  # table rows of the three words the sentences use


def positions(L: int, D: int) -> torch.Tensor:
    """The paper's PE, entry by entry: sin(p / 10000^(2i/D)) at 2i, cos at 2i + 1."""
    pe = torch.empty(L, D)
    for p in range(L):
        for i in range(0, D, 2):
            angle = p / 10000 ** (i / D)
            pe[p, i] = math.sin(angle)
            pe[p, i + 1] = math.cos(angle)
    return pe


def attention(x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T / sqrt(d)) v written out, so rounding-level gaps follow the formula's own order."""
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    w = torch.softmax(torch.einsum("sid,sjd->sij", q, k) / math.sqrt(k.shape[-1]), dim=-1)
    return w @ v, w


def recompute(table: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor,
              big_shape: tuple[int, int]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from its inputs, with plain torch."""
    ids = torch.tensor([[CAT, EAT, MOUSE], [MOUSE, EAT, CAT]])
    X = F.embedding(ids, table)
    PE = positions(3, table.shape[1])
    out_plain, att_plain = attention(X, W_q, W_k, W_v)
    out_pe, att_pe = attention(X + PE, W_q, W_k, W_v)
    table_big = torch.empty(big_shape)  # only its shape is shown
    return {
        "table": table, "ids": ids, "focus": torch.tensor([1, 1]), "W_q": W_q, "W_k": W_k, "W_v": W_v, "X": X,
        "emb_diff": (X[0, 1] - X[1, 1]).abs().max(), "out_plain": out_plain, "att_plain": att_plain,
        "plain_diff": (out_plain[0, 1] - out_plain[1, 1]).abs().max(), "PE": PE, "X_pe": X + PE,
        "out_pe": out_pe, "att_pe": att_pe, "pe_diff": (out_pe[0, 1] - out_pe[1, 1]).abs().max(),
        "table_big": table_big,
        "table_params": torch.tensor([table.shape[0] * table.shape[1], big_shape[0] * big_shape[1]]),
        "wq_params": torch.tensor(W_q.shape[0] * W_q.shape[1]),
    }


CONFIGS = [FixedConfig(), FixedConfig(d_model=2, vocab=3, big_vocab=4, seed=1),
           FixedConfig(d_model=4, vocab=8, big_vocab=1000, seed=3), FixedConfig(seed=5)]


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda c: f"D{c.d_model}-V{c.vocab}-seed{c.seed}")
def result(request: pytest.FixtureRequest) -> FixedResult:
    return build(request.param, CPU)


def test_attention_reference_agrees_with_torch_kernel(result: FixedResult) -> None:
    """The test's own attention against torch's fused scaled_dot_product_attention."""
    r = result
    for x, out in ((r.X, r.out_plain), (r.X_pe, r.out_pe)):
        want = F.scaled_dot_product_attention(x @ r.W_q, x @ r.W_k, x @ r.W_v)
        torch.testing.assert_close(attention(x, r.W_q, r.W_k, r.W_v)[0], want, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-6)


def test_every_tensor_matches_independent_torch(result: FixedResult) -> None:
    r = result
    truth = recompute(r.table, r.W_q, r.W_k, r.W_v, tuple(r.table_big.shape))
    assert set(truth) == set(r.tensors())
    for name, want in truth.items():
        if name == "table_big":
            continue
        torch.testing.assert_close(r.tensors()[name], want.to(r.tensors()[name].dtype), rtol=1e-5, atol=1e-6,
                                   msg=lambda m, n=name: f"{n}: {m}")


def test_words_and_sentences(result: FixedResult) -> None:
    r = result
    assert [[r.words[i] for i in row] for row in r.ids.tolist()] == [["cat", "eat", "mouse"], ["mouse", "eat", "cat"]]
    assert len(r.words) == r.table.shape[0] == r.config.vocab


def test_weights_are_frozen_and_square(result: FixedResult) -> None:
    D = result.config.d_model
    for W in (result.W_q, result.W_k, result.W_v):
        assert W.shape == (D, D) and not W.requires_grad
        assert float(W.abs().max()) <= 1 / math.sqrt(D)  # nn.Linear's init range


def test_without_positions_eat_is_the_same_in_both_sentences(result: FixedResult) -> None:
    """Permutation equivariance: reversing the sentence reverses the output rows, nothing else."""
    r = result
    X = r.table[torch.tensor([[CAT, EAT, MOUSE], [MOUSE, EAT, CAT]])]
    assert torch.equal(X[0, 1], X[1, 1]) and float(r.emb_diff) == 0.0
    out, w = attention(X, r.W_q, r.W_k, r.W_v)
    torch.testing.assert_close(out[1], out[0].flip(0), rtol=0, atol=1e-6)
    torch.testing.assert_close(w[1], w[0].flip(0).flip(1), rtol=0, atol=1e-6)
    assert float((out[0, 1] - out[1, 1]).abs().max()) < 1e-6
    assert float(r.plain_diff) == float((r.out_plain[0, 1] - r.out_plain[1, 1]).abs().max()) < 1e-6


def test_with_positions_eat_differs(result: FixedResult) -> None:
    r = result
    X = r.table[torch.tensor([[CAT, EAT, MOUSE], [MOUSE, EAT, CAT]])] + positions(3, r.config.d_model)
    torch.testing.assert_close(X[0, 1], X[1, 1])  # eat's own input: same word, same position
    assert float((X[0, 0] - X[1, 2]).abs().max()) > 1e-3  # cat: same word, another position
    out, _ = attention(X, r.W_q, r.W_k, r.W_v)
    gap = float((out[0, 1] - out[1, 1]).abs().max())
    assert gap > 1e-3
    assert float(r.pe_diff) == pytest.approx(gap, rel=1e-4, abs=1e-6)


def test_default_difference_is_visible() -> None:
    """The default seed gives a difference the lecture can show at two decimals."""
    assert float(build(FixedConfig(), CPU).pe_diff) > 0.1


@pytest.mark.parametrize("vocab,big_vocab", [(3, 4), (5, 50257), (8, 200000)])
def test_W_q_does_not_depend_on_the_vocabulary(vocab: int, big_vocab: int) -> None:
    ref = build(FixedConfig(vocab=3, big_vocab=4), CPU)
    r = build(FixedConfig(vocab=vocab, big_vocab=big_vocab), CPU)
    D = r.config.d_model
    assert r.table.shape == (vocab, D) and r.table_big.shape == (big_vocab, D)
    assert r.W_q.shape == (D, D) and torch.equal(r.W_q, ref.W_q)  # same seed, same frozen weight
    assert torch.equal(r.table_big[:vocab], r.table)  # a bigger vocabulary adds rows, keeps the old ones
    assert r.table_params.tolist() == [vocab * D, big_vocab * D] and int(r.wq_params) == D * D
    # eat's query is the same whichever table it is looked up in
    torch.testing.assert_close(r.table_big[EAT] @ r.W_q, r.table[EAT] @ r.W_q)
    # and torch's own modules agree: an embedding of any vocabulary feeds a D x D linear
    for V in (vocab, big_vocab):
        emb, lin = torch.nn.Embedding(V, D), torch.nn.Linear(D, D, bias=False)
        assert lin(emb(torch.tensor([0, V - 1]))).shape == (2, D) and lin.weight.shape == (D, D)


def test_seed_reproducible() -> None:
    a, b, c = (build(FixedConfig(seed=s), CPU) for s in (7, 7, 8))
    assert torch.equal(a.table, b.table) and torch.equal(a.W_v, b.W_v)
    assert not torch.equal(a.table, c.table)


# -- the scene ---------------------------------------------------------------------------------
# One test builds the scene (twice, one seed after the other): scene builds in two xdist workers at
# once race on Manim's temporary SVG files in the shared Typst cache.
def check_scene_numbers(outcome: Outcome) -> None:
    """Every number the scene showed equals torch recomputed from the manifest's inputs; key tensors appeared."""
    manifest, scene = outcome.manifest, outcome.scene
    t = manifest["tensors"]
    inputs = [torch.tensor(t[n]["values"]) for n in ("table", "W_q", "W_k", "W_v")]
    assert "values" not in t["table_big"]  # too big to inline: only its shape is shown, and checked
    truth = recompute(*inputs, tuple(t["table_big"]["shape"]))
    assert set(truth) == set(t)
    checked = check_shown(scene, truth)
    assert checked > 500  # each compared with recomputed torch above
    on_screen = seen(scene)
    for name in ("table", "W_q", "W_k", "W_v", "X", "out_plain", "X_pe", "out_pe", "PE"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    for name in ("att_plain", "att_pe"):  # eat's row of weights, in both sentences
        assert all((name, (s, 1, j)) in on_screen for s in range(2) for j in range(3)), name
    for name in ("emb_diff", "plain_diff", "pe_diff", "wq_params"):
        assert (name, ()) in on_screen, name
    assert {("table_params", (0,)), ("table_params", (1,))} <= on_screen
    dims = {(s.tensor, s.index) for p in scene.b.log.points for s, _ in p.shown if s.kind == "dim"}
    assert {("W_q", (0,)), ("W_q", (1,)), ("table", (0,)), ("table_big", (0,))} <= dims


def gap_captions(outcome: Outcome) -> tuple[float, list[str]]:
    """Return the no-position gap torch found and the captions."""
    gap = float(torch.tensor(outcome.manifest["tensors"]["plain_diff"]["values"]))
    return gap, [c["text"] for c in outcome.manifest["captions"]]


def test_scene_numbers_equal_recomputed_torch_and_the_gap_is_named_honestly(dry: DryRun) -> None:
    outcome = dry("fixed")
    check_scene_numbers(outcome)
    gap, texts = gap_captions(outcome)  # default seed: float32 rounding, and the caption says so
    assert 0 < gap < 1e-6
    assert any("float32 rounding" in x for x in texts) and not any("identical" in x for x in texts)
    # seed 3: the summation order happens to give bit-equal rows; the lecture must not call it rounding
    exact = render(RenderRequest(registry.get("fixed"), FixedConfig(seed=3), device="cpu", dry_run=True))
    check_scene_numbers(exact)
    gap, texts = gap_captions(exact)
    assert gap == 0.0
    assert any("identical" in x and "difference of 0." in x for x in texts)
    assert not any("float32 rounding" in x for x in texts)
