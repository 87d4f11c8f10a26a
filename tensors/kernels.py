"""Convolution kernels and attention heads side by side: several filters, several views of one input.

Pure torch. A small binary image goes through K designed k x k kernels (one feature map each, equal
to F.conv2d); a short sentence goes through H attention heads (one output each, equal to
nn.MultiheadAttention) whose weights were really trained (tensors.trained: head 1 to name the word
before, head 2 the word after, head 3 the word two before), so each head's pattern can be read.
Paper convention for attention: Q = X W^q with W^q of shape (D, D).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from tensors.attention import attend, scores, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, opt
from tensors.heads import split_heads
from tensors.trained import OFFSETS, WORDS, TrainConfig, trained

KERNEL_NAMES = ("vertical edge", "horizontal edge", "blur")
SENTENCE = ("dog", "see", "cat", "eat", "fish", "run")  # the first L words are the sequence
LOOKS = {-1: "one back", 1: "one ahead", -2: "two back", 2: "two ahead"}  # what head h was trained to read


@dataclass(frozen=True)
class KernelsConfig(LectureConfig):
    """Sizes of the image, the kernels, the sequence and the heads."""

    image_size: int = opt(6, "side n of the square image", 5, 7)
    kernel_size: int = opt(3, "side k of each conv kernel (two stacked layers need 2k-1 <= n)", 2, 4)
    kernels: int = opt(3, "number of kernels K: vertical edge, horizontal edge, blur", 1, 3,
                       "only three kernels are designed")
    seq_len: int = opt(5, "sequence length L", 2, 6)
    d_model: int = opt(6, "embedding size D (from 4: smaller models do not learn their heads' patterns)", 4, 8)
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
    windows: torch.Tensor  # (m, m, k, k) the k x k window of the image under every map pixel
    products: torch.Tensor  # (m, m, k, k) window * kernel 0, entry by entry
    maps: torch.Tensor  # (K, m, m) one feature map per kernel, m = n - k + 1
    maps_ref: torch.Tensor  # (K, m, m) F.conv2d on the same image and kernels
    conv_max_diff: torch.Tensor  # () max |maps - maps_ref|
    field1: torch.Tensor  # (n, n) 1 where output pixel (0, 0) of layer 1 reads the image
    field2: torch.Tensor  # (n, n) the same after two layers
    conv_reach: torch.Tensor  # (2,) pixels read by one output pixel after one and two layers
    image_pixels: torch.Tensor  # () n * n
    kernel_numel: torch.Tensor  # () k * k weights in one kernel
    map_positions: torch.Tensor  # () m * m places where that kernel is applied
    conv_options: torch.Tensor  # (3, 4) rows: kernels, side, weights, map side
    # the attention side: a trained model (tensors.trained), one sentence
    tokens: torch.Tensor  # (L,) word ids of the sentence
    E: torch.Tensor  # (1, L, D) the trained embeddings of its words
    P: torch.Tensor  # (L, D) sinusoidal positions
    X: torch.Tensor  # (1, L, D) E + P, what the heads read
    W_q: torch.Tensor  # (D, D) trained, paper convention X @ W_q
    W_k: torch.Tensor  # (D, D)
    W_v: torch.Tensor  # (D, D)
    Q: torch.Tensor  # (1, L, D) X @ W_q, the same W_q at every position
    K: torch.Tensor  # (1, L, D) X @ W_k
    V: torch.Tensor  # (1, L, D) X @ W_v
    dots: torch.Tensor  # (1, H, L, L) q . k per head, before the division by sqrt(d)
    scores: torch.Tensor  # (1, H, L, L) q . k / sqrt(d) per head, before the softmax
    exp_scores: torch.Tensor  # (1, H, L, L) e^scores: the softmax's numerators
    exp_sums: torch.Tensor  # (1, H, L, 1) each row of e^scores summed: the softmax's denominator
    weights: torch.Tensor  # (1, H, L, L) attention weights per head, rows sum to 1: exp_scores / exp_sums
    head_out: torch.Tensor  # (1, H, L, d) one output per head: weights @ V_h
    terms: torch.Tensor  # (L, L, d) head 1: weights[i, j] * V_1[j, c], the terms of each output entry
    terms_gap: torch.Tensor  # (L,) |sum of terms[i, :, 0] rounded to 2 places - head_out[0, 0, i, 0] so rounded|
    row_sums: torch.Tensor  # (1, H, L, 1) each row of weights summed
    mha_max_diff: torch.Tensor  # () max difference to nn.MultiheadAttention (outputs and weights)
    rollout: torch.Tensor  # (L, L) head 1's weights composed twice: what two stacked 'one back' layers pass on
    head_numel: torch.Tensor  # () D * d: one head's columns of W^q
    matrices: torch.Tensor  # () 4: W^q, W^k, W^v, W^o in a multi-head attention layer
    head_options: torch.Tensor  # (R, 4) rows: heads, head size, weights, output width
    first_loss: torch.Tensor  # () the training loss at the first step
    last_loss: torch.Tensor  # () ... and at the last
    accuracy: torch.Tensor  # () held-out accuracy of the trained model, in percent
    seq_scale: torch.Tensor  # () colour scale of the X and W heatmaps
    map_scale: torch.Tensor  # () colour scale of the feature-map heatmaps
    map_scales: torch.Tensor  # (K,) each map's own colour scale: its largest |value|
    map_ramps: torch.Tensor  # (K, 64) -map_scales[c]..map_scales[c], the legend of map c
    out_scale: torch.Tensor  # () colour scale of the head outputs' heatmaps: their largest |value|
    out_ramp: torch.Tensor  # (1, 64) -out_scale..out_scale, their legend
    one: torch.Tensor  # () colour scale of the image, the fields and attention weights (all in 0..1)
    unit_ramp: torch.Tensor  # (1, 32) 0..1, the legend of the 0..1 heatmaps
    map_ramp: torch.Tensor  # (1, 64) -map_scale..map_scale, the legend of the maps
    seq_ramp: torch.Tensor  # (1, 64) -seq_scale..seq_scale, the legend of X and the weights
    record: dict = field(default_factory=dict, compare=False)  # how the attention weights were trained

    def views(self) -> dict[str, torch.Tensor]:
        """Return one 2-D slice per map, per head and per sequence tensor, for heatmaps and matrices."""
        named = {}
        for c in range(self.maps.shape[0]):
            named[f"map_{c}"] = self.maps[c]  # (m, m)
            named[f"map_scale_{c}"] = self.map_scales[c]  # ()
            named[f"map_ramp_{c}"] = self.map_ramps[c][None]  # (1, 64)
        d = self.head_out.shape[-1]
        for h in range(self.weights.shape[1]):
            named[f"weights_{h}"] = self.weights[0, h]  # (L, L)
            for name in ("Q", "K", "V"):
                named[f"{name}_{h}"] = getattr(self, name)[0, :, h * d:(h + 1) * d]  # (L, d)
            named[f"Wq_{h}"] = self.W_q[:, h * d:(h + 1) * d]  # (D, d)
            shown = min(d, 2)  # the step-by-step beat writes out at most two columns of a head
            for name in ("Q", "K", "V"):
                named[f"{name}s_{h}"] = getattr(self, name)[0, :, h * d:h * d + shown]  # (L, shown)
            named[f"outs_{h}"] = self.head_out[0, h, :, :shown]  # (L, shown)
            named[f"out_{h}"] = self.head_out[0, h]  # (L, d) the whole output of head h, as a heatmap
        named["X_0"] = self.X[0]  # (L, D)
        return named

    def strings(self) -> dict[str, str]:
        """Return the kernel names, the sentence's words and what each head was trained to look at."""
        out = {f"kernel_name_{c}": KERNEL_NAMES[c] for c in range(self.kernels.shape[0])}
        out |= {f"word_{i}": WORDS[int(t)] for i, t in enumerate(self.tokens)}
        out |= {f"look_{h}": LOOKS[OFFSETS[h]] for h in range(self.weights.shape[1])}
        return out

    def training(self) -> dict[str, Any]:
        """Return the record of the training of W_q, W_k, W_v and the embeddings."""
        return dict(self.record)


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


