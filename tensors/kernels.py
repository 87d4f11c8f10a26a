"""Convolution kernels and attention heads side by side: several filters, several views of one input.

Pure torch. A small binary image goes through K designed k x k kernels (one feature map each, equal
to F.conv2d); a short sequence goes through H attention heads (one output each, equal to
nn.MultiheadAttention). Paper convention for attention: Q = X W^q with W^q of shape (D, D).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tensors.attention import attend
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn
from tensors.heads import split_heads

KERNEL_NAMES = ("vertical edge", "horizontal edge", "blur")


@dataclass(frozen=True)
class KernelsConfig(LectureConfig):
    """Sizes of the image, the kernels, the sequence and the heads."""

    image_size: int = opt(6, "side n of the square image", 5, 7)
    kernel_size: int = opt(3, "side k of each conv kernel (two stacked layers need 2k-1 <= n)", 2, 4)
    kernels: int = opt(3, "number of kernels K: vertical edge, horizontal edge, blur", 1, 3,
                       "only three kernels are designed")
    seq_len: int = opt(5, "sequence length L", 2, 6)
    d_model: int = opt(6, "embedding size D", 2, 8)
    heads: int = opt(3, "number of attention heads H (must divide D)", 1, 3)

    def validate(self) -> None:
        """Raise ConfigError when a size cannot be drawn or does not fit."""
        super().validate()
        if self.d_model % self.heads:
            raise ConfigError(f"--d-model {self.d_model} is not divisible by --heads {self.heads}")
        if 2 * self.kernel_size - 1 > self.image_size:
            raise ConfigError(
                f"--image-size {self.image_size} is too small for two stacked --kernel-size {self.kernel_size}"
                f" layers: it must be at least {2 * self.kernel_size - 1}"
            )

    @property
    def d_head(self) -> int:
        """Per-head size d = D / H."""
        return self.d_model // self.heads


@dataclass(frozen=True)
class KernelsResult(LectureResult):
    """Every tensor the kernels lecture shows, by name."""

    config: KernelsConfig
    # the convolution side
    image: torch.Tensor  # (n, n) a binary picture: a bright square on a dark background
    kernels: torch.Tensor  # (K, k, k) designed filters
    maps: torch.Tensor  # (K, m, m) one feature map per kernel, m = n - k + 1
    maps_ref: torch.Tensor  # (K, m, m) F.conv2d on the same image and kernels
    conv_max_diff: torch.Tensor  # () max |maps - maps_ref|
    conv2_weight: torch.Tensor  # (K, K, k, k) a second conv layer on the K maps
    maps2: torch.Tensor  # (K, m2, m2) its output, m2 = n - 2(k - 1)
    field1: torch.Tensor  # (n, n) 1 where output pixel (0, 0) of layer 1 reads the image
    field2: torch.Tensor  # (n, n) the same after two layers
    conv_reach: torch.Tensor  # (2,) pixels read by one output pixel after one and two layers
    image_pixels: torch.Tensor  # () n * n
    kernel_numel: torch.Tensor  # () k * k weights in one kernel
    map_positions: torch.Tensor  # () m * m places where that kernel is applied
    conv_options: torch.Tensor  # (3, 4) rows: kernels, side, weights, map side
    # the attention side
    X: torch.Tensor  # (1, L, D) token embeddings
    W_q: torch.Tensor  # (D, D) paper convention, X @ W_q
    W_k: torch.Tensor  # (D, D)
    W_v: torch.Tensor  # (D, D)
    W_o: torch.Tensor  # (D, D) output projection after the heads are concatenated
    Q: torch.Tensor  # (1, L, D) X @ W_q, the same W_q at every position
    weights: torch.Tensor  # (1, H, L, L) attention weights per head, rows sum to 1
    head_out: torch.Tensor  # (1, H, L, d) one output per head
    row_sums: torch.Tensor  # (1, H, L, 1) each row of weights summed
    focus: torch.Tensor  # (1, H, L) 1-based token each query weights most, per head
    mha_max_diff: torch.Tensor  # () max difference to nn.MultiheadAttention (outputs and weights)
    Y1: torch.Tensor  # (1, L, D) layer 1: heads concatenated, then W_o
    W2: torch.Tensor  # (4, D, D) layer 2's W_q, W_k, W_v, W_o
    Y2: torch.Tensor  # (1, L, D) layer 2: W2 applied to Y1
    attn_reach: torch.Tensor  # (2,) tokens query 0 depends on after one and two layers
    w_numel: torch.Tensor  # () D * D weights in W_q
    head_options: torch.Tensor  # (R, 4) rows: heads, head size, weights, output width
    seq_scale: torch.Tensor  # () colour scale of the X, Q, Y1, Y2 and W_q heatmaps
    map_scale: torch.Tensor  # () colour scale of the feature-map heatmaps
    weight_scale: torch.Tensor  # () colour scale of the attention-weight heatmaps: their largest weight
    one: torch.Tensor  # () colour scale of the image and the fields (both 0 or 1)

    def views(self) -> dict[str, torch.Tensor]:
        """Return one 2-D slice per map, per head and per sequence tensor, for heatmaps."""
        named = {}
        for c in range(self.maps.shape[0]):
            named[f"map_{c}"] = self.maps[c]  # (m, m)
        for h in range(self.weights.shape[1]):
            named[f"weights_{h}"] = self.weights[0, h]  # (L, L)
        for name in ("X", "Q", "Y1", "Y2"):
            named[f"{name}_0"] = getattr(self, name)[0]  # (L, D)
        return named

    def strings(self) -> dict[str, str]:
        """Return the names of the designed kernels, in order."""
        return {f"kernel_name_{c}": KERNEL_NAMES[c] for c in range(self.kernels.shape[0])}


# -- convolution ------------------------------------------------------------------------------
def square_image(n: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Draw a bright square of side ceil(n/2) at a seeded place inside a dark n x n image."""
    s = (n + 1) // 2
    r, c = torch.randint(1, n - s, (2,), generator=g).tolist()  # at least one dark pixel on every side
    image = torch.zeros(n, n)
    image[r:r + s, c:c + s] = 1.0
    return image.to(device)


