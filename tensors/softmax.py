"""Why softmax: real attention scores for one query, turned into weights four ways.

The scores are the real S = Q K^T / sqrt(d_k) of seeded Q, K (one head, no projection: Q, K, V are
drawn directly). Softmax is compared with dividing by the sum of the scores and with argmax; the
weights of one query then mix the rows of V.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tensors.attention import attend, scores
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, opt, randn

NUDGE = 0.2  # how far one score is pushed to compare softmax with argmax
SHIFT = 5.0  # a constant added to every score: softmax does not change
CURVE_POINTS = 81  # samples of the weight-versus-score curves


@dataclass(frozen=True)
class SoftmaxConfig(LectureConfig):
    """Sizes of the attention example and which query row is followed."""

    seq_len: int = opt(5, "sequence length L (number of keys)", 2, 6,
                       "the L x L weights and their row sums are drawn next to the scores; more do not fit at 480p")
    d_k: int = opt(4, "size d_k of each query, key and value vector", 2, 5,
                   "weights, V and the weighted rows of V are drawn side by side; wider rows do not fit at 480p")
    query: int = opt(1, "position (1-based) of the query whose scores are followed", 1, 6)

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the query is not in the sequence."""
        super().validate()
        if self.query > self.seq_len:
            raise ConfigError(f"--query {self.query} is beyond the sequence: --seq-len is {self.seq_len}")


@dataclass(frozen=True)
class SoftmaxResult(LectureResult):
    """Every tensor the softmax lecture shows, by name."""

    config: SoftmaxConfig
    Q: torch.Tensor  # (L, d_k) queries
    K: torch.Tensor  # (L, d_k) keys
    V: torch.Tensor  # (L, d_k) values
    q: torch.Tensor  # (1, d_k) the followed query, row i of Q
    S: torch.Tensor  # (L, L) scores Q K^T / sqrt(d_k)
    W: torch.Tensor  # (L, L) softmax of each row of S
    row_sums: torch.Tensor  # (L, 1) each row of W summed
    O: torch.Tensor  # (L, d_k) attention output W @ V
    s: torch.Tensor  # (L,) the followed query's scores, row i of S
    exp_s: torch.Tensor  # (L,) exp(s)
    exp_sum: torch.Tensor  # () sum of exp(s)
    w: torch.Tensor  # (L,) softmax(s), row i of W
    w_sum: torch.Tensor  # () sum of w
    order: torch.Tensor  # (L,) key indices from the largest score to the smallest
    shift: torch.Tensor  # () constant added to every score
    w_shifted: torch.Tensor  # (L,) softmax(s + shift)
    shift_change: torch.Tensor  # () max |softmax(s + shift) - softmax(s)|
    s_sum: torch.Tensor  # () sum of the scores
    naive: torch.Tensor  # (L,) s / sum(s), "divide by the sum"
    naive_sum: torch.Tensor  # () sum of s / sum(s)
    naive_min: torch.Tensor  # () smallest of s / sum(s)
    naive_max: torch.Tensor  # () largest of s / sum(s)
    nudge: torch.Tensor  # () how far the runner-up score is pushed
    s_nudged: torch.Tensor  # (L,) s with the runner-up score pushed up by nudge
    w_nudged: torch.Tensor  # (L,) softmax(s_nudged)
    w_change: torch.Tensor  # (L,) softmax(s_nudged) - softmax(s)
    hard: torch.Tensor  # (L,) argmax of s as one-hot weights
    hard_nudged: torch.Tensor  # (L,) argmax of s_nudged as one-hot weights
    hard_change: torch.Tensor  # (L,) hard_nudged - hard
    curve_x: torch.Tensor  # (N,) values swept by the runner-up score
    curve_soft: torch.Tensor  # (N,) its softmax weight at each value
    curve_hard: torch.Tensor  # (N,) its argmax weight at each value
    w_col: torch.Tensor  # (L, 1) w as a column
    contrib: torch.Tensor  # (L, d_k) w_j * v_j, each value row scaled by its weight
    o: torch.Tensor  # (1, d_k) the scaled rows summed
    O_row: torch.Tensor  # (1, d_k) row i of W @ V, as attention computes it
    out_diff: torch.Tensor  # () max |sum_j w_j v_j - (W @ V)[i]|



