"""`torch.bmm` versus `torch.matmul`: the same products on rank 3, different rules beyond it.

`bmm` takes exactly two rank-3 tensors (B, M, N) and (B, N, P) with the same B. `matmul` treats the
last two dimensions as matrices and broadcasts every dimension before them. The errors `bmm`
raises are captured from the real calls here, at build time, so the lecture shows torch's words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from tensors.common import ConfigError, LectureConfig, LectureResult, generator, opt, randn
from tensors.heads import split_heads


@dataclass(frozen=True)
class BmmConfig(LectureConfig):
    """Sizes of the FAQ's examples (defaults are the FAQ's own shapes) and of the attention bridge."""

    batch: int = opt(10, "batch size B of A (B, M, N) and B (B, N, P)", 2, 32,
                     "a bigger batch adds nothing a stack of outlines can show")
    rows: int = opt(3, "rows M of each matrix of A", 2, 4)
    inner: int = opt(4, "shared size N: columns of A, rows of B", 2, 5)
    cols: int = opt(5, "columns P of each matrix of B", 2, 5)
    shown: int = opt(3, "batch items drawn with their numbers (the rest as a stack)", 1, 4,
                     "each drawn item takes its own turn on screen; more make the video long")
    lead_x: int = opt(2, "first leading dimension X of the rank-4 example", 1, 3)
    lead_y: int = opt(3, "second leading dimension Y of the rank-4 example", 2, 4)
    att_batch: int = opt(2, "batch size of the attention example", 1, 3)
    att_heads: int = opt(2, "heads H of the attention example", 1, 4)
    att_len: int = opt(3, "sequence length L of the attention example", 2, 5)
    att_dim: int = opt(4, "size d of each head's queries and keys", 1, 8)

    def validate(self) -> None:
        """Raise ConfigError when a size is out of range or more items are drawn than exist."""
        super().validate()
        if self.shown > self.batch:
            raise ConfigError(
                f"--shown {self.shown} is more than --batch {self.batch}: cannot draw more items than the batch has"
            )


@dataclass(frozen=True)
class BmmResult(LectureResult):
    """Every tensor the bmm lecture shows, by name, and the errors bmm raised."""

    config: BmmConfig
    # rank 3, the FAQ's first example
    A: Tensor  # (B, M, N)
    B: Tensor  # (B, N, P)
    C_bmm: Tensor  # (B, M, P) torch.bmm(A, B)
    C_matmul: Tensor  # (B, M, P) torch.matmul(A, B)
    diff_3d: Tensor  # () max |C_bmm - C_matmul|
    rank_A: Tensor  # () A.dim(): the only rank bmm takes
    # rank 4, the FAQ's second example
    A4: Tensor  # (X, Y, M, N)
    B4: Tensor  # (X, Y, N, P)
    C4: Tensor  # (X, Y, M, P) torch.matmul(A4, B4)
    A4_flat: Tensor  # (X*Y, M, N) what bmm needs instead
    B4_flat: Tensor  # (X*Y, N, P) and B too
    C4_bmm: Tensor  # (X, Y, M, P) bmm on the flattened batch, viewed back
    diff_4d: Tensor  # () max |C4_bmm - C4|
    rank_A4: Tensor  # () A4.dim()
    # a shared weight
    W: Tensor  # (N, P) one weight for every batch item
    rank_W: Tensor  # () W.dim()
    Y_matmul: Tensor  # (B, M, P) torch.matmul(A, W)
    W_expanded: Tensor  # (B, N, P) W.expand(B, N, P), a view
    expand_stride: Tensor  # () W_expanded.stride(0): 0, so no copy
    W_strides: Tensor  # (3,) W_expanded.stride(): the batch stride 0, then W's own strides
    Y_bmm: Tensor  # (B, M, P) torch.bmm(A, W_expanded)
    diff_w: Tensor  # () max |Y_bmm - Y_matmul|
    # leading-dimension broadcast
    A_lead: Tensor  # (X, 1, M, N)
    B_lead: Tensor  # (Y, N, P)
    B_lead_1: Tensor  # (1, Y, N, P) B_lead with its missing leading dim written as size 1 (a view)
    A_lead_x: Tensor  # (X, Y, M, N) A_lead broadcast: its size 1 stretched to Y (a view)
    B_lead_x: Tensor  # (X, Y, N, P) B_lead broadcast: the missing dim added as X (a view)
    A_lead_flat: Tensor  # (X*Y, M, N) what bmm_broadcast hands to bmm
    B_lead_flat: Tensor  # (X*Y, N, P)
    C_lead: Tensor  # (X, Y, M, P) torch.matmul(A_lead, B_lead)
    C_lead_bmm: Tensor  # (X, Y, M, P) bmm_broadcast(A_lead, B_lead)
    diff_lead: Tensor  # () max |C_lead_bmm - C_lead|
    # attention scores, two codebases
    Q: Tensor  # (B, H, L, d) queries split into heads
    K: Tensor  # (B, H, L, d)
    Q_flat: Tensor  # (B*H, L, d) d2l's layout
    K_flat: Tensor  # (B*H, L, d)
    S_d2l: Tensor  # (B*H, L, L) d2l_scores(Q_flat, K_flat)
    S_ann: Tensor  # (B, H, L, L) annotated_scores(Q, K)
    diff_att: Tensor  # () max |S_d2l viewed as (B, H, L, L) - S_ann|
    # errors torch raised, captured from the real calls
    err_rank4: str
    err_weight: str
    err_lead: str


    def strings(self) -> dict[str, str]:
        """Return the texts captured from torch at build time, by name."""
        return {k: v for k, v in vars(self).items() if k.startswith("err_")}


def rand(shape: tuple[int, ...], g: torch.Generator, device: torch.device) -> Tensor:
    """Draw uniform [0, 1) values on the CPU from g, as the FAQ's torch.rand does, then move them."""
    return torch.rand(shape, generator=g).to(device)


