"""The position-wise feed-forward network: two linear maps with a non-linearity, the same at every position.

Convention: the paper's right-multiplication FFN(x) = ReLU(x W1 + b1) W2 + b2 with W1 of shape
(D, d_ff), d_ff = 4 D. PyTorch's nn.Linear stores its weight as (out, in), so W1 = linear1.weight.T.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tensors.attention import self_attention
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

EXPANSION = 4  # the paper's d_ff = 4 d_model (2048 = 4 x 512)
CURVE_POINTS = 41  # samples of the ReLU and GELU curves in the plot


@dataclass(frozen=True)
class FfnConfig(LectureConfig):
    """Sizes of the small worked example and of the real-size parameter count."""

    seq_len: int = opt(4, "sequence length L", 2, 6)
    d_model: int = opt(4, "embedding size D (the hidden layer has d_ff = 4 D units)", 2, 4,
                       "the d_ff = 4 D hidden units are drawn as one row of numbers; more do not fit at 480p")
    position: int = opt(2, "position j (1-based) that is followed through the FFN and then changed", 1, 6)
    big_d_model: int = opt(512, "embedding size D of the real-size parameter count", 8, 2048,
                           "the real nn.Linear modules are allocated in memory; larger is slow on a shared CPU")

    def validate(self) -> None:
        """Raise ConfigError when a size cannot be drawn or the position is not in the sequence."""
        super().validate()
        if self.position > self.seq_len:
            raise ConfigError(f"--position {self.position} is beyond the sequence: --seq-len is {self.seq_len}")

    @property
    def d_ff(self) -> int:
        """Hidden size d_ff = 4 D of the worked example."""
        return EXPANSION * self.d_model


@dataclass(frozen=True)
class FfnResult(LectureResult):
    """Every tensor the ffn lecture shows, by name."""

    config: FfnConfig
    X: torch.Tensor  # (L, D) input, one row per position
    W1: torch.Tensor  # (D, d_ff) first linear map, W1 = linear1.weight.T
    b1: torch.Tensor  # (d_ff,)
    W2: torch.Tensor  # (d_ff, D) second linear map
    b2: torch.Tensor  # (D,)
    Z: torch.Tensor  # (L, d_ff) pre-activations X W1 + b1
    H: torch.Tensor  # (L, d_ff) ReLU(Z)
    G: torch.Tensor  # (L, d_ff) GELU(Z), the same pre-activations through GELU
    Y: torch.Tensor  # (L, D) FFN(X), the whole sequence in one call
    Y_rows: torch.Tensor  # (L, D) FFN applied to one position at a time
    row_diff: torch.Tensor  # () max |Y_rows - Y|
    X_new: torch.Tensor  # (L, D) X with position j replaced
    dY: torch.Tensor  # (L, D) FFN(X_new) - FFN(X)
    dY_max: torch.Tensor  # (L,) largest |dY| at each position
    x_row: torch.Tensor  # (1, D) position j's input: a token is a row vector
    terms: torch.Tensor  # (D, d_ff) x_j[k] * W1[k, c]: the products that sum (with b1[c]) to z_c
    n_other_units: torch.Tensor  # () d_ff - 1: the hidden units not computed term by term
    terms2: torch.Tensor  # (d_ff, D) h_j[k] * W2[k, c]: the products that sum (with b2[c]) to y_c
    hW2: torch.Tensor  # (D,) h_j W2: the products summed, before the bias b2
    n_active: torch.Tensor  # () how many hidden units of position j ReLU leaves non-zero
    W12: torch.Tensor  # (D, D) W1 @ W2: the two maps multiplied into one
    b12: torch.Tensor  # (D,) b1 @ W2 + b2: the bias of that one map
    Y_lin: torch.Tensor  # (L, D) the two maps without the activation: (X W1 + b1) W2 + b2
    Y_one: torch.Tensor  # (L, D) the one map: X W12 + b12
    lin_diff: torch.Tensor  # () max |Y_lin - Y_one|: float32 rounding only
    relu_gap: torch.Tensor  # () max |FFN(X) - Y_one|: with ReLU the network is not that one map
    relu_gap_at: torch.Tensor  # (2,) (position, dimension) of that largest difference
    w_scale: torch.Tensor  # () max |W1|, |W2|: the colour scale of the weight heatmaps
    ramp: torch.Tensor  # (1, 65) -w_scale .. +w_scale, the heatmaps' colour legend
    W_q: torch.Tensor  # (D, D) one attention head, for comparison
    W_k: torch.Tensor  # (D, D)
    W_v: torch.Tensor  # (D, D)
    A: torch.Tensor  # (L, D) self-attention output on X
    dA: torch.Tensor  # (L, D) attention(X_new) - attention(X)
    dA_max: torch.Tensor  # (L,) largest |dA| at each position
    ffn_other_max: torch.Tensor  # () largest |dY| over the positions that were not changed
    attn_other_min: torch.Tensor  # () smallest per-position change of attention over the unchanged positions
    relu_zeros: torch.Tensor  # () how many pre-activations of position j ReLU sets to zero
    curve_z: torch.Tensor  # (N,) pre-activation values spanning position j's range
    curve_relu: torch.Tensor  # (N,) ReLU(curve_z)
    curve_gelu: torch.Tensor  # (N,) GELU(curve_z)
    big_dims: torch.Tensor  # (2,) D and d_ff of the real-size FFN, read from its nn.Linear
    ffn_params: torch.Tensor  # (4,) numel of W1, b1, W2, b2 of real nn.Linear modules
    attn_params: torch.Tensor  # (8,) numel of W_Q, b_Q, W_K, b_K, W_V, b_V, W_O, b_O of real nn.Linear modules
    param_totals: torch.Tensor  # (2,) FFN total, attention total
    param_ratio: torch.Tensor  # () FFN total / attention total
    expansion: torch.Tensor  # () d_ff / D of the real-size FFN
    n_ffn_weights: torch.Tensor  # () weight matrices (2-D parameters) in the FFN
    n_attn_weights: torch.Tensor  # () weight matrices in attention



def bias_init(out_features: int, in_features: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Draw a bias like nn.Linear's default: uniform in +-1/sqrt(in)."""
    bound = 1.0 / math.sqrt(in_features)
    return (torch.rand((out_features,), generator=g) * 2 * bound - bound).to(device)


