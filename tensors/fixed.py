"""Fixed weights, changing context: frozen W_Q, W_K, W_V and the sentences "cat eat mouse" / "mouse eat cat".

After training the weights no longer change, yet the output for "eat" depends on its sentence: it
is a mix of the values of the other words, with weights computed from the sentence itself. The
honest subtlety: self-attention alone is permutation-equivariant, so the two sentences (the same
words in another order) give "eat" the same output; the sinusoidal positions added to the
embeddings are what tell them apart. W_Q is D x D, whatever the vocabulary size: the vocabulary
only sizes the embedding table.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from tensors.attention import self_attention, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

WORDS = ("cat", "eat", "mouse", "dog", "fish", "bird", "see", "run")  # the drawn vocabulary, in table order
SENTENCES = (("cat", "eat", "mouse"), ("mouse", "eat", "cat"))  # the FAQ's two samples
FOCUS = "eat"  # the word whose rows the lecture follows


@dataclass(frozen=True)
class FixedConfig(LectureConfig):
    """Sizes of the small frozen model and of the second, real-scale vocabulary."""

    d_model: int = opt(4, "embedding size D (W_Q, W_K and W_V are D x D); even, for sine/cosine pairs", 2, 4,
                       "inputs and outputs of both sentences are drawn side by side; wider rows do not fit at 480p")
    vocab: int = opt(5, "size V of the drawn vocabulary: cat, eat, mouse, then dog, fish, bird, see, run", 3, 8,
                     "the drawn table has one named row per word, and eight words are named")
    big_vocab: int = opt(50257, "size of the second vocabulary (GPT-2's by default); only its shape is drawn", 4, 200000,
                         "the table is built in memory and saved with the manifest; larger adds nothing")

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the sizes do not make sense together."""
        super().validate()
        if self.d_model % 2:
            raise ConfigError(f"--d-model {self.d_model} is odd: sinusoidal positions need an even size (sine and cosine pairs)")
        if self.big_vocab <= self.vocab:
            raise ConfigError(f"--big-vocab {self.big_vocab} must be larger than --vocab {self.vocab}")


@dataclass(frozen=True)
class FixedResult(LectureResult):
    """Every tensor the fixed lecture shows, by name."""

    config: FixedConfig
    words: tuple[str, ...]  # the vocabulary, row r of `table` is words[r]
    table: Tensor  # (V, D) embedding table, nn.Embedding's N(0, 1) init
    ids: Tensor  # (S, L) token ids of the two sentences
    focus: Tensor  # (S,) position of "eat" in each sentence
    W_q: Tensor  # (D, D) frozen query weight, paper convention X @ W_q
    W_k: Tensor  # (D, D) frozen key weight
    W_v: Tensor  # (D, D) frozen value weight
    X: Tensor  # (S, L, D) static embeddings table[ids]
    emb_diff: Tensor  # () max |x_eat(first) - x_eat(second)|
    out_plain: Tensor  # (S, L, D) self-attention without positions
    att_plain: Tensor  # (S, L, L) its attention weights
    plain_diff: Tensor  # () max |out_eat(first) - out_eat(second)| without positions
    PE: Tensor  # (L, D) sinusoidal positions
    X_pe: Tensor  # (S, L, D) X + PE
    out_pe: Tensor  # (S, L, D) self-attention with positions
    att_pe: Tensor  # (S, L, L) its attention weights
    pe_diff: Tensor  # () max |out_eat(first) - out_eat(second)| with positions
    table_big: Tensor  # (V_big, D) a real-scale table; its first V rows are `table`
    table_params: Tensor  # (2,) parameters of the small and the big table
    wq_params: Tensor  # () parameters of W_q, the same for both vocabularies



def sentence_ids(words: tuple[str, ...], device: torch.device) -> Tensor:
    """Return the token ids of the two sentences, one row each."""
    return torch.tensor([[words.index(w) for w in s] for s in SENTENCES], device=device)  # (S, L)


def embed(table: Tensor, ids: Tensor) -> Tensor:
    """Look up each token's row of the embedding table, as nn.Embedding does."""
    return table[ids]  # (S, L, D)


def frozen_weight(d_model: int, g: torch.Generator, device: torch.device) -> Tensor:
    """Draw one D x D weight like nn.Linear, in the paper's (in, out) layout, and freeze it."""
    return linear_init(d_model, d_model, g, device).T.contiguous().requires_grad_(False)  # (D, D)


def focus_gap(out: Tensor, focus: Tensor) -> Tensor:
    """Return the largest difference between the focus word's rows in the two sentences."""
    rows = out[torch.arange(out.shape[0], device=out.device), focus]  # (S, D)
    return (rows[0] - rows[1]).abs().max()


def build(config: FixedConfig, device: torch.device) -> FixedResult:
    """Compute every tensor of the fixed lecture on the device."""
    config.validate()
    g = generator(config.seed)
    V, D = config.vocab, config.d_model
    words = WORDS[:V]
    W_q, W_k, W_v = (frozen_weight(D, g, device) for _ in range(3))  # drawn first: they do not depend on V
    table = randn((V, D), g, device)
    extra = randn((config.big_vocab - V, D), g, device)
    with torch.no_grad():  # inference: the weights are fixed
        ids = sentence_ids(words, device)
        focus = (ids == words.index(FOCUS)).int().argmax(dim=1)  # (S,)
        X = embed(table, ids)
        out_plain, att_plain = self_attention(X, W_q, W_k, W_v)
        PE = sinusoidal(ids.shape[1], D, device)
        X_pe = X + PE  # (S, L, D), PE broadcast over the sentences
        out_pe, att_pe = self_attention(X_pe, W_q, W_k, W_v)
        table_big = torch.cat([table, extra])  # (V_big, D): more words, more rows, same D
    return FixedResult(
        config=config,
        words=words,
        table=table,
        ids=ids,
        focus=focus,
        W_q=W_q,
        W_k=W_k,
        W_v=W_v,
        X=X,
        emb_diff=focus_gap(X, focus),
        out_plain=out_plain,
        att_plain=att_plain,
        plain_diff=focus_gap(out_plain, focus),
        PE=PE,
        X_pe=X_pe,
        out_pe=out_pe,
        att_pe=att_pe,
        pe_diff=focus_gap(out_pe, focus),
        table_big=table_big,
        table_params=torch.tensor([table.numel(), table_big.numel()], device=device),
        wq_params=torch.tensor(W_q.numel(), device=device),
    )
