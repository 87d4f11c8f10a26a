"""How W^q_h is implemented: one big projection, then a view that splits the heads.

Convention: the lecture shows the paper's right-multiplication Q = E W^q with W^q of shape
(D, H*d_q). PyTorch's nn.Linear stores its weight as (out, in) = (H*d_q, D), so
W^q = weight.T and E @ W^q == F.linear(E, weight). The head size d_q is its own option: many
models pick d_q = D / H (W^q square), but the default D = 4, H * d_q = 6 keeps the two axes apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

MAX_COLUMNS = 8  # H * d_q columns of W^q beside E's D columns fit the stage at 480p
MAX_PRODUCT_COLUMNS = 17  # D + d_q + H (d_q + 1): E, one W^q_h and the H products (with their brackets) in a row
MAX_L_PLUS_D = 9  # E (L x D) and W^q stacked: past this E's numbers shrink below the legible size at 480p
CROP = (12, 32)  # rows and columns of the enlarged corner of the real-scale W^q, across the first band edge


@dataclass(frozen=True)
class HeadsConfig(LectureConfig):
    """Sizes of the small worked example and of the real-scale weight."""

    batch: int = opt(1, "batch size B (item 0 is drawn, the rest as a stack)", 1, 4)
    seq_len: int = opt(5, "sequence length L", 2, 5)
    d_model: int = opt(4, "embedding size D", 2, 5)
    heads: int = opt(3, "number of heads H", 1, 4)
    head_size: int = opt(2, "query size per head d_q (W^q is D x H*d_q)", 1, 4)
    big_d_model: int = opt(512, "embedding size of the real-scale heatmap", 64, 1024,
                           "one pixel per weight in the heatmap's image, drawn at most 1024 pixels wide")
    big_heads: int = opt(8, "number of heads of the real-scale heatmap", 2, 32)

    def validate(self) -> None:
        """Raise ConfigError when a size cannot be drawn or does not divide."""
        super().validate()
        if self.seq_len + self.d_model > MAX_L_PLUS_D:
            raise ConfigError(f"--seq-len {self.seq_len} with --d-model {self.d_model} is too large: L + D is at most"
                              f" {MAX_L_PLUS_D} (E's numbers would be drawn below the legible size at 480p)")
        if self.heads * self.head_size > MAX_COLUMNS:
            raise ConfigError(f"--heads {self.heads} x --head-size {self.head_size} = {self.heads * self.head_size}"
                              f" columns of W^q is too many: the limit is {MAX_COLUMNS}")
        width = self.d_model + self.head_size + self.heads * (self.head_size + 1)
        if width > MAX_PRODUCT_COLUMNS:
            raise ConfigError(f"--d-model {self.d_model}, --heads {self.heads} and --head-size {self.head_size} are"
                              f" too wide: E, W^q_h and the {self.heads} products E W^q_h side by side need"
                              f" {width} columns, the limit is {MAX_PRODUCT_COLUMNS}")
        if self.big_d_model % self.big_heads:
            raise ConfigError(f"--big-d-model {self.big_d_model} is not divisible by --big-heads {self.big_heads}")
        if self.big_d_model // self.big_heads < CROP[1] // 2:
            raise ConfigError(f"--big-d-model {self.big_d_model} / --big-heads {self.big_heads} is too narrow: the"
                              f" enlarged corner needs bands of at least {CROP[1] // 2} columns")

    @property
    def d_q(self) -> int:
        """Per-head query size d_q."""
        return self.head_size


@dataclass(frozen=True)
class HeadsResult(LectureResult):
    """Every tensor the heads lecture shows, by name."""

    config: HeadsConfig
    E: torch.Tensor  # (B, L, D) embeddings
    weight: torch.Tensor  # (H*d_q, D) nn.Linear.weight, as PyTorch stores it
    W_q: torch.Tensor  # (D, H*d_q) the paper's W^q = weight.T
    Q: torch.Tensor  # (B, L, H*d_q) = E @ W^q, all heads at once
    terms: torch.Tensor  # (B, L, D, H*d_q) E[b, l, k] * W^q[k, j]: the products summed over k into Q[b, l, j]
    Q_heads: torch.Tensor  # (B, H, L, d_q) Q split into heads
    W_q_heads: torch.Tensor  # (H, D, d_q) column band h of W^q is W^q_h
    Q_paper: torch.Tensor  # (B, H, L, d_q) E @ W^q_h, one head at a time
    max_abs_diff: torch.Tensor  # () max |Q_paper - Q_heads|
    W_big: torch.Tensor  # (D_big, D_big) a real-scale W^q
    W_big_crop: torch.Tensor  # (12, 32) rows 0:12, columns d-16:d+16 of W_big (d = D_big / H_big): heads 1 and 2 meet
    crop_bounds: torch.Tensor  # (4,) first row, last row, first column, last column of the crop, counted from 1
    W_big_heads: torch.Tensor  # (H_big, D_big, D_big / H_big) its column bands
    W_big_absmax: torch.Tensor  # () colour scale of the heatmap
    colour_ramp: torch.Tensor  # (1, 256) values from -absmax to +absmax, for the legend



def project(E: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Apply one linear layer for all heads at once: E @ weight.T."""
    return F.linear(E, weight)  # (B, L, H*d_q)


