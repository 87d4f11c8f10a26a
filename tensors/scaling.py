"""Why attention divides its scores by sqrt(d_k): measured, not argued.

With q, k ~ N(0, I) in d_k dimensions, the score q . k is a sum of d_k independent products
q_i k_i, each with mean 0 and variance 1, so Var(q . k) = d_k and its spread is sqrt(d_k).
The lecture draws many seeded samples per d_k, histograms them, and compares the measured
standard deviation with sqrt(d_k). Then one query against L keys shows what a large spread does
to softmax (it saturates) and, through autograd, to the gradient that flows back into the scores.

The saturation example runs in float64, so the tiny gradients it reports are the softmax's and
not float32 rounding noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tensors.attention import scores
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, opt, randn


@dataclass(frozen=True)
class ScalingConfig(LectureConfig):
    """The three key sizes compared, how many samples measure each, and the saturation example."""

    d_small: int = opt(4, "smallest key size d_k (also the worked dot product)", 2, 8,
                       "its q and k are drawn entry by entry in one row; wider rows do not fit at 480p")
    d_medium: int = opt(64, "middle key size d_k", 3, 512,
                        "samples x d_k normal draws are held in memory for q and for k")
    d_large: int = opt(512, "largest key size d_k (also the saturation example)", 4, 1024,
                       "samples x d_k normal draws are held in memory for q and for k")
    samples: int = opt(20000, "samples of q . k drawn for every d_k", 2000, 30000,
                       "samples x d_k normal draws are held in memory for q and for k")
    bins: int = opt(31, "histogram bins (the same bins for every d_k)", 11, 41,
                    "three histograms share one row width; thinner bars are not legible at 480p")
    keys: int = opt(8, "keys L the saturation example's query is scored against", 4, 10,
                    "one bar and one score per key must stay legible at 480p")

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or the key sizes are not increasing."""
        super().validate()
        if self.d_medium <= self.d_small:
            raise ConfigError(f"--d-medium {self.d_medium} must be larger than --d-small {self.d_small}")
        if self.d_large <= self.d_medium:
            raise ConfigError(f"--d-large {self.d_large} must be larger than --d-medium {self.d_medium}")

    @property
    def d_ks(self) -> tuple[int, int, int]:
        """The compared key sizes, smallest first."""
        return (self.d_small, self.d_medium, self.d_large)


