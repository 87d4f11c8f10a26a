"""The fixed tensors against independent torch: trained-then-frozen weights, eat's context, positions, vocabulary.

The trained weights (table, W_q, W_k, W_v, read-out) are taken as given inputs; everything the lecture
computes from them is recomputed here with plain torch, head by head, and the claims the captions
make (head 1 looks one word back, head 2 one ahead, eat's output names cat then dog) are asserted.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from driver import registry
from driver.pipeline import Outcome, RenderRequest, render
from tensors.fixed import FixedConfig, FixedResult, build
from tensors.trained import WORDS, TrainConfig, trained
from tests.conftest import DryRun
from tests.shown import check_shown, positions, seen

CPU = torch.device("cpu")
SENTENCES = [["cat", "eat", "mouse"], ["dog", "eat", "fish"], ["mouse", "eat", "cat"]]
IDS = torch.tensor([[WORDS.index(w) for w in s] for s in SENTENCES])
EAT = 1  # eat's position in every sentence



def head_attention(x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor,
                   H: int = 2) -> tuple[torch.Tensor, ...]:
    """Per head h: q, k, v from column band h, softmax(q k^T / sqrt(d)) and the weighted sum of v."""
    d = W_q.shape[1] // H
    qs, ks, vs, ws, os = [], [], [], [], []
    for h in range(H):
        band = slice(h * d, (h + 1) * d)
        q, k, v = x @ W_q[:, band], x @ W_k[:, band], x @ W_v[:, band]
        w = torch.softmax(torch.einsum("sid,sjd->sij", q, k) / math.sqrt(d), dim=-1)
        qs.append(q), ks.append(k), vs.append(v), ws.append(w), os.append(w @ v)
    return tuple(torch.stack(t, 1) for t in (qs, ks, vs, ws, os))  # (S, H, L, .)


def recompute(table: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor, read: torch.Tensor,
              losses: torch.Tensor, accuracy: float, big_shape: tuple[int, int]) -> dict[str, torch.Tensor]:
    """Every tensor the lecture names, from the trained weights, with plain torch."""
    D = table.shape[1]
    X = torch.nn.functional.embedding(IDS, table)
    PE = positions(3, D)
    x = X + PE
    q, k, v, w, o = head_attention(x, W_q, W_k, W_v)
    _, _, _, w_plain, o_plain = head_attention(X, W_q, W_k, W_v)
    out = torch.cat([o[:, 0], o[:, 1]], dim=-1)  # heads side by side
    out_plain = torch.cat([o_plain[:, 0], o_plain[:, 1]], dim=-1)
    pred = torch.stack([(o[:, h] @ read[h]).argmax(-1) for h in range(2)], 1)
    d = D // 2
    raw = torch.einsum("shd,shjd->shj", q[:, :, EAT], k)  # q_eat . k_j
    eat_s = raw / math.sqrt(d)
    logits = torch.stack([o[:, h, EAT] @ read[h] for h in range(2)], 1)  # (S, H, 8)
    return {
        "losses": losses, "loss_ends": losses[[0, -1]], "steps": torch.tensor(len(losses)),
        "accuracy": torch.tensor(100 * accuracy), "table": table, "ids": IDS, "focus": torch.tensor([EAT] * 3),
        "W_q": W_q, "W_k": W_k, "W_v": W_v, "read": read, "X": X, "PE": PE, "X_pe": x,
        "in_diff": (x[0, EAT] - x[1, EAT]).abs().max(), "eat_x": x[:, EAT:EAT + 1],
        "W_q_heads": torch.stack([W_q[:, :d], W_q[:, d:]]), "W_k_heads": torch.stack([W_k[:, :d], W_k[:, d:]]),
        "eat_terms": q[:, :, EAT:EAT + 1] * k, "eat_raw": raw[..., None], "logits": logits[:, :, None], "q": q, "k": k, "v": v, "att": w, "out": out,
        "pred": pred, "eat_q": q[:, :, EAT:EAT + 1], "eat_s": eat_s[..., None], "eat_a": w[:, :, EAT, :, None],
        "eat_o": o[:, :, EAT:EAT + 1], "eat_out": out[:, EAT:EAT + 1], "ctx_diff": (o[0, 0, EAT] - o[1, 0, EAT]).abs().max(),
        "att_plain": w_plain, "eat_out_plain": out_plain[:, EAT:EAT + 1],
        "plain_diff": (out_plain[0, EAT] - out_plain[2, EAT]).abs().max(),
        "pe_diff": (out[0, EAT] - out[2, EAT]).abs().max(), "table_big": torch.empty(big_shape),
        "vocab_sizes": torch.tensor([table.shape[0], big_shape[0]]),
        "table_params": torch.tensor([table.numel(), big_shape[0] * big_shape[1]]),
        "wq_params": torch.tensor(W_q.numel()),
    }


def truth_of(r: FixedResult) -> dict[str, torch.Tensor]:
    """Recompute from the result's trained inputs (the table's rows cover every word the sentences use)."""
    return recompute(r.table, r.W_q, r.W_k, r.W_v, r.read, r.losses, r.record["held_out_accuracy"],
                     tuple(r.table_big.shape))


CONFIGS = [FixedConfig(), FixedConfig(vocab=8, big_vocab=1000, seed=3), FixedConfig(seed=5),
           FixedConfig(vocab=5, big_vocab=6, seed=1)]


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda c: f"V{c.vocab}-seed{c.seed}")
def result(request: pytest.FixtureRequest) -> FixedResult:
    return build(request.param, CPU)


def test_every_tensor_matches_independent_torch(result: FixedResult) -> None:
    r = result
    truth = truth_of(r)
    assert set(truth) == set(r.tensors())
    for name, want in truth.items():
        if name == "table_big":
            continue
        got = r.tensors()[name]
        torch.testing.assert_close(got, want.to(got.dtype), rtol=1e-5, atol=1e-4 if name == "accuracy" else 1e-5,
                                   msg=lambda m, n=name: f"{n}: {m}")


def test_the_weights_are_the_trained_ones_and_the_record_says_so(result: FixedResult) -> None:
    r = result
    t = trained(TrainConfig(d_model=r.config.d_model, heads=2, seed=r.config.seed))
    for name in ("W_q", "W_k", "W_v", "read"):
        assert torch.equal(getattr(r, name), getattr(t, name)), name
    n = min(len(WORDS), r.config.big_vocab)
    assert torch.equal(r.table, t.table[: r.config.vocab]) and torch.equal(r.table_big[:n], t.table[:n])
    rec = r.training()
    assert rec == t.record() and "the word before (head 1)" in rec["task"] and "the word after (head 2)" in rec["task"]
    assert rec["held_out_accuracy"] >= 0.95 and rec["last_loss"] < 0.05 * rec["first_loss"]


def test_trained_heads_look_at_the_neighbours(result: FixedResult) -> None:
    """What the captions say the heads do: head 1 the word before, head 2 the word after (> 0.8)."""
    w = truth_of(result)["att"]
    L = w.shape[-1]
    for p in range(1, L):
        assert float(w[:, 0, p, p - 1].min()) > 0.8, p  # head 1, word p: the word before
    for p in range(L - 1):
        assert float(w[:, 1, p, p + 1].min()) > 0.8, p  # head 2, word p: the word after


def test_same_weights_same_eat_different_context(result: FixedResult) -> None:
    """cat eat mouse vs dog eat fish: eat's input and query are equal, its weights and output are not."""
    t = truth_of(result)
    assert float(t["in_diff"]) == 0.0 and torch.equal(t["eat_q"][0], t["eat_q"][1])
    assert not torch.equal(t["eat_a"][0], t["eat_a"][1])
    sc = t["eat_s"][:, 0, 0, 0]  # head 1's score for the word before: differs on screen
    assert f"{float(sc[0]):.2f}" != f"{float(sc[1]):.2f}"
    if result.config.seed == 0:  # the default video: the two weights the caption names differ on screen too
        a = t["eat_a"][:, 0, 0, 0]
        assert f"{float(a[0]):.2f}" != f"{float(a[1]):.2f}"
    assert float(t["ctx_diff"]) > 1.0
    names = [[WORDS[int(t["pred"][s, h, EAT])] for h in range(2)] for s in range(3)]
    assert names == [["cat", "mouse"], ["dog", "fish"], ["mouse", "cat"]]
    assert [WORDS[int(t["logits"][s, 0, 0].argmax())] for s in range(2)] == ["cat", "dog"]  # the read-out shown