def design_kernels(k: int, count: int, device: torch.device) -> torch.Tensor:
    """Return the first `count` of: vertical edge, horizontal edge, box blur (each k x k)."""
    centre = (k - 1) / 2
    sign = torch.sign(centre - torch.arange(k, dtype=torch.float32))  # (k,) +1 left, 0 middle, -1 right
    vertical = torch.ones(k, 1) * sign[None, :]  # (k, k)
    blur = torch.full((k, k), 1.0 / (k * k))
    return torch.stack([vertical, vertical.T, blur])[:count].to(device)  # (K, k, k)


def patches(x: torch.Tensor, k: int) -> torch.Tensor:
    """Cut every k x k window out of each channel of x (C, n, n)."""
    return x.unfold(1, k, 1).unfold(2, k, 1)  # (C, m, m, k, k): [c, i, j, a, b] = x[c, i + a, j + b]


def conv_layer(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Slide every kernel of w (K, C, k, k) over x (C, n, n): one weighted sum per window."""
    p = patches(x, w.shape[-1])  # (C, m, m, k, k)
    return torch.einsum("cijab,ocab->oij", p, w)  # (K, m, m)


def receptive_field(n: int, k: int, layers: int, device: torch.device) -> torch.Tensor:
    """Mark the image pixels that output pixel (0, 0) of `layers` stacked k x k convs reads."""
    m = n - layers * (k - 1)
    grid = torch.zeros(1, 1, m, m, device=device)
    grid[0, 0, 0, 0] = 1.0
    ones = torch.ones(1, 1, k, k, device=device)
    for _ in range(layers):
        grid = F.conv_transpose2d(grid, ones)  # (1, 1, m + k - 1, m + k - 1): spread back one layer
    return (grid[0, 0] > 0).float()  # (n, n)


def conv_options(n: int, k: int, count: int, device: torch.device) -> torch.Tensor:
    """Tabulate kernels, side, weights (one input channel) and map side for a few layer choices."""
    rows = [(count, k), (2 * count, k), (count, k + 2)]
    return torch.tensor([[c, s, c * s * s, n - s + 1] for c, s in rows], dtype=torch.float32, device=device)


# -- attention --------------------------------------------------------------------------------
def multi_head(
    x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor, n_head: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run n_head attention heads over x (B, L, D): per-head outputs and weights."""
    q, k, v = (split_heads(x @ W, n_head) for W in (W_q, W_k, W_v))  # (B, H, L, d)
    return attend(q, k, v)  # (B, H, L, d), (B, H, L, L)


def merge_heads(head_out: torch.Tensor) -> torch.Tensor:
    """Concatenate the heads back into one vector per position."""
    B, H, L, d = head_out.shape
    return head_out.transpose(1, 2).contiguous().view(B, L, H * d)  # (B, L, D)


def reference_heads(
    x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor, n_head: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run nn.MultiheadAttention with our weights and an identity output: concatenated heads, weights."""
    D = x.shape[-1]
    with torch.random.fork_rng(devices=[]):  # its own init draws are overwritten: keep the global RNG
        mha = torch.nn.MultiheadAttention(D, n_head, bias=False, batch_first=True).to(x.device)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([W_q.T, W_k.T, W_v.T]))  # nn stores (out, in)
        mha.out_proj.weight.copy_(torch.eye(D, device=x.device))
        return mha(x, x, x, need_weights=True, average_attn_weights=False)  # (B, L, D), (B, H, L, L)


def head_options(D: int, device: torch.device) -> torch.Tensor:
    """Tabulate heads, head size, weights (W_q, W_k, W_v, W_o) and output width for every H dividing D."""
    rows = [(h, D // h, 4 * D * D, D) for h in range(1, D + 1) if D % h == 0]
    return torch.tensor(rows, dtype=torch.float32, device=device)


def attention_init(D: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Draw a (D, D) weight with std 1/sqrt(D), so that each head's pattern is clearly visible."""
    return randn((D, D), g, device) / math.sqrt(D)


def build(config: KernelsConfig, device: torch.device) -> KernelsResult:
    """Compute every tensor of the kernels lecture on the device."""
    config.validate()
    g = generator(config.seed)
    n, k, K = config.image_size, config.kernel_size, config.kernels
    L, D, H = config.seq_len, config.d_model, config.heads
    # convolution: one image, K kernels, K maps
    image = square_image(n, g, device)
    kernels = design_kernels(k, K, device)
    maps = conv_layer(image[None], kernels[:, None])  # (K, m, m)
    maps_ref = F.conv2d(image[None, None], kernels[:, None])[0]  # (K, m, m)
    conv2_weight = linear_init(K, K * k * k, g, device).view(K, K, k, k)
    maps2 = conv_layer(maps, conv2_weight)  # (K, m2, m2)
    field1, field2 = (receptive_field(n, k, layers, device) for layers in (1, 2))
    # attention: one sequence, H heads, H outputs
    X = randn((1, L, D), g, device)
    W_q, W_k, W_v, W_o = (attention_init(D, g, device) for _ in range(4))
    head_out, weights = multi_head(X, W_q, W_k, W_v, H)
    ref_out, ref_weights = reference_heads(X, W_q, W_k, W_v, H)
    mha_max_diff = torch.maximum((merge_heads(head_out) - ref_out).abs().max(), (weights - ref_weights).abs().max())
    Y1 = merge_heads(head_out) @ W_o  # (1, L, D)
    W2 = torch.stack([attention_init(D, g, device) for _ in range(4)])  # (4, D, D)
    head_out2, weights2 = multi_head(Y1, W2[0], W2[1], W2[2], H)
    Y2 = merge_heads(head_out2) @ W2[3]  # (1, L, D)
    reads1 = weights[0].sum(0) > 0  # (L, L): query i reads token j in layer 1
    reads2 = (weights2[0].sum(0) > 0).float() @ reads1.float() > 0  # (L, L): through both layers
    Q = X @ W_q  # (1, L, D)
    seq = torch.cat([X, Q, Y1, Y2, W_q[None]], dim=1)  # (1, 4L + D, D): everything on that colour scale
    return KernelsResult(
        config=config,
        image=image,
        kernels=kernels,
        maps=maps,
        maps_ref=maps_ref,
        conv_max_diff=(maps - maps_ref).abs().max(),
        conv2_weight=conv2_weight,
        maps2=maps2,
        field1=field1,
        field2=field2,
        conv_reach=torch.stack([field1.sum(), field2.sum()]),
        image_pixels=torch.tensor(float(n * n), device=device),
        kernel_numel=torch.tensor(float(kernels[0].numel()), device=device),
        map_positions=torch.tensor(float(maps[0].numel()), device=device),
        conv_options=conv_options(n, k, K, device),
        X=X,
        W_q=W_q.contiguous(),
        W_k=W_k.contiguous(),
        W_v=W_v.contiguous(),
        W_o=W_o.contiguous(),
        Q=Q,
        weights=weights,
        head_out=head_out,
        row_sums=weights.sum(-1, keepdim=True),
        focus=weights.argmax(-1).float() + 1,
        mha_max_diff=mha_max_diff,
        Y1=Y1,
        W2=W2,
        Y2=Y2,
        attn_reach=torch.stack([reads1[0].sum(), reads2[0].sum()]).float(),
        w_numel=torch.tensor(float(W_q.numel()), device=device),
        head_options=head_options(D, device),
        seq_scale=seq.abs().max(),
        map_scale=maps.abs().max(),
        weight_scale=weights.max(),
        one=torch.tensor(1.0, device=device),
    )