def error_of(call: Callable[[], object]) -> str:
    """Run a call that should fail and return torch's error as 'Type: message'."""
    try:
        call()
    except RuntimeError as err:
        return f"{type(err).__name__}: {err}"
    raise AssertionError("the call was expected to raise but returned")


def bmm_broadcast(a: Tensor, b: Tensor) -> Tensor:
    """matmul's broadcasting, spelled out for bmm."""
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = a.expand(*batch, *a.shape[-2:]).flatten(0, -3)
    b = b.expand(*batch, *b.shape[-2:]).flatten(0, -3)
    return torch.bmm(a, b).unflatten(0, batch)


def fold_heads(x: Tensor) -> Tensor:
    """Fold the heads into the batch, as d2l's transpose_qkv does."""
    B, H, L, d = x.shape
    return x.reshape(B * H, L, d)  # (B*H, L, d)


def d2l_scores(q: Tensor, k: Tensor) -> Tensor:
    """d2l: heads folded into the batch."""
    s = torch.bmm(q, k.transpose(1, 2))
    return s / math.sqrt(q.shape[-1])


def annotated_scores(q: Tensor, k: Tensor) -> Tensor:
    """Annotated Transformer: a head dim."""
    s = torch.matmul(q, k.transpose(-2, -1))
    return s / math.sqrt(q.size(-1))


def max_abs_diff(x: Tensor, y: Tensor) -> Tensor:
    """Return the largest absolute difference between two tensors of one shape."""
    return (x - y).abs().max()


def build(config: BmmConfig, device: torch.device) -> BmmResult:
    """Compute every tensor of the bmm lecture on the device and capture bmm's errors."""
    config.validate()
    g = generator(config.seed)
    Bt, M, N, P = config.batch, config.rows, config.inner, config.cols
    X, Y = config.lead_x, config.lead_y
    A, B = rand((Bt, M, N), g, device), rand((Bt, N, P), g, device)
    C_bmm, C_matmul = torch.bmm(A, B), torch.matmul(A, B)  # (B, M, P) both

    A4, B4 = rand((X, Y, M, N), g, device), rand((X, Y, N, P), g, device)
    C4 = torch.matmul(A4, B4)  # (X, Y, M, P)
    C4_bmm = bmm_broadcast(A4, B4)

    W = rand((N, P), g, device)
    Y_matmul = torch.matmul(A, W)  # (B, M, P)
    W_expanded = W.expand(Bt, N, P)  # (B, N, P), stride 0 along B
    Y_bmm = torch.bmm(A, W_expanded)

    A_lead, B_lead = rand((X, 1, M, N), g, device), rand((Y, N, P), g, device)
    C_lead = torch.matmul(A_lead, B_lead)  # (X, Y, M, P)
    C_lead_bmm = bmm_broadcast(A_lead, B_lead)

    aB, H, L, d = config.att_batch, config.att_heads, config.att_len, config.att_dim
    Q = split_heads(randn((aB, L, H * d), g, device), H)  # (B, H, L, d)
    K = split_heads(randn((aB, L, H * d), g, device), H)  # (B, H, L, d)
    Q_flat, K_flat = fold_heads(Q), fold_heads(K)  # (B*H, L, d)
    S_d2l = d2l_scores(Q_flat, K_flat)  # (B*H, L, L)
    S_ann = annotated_scores(Q, K)  # (B, H, L, L)

    return BmmResult(
        config=config,
        A=A, B=B, C_bmm=C_bmm, C_matmul=C_matmul, diff_3d=max_abs_diff(C_bmm, C_matmul),
        rank_A=torch.tensor(A.dim(), device=device),
        A4=A4, B4=B4, C4=C4, C4_bmm=C4_bmm, diff_4d=max_abs_diff(C4_bmm, C4),
        rank_A4=torch.tensor(A4.dim(), device=device),
        A4_flat=A4.reshape(X * Y, M, N),  # (X*Y, M, N)
        B4_flat=B4.reshape(X * Y, N, P),  # (X*Y, N, P)
        W=W, rank_W=torch.tensor(W.dim(), device=device), Y_matmul=Y_matmul, W_expanded=W_expanded,
        expand_stride=torch.tensor(W_expanded.stride(0), device=device),
        W_strides=torch.tensor(W_expanded.stride(), device=device),
        Y_bmm=Y_bmm, diff_w=max_abs_diff(Y_bmm, Y_matmul),
        A_lead=A_lead, B_lead=B_lead, B_lead_1=B_lead.unsqueeze(0), C_lead=C_lead,
        A_lead_x=A_lead.expand(X, Y, M, N), B_lead_x=B_lead.expand(X, Y, N, P),
        A_lead_flat=A_lead.expand(X, Y, M, N).reshape(X * Y, M, N),
        B_lead_flat=B_lead.expand(X, Y, N, P).reshape(X * Y, N, P), C_lead_bmm=C_lead_bmm,
        diff_lead=max_abs_diff(C_lead_bmm, C_lead),
        Q=Q.contiguous(), K=K.contiguous(), Q_flat=Q_flat, K_flat=K_flat, S_d2l=S_d2l, S_ann=S_ann,
        diff_att=max_abs_diff(S_d2l.view(aB, H, L, L), S_ann),  # (B*H, L, L) -> (B, H, L, L)
        err_rank4=error_of(lambda: torch.bmm(A4, B4)),
        err_weight=error_of(lambda: torch.bmm(A, W)),
        err_lead=error_of(lambda: torch.bmm(A_lead, B_lead)),
    )
