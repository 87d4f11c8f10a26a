"""Why softmax: real attention scores for one query, turned into weights four ways.

The scores are those of head 1 of a small attention model really trained (tensors.trained) to name
the word before each word: Q, K, V are that head's slices of X W_q, X W_k, X W_v for the sentence
"cat eat mouse dog fish ...", and S = Q K^T / sqrt(d_k). Softmax is compared with dividing by the
sum of the scores and with argmax; a temperature divides the scores; the weights of one query then
mix the rows of V.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tensors.attention import attend, scores, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, opt
from tensors.trained import WORDS, TrainConfig, Trained, split, trained

NUDGE = 0.2  # how far one score is pushed to compare softmax with argmax
SHIFT = 5.0  # a constant added to every score: softmax does not change
CURVE_POINTS = 81  # samples of the weight-versus-score curves
TEMPERATURES = (0.5, 1.0, 2.0)  # softmax(s / T): sharper below one, flatter above
HEADS = 2  # the trained model's heads; the lecture follows head 1 (trained to name the word before)
SLIDE_STEPS = 16  # states the runner-up score passes through as it slides past the top score
TANGENT = 0.75  # half the width, in score units, of the tangent drawn where the slide starts


@dataclass(frozen=True)
class SoftmaxConfig(LectureConfig):
    """Sizes of the attention example and which query row is followed."""

    seq_len: int = opt(5, "sequence length L (number of keys)", 2, 6,
                       "the L x L weights and their row sums are drawn next to the scores; more do not fit at 480p")
    d_k: int = opt(4, "size d_k of each query, key and value vector", 2, 5,
                   "weights, V and the weighted rows of V are drawn side by side; wider rows do not fit at 480p")
    query: int = opt(3, "position (1-based) of the query whose scores are followed", 1, 6)

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the query is not in the sequence."""
        super().validate()
        if self.query > self.seq_len:
            raise ConfigError(f"--query {self.query} is beyond the sequence: --seq-len is {self.seq_len}")


