"""Queries, keys and values as three trained linear maps of the same inputs, each into its own plane.

The weights are one head of the model tensors.trained really trains (D = 4, two heads of 2): head 2,
trained to name the word after each word. W^Q, W^K, W^V are head 2's column band of the trained
W_Q, W_K, W_V, so every projected word is a point in a plane (D' = 2): its query in the query
plane, its key in the key plane, its value in the value plane. The inputs are the trained
embeddings plus the sinusoidal positions, as the model reads them.

Convention: the paper's right-multiplication Q = X W^Q with W^Q of shape (D, D'), as nn.Linear
stores its weight (out, in) = (D', D) and W^Q = weight.T.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from tensors.attention import scores, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, opt
from tensors.trained import WORDS, TrainConfig, trained

D_PROJ = 2  # D': the projected size, two so that every projected token is a point in a plane
HEADS = 2  # the trained model's heads; D = HEADS * D_PROJ
HEAD = 1  # the head shown (0-based): head 2, trained to name the word after
ROLES = ("Q", "K", "V")  # the three projections, in the order the lecture draws them
SENTENCES = {  # a short sentence for every drawable length, in the trained model's words
    2: ("cat", "run"),
    3: ("cat", "eat", "mouse"),
    4: ("cat", "see", "dog", "run"),
    5: ("bird", "see", "cat", "eat", "fish"),
}


@dataclass(frozen=True)
class SubspacesConfig(LectureConfig):
    """Sizes of the sentence and its embeddings, and which query and key the lecture follows."""

    seq_len: int = opt(4, "number of words L of the sentence", 2, 5,
                       "the L x L score matrix and L labelled points per plane must stay legible at 480p")
    d_model: int = opt(4, "embedding size D of the trained model (two heads of D' = 2)", 2, 5,
                       "X and the three weights are drawn side by side; wider rows do not fit at 480p")
    query: int = opt(3, "position (1-based) of the word whose query is followed", 1, 5)
    key: int = opt(4, "position (1-based) of the word whose key is followed", 1, 5)

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the followed words do not exist."""
        super().validate()
        if self.d_model != HEADS * D_PROJ:
            raise ConfigError(
                f"--d-model {self.d_model}: the trained model has D = {HEADS * D_PROJ} ({HEADS} heads of"
                f" {D_PROJ}, so that each head's queries are points in a plane)"
            )
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
    record: dict[str, Any] = field(compare=False)  # how the weights were trained (tensors.trained)
    accuracy: torch.Tensor  # () the trained model's held-out accuracy, in percent
    head: torch.Tensor  # () the head shown, counted from 1
    band: torch.Tensor  # (2,) its first and last column of the trained W_Q, counted from 1
    X: torch.Tensor  # (L, D) trained embeddings plus positions, one row per word
    W_Q: torch.Tensor  # (D, D') head 2's columns of the trained query weight, X @ W_Q
    W_K: torch.Tensor  # (D, D') key weight
    W_V: torch.Tensor  # (D, D') value weight
    Q: torch.Tensor  # (L, D') queries, row i is word i's point in the query plane
    K: torch.Tensor  # (L, D') keys
    V: torch.Tensor  # (L, D') values
    K_T: torch.Tensor  # (D', L) K transposed, drawn above the score matrix
    terms: torch.Tensor  # (L, L, D') terms[i, j, c] = Q[i, c] * K[j, c], the products of a dot product
    S: torch.Tensor  # (L, L) raw scores Q K^T: row i asks (query), column j offers (key)
    S_scaled: torch.Tensor  # (L, L) S / sqrt(D'): what the softmax is given
    A: torch.Tensor  # (L, L) attention weights softmax(S / sqrt(D'))
    out: torch.Tensor  # (L, D') outputs A V: row i is word i's point in the value plane
    S_tied: torch.Tensor  # (L, L) the scores if keys reused W^Q: Q Q^T, symmetric
    ranks: torch.Tensor  # (3,) rank of W^Q, W^K, W^V: 2 means each image is a plane
    ticks: torch.Tensor  # (2, 2) -t and t: a round scale mark inside the query and key planes (row 0), the value plane (row 1)
    W_q_full: torch.Tensor  # (D, H*D') the whole trained query weight; W_Q is head 2's columns of it
    x_terms: torch.Tensor  # (D, D') X[i, d] * W_Q[d, c] for the followed query i: summed over d, its query Q[i]
    null: torch.Tensor  # (D,) a unit direction n of R^D with n W_Q = 0 (the query cannot see it), n W_V largest
    null_maps: torch.Tensor  # (3, D') n W_Q, n W_K, n W_V: what each map sees of n
    moved: torch.Tensor  # (3, D') (x_i + n) W_Q, W_K, W_V: the followed word's three points after adding n
    angles: torch.Tensor  # (2,) degrees: the largest angle between the query and key subspaces of R^D, the smallest between query and value
    lengths: torch.Tensor  # (3,) |q_i|, |k_j| and cos of the angle between them: q_i . k_j = |q_i| |k_j| cos
    mix: torch.Tensor  # (L, D') A[i, k] * V[k]: each value scaled by the followed query's weight on it
    mix_cum: torch.Tensor  # (L + 1, D') the running sums of mix from the origin: the last row is out[i]

    def training(self) -> dict[str, Any]:
        """Return the trained model's record: task, steps, losses, held-out accuracy, seed."""
        return self.record