def ffn(
    x: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor,
    act: Callable[[torch.Tensor], torch.Tensor] = F.relu,
) -> torch.Tensor:
    """Apply the feed-forward network to every position of x (..., L, D) with the same weights."""
    return act(x @ W1 + b1) @ W2 + b2  # (..., L, d_ff) -> (..., L, D)


def ffn_row_by_row(
    x: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor
) -> torch.Tensor:
    """Apply the feed-forward network to one position at a time and stack the rows."""
    return torch.stack([ffn(row, W1, b1, W2, b2) for row in x])  # (L, D)


def replace_position(x: torch.Tensor, j: int, new: torch.Tensor) -> torch.Tensor:
    """Return a copy of x (L, D) whose row j is new."""
    out = x.clone()
    out[j] = new
    return out


def row_change(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """Return the largest |after - before| at each position."""
    return (after - before).abs().amax(dim=-1)  # (L,)


def real_ffn(d_model: int, device: torch.device) -> nn.Sequential:
    """Build a real-size FFN from nn.Linear modules: D -> d_ff -> D."""
    d_ff = EXPANSION * d_model
    return nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model)).to(device)


def real_attention(d_model: int, device: torch.device) -> nn.ModuleDict:
    """Build the four D x D projections of attention (W_Q, W_K, W_V, W_O) as nn.Linear modules, with biases
    like the FFN's (nn.MultiheadAttention has them too), so both are counted alike."""
    names = ("W_Q", "W_K", "W_V", "W_O")
    return nn.ModuleDict({n: nn.Linear(d_model, d_model) for n in names}).to(device)


def weight_matrices(module: nn.Module) -> torch.Tensor:
    """Return how many 2-D parameters (weight matrices) a module has."""
    return torch.tensor(sum(p.dim() == 2 for p in module.parameters()), dtype=torch.int64)


def others(values: torch.Tensor, j: int) -> torch.Tensor:
    """Return the entries of a per-position vector (L,) at every position but j."""
    keep = torch.ones_like(values, dtype=torch.bool)
    keep[j] = False
    return values[keep]  # (L - 1,)


def param_counts(module: nn.Module) -> torch.Tensor:
    """Return the number of entries of each parameter of a module, in order."""
    return torch.tensor([p.numel() for p in module.parameters()], dtype=torch.int64)