@dataclass(frozen=True)
class ScalingResult(LectureResult):
    """Every tensor the scaling lecture shows, by name."""

    config: ScalingConfig
    d_k: torch.Tensor  # (K,) the compared key sizes, K = 3
    sqrt_dk: torch.Tensor  # (K,) sqrt(d_k), the predicted standard deviation of q . k
    example_q: torch.Tensor  # (d_small,) the first sampled query of the smallest size
    example_k: torch.Tensor  # (d_small,) the first sampled key of the smallest size
    example_prod: torch.Tensor  # (d_small,) q_i k_i, the terms of the dot product
    example_dot: torch.Tensor  # () their sum, = samples[0, 0]
    prod_var: torch.Tensor  # () measured variance of one product q_i k_i (all entries, smallest size)
    samples: torch.Tensor  # (K, N) q . k for N seeded pairs per d_k
    var: torch.Tensor  # (K,) measured variance of q . k
    std: torch.Tensor  # (K,) measured standard deviation of q . k
    std_span: torch.Tensor  # (K, 2) -std and +std, the ends of the drawn spread
    edges: torch.Tensor  # (K, bins + 1) row k's bin edges: scaled_edges * sqrt(d_k), so bins squeeze into scaled bins
    counts: torch.Tensor  # (K, bins) torch.histc of samples[k] over its edges (equal to scaled_counts)
    ticks: torch.Tensor  # (3,) the shared unscaled axis: -reach, zero, +reach of the largest d_k
    scaled: torch.Tensor  # (K, N) q . k / sqrt(d_k)
    scaled_std: torch.Tensor  # (K,) measured standard deviation after scaling
    scaled_span: torch.Tensor  # (K, 2) -std and +std after scaling
    scaled_edges: torch.Tensor  # (bins + 1,) common bin edges of the scaled samples, -max .. +max
    scaled_counts: torch.Tensor  # (K, bins) torch.histc of scaled[k]
    scaled_ticks: torch.Tensor  # (3,) lowest edge, zero, highest edge
    sat_q: torch.Tensor  # (d_large,) one query, float64
    sat_k: torch.Tensor  # (L, d_large) L keys, float64
    sat_v: torch.Tensor  # (L,) one value per key: the loss is the attention output w . v
    sat_scores: torch.Tensor  # (2, L) q . k_j unscaled (row 0) and divided by sqrt(d_k) (row 1)
    sat_weights: torch.Tensor  # (2, L) softmax of each row
    sat_max: torch.Tensor  # (2,) the largest weight of each row
    sat_next: torch.Tensor  # (2,) the second largest weight of each row
    sat_gap: torch.Tensor  # (2,) the largest score minus the second largest, per row
    sat_extremes: torch.Tensor  # (2,) the lowest and the highest unscaled score
    sat_grad: torch.Tensor  # (2, L) d(w . v)/d(scores), measured with autograd
    sat_grad_norm: torch.Tensor  # (2,) the norm of each gradient row
    sat_grad_ratio: torch.Tensor  # () scaled gradient norm / unscaled gradient norm
    sat_weight_ratio: torch.Tensor  # (2,) largest weight / second largest weight, per row: e to the gap
    sat_exp_gap: torch.Tensor  # (2,) e to the power of sat_gap, per row: equal to sat_weight_ratio
    sat_pair: torch.Tensor  # (2,) the keys with the largest and the second largest score (the same in both rows)
    unit: torch.Tensor  # (2,) 0 and 1: the ticks of the weight axes
    grad_tick: torch.Tensor  # () the largest |gradient| of either row: the tick of the gradient axes
    sat_out: torch.Tensor  # (2,) the attention output o = w . v of each row
    n_samples: torch.Tensor  # () N, the samples per d_k, as a count