def project(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Map every input row through one trained weight: X @ W."""
    return x @ w  # (L, D')


def dot_terms(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Return every product Q[i, c] * K[j, c]; summed over c they are the scores."""
    return q[:, None, :] * k[None, :, :]  # (L, L, D')


def nice_tick(extent: torch.Tensor) -> torch.Tensor:
    """Return the largest of 1, 2 or 5 times a power of ten that is at most extent."""
    p = torch.pow(10.0, torch.floor(torch.log10(extent)))
    return torch.where(5 * p <= extent, 5 * p, torch.where(2 * p <= extent, 2 * p, p))


def band(w: torch.Tensor, head: int) -> torch.Tensor:
    """Return head h's columns of a (D, H*D') weight: its own (D, D') map."""
    return w[:, head * D_PROJ:(head + 1) * D_PROJ].contiguous()


def column_space(w: torch.Tensor) -> torch.Tensor:
    """Return an orthonormal basis (D, r) of the subspace of R^D a (D, D') weight reads: its column space."""
    return torch.linalg.qr(w)[0]


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Return the principal angles, in degrees and ascending, between the column spaces of two weights."""
    cos = torch.linalg.svdvals(column_space(a).T @ column_space(b)).clamp(-1.0, 1.0)  # descending cosines
    return torch.rad2deg(torch.arccos(cos))  # ascending angles


def blind_direction(w_blind: torch.Tensor, w_seen: torch.Tensor, toward: torch.Tensor) -> torch.Tensor:
    """Return a unit n with n w_blind = 0 whose image n w_seen is largest, signed so that it points toward `toward`."""
    u = torch.linalg.svd(w_blind)[0]  # (D, D): columns past the rank span the directions w_blind maps to zero
    blind = u[:, w_blind.shape[1]:]  # (D, D - D')
    coef = torch.linalg.svd(blind.T @ w_seen)[0][:, 0]  # (D - D',): the blind combination w_seen maps farthest
    n = blind @ coef  # (D,), unit length
    return n if float((n @ w_seen) @ toward) >= 0 else -n


def build(config: SubspacesConfig, device: torch.device) -> SubspacesResult:
    """Train (or load) the model, then compute every tensor of the subspaces lecture on the device."""
    config.validate()
    model = trained(TrainConfig(d_model=config.d_model, heads=HEADS, seed=config.seed))
    L = config.seq_len
    words = SENTENCES[L]
    ids = torch.tensor([WORDS.index(w) for w in words], device=device)
    X = model.table.to(device)[ids] + sinusoidal(L, config.d_model, device)
    W_Q, W_K, W_V = (band(getattr(model, n).to(device), HEAD) for n in ("W_q", "W_k", "W_v"))  # (D, D') each
    Q, K, V = project(X, W_Q), project(X, W_K), project(X, W_V)
    S = scores(Q, K, scale=False)
    S_scaled = S / D_PROJ ** 0.5
    A = torch.softmax(S_scaled, dim=-1)
    out = A @ V
    qk, v = torch.cat([Q, K]).abs().max(), V.abs().max()
    i, j = config.query - 1, config.key - 1
    n = blind_direction(W_Q, W_V, -V[i])  # moves the value point toward the origin, so it stays on its plane
    mix = A[i][:, None] * V  # (L, D')
    return SubspacesResult(
        config=config,
        words=words,
        record=model.record(),
        accuracy=torch.tensor(100 * model.accuracy, device=device),
        head=torch.tensor(HEAD + 1, device=device),
        band=torch.tensor([HEAD * D_PROJ + 1, (HEAD + 1) * D_PROJ], device=device),
        X=X,
        W_Q=W_Q,
        W_K=W_K,
        W_V=W_V,
        Q=Q,
        K=K,
        V=V,
        K_T=K.T.contiguous(),
        terms=dot_terms(Q, K),
        S=S,
        S_scaled=S_scaled,
        A=A,
        out=out,
        S_tied=scores(Q, Q, scale=False),
        ranks=torch.stack([torch.linalg.matrix_rank(w) for w in (W_Q, W_K, W_V)]),
        ticks=torch.stack([torch.stack([-nice_tick(0.8 * e), nice_tick(0.8 * e)]) for e in (qk, v)]),
        W_q_full=model.W_q.to(device),
        x_terms=X[i][:, None] * W_Q,
        null=n,
        null_maps=torch.stack([n @ W for W in (W_Q, W_K, W_V)]),
        moved=torch.stack([(X[i] + n) @ W for W in (W_Q, W_K, W_V)]),
        angles=torch.stack([principal_angles(W_Q, W_K)[-1], principal_angles(W_Q, W_V)[0]]),
        lengths=torch.stack([Q[i].norm(), K[j].norm(), (Q[i] @ K[j]) / (Q[i].norm() * K[j].norm())]),
        mix=mix,
        mix_cum=torch.cat([torch.zeros(1, D_PROJ, device=device), mix.cumsum(0)]),
    )