@dataclass(frozen=True)
class SoftmaxResult(LectureResult):
    """Every tensor the softmax lecture shows, by name."""

    config: SoftmaxConfig
    model: Trained  # the trained attention model the scores come from
    words: tuple[str, ...]  # the sentence, one word per position
    accuracy: torch.Tensor  # () the trained model's held-out accuracy, in percent
    qk_terms: torch.Tensor  # (d_k,) q[c] * K[top, c]: the products of the top key's dot product
    qk_dot: torch.Tensor  # () their sum, q . k_top, before the division
    sqrt_dk: torch.Tensor  # () sqrt(d_k), what every dot product is divided by
    A_heads: torch.Tensor  # (H, L, L) every trained head's attention weights on the sentence (head 1 is followed)
    Q: torch.Tensor  # (L, d_k) queries
    K: torch.Tensor  # (L, d_k) keys
    V: torch.Tensor  # (L, d_k) values
    q: torch.Tensor  # (1, d_k) the followed query, row i of Q
    S: torch.Tensor  # (L, L) scores Q K^T / sqrt(d_k)
    A: torch.Tensor  # (L, L) attention weights: softmax of each row of S
    row_sums: torch.Tensor  # (L, 1) each row of A summed
    O: torch.Tensor  # (L, d_k) attention output A @ V
    s: torch.Tensor  # (L,) the followed query's scores, row i of S
    exp_s: torch.Tensor  # (L,) exp(s)
    exp_sum: torch.Tensor  # () sum of exp(s)
    w: torch.Tensor  # (L,) softmax(s), row i of A
    w_sum: torch.Tensor  # () sum of w
    order: torch.Tensor  # (L,) key indices from the largest score to the smallest
    gap: torch.Tensor  # () the top score minus the runner-up score
    ratio: torch.Tensor  # () the top weight over the runner-up weight
    exp_gap: torch.Tensor  # () e to the gap: equal to ratio
    temps: torch.Tensor  # (T,) temperatures
    w_temp: torch.Tensor  # (T, L) softmax(s / T) for each temperature
    w_temp_max: torch.Tensor  # (T,) the largest weight at each temperature
    shift: torch.Tensor  # () constant added to every score
    w_shifted: torch.Tensor  # (L,) softmax(s + shift)
    s_shifted: torch.Tensor  # (L,) s + shift: every score lifted
    exp_shifted: torch.Tensor  # (L,) exp(s + shift) = exp(s) * exp(shift)
    exp_shift: torch.Tensor  # () exp(shift): the factor every e^s and their sum grow by
    exp_shifted_sum: torch.Tensor  # () sum of exp(s + shift)
    s_stable: torch.Tensor  # (L,) s - max(s): what torch exponentiates (the top score becomes zero)
    exp_stable: torch.Tensor  # (L,) exp(s - max(s)), none above one
    exp_stable_sum: torch.Tensor  # () sum of exp(s - max(s))
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
    grad_r: torch.Tensor  # (L,) d softmax(s)_j / d s_r by autograd, r the runner-up key
    grad_step: torch.Tensor  # (L,) nudge * grad_r: the change the gradient predicts for the nudge
    slope: torch.Tensor  # () grad_r[r]: the slope of the softmax curve where the slide starts
    tangent_x: torch.Tensor  # (2,) s_r -+ TANGENT: the ends of the tangent there
    tangent_y: torch.Tensor  # (2,) w_r -+ TANGENT * slope
    slide_x: torch.Tensor  # (M,) the runner-up score at each slide state, from s_r to the curve's end
    slide_s: torch.Tensor  # (M, L) the scores at each slide state (row 0 is s)
    slide_w: torch.Tensor  # (M, L) softmax of each row of slide_s
    slide_hard: torch.Tensor  # (M, L) argmax of each row of slide_s as one-hot weights
    w_col: torch.Tensor  # (L, 1) w as a column
    contrib: torch.Tensor  # (L, d_k) w_j * v_j, each value row scaled by its weight
    contrib_norm: torch.Tensor  # (L,) the length of each scaled row, |w_j v_j|
    contrib_order: torch.Tensor  # (L,) keys from the longest scaled row to the shortest
    o: torch.Tensor  # (1, d_k) the scaled rows summed
    O_row: torch.Tensor  # (1, d_k) row i of A @ V, as attention computes it
    out_diff: torch.Tensor  # () max |sum_j w_j v_j - (A @ V)[i]|

    def strings(self) -> dict[str, str]:
        """Return the followed query's word and the word of its top-scoring key."""
        i = self.config.query - 1
        return {"query_word": self.words[i], "top_word": self.words[int(self.order[0])]}

    def training(self) -> dict[str, object]:
        """Return the record of the trained model whose head 1 gives the scores."""
        return self.model.record()



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


def weight_gradient(s: torch.Tensor, j: int) -> torch.Tensor:
    """Return d softmax(s)_i / d s_j for every i (L,), by autograd: one column of the softmax Jacobian."""
    x = s.detach().clone().requires_grad_(True)
    (col,) = torch.autograd.functional.jacobian(lambda y: torch.softmax(y, dim=-1), x).unbind(-1)[j:j + 1]
    return col.detach()  # (L,)