def shown_gap(terms: torch.Tensor, totals: torch.Tensor, decimals: int = 2) -> torch.Tensor:
    """Return, per row, how far the shown (rounded) terms' sum lies from the shown (rounded) total."""
    def shown(v: float) -> float:
        return float(f"{v:.{decimals}f}")  # the screen's rounding (scenes.kit.binding.fmt)
    gaps = [abs(round(sum(shown(float(t)) for t in row) - shown(float(z)), decimals))
            for row, z in zip(terms, totals)]
    return torch.tensor(gaps, dtype=torch.float32, device=terms.device)  # (L,)


def head_options(D: int, device: torch.device) -> torch.Tensor:
    """Tabulate heads, head size, weights (W_q, W_k, W_v, W_o) and output width for every H dividing D."""
    rows = [(h, D // h, 4 * D * D, D) for h in range(1, D + 1) if D % h == 0]
    return torch.tensor(rows, dtype=torch.float32, device=device)


def ramp(lo: float, hi: float, steps: int, device: torch.device) -> torch.Tensor:
    """Return a (1, steps) strip from lo to hi: a heatmap's colour legend."""
    return torch.linspace(lo, hi, steps, device=device)[None]


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
    windows = patches(image[None], k)[0]  # (m, m, k, k)
    field1, field2 = (receptive_field(n, k, layers, device) for layers in (1, 2))
    # attention: the trained model reads one sentence with H heads
    model = trained(TrainConfig(d_model=D, heads=H, seq_len=len(SENTENCE)))
    tokens = torch.tensor([WORDS.index(w) for w in SENTENCE[:L]], device=device)
    E = model.table.to(device)[tokens][None]  # (1, L, D)
    P = sinusoidal(L, D, device)  # (L, D)
    X = E + P
    W_q, W_k, W_v = (w.to(device) for w in (model.W_q, model.W_k, model.W_v))
    head_out, weights = multi_head(X, W_q, W_k, W_v, H)
    ref_out, ref_weights = reference_heads(X, W_q, W_k, W_v, H)
    mha_max_diff = torch.maximum((merge_heads(head_out) - ref_out).abs().max(), (weights - ref_weights).abs().max())
    Q, K_, V = X @ W_q, X @ W_k, X @ W_v
    d = D // H
    S = scores(split_heads(Q, H), split_heads(K_, H))  # (1, H, L, L) before the softmax
    expS = S.exp()  # (1, H, L, L)
    A1 = weights[0, 0]  # (L, L) head 1
    seq = torch.cat([X[0], W_q, W_k, W_v])
    rec = model.record()
    return KernelsResult(
        config=config,
        image=image,
        kernels=kernels,
        windows=windows.contiguous(),
        products=(windows * kernels[0]).contiguous(),
        maps=maps,
        maps_ref=maps_ref,
        conv_max_diff=(maps - maps_ref).abs().max(),
        field1=field1,
        field2=field2,
        conv_reach=torch.stack([field1.sum(), field2.sum()]),
        image_pixels=torch.tensor(float(n * n), device=device),
        kernel_numel=torch.tensor(float(kernels[0].numel()), device=device),
        map_positions=torch.tensor(float(maps[0].numel()), device=device),
        conv_options=conv_options(n, k, K, device),
        tokens=tokens.float(),
        E=E,
        P=P,
        X=X,
        W_q=W_q.contiguous(),
        W_k=W_k.contiguous(),
        W_v=W_v.contiguous(),
        Q=Q,
        K=K_,
        V=V,
        dots=S * math.sqrt(d),
        scores=S,
        exp_scores=expS,
        exp_sums=expS.sum(-1, keepdim=True),
        weights=weights,
        head_out=head_out,
        terms=(A1[:, :, None] * V[0, :, :d][None]).contiguous(),  # (L, L, d)
        terms_gap=shown_gap(A1 * V[0, :, 0][None], head_out[0, 0, :, 0]),
        row_sums=weights.sum(-1, keepdim=True),
        mha_max_diff=mha_max_diff,
        rollout=A1 @ A1,
        head_numel=torch.tensor(float(D * d), device=device),
        matrices=torch.tensor(4.0, device=device),
        head_options=head_options(D, device),
        first_loss=model.losses[0].to(device),
        last_loss=model.losses[-1].to(device),
        accuracy=torch.tensor(100.0 * model.accuracy, device=device),
        seq_scale=seq.abs().max(),
        map_scale=maps.abs().max(),
        map_scales=maps.abs().amax(dim=(1, 2)),
        map_ramps=torch.stack([torch.linspace(-float(a), float(a), 64, device=device) for a in maps.abs().amax(dim=(1, 2))]),
        out_scale=head_out.abs().max(),
        out_ramp=ramp(-float(head_out.abs().max()), float(head_out.abs().max()), 64, device),
        one=torch.tensor(1.0, device=device),
        unit_ramp=ramp(0.0, 1.0, 32, device),
        map_ramp=ramp(-float(maps.abs().max()), float(maps.abs().max()), 64, device),
        seq_ramp=ramp(-float(seq.abs().max()), float(seq.abs().max()), 64, device),
        record=rec,
    )