def build(config: FfnConfig, device: torch.device) -> FfnResult:
    """Compute every tensor of the ffn lecture on the device."""
    config.validate()
    g = generator(config.seed)
    L, D, d_ff, j = config.seq_len, config.d_model, config.d_ff, config.position - 1
    X = randn((L, D), g, device)
    W1 = linear_init(d_ff, D, g, device).T  # (D, d_ff)
    b1 = bias_init(d_ff, D, g, device)
    W2 = linear_init(D, d_ff, g, device).T  # (d_ff, D)
    b2 = bias_init(D, d_ff, g, device)
    W_q, W_k, W_v = (linear_init(D, D, g, device).T for _ in range(3))
    X_new = replace_position(X, j, randn((D,), g, device))

    Z = X @ W1 + b1  # (L, d_ff)
    Y = ffn(X, W1, b1, W2, b2)
    Y_new = ffn(X_new, W1, b1, W2, b2)
    A, _ = self_attention(X, W_q, W_k, W_v)  # (L, D)
    A_new, _ = self_attention(X_new, W_q, W_k, W_v)
    Y_rows = ffn_row_by_row(X, W1, b1, W2, b2)

    reach = Z[j].abs().max()
    curve_z = torch.linspace(-1.0, 1.0, CURVE_POINTS, device=device) * reach

    net, att = real_ffn(config.big_d_model, device), real_attention(config.big_d_model, device)
    first = net[0]
    assert isinstance(first, nn.Linear)
    ffn_params, attn_params = param_counts(net), param_counts(att)
    totals = torch.stack([ffn_params.sum(), attn_params.sum()])
    dY_max, dA_max = row_change(Y, Y_new), row_change(A, A_new)
    W12, b12 = W1 @ W2, b1 @ W2 + b2  # (D, D), (D,)
    Y_lin = ffn(X, W1, b1, W2, b2, act=lambda t: t)
    Y_one = X @ W12 + b12
    w_scale = torch.maximum(W1.abs().max(), W2.abs().max())
    return FfnResult(
        config=config,
        X=X,
        W1=W1.contiguous(),
        b1=b1,
        W2=W2.contiguous(),
        b2=b2,
        Z=Z,
        H=F.relu(Z),
        G=F.gelu(Z),
        Y=Y,
        Y_rows=Y_rows,
        row_diff=(Y_rows - Y).abs().max(),
        X_new=X_new,
        dY=Y_new - Y,
        dY_max=dY_max,
        x_row=X[j][None, :].contiguous(),
        terms=X[j][:, None] * W1,
        n_other_units=torch.tensor(d_ff - 1, dtype=torch.int64),
        terms2=F.relu(Z[j])[:, None] * W2,
        hW2=F.relu(Z[j]) @ W2,
        n_active=(Z[j] > 0).sum(),
        W12=W12,
        b12=b12,
        Y_lin=Y_lin,
        Y_one=Y_one,
        lin_diff=(Y_lin - Y_one).abs().max(),
        relu_gap=(Y - Y_one).abs().max(),
        relu_gap_at=torch.tensor(divmod(int((Y - Y_one).abs().argmax()), D), dtype=torch.int64),
        w_scale=w_scale,
        ramp=torch.linspace(-1.0, 1.0, 65, device=device)[None] * w_scale,
        W_q=W_q.contiguous(),
        W_k=W_k.contiguous(),
        W_v=W_v.contiguous(),
        A=A,
        dA=A_new - A,
        dA_max=dA_max,
        ffn_other_max=others(dY_max, j).max(),
        attn_other_min=others(dA_max, j).min(),
        relu_zeros=(Z[j] <= 0).sum(),
        curve_z=curve_z,
        curve_relu=F.relu(curve_z),
        curve_gelu=F.gelu(curve_z),
        big_dims=torch.tensor([first.in_features, first.out_features], dtype=torch.int64),
        ffn_params=ffn_params,
        attn_params=attn_params,
        param_totals=totals,
        param_ratio=totals[0].double() / totals[1].double(),
        expansion=torch.tensor(first.out_features // first.in_features, dtype=torch.int64),
        n_ffn_weights=weight_matrices(net),
        n_attn_weights=weight_matrices(att),
    )
