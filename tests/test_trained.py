"""The trained model: reproducible, the loss falls, the task is solved on unseen sequences, and the
heads read one back and one ahead — all recomputed here with plain torch from the weights."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from tensors import trained as tr
from tests.shown import positions

CFG = tr.TrainConfig()


@pytest.fixture(scope="module")
def fitted() -> tr.Trained:
    return tr.fit(CFG)



def forward(t: tr.Trained, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Recompute logits (B, H, L, V) and attention (B, H, L, L) from the weights, head by head."""
    H, D = t.config.heads, t.config.d_model
    d = D // H
    x = t.table[ids] + positions(ids.shape[1], D)
    logits, atts = [], []
    for h in range(H):
        cols = slice(h * d, (h + 1) * d)
        q, k, v = x @ t.W_q[:, cols], x @ t.W_k[:, cols], x @ t.W_v[:, cols]
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
        atts.append(a)
        logits.append((a @ v) @ t.read[h])
    return torch.stack(logits, 1), torch.stack(atts, 1)


def test_training_is_reproducible_for_a_seed(fitted: tr.Trained) -> None:
    again = tr.fit(CFG)
    for name in ("table", "W_q", "W_k", "W_v", "read", "losses"):
        assert torch.equal(getattr(again, name), getattr(fitted, name)), name
    other = tr.fit(tr.TrainConfig(seed=1))
    assert not torch.equal(other.W_q, fitted.W_q)


def test_the_loss_falls(fitted: tr.Trained) -> None:
    losses = fitted.losses
    assert losses.shape == (CFG.steps,)
    assert float(losses[0]) > math.log(len(tr.WORDS)) * 0.8  # starts near chance: ln 8 = 2.08
    assert float(losses[-10:].mean()) < 0.05 * float(losses[0])


def test_the_task_is_solved_on_unseen_sequences(fitted: tr.Trained) -> None:
    g = torch.Generator().manual_seed(12345)
    ids = torch.randint(len(tr.WORDS), (400, CFG.seq_len), generator=g)
    logits, _ = forward(fitted, ids)
    pred = logits.argmax(-1)  # (B, 2, L)
    before_ok = pred[:, 0, 1:] == ids[:, :-1]
    after_ok = pred[:, 1, :-1] == ids[:, 1:]
    acc = float(torch.cat([before_ok.flatten(), after_ok.flatten()]).float().mean())
    assert acc >= 0.95
    assert fitted.accuracy >= 0.95 and abs(fitted.accuracy - acc) < 0.05


def test_heads_look_one_back_and_one_ahead(fitted: tr.Trained) -> None:
    ids = torch.tensor([[tr.WORDS.index(w) for w in s] for s in (("cat", "eat", "mouse"), ("dog", "eat", "fish"))])
    _, att = forward(fitted, ids)
    L = ids.shape[1]
    for p in range(1, L):
        assert float(att[:, 0, p, p - 1].min()) > 0.8  # head 1: the word before
    for p in range(L - 1):
        assert float(att[:, 1, p, p + 1].min()) > 0.8  # head 2: the word after
    _, model_att = fitted.model()(ids)
    torch.testing.assert_close(model_att, att, rtol=1e-5, atol=1e-6)


def test_three_heads_learn_three_offsets() -> None:
    t = tr.fit(tr.TrainConfig(d_model=6, heads=3, steps=600))
    ids = torch.randint(len(tr.WORDS), (200, t.config.seq_len), generator=torch.Generator().manual_seed(5))
    _, att = forward(t, ids)
    assert float(att[:, 0, 1:, :].diagonal(dim1=-2, dim2=-1).mean()) > 0.8  # head 1: p - 1
    assert float(att[:, 1, :-1, 1:].diagonal(dim1=-2, dim2=-1).mean()) > 0.8  # head 2: p + 1
    assert float(att[:, 2, 2:, :].diagonal(dim1=-2, dim2=-1).mean()) > 0.8  # head 3: p - 2
    assert t.accuracy >= 0.9
    assert "two before (head 3)" in str(t.record()["task"])


def test_the_cache_is_used_and_a_bad_entry_is_retrained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    small = tr.TrainConfig(steps=20)
    first = tr.trained(small)
    second = tr.trained(small)
    assert not first.cached and second.cached
    assert torch.equal(first.W_q, second.W_q) and torch.equal(first.losses, second.losses)
    files = list((tmp_path / "faq-lectures" / "trained").iterdir())
    assert [f.suffix for f in files] == [".pt"]  # no temporary file left
    files[0].write_bytes(b"not a torch file")
    third = tr.trained(small)
    assert not third.cached and torch.equal(third.W_q, first.W_q)


def test_an_unwritable_cache_still_trains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    result = tr.trained(tr.TrainConfig(steps=5))
    assert not result.cached and result.losses.shape == (5,)