def test_without_positions_order_is_invisible(result: FixedResult) -> None:
    """Permutation equivariance: reversing the sentence reverses the weights, eat's output stays."""
    t = truth_of(result)
    w = t["att_plain"]
    torch.testing.assert_close(w[2], w[0].flip(-1).flip(-2), rtol=0, atol=1e-6)
    assert float(t["plain_diff"]) < 1e-5
    assert float(t["pe_diff"]) > 1.0


@pytest.mark.parametrize("vocab,big_vocab", [(5, 50257), (8, 200000)])
def test_W_q_does_not_depend_on_the_vocabulary(vocab: int, big_vocab: int) -> None:
    ref = build(FixedConfig(vocab=6, big_vocab=9), CPU)
    r = build(FixedConfig(vocab=vocab, big_vocab=big_vocab), CPU)
    D = r.config.d_model
    assert r.table.shape == (vocab, D) and r.table_big.shape == (big_vocab, D)
    assert r.W_q.shape == (D, D) and torch.equal(r.W_q, ref.W_q)
    assert r.table_params.tolist() == [vocab * D, big_vocab * D] and int(r.wq_params) == D * D
    for V in (vocab, big_vocab):  # an embedding of any vocabulary feeds a D x D linear
        emb, lin = torch.nn.Embedding(V, D), torch.nn.Linear(D, D, bias=False)
        assert lin(emb(torch.tensor([0, V - 1]))).shape == (2, D) and lin.weight.shape == (D, D)