def divide_by_sum(s: torch.Tensor) -> torch.Tensor:
    """Normalise scores by dividing each by their sum (the naive alternative to softmax)."""
    return s / s.sum(dim=-1, keepdim=True)  # (..., L)


def hard_max(s: torch.Tensor) -> torch.Tensor:
    """Put all the weight on the largest score: argmax as one-hot weights."""
    return F.one_hot(s.argmax(dim=-1), s.shape[-1]).to(s.dtype)  # (..., L)


def nudged(s: torch.Tensor, j: int, delta: float) -> torch.Tensor:
    """Return a copy of s (L,) whose entry j is larger by delta."""
    out = s.clone()
    out[j] += delta
    return out


def sweep(s: torch.Tensor, j: int, xs: torch.Tensor) -> torch.Tensor:
    """Return one copy of s (L,) per value in xs (N,), with entry j set to that value."""
    out = s.expand(xs.shape[0], -1).clone()  # (N, L)
    out[:, j] = xs
    return out


def weighted_rows(w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Scale each value row v_j by its weight w_j."""
    return w[:, None] * v  # (L, d_k)


def build(config: SoftmaxConfig, device: torch.device) -> SoftmaxResult:
    """Compute every tensor of the softmax lecture on the device."""
    config.validate()
    g = generator(config.seed)
    L, d, i = config.seq_len, config.d_k, config.query - 1
    Q, K, V = (randn((L, d), g, device) for _ in range(3))
    S = scores(Q, K)  # (L, L)
    O, W = attend(Q, K, V)  # (L, d_k), (L, L)
    s, w = S[i], W[i]  # (L,), (L,): the followed query's row
    exp_s = s.exp()
    order = torch.argsort(s, descending=True)
    top, runner = int(order[0]), int(order[1])
    w_shifted = torch.softmax(s + SHIFT, dim=-1)
    naive = divide_by_sum(s)

    s_nudged = nudged(s, runner, NUDGE)
    w_nudged = torch.softmax(s_nudged, dim=-1)
    hard, hard_nudged = hard_max(s), hard_max(s_nudged)

    gap = float(s[top] - s[runner])
    span = max(1.0, gap + 0.5)
    curve_x = float(s[top]) + torch.linspace(-span, span, CURVE_POINTS, device=device)
    swept = sweep(s, runner, curve_x)  # (N, L)

    contrib = weighted_rows(w, V)
    o = contrib.sum(dim=0, keepdim=True)  # (1, d_k)
    return SoftmaxResult(
        config=config,
        Q=Q,
        K=K,
        V=V,
        q=Q[i:i + 1].contiguous(),
        S=S,
        W=W,
        row_sums=W.sum(dim=-1, keepdim=True),
        O=O,
        s=s.contiguous(),
        exp_s=exp_s,
        exp_sum=exp_s.sum(),
        w=w.contiguous(),
        w_sum=w.sum(),
        order=order,
        shift=torch.tensor(SHIFT, device=device),
        w_shifted=w_shifted,
        shift_change=(w_shifted - w).abs().max(),
        s_sum=s.sum(),
        naive=naive,
        naive_sum=naive.sum(),
        naive_min=naive.min(),
        naive_max=naive.max(),
        nudge=torch.tensor(NUDGE, device=device),
        s_nudged=s_nudged,
        w_nudged=w_nudged,
        w_change=w_nudged - w,
        hard=hard,
        hard_nudged=hard_nudged,
        hard_change=hard_nudged - hard,
        curve_x=curve_x,
        curve_soft=torch.softmax(swept, dim=-1)[:, runner],
        curve_hard=hard_max(swept)[:, runner],
        w_col=w[:, None].contiguous(),
        contrib=contrib,
        o=o,
        O_row=O[i:i + 1].contiguous(),
        out_diff=(o[0] - O[i]).abs().max(),
    )
