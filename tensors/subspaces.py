"""Queries, keys and values as three learned linear maps of the same embeddings.

Convention: the paper's right-multiplication Q = X W^Q with W^Q of shape (D, D'), as nn.Linear
stores its weight (out, in) = (D', D) and W^Q = weight.T. With D' = 2 every projected token is a
point in a plane, so the lecture can plot where one word lands as a query, as a key and as a value.
The weights are random (nn.Linear's init), not trained: only the mechanics are real here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tensors.attention import scores
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

D_PROJ = 2  # D': the projected size, two so that every projected token is a point in a plane
ROLES = ("Q", "K", "V")  # the three projections, in the order the lecture draws them
SENTENCES = {  # a short sentence for every drawable length
    2: ("cats", "purr"),
    3: ("cats", "chase", "mice"),
    4: ("the", "cat", "chased", "mice"),
    5: ("the", "black", "cat", "chased", "mice"),
}


@dataclass(frozen=True)
class SubspacesConfig(LectureConfig):
    """Sizes of the sentence and its embeddings, and which query and key the lecture follows."""

    seq_len: int = opt(4, "number of words L of the sentence", 2, 5,
                       "the L x L score matrix and L labelled points per plane must stay legible at 480p")
    d_model: int = opt(4, "embedding size D (W^Q, W^K, W^V are D x D', D' = 2)", 2, 5,
                       "X and the three weights are drawn side by side; wider rows do not fit at 480p")
    query: int = opt(2, "position (1-based) of the word whose query is followed", 1, 5)
    key: int = opt(4, "position (1-based) of the word whose key is followed", 1, 5)

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the followed words do not exist."""
        super().validate()
        for flag, pos in (("--query", self.query), ("--key", self.key)):
            if pos > self.seq_len:
                raise ConfigError(
                    f"{flag} {pos} is past the end of the sentence: --seq-len is {self.seq_len},"
                    f" so pick {flag} 1 to {self.seq_len}"
                )
        if self.query == self.key:
            raise ConfigError(
                f"--query {self.query} and --key {self.key} are the same word: pick two positions,"
                " so that the lecture can compare S[i, j] with S[j, i]"
            )


@dataclass(frozen=True)
class SubspacesResult(LectureResult):
    """Every tensor the subspaces lecture shows, by name, and the words it labels."""

    config: SubspacesConfig
    words: tuple[str, ...]  # the sentence; row i of X, Q, K, V belongs to words[i]
    X: torch.Tensor  # (L, D) seeded embeddings, one row per word
    W_Q: torch.Tensor  # (D, D') query weight, paper convention X @ W_Q
    W_K: torch.Tensor  # (D, D') key weight
    W_V: torch.Tensor  # (D, D') value weight
    Q: torch.Tensor  # (L, D') queries, row i is word i's point in the query plane
    K: torch.Tensor  # (L, D') keys
    V: torch.Tensor  # (L, D') values
    K_T: torch.Tensor  # (D', L) K transposed, drawn above the score matrix
    terms: torch.Tensor  # (L, L, D') terms[i, j, c] = Q[i, c] * K[j, c], the products of a dot product
    S: torch.Tensor  # (L, L) raw scores Q K^T: row i asks (query), column j offers (key)
    S_tied: torch.Tensor  # (L, L) the scores if keys reused W^Q: Q Q^T, symmetric
    ticks: torch.Tensor  # (2,) -t and t: a round scale mark inside every plane



def project(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Map every embedding row through one learned weight: X @ W."""
    return x @ w  # (L, D')


def dot_terms(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Return every product Q[i, c] * K[j, c]; summed over c they are the scores."""
    return q[:, None, :] * k[None, :, :]  # (L, L, D')


def nice_tick(extent: torch.Tensor) -> torch.Tensor:
    """Return the largest of 1, 2 or 5 times a power of ten that is at most extent."""
    p = torch.pow(10.0, torch.floor(torch.log10(extent)))
    return torch.where(5 * p <= extent, 5 * p, torch.where(2 * p <= extent, 2 * p, p))


def build(config: SubspacesConfig, device: torch.device) -> SubspacesResult:
    """Compute every tensor of the subspaces lecture on the device."""
    config.validate()
    g = generator(config.seed)
    L, D = config.seq_len, config.d_model
    X = randn((L, D), g, device)
    W_Q, W_K, W_V = (linear_init(D_PROJ, D, g, device).T.contiguous() for _ in ROLES)  # (D, D') each
    Q, K, V = project(X, W_Q), project(X, W_K), project(X, W_V)
    extent = torch.cat([Q, K, V]).abs().max()
    tick = nice_tick(0.8 * extent)
    return SubspacesResult(
        config=config,
        words=SENTENCES[L],
        X=X,
        W_Q=W_Q,
        W_K=W_K,
        W_V=W_V,
        Q=Q,
        K=K,
        V=V,
        K_T=K.T.contiguous(),
        terms=dot_terms(Q, K),
        S=scores(Q, K, scale=False),
        S_tied=scores(Q, Q, scale=False),
        ticks=torch.stack([-tick, tick]),
    )