@pytest.mark.parametrize("kwargs,message", [({"d_model": 2}, "too small to train"), ({"vocab": 4}, "--vocab 4 is too small: the minimum is 5")])
def test_sizes_the_trained_model_cannot_show_are_refused(kwargs: dict[str, int], message: str) -> None:
    from tensors.common import ConfigError
    with pytest.raises(ConfigError, match=message):
        FixedConfig(**kwargs).validate()


# -- the scene ---------------------------------------------------------------------------------
class _Without:
    """The scene seen through a log without counts ('n' style): tests.shown cannot parse '50,257' yet."""

    def __init__(self, scene: Any) -> None:
        points = [SimpleNamespace(shown=[(s, x) for s, x in p.shown if s.style != "n"]) for p in scene.b.log.points]
        self.b = SimpleNamespace(log=SimpleNamespace(points=points))


def check_counts(scene: Any, truth: dict[str, torch.Tensor]) -> int:
    """Check every count shown with thousands separators against the truth; return how many."""
    n = 0
    for p in scene.b.log.points:
        for src, shown in p.shown:
            if src.style == "n":
                assert shown == f"{round(float(truth[src.tensor][src.index])):,}", (src, shown)
                n += 1
    return n


def check_scene_numbers(outcome: Outcome) -> None:
    """Every number the scene showed equals torch recomputed from the manifest's trained inputs."""
    manifest, scene = outcome.manifest, outcome.scene
    t = manifest["tensors"]
    ins = {n: torch.tensor(t[n]["values"]) for n in ("table", "W_q", "W_k", "W_v", "read", "losses")}
    assert "values" not in t["table_big"]  # too big to inline: only its shape is shown, and checked
    truth = recompute(ins["table"], ins["W_q"], ins["W_k"], ins["W_v"], ins["read"], ins["losses"],
                      manifest["training"]["held_out_accuracy"], tuple(t["table_big"]["shape"]))
    assert set(truth) == set(t)
    assert check_shown(_Without(scene), truth) > 500  # each compared with recomputed torch above
    assert check_counts(scene, truth) > 5
    on_screen = seen(scene)
    for name in ("table", "W_q", "W_k", "W_v", "PE"):
        idx = [tuple(i) for i in np.ndindex(*truth[name].shape)]
        assert all((name, i) in on_screen for i in idx), name
    for name in ("eat_out", "eat_out_plain"):  # eat in cat eat mouse and in mouse eat cat
        assert all((name, (s, 0, c)) in on_screen for s in (0, 2) for c in range(truth[name].shape[-1])), name
    for s in (0, 1):  # the core beat: both sentences' keys, scores, weights, values and eat's output
        for name in ("X", "X_pe"):
            assert all((name, (s, *i)) in on_screen for i in np.ndindex(*truth[name][s].shape)), (name, s)
        for name in ("k", "v", "eat_s", "eat_a", "eat_o", "logits"):  # head 1
            assert all((name, (s, 0, *i)) in on_screen for i in np.ndindex(*truth[name][s, 0].shape)), (name, s)
    idx = [tuple(i) for i in np.ndindex(*truth["read"][0].shape)]  # head 1's read-out, whole
    assert all(("read", (0, *i)) in on_screen for i in idx)
    for name in ("eat_raw", "eat_terms"):  # the first score worked out: q_eat . k_cat
        assert all((name, (0, 0, 0, c)) in on_screen for c in range(truth[name].shape[-1])), name
    for name in ("in_diff", "ctx_diff", "plain_diff", "pe_diff", "wq_params", "accuracy", "steps"):
        assert (name, ()) in on_screen, name
    assert manifest["training"]["task"].startswith("name the word before (head 1)")


def test_scene_numbers_equal_recomputed_torch_and_name_the_training(dry: DryRun) -> None:
    outcome = dry("fixed")
    check_scene_numbers(outcome)
    texts = [c["text"] for c in outcome.manifest["captions"]]
    acc = outcome.manifest["training"]["held_out_accuracy"]
    assert any(f"right {100 * acc:.0f}% of the time" in x for x in texts)
    assert any("The highest score names the word: cat," in x and "dog," in x for x in texts)
    assert not any("head 2 does the same" in x.lower() for x in texts)  # head 2's read-out is never shown
    assert not any("random" in x for x in texts)


def test_another_seed_trains_anew_and_still_checks() -> None:
    outcome = render(RenderRequest(registry.get("fixed"), FixedConfig(seed=3), device="cpu", dry_run=True))
    check_scene_numbers(outcome)
    assert outcome.manifest["training"]["seed"] == 3