def heads_qkv(model: Trained, ids: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Return every head's Q, K, V (H, L, d_k) for a sentence of word ids (L,): embeddings + positions, projected, split."""
    D = model.config.d_model
    x = model.table[ids] + sinusoidal(len(ids), D)  # (L, D)
    q, k, v = (split((x @ W)[None], model.config.heads)[0] for W in (model.W_q, model.W_k, model.W_v))
    return tuple(t.to(device).contiguous() for t in (q, k, v))


def build(config: SoftmaxConfig, device: torch.device) -> SoftmaxResult:
    """Compute every tensor of the softmax lecture on the device."""
    config.validate()
    L, d, i = config.seq_len, config.d_k, config.query - 1
    model = trained(TrainConfig(d_model=HEADS * d, heads=HEADS, seed=config.seed))
    ids = torch.arange(L)  # the sentence: the first L words of the table, "cat eat mouse dog fish ..."
    Qh, Kh, Vh = heads_qkv(model, ids, device)  # (H, L, d_k)
    Q, K, V = Qh[0], Kh[0], Vh[0]  # head 1
    S = scores(Q, K)  # (L, L)
    O, A = attend(Q, K, V)  # (L, d_k), (L, L)
    s, w = S[i], A[i]  # (L,), (L,): the followed query's row
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
    lo = min(float(s[top]) - span, float(s[runner]) - TANGENT)  # room on the left for the tangent
    curve_x = torch.linspace(lo, float(s[top]) + span, CURVE_POINTS, device=device)
    swept = sweep(s, runner, curve_x)  # (N, L)
    slide_x = s[runner] + torch.linspace(0.0, 1.0, SLIDE_STEPS, device=device) * (curve_x[-1] - s[runner])
    slide_x[0] = s[runner]  # state 0 is exactly the scores shown before
    slide_s = sweep(s, runner, slide_x)  # (M, L)
    grad_r = weight_gradient(s, runner)  # (L,)
    slope = grad_r[runner]

    temps = torch.tensor(TEMPERATURES, device=device)
    w_temp = torch.softmax(s[None] / temps[:, None], dim=-1)  # (T, L)
    contrib = weighted_rows(w, V)
    o = contrib.sum(dim=0, keepdim=True)  # (1, d_k)
    return SoftmaxResult(
        config=config,
        model=model,
        words=tuple(WORDS[int(t)] for t in ids),
        accuracy=torch.tensor(100 * model.accuracy, device=device),
        qk_terms=Q[i] * K[top],
        qk_dot=Q[i] @ K[top],
        sqrt_dk=torch.tensor(float(d) ** 0.5, device=device),
        A_heads=torch.softmax(scores(Qh, Kh), dim=-1),
        Q=Q,
        K=K,
        V=V,
        q=Q[i:i + 1].contiguous(),
        S=S,
        A=A,
        row_sums=A.sum(dim=-1, keepdim=True),
        O=O,
        s=s.contiguous(),
        exp_s=exp_s,
        exp_sum=exp_s.sum(),
        w=w.contiguous(),
        w_sum=w.sum(),
        order=order,
        gap=s[top] - s[runner],
        ratio=w[top] / w[runner],
        exp_gap=(s[top] - s[runner]).exp(),
        temps=temps,
        w_temp=w_temp,
        w_temp_max=w_temp.max(dim=-1).values,
        shift=torch.tensor(SHIFT, device=device),
        w_shifted=w_shifted,
        s_shifted=s + SHIFT,
        exp_shifted=(s + SHIFT).exp(),
        exp_shift=torch.tensor(SHIFT, device=device).exp(),
        exp_shifted_sum=(s + SHIFT).exp().sum(),
        s_stable=s - s.max(),
        exp_stable=(s - s.max()).exp(),
        exp_stable_sum=(s - s.max()).exp().sum(),
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
        grad_r=grad_r,
        grad_step=NUDGE * grad_r,
        slope=slope,
        tangent_x=s[runner] + torch.tensor([-TANGENT, TANGENT], device=device),
        tangent_y=w[runner] + slope * torch.tensor([-TANGENT, TANGENT], device=device),
        slide_x=slide_x,
        slide_s=slide_s,
        slide_w=torch.softmax(slide_s, dim=-1),
        slide_hard=hard_max(slide_s),
        w_col=w[:, None].contiguous(),
        contrib=contrib,
        contrib_norm=contrib.norm(dim=-1),
        contrib_order=torch.argsort(contrib.norm(dim=-1), descending=True),
        o=o,
        O_row=O[i:i + 1].contiguous(),
        out_diff=(o[0] - O[i]).abs().max(),
    )
