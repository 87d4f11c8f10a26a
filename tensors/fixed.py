"""Fixed weights, changing context: trained, then frozen W_Q, W_K, W_V, and the word "eat" in three sentences.

The weights come from tensors.trained: a small two-head attention model really trained to name,
at every position, the word before (head 1) and the word after (head 2). After training they never
change, yet what "eat" attends to and what it comes out as depend on its sentence: in "cat eat
mouse" and "dog eat fish" eat has the same embedding, the same position and meets the same W_Q,
but its keys and values come from other neighbours, so its attention weights and output differ
(head 1's read-out scores cat highest in one sentence, dog in the other). The honest subtlety:
self-attention alone is permutation-equivariant, so without positions "cat eat mouse" and "mouse
eat cat" give eat the same output; the sinusoidal positions added to the embeddings tell them
apart. W_Q is D x D, whatever the vocabulary size: the vocabulary only sizes the embedding table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from tensors.attention import attend, scores, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, opt, randn
from tensors.trained import WORDS, TrainConfig, split, trained

SENTENCES = (("cat", "eat", "mouse"), ("dog", "eat", "fish"), ("mouse", "eat", "cat"))
# 0 and 1: eat between other neighbours; 0 and 2: the same words in another order
FOCUS = "eat"  # the word whose rows the lecture follows
HEADS = 2  # head 1 names the word before, head 2 the word after


@dataclass(frozen=True)
class FixedConfig(LectureConfig):
    """Sizes of the trained model and of the second, real-scale vocabulary; the seed also seeds the training."""

    d_model: int = opt(4, "embedding size D (W_Q, W_K and W_V are D x D, two heads of D/2)", 2, 4,
                       "inputs and outputs of both sentences are drawn side by side; wider rows do not fit at 480p")
    vocab: int = opt(8, "rows V of the drawn embedding table: cat, eat, mouse, dog, fish, then bird, see, run", 5, 8,
                     "the drawn table has one named row per word, and the model knows eight words")
    big_vocab: int = opt(50257, "size of the second vocabulary (GPT-2's by default); only its shape is drawn", 4, 200000,
                         "the table is built in memory and saved with the manifest; larger adds nothing")

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the sizes do not make sense together."""
        super().validate()
        if self.d_model % 2:
            raise ConfigError(f"--d-model {self.d_model} is odd: sinusoidal positions need an even size (sine and cosine pairs)")
        if self.d_model < 4:
            raise ConfigError(f"--d-model {self.d_model} is too small to train: two heads of one number each do not"
                              " learn to name their neighbours (about 20% on unseen sentences); use 4")
        if self.big_vocab <= self.vocab:
            raise ConfigError(f"--big-vocab {self.big_vocab} must be larger than --vocab {self.vocab}")


@dataclass(frozen=True)
class FixedResult(LectureResult):
    """Every tensor the fixed lecture shows, by name."""

    config: FixedConfig
    words: tuple[str, ...]  # the drawn vocabulary, row r of `table` is words[r]
    record: dict[str, Any] = field(compare=False)  # how the weights were trained (tensors.trained)
    losses: Tensor  # (steps,) training loss at every step
    loss_ends: Tensor  # (2,) first and last training loss
    steps: Tensor  # () training steps
    accuracy: Tensor  # () held-out accuracy, in percent
    table: Tensor  # (V, D) the trained embedding table's first V rows
    ids: Tensor  # (S, L) token ids of the three sentences
    focus: Tensor  # (S,) position of "eat" in each sentence
    W_q: Tensor  # (D, D) trained, frozen query weight, paper convention X @ W_q; head h is column band h
    W_k: Tensor  # (D, D) key weight
    W_v: Tensor  # (D, D) value weight
    read: Tensor  # (H, d, 8) each head's trained read-out: which word its output names
    X: Tensor  # (S, L, D) static embeddings table[ids]
    PE: Tensor  # (L, D) sinusoidal positions
    X_pe: Tensor  # (S, L, D) X + PE: what the model reads
    in_diff: Tensor  # () max |x_eat(0) - x_eat(1)| of X + PE
    eat_x: Tensor  # (S, 1, D) eat's row of X + PE
    W_q_heads: Tensor  # (H, D, d) head h's column band of W_q
    W_k_heads: Tensor  # (H, D, d) head h's column band of W_k: K = (X + PE) W_k_heads[h]
    q: Tensor  # (S, H, L, d) queries per head
    k: Tensor  # (S, H, L, d) keys per head
    v: Tensor  # (S, H, L, d) values per head
    att: Tensor  # (S, H, L, L) attention weights
    out: Tensor  # (S, L, D) attention output, heads side by side
    pred: Tensor  # (S, H, L) the word each head's read-out names
    eat_q: Tensor  # (S, H, 1, d) eat's query
    eat_terms: Tensor  # (S, H, L, d) q_eat[c] * k_j[c], the products of each dot product
    eat_raw: Tensor  # (S, H, L, 1) q_eat . k_j, before the scaling
    eat_s: Tensor  # (S, H, L, 1) eat's scaled scores against every key
    eat_a: Tensor  # (S, H, L, 1) eat's attention weights
    eat_o: Tensor  # (S, H, 1, d) eat's output of each head
    eat_out: Tensor  # (S, 1, D) eat's output, heads side by side
    logits: Tensor  # (S, H, 1, 8) eat's output times head h's read-out: one score per word of the model
    ctx_diff: Tensor  # () max |o_eat(0) - o_eat(1)| of head 1's output
    att_plain: Tensor  # (S, H, L, L) attention weights without positions
    eat_out_plain: Tensor  # (S, 1, D) eat's output without positions
    plain_diff: Tensor  # () max |out_eat(0) - out_eat(2)| without positions
    pe_diff: Tensor  # () max |out_eat(0) - out_eat(2)| with positions
    table_big: Tensor  # (V_big, D) a real-scale table; its first V rows are `table`
    vocab_sizes: Tensor  # (2,) words in the small and the big vocabulary
    table_params: Tensor  # (2,) parameters of the small and the big table
    wq_params: Tensor  # () parameters of W_q, the same for both vocabularies

    def training(self) -> dict[str, Any]:
        """Return the trained model's record: task, steps, losses, held-out accuracy, seed."""
        return self.record