def draw_pairs(n: int, d_k: int, g: torch.Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw n seeded pairs q, k ~ N(0, I) in d_k dimensions, q first."""
    q = randn((n, d_k), g, device)  # (N, d_k)
    k = randn((n, d_k), g, device)  # (N, d_k)
    return q, k


def dot(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Return q . k for every pair: the sum of the d_k products q_i k_i."""
    return (q * k).sum(dim=-1)  # (N,)


def histogram(x: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Count every row of x in the same bins, symmetric about zero and wide enough for every sample."""
    reach = float(x.abs().max())
    edges = torch.linspace(-reach, reach, bins + 1, device=x.device)  # (bins + 1,)
    counts = torch.stack([torch.histc(row, bins=bins, min=-reach, max=reach) for row in x])  # (K, bins)
    return edges, counts


def spread(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the standard deviation of every row of x and its span (-std, +std)."""
    std = x.std(dim=-1)  # (K,)
    return std, torch.stack([-std, std], dim=-1)  # (K,), (K, 2)


def softmax_and_grad(s: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return softmax(s) and, by autograd, the gradient of the attention output softmax(s) . v w.r.t. s."""
    s = s.detach().requires_grad_(True)
    w = torch.softmax(s, dim=-1)  # (L,)
    (grad,) = torch.autograd.grad(w @ v, s)  # (L,)
    return w.detach(), grad


def build(config: ScalingConfig, device: torch.device) -> ScalingResult:
    """Compute every tensor of the scaling lecture on the device."""
    config.validate()
    g = generator(config.seed)
    # 1) measure: N seeded dot products for every d_k
    rows = []
    for d in config.d_ks:
        q, k = draw_pairs(config.samples, d, g, device)
        if d == config.d_small:  # the worked example is pair 0; every product q_i k_i measures Var(q_i k_i)
            example_q, example_k, prod_var = q[0], k[0], (q * k).var()
        rows.append(dot(q, k))
    samples = torch.stack(rows)  # (K, N)
    d_k = torch.tensor(config.d_ks, device=device)
    sqrt_dk = d_k.double().sqrt().float()
    std, std_span = spread(samples)
    # 2) scale: divide every score by sqrt(d_k); row k's bins are the scaled bins times sqrt(d_k), so dividing the
    # samples by sqrt(d_k) squeezes each unscaled bar exactly onto a scaled bar with the same count
    scaled = samples / sqrt_dk[:, None]  # (K, N)
    scaled_std, scaled_span = spread(scaled)
    scaled_edges, scaled_counts = histogram(scaled, config.bins)
    edges = scaled_edges[None] * sqrt_dk[:, None]  # (K, bins + 1)
    counts = torch.stack([torch.histc(x, bins=config.bins, min=float(e[0]), max=float(e[-1]))
                          for x, e in zip(samples, edges)])  # (K, bins)
    reach = edges[-1, -1:]
    # 3) saturate: one query against L keys of the largest size, unscaled and scaled
    d = config.d_large
    sat_q = randn((d,), g, device).double()
    sat_k = randn((config.keys, d), g, device).double()
    sat_v = randn((config.keys,), g, device).double()
    sat_scores = torch.stack([scores(sat_q[None], sat_k, scale=False)[0],
                              scores(sat_q[None], sat_k, scale=True)[0]])  # (2, L)
    pairs = [softmax_and_grad(s, sat_v) for s in sat_scores]
    sat_weights = torch.stack([w for w, _ in pairs])  # (2, L)
    sat_grad = torch.stack([gr for _, gr in pairs])  # (2, L)
    sat_grad_norm = sat_grad.norm(dim=-1)  # (2,)
    top = sat_weights.topk(2, dim=-1).values  # (2, 2) largest and second largest weight per row
    best = sat_scores.topk(2, dim=-1).values  # (2, 2) largest and second largest score per row
    zero = torch.zeros(1, device=device)
    return ScalingResult(
        config=config,
        d_k=d_k,
        sqrt_dk=sqrt_dk,
        example_q=example_q,
        example_k=example_k,
        example_prod=example_q * example_k,
        example_dot=samples[0, 0],
        prod_var=prod_var,
        samples=samples,
        var=samples.var(dim=-1),
        std=std,
        std_span=std_span,
        edges=edges,
        counts=counts,
        ticks=torch.cat([-reach, zero, reach]),
        scaled=scaled,
        scaled_std=scaled_std,
        scaled_span=scaled_span,
        scaled_edges=scaled_edges,
        scaled_counts=scaled_counts,
        scaled_ticks=torch.cat([scaled_edges[:1], zero, scaled_edges[-1:]]),
        sat_q=sat_q,
        sat_k=sat_k,
        sat_v=sat_v,
        sat_scores=sat_scores,
        sat_weights=sat_weights,
        sat_max=top[:, 0],
        sat_next=top[:, 1],
        sat_gap=best[:, 0] - best[:, 1],
        sat_extremes=torch.stack([sat_scores[0].min(), sat_scores[0].max()]),
        sat_grad=sat_grad,
        sat_grad_norm=sat_grad_norm,
        sat_grad_ratio=sat_grad_norm[1] / sat_grad_norm[0],
        sat_weight_ratio=top[:, 0] / top[:, 1],
        sat_exp_gap=(best[:, 0] - best[:, 1]).exp(),
        sat_pair=sat_scores[0].topk(2).indices,
        unit=torch.tensor([0.0, 1.0], device=device),
        grad_tick=sat_grad.abs().max(),
        sat_out=sat_weights @ sat_v,
        n_samples=torch.tensor(float(config.samples), device=device),
    )

