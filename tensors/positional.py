"""Why attention needs positional encoding: without it, shuffling the tokens only shuffles the output.

Self-attention treats its input rows as a set: Attn(X[pi]) = Attn(X)[pi] for every permutation pi.
Adding the sinusoidal encoding P (row p for position p, whatever token sits there) breaks that.
The encoding pairs dims (2i, 2i+1) as (sin(p w_i), cos(p w_i)) with w_i = 10000^(-2i/D), so a shift
by k positions is one fixed block-diagonal rotation: PE(p + k) = M_k PE(p) for every p.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from tensors.attention import self_attention, sinusoidal
from tensors.common import ConfigError, LectureConfig, LectureResult, generator, linear_init, opt, randn

BASE = 10000.0  # the paper's wavelength base
DOT_PROBES = 6  # positions p whose PE(p) . PE(p + k) are shown side by side


@dataclass(frozen=True)
class PositionalConfig(LectureConfig):
    """Sizes of the small attention example and of the encoding heatmap."""

    seq_len: int = opt(4, "tokens L of the small attention example", 2, 5)
    d_model: int = opt(4, "embedding size D of the small example (even: sin/cos pairs)", 2, 4,
                       "three D-wide matrices share one row of the frame; wider ones fall below 18 pt at 480p")
    positions: int = opt(50, "positions (rows) of the encoding heatmap", 8, 512,
                         "one pixel per value: the heatmap is drawn at most 512 pixels tall")
    pe_dims: int = opt(64, "dimensions (columns) of the encoding heatmap (even)", 8, 512,
                       "one pixel per value: the heatmap is drawn at most 512 pixels wide")
    shift: int = opt(3, "offset k of the relative-position fact PE(p+k) = M_k PE(p)", 1, 64)
    probe: int = opt(5, "position p whose vectors PE(p), PE(p+k) are shown", 0, 511)

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range, odd, or a position falls off the heatmap."""
        super().validate()
        if self.d_model % 2:
            raise ConfigError(f"--d-model {self.d_model} is odd: the encoding needs (sin, cos) pairs")
        if self.pe_dims % 2:
            raise ConfigError(f"--pe-dims {self.pe_dims} is odd: the encoding needs (sin, cos) pairs")
        if self.probe + self.shift >= self.positions:
            raise ConfigError(
                f"--probe {self.probe} plus --shift {self.shift} is past the last position"
                f" {self.positions - 1} (--positions {self.positions})"
            )


@dataclass(frozen=True)
class PositionalResult(LectureResult):
    """Every tensor the positional lecture shows, by name."""

    config: PositionalConfig
    # the small example: one head of self-attention, with and without positions
    X: torch.Tensor  # (L, D) token embeddings, row t is token t
    W_q: torch.Tensor  # (D, D) paper convention: Q = X W_q
    W_k: torch.Tensor  # (D, D)
    W_v: torch.Tensor  # (D, D)
    perm: torch.Tensor  # (L,) long: row i of the shuffled input is token perm[i]
    X_perm: torch.Tensor  # (L, D) X[perm]
    Y: torch.Tensor  # (L, D) Attn(X)
    Y_perm: torch.Tensor  # (L, D) Attn(X[perm])
    Y_pi: torch.Tensor  # (L, D) Attn(X)[perm]: the output rows of the unshuffled input, moved like the tokens
    diff_plain: torch.Tensor  # () max |Attn(X[perm]) - Attn(X)[perm]|
    P: torch.Tensor  # (L, D) sinusoidal encoding of positions 0..L-1
    XP: torch.Tensor  # (L, D) X + P
    XP_perm: torch.Tensor  # (L, D) X[perm] + P
    Y_pe: torch.Tensor  # (L, D) Attn(X + P)
    Y_pe_perm: torch.Tensor  # (L, D) Attn(X[perm] + P): tokens move, positions stay
    Y_pe_pi: torch.Tensor  # (L, D) Attn(X + P)[perm]
    diff_pe: torch.Tensor  # () max |Attn(X[perm] + P) - Attn(X + P)[perm]|
    diff_pe_row: torch.Tensor  # () long: row of Attn(X[perm] + P) where that maximum sits
    diff_pe_col: torch.Tensor  # () long: its column
    # the encoding at real size
    PE: torch.Tensor  # (positions, pe_dims)
    pos: torch.Tensor  # (positions,) float positions 0..positions-1, the x axis of the waves
    unit: torch.Tensor  # (3,) -1, 0, 1: the ticks of the waves' and the circles' axes
    scale: torch.Tensor  # () colour scale of the heatmaps: sin and cos live in [-1, 1]
    ramp: torch.Tensor  # (1, 256) values from -1 to 1, for the colour legend
    base: torch.Tensor  # () the wavelength base of w_i = base^(-2i/D)
    omega: torch.Tensor  # (pe_dims / 2,) frequency w_i of pair i
    # relative positions
    k: torch.Tensor  # () the shift
    p: torch.Tensor  # () the position shown
    p_k: torch.Tensor  # () the position p + k
    angles: torch.Tensor  # (pe_dims / 2,) k w_i: the angle block i turns by
    M_blocks: torch.Tensor  # (pe_dims / 2, 2, 2) rotation R_i of pair i
    M: torch.Tensor  # (pe_dims, pe_dims) block-diagonal M_k
    pe_p: torch.Tensor  # (pe_dims,) PE(p)
    pe_pk: torch.Tensor  # (pe_dims,) PE(p + k)
    rotated: torch.Tensor  # (pe_dims,) M_k PE(p)
    probe_err: torch.Tensor  # () max over the dims of |PE(p + k) - M_k PE(p)| at the position p shown
    rel_err: torch.Tensor  # () max over every p and dim of |PE(p + k) - M_k PE(p)|
    MPE: torch.Tensor  # (positions - k, pe_dims) row p is M_k PE(p)
    offsets: torch.Tensor  # (2,) long: k, and a second offset to compare with (1, or 2 when k is 1)
    dots: torch.Tensor  # (2, n) PE(p) . PE(p + offsets[r]) for p = 0..n-1: one number per offset, whatever p
    decay: torch.Tensor  # (positions,) PE(0) . PE(k) for k = 0..positions-1: the score of two positions k apart
    decay_top: torch.Tensor  # () PE(0) . PE(0) = pe_dims / 2, the top tick of that plot