def sentence_ids(device: torch.device) -> Tensor:
    """Return the token ids of the sentences, one row each (ids index the model's vocabulary)."""
    return torch.tensor([[WORDS.index(w) for w in s] for s in SENTENCES], device=device)  # (S, L)


def embed(table: Tensor, ids: Tensor) -> Tensor:
    """Look up each token's row of the embedding table, as nn.Embedding does."""
    return table[ids]  # (S, L, D)


def heads(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Return per-head q, k, v (S, H, L, d), attention weights (S, H, L, L) and outputs (S, H, L, d)."""
    q, k, v = (split(x @ W, HEADS) for W in (W_q, W_k, W_v))
    o, a = attend(q, k, v)
    return q, k, v, a, o


def side_by_side(o: Tensor) -> Tensor:
    """Concatenate the heads' outputs: (S, H, L, d) -> (S, L, H*d)."""
    return o.transpose(1, 2).flatten(2)


def gap(out: Tensor, a: int, b: int, focus: Tensor) -> Tensor:
    """Return the largest difference between eat's rows in sentences a and b."""
    return (out[a, int(focus[a])] - out[b, int(focus[b])]).abs().max()


def build(config: FixedConfig, device: torch.device) -> FixedResult:
    """Train (or load) the model, then compute every tensor of the fixed lecture on the device."""
    config.validate()
    model = trained(TrainConfig(d_model=config.d_model, heads=HEADS, seed=config.seed))
    V, D = config.vocab, config.d_model
    W_q, W_k, W_v = (getattr(model, n).to(device) for n in ("W_q", "W_k", "W_v"))
    full = model.table.to(device)
    read = model.read.to(device)
    g = generator(config.seed)
    extra = randn((max(0, config.big_vocab - len(WORDS)), D), g, device)  # the rest of a big vocabulary: only its size matters
    with torch.no_grad():  # inference: the weights are fixed
        ids = sentence_ids(device)
        focus = (ids == WORDS.index(FOCUS)).int().argmax(dim=1)  # (S,)
        L = ids.shape[1]
        X = embed(full, ids)
        PE = sinusoidal(L, D, device)
        X_pe = X + PE  # (S, L, D), PE broadcast over the sentences
        q, k, v, a, o = heads(X_pe, W_q, W_k, W_v)
        logits = torch.einsum("shld,hdv->shlv", o, read)  # (S, H, L, 8): each head's read-out
        pred = logits.argmax(-1)  # (S, H, L)
        out = side_by_side(o)
        _, _, _, a_plain, o_plain = heads(X, W_q, W_k, W_v)
        out_plain = side_by_side(o_plain)
        rows = torch.arange(len(SENTENCES), device=device)
        f = focus.long()
        terms = q[rows, :, f].unsqueeze(2) * k  # (S, H, L, d): q_eat[c] * k_j[c]
        table_big = torch.cat([full, extra])[: config.big_vocab]  # (V_big, D): more words, more rows, same D
    return FixedResult(
        config=config,
        words=WORDS[:V],
        record=model.record(),
        losses=model.losses.to(device),
        loss_ends=model.losses[[0, -1]].to(device),
        steps=torch.tensor(model.config.steps, device=device),
        accuracy=torch.tensor(100 * model.accuracy, device=device),
        table=full[:V],
        ids=ids,
        focus=focus,
        W_q=W_q,
        W_k=W_k,
        W_v=W_v,
        read=read,
        X=X,
        PE=PE,
        X_pe=X_pe,
        in_diff=gap(X_pe, 0, 1, focus),
        eat_x=X_pe[rows, f].unsqueeze(1),
        W_q_heads=W_q.view(D, HEADS, D // HEADS).permute(1, 0, 2).contiguous(),
        W_k_heads=W_k.view(D, HEADS, D // HEADS).permute(1, 0, 2).contiguous(),
        q=q,
        k=k,
        v=v,
        att=a,
        out=out,
        pred=pred,
        eat_q=q[rows, :, f].unsqueeze(2),
        eat_terms=terms,
        eat_raw=terms.sum(-1, keepdim=True),
        eat_s=scores(q, k)[rows, :, f].unsqueeze(-1),
        eat_a=a[rows, :, f].unsqueeze(-1),
        eat_o=o[rows, :, f].unsqueeze(2),
        eat_out=out[rows, f].unsqueeze(1),
        logits=logits[rows, :, f].unsqueeze(2),
        ctx_diff=(o[0, 0, int(focus[0])] - o[1, 0, int(focus[1])]).abs().max(),
        att_plain=a_plain,
        eat_out_plain=out_plain[rows, f].unsqueeze(1),
        plain_diff=gap(out_plain, 0, 2, focus),
        pe_diff=gap(out, 0, 2, focus),
        table_big=table_big,
        vocab_sizes=torch.tensor([V, config.big_vocab], device=device),
        table_params=torch.tensor([V * D, table_big.numel()], device=device),
        wq_params=torch.tensor(W_q.numel(), device=device),
    )