def split_heads(q: torch.Tensor, n_head: int) -> torch.Tensor:
    """Split the last dimension into heads, nanoGPT style."""
    B, L, C = q.shape
    q = q.view(B, L, n_head, C // n_head)  # (B, L, H, d_q)
    return q.transpose(1, 2)  # (B, H, L, d_q)


def head_weights(W_q: torch.Tensor, n_head: int) -> torch.Tensor:
    """Cut W^q into its column bands W^q_h."""
    D, C = W_q.shape
    return W_q.view(D, n_head, C // n_head).permute(1, 0, 2)  # (H, D, d_q)


def per_head_products(E: torch.Tensor, W_q_heads: torch.Tensor) -> torch.Tensor:
    """Compute E @ W^q_h separately for every head, as the paper writes it."""
    return torch.stack([E @ W_h for W_h in W_q_heads], dim=1)  # (B, H, L, d_q)


def build(config: HeadsConfig, device: torch.device) -> HeadsResult:
    """Compute every tensor of the heads lecture on the device."""
    config.validate()
    g = generator(config.seed)
    B, L, D, H = config.batch, config.seq_len, config.d_model, config.heads
    E = randn((B, L, D), g, device)
    weight = linear_init(H * config.d_q, D, g, device)
    W_q = weight.T
    Q = project(E, weight)
    Q_heads = split_heads(Q, H)
    W_q_heads = head_weights(W_q, H)
    Q_paper = per_head_products(E, W_q_heads)
    W_big = linear_init(config.big_d_model, config.big_d_model, g, device).T
    absmax = W_big.abs().max()
    rows, cols = CROP
    c0 = config.big_d_model // config.big_heads - cols // 2  # the crop is centred on the edge of band 1
    return HeadsResult(
        config=config,
        E=E,
        weight=weight,
        W_q=W_q.contiguous(),
        Q=Q,
        terms=E[..., :, None] * W_q,
        Q_heads=Q_heads,
        W_q_heads=W_q_heads.contiguous(),
        Q_paper=Q_paper,
        max_abs_diff=(Q_paper - Q_heads).abs().max(),
        W_big=W_big.contiguous(),
        W_big_crop=W_big[:rows, c0:c0 + cols].contiguous(),
        crop_bounds=torch.tensor([1, rows, c0 + 1, c0 + cols], dtype=torch.int64),
        W_big_heads=head_weights(W_big, config.big_heads),
        W_big_absmax=absmax,
        colour_ramp=torch.linspace(-1, 1, 256, device=device)[None, :] * absmax,
    )
