"""Attention pieces several lectures share: scaled dot-product attention and sinusoidal positions.

Pure torch, nanoGPT style. Right-multiplication as in the paper: Q = X W^Q with W^Q of shape (D, d).
"""

from __future__ import annotations

import math

import torch


def scores(q: torch.Tensor, k: torch.Tensor, scale: bool = True) -> torch.Tensor:
    """Return q k^T, divided by sqrt(d_k) when scale is set."""
    s = q @ k.transpose(-2, -1)  # (..., L_q, L_k)
    return s / math.sqrt(k.shape[-1]) if scale else s


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return softmax(q k^T / sqrt(d_k)) v and the attention weights."""
    w = torch.softmax(scores(q, k), dim=-1)  # (..., L_q, L_k), rows sum to 1
    return w @ v, w  # (..., L_q, d_v)


def self_attention(
    x: torch.Tensor, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return one head of self-attention over x (..., L, D) and its weights."""
    return attend(x @ W_q, x @ W_k, x @ W_v)  # (..., L, d_v), (..., L, L)


def sinusoidal(positions: int, d_model: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Return the paper's sinusoidal encoding PE (positions, d_model): sin on even, cos on odd dims."""
    pos = torch.arange(positions, dtype=torch.float32, device=device)[:, None]  # (P, 1)
    freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(positions, d_model, device=device)
    pe[:, 0::2] = torch.sin(pos * freq)  # (P, D/2)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return pe