def derangement(n: int, g: torch.Generator) -> torch.Tensor:
    """Draw a random permutation that moves every row (identity when n < 2)."""
    perm = torch.randperm(n, generator=g)
    while n > 1 and bool((perm == torch.arange(n)).any()):
        perm = torch.randperm(n, generator=g)
    return perm


def frequencies(d_model: int, device: torch.device) -> torch.Tensor:
    """Return w_i = base^(-2i/D) for every (sin, cos) pair i, as `sinusoidal` computes them."""
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32, device=device)  # (D/2,)
    return torch.exp(two_i * (-math.log(BASE) / d_model))


def rotation_blocks(angles: torch.Tensor) -> torch.Tensor:
    """Return R_i = [[cos a_i, sin a_i], [-sin a_i, cos a_i]] for every angle a_i."""
    c, s = torch.cos(angles), torch.sin(angles)
    return torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)  # (D/2, 2, 2)


def shift_matrix(blocks: torch.Tensor) -> torch.Tensor:
    """Place the 2 x 2 rotations on the diagonal: M_k acts on each (sin, cos) pair alone."""
    return torch.block_diag(*blocks)  # (D, D)


def build(config: PositionalConfig, device: torch.device) -> PositionalResult:
    """Compute every tensor of the positional lecture on the device."""
    config.validate()
    g = generator(config.seed)
    L, D, k, p = config.seq_len, config.d_model, config.shift, config.probe
    X = randn((L, D), g, device)
    W_q, W_k, W_v = (linear_init(D, D, g, device).T for _ in range(3))  # (D, D) each
    perm = derangement(L, g).to(device)
    # 1) no positions: shuffling the tokens only shuffles the output rows
    Y, _ = self_attention(X, W_q, W_k, W_v)
    Y_perm, _ = self_attention(X[perm], W_q, W_k, W_v)
    # 2) add position p's encoding to whichever token sits at row p
    P = sinusoidal(L, D, device)
    Y_pe, _ = self_attention(X + P, W_q, W_k, W_v)
    Y_pe_perm, _ = self_attention(X[perm] + P, W_q, W_k, W_v)
    gap = (Y_pe_perm - Y_pe[perm]).abs()  # (L, D)
    # 3) the encoding at real size, and the shift by k as a rotation of every pair
    PE = sinusoidal(config.positions, config.pe_dims, device)
    omega = frequencies(config.pe_dims, device)
    angles = k * omega
    blocks = rotation_blocks(angles)
    M = shift_matrix(blocks)
    shifted = PE[:-k] @ M.T  # (positions - k, pe_dims): row p is M_k PE(p)
    other = 1 if k != 1 else 2
    n_dots = min(DOT_PROBES, config.positions - max(k, other))
    return PositionalResult(
        config=config,
        X=X,
        W_q=W_q.contiguous(),
        W_k=W_k.contiguous(),
        W_v=W_v.contiguous(),
        perm=perm,
        X_perm=X[perm],
        Y=Y,
        Y_perm=Y_perm,
        Y_pi=Y[perm],
        diff_plain=(Y_perm - Y[perm]).abs().max(),
        P=P,
        XP=X + P,
        XP_perm=X[perm] + P,
        Y_pe=Y_pe,
        Y_pe_perm=Y_pe_perm,
        Y_pe_pi=Y_pe[perm],
        diff_pe=gap.max(),
        diff_pe_row=gap.amax(dim=1).argmax(),
        diff_pe_col=gap[gap.amax(dim=1).argmax()].argmax(),
        PE=PE,
        pos=torch.arange(config.positions, dtype=torch.float32, device=device),
        unit=torch.tensor([-1.0, 0.0, 1.0], device=device),
        scale=torch.tensor(1.0, device=device),
        ramp=torch.linspace(-1, 1, 256, device=device)[None, :],
        base=torch.tensor(BASE, device=device),
        omega=omega,
        k=torch.tensor(k, device=device),
        p=torch.tensor(p, device=device),
        p_k=torch.tensor(p + k, device=device),
        angles=angles,
        M_blocks=blocks,
        M=M,
        pe_p=PE[p],
        pe_pk=PE[p + k],
        rotated=M @ PE[p],
        probe_err=(PE[p + k] - M @ PE[p]).abs().max(),
        rel_err=(PE[k:] - shifted).abs().max(),
        MPE=shifted,
        offsets=torch.tensor([k, other], device=device),
        dots=torch.stack([(PE[:n_dots] * PE[o:o + n_dots]).sum(dim=1) for o in (k, other)]),
        decay=PE @ PE[0],
        decay_top=PE[0] @ PE[0],
    )
